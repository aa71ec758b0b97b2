// The readable side of a verdict: per expectation, the expected path with the status of each step,
// the actual subtree of the closest root (matched calls marked), and the first problem in one line.
import type { Verdict, RoleVerdict } from './expected-graph-match.ts';
import { formatGraphPath } from './expected-graph-types.ts';
import { allHookFunctionNames } from './ipvs-symbols.ts';
import type { CallNode } from './model.ts';
import type { StepReport, StepStatus } from './path-matcher.ts';
import { formatCall } from './render-text.ts';

const MAX_TREE_LINES = 80;

const LABEL: Record<StepStatus, string> = {
  matched: 'ok',
  skipped: 'skip',
  inlined: 'inlined',
  'not-checked': '.',
  missing: 'MISSING',
  'out-of-order': 'OUT OF ORDER',
  'not-direct': 'NOT DIRECT',
  forbidden: 'FORBIDDEN',
  count: 'COUNT',
  inside: 'INSIDE',
};

function isProblem(s: StepStatus): boolean {
  return !['matched', 'skipped', 'inlined', 'not-checked'].includes(s);
}

function renderReports(reports: readonly StepReport[], level: number, out: string[]): void {
  for (const r of reports) {
    const pad = '  '.repeat(level);
    const label = LABEL[r.status].padEnd(12);
    const where = r.node && !isProblem(r.status) ? `line ${r.node.line}` : (r.detail ?? '');
    const extra = r.status === 'matched' && r.detail ? ` (${r.detail})` : '';
    out.push(`      ${label} ${pad}${r.expected.padEnd(Math.max(0, 34 - pad.length))} ${where}${extra}`.trimEnd());
    if (r.inside && r.inside.length > 0) renderReports(r.inside, level + 1, out);
  }
}

/** Marks in the actual tree: which step each call matched, and where the problem is. */
function collectMarks(reports: readonly StepReport[] | undefined, marks: Map<CallNode, string>): void {
  for (const r of reports ?? []) {
    if (r.node) {
      const at = formatGraphPath(r.at);
      marks.set(r.node, isProblem(r.status) ? `<-- ${LABEL[r.status]} ${at}` : `<- ${at}`);
    }
    collectMarks(r.inside, marks);
  }
}

function renderSubtree(root: CallNode, marks: Map<CallNode, string>, out: string[]): void {
  const hooks = allHookFunctionNames();
  let lines = 0;
  let cut = 0;
  const visit = (n: CallNode, level: number, isRoot: boolean): void => {
    if (lines >= MAX_TREE_LINES) {
      cut++;
      n.children.forEach((c) => visit(c, level + 1, false));
      return;
    }
    const mark = marks.get(n);
    const collapsed = !isRoot && hooks.has(n.fn) && n.children.length > 0;
    const text = `${'  '.repeat(level)}${formatCall(n, { durations: false })}${collapsed ? ' {...}  (nested hook call: judged on its own)' : ''}`;
    out.push(`        ${text}${mark ? `   ${mark}` : ''}${isRoot ? `   (line ${n.line})` : ''}`);
    lines++;
    if (!collapsed) n.children.forEach((c) => visit(c, level + 1, false));
  };
  visit(root, 0, true);
  if (cut > 0) out.push(`        ... ${cut} more call(s)`);
}

function firstProblem(reports: readonly StepReport[] | undefined): StepReport | undefined {
  for (const r of reports ?? []) {
    const inner = firstProblem(r.inside);
    if (inner) return inner;
    if (isProblem(r.status)) return r;
  }
  return undefined;
}

function renderRole(r: RoleVerdict, out: string[]): void {
  const subject = r.role !== undefined ? `role ${r.role}` : `root ${r.root}`;
  const label = r.label !== r.role && r.label !== `root ${r.root}` ? ` "${r.label}"` : '';
  const section = r.section ? ` in section ${r.section.spec} (lines ${r.section.startLine}-${r.section.endLine ?? 'end'})` : '';
  if (r.holds) {
    const lines = r.satisfied.map((s) => s.line).slice(0, 8);
    out.push(`  ok   ${r.at} ${subject}${label} (${r.match})${section}: holds on ${r.satisfied.length} of ${r.candidates} root(s), lines ${lines.join(', ')}${r.satisfied.length > 8 ? ', ...' : ''}`);
  } else if (r.incomplete !== undefined) {
    out.push(`  INCOMPLETE ${r.at} ${subject}${label} (${r.match})${section}: cannot be judged, ${r.incomplete} (found: ${r.mismatch?.message ?? 'nothing'})`);
  } else {
    out.push(`  FAIL ${r.at} ${subject}${label} (${r.match})${section}: ${r.mismatch?.message ?? 'does not hold'}`);
  }
  for (const n of r.notes) out.push(`       note: ${n}`);
  if (r.holds || !r.reports) return;
  out.push(`    expected path (${r.at}.path):`);
  renderReports(r.reports, 0, out);
  if (r.best && r.bestNode) {
    const roles = r.best.roles ? ` - roles: ${r.best.roles.join('|') || 'none'}${r.best.hook !== undefined && r.best.hook !== null ? ` (hook ${r.best.hook})` : ' (hook unknown)'}` : '';
    const who = [r.best.cpu !== null ? `cpu ${r.best.cpu}` : '', r.best.task !== null ? `${r.best.task}-${r.best.pid}` : ''].filter(Boolean).join(', ');
    out.push(`    closest root: ${r.best.fn} at line ${r.best.line}${who ? ` (${who})` : ''}${roles}; actual calls:`);
    const marks = new Map<CallNode, string>();
    collectMarks(r.reports, marks);
    renderSubtree(r.bestNode, marks, out);
  }
  const p = firstProblem(r.reports);
  if (p) out.push(`    first problem: ${formatGraphPath(p.at)} ${p.expected}: ${LABEL[p.status].toLowerCase()} - ${p.detail ?? ''}`.trimEnd());
}

export function renderVerdictText(v: Verdict): string {
  const out: string[] = [];
  const gen = v.generation;
  const genText = gen.id === 'unknown' ? 'unknown' : `${gen.id} (${gen.source === 'kernel-release' ? `kernel ${gen.release}` : 'from the symbols in the trace'})`;
  const state = v.holds ? 'HOLDS' : v.incomplete !== undefined ? 'INCOMPLETE TRACE (cannot be judged)' : 'DOES NOT HOLD';
  out.push(`graph "${v.graph}"${v.file ? ` (${v.file})` : ''}: ${state}; kernel generation: ${genText}`);
  for (const r of v.perRole) renderRole(r, out);
  for (const n of v.notes) out.push(`  note: ${n}`);
  return `${out.join('\n')}\n`;
}
