// The kernel's own selftest as a cell of the run matrix (`selftest:ipvs.sh`): fetch it for the booted
// kernel's series, upload it, run it in the guest's root namespace with kselftest's deadline, read its
// sub-tests from the output as it streams, and judge it by kselftest's exit codes.
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { execa } from 'execa';
import type { CellPhase, CellResult } from '../../analysis/report/results.ts';
import { shellQuote } from '../../vm/shell-quote.ts';
import type { CellOutcome, GuestCell, GuestCellContext } from '../run/guest-cell.ts';
import { writeAtomic } from '../run/results-folder.ts';
import { findSelftest, type SelftestFiles } from './fetch-selftest.ts';
import { KSELFTEST_DEFAULT_TIMEOUT_S, scriptInterpreter, SELFTEST_PREFIX, SELFTESTS_ROOT, type SelftestName } from './selftest-layout.ts';
import { LineSplitter, SelftestOutputParser } from './selftest-output.ts';
import { judgeSelftest, ranOutOfTime, subtestSteps } from './selftest-verdict.ts';

/** Where the selftests root lands in the guest (a tmpfs, gone with the guest). */
const GUEST_ROOT = '/root/kselftest';
/** Beyond the selftest's own deadline: time for `timeout` to stop it before the SSH deadline does. */
const SSH_GRACE_S = 30;

export interface SelftestCellOptions {
  name: SelftestName;
  cacheDir: string;
  /** Overrides the deadline from the selftest's `settings` file (`--timeout`). */
  timeoutS?: number;
}

export function selftestCell(opts: SelftestCellOptions): GuestCell {
  const name = `${SELFTEST_PREFIX}${opts.name}`;
  return {
    name,
    info: {
      name, kind: 'selftest', tags: ['selftest'],
      summary: `the kernel's own ${opts.name} (${SELFTESTS_ROOT}), taken from the kernel's source and run in the guest`,
    },
    run: (ctx) => runSelftest(ctx, name, opts),
  };
}

async function runSelftest(ctx: GuestCellContext, cellName: string, opts: SelftestCellOptions): Promise<CellOutcome> {
  const started = Date.now();
  const cell: CellResult = {
    kernel: ctx.kernel, kernelRelease: ctx.guest.kernel.release, scenario: cellName, status: 'passed', durationMs: 0,
    failures: [], steps: [], graphs: [], observations: [], artifacts: {},
  };
  // Where the cell is, for the outcome when the guest fails under it.
  let phase: CellPhase = 'setup';
  try {
    const lookup = await findSelftest(ctx.guest.kernel, opts.name, { cacheDir: opts.cacheDir, onProgress: ctx.progress, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    if (lookup.kind === 'missing') {
      return { kind: 'finished', cell: { ...cell, status: 'skipped', skipReason: `no ${opts.name} for this kernel: ${lookup.reason}`, durationMs: Date.now() - started } };
    }
    const st = lookup.selftest;
    cell.observations.push(`${SELFTESTS_ROOT}/${st.script} from ${st.source}`);
    for (const note of st.notes) cell.observations.push(`note: ${note}`);
    await upload(ctx, st);

    phase = 'step';
    const timeoutS = opts.timeoutS ?? st.timeoutS ?? KSELFTEST_DEFAULT_TIMEOUT_S;
    const timeoutSource = opts.timeoutS !== undefined ? '--timeout' : st.timeoutS !== undefined ? `settings timeout=${st.timeoutS}` : `kselftest's default ${KSELFTEST_DEFAULT_TIMEOUT_S} s (no settings file)`;
    const command = runCommand(st, scriptInterpreter(readFileSync(join(st.root, st.script), 'utf8')), timeoutS);
    const parser = new SelftestOutputParser(opts.name);
    const t0 = performance.now();
    const splitter = new LineSplitter((line) => {
      for (const t of parser.push(line, performance.now() - t0)) ctx.onStep(subtestSteps([t])[0]!);
    });
    const decoder = new TextDecoder();
    const r = await ctx.guest.exec(command, {
      timeoutMs: (timeoutS + SSH_GRACE_S) * 1000,
      onStdout: (chunk) => splitter.push(decoder.decode(chunk, { stream: true })),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    splitter.push(decoder.decode());
    splitter.end();
    const output = parser.finish();
    const outputFile = join(ctx.dir, 'output.log');
    writeAtomic(join(ctx.out, outputFile), r.stdout + (r.stderr ? `\n--- stderr\n${r.stderr}` : ''));
    cell.artifacts.output = outputFile;
    const ended = r.timedOut ? 'stopped at the SSH deadline' : `exit ${r.exitCode ?? `signal ${r.signal}`}`;
    ctx.shell.note(`${opts.name} (${ended}, ${(r.durationMs / 1000).toFixed(1)} s; its output, ${output.lines} lines, is in output.log)\n${command.split('\n').map((l) => `$ ${l}`).join('\n')}`);

    const verdict = judgeSelftest({
      name: opts.name, exitCode: r.exitCode, signal: r.signal, timedOut: ranOutOfTime(r, timeoutS), timeoutS, timeoutSource, output,
    });
    cell.status = verdict.status;
    cell.failures = verdict.failures;
    cell.steps = subtestSteps(verdict.subtests);
    cell.observations.push(verdict.summary);
    if (verdict.skipReason) cell.skipReason = verdict.skipReason;
    cell.durationMs = Date.now() - started;
    return { kind: 'finished', cell };
  } catch (error) {
    return { kind: 'broken', phase, error };
  }
}

/** One tar through one SSH exec, unpacked under GUEST_ROOT with the tree's layout (lib.sh's `../lib.sh` must resolve). */
async function upload(ctx: GuestCellContext, st: SelftestFiles): Promise<void> {
  const tar = await execa('tar', ['-c', '--format=ustar', '-C', st.root, '--', ...st.files], { encoding: 'buffer', ...(ctx.signal ? { cancelSignal: ctx.signal } : {}) });
  await ctx.guest.upload(Buffer.from(tar.stdout), '/tmp/kselftest.tar', { timeoutMs: 60_000, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  await ctx.shell.run({
    label: `unpack ${st.files.join(', ')}`,
    script: `rm -rf ${GUEST_ROOT} && mkdir -p ${GUEST_ROOT} && tar -xf /tmp/kselftest.tar -C ${GUEST_ROOT} && rm /tmp/kselftest.tar && chmod +x ${shellQuote(`${GUEST_ROOT}/${st.script}`)}`,
    timeoutMs: 30_000,
  });
}

/**
 * Runs the script as kselftest's runner does (from its own folder, under `timeout`), with `-x` so the
 * shell trace says which sub-test failed, stderr merged into stdout in order. It runs in its own
 * session: whatever it leaves running (a server that never got its connection) is killed as a group,
 * so nothing holds the SSH channel open past the deadline. The interpreter goes by its full path:
 * busybox's `timeout` would run a bare `sh` as its own ash, whose applets shadow PATH (`ip`).
 */
export function runCommand(st: Pick<SelftestFiles, 'script'>, interpreter: string, timeoutS: number, root = GUEST_ROOT): string {
  const dir = shellQuote(posix.join(root, posix.dirname(st.script)));
  const script = shellQuote(`./${posix.basename(st.script)}`);
  return [
    `cd ${dir} || exit 125`,
    `interpreter=$(command -v ${shellQuote(interpreter)}) || { echo "ipvs-harness: no ${interpreter} in the guest"; exit 125; }`,
    `setsid timeout -s TERM ${timeoutS} "$interpreter" -x ${script} 2>&1 &`,
    'pid=$!',
    'wait $pid; rc=$?',
    'kill -s KILL -- -$pid 2>/dev/null',
    'exit $rc',
  ].join('\n');
}
