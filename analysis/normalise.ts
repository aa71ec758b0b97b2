// Symbol names as the kernel prints them carry compiler artefacts that differ between builds:
// GCC clones (`ip_vs_out.part.0`, `tcp_csum_check.constprop.0.isra.0`, `foo.cold`) and LLVM's
// ThinLTO promotions (`foo.llvm.123456`). Expected graphs name the function, so we compare on the
// name with every such suffix removed.

const CLONE_SUFFIXES = new Set(['part', 'isra', 'constprop', 'cold', 'llvm', 'lto_priv', 'localalias', 'specialized']);

/** `ip_vs_route_me_harder.part.0` -> `ip_vs_route_me_harder`; suffixes may be stacked. */
export function normaliseSymbol(symbol: string): string {
  const dot = symbol.indexOf('.');
  if (dot <= 0) return symbol;
  // Cut at the first dot that starts a known clone suffix; everything after it is compiler noise.
  let start = dot;
  while (start > 0 && start < symbol.length) {
    let end = symbol.indexOf('.', start + 1);
    if (end < 0) end = symbol.length;
    const part = symbol.slice(start + 1, end);
    if (CLONE_SUFFIXES.has(part)) return symbol.slice(0, start);
    start = end;
  }
  return symbol;
}

export interface SplitSymbol {
  symbol: string;
  module: string | null;
}

/** `ip_vs_in_hook [ip_vs]` -> { symbol: 'ip_vs_in_hook', module: 'ip_vs' }. */
export function splitModule(printed: string): SplitSymbol {
  const text = printed.trim();
  if (text.endsWith(']')) {
    const open = text.lastIndexOf(' [');
    if (open > 0) return { symbol: text.slice(0, open).trimEnd(), module: text.slice(open + 2, -1) };
  }
  return { symbol: text, module: null };
}

export interface SymbolInfo {
  fn: string;
  symbol: string;
  module: string | null;
}

/**
 * Interns printed names: a trace repeats a few hundred names millions of times, so each distinct
 * printed name is split and normalised once and the resulting strings are shared by all nodes.
 */
interface ByteEntry {
  bytes: Uint8Array;
  info: SymbolInfo;
}

const utf8 = new TextDecoder('utf-8');

function sameBytes(a: Uint8Array, s: Uint8Array, start: number): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== s[start + k]) return false;
  return true;
}

export class SymbolTable {
  private readonly cache = new Map<string, SymbolInfo>();
  private readonly byHash = new Map<number, ByteEntry[]>();

  /** The same, from the bytes of a line: hashed (FNV-1a) and compared, decoded only the first time. */
  lookupBytes(s: Uint8Array, start: number, end: number): SymbolInfo {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ s[i]!, 0x01000193);
    return this.lookupHashed(s, start, end, h);
  }

  /** lookupBytes with the hash already computed by the caller's scan. */
  lookupHashed(s: Uint8Array, start: number, end: number, h: number): SymbolInfo {
    const len = end - start;
    const bucket = this.byHash.get(h);
    if (bucket !== undefined) {
      for (const e of bucket) if (e.bytes.length === len && sameBytes(e.bytes, s, start)) return e.info;
    }
    const info = this.lookup(utf8.decode(s.subarray(start, end)));
    if (this.byHash.size > 100_000) this.byHash.clear();
    const entry = { bytes: s.slice(start, end), info };
    if (bucket !== undefined) bucket.push(entry);
    else this.byHash.set(h, [entry]);
    return info;
  }

  lookup(printed: string): SymbolInfo {
    let info = this.cache.get(printed);
    if (info === undefined) {
      const { symbol, module } = splitModule(printed);
      info = { fn: normaliseSymbol(symbol), symbol, module };
      // Bound the table so adversarial input (every line a new name) cannot grow it forever.
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(printed, info);
    }
    return info;
  }
}
