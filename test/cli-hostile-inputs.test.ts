// Every subcommand with the inputs a script or a tired user gives it: folders where files belong,
// /dev/zero, a huge sparse file, outputs under /proc or in the place of a folder, files of the wrong
// kind, a closed stdout. Each must end with the exit code the table promises (2 for a mistake, 128
// for bisect-run's, the earned one when the reader went away) and one paragraph naming the value,
// never a stack trace, never a hang, never a half-written output. No guest is booted: every mistake
// is caught at the door.
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE } from './report-fixtures.ts';
import { runCli } from './run-cli.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'ipvs-harness.js');
const TRACE = join(ROOT, 'test', 'fixtures', 'traces', '5.10', 'noavail_tcp.ftrace.txt');
const OTHER = join(ROOT, 'test', 'fixtures', 'traces', 'other-tracers');
const GRAPH = join(ROOT, 'analysis', 'graphs', 'no-destination.yaml');
const SCENARIO = join(ROOT, 'scenarios', 'seed', 'pod-to-vip.yaml');
const SEED = FIXTURE('seed');

const tmp = mkdtempSync(join(tmpdir(), 'ipvs-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const at = (name: string) => join(tmp, name);

const dir = at('a-folder');
mkdirSync(dir);
const sparse = at('sparse-3g.txt');
writeFileSync(sparse, '');
truncateSync(sparse, 3 * 2 ** 30);
const aFile = at('a-file.txt');
writeFileSync(aFile, 'not a folder\n');
const notEmpty = at('somebody-elses-folder');
mkdirSync(notEmpty);
writeFileSync(join(notEmpty, 'notes.txt'), 'keep me\n');
// perf script's default output (tools/perf/Documentation/perf-script.txt) and trace-cmd's file magic.
const perf = at('perf-script.txt');
writeFileSync(perf, '            perf 12345 [001] 98765.432101:          1 cycles:  ffffffff9a26ee44 native_write_msr+0x4 ([kernel.kallsyms])\n');
const dat = at('trace.dat');
writeFileSync(dat, Buffer.concat([Buffer.from([0x17, 0x08, 0x44]), Buffer.from('tracing6\0'), Buffer.alloc(4096)]));
const gz = at('trace.txt.gz');
writeFileSync(gz, gzipSync(Buffer.from('# tracer: function_graph\n')));

const run = runCli;

/** No stack trace and no bug report: one `error [CODE]: ...` paragraph that names the value. */
function expectOneParagraph(err: string, names: string | RegExp): void {
  expect(err).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
  expect(err).not.toContain('internal error');
  expect(err).toMatch(/^error \[[A-Z_]+\]: /);
  if (typeof names === 'string') expect(err).toContain(names);
  else expect(err).toMatch(names);
}

type Case = [label: string, argv: string[], code: number, names: string | RegExp];

const cases: Case[] = [
  ['run: an unknown --tracer', ['run', '--tracer', 'perf', '-k', 'debian:6.1', '-s', 'pod-to-vip', '-o', at('r-tracer')], 2, '--tracer perf: expected one of ftrace, bpftrace, both'],
  ['run: --no-trace with --tracer', ['run', '--no-trace', '--tracer', 'both', '-k', 'debian:6.1', '-o', at('r-tracer2')], 2, '--no-trace and --tracer both contradict each other'],
  ['analyze: a folder', ['analyze', dir], 2, `${dir} is a folder`],
  ['analyze: /dev/zero', ['analyze', '/dev/zero'], 2, '/dev/zero is a binary file'],
  ['analyze: a 3 GiB sparse file', ['analyze', sparse], 2, `${sparse} is a binary file`],
  ["analyze: the function tracer's output", ['analyze', join(OTHER, '6.1-function-tracer.txt')], 2, "function tracer output"],
  ['analyze: a nop trace without kprobe events', ['analyze', join(OTHER, '6.1-nop-sched-events.txt')], 2, 'without a kprobe event (events: sched_process_exec)'],
  ['analyze: perf script output', ['analyze', perf], 2, 'perf script output'],
  ['analyze: a trace.dat', ['analyze', dat], 2, 'trace-cmd binary file (trace.dat)'],
  ['analyze: a gzip file', ['analyze', gz], 2, 'zcat'],
  ['analyze: a malformed --kernel-release', ['analyze', TRACE, '--kernel-release', 'foo'], 2, '--kernel-release "foo"'],
  ['check: the function tracer is no verdict', ['check', join(OTHER, '6.1-function-tracer.txt'), '-e', GRAPH], 2, 'function_graph tracer'],
  ['check: a folder as the graph', ['check', TRACE, '-e', dir], 2, `${dir} is a folder`],
  ['check: /dev/zero as the graph', ['check', TRACE, '-e', '/dev/zero'], 2, 'more than 1.0 MiB'],
  ['check: a scenario as the graph', ['check', TRACE, '-e', SCENARIO], 2, 'looks like a scenario file'],
  ['check: a folder as the trace', ['check', dir, '-e', GRAPH], 2, `${dir} is a folder`],
  ['check: an unknown --section', ['check', TRACE, '-e', GRAPH, '--section', 'nosuch'], 2, '--section "nosuch"'],
  ['check: --kernel-release ""', ['check', TRACE, '-e', GRAPH, '--kernel-release', ''], 2, '--kernel-release ""'],
  ['check: stdin twice', ['check', '-', '-e', '-'], 2, 'standard input (-) can be read once'],
  ['list: a folder', ['list', dir], 2, `${dir} is a folder`],
  ['list: /dev/zero', ['list', '/dev/zero'], 2, '/dev/zero is more than 1.0 MiB'],
  ['list: a 3 GiB sparse file', ['list', sparse], 2, `${sparse} is 3.0 GiB`],
  ['list: an expected graph as a scenario', ['list', GRAPH], 2, 'looks like an expected-graph file'],
  ['report: a folder without results', ['report', dir], 2, 'results.json: cannot read results'],
  ['report: /dev/zero', ['report', '/dev/zero'], 2, '/dev/zero is not a folder'],
  ['report: -o under /proc', ['report', SEED, '-o', '/proc/x.html'], 2, '/proc/x.html: it is under /proc'],
  ['report: -o a folder', ['report', SEED, '-o', dir], 2, `${dir}: it is a folder`],
  ['report: --json below a file', ['report', SEED, '--json', join(aFile, 'r.json')], 2, `${aFile} is a file, not a folder`],
  ['diff: a sparse file as a results folder', ['diff', sparse], 2, `${sparse} is not a folder`],
  ['diff: --html /proc/version', ['diff', SEED, '--kernels', 'debian:5.10,debian:6.1', '--html', '/proc/version'], 2, '/proc/version: it is under /proc'],
  ['export: to a folder', ['export', '--perfetto', TRACE, dir], 2, `${dir}: it is a folder`],
  ['export: to /proc', ['export', '--perfetto', TRACE, '/proc/x.json'], 2, 'it is under /proc'],
  ['export: /dev/zero', ['export', '--perfetto', '/dev/zero', at('x.json')], 2, '/dev/zero is a binary file'],
  ['export: no output chosen', ['export', TRACE, at('x.json')], 2, 'choose what to export'],
  ['merge: --out /proc/x', ['merge', SEED, '--out', '/proc/x'], 2, '/proc/x: it is under /proc'],
  ['merge: --out a file', ['merge', SEED, '--out', join(SEED, 'results.json')], 2, 'overlaps the input'],
  ['merge: --out a folder with other files', ['merge', SEED, '--out', notEmpty], 2, 'holds other files (notes.txt)'],
  ['merge: --out the repository (an input inside it)', ['merge', SEED, '--out', ROOT], 2, 'overlaps the input'],
  ['merge: a folder without results', ['merge', dir, '--out', at('merged-none')], 2, 'results.json: cannot read results'],
  ['run: -o under /proc', ['run', '-k', 'debian:6.1', '-s', 'pod-to-vip', '-o', '/proc/x'], 2, '/proc/x: it is under /proc'],
  ['run: /dev/zero as a scenario', ['run', '-k', 'debian:6.1', '-s', '/dev/zero', '-o', at('r1')], 2, '/dev/zero is more than 1.0 MiB'],
  ['run: a graph as a scenario', ['run', '-k', 'debian:6.1', '-s', GRAPH, '-o', at('r2')], 2, 'looks like an expected-graph file'],
  ['run: --cache-dir under /sys', ['run', '-k', 'debian:6.1', '-s', 'pod-to-vip', '-o', at('r3'), '--cache-dir', '/sys/x'], 2, '/sys/x: it is under /sys'],
  ['bisect-run: /dev/zero as a scenario stops the bisection', ['bisect-run', '-k', 'debian:6.1', '-s', '/dev/zero'], 128, '/dev/zero is more than 1.0 MiB'],
  ['bisect-run: -o under /proc stops the bisection', ['bisect-run', '-k', 'debian:6.1', '-s', 'pod-to-vip', '-o', '/proc/x'], 128, 'it is under /proc'],
  ['exec: --cache-dir under /proc', ['exec', '-k', 'debian:6.1', '--cache-dir', '/proc/x', '--', 'true'], 2, '/proc/x: it is under /proc'],
  ['selftest: -o under /proc', ['selftest', '-k', 'debian:6.1', '-o', '/proc/x'], 2, '/proc/x: it is under /proc'],
  ['kernels: --cache-dir under /proc', ['kernels', '--cache-dir', '/proc/x'], 2, '/proc/x: it is under /proc'],
  ['setup: --cache-dir under /proc', ['setup', '--cache-dir', '/proc/x'], 2, '/proc/x: it is under /proc'],
  ['module build: --cache-dir under /proc', ['module', 'build', '-k', 'debian:6.1', '--source', 'debian', '--cache-dir', '/proc/x'], 2, '/proc/x: it is under /proc'],
  ['module source: -o under /sys', ['module', 'source', '-k', 'debian:6.1', '-o', '/sys/ipvs'], 2, '/sys/ipvs: it is under /sys'],
  ['module source: -o a file', ['module', 'source', '-k', 'debian:6.1', '-o', aFile], 2, `${aFile}: it is a file, not a folder`],
];

describe('every subcommand refuses hostile inputs with the right exit code and one paragraph', () => {
  it.each(cases)('%s', async (_label, argv, code, names) => {
    const r = await run(...argv);
    expect(r.code, r.err).toBe(code);
    expectOneParagraph(r.err, names);
  });

  it('merge that fails half-way (a cell in two folders) leaves no output and no temporary folder', async () => {
    const copy = at('seed-copy');
    cpSync(SEED, copy, { recursive: true });
    const out = at('merged');
    const r = await run('merge', SEED, copy, '--out', out);
    expect(r.code).toBe(2);
    expectOneParagraph(r.err, 'is in both');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.startsWith('.merged'))).toEqual([]);
  });

  it.skipIf(process.getuid?.() === 0)('an output in a folder without write permission', async () => {
    const locked = at('locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const r = await run('export', '--perfetto', TRACE, join(locked, 'x.json'));
    chmodSync(locked, 0o700);
    expect(r.code).toBe(2);
    expectOneParagraph(r.err, 'permission denied');
  });
});

/** The real CLI with its stdout closed before it writes (what `| head -1` does to a long output). */
function withClosedStdout(argv: string[], stdin?: string): Promise<{ code: number | null; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.end(stdin ?? '');
    child.on('error', fail);
    child.on('close', (code) => done({ code, err }));
  });
}

describe('a closed stdout is the reader leaving, not an error: quiet, with the earned exit code', () => {
  const report = at('seed-for-report');
  cpSync(SEED, report, { recursive: true });
  it.each<[string, string[], number, string?]>([
    ['--help', ['--help'], 0],
    ['analyze', ['analyze', TRACE], 0],
    ['analyze - (standard input)', ['analyze', '-'], 0, 'TRACE'],
    ['list', ['list'], 0],
    ['check (the graph holds)', ['check', TRACE, '-e', GRAPH], 0],
    ['check (the graph does not hold)', ['check', join(ROOT, 'test', 'fixtures', 'traces', '5.10', 'host_vip.ftrace.txt'), '-e', GRAPH], 1],
    ['diff', ['diff', SEED, '--kernels', 'debian:5.10,debian:6.1'], 0],
    ['report', ['report', report], 0],
  ])('%s', async (_label, argv, code, stdin) => {
    const input = stdin === 'TRACE' ? (await import('node:fs')).readFileSync(TRACE, 'utf8') : undefined;
    const r = await withClosedStdout(argv, input);
    expect(r.err).toBe('');
    expect(r.code).toBe(code);
  }, 60_000);
});
