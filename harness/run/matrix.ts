// The kernel x scenario matrix as pure functions: expansion, the split into work units (one guest
// each) for `--jobs`, and the deterministic, balanced `--shard i/n` slice.

export interface MatrixCell {
  kernel: string;
  scenario: string;
}

export interface WorkUnit {
  kernel: string;
  scenarios: string[];
}

export function cellKey(c: MatrixCell): string {
  return `${c.kernel}\u0000${c.scenario}`;
}

/** Kernel-major order: the order of results.json whatever the scheduling. */
export function expandMatrix(kernels: readonly string[], scenarios: readonly string[]): MatrixCell[] {
  return kernels.flatMap((kernel) => scenarios.map((scenario) => ({ kernel, scenario })));
}

/**
 * Work units for a pool of `jobs` guests. A guest is reused for every scenario of its unit, so units
 * are whole kernels; only when there are more jobs than kernels are a kernel's scenarios split
 * (contiguously) over several guests, to keep every job busy.
 */
export function planWorkUnits(cells: readonly MatrixCell[], jobs: number): WorkUnit[] {
  const byKernel = new Map<string, string[]>();
  for (const c of cells) byKernel.set(c.kernel, [...(byKernel.get(c.kernel) ?? []), c.scenario]);
  const kernels = [...byKernel.keys()];
  const splits = Math.max(1, Math.floor(jobs / Math.max(1, kernels.length)));
  const units: WorkUnit[] = [];
  for (const kernel of kernels) {
    const list = byKernel.get(kernel)!;
    const parts = Math.min(splits, list.length);
    for (let p = 0; p < parts; p++) {
      const from = Math.floor((p * list.length) / parts);
      const to = Math.floor(((p + 1) * list.length) / parts);
      units.push({ kernel, scenarios: list.slice(from, to) });
    }
  }
  return units;
}

/** Seconds a cell is assumed to take without a recorded duration, and what booting a kernel costs. */
export const DEFAULT_CELL_MS = 8_000;
export const DEFAULT_BOOT_MS = 10_000;

export interface ShardSpec {
  index: number;
  count: number;
}

export function parseShard(text: string): ShardSpec | null {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && index >= 1 && index <= count ? { index, count } : null;
}

/**
 * The cells of shard `index` (1-based) of `count`. Deterministic for the same inputs on every
 * machine: cells are placed longest first (recorded durations, else a default) on the least loaded
 * shard, where a shard pays a kernel's boot the first time it gets one of its cells, so kernels stay
 * together when that balances. Returned in matrix order.
 */
export function shardCells(cells: readonly MatrixCell[], shard: ShardSpec, durations: ReadonlyMap<string, number> = new Map(), bootMs: ReadonlyMap<string, number> = new Map()): MatrixCell[] {
  const order = cells.map((c, i) => ({ c, i, ms: durations.get(cellKey(c)) ?? DEFAULT_CELL_MS }));
  order.sort((a, b) => b.ms - a.ms || a.i - b.i);
  const load = Array.from({ length: shard.count }, () => 0);
  const kernelsOf = Array.from({ length: shard.count }, () => new Set<string>());
  const owner = new Map<number, number>();
  for (const { c, i, ms } of order) {
    let best = 0;
    let bestCost = Infinity;
    for (let s = 0; s < shard.count; s++) {
      const boot = kernelsOf[s]!.has(c.kernel) ? 0 : (bootMs.get(c.kernel) ?? DEFAULT_BOOT_MS);
      const cost = load[s]! + boot + ms;
      if (cost < bestCost) {
        bestCost = cost;
        best = s;
      }
    }
    load[best] = bestCost;
    kernelsOf[best]!.add(c.kernel);
    owner.set(i, best);
  }
  return cells.filter((_, i) => owner.get(i) === shard.index - 1);
}
