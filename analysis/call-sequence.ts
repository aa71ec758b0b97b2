// The calls an expected path is matched against: a scope call's descendants in pre-order (document
// order). Two kinds of subtrees are left out by default, because they are not caused by the scope:
// nested hook calls (ip_vs_nat_xmit -> nf_hook_slow -> ip_vs_out_hook is another packet's hook, a
// role instance of its own: it appears in the sequence but is not searched into) and interrupts.
import type { CallStep } from './expected-graph-types.ts';
import { INLINABLE_HELPERS, SYMBOL_ALIASES } from './ipvs-symbols.ts';
import type { CallNode } from './model.ts';

export interface SequenceOptions {
  /** Search inside calls that started in an interrupt (default false). */
  includeIrq: boolean;
  /** Search inside nested hook calls (default false). */
  crossHooks: boolean;
  /** Functions that start a role instance. */
  hookFns: ReadonlySet<string>;
}

export interface SeqEntry {
  node: CallNode;
  /** A child of the scope call, possibly through helpers that some kernels inline. */
  direct: boolean;
}

const inlinable = new Set(INLINABLE_HELPERS);

export function isInlinable(fn: string): boolean {
  return inlinable.has(fn);
}

export class SequenceCache {
  private readonly cache = new Map<CallNode, SeqEntry[]>();
  private readonly names = new WeakMap<object, ReadonlySet<string>>();
  constructor(readonly options: SequenceOptions) {}

  of(scope: CallNode): SeqEntry[] {
    let seq = this.cache.get(scope);
    if (seq === undefined) {
      seq = flatten(scope, this.options);
      this.cache.set(scope, seq);
    }
    return seq;
  }

  /** The names a step matches, with the aliases the kernel traces them under (icmp_send -> __icmp_send). */
  namesOf(step: CallStep): ReadonlySet<string> {
    let set = this.names.get(step);
    if (set === undefined) {
      set = expandNames(step.names);
      this.names.set(step, set);
    }
    return set;
  }
}

export function expandNames(names: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const n of names) {
    set.add(n);
    // Own keys only: a call named `valueOf` or `constructor` is not an alias table entry (found by the fuzz tests).
    for (const a of Object.hasOwn(SYMBOL_ALIASES, n) ? SYMBOL_ALIASES[n]! : []) set.add(a);
  }
  return set;
}

function flatten(scope: CallNode, opts: SequenceOptions): SeqEntry[] {
  const out: SeqEntry[] = [];
  const stack: Array<[CallNode, boolean]> = [];
  for (let i = scope.children.length - 1; i >= 0; i--) stack.push([scope.children[i]!, true]);
  while (stack.length > 0) {
    const [node, direct] = stack.pop()!;
    if (node.irq && !opts.includeIrq) continue;
    out.push({ node, direct });
    if (opts.hookFns.has(node.fn) && !opts.crossHooks) continue;
    const childDirect = direct && inlinable.has(node.fn);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i]!, childDirect]);
  }
  return out;
}

/** Number of calls in the sequence with one of the names. */
export function occurrences(seq: readonly SeqEntry[], names: ReadonlySet<string>): number {
  let n = 0;
  for (const e of seq) if (names.has(e.node.fn)) n++;
  return n;
}

/** First call with one of the names, searching the whole sequence. */
export function firstOccurrence(seq: readonly SeqEntry[], names: ReadonlySet<string>, from = 0): number {
  for (let i = from; i < seq.length; i++) if (names.has(seq[i]!.node.fn)) return i;
  return -1;
}
