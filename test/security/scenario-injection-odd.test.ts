// The string sweep of scenario-injection.test.ts over the odd seeds (split so the halves run side by side).
import { describe, expect, it } from 'vitest';
import { stringPaths, setAt } from '../fuzz/object-paths.ts';
import { HOSTILE, leaks, seeds, validate } from './injection-helpers.ts';

describe('scenario string fields: hostile text is rejected or stays quoted (odd seeds)', () => {
  for (const { file, data } of seeds.filter((_, i) => i % 2 === 1)) {
    it(`${file}: every string field x every hostile value`, () => {
      const accepted: string[] = [];
      for (const path of stringPaths(data)) {
        for (const value of HOSTILE) {
          const r = validate(setAt(data, path, value));
          if (!r.ok) continue;
          accepted.push(`${path.join('.')}=${JSON.stringify(value.slice(0, 30))}`);
          expect(leaks(r.scenario, value), `${file} ${path.join('.')}`).toEqual([]);
          // Nothing absurd gets through: the longest accepted text is a few KiB (description).
          expect(value.length, `${file} ${path.join('.')} accepted ${value.length} characters`).toBeLessThanOrEqual(4000);
        }
      }
      // Only free-text fields may accept metacharacters (payloads, replies, summaries, labels).
      for (const a of accepted) expect(a, 'hostile text accepted in a field that is not free text').toMatch(/^(summary|description|kubernetes)=|\.(payload|reply)=|^graphs\.\d+\.(label|name)=/);
      // Thousands of validations for the larger seeds: minutes on a loaded 2-core machine, not a hang.
    }, 180_000);
  }
});
