// Observed call trees as the report shows them: each call with a stable id (for links from the
// expected graphs), hook calls labelled with the IPVS role they played and the netfilter hook,
// nested hook calls (a packet re-entering the hooks from ip_vs_nat_xmit, icmp_send, ...) flagged.
import { describePacket } from '../packet-header.ts';
import { HOOK_NAMES } from '../ipvs-symbols.ts';
import type { CallNode, Trace } from '../model.ts';
import { hookTable, type KernelGeneration, type RoleInstance } from '../roles.ts';
import type { SectionRange } from '../section.ts';
import { inSection } from '../section.ts';
import type { CallMark, RoleLabel, TraceSection, ViewCall } from './model.ts';

/** Bounds the page: a section with more roots shows the first ones and says how many are left out. */
export const MAX_ROOTS_PER_SECTION = 300;

/** Ids for every call of a trace, in document order: `<prefix>-<n>`. */
export function assignIds(trace: Trace, prefix: string): Map<CallNode, string> {
  const ids = new Map<CallNode, string>();
  let n = 0;
  const visit = (node: CallNode): void => {
    ids.set(node, `${prefix}-${n++}`);
    for (const c of node.children) visit(c);
  };
  trace.roots.forEach(visit);
  return ids;
}

function possibleHooks(fn: string, generation: KernelGeneration): string[] {
  const h = hookTable(generation).get(fn);
  return [...new Set((h?.uses ?? []).map((u) => HOOK_NAMES[u.hook] ?? `hook ${u.hook}`))];
}

/**
 * `local_request (LOCAL_OUT) = ip_vs_local_request4` when the symbol says the hook (< 5.16),
 * `local_request (LOCAL_OUT) = ip_vs_in_hook, hook 3` when a probe event (or the caller) gave it,
 * `..., hook 3, IPv6` for an IPv6 packet in a hook function that serves both families.
 */
export function roleLabel(i: RoleInstance, generation: KernelGeneration): RoleLabel {
  const hookName = i.hook !== null ? (HOOK_NAMES[i.hook] ?? `hook ${i.hook}`) : null;
  const sym = i.node.symbol;
  // A 6.x hook function serves both families: say IPv6 when the symbol does not (IPv4 is the default reading).
  const v6 = i.family === 6 && i.familySource !== 'symbol' ? ', IPv6' : '';
  let text: string;
  if (i.roles.length === 0) {
    text = `no role = ${sym}${i.hook !== null ? `, hook ${i.hook}` : ''}${i.note ? ` (${i.note})` : ''}`;
  } else if (i.roles.length > 1) {
    text = `${i.roles.join(' or ')} (hook unknown) = ${sym}`;
  } else if (i.hook === null) {
    const hooks = possibleHooks(i.node.fn, generation);
    text = `${i.roles[0]} (${hooks.length > 0 ? hooks.join(' or ') : 'hook unknown'}) = ${sym}${v6}`;
  } else {
    const how = i.hookSource === 'symbol' ? '' : i.hookSource === 'probe' ? `, hook ${i.hook}` : `, hook ${i.hook} (from ${i.hookSource})`;
    text = `${i.roles[0]} (${hookName}) = ${sym}${how}${v6}`;
  }
  return { text, roles: [...i.roles], hook: i.hook, hookName, hookSource: i.hookSource, family: i.family };
}

export interface TreeViewContext {
  ids: ReadonlyMap<CallNode, string>;
  instances: ReadonlyMap<CallNode, RoleInstance>;
  generation: KernelGeneration;
  marks: ReadonlyMap<CallNode, CallMark[]>;
}

export function viewCall(node: CallNode, ctx: TreeViewContext, nested: boolean): ViewCall {
  const children = node.children.map((c) => viewCall(c, ctx, true));
  const v: ViewCall = {
    id: ctx.ids.get(node) ?? '',
    symbol: node.symbol,
    fn: node.fn,
    module: node.module,
    durationUs: node.durationUs,
    startUs: node.startUs,
    cpu: node.cpu,
    task: node.task,
    pid: node.pid,
    line: node.line,
    size: 1 + children.reduce((n, c) => n + c.size, 0),
    children,
  };
  if (node.incomplete !== undefined) v.incomplete = node.incomplete;
  if (node.irq) v.irq = true;
  if (node.retval !== undefined) v.retval = node.retval;
  if (node.packet !== undefined) v.packet = describePacket(node.packet);
  const inst = ctx.instances.get(node);
  if (inst !== undefined) {
    v.role = roleLabel(inst, ctx.generation);
    if (nested) v.reentry = true;
  }
  const marks = ctx.marks.get(node);
  if (marks !== undefined) v.marks = marks;
  return v;
}

export interface StepRange {
  name: string;
  range: SectionRange | null;
}

/** The roots cut into step sections (in step order), then the roots outside every step. */
export function sectionViews(trace: Trace, steps: readonly StepRange[], ctx: TreeViewContext): TraceSection[] {
  const byStep = new Map<string | null, CallNode[]>();
  for (const root of trace.roots) {
    const step = steps.find((s) => s.range !== null && inSection(root.line, s.range))?.name ?? null;
    const list = byStep.get(step) ?? [];
    list.push(root);
    byStep.set(step, list);
  }
  const make = (step: string | null, range: SectionRange | null): TraceSection => {
    const roots = byStep.get(step) ?? [];
    return {
      step,
      startLine: range?.startLine ?? null,
      endLine: range?.endLine ?? null,
      roots: roots.slice(0, MAX_ROOTS_PER_SECTION).map((r) => viewCall(r, ctx, false)),
      omittedRoots: Math.max(0, roots.length - MAX_ROOTS_PER_SECTION),
    };
  };
  const out = steps.map((s) => make(s.name, s.range));
  if ((byStep.get(null) ?? []).length > 0) out.push(make(null, null));
  return out;
}
