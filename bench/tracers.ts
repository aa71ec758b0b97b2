// bench:tracers — the seed suite on the default kernels in one run, three ways: untraced, traced by
// ftrace (function_graph) and traced by bpftrace alone (`--tracer bpftrace`); then, unless
// `--no-both`, once more with `--tracer both` for the agreement count. Prints the wall time of each,
// seconds per cell, the median cost of starting each tracer and, last,
// `tracer-ratio: <bpftrace wall / ftrace wall>`.
// Usage: npm run bench:tracers [-- [--no-both] [-s scenario ...] [kernel ...]]
// A benchmark, not a test: it prints numbers, it asserts nothing.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResults } from '../analysis/report/results.ts';
import { runMatrix } from '../harness/run/run-matrix.ts';
import { planRun } from '../harness/run/run-plan.ts';
import { defaultCacheDir } from '../vm/cache-dir.ts';
import { DEFAULT_KERNEL_SPECS } from '../vm/kernel-spec.ts';
import { cellVerdict } from './cell-verdict.ts';

const args = process.argv.slice(2);
const noBoth = args.includes('--no-both');
const scenarios: string[] = [];
const kernels: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--no-both') continue;
  if (args[i] === '-s') scenarios.push(args[++i]!);
  else kernels.push(args[i]!);
}
const cacheDir = defaultCacheDir();
const work = mkdtempSync(join(tmpdir(), 'ipvsh-bench-tracers-'));

type Mode = 'untraced' | 'ftrace' | 'bpftrace' | 'both';
async function suite(mode: Mode): Promise<{ wallMs: number; results: RunResults; out: string }> {
  const started = performance.now();
  const out = join(work, mode);
  const plan = planRun({
    ...(kernels.length > 0 ? { kernel: kernels } : { kernel: DEFAULT_KERNEL_SPECS }), ...(scenarios.length > 0 ? { scenario: scenarios } : {}),
    out, cacheDir, jobs: '1', ...(mode === 'untraced' ? { trace: false } : { tracer: mode }),
  });
  const results = await runMatrix(plan, { reporters: [] });
  return { wallMs: performance.now() - started, results, out };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Milliseconds of the `start tracing` / `start bpftrace` commands in each cell's commands.log. */
function startMs(out: string, r: RunResults, label: string): number[] {
  const ms: number[] = [];
  for (const c of r.cells) {
    if (!c.artifacts.commands) continue;
    const log = readFileSync(join(out, c.artifacts.commands), 'utf8');
    // With ftrace alone the start goes with the first step's before-parts ("start tracing + before request"):
    // its time then includes them (counters, connection table, begin marker: ~0.1-0.3 s under TCG).
    const m = new RegExp(`^### ${label}(?: \\+ [^(]*)? \\([^,]+, (\\d+) ms`, 'm').exec(log);
    if (m) ms.push(Number(m[1]));
  }
  return ms;
}

try {
  const modes: Mode[] = ['untraced', 'ftrace', 'bpftrace', ...(noBoth ? [] : ['both' as const])];
  const runs = new Map<Mode, Awaited<ReturnType<typeof suite>>>();
  for (const m of modes) {
    runs.set(m, await suite(m));
    const r = runs.get(m)!;
    console.log(`${m}: ${(r.wallMs / 1000).toFixed(1)} s wall, ${r.results.summary.passed}/${r.results.summary.total} passed`);
  }
  const ftrace = runs.get('ftrace')!;
  const bpf = runs.get('bpftrace')!;
  console.log('\nseconds per cell (untraced / ftrace / bpftrace):');
  let same = 0;
  for (const cell of ftrace.results.cells) {
    const find = (m: Mode) => runs.get(m)?.results.cells.find((c) => c.kernel === cell.kernel && c.scenario === cell.scenario);
    const u = find('untraced');
    const b = find('bpftrace');
    const agree = b !== undefined && cellVerdict(b) === cellVerdict(cell);
    if (agree) same++;
    console.log(`  ${cell.kernel.padEnd(14)} ${cell.scenario.padEnd(24)} ${((u?.durationMs ?? 0) / 1000).toFixed(1).padStart(6)} / ${(cell.durationMs / 1000).toFixed(1).padStart(6)} / ${((b?.durationMs ?? 0) / 1000).toFixed(1).padStart(6)}  ${cell.status}${agree ? '' : ` (bpftrace: ${b?.status ?? 'missing'}${b?.error ? ` ${b.error.code}` : ''})`}`);
  }
  console.log(`verdicts identical with ftrace and with bpftrace: ${same}/${ftrace.results.cells.length} cells`);
  console.log(`median start of tracing: ftrace ${(median(startMs(ftrace.out, ftrace.results, 'start tracing')) / 1000).toFixed(2)} s, bpftrace ${(median(startMs(bpf.out, bpf.results, 'start bpftrace')) / 1000).toFixed(2)} s (compiling and attaching its program)`);
  for (const k of bpf.results.kernels) console.log(`bpftrace on ${k.spec} (${k.release ?? '?'}): ${k.bpftrace?.version ?? 'not run'}`);
  const both = runs.get('both');
  if (both) {
    const agreeing = both.results.cells.filter((c) => c.agreement?.agree).length;
    console.log(`--tracer both: ${both.results.summary.passed}/${both.results.summary.total} passed, tracers agree on ${agreeing}/${both.results.cells.length} cells (${(both.wallMs / 1000).toFixed(1)} s wall)`);
    for (const c of both.results.cells.filter((x) => x.agreement && !x.agreement.agree)) console.log(`  ${c.kernel} ${c.scenario}: ${c.agreement!.differences.join('; ')}`);
  }
  const untraced = runs.get('untraced')!;
  console.log(`untraced: ${(untraced.wallMs / 1000).toFixed(1)} s, ftrace: ${(ftrace.wallMs / 1000).toFixed(1)} s, bpftrace: ${(bpf.wallMs / 1000).toFixed(1)} s wall`);
  console.log(`tracer-ratio: ${(bpf.wallMs / ftrace.wallMs).toFixed(2)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
