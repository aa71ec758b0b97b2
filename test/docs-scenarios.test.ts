// docs/scenarios.md teaches the format by example, so every example must be true: each YAML block is
// extracted and validated the way `ipvs-harness list` validates a file. ```yaml scenario blocks are
// whole files; ```yaml steps and ```yaml graphs blocks replace the steps or graphs of the first
// scenario; a ```yaml invalid block must give exactly the problems of the ```text block after it.
// The blocks together must show every field the schema has, so the page grows with the format.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../harness/scenario-loader.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import { scenarioSchema, stepSchema } from '../scenarios/schema.ts';

const DOC = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'scenarios.md');
const tmp = mkdtempSync(join(tmpdir(), 'ipvs-docs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Block {
  kind: string;
  text: string;
  line: number;
}

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const re = /^```(\w+)(?: (\w+))?\n([\s\S]*?)^```$/gm;
  for (const m of markdown.matchAll(re)) {
    const line = markdown.slice(0, m.index).split('\n').length;
    out.push({ kind: m[1] === 'yaml' ? `yaml ${m[2] ?? ''}`.trim() : m[1]!, text: m[3]!, line });
  }
  return out;
}

const all = blocks(readFileSync(DOC, 'utf8'));
const yamlBlocks = all.filter((b) => b.kind.startsWith('yaml'));
const base = parse(yamlBlocks.find((b) => b.kind === 'yaml scenario')!.text) as Record<string, unknown>;

/** Validates a scenario text as `ipvs-harness list FILE` does; returns the problems, [] when valid. */
function listProblems(text: string, name: string): string[] {
  const file = join(tmp, name);
  writeFileSync(file, text);
  try {
    loadScenarioFile(file, name);
    return [];
  } catch (err) {
    if (err instanceof ScenarioError) return err.message.split('\n').slice(1).map((l) => l.trim());
    throw err;
  }
}

function asScenario(b: Block): string {
  if (b.kind === 'yaml scenario' || b.kind === 'yaml invalid') return b.text;
  const snippet = parse(b.text) as Record<string, unknown>;
  if (b.kind === 'yaml steps') return stringify({ ...base, steps: snippet['steps'], graphs: [] });
  if (b.kind === 'yaml graphs') return stringify({ ...base, graphs: snippet['graphs'] });
  throw new Error(`docs/scenarios.md:${b.line}: a yaml block needs a kind (scenario, steps, graphs or invalid), got "${b.kind}"`);
}

describe('docs/scenarios.md', () => {
  it('has a complete scenario first and marks every YAML block with what it is', () => {
    expect(yamlBlocks[0]!.kind).toBe('yaml scenario');
    for (const b of yamlBlocks) expect(['yaml scenario', 'yaml steps', 'yaml graphs', 'yaml invalid'], `line ${b.line}`).toContain(b.kind);
  });

  it.each(yamlBlocks.filter((b) => b.kind !== 'yaml invalid').map((b) => [`${b.kind} at line ${b.line}`, b] as const))('%s passes list', (label, b) => {
    expect(listProblems(asScenario(b), `block-${b.line}.yaml`), label).toEqual([]);
  });

  it('the invalid example gives exactly the problems shown under it', () => {
    const i = all.findIndex((b) => b.kind === 'yaml invalid');
    expect(i).toBeGreaterThanOrEqual(0);
    const shown = all[i + 1]!;
    expect(shown.kind).toBe('text');
    expect(listProblems(all[i]!.text, 'bad.yaml')).toEqual(shown.text.trimEnd().split('\n'));
  });

  it('shows every field of the format somewhere', () => {
    const scenarios = yamlBlocks.filter((b) => b.kind !== 'yaml invalid').map((b) => parse(asScenario(b)) as Record<string, unknown>);
    const steps = scenarios.flatMap((s) => (s['steps'] as Record<string, unknown>[]) ?? []);
    const keysOf = (objs: unknown[]) => new Set(objs.flatMap((o) => (o && typeof o === 'object' ? Object.keys(o) : [])));
    const shapeKeys = (schema: unknown): string[] => {
      let s = schema as { def?: { shape?: Record<string, unknown>; innerType?: unknown } };
      while (s.def?.innerType) s = s.def.innerType as typeof s;
      return Object.keys(s.def?.shape ?? {});
    };
    const stepShape = stepSchema.shape;
    const expectations: [string, string[], Set<string>][] = [
      ['scenario', shapeKeys(scenarioSchema), keysOf(scenarios)],
      ['step', shapeKeys(stepSchema), keysOf(steps)],
      ['connect', shapeKeys(stepShape.connect), keysOf(steps.map((s) => s['connect']))],
      ['send', shapeKeys(stepShape.send), keysOf(steps.map((s) => s['send']))],
      ['expect', shapeKeys(stepShape.expect), keysOf(steps.map((s) => s['expect']))],
      ['trace', shapeKeys(scenarioSchema.shape.trace), keysOf(scenarios.map((s) => s['trace']))],
    ];
    for (const [what, fields, shown] of expectations) {
      expect(fields.length, what).toBeGreaterThan(0);
      expect(fields.filter((f) => !shown.has(f)), `${what} fields without an example in docs/scenarios.md`).toEqual([]);
    }
  });
});
