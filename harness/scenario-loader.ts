// Finds and loads scenarios: the seed suite shipped under scenarios/seed, or files named by path
// (`-` is standard input). Files are read with a size limit; an expected-graph file given in place
// of a scenario is named as such.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MAX_YAML_CHARS } from '../analysis/yaml-input.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import { parseScenario } from '../scenarios/parse-scenario.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { inputError, UnknownScenarioError } from './errors.ts';
import { GRAPH_GIVEN_AS_SCENARIO, yamlFileKind } from './inputs/file-kinds.ts';
import { inputName, readInputTextSync, STDIN_PATH } from './inputs/read-input.ts';
import { cachedSeedScenario, SEED_DIR, seedFiles, writeSeedCache } from './seed-cache.ts';

export { SEED_DIR, UnknownScenarioError };

export interface LoadedScenario {
  scenario: Scenario;
  file: string;
}

/** Reads and validates one scenario file (`name` is how messages call it); ScenarioError lists every problem with its line. */
export function loadScenarioFile(file: string, name = inputName(file)): LoadedScenario {
  const text = readInputTextSync({ path: file, what: 'scenario file', code: 'SCENARIO_UNREADABLE', expected: 'a scenario (.yaml, docs/scenarios.md)', maxBytes: MAX_YAML_CHARS, limitWhy: 'scenario files are a few KiB' });
  try {
    return { scenario: parseScenario(text, name), file };
  } catch (err) {
    if (err instanceof ScenarioError && yamlFileKind(text) === 'graph') {
      throw new ScenarioError(name, [{ path: [], message: GRAPH_GIVEN_AS_SCENARIO }, ...err.issues]);
    }
    throw err;
  }
}

export function seedScenarios(dir = SEED_DIR): LoadedScenario[] {
  return seedFiles(dir).map((f) => {
    const file = join(dir, f);
    if (dir === SEED_DIR) {
      const cached = cachedSeedScenario(f, readFileSync(file, 'utf8'));
      if (cached) return { scenario: cached, file };
    }
    return loadScenarioFile(file);
  });
}

/** For the build: the seed suite parsed now, stored beside the compiled CLI (harness/seed-cache.ts). */
export function buildSeedCache(): number {
  const scenarios = seedFiles(SEED_DIR).map((fileName) => {
    const text = readFileSync(join(SEED_DIR, fileName), 'utf8');
    return { fileName, text, scenario: loadScenarioFile(join(SEED_DIR, fileName)).scenario };
  });
  writeSeedCache(scenarios);
  return scenarios.length;
}

/** A selector that names a file rather than a seed scenario. */
export const isScenarioPath = (sel: string): boolean => sel === STDIN_PATH || sel.endsWith('.yaml') || sel.endsWith('.yml') || sel.includes('/');

/** `--scenario` values: names from the seed suite or paths to files; none = the whole seed suite. */
export function selectScenarios(selectors: readonly string[], dir = SEED_DIR): LoadedScenario[] {
  if (selectors.length > 0 && selectors.every(isScenarioPath)) return loadScenarioFiles(selectors);
  const seed = seedScenarios(dir);
  if (selectors.length === 0) return seed;
  return selectors.map((sel) => {
    if (isScenarioPath(sel)) return loadScenarioFiles([sel])[0]!;
    const found = seed.find((l) => l.scenario.name === sel);
    if (!found) throw new UnknownScenarioError(sel, seed.map((l) => l.scenario.name));
    return found;
  });
}

/** Every file is read and validated before one error lists the problems of all of them. */
function loadScenarioFiles(paths: readonly string[]): LoadedScenario[] {
  const loaded: LoadedScenario[] = [];
  const failed: ScenarioError[] = [];
  for (const p of paths) {
    try {
      loaded.push(loadScenarioFile(p === STDIN_PATH ? p : resolve(p), inputName(p)));
    } catch (err) {
      if (err instanceof ScenarioError && paths.length > 1) failed.push(err);
      else throw err;
    }
  }
  if (failed.length === 1) throw failed[0]!;
  if (failed.length > 1) throw inputError('SCENARIO_INVALID', failed.map((f) => f.message).join('\n'));
  return loaded;
}
