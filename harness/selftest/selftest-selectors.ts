// `run -s selftest:ipvs.sh`: the scenario selectors that name kernel selftests become guest cells
// after the scenarios; the rest stay scenario selectors.
import { UsageError } from '../errors.ts';
import type { GuestCell } from '../run/guest-cell.ts';
import { selftestCell, type SelftestCellOptions } from './selftest-cell.ts';
import { isSelftestSelector, KNOWN_SELFTESTS, parseSelftestSelector, SELFTEST_PREFIX } from './selftest-layout.ts';

export function splitSelftestSelectors(selectors: readonly string[], cell: Omit<SelftestCellOptions, 'name'>): { scenarioSelectors: string[]; selftests: GuestCell[] } {
  const selftests: GuestCell[] = [];
  for (const sel of selectors.filter(isSelftestSelector)) {
    const name = parseSelftestSelector(sel);
    if (!name) throw new UsageError(`unknown selftest "${sel}"; known: ${KNOWN_SELFTESTS.map((n) => `${SELFTEST_PREFIX}${n}`).join(', ')}`);
    if (!selftests.some((c) => c.name === sel)) selftests.push(selftestCell({ ...cell, name }));
  }
  return { scenarioSelectors: selectors.filter((s) => !isSelftestSelector(s)), selftests };
}
