// CPU time spent by this process's finished children (make and the compilers it ran), from
// /proc/self/stat: on a shared 2-core machine the wall time of a build says more about the load
// than about the build; the CPU time says what the build costs.
import { readFileSync } from 'node:fs';

/** USER_HZ: 100 on every Linux architecture the harness runs on. */
const TICKS_PER_SECOND = 100;

/** Pure: cutime + cstime (ms) out of a /proc/<pid>/stat line. */
export function childCpuMsOf(statLine: string): number | undefined {
  const afterComm = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  // Fields after "(comm)": state is field 3, so cutime (16) and cstime (17) are at 13 and 14 here.
  const cutime = Number(afterComm[13]);
  const cstime = Number(afterComm[14]);
  return Number.isFinite(cutime) && Number.isFinite(cstime) ? ((cutime + cstime) * 1000) / TICKS_PER_SECOND : undefined;
}

export function childCpuMs(): number | undefined {
  try {
    return childCpuMsOf(readFileSync('/proc/self/stat', 'utf8'));
  } catch {
    return undefined;
  }
}
