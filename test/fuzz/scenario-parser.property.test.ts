// Property tests of the scenario validator: random, mutated-real (seed scenarios) and truncated YAML,
// and seed scenarios with any field replaced by any JSON value, give a Scenario or a ScenarioError
// listing its issues (path, message, line) — never a TypeError, RangeError or a crash.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../scenarios/errors.ts';
import { defineScenario, parseScenario } from '../../scenarios/parse-scenario.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import { lineMutations, mutateLines } from './mutations.ts';
import { fieldPaths, setAt } from './object-paths.ts';

const seedDir = join(import.meta.dirname, '..', '..', 'scenarios', 'seed');
const seedTexts = readdirSync(seedDir).filter((f) => f.endsWith('.yaml')).sort().map((f) => readFileSync(join(seedDir, f), 'utf8'));
const seedLines = seedTexts.map((t) => t.split('\n'));
const seedObjects = seedTexts.map((t) => parseYaml(t) as Record<string, unknown>);

type Outcome = { ok: true; scenario: Scenario } | { ok: false; error: ScenarioError };

/** The documented results: a Scenario, or a ScenarioError with at least one well-formed issue. */
function judged(run: () => Scenario): Outcome {
  try {
    return { ok: true, scenario: run() };
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    expect(err.issues.length).toBeGreaterThan(0);
    for (const i of err.issues) {
      expect(Array.isArray(i.path) && i.path.every((p) => typeof p === 'string' || typeof p === 'number')).toBe(true);
      expect(typeof i.message).toBe('string');
      expect(i.message.length).toBeGreaterThan(0);
      if (i.line !== undefined) expect(Number.isInteger(i.line) && i.line >= 1).toBe(true);
    }
    return { ok: false, error: err };
  }
}

const parse = (text: string) => judged(() => parseScenario(text, 'fuzz.yaml'));

// YAML-ish pieces: indicators, anchors and aliases, tags, flow collections, scalars of every kind.
const yamlPiece = fc.constantFrom(
  'version: 1\n', 'name: x\n', 'steps:\n', '  - ', '- ', '{', '}', '[', ']', ', ', ': ', '&a ', '*a', '*b', '!!binary ', '!!set ', '!!map ', '!<tag:x> ', '? ', '|\n', '>-\n',
  '"', "'", '# c\n', '---\n', '...\n', '<<: ', 'null', '~', '.inf', '-.nan', '0x1F', '1e400', '-0', 'true', '\t', '\n', '  ', '%YAML 1.2\n', '\u2028', '\ufeff',
);

describe('parseScenario: only a Scenario or a ScenarioError', () => {
  it('random text (2000 cases)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (t) => void parse(t)), { numRuns: 2000 });
  });

  it('YAML-ish text: anchors, aliases, tags, flow and block collections (2000 cases)', () => {
    fc.assert(fc.property(fc.array(yamlPiece, { maxLength: 40 }), (pieces) => void parse(pieces.join(''))), { numRuns: 2000 });
  });

  it('any JSON value as the document (1000 cases)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => void parse(JSON.stringify(v))), { numRuns: 1000 });
  });

  it('mutated seed scenarios, whole and cut at any character (1000 cases)', () => {
    fc.assert(
      fc.property(fc.nat(seedLines.length - 1), lineMutations(seedLines.flat()), fc.double({ min: 0, max: 1, noNaN: true }), (which, muts, frac) => {
        const text = mutateLines(seedLines[which]!, muts).join('\n');
        parse(text);
        parse(text.slice(0, Math.floor(text.length * frac)));
      }),
      { numRuns: 1000 },
    );
  });

  it('seed scenarios with one field (or a whole subtree) replaced by any JSON value, as YAML and as objects (600 cases)', () => {
    const paths = seedObjects.map((o) => fieldPaths(o));
    fc.assert(
      fc.property(fc.nat(seedObjects.length - 1), fc.nat(), fc.jsonValue({ maxDepth: 3 }), (which, pick, value) => {
        const all = paths[which]!;
        const changed = setAt(seedObjects[which]!, all[pick % all.length]!, value);
        parse(stringify(changed));
        judged(() => defineScenario(changed as never));
      }),
      { numRuns: 600 },
    );
  });

  it('hostile shapes end in a ScenarioError naming the problem, quickly', () => {
    const cases: [string, RegExp][] = [
      ['['.repeat(50_000) + ']'.repeat(50_000), /nested deeper than 64 levels/],
      [Array.from({ length: 900 }, (_, i) => `${' '.repeat(i)}k:`).join('\n'), /nested deeper than 64 levels/],
      ['- '.repeat(5000) + 'x', /nested deeper than 64 levels/],
      ['a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n', /alias/i],
      ['version: 1\nname: *nowhere\n', /fuzz\.yaml:2: .*Unresolved alias/],
      [`version: 1\nname: ${'a'.repeat(2_000_000)}\n`, /file too large/],
    ];
    for (const [text, message] of cases) {
      const r = parse(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(message);
    }
  });

  it('every seed scenario still validates (the limits do not touch real files)', () => {
    for (const t of seedTexts) expect(parse(t).ok).toBe(true);
  });
});
