// Where the IPVS hook functions sit in ip_vs.ko's .text, read from the module file the guest loads
// (the kernel's modulesDir, or the modules built by --ipvs-source). The trace plan then places the
// flow probes past each hook's ftrace call: by address on kernels whose symbol lookup walks every
// symbol, as `ip_vs:<hook>+<offset>` (kept from cell to cell) on the others (scenarios/trace-plan.ts,
// moduleText). Anything unreadable gives undefined: the probes are then placed by name, as before.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pastFtraceEntry, sectionFunctionOffsets } from '../../analysis/elf-symbols.ts';
import { parseKernelVersion } from '../../analysis/roles.ts';
import type { ModuleText } from '../../scenarios/trace-plan.ts';
import { decompressModule } from '../../vm/module-tree.ts';
import { readModulesDep } from '../../vm/modules.ts';
import type { ResolvedKernel } from '../../vm/resolved-kernel.ts';

const memo = new Map<string, Promise<ModuleText | undefined>>();

/**
 * How a kernel gets its flow probes placed from the module file; undefined for a release it cannot
 * read. Kernels before 6.1 look a probe's symbol up by walking every kernel symbol
 * (kallsyms_lookup_name): ~0.2 s a probe on 5.10 under TCG, so by address; 6.1 took 0.03 s (measured;
 * docs/vm.md), so by `ip_vs:<hook>+<n>`, kept between cells.
 */
export function probePlacement(release: string): ModuleText['placement'] | undefined {
  const v = parseKernelVersion(release);
  if (v === null) return undefined;
  return v[0] < 6 || (v[0] === 6 && v[1] < 1) ? 'address' : 'symbol';
}

/** ip_vs.ko's .text offsets, once per module file (path, size, mtime); undefined when IPVS is built in or the file cannot be read. */
export function ipvsModuleText(kernel: ResolvedKernel, signal?: AbortSignal): Promise<ModuleText | undefined> {
  const placement = probePlacement(kernel.release);
  if (!kernel.modulesDir || placement === undefined) return Promise.resolve(undefined);
  const entry = readModulesDep(kernel.modulesDir).get('ip_vs');
  if (!entry) return Promise.resolve(undefined);
  const file = join(kernel.modulesDir, entry.path);
  let key: string;
  try {
    const st = statSync(file);
    key = `${file} ${st.size} ${st.mtimeMs} ${placement}`;
  } catch {
    return Promise.resolve(undefined);
  }
  let known = memo.get(key);
  if (!known) {
    known = decompressModule(file, signal)
      .then((bytes) => {
        const offsets = sectionFunctionOffsets(bytes);
        return { module: 'ip_vs', offsets, pastEntry: pastFtraceEntry(bytes, offsets), placement } satisfies ModuleText;
      })
      .catch(() => undefined);
    memo.set(key, known);
  }
  return known;
}
