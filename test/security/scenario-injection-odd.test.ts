// The string sweep of scenario-injection.test.ts over the odd seeds (split so the halves run side by side).
import { describe, it } from 'vitest';
import { checkEveryStringField, seeds } from './injection-helpers.ts';

describe('scenario string fields: hostile text is rejected or stays quoted (odd seeds)', () => {
  for (const { file, data } of seeds.filter((_, i) => i % 2 === 1)) {
    it(`${file}: every string field x every hostile value`, () => {
      checkEveryStringField(file, data);
      // Thousands of validations for the larger seeds: minutes on a loaded 2-core machine, not a hang.
    }, 180_000);
  }
});
