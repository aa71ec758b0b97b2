// The seed suite parsed once, when dist/ is built: `ipvs-harness list` (and every command that reads
// the seed suite) then skips parsing eleven YAML files at every start, which costs more than the rest
// of the start together. An entry is used only when the file's content hash matches, and only by the
// compiled CLI (the cache sits beside it in dist/, built by the same parser and schema), so an
// edited scenario or a changed parser is never served from the cache.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../scenarios/schema.ts';
import { packageRoot } from './package-root.ts';

export const SEED_DIR = join(packageRoot(), 'scenarios', 'seed');

export const seedFiles = (dir = SEED_DIR): string[] => readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

const CACHE_URL = new URL('../seed-scenarios.json', import.meta.url);
const CACHE_FORMAT = 'ipvs-harness/seed-cache';

interface SeedCache {
  format: typeof CACHE_FORMAT;
  entries: Record<string, { sha256: string; scenario: Scenario }>;
}

export const contentHash = (text: string): string => createHash('sha256').update(text).digest('hex');

let loaded: SeedCache | null | undefined;

function cache(): SeedCache | null {
  if (loaded !== undefined) return loaded;
  try {
    const data = JSON.parse(readFileSync(CACHE_URL, 'utf8')) as SeedCache;
    loaded = data.format === CACHE_FORMAT ? data : null;
  } catch {
    loaded = null; // running from the sources, or not built: parse as usual
  }
  return loaded;
}

/** The parsed scenario of a seed file whose text is unchanged since the build, else null. */
export function cachedSeedScenario(fileName: string, text: string): Scenario | null {
  const entry = cache()?.entries[fileName];
  return entry !== undefined && entry.sha256 === contentHash(text) ? structuredClone(entry.scenario) : null;
}

/** Called by the build (scripts/build.mjs) through the compiled module. */
export function writeSeedCache(scenarios: ReadonlyArray<{ fileName: string; text: string; scenario: Scenario }>): void {
  const entries: SeedCache['entries'] = {};
  for (const s of scenarios) entries[s.fileName] = { sha256: contentHash(s.text), scenario: s.scenario };
  writeFileSync(CACHE_URL, `${JSON.stringify({ format: CACHE_FORMAT, entries })}\n`);
}

/** The whole seed suite from the cache, or null when a file is new or changed (then parse it). */
export function cachedSeedSuite(): Array<{ scenario: Scenario; file: string }> | null {
  if (cache() === null) return null;
  const out: Array<{ scenario: Scenario; file: string }> = [];
  for (const f of seedFiles()) {
    const file = join(SEED_DIR, f);
    const scenario = cachedSeedScenario(f, readFileSync(file, 'utf8'));
    if (scenario === null) return null;
    out.push({ scenario, file });
  }
  return out;
}
