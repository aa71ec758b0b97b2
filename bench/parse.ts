// `npm run bench:parse`: parser throughput against `wc -l` on a >= 1 GiB function_graph file.
//
// Builds the file in bench/out/ (git-ignored) by repeating the real captures of test/fixtures/traces
// with rewritten time stamps, times `wc -l` and the streaming parser on it (each in its own process,
// best of a few runs: the 2-core machine is noisy), prints MB/s of both, the parser's peak RSS, and
// `parse-ratio: <parser MB/s / wc MB/s>` as the last line. The file is deleted afterwards (--keep keeps it).
//
//   npm run bench:parse -- [--size-mb 1100] [--runs 2] [--keep] [--file path]
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FunctionGraphParser } from '../analysis/function-graph-parser.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** One block: every capture once, headers dropped, time stamps as [prefix, seconds, rest] to rewrite. */
function loadBlock(): { lines: Array<string | [string, number, string]>; span: number } {
  const dir = join(root, 'test', 'fixtures', 'traces');
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ftrace.txt'))
    .sort();
  const lines: Array<string | [string, number, string]> = [];
  let min = Infinity;
  let max = 0;
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const m = /^(\s*)(\d+\.\d{6})( \|.*)$/.exec(line);
      if (m) {
        const t = Number(m[2]);
        min = Math.min(min, t);
        max = Math.max(max, t);
        lines.push([m[1]!, t, m[3]!]);
      } else lines.push(line);
    }
  }
  // Re-base the stamps so that each repetition continues after the previous one.
  for (const l of lines) if (typeof l !== 'string') l[1] -= min;
  return { lines, span: Math.ceil(max - min) + 1 };
}

function generate(file: string, bytes: number): void {
  const { lines, span } = loadBlock();
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, '# tracer: function_graph\n#\n#     TIME        CPU  TASK/PID         DURATION                  FUNCTION CALLS\n');
    let written = 0;
    for (let rep = 0; written < bytes; rep++) {
      const base = 1000 + rep * span;
      const out: string[] = [];
      for (const l of lines) {
        if (typeof l === 'string') out.push(l);
        else out.push(`${(base + l[1]).toFixed(6).padStart(12)}${l[2]}`); // "%5lu.%06lu" as ftrace prints it
      }
      const chunk = Buffer.from(`${out.join('\n')}\n`, 'latin1');
      writeSync(fd, chunk);
      written += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
}

/** Child mode: parse the file once, streaming, and report time, counts and peak RSS as JSON. */
async function parseOnce(file: string): Promise<void> {
  let roots = 0;
  let markers = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const parser = new FunctionGraphParser({ onRoot: () => void roots++, onMarker: () => void markers++ });
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) parser.pushBytes(chunk as Buffer);
  const trace = parser.finish();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rssKb = process.resourceUsage().maxRSS;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(`${JSON.stringify({ ms, cpuMs, lines: trace.lines, roots, markers, diagnostics: trace.diagnostics.length, rssKb })}\n`);
}

function timeWc(file: string): { ms: number; lines: number } {
  const t0 = performance.now();
  const r = spawnSync('wc', ['-l', file], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`wc -l failed: ${r.stderr}`);
  return { ms, lines: Number(r.stdout.trim().split(/\s+/)[0]) };
}

function timeParser(file: string): { ms: number; cpuMs: number; lines: number; roots: number; markers: number; diagnostics: number; rssKb: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--parse', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`parser run failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  if (process.argv.includes('--parse')) return parseOnce(arg('parse', ''));
  const sizeMb = Number(arg('size-mb', '1100'));
  const runs = Math.max(1, Number(arg('runs', '2')));
  const file = resolve(arg('file', join(here, 'out', 'function-graph-bench.txt')));
  const keep = process.argv.includes('--keep');
  const made = !existsSync(file) || statSync(file).size < sizeMb * 1e6;
  try {
    if (made) {
      const t0 = performance.now();
      generate(file, sizeMb * 1e6);
      process.stdout.write(`built ${relative(process.cwd(), file)} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    const size = statSync(file).size;
    const mb = size / 1e6;
    timeWc(file); // warm the page cache: both contenders read from memory
    const wc = Array.from({ length: runs + 1 }, () => timeWc(file)).sort((a, b) => a.ms - b.ms)[0]!;
    const parsed = Array.from({ length: runs }, () => timeParser(file)).sort((a, b) => a.ms - b.ms)[0]!;
    const wcRate = mb / (wc.ms / 1000);
    const parseRate = mb / (parsed.ms / 1000);
    process.stdout.write(`file: ${mb.toFixed(1)} MB, ${wc.lines.toLocaleString('en')} lines\n`);
    process.stdout.write(`wc -l: ${(wc.ms / 1000).toFixed(3)} s, ${wcRate.toFixed(0)} MB/s (best of ${runs + 1})\n`);
    process.stdout.write(
      `parser: ${(parsed.ms / 1000).toFixed(3)} s, ${parseRate.toFixed(0)} MB/s (best of ${runs}), ${parsed.lines.toLocaleString('en')} lines, ` +
        `${parsed.roots.toLocaleString('en')} roots, ${parsed.markers.toLocaleString('en')} markers, ${parsed.diagnostics} diagnostics\n`,
    );
    process.stdout.write(`parser CPU time: ${(parsed.cpuMs / 1000).toFixed(3)} s (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs: wall times are noisy)\n`);
    if (parsed.lines !== wc.lines) process.stdout.write(`warning: the parser read ${parsed.lines} lines, wc ${wc.lines}\n`);
    process.stdout.write(`peak RSS (parser process): ${(parsed.rssKb / 1024).toFixed(0)} MB\n`);
    process.stdout.write(`parse-ratio: ${(parseRate / wcRate).toFixed(3)}\n`);
  } finally {
    if (!keep && made) rmSync(file, { force: true });
  }
}

await main();
