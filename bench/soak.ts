// npm run soak [-- --runs N] [-k spec ...] [-s scenario ...] [--snapshot] [--keep]: the seed suite N times (default 10) on the default
// kernels (--snapshot: every cell from a restored snapshot of its kernel's guest, as `run --snapshot`), in one process, each run in its own results folder. A cell's verdict is its status plus the
// verdict of every step check and graph; per kernel x scenario it prints how many runs gave the most
// common verdict, and every other verdict with the runs that gave it. Last line:
// `soak-agreement: <runs whose every cell gave the common verdict>/<runs>`. Then each run's call graphs
// are diffed against the first run's, kernel by kernel, as `ipvs-harness diff run-1 run-N` would:
// the distinct behaviour-relevant changes per run, and a last line
// `soak-diff: <runs with no behaviour-relevant change against run 1>/<runs - 1>`.
// A measurement, not a test: flaky verdicts are for fixing at their cause, never for retrying.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResults } from '../analysis/report/results.ts';
import { cellVerdict } from './cell-verdict.ts';
import { interruptSignal } from '../harness/interrupt.ts';
import { runMatrix } from '../harness/run/run-matrix.ts';
import { planRun } from '../harness/run/run-plan.ts';
import { diffRuns } from '../harness/report/run-diffs.ts';
import { defaultCacheDir } from '../vm/cache-dir.ts';
import { DEFAULT_KERNEL_SPECS } from '../vm/kernel-spec.ts';

interface SoakArgs {
  runs: number;
  kernels: string[];
  scenarios: string[];
  snapshot: boolean;
  keep: boolean;
}

function parseArgs(argv: readonly string[]): SoakArgs {
  const out: SoakArgs = { runs: 10, kernels: [], scenarios: [], snapshot: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runs') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`--runs ${argv[i]}: expected a whole number from 1 to 1000`);
      out.runs = n;
    } else if (a === '-k' || a === '--kernel') out.kernels.push(argv[++i] ?? '');
    else if (a === '-s' || a === '--scenario') out.scenarios.push(argv[++i] ?? '');
    else if (a === '--keep') out.keep = true;
    else if (a === '--snapshot') out.snapshot = true;
    else throw new Error(`unknown argument ${a}; usage: npm run soak -- [--runs N] [-k spec ...] [-s scenario ...] [--snapshot] [--keep]`);
  }
  if (out.kernels.length === 0) out.kernels = [...DEFAULT_KERNEL_SPECS];
  return out;
}

/** The lines that differ from the common verdict, to say briefly how a run disagreed. */
function difference(common: string, other: string): string {
  const a = new Set(common.split('\n'));
  return other.split('\n').filter((l) => !a.has(l)).join('; ') || '(fewer lines)';
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cacheDir = defaultCacheDir();
  const work = mkdtempSync(join(tmpdir(), 'ipvsh-soak-'));
  const interrupt = interruptSignal();
  const runs: RunResults[] = [];
  let keep = args.keep;
  try {
    for (let i = 1; i <= args.runs && !interrupt.signal.aborted; i++) {
      const started = performance.now();
      const plan = planRun({ kernel: args.kernels, ...(args.scenarios.length > 0 ? { scenario: args.scenarios } : {}), out: join(work, `run-${i}`), cacheDir, jobs: '1', ...(args.snapshot ? { snapshot: true } : {}) });
      const r = await runMatrix(plan, { reporters: [], signal: interrupt.signal });
      if (interrupt.signal.aborted) break;
      runs.push(r);
      const s = r.summary;
      const bad = r.cells.filter((c) => c.status !== 'passed').map((c) => `${c.kernel} ${c.scenario} ${c.status}${c.error ? ` ${c.error.code}` : ''}`);
      const fallbacks = r.kernels.filter((k) => k.snapshot?.fallback).map((k) => `${k.spec}: ${k.snapshot!.fallback}`);
      console.log(`run ${i}/${args.runs}: ${s.passed}/${s.total} passed in ${((performance.now() - started) / 1000).toFixed(0)} s${bad.length ? ` (${bad.join(', ')})` : ''}${fallbacks.length ? `; snapshot fell back: ${fallbacks.join('; ')}` : ''}`);
    }
    if (runs.length === 0) throw new Error('no run finished');
    console.log('\nagreement per kernel x scenario (runs with the common verdict / runs):');
    const disagreeingRuns = new Set<number>();
    for (const cell of runs[0]!.cells) {
      const verdicts = runs.map((r) => r.cells.find((c) => c.kernel === cell.kernel && c.scenario === cell.scenario));
      const texts = verdicts.map((c) => (c ? cellVerdict(c) : 'missing'));
      const counts = new Map<string, number[]>();
      texts.forEach((t, i) => counts.set(t, [...(counts.get(t) ?? []), i + 1]));
      const [common, agreeing] = [...counts.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
      const commonStatus = common.split('\n')[0];
      console.log(`  ${cell.kernel.padEnd(12)} ${cell.scenario.padEnd(22)} ${agreeing.length}/${runs.length}  ${commonStatus}`);
      for (const [text, which] of counts) {
        if (text === common) continue;
        for (const n of which) disagreeingRuns.add(n);
        const sample = verdicts[which[0]! - 1];
        const why = sample?.error ? `${sample.error.code}: ${sample.error.message.split('\n')[0]}` : sample?.failures[0] ?? '';
        console.log(`      runs ${which.join(',')}: ${difference(common, text)}${why ? ` (${why})` : ''}`);
      }
    }
    console.log(`soak-agreement: ${runs.length - disagreeingRuns.size}/${runs.length}`);
    if (disagreeingRuns.size > 0) keep = true;
    if (runs.length > 1) {
      console.log('\ncall graphs of each run against run 1 (distinct changes, as `ipvs-harness diff` counts them):');
      let same = 0;
      for (let i = 2; i <= runs.length; i++) {
        const diffs = diffRuns(join(work, 'run-1'), join(work, `run-${i}`), undefined);
        const behaviour = diffs.reduce((n, d) => n + d.totals.behaviour, 0);
        const info = diffs.reduce((n, d) => n + d.totals.info, 0);
        if (behaviour === 0) same++;
        else keep = true;
        console.log(`  run ${i}: ${behaviour} behaviour-relevant, ${info} informational`);
        for (const d of diffs) for (const c of d.changes.filter((x) => x.relevance === 'behaviour')) console.log(`      ${d.b.kernel}: ${c.kind} ${c.summary} ${c.where}`);
      }
      console.log(`soak-diff: ${same}/${runs.length - 1}`);
    }
    if (keep) console.log(`\nresults kept in ${work} (run-N/results.json, traces, console logs)`);
  } finally {
    interrupt.dispose();
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
}

await main();
