// Role resolution: which IPVS hook role each hook call in a trace played. On < 5.16 the wrapper symbol
// says it; on >= 5.16 ip_vs_in_hook / ip_vs_out_hook need the hook number, taken from a probe event
// (`hook=3`), else from the caller when the call is nested (ip_local_deliver -> nf_hook_slow -> hook),
// else left open: the call is then a candidate for every role of its function.
import {
  FAMILY_HINTS,
  GENERATIONS,
  HOOK_CALLERS,
  ROLES,
  type Family,
  type Generation,
  type GenerationId,
  type HookFunction,
  type Role,
} from './ipvs-symbols.ts';
import type { CallNode, Trace } from './model.ts';

export interface KernelGeneration {
  id: GenerationId | 'unknown';
  source: 'kernel-release' | 'symbols' | 'none';
  release: string | null;
  /** Set when the release and the symbols in the trace disagree. */
  warning?: string;
}

/** `6.1.0-56-cloud-amd64` -> [6, 1]; null when the text does not start with a version. */
export function parseKernelVersion(release: string): [number, number] | null {
  const m = /^v?(\d+)\.(\d+)/.exec(release.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function before(a: [number, number], b: [number, number]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

export function generationForVersion(v: [number, number]): Generation {
  return GENERATIONS.find((g) => !before(v, g.from) && (g.until === null || before(v, g.until))) ?? GENERATIONS[GENERATIONS.length - 1]!;
}

function generationFromSymbols(trace: Trace): GenerationId | null {
  const onlyIn = new Map<string, GenerationId>();
  for (const g of GENERATIONS) {
    for (const h of g.hooks) {
      const elsewhere = GENERATIONS.some((o) => o !== g && o.hooks.some((x) => x.fn === h.fn));
      if (!elsewhere) onlyIn.set(h.fn, g.id);
    }
  }
  let found: GenerationId | null = null;
  const visit = (n: CallNode): boolean => {
    const g = onlyIn.get(n.fn);
    if (g !== undefined) {
      found = g;
      return true;
    }
    return n.children.some(visit);
  };
  trace.roots.some(visit);
  return found;
}

/** The generation from --kernel-release when given (or the trace header), else from the symbols present. */
export function resolveGeneration(trace: Trace, kernelRelease?: string | null): KernelGeneration {
  const release = kernelRelease ?? trace.kernelRelease ?? null;
  const fromSymbols = generationFromSymbols(trace);
  const version = release !== null ? parseKernelVersion(release) : null;
  if (version !== null) {
    const g = generationForVersion(version);
    const out: KernelGeneration = { id: g.id, source: 'kernel-release', release };
    if (fromSymbols !== null && fromSymbols !== g.id) {
      out.warning = `kernel release ${release} means the ${g.id} generation, but the trace shows ${fromSymbols} symbols`;
    }
    return out;
  }
  if (fromSymbols !== null) return { id: fromSymbols, source: 'symbols', release };
  return { id: 'unknown', source: 'none', release };
}

export type EvidenceSource = 'symbol' | 'probe' | 'caller' | 'calls';

export interface RoleInstance {
  node: CallNode;
  /** Candidate roles: one when resolved, several when the hook number is unknown, none when inconsistent. */
  roles: Role[];
  hook: number | null;
  hookSource: EvidenceSource | null;
  family: Family | null;
  familySource: EvidenceSource | null;
  /** Index in trace.roots of the tree holding this call. */
  rootIndex: number;
  /** True when the hook call is inside another call (e.g. ip_vs_nat_xmit -> nf_hook_slow -> hook). */
  nested: boolean;
  /** Why the roles are what they are, for messages. */
  note?: string;
}

export function hookTable(generation: KernelGeneration): Map<string, HookFunction> {
  const table = new Map<string, HookFunction>();
  const gens = generation.id === 'unknown' ? GENERATIONS : GENERATIONS.filter((g) => g.id === generation.id);
  for (const g of gens) {
    for (const h of g.hooks) {
      const seen = table.get(h.fn);
      // With the generation unknown, a name both generations use claims the weaker fact (either family).
      if (seen === undefined || (seen.family !== null && h.family === null)) table.set(h.fn, h);
    }
  }
  return table;
}

/**
 * The hook from the call's caller: sound only when nf_hook_slow is traced and is the direct parent,
 * so that its own parent is the function that ran NF_HOOK. Without nf_hook_slow in the trace the
 * nearest traced ancestor may be far above the real caller (ip_vs_nat_xmit -> ... -> ip_rcv ->
 * ip_local_deliver -> hook, with the middle untraced), so no guess is made.
 */
function callerEvidence(ancestors: readonly CallNode[]): { hook: number; family: Family } | null {
  const parent = ancestors[ancestors.length - 1];
  const grand = ancestors[ancestors.length - 2];
  if (parent === undefined || grand === undefined) return null;
  if (parent.fn !== 'nf_hook_slow' && parent.fn !== 'nf_hook_slow_list') return null;
  return Object.hasOwn(HOOK_CALLERS, grand.fn) ? HOOK_CALLERS[grand.fn]! : null;
}

function familyFromCalls(node: CallNode, table: Map<string, HookFunction>): Family | null {
  let found: Family | null = null;
  const visit = (n: CallNode): void => {
    for (const c of n.children) {
      if (found !== null) return;
      if (table.has(c.fn)) continue; // a nested hook call is another packet
      if (FAMILY_HINTS[4].includes(c.fn)) found = 4;
      else if (FAMILY_HINTS[6].includes(c.fn)) found = 6;
      else visit(c);
    }
  };
  visit(node);
  return found;
}

export function resolveInstance(node: CallNode, h: HookFunction, ancestors: readonly CallNode[], rootIndex: number, table: Map<string, HookFunction>): RoleInstance {
  let hook: number | null = null;
  let hookSource: EvidenceSource | null = null;
  let family: Family | null = h.family;
  let familySource: EvidenceSource | null = h.family !== null ? 'symbol' : null;
  const hooks = new Set(h.uses.map((u) => u.hook));
  const caller = callerEvidence(ancestors);
  if (node.hook !== undefined) {
    hook = node.hook;
    hookSource = 'probe';
  } else if (hooks.size === 1) {
    hook = h.uses[0]!.hook;
    hookSource = 'symbol';
  } else if (caller !== null) {
    hook = caller.hook;
    hookSource = 'caller';
  }
  if (family === null) {
    if (node.family !== undefined) {
      family = node.family;
      familySource = 'probe';
    } else if (caller !== null) {
      family = caller.family;
      familySource = 'caller';
    } else {
      family = familyFromCalls(node, table);
      if (family !== null) familySource = 'calls';
    }
  }
  const uses = hook === null ? h.uses : h.uses.filter((u) => u.hook === hook);
  const roles = ROLES.filter((r) => uses.some((u) => u.role === r));
  const instance: RoleInstance = { node, roles, hook, hookSource, family, familySource, rootIndex, nested: ancestors.length > 0 };
  if (roles.length === 0) instance.note = `hook ${hook} is not a hook ${node.fn} is registered on`;
  else if (roles.length > 1) instance.note = `hook number unknown: could be ${roles.join(' or ')}`;
  return instance;
}

/** Every hook call in the trace (top-level and nested), in document order. */
export function findRoleInstances(trace: Trace, generation: KernelGeneration): RoleInstance[] {
  const table = hookTable(generation);
  const out: RoleInstance[] = [];
  const ancestors: CallNode[] = [];
  const visit = (n: CallNode, rootIndex: number): void => {
    const h = table.get(n.fn);
    if (h !== undefined) out.push(resolveInstance(n, h, ancestors, rootIndex, table));
    ancestors.push(n);
    for (const c of n.children) visit(c, rootIndex);
    ancestors.pop();
  };
  trace.roots.forEach((r, i) => visit(r, i));
  return out;
}

export interface RoleKey {
  role: Role;
  family: Family | null;
}

/** `local_request`, `local_request4`, `local_request6`; null when unknown. */
export function parseRoleKey(text: string): RoleKey | null {
  const m = /^([a-z_]+?)([46])?$/.exec(text);
  if (!m) return null;
  const role = ROLES.find((r) => r === m[1]);
  if (role === undefined) return null;
  return { role, family: m[2] ? (Number(m[2]) as Family) : null };
}

export function knownRoleKeys(): string[] {
  return ROLES.flatMap((r) => [r, `${r}4`, `${r}6`]);
}

/** 'definite': the call certainly played the role; 'candidate': it may have (hook or family unknown). */
export function roleMatch(instance: RoleInstance, key: RoleKey): 'definite' | 'candidate' | null {
  if (!instance.roles.includes(key.role)) return null;
  if (key.family !== null && instance.family !== null && instance.family !== key.family) return null;
  const familyOpen = key.family !== null && instance.family === null;
  return instance.roles.length === 1 && !familyOpen ? 'definite' : 'candidate';
}

/** One line per hook function and resolution, e.g. "ip_vs_in_hook x4: local_request (hook 3 from probe)". */
export function summarizeRoles(instances: readonly RoleInstance[]): string[] {
  const groups = new Map<string, number>();
  for (const i of instances) {
    const how = i.hook !== null ? `hook ${i.hook} from ${i.hookSource}` : 'hook unknown';
    const where = i.nested ? 'nested' : 'top-level';
    const key = `${i.node.fn} ${where}: ${i.roles.join('|') || 'no role'} (${how})`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].map(([k, n]) => `${k.replace(' ', ` x${n} `)}`);
}
