// The results folder: results.json (written atomically: temp file + rename, so a reader never sees
// half a file), and per kernel x scenario the raw trace, the commands run and the console log.
import { mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RESULTS_VERSION, upgradeResults, type RunResults } from '../../analysis/report/results.ts';

export function kernelSlug(spec: string): string {
  return spec.replace(/[^A-Za-z0-9._+-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'kernel';
}

export function cellDir(kernel: string, scenario: string): string {
  // Scenario names are already safe; `selftest:ipvs.sh` becomes `selftest-ipvs.sh`.
  return join(kernelSlug(kernel), scenario.replace(/[^A-Za-z0-9._+-]+/g, '-'));
}

export function writeAtomic(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export class ResultsFolderError extends Error {
  readonly code = 'RESULTS_INVALID';
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'ResultsFolderError';
  }
}

export function readResults(dir: string): RunResults {
  const file = join(dir, 'results.json');
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ResultsFolderError(`${file}: cannot read results (${why}); expected the folder written by \`ipvs-harness run --out <dir>\``);
  }
  const version = (data as { version?: unknown }).version;
  if (version === RESULTS_VERSION) return data as RunResults;
  // Format 1 stored each graph's verdict without the calls it matched: still rendered, without them.
  if (version === 1) return upgradeResults(data as RunResults);
  throw new ResultsFolderError(`${file}: version: results format ${JSON.stringify(version)} is not supported; this ipvs-harness reads formats 1 and ${RESULTS_VERSION}${typeof version === 'number' && version > RESULTS_VERSION ? ' (written by a newer ipvs-harness: upgrade it)' : ''}`);
}
