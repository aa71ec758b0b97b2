// The results folder: results.json (written atomically: temp file + rename, so a reader never sees
// half a file), and per kernel x scenario the raw trace, the commands run and the console log.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_VERSION, upgradeResults, type RunResults } from '../../analysis/report/results.ts';
import { ResultsFolderError } from '../errors.ts';
import { readInputTextSync } from '../inputs/read-input.ts';
import { writeOutputFile } from '../outputs/output-file.ts';

export { ResultsFolderError };

export function kernelSlug(spec: string): string {
  return spec.replace(/[^A-Za-z0-9._+-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'kernel';
}

export function cellDir(kernel: string, scenario: string): string {
  // Scenario names are already safe; `selftest:ipvs.sh` becomes `selftest-ipvs.sh`.
  return join(kernelSlug(kernel), scenario.replace(/[^A-Za-z0-9._+-]+/g, '-'));
}

/** Temporary sibling + rename (harness/outputs/output-file.ts); `what` names the file in messages. */
export function writeAtomic(path: string, content: string | Buffer, what = 'output file'): void {
  writeOutputFile({ path, what }, content);
}

const MAX_RESULTS_BYTES = 256 * 2 ** 20;

export function readResults(dir: string): RunResults {
  const file = join(dir, 'results.json');
  const expected = 'expected the folder written by `ipvs-harness run --out <dir>`';
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ResultsFolderError(`${dir} is not a folder; ${expected}`);
  if (!existsSync(file)) throw new ResultsFolderError(`${file}: cannot read results (no such file); ${expected}`);
  const text = readInputTextSync({ path: file, what: 'results file', expected: 'results.json as `ipvs-harness run` writes it', maxBytes: MAX_RESULTS_BYTES, limitWhy: 'results files are a few MiB' });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ResultsFolderError(`${file}: cannot read results (${(err as Error).message}); ${expected}`);
  }
  const version = (data as { version?: unknown } | null)?.version;
  if (version === RESULTS_VERSION) return data as RunResults;
  // Format 1 stored each graph's verdict without the calls it matched: still rendered, without them.
  if (version === 1 || version === 2) return upgradeResults(data as RunResults);
  throw new ResultsFolderError(`${file}: version: results format ${JSON.stringify(version)} is not supported; this ipvs-harness reads formats 1 to ${RESULTS_VERSION}${typeof version === 'number' && version > RESULTS_VERSION ? ' (written by a newer ipvs-harness: upgrade it)' : ''}`);
}
