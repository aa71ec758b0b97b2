// Mutations of real line-oriented inputs (captures, scenario YAML): what damaged files look like.
import fc from 'fast-check';

export type LineMutation =
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'duplicate'; at: number; len: number }
  | { kind: 'swap'; at: number; to: number }
  | { kind: 'cut'; at: number; pos: number }
  | { kind: 'insert-text'; at: number; pos: number; text: string }
  | { kind: 'borrow'; at: number; line: string };

/** Up to 8 mutations; `borrow` inserts a line taken from `pool` (e.g. another kernel's capture). */
export function lineMutations(pool: readonly string[]): fc.Arbitrary<LineMutation[]> {
  const at = fc.nat();
  const m: fc.Arbitrary<LineMutation> = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), at, len: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ kind: fc.constant('duplicate' as const), at, len: fc.integer({ min: 1, max: 10 }) }),
    fc.record({ kind: fc.constant('swap' as const), at, to: fc.nat() }),
    fc.record({ kind: fc.constant('cut' as const), at, pos: fc.nat(160) }),
    fc.record({ kind: fc.constant('insert-text' as const), at, pos: fc.nat(160), text: fc.string({ maxLength: 12, unit: 'binary' }) }),
    fc.record({ kind: fc.constant('borrow' as const), at, line: fc.constantFrom(...(pool.length > 0 ? pool : [''])) }),
  );
  return fc.array(m, { maxLength: 8 });
}

export function mutateLines(lines: readonly string[], muts: readonly LineMutation[]): string[] {
  const out = [...lines];
  for (const m of muts) {
    if (out.length === 0) out.push('');
    const at = m.at % out.length;
    switch (m.kind) {
      case 'delete':
        out.splice(at, m.len);
        break;
      case 'duplicate':
        out.splice(at, 0, ...out.slice(at, at + m.len));
        break;
      case 'swap': {
        const to = m.to % out.length;
        [out[at], out[to]] = [out[to]!, out[at]!];
        break;
      }
      case 'cut':
        out[at] = out[at]!.slice(0, m.pos);
        break;
      case 'insert-text':
        out[at] = out[at]!.slice(0, m.pos) + m.text + out[at]!.slice(m.pos);
        break;
      case 'borrow':
        out.splice(at, 0, m.line);
        break;
    }
  }
  return out;
}
