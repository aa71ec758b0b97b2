// Reading depmod's verdict on a modules tree: `depmod -e -E Module.symvers` names every module that
// needs a symbol nothing exports, or whose symbol CRCs disagree with the kernel's (modversions). Such
// a module would not load; the harness says so before booting. Pure.

export interface SymbolProblem {
  /** Module file as depmod printed it. */
  module: string;
  kind: 'unknown-symbol' | 'version-mismatch';
  symbol: string;
}

export function parseDepmodWarnings(stderr: string): SymbolProblem[] {
  const out: SymbolProblem[] = [];
  for (const line of stderr.split('\n')) {
    const unknown = /WARNING: (\S+) needs unknown symbol (\S+)/.exec(line);
    if (unknown) out.push({ module: unknown[1]!, kind: 'unknown-symbol', symbol: unknown[2]! });
    const version = /WARNING: (\S+) disagrees about version of symbol (\S+)/.exec(line);
    if (version) out.push({ module: version[1]!, kind: 'version-mismatch', symbol: version[2]! });
  }
  return out;
}

/** The module name of a path depmod printed (…/ip_vs_rr.ko -> ip_vs_rr). */
export function moduleOfPath(path: string): string {
  return (path.split('/').at(-1) ?? path).replace(/\.ko(\.xz|\.zst|\.gz)?$/, '').replace(/-/g, '_');
}

export function describeProblems(problems: readonly SymbolProblem[]): string {
  return problems.map((p) => `${moduleOfPath(p.module)}: ${p.kind === 'unknown-symbol' ? 'needs unknown symbol' : 'disagrees with the kernel about the version of'} ${p.symbol}`).join('\n');
}
