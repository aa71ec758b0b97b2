// Reads a kernel selftest's output (run with `sh -x`, stdout and stderr merged) into its sub-tests.
// Streaming and tolerant: push(line) as the output arrives, finish() at the end; a line it does not
// understand is just output.
//
// ipvs.sh prints only "Testing DR mode..." per sub-test and one PASS/FAIL at the end; which sub-test
// failed shows in its shell trace: run_tests() adds each test's status to `errors`, and xtrace prints
// the sum after every sub-test (`+ errors=0`, `+ errors=1`). Newer net/ scripts print
// `TEST: <name>  [ OK ]` lines (net/lib.sh's log_test), kselftest helpers KTAP `ok 1 <name>`: both
// are read too, so a future ipvs.sh that switches format still lists its sub-tests.

export type SubtestStatus = 'passed' | 'failed' | 'skipped' | 'unknown';

export interface Subtest {
  name: string;
  status: SubtestStatus;
  /** How the status is known: the shell trace's error count, a TEST:/KTAP line, or (later) the exit status. */
  evidence: 'errors-count' | 'test-line' | 'ktap' | 'exit-status' | 'none';
  /** 1-based line of the output where the sub-test started. */
  line: number;
  /** Host clock (ms) when its first and last lines arrived, when the caller passes times. */
  startMs?: number;
  endMs?: number;
}

export interface SelftestOutput {
  subtests: Subtest[];
  /** The script's own last word (`ipvs.sh: PASS`). */
  verdict?: 'PASS' | 'FAIL';
  /** Why it skipped itself (`SKIP: Could not run test without socat`). */
  skipMessages: string[];
  lines: number;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const STARTS = /^Testing (.+?)(?:\.\.\.|…)?\s*$/;
// bash nests `++ `; a background job's trace can interleave (`+ + errors=0`).
const ERRORS_TRACE = /^(?:\+ ?)+(?:local )?errors=(\d*)\s*$/;
const TEST_LINE = /^TEST: (.+?)\s+\[\s*(OK|FAIL|SKIP|XFAIL)\s*\]\s*$/;
const KTAP = /^(not )?ok \d+ (?:- )?(.+?)(?:\s+#\s*(SKIP|XFAIL|TODO)\b.*)?$/;
const SKIP = /^(?:SKIP|skip)\b:?\s*(.+)$/;

export class SelftestOutputParser {
  private readonly subtests: Subtest[] = [];
  private open: Subtest | undefined;
  private errors = 0;
  private lineNo = 0;
  private verdict: 'PASS' | 'FAIL' | undefined;
  private readonly skipMessages: string[] = [];
  private readonly verdictRe: RegExp;

  constructor(scriptName: string) {
    const name = scriptName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // dash's echo prints the "-e" of `echo -e` literally.
    this.verdictRe = new RegExp(`^(?:-e\\s+)?${name}: (PASS|FAIL)\\s*$`);
  }

  /** Feeds one line; returns the sub-tests this line finished. */
  push(raw: string, atMs?: number): Subtest[] {
    this.lineNo++;
    const line = raw.replace(ANSI, '').replace(/\r$/, '');
    const done: Subtest[] = [];
    const close = (t: Subtest, status: SubtestStatus, evidence: Subtest['evidence']) => {
      t.status = status;
      t.evidence = evidence;
      if (atMs !== undefined) t.endMs = atMs;
      this.subtests.push(t);
      done.push(t);
    };
    const at = atMs !== undefined ? { startMs: atMs } : {};
    let m: RegExpExecArray | null;
    if ((m = ERRORS_TRACE.exec(line))) {
      if (m[1] === '') this.errors = 0;
      else {
        const total = Number(m[1]);
        if (this.open) close(this.open, total > this.errors ? 'failed' : 'passed', 'errors-count');
        this.open = undefined;
        this.errors = total;
      }
    } else if (line.startsWith('+')) {
      // Any other shell trace line: not output.
    } else if ((m = STARTS.exec(line))) {
      if (this.open) close(this.open, 'unknown', 'none');
      this.open = { name: m[1]!, status: 'unknown', evidence: 'none', line: this.lineNo, ...at };
    } else if ((m = TEST_LINE.exec(line))) {
      const status = m[2] === 'OK' || m[2] === 'XFAIL' ? 'passed' : m[2] === 'SKIP' ? 'skipped' : 'failed';
      close({ name: m[1]!, status, evidence: 'test-line', line: this.lineNo, ...at }, status, 'test-line');
    } else if ((m = KTAP.exec(line))) {
      const status = m[3] === 'SKIP' ? 'skipped' : m[1] && m[3] !== 'XFAIL' && m[3] !== 'TODO' ? 'failed' : 'passed';
      close({ name: m[2]!, status, evidence: 'ktap', line: this.lineNo, ...at }, status, 'ktap');
    } else if ((m = this.verdictRe.exec(line))) {
      this.verdict = m[1] as 'PASS' | 'FAIL';
    } else if ((m = SKIP.exec(line))) {
      this.skipMessages.push(m[1]!.trim());
    }
    return done;
  }

  /** Ends the output: a sub-test still open (the script stopped inside it) stays `unknown`. */
  finish(): SelftestOutput {
    if (this.open) {
      this.subtests.push(this.open);
      this.open = undefined;
    }
    return { subtests: [...this.subtests], skipMessages: [...this.skipMessages], lines: this.lineNo, ...(this.verdict ? { verdict: this.verdict } : {}) };
  }
}

/** Splits a stream of chunks into lines (the last, unterminated line comes out at end()). */
export class LineSplitter {
  private rest = '';
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const text = this.rest + chunk;
    const parts = text.split('\n');
    this.rest = parts.pop()!;
    for (const p of parts) this.onLine(p);
  }

  end(): void {
    if (this.rest !== '') this.onLine(this.rest);
    this.rest = '';
  }
}

export function parseSelftestOutput(text: string, scriptName: string): SelftestOutput {
  const parser = new SelftestOutputParser(scriptName);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const l of lines) parser.push(l);
  return parser.finish();
}
