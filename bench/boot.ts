// bench:boot — per default kernel: (a) a bare boot (busybox init that powers off at once; QEMU spawn →
// exit) and (b) the `exec -- true` round trip (bootGuest + exec + powerOff), several times each.
// Prints medians, stage timings, each kernel's b-a (what our boot adds, in seconds), then
// `boot-overhead: <max b-a>` and last `boot-ratio: <max over kernels of b/a>` (issue 16's target: <= 1.25).
import { bootGuest } from '../vm/guest.ts';
import { runBareBoot } from '../vm/bare-boot.ts';
import { defaultCacheDir } from '../vm/cache-dir.ts';
import { buildGuestImage } from '../vm/initramfs.ts';
import { DEFAULT_KERNEL_SPECS } from '../vm/kernel-spec.ts';
import { resolveKernel } from '../vm/resolve-kernel.ts';
import type { BootTimings } from '../vm/guest.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const cacheDir = defaultCacheDir();

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

async function main(): Promise<void> {
  const specs = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT_KERNEL_SPECS;
  const ratios: number[] = [];
  const overheads: number[] = [];
  for (const spec of specs) {
    const kernel = await resolveKernel(spec, { cacheDir });
    await buildGuestImage(kernel, { cacheDir }); // warm the image cache outside the measurement
    // Interleaved (a, b, a, b, ...): a change in machine load hits both series alike.
    const bare: number[] = [];
    const trips: number[] = [];
    const timings: BootTimings[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await runBareBoot(kernel, { cacheDir });
      if (!r.reachedInit) throw new Error(`bare boot of ${spec} did not reach init:\n${r.consoleLines.slice(-20).join('\n')}`);
      bare.push(r.durationMs);
      const started = performance.now();
      const guest = await bootGuest({ kernel, cacheDir });
      const result = await guest.exec('true', { timeoutMs: 30_000 });
      await guest.powerOff();
      if (result.exitCode !== 0) throw new Error(`exec true on ${spec} exited ${result.exitCode}`);
      trips.push(performance.now() - started);
      timings.push(guest.bootTimings);
    }
    const a = median(bare);
    const b = median(trips);
    ratios.push(b / a);
    const stageNames = ['kernel-start', 'init-start', 'modules-loaded', 'network-up', 'ssh-ready'] as const;
    const stages = stageNames.map((s) => `${s} ${sec(median(timings.map((t) => t.stages[s] ?? NaN)))}`).join(', ');
    process.stdout.write(
      `${spec} (${kernel.release}):\n` +
        `  (a) bare boot      median ${sec(a)}  runs ${bare.map(sec).join(' ')}\n` +
        `  (b) exec -- true   median ${sec(b)}  runs ${trips.map(sec).join(' ')}\n` +
        `  stages since QEMU start (median): ${stages}\n` +
        `  host side (median): image ${Math.round(median(timings.map((t) => t.imageMs)))} ms, ssh connect ${Math.round(median(timings.map((t) => t.sshConnectMs)))} ms\n` +
        `  b/a ${(b / a).toFixed(2)} (fastest runs: ${(Math.min(...trips) / Math.min(...bare)).toFixed(2)}; on a busy host the medians wander)\n` +
        `  b-a ${sec(b - a)}: what our boot adds to the bare one (does not move when the kernel's own start gets cheaper)\n`,
    );
    overheads.push(b - a);
  }
  process.stdout.write(`boot-overhead: ${sec(Math.max(...overheads))} (max over kernels of b-a)\n`);
  process.stdout.write(`boot-ratio: ${Math.max(...ratios).toFixed(2)}\n`);
}

await main();
