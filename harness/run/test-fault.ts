// A fault the fault tests (test/faults.e2e.test.ts) inject into a run: a guest kernel panic in the
// middle of a scenario. Other faults come from outside the harness, as they would in real life
// (SIGSTOP / SIGKILL to QEMU, signals to the harness, a broken kernel image or cache); a panic
// cannot: a scenario has no way to run an arbitrary command by design, the guest's only shell access
// is the run's own SSH session (its client key lives in memory), and QEMU's QMP socket takes one
// client, the harness. So the runner itself crashes the guest, from a test-only environment variable:
//
//   IPVS_HARNESS_TEST_FAULT=panic-before:<command label>      e.g. panic-before:step hold
//
// When the runner is about to send the command with that label (commands.log shows the labels), it
// first runs `echo c > /proc/sysrq-trigger` in the guest. And a bpftrace program that cannot attach
// (bpftrace's own error must reach the cell, with no hang) cannot come from a scenario either:
//
//   IPVS_HARNESS_TEST_FAULT=bpftrace-bad-probe
//
// adds a probe on a function no kernel has to the program the runner starts. Nothing else can be
// injected this way: the value selects one fixed fault, never a command.
import { UsageError } from '../errors.ts';

export const TEST_FAULT_ENV = 'IPVS_HARNESS_TEST_FAULT';

export type TestFault =
  | {
    kind: 'panic';
    /** Label of the guest command before which the fault strikes. */
    beforeCommand: string;
    /** What the guest runs to cause it. */
    script: string;
  }
  | { kind: 'bpftrace-bad-probe' };

/** The probe the bpftrace-bad-probe fault adds: no kernel has this function. */
export const BAD_PROBE = 'kprobe:ipvs_harness_no_such_function { }';

export function testFaultFromEnv(env: NodeJS.ProcessEnv = process.env): TestFault | undefined {
  const value = env[TEST_FAULT_ENV];
  if (value === undefined || value === '') return undefined;
  if (value === 'bpftrace-bad-probe') return { kind: 'bpftrace-bad-probe' };
  const m = /^panic-before:([a-z][a-z0-9 _.-]{0,80})$/.exec(value);
  if (!m) throw new UsageError(`${TEST_FAULT_ENV}=${JSON.stringify(value).slice(0, 100)}: expected panic-before:<guest command label>, e.g. "panic-before:step hold", or bpftrace-bad-probe (a test hook; unset it for real runs)`);
  return { kind: 'panic', beforeCommand: m[1]!, script: 'echo c > /proc/sysrq-trigger' };
}
