// Fewer patterns for set_graph_function. Each pattern written to it costs the kernel a scan of every
// traceable function with a symbol lookup per record (~0.1 s under TCG, ~36,000 records), and 5.10
// has ten graph roots (its per-hook wrappers). ftrace matches full globs (`*`, `[46]`, since 4.10),
// so roots that differ in a family digit or a middle word share one pattern, and so do roots whose
// last characters fit one class each (5.10's eight request/reply wrappers: `ip_vs_*[ty][46]`), when
// the pattern matches nothing else among the kernel's ip_vs functions. Pure: names in, patterns out.

/** Whether ftrace's glob (`*` and `[chars]`, whole name) matches `name`. */
export function globMatches(glob: string, name: string): boolean {
  return globRegExp(glob).test(name);
}

function globRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** Candidate patterns for one root: the family digit as a class, the middle word as a star, both. */
function candidates(root: string): string[] {
  const out: string[] = [];
  const digit = /^(.*?)(4|6|_v6)?$/.exec(root)!;
  const stem = digit[1]!;
  const fam = digit[2] === undefined ? [stem, `${stem}*`] : digit[2] === '_v6' ? [`${stem}*`] : [`${stem}[46]`];
  for (const f of fam) {
    out.push(f);
    // ip_vs_<words>_<last>: the words before the last one as a star (ip_vs_*_request[46]), or none (ip_vs_*reply[46]).
    const m = /^ip_vs_(.+)_([^_]+)$/.exec(f);
    if (m) out.push(`ip_vs_*_${m[2]}`, `ip_vs_*${m[2]}`);
    const single = /^ip_vs_([^_*[]+)(.*)$/.exec(f);
    if (single && !m) out.push(`ip_vs_*${single[1]}${single[2]}`);
  }
  return out;
}

/**
 * Candidate patterns for two roots: `ip_vs_*` and their last one to three characters as classes
 * (remote_request4 and reply6 give `ip_vs_*[ty][46]`), so that roots of different words can share
 * a pattern too.
 */
function pairCandidates(a: string, b: string): string[] {
  const out: string[] = [];
  const tail = (n: string) => n.slice('ip_vs_'.length);
  for (let k = 1; k <= 3 && k <= Math.min(tail(a).length, tail(b).length); k++) {
    let glob = 'ip_vs_*';
    for (let i = k; i >= 1; i--) {
      const chars = [...new Set([a[a.length - i]!, b[b.length - i]!])].sort();
      if (!chars.every((c) => /[a-z0-9_]/.test(c))) return out;
      glob += chars.length === 1 ? chars[0] : `[${chars.join('')}]`;
    }
    out.push(glob);
  }
  return out;
}

/**
 * Candidate patterns for all the roots at once: `ip_vs_`, the first k characters after it as classes,
 * a star, the last m characters as classes. 6.x's in_hook, out_hook and forward_icmp share
 * `ip_vs_[fio][nou][_rt][_hw]*[kp]`: one scan of the ftrace records instead of two (~65 ms under TCG).
 */
function setCandidates(roots: readonly string[]): string[] {
  const tails = roots.filter((r) => r.startsWith('ip_vs_')).map((r) => r.slice('ip_vs_'.length));
  if (tails.length < 3) return [];
  const shortest = Math.min(...tails.map((t) => t.length));
  const out: string[] = [];
  for (let k = 0; k <= 6; k++) {
    for (let m = 0; m <= 3; m++) {
      if (k + m === 0 || k + m > shortest) continue;
      const classes = [...Array.from({ length: k }, (_, i) => tails.map((t) => t[i]!)), ['*'], ...Array.from({ length: m }, (_, i) => tails.map((t) => t[t.length - m + i]!))];
      if (!classes.every((cs) => cs.every((c) => /[a-z0-9_*]/.test(c)))) continue;
      out.push(`ip_vs_${classes.map((cs) => {
        const u = [...new Set(cs)].sort();
        return u.length === 1 ? u[0] : `[${u.join('')}]`;
      }).join('')}`);
    }
  }
  return out;
}

/**
 * Patterns that select exactly `roots` among `universe` (every traceable ip_vs* name of the kernel),
 * fewest first: a pattern is used only when all it matches in the universe is a root. A root no
 * pattern covers is written by its name. Every pattern starts `ip_vs_`, so it cannot match a function
 * outside the universe.
 */
export function rootPatterns(roots: readonly string[], universe: ReadonlySet<string>): string[] {
  const names = [...new Set([...universe, ...roots])].filter((n) => n.startsWith('ip_vs_'));
  const want = new Set(roots);
  const cover = new Map<string, string[]>();
  const pairs = roots.flatMap((a, i) => roots.slice(i + 1).flatMap((b) => (a.startsWith('ip_vs_') && b.startsWith('ip_vs_') ? pairCandidates(a, b) : [])));
  for (const c of [...roots.flatMap(candidates), ...pairs, ...setCandidates(roots)]) {
    if (cover.has(c) || !c.startsWith('ip_vs_')) continue;
    const re = globRegExp(c);
    const hits = names.filter((n) => re.test(n));
    if (hits.length > 0 && hits.every((h) => want.has(h))) cover.set(c, hits);
  }
  const left = new Set(roots);
  const out: string[] = [];
  while (left.size > 0) {
    let best: [string, number] | undefined;
    for (const [c, hits] of cover) {
      const n = hits.filter((h) => left.has(h)).length;
      // More roots first; on a tie the exact name (no glob) reads best.
      if (n > 0 && (!best || n > best[1] || (n === best[1] && !/[*[]/.test(c) && /[*[]/.test(best[0])))) best = [c, n];
    }
    if (!best) break;
    out.push(best[0]);
    for (const h of cover.get(best[0])!) left.delete(h);
  }
  return [...out, ...roots.filter((r) => left.has(r))];
}
