// `npm run bench:cli`: how long the CLI takes to start, against Node itself.
//
// Builds dist/ when a source is newer (the CLI then runs compiled JavaScript), then times, each in
// its own process and interleaved so that machine noise hits both alike, `node -e 0` and
// `ipvs-harness --help`, plus `list` and `analyze` on a small trace. Prints the median wall times and
// `cli-ratio: <--help median / node -e 0 median>` as the last line.
//
//   npm run bench:cli -- [--runs 15]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'ipvs-harness.js');
const trace = join(root, 'test', 'fixtures', 'traces', '5.10', 'host_vip.ftrace.txt');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 15;

execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], { stdio: 'inherit' });

const cases: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'ipvs-harness --help': [bin, '--help'],
  'ipvs-harness list': [bin, 'list'],
  'ipvs-harness analyze <small trace>': [bin, 'analyze', trace],
};

const times = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(cases)) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr.toString()}`);
    times.get(name)!.push(ms);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

console.log(`${runs} runs each, interleaved; ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(2)}`);
for (const [name, xs] of times) console.log(`${name.padEnd(36)} median ${median(xs).toFixed(0).padStart(5)} ms   min ${Math.min(...xs).toFixed(0).padStart(5)} ms`);
const node = median(times.get('node -e 0')!);
console.log(`cli-ratio: ${(median(times.get('ipvs-harness --help')!) / node).toFixed(2)}`);
