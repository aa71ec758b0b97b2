// Byte-level helpers for the function_graph scanner: character codes, bounded searches, decoding.
export const SP = 32;
export const TAB = 9;
export const CR = 13;
export const PIPE = 124;
export const DASH = 45;
export const DOT = 46;
export const LPAREN = 40;
export const RPAREN = 41;
export const SEMI = 59;
export const LBRACE = 123;
export const RBRACE = 125;
export const SLASH = 47;
export const STAR = 42;
export const EQ = 61;
export const LT = 60;
export const HASH = 35;

// Lines are parsed in place inside large chunks, so every search is bounded by the line end: an
// unbounded String.indexOf would scan the rest of the chunk when the needle is not on the line.
export function findChar(s: Uint8Array, ch: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (s[i] === ch) return i;
  return -1;
}

/** ASCII needle as bytes, for hasAt / findText. */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export function hasAt(s: Uint8Array, i: number, end: number, needle: Uint8Array): boolean {
  if (i + needle.length > end) return false;
  for (let k = 0; k < needle.length; k++) if (s[i + k] !== needle[k]) return false;
  return true;
}

export function findText(s: Uint8Array, needle: Uint8Array, from: number, end: number): number {
  const first = needle[0];
  const last = end - needle.length;
  for (let i = from; i <= last; i++) if (s[i] === first && hasAt(s, i, end, needle)) return i;
  return -1;
}

const utf8 = new TextDecoder('utf-8');

/** Decodes a byte range (names, task names, marker texts). */
export function decode(s: Uint8Array, a: number, b: number): string {
  return utf8.decode(s.subarray(a, b));
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isDurationMark(c: number): boolean {
  // trace_find_mark(): '+' > 10us, '!' > 100us, '#' > 1ms, '*' > 10ms, '@' > 100ms, '$' > 1s.
  return c === 43 || c === 33 || c === HASH || c === STAR || c === 64 || c === 36;
}

export function isLatencyChar(c: number): boolean {
  // irqs-off, need-resched, hardirq/softirq, preempt-depth, migrate-disable columns.
  return c === DOT || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

