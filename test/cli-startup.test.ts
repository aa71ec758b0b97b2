// The CLI starts fast because `ipvs-harness <anything>` loads only the command definitions and what
// their help needs; the work of a command (the analyzer, the YAML parser, QEMU and SSH clients, the
// report renderers) is imported inside its action. This walks the static imports from bin's entry
// point and fails when a heavy module slips into them (`npm run bench:cli` measures the time).
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../scenarios/parse-scenario.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Modules of ours that every start may load: small, and no third-party module but commander. */
const START_MODULES = new Set([
  'harness/cli.ts',
  'harness/commands/index.ts',
  'harness/errors.ts',
  'harness/exit-codes.ts',
  'harness/file-errors.ts',
  'harness/inputs/trace-formats.ts',
  'harness/interrupt.ts',
  'harness/package-root.ts',
  'harness/stdio.ts',
  'harness/version.ts',
  'vm/debian-archive.ts',
  'vm/errors.ts',
  'vm/host-packages.ts',
  'vm/kernel-spec.ts',
  'vm/shell-quote.ts',
]);

/** Static, value-level imports (not `import type`, not `await import()`). */
function staticImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)';/gms)) specs.push(m[1]!);
  for (const m of text.matchAll(/^export\s+(?!type\b)[^;]*?from\s+'([^']+)';/gms)) specs.push(m[1]!);
  return specs;
}

/** From bin's entry point and every command file (the top-level help loads them all). */
function startGraph(): { ours: Set<string>; packages: Set<string> } {
  const ours = new Set<string>();
  const packages = new Set<string>();
  const commandFiles = readdirSync(join(ROOT, 'harness', 'commands')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => `harness/commands/${f}`);
  const queue = ['harness/cli.ts', ...commandFiles];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (ours.has(file)) continue;
    ours.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) queue.push(relative(ROOT, resolve(ROOT, dirname(file), spec)));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  }
  return { ours, packages };
}

describe('what every CLI start loads', () => {
  it('only the command definitions and light modules; commander the only package', () => {
    const { ours, packages } = startGraph();
    const commands = [...ours].filter((f) => f.startsWith('harness/commands/'));
    expect(commands.length).toBeGreaterThan(10);
    expect([...ours].filter((f) => !START_MODULES.has(f) && !f.startsWith('harness/commands/'))).toEqual([]);
    expect([...packages]).toEqual(['commander']);
  });

  it('every command file is in the table of commands (loaded by name, or all for the help)', () => {
    const table = readFileSync(join(ROOT, 'harness', 'commands', 'index.ts'), 'utf8');
    const files = readdirSync(join(ROOT, 'harness', 'commands')).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.test.ts'));
    expect(files.filter((f) => !table.includes(`import('./${f}')`))).toEqual([]);
  });
});

describe('the seed cache of the build (harness/seed-cache.ts)', () => {
  it('serves exactly what parsing gives: every seed scenario survives JSON unchanged', () => {
    const dir = join(ROOT, 'scenarios', 'seed');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const parsed = parseScenario(readFileSync(join(dir, f), 'utf8'), f);
      expect(isDeepStrictEqual(JSON.parse(JSON.stringify(parsed)), parsed), f).toBe(true);
    }
  });
});
