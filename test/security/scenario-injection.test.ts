// Security of scenario files: every string field of every seed scenario, set to text with shell
// metacharacters, path traversal or absurd sizes, is either rejected by validation or reaches the
// guest's shell only inside single quotes. Same for numbers: absurd values are rejected, or reach the
// shell as plain decimal numbers. Checked on every command plan the runner sends to a guest.
// The string sweep is split over two files (the odd seeds: scenario-injection-odd.test.ts) so that
// vitest runs the halves side by side.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldPaths, getAt, setAt, stringPaths, type FieldPath } from '../fuzz/object-paths.ts';
import { allScripts, checkEveryStringField, commandPlans, HOSTILE, leaks, M, seeds, validate, validateYaml } from './injection-helpers.ts';

describe('scenario string fields: hostile text is rejected or stays quoted', () => {
  for (const { file, data } of seeds.filter((_, i) => i % 2 === 0)) {
    it(`${file}: every string field x every hostile value`, () => {
      checkEveryStringField(file, data);
      // Thousands of validations for the larger seeds: minutes on a loaded 2-core machine, not a hang.
    }, 180_000);
  }

  // A connection kept open runs from a script file written with printf: its payload is quoted twice
  // (in the script, and the script in the command). Seed files leave the payload at its default.
  it('a held connection (keepOpen, finish) keeps a hostile payload quoted at both levels', () => {
    const seed = seeds.find((x) => x.file === 'graceful-termination.yaml')!;
    const held = (seed.data['steps'] as { connect?: { keepOpen?: boolean } }[]).findIndex((st) => st.connect?.keepOpen);
    expect(held).toBeGreaterThanOrEqual(0);
    for (const value of HOSTILE) {
      const r = validate(setAt(seed.data, ['steps', held, 'connect', 'payload'], value));
      if (!r.ok) continue;
      expect(leaks(r.scenario, value), JSON.stringify(value.slice(0, 30))).toEqual([]);
    }
  });

  it('setWeight, removeRealServer and finish take only validated shapes (endpoints, names)', () => {
    const seed = seeds.find((x) => x.file === 'endpoint-removed.yaml')!;
    const steps = seed.data['steps'] as Record<string, unknown>[];
    const remove = steps.findIndex((st) => st['removeRealServer'] !== undefined);
    const finish = steps.findIndex((st) => st['finish'] !== undefined);
    for (const value of HOSTILE) {
      expect(validate(setAt(seed.data, ['steps', remove, 'removeRealServer', 'realServer'], value)).ok).toBe(false);
      expect(validate(setAt(seed.data, ['steps', remove, 'removeRealServer', 'service'], value)).ok).toBe(false);
      expect(validate(setAt(seed.data, ['steps', finish, 'finish'], value)).ok).toBe(false);
    }
  });

  // Through the file format: what YAML makes of the text is what the schema and the quoting see.
  it('random strings in random string fields, written to YAML and read back (1000 cases)', () => {
    const paths = seeds.map((s) => stringPaths(s.data));
    const text = fc.string({ maxLength: 60, unit: 'binary' }).map((t) => `${M}${t}${M}`);
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.nat(), text, (which, pick, value) => {
        const all = paths[which]!;
        const r = validateYaml(setAt(seeds[which]!.data, all[pick % all.length]!, value));
        if (r.ok) expect(leaks(r.scenario, value)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('scenario numbers: absurd values are rejected or reach the shell as plain decimals', () => {
  const ABSURD = [-1, 0, 0.5, 1e-7, 65536, 1e9, 2 ** 53 + 2, 1e21, 1e308, -1e308];
  for (const { file, data } of seeds) {
    it(`${file}: every number field x every absurd value`, () => {
      const numberPaths = fieldPaths(data).filter((p: FieldPath) => typeof getAt(data, p) === 'number');
      for (const path of numberPaths) {
        for (const value of ABSURD) {
          const r = validate(setAt(data, path, value));
          if (!r.ok) continue;
          for (const script of allScripts(commandPlans(r.scenario))) {
            expect(script, `${file} ${path.join('.')}=${value}`).not.toMatch(/\d[eE][-+]?\d|Infinity|NaN/);
          }
        }
      }
    });
  }
});
