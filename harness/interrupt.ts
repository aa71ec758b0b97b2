// SIGINT / SIGTERM become an AbortSignal: the runner stops at the next wait, powers guests off,
// removes temp folders and still writes its results. A second signal exits at once.
import { EXIT } from './exit-codes.ts';

export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(EXIT.interrupted);
    process.stderr.write(`\n${sig}: stopping (guests are powered off, results written); press Ctrl-C again to exit at once\n`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
