// The function column of a function_graph line: entry `fn [mod]() {`, leaf `fn [mod]();`, return
// `}` / `} /* fn [mod] */` (funcgraph-tail), return values (`/* = 0x0 */` 6.5-6.12, `/* ret=0x0 */`
// 6.13+), comments `/* text */` and funcgraph-irqs arrows. Indentation gives the depth.
import { ascii, EQ, findChar, findText, hasAt, LBRACE, LPAREN, LT, RBRACE, RPAREN, SEMI, SLASH, SP, STAR } from './ftrace-bytes.ts';
import { L_COMMENT, L_ENTRY, L_EXIT, L_IRQ_ENTER, L_IRQ_EXIT, L_LEAF, L_UNKNOWN, type ContentFields } from './ftrace-line-kinds.ts';

const IRQ_IN = ascii('==========>');
const IRQ_OUT = ascii('<==========');
const COMMENT_OPEN = ascii(' /* ');
const RET_EQ = ascii(' = ');
const RET_KEY = ascii('ret=');
const RET_V = ascii(' V=');

export function scanContent(t: ContentFields, s: Uint8Array, i: number, end: number, base: number): void {
  let c = i;
  while (c < end && s[c]! === SP) c++;
  const indent = c - i - base;
  t.depth = indent > 0 ? indent >> 1 : 0;
  if (c >= end) {
    t.kind = L_UNKNOWN;
    return;
  }
  const ch = s[c]!;
  if (ch === RBRACE) {
    t.kind = L_EXIT;
    if (hasAt(s, c + 1, end, COMMENT_OPEN)) scanTail(t, s, c + 5, end);
    return;
  }
  if (ch === SLASH && s[c + 1]! === STAR) {
    t.kind = L_COMMENT;
    let a = c + 2;
    let b = end;
    if (s[b - 1]! === SLASH && s[b - 2]! === STAR && b - 2 >= a) b -= 2;
    while (a < b && s[a]! === SP) a++;
    while (b > a && s[b - 1]! === SP) b--;
    t.textStart = a;
    t.textEnd = b;
    return;
  }
  if (ch === EQ && hasAt(s, c, end, IRQ_IN)) {
    t.kind = L_IRQ_ENTER;
    return;
  }
  if (ch === LT && hasAt(s, c, end, IRQ_OUT)) {
    t.kind = L_IRQ_EXIT;
    return;
  }
  scanCall(t, s, c, end);
}

/** `} /* name [mod] *\/`, `} /* name = 0x0 *\/` (6.5+), `} /* name ret=0x0 *\/` (6.13+). */
function scanTail(t: ContentFields, s: Uint8Array, a: number, end: number): void {
  // A tail always ends with "*/"; without it the line was cut (end of a truncated capture).
  t.tailCut = !(s[end - 1] === SLASH && s[end - 2] === STAR);
  let k = a;
  while (k < end && s[k]! !== SP) k++;
  t.nameStart = a;
  t.nameEnd = k;
  if (s[k + 1]! === 91 /* [ */) {
    const close = findChar(s, 93 /* ] */, k, end);
    if (close > 0) {
      t.nameEnd = close + 1;
      k = close + 1;
    }
  }
  scanRetval(t, s, k, end);
}

function scanRetval(t: ContentFields, s: Uint8Array, k: number, end: number): void {
  let stop = end;
  if (s[stop - 1]! === SLASH && s[stop - 2]! === STAR) stop -= 2;
  while (stop > k && s[stop - 1]! === SP) stop--;
  if (findChar(s, EQ, k, stop) < 0) return; // the common case: no return value on the line
  let at = findText(s, RET_EQ, k, stop);
  let skip = 3;
  if (at < 0) {
    at = findText(s, RET_KEY, k, stop);
    skip = 4;
    if (at < 0) {
      at = findText(s, RET_V, k, stop);
      skip = 3;
    }
  }
  if (at >= 0) {
    let r = at + skip;
    let e = r;
    while (e < stop && s[e]! !== SP) e++;
    if (e > r) {
      t.retStart = r;
      t.retEnd = e;
    }
  }
}

function scanCall(t: ContentFields, s: Uint8Array, c: number, end: number): void {
  // One pass to the '(' that also hashes the name (FNV-1a) for the symbol table and notes a space:
  // a name has none except before a module suffix ("ip_vs_in_hook [ip_vs]").
  let h = 0x811c9dc5;
  let space = -1;
  let paren = c;
  for (; paren < end; paren++) {
    const ch = s[paren]!;
    if (ch === LPAREN) break;
    if (ch === SP && space < 0) space = paren;
    h = Math.imul(h ^ ch, 0x01000193);
  }
  if (paren === c || paren >= end) return; // L_UNKNOWN
  if (space >= 0 && (s[space + 1] !== 91 || s[paren - 1] !== 93)) return;
  // funcgraph-args prints "fn(a=1, b=2)"; find the matching parenthesis.
  let q = paren + 1;
  if (s[q] !== RPAREN) {
    let depth = 1;
    for (; q < end; q++) {
      const ch = s[q]!;
      if (ch === LPAREN) depth++;
      else if (ch === RPAREN && --depth === 0) break;
    }
    if (q >= end) return;
  }
  const next = s[q + 1];
  t.nameStart = c;
  t.nameEnd = paren;
  t.nameHash = h;
  if (next === SEMI) {
    t.kind = L_LEAF;
    if (q + 2 < end) scanRetval(t, s, q + 2, end);
  } else if (next === SP && s[q + 2] === LBRACE) {
    t.kind = L_ENTRY;
  } else {
    t.nameStart = t.nameEnd = 0;
  }
}
