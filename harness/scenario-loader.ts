// Finds and loads scenarios: the seed suite shipped under scenarios/seed, or files named by path.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario } from '../scenarios/parse-scenario.ts';
import type { Scenario } from '../scenarios/schema.ts';

export const SEED_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios', 'seed');

export interface LoadedScenario {
  scenario: Scenario;
  file: string;
}

export class UnknownScenarioError extends Error {
  readonly code = 'SCENARIO_UNKNOWN';
  readonly exitCode = 2;
  constructor(name: string, known: string[]) {
    super(`unknown scenario "${name}"; known: ${known.join(', ')} (or give a path to a .yaml file)`);
    this.name = 'UnknownScenarioError';
  }
}

export function loadScenarioFile(file: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw Object.assign(new Error(`${file}: cannot read scenario file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`), { code: 'SCENARIO_UNREADABLE', exitCode: 2 });
  }
  return { scenario: parseScenario(text, file), file };
}

export function seedScenarios(dir = SEED_DIR): LoadedScenario[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => loadScenarioFile(join(dir, f)));
}

/** `--scenario` values: names from the seed suite or paths to files; none = the whole seed suite. */
export function selectScenarios(selectors: readonly string[], dir = SEED_DIR): LoadedScenario[] {
  const seed = seedScenarios(dir);
  if (selectors.length === 0) return seed;
  return selectors.map((sel) => {
    if (sel.endsWith('.yaml') || sel.endsWith('.yml') || sel.includes('/')) {
      const path = resolve(sel);
      if (!existsSync(path)) throw Object.assign(new Error(`scenario file ${sel} does not exist; expected a path to a .yaml scenario`), { code: 'SCENARIO_UNREADABLE', exitCode: 2 });
      return loadScenarioFile(path);
    }
    const found = seed.find((l) => l.scenario.name === sel);
    if (!found) throw new UnknownScenarioError(sel, seed.map((l) => l.scenario.name));
    return found;
  });
}
