// The modules a kernel must bring for the harness: the options it needs (preflight.ts) that the
// config builds as modules (=m), each of which must then be in the kernel's module folder. Checked
// when the kernel is resolved, so a tree without `make modules` is refused before booting (exit 2)
// instead of a guest without a network card timing out (exit 3).
import { VmError } from './errors.ts';
import { readModulesDep } from './modules.ts';
import { MODULE_OPTIONS } from './builtin-modules.ts';
import { parseKernelConfig, REQUIRED_OPTIONS } from './preflight.ts';

/** Kernel option -> the module it builds, for every option the harness or a scenario may need as a module. */
export const OPTION_MODULES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(MODULE_OPTIONS).map(([module, option]) => [option, module])),
  IPV6: 'ipv6',
};

export interface MissingModule {
  option: string;
  module: string;
}

/**
 * Pure on its inputs: of `options` (default: the harness's own), those the config has as `m` whose module
 * is not among `present` (the module names of the kernel's modules.dep).
 */
export function modulesNotPresent(configText: string, present: ReadonlySet<string>, options: readonly string[] = REQUIRED_OPTIONS.map(([o]) => o)): MissingModule[] {
  const values = parseKernelConfig(configText);
  return options
    .filter((o) => values.get(o) === 'm' && OPTION_MODULES[o] !== undefined)
    .map((option) => ({ option, module: OPTION_MODULES[option]! }))
    .filter((m) => !present.has(m.module));
}

/** The same against a modules folder (none: every =m option is missing). */
export function missingModules(configText: string, modulesDir: string | undefined, options?: readonly string[]): MissingModule[] {
  const present = new Set(modulesDir ? readModulesDep(modulesDir).keys() : []);
  return modulesNotPresent(configText, present, options);
}

/** A kernel whose =m options' modules are not in its module folder, for one need (a scenario): exit 2. */
export function missingModulesError(missing: readonly MissingModule[], label: string, needer: string): VmError {
  const what = missing.map((m) => `${m.module}.ko (CONFIG_${m.option}=m)`).join(', ');
  return new VmError('MODULES_MISSING', `${label}: ${needer} needs ${what}, not among the kernel's modules; build them (make modules) or build them in (=y)`, { phase: 'spec', data: { missing } });
}
