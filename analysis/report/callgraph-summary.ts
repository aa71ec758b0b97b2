// The canonical call-graph summary: what the IPVS hooks called, per kernel x scenario x step x role,
// with everything that changes from run to run left out (time stamps, pids, CPUs, durations, line
// numbers) and identical packets' trees folded into one variant with a count. It is the unit the
// kernel-to-kernel diff compares and the format baselines are stored in, so it carries a version.
import { HOOK_NAMES, ROLES, SYMBOL_ALIASES } from '../ipvs-symbols.ts';
import type { CallNode, Trace } from '../model.ts';
import { findRoleInstances, resolveGeneration, type RoleInstance } from '../roles.ts';
import { inSection, type SectionRange } from '../section.ts';
import { stepRanges, type StepSpan } from '../step-markers.ts';
import { isInlinable } from '../call-sequence.ts';
import { kernelOwnPacket } from '../flows.ts';

export const CALLGRAPH_SUMMARY_FORMAT = 'ipvs-harness/callgraph-summary';
/** Bump when a field changes meaning; stored baselines of another version are refused, not misread. */
export const CALLGRAPH_SUMMARY_VERSION = 1;

/** One call in a canonical tree. */
export interface CanonCall {
  /** Normalised name (clone suffixes dropped). */
  fn: string;
  /** The printed name when it differs from fn (`ip_vs_out.part.0`). */
  symbol?: string;
  module?: string;
  /** A nested hook call: the role it played. Its own subtree is summarised in its own entry. */
  hook?: { role: string; hook: string | null };
  /** The call never returned or lost its entry in the capture. */
  incomplete?: true;
  calls?: CanonCall[];
}

export interface CallGraphVariant {
  /** How many hook calls had exactly this tree. */
  count: number;
  tree: CanonCall;
}

export interface CallGraphEntry {
  kernel: string;
  release: string | null;
  generation: 'wrappers' | 'hooks' | 'unknown';
  scenario: string;
  /** Step whose trace_marker section holds the calls; '' for calls outside every step. */
  step: string;
  /** The IPVS role (`local_request`); `a|b` when the hook number was unknown; `call:<fn>` for a non-hook root. */
  role: string;
  /** Netfilter hook name (`LOCAL_OUT`), null when unknown. */
  hook: string | null;
  family: 4 | 6 | null;
  /** `top` for a top-level hook call, else the caller chain with roles and inlinable helpers normalised (`remote_request > ip_vs_nat_xmit > nf_hook_slow`). */
  context: string;
  /** Hook function symbols that played the role (`ip_vs_local_request4`, `ip_vs_in_hook`). */
  symbols: string[];
  /**
   * Every call of this entry carried one of the kernel's own packets (IPv6 neighbour discovery, MLD,
   * IGMP), known from the flow probes: what they were. The kernel sends them when it decides, not the step.
   */
  kernelOwn?: string;
  /** Number of hook calls. */
  calls: number;
  variants: CallGraphVariant[];
}

export interface CallGraphSummary {
  format: typeof CALLGRAPH_SUMMARY_FORMAT;
  version: typeof CALLGRAPH_SUMMARY_VERSION;
  entries: CallGraphEntry[];
}

export interface SummarizeInput {
  trace: Trace;
  kernel: string;
  release: string | null;
  scenario: string;
  /** Steps in scenario order with the trace_marker section of each. */
  steps: readonly StepSpan[];
}

const ALIAS_OF = new Map<string, string>();
for (const [name, traced] of Object.entries(SYMBOL_ALIASES)) for (const t of traced) ALIAS_OF.set(t, name);

/** The name a call is compared under across kernels: aliases folded (`__icmp_send` -> `icmp_send`). */
export function canonicalName(fn: string): string {
  return ALIAS_OF.get(fn) ?? fn;
}

export function roleText(i: RoleInstance): string {
  return i.roles.length > 0 ? i.roles.join('|') : 'no-role';
}

export function hookText(hook: number | null): string | null {
  return hook === null ? null : (HOOK_NAMES[hook] ?? `hook ${hook}`);
}

export function stepOfLine(line: number, ranges: ReadonlyArray<{ name: string; range: SectionRange | null }>): string {
  for (const r of ranges) if (r.range !== null && inSection(line, r.range)) return r.name;
  return '';
}

function canonTree(node: CallNode, instances: ReadonlyMap<CallNode, RoleInstance>, isRoot: boolean): CanonCall {
  const c: CanonCall = { fn: node.fn };
  if (node.symbol !== node.fn) c.symbol = node.symbol;
  if (node.module !== null) c.module = node.module;
  const inst = instances.get(node);
  if (!isRoot && inst !== undefined) {
    c.hook = { role: roleText(inst), hook: hookText(inst.hook) };
    return c;
  }
  if (!node.complete) c.incomplete = true;
  // Interrupts that fired inside a hook call belong to other packets: left out.
  const kids = node.children.filter((k) => !k.irq).map((k) => canonTree(k, instances, false));
  if (kids.length > 0) c.calls = kids;
  return c;
}

/** Caller chain of a nested hook call, normalised so that it reads the same on every kernel. */
function contextOf(ancestors: readonly CallNode[], instances: ReadonlyMap<CallNode, RoleInstance>): string {
  if (ancestors.length === 0) return 'top';
  const names: string[] = [];
  for (const a of ancestors) {
    const inst = instances.get(a);
    if (inst !== undefined) names.push(roleText(inst));
    else if (!isInlinable(a.fn)) names.push(canonicalName(a.fn));
  }
  return names.join(' > ');
}

interface Bucket {
  entry: CallGraphEntry;
  byTree: Map<string, CallGraphVariant>;
  firstLine: number;
}

/** The summary entries of one kernel x scenario cell. */
export function summarizeCell(input: SummarizeInput): CallGraphEntry[] {
  const { trace } = input;
  const generation = resolveGeneration(trace, input.release);
  const instances = new Map(findRoleInstances(trace, generation).map((i) => [i.node, i]));
  const ranges = stepRanges(trace, input.steps);
  const buckets = new Map<string, Bucket>();
  const add = (node: CallNode, ancestors: readonly CallNode[], step: string): void => {
    const inst = instances.get(node);
    const role = inst !== undefined ? roleText(inst) : `call:${node.fn}`;
    const hook = inst !== undefined ? hookText(inst.hook) : null;
    const family = inst?.family ?? null;
    const context = contextOf(ancestors, instances);
    const own = inst !== undefined && node.packet !== undefined ? kernelOwnPacket(node.packet) : null;
    const key = JSON.stringify([step, role, hook, family, context, own]);
    let b = buckets.get(key);
    if (b === undefined) {
      const entry: CallGraphEntry = {
        kernel: input.kernel, release: input.release, generation: generation.id, scenario: input.scenario,
        step, role, hook, family, context, symbols: [], calls: 0, variants: [], ...(own !== null ? { kernelOwn: own } : {}),
      };
      b = { entry, byTree: new Map(), firstLine: node.line };
      buckets.set(key, b);
    }
    b.entry.calls++;
    if (!b.entry.symbols.includes(node.symbol)) b.entry.symbols.push(node.symbol);
    const tree = canonTree(node, instances, true);
    const treeKey = JSON.stringify(tree);
    const v = b.byTree.get(treeKey);
    if (v !== undefined) v.count++;
    else b.byTree.set(treeKey, { count: 1, tree });
  };
  const visit = (node: CallNode, ancestors: CallNode[], step: string): void => {
    if (node.irq && ancestors.length > 0) return;
    if (ancestors.length === 0 || instances.has(node)) add(node, ancestors, step);
    ancestors.push(node);
    for (const c of node.children) visit(c, ancestors, step);
    ancestors.pop();
  };
  for (const root of trace.roots) visit(root, [], stepOfLine(root.line, ranges));
  const stepIndex = new Map(input.steps.map((s, i) => [s.name, i]));
  const out = [...buckets.values()].map((b) => {
    b.entry.symbols.sort();
    b.entry.variants = [...b.byTree.entries()]
      .sort(([ka, a], [kb, b2]) => b2.count - a.count || (ka < kb ? -1 : ka > kb ? 1 : 0))
      .map(([, v]) => v);
    return b.entry;
  });
  return out.sort((a, b) => compareEntries(a, b, stepIndex));
}

function roleRank(role: string): number {
  const i = ROLES.indexOf(role.split('|')[0] as (typeof ROLES)[number]);
  return i < 0 ? ROLES.length : i;
}

/** Step order, then role, then top level before nested, then the rest alphabetically: stable across runs. */
function compareEntries(a: CallGraphEntry, b: CallGraphEntry, stepIndex: ReadonlyMap<string, number>): number {
  const sa = stepIndex.get(a.step) ?? -1;
  const sb = stepIndex.get(b.step) ?? -1;
  if (sa !== sb) return sa - sb;
  if (roleRank(a.role) !== roleRank(b.role)) return roleRank(a.role) - roleRank(b.role);
  if ((a.context === 'top') !== (b.context === 'top')) return a.context === 'top' ? -1 : 1;
  const ka = `${a.role}\u0000${a.context}\u0000${a.hook ?? ''}\u0000${a.family ?? ''}`;
  const kb = `${b.role}\u0000${b.context}\u0000${b.hook ?? ''}\u0000${b.family ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function callGraphSummary(entries: CallGraphEntry[]): CallGraphSummary {
  return { format: CALLGRAPH_SUMMARY_FORMAT, version: CALLGRAPH_SUMMARY_VERSION, entries };
}

/** Reads a stored summary; refuses another format or version with the field and the fix. */
export function parseCallGraphSummary(data: unknown, where: string): CallGraphSummary {
  const d = data as Partial<CallGraphSummary> | null;
  if (d === null || typeof d !== 'object' || d.format !== CALLGRAPH_SUMMARY_FORMAT) {
    throw new Error(`${where}: format: expected "${CALLGRAPH_SUMMARY_FORMAT}"; write it with \`ipvs-harness export --callgraphs\``);
  }
  if (d.version !== CALLGRAPH_SUMMARY_VERSION) {
    throw new Error(`${where}: version: call-graph summary version ${String(d.version)} is not supported; expected ${CALLGRAPH_SUMMARY_VERSION}`);
  }
  if (!Array.isArray(d.entries)) throw new Error(`${where}: entries: expected a list`);
  return d as CallGraphSummary;
}
