// What each kernel of a diff could trace (results.json kernels[].traceable: the functions its trace
// filter selected). A call seen on one kernel only is then told apart:
//   - the newer kernel cannot trace it: the compiler inlined it there (or it left the text), cosmetic;
//     it is lifted away on both sides like a known inlinable helper, so its calls compare in place;
//   - the older kernel cannot trace it: a function new in the newer kernel's text, behaviour;
//   - the other kernel could trace it and did not call it: added or removed, behaviour.
// Both directions look alike in the traceable sets (a symbol only one kernel has); which kernel is
// newer decides, because kernels gain functions by new code and lose them to inlining far more often
// than the other way round. Without the sets (runs recorded before them) nothing is lifted and a
// call on one side only is added or removed, as before; the diff says so.
import { normaliseSymbol } from '../normalise.ts';
import { canonicalName } from './callgraph-summary.ts';

export type Side = 'a' | 'b';

export interface Traceability {
  known: Record<Side, boolean>;
  newer: Side;
  /** Whether `side` could trace `fn`; undefined when its set was not recorded. */
  canTrace(side: Side, fn: string): boolean | undefined;
  /** Traced on the older kernel and not traceable on the newer one: inlined there, lifted away. */
  inlinedOnNewer(fn: string): boolean;
  /** Why a call seen on `seenOn` only is a behaviour change (or null when nothing is known). */
  reason(seenOn: Side, fn: string, labels: Record<Side, string>): string | null;
  /** A sentence for the diff when a side's set is missing; null when both are known. */
  note(labels: Record<Side, string>): string | null;
}

function versionOf(release: string | null): number[] | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

/** 'a' when A's release is newer than B's, else 'b' (B is the candidate when releases are equal or unknown). */
export function newerSide(a: string | null, b: string | null): Side {
  const va = versionOf(a);
  const vb = versionOf(b);
  if (va === null || vb === null) return 'b';
  for (let i = 0; i < 3; i++) if (va[i] !== vb[i]) return va[i]! > vb[i]! ? 'a' : 'b';
  return 'b';
}

function nameSet(functions: readonly string[] | undefined): ReadonlySet<string> | undefined {
  if (functions === undefined) return undefined;
  const set = new Set<string>();
  for (const f of functions) {
    const n = normaliseSymbol(f);
    set.add(n);
    set.add(canonicalName(n));
  }
  return set;
}

export function traceability(a: { release: string | null; traceable?: readonly string[] | undefined }, b: { release: string | null; traceable?: readonly string[] | undefined }): Traceability {
  const sets: Record<Side, ReadonlySet<string> | undefined> = { a: nameSet(a.traceable), b: nameSet(b.traceable) };
  const newer = newerSide(a.release, b.release);
  const older: Side = newer === 'a' ? 'b' : 'a';
  const canTrace = (side: Side, fn: string): boolean | undefined => {
    const set = sets[side];
    return set === undefined ? undefined : set.has(fn) || set.has(canonicalName(fn));
  };
  return {
    known: { a: sets.a !== undefined, b: sets.b !== undefined },
    newer,
    canTrace,
    inlinedOnNewer: (fn) => canTrace(newer, fn) === false,
    reason(seenOn, fn, labels) {
      const other: Side = seenOn === 'a' ? 'b' : 'a';
      const can = canTrace(other, fn);
      if (can === undefined) return null;
      if (can) return `${labels[other]} could trace it and did not call it`;
      return other === older ? `new in ${labels[newer]}: ${labels[older]} has no traceable function of that name` : null;
    },
    note(labels) {
      const missing = (['a', 'b'] as const).filter((s) => sets[s] === undefined).map((s) => labels[s]);
      if (missing.length === 0) return null;
      const them = missing.length === 1 ? missing[0]! : 'either kernel';
      return `what ${missing.join(' and ')} could trace was not recorded (results from before kernels[].traceable): a call missing on ${them} counts as added or removed, even if ${missing.length === 1 ? 'that kernel' : 'the kernel'} inlines it`;
    },
  };
}
