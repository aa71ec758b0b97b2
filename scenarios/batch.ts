// One round trip for several guest commands. Each SSH exec costs a round trip and a shell start in a
// guest that runs under TCG, and a cell used to send 8 of them per step and 10 or more to set up.
// A batch runs its commands one after the other in one exec, each in a subshell of its own (its
// `set -e` and `cd` stay its own), stops at the first that fails and names it on stderr, and prints
// a delimiter line before each command's output so the caller can read each part back. A command
// that allows failure (`allowFailure`) does not stop the batch: its exit status is read back instead.
import type { GuestCommand } from './guest-commands.ts';
import { shellQuote } from './values.ts';

const DELIMITER = '=== ipvsh part ';
const EXIT = '=== ipvsh exit ';
const DONE = '=== ipvsh done ';
// The guest's uptime (seconds, 1/100 s) when a part starts and when the batch is done: commands.log
// then says where a round trip's time went. dash's `read` is a builtin: no process.
const UPTIME = 'read -r ipvsh_t ipvsh_idle < /proc/uptime';

export interface BatchPart {
  /** Key of the part's output in the split result. */
  name: string;
  command: GuestCommand;
}

export function batchCommand(label: string, parts: readonly BatchPart[]): GuestCommand {
  const lines: string[] = [];
  for (const p of parts) {
    if (!/^[a-z0-9-]+$/.test(p.name)) throw new Error(`batch part name ${JSON.stringify(p.name)}: expected lowercase letters, digits and dashes`);
    lines.push(
      UPTIME,
      `echo "${DELIMITER}${p.name} $ipvsh_t"`,
      `(\n${p.command.script}\n)`,
      p.command.allowFailure
        ? `echo "${EXIT}${p.name} $?"`
        : `rc=$?; [ $rc -eq 0 ] || { echo ${shellQuote(`${p.command.label} failed`)}" (exit $rc)" >&2; exit $rc; }`,
    );
  }
  lines.push(UPTIME, `echo "${DONE}$ipvsh_t"`);
  return {
    label,
    script: lines.join('\n'),
    timeoutMs: parts.reduce((n, p) => n + p.command.timeoutMs, 0),
    ...(parts.some((p) => p.command.quietOutput) ? { quietOutput: true } : {}),
  };
}

/** The stdout of a batch, part by part (a part that did not run is absent). */
export class BatchOutput extends Map<string, string> {
  /** Exit status of each part that allowed failure and ran. */
  readonly exitCodes = new Map<string, number>();
}

export function splitBatch(stdout: string): BatchOutput {
  const out = new BatchOutput();
  let name: string | null = null;
  let buf: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith(EXIT)) {
      const [part, code] = line.slice(EXIT.length).split(' ');
      out.exitCodes.set(part!, Number(code));
    } else if (line.startsWith(DELIMITER)) {
      if (name !== null) out.set(name, buf.join('\n'));
      name = partName(line);
      buf = [];
    } else if (line.startsWith(DONE)) {
      if (name !== null) out.set(name, buf.join('\n'));
      name = null;
    } else if (name !== null) buf.push(line);
  }
  if (name !== null) out.set(name, buf.join('\n'));
  return out;
}

/** The last part of a batch that started, from its stdout: when the batch failed, the part that failed. */
export function lastPartStarted(stdout: string): string | undefined {
  let name: string | undefined;
  for (const line of stdout.split('\n')) if (line.startsWith(DELIMITER)) name = partName(line);
  return name;
}

function partName(delimiter: string): string {
  return delimiter.slice(DELIMITER.length).split(' ')[0]!;
}

/** How long each part of a batch took in the guest (from its stdout), in the order they ran; a part without an end is left out. */
export function partTimings(stdout: string): { name: string; ms: number }[] {
  const marks: { name: string | null; t: number }[] = [];
  for (const line of stdout.split('\n')) {
    const done = line.startsWith(DONE);
    if (!done && !line.startsWith(DELIMITER)) continue;
    const t = Number(done ? line.slice(DONE.length) : line.slice(DELIMITER.length).split(' ')[1]);
    if (Number.isFinite(t)) marks.push({ name: done ? null : partName(line), t });
  }
  const out: { name: string; ms: number }[] = [];
  for (let i = 0; i + 1 < marks.length; i++) {
    const m = marks[i]!;
    if (m.name !== null) out.push({ name: m.name, ms: Math.round((marks[i + 1]!.t - m.t) * 1000) });
  }
  return out;
}
