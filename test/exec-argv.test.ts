// `exec -- cmd args...`: the words after -- reach the guest's /bin/sh as the argv they were (as with
// `docker run` and `kubectl exec --`); a single word stays a shell command line. Checked against a
// real POSIX shell here (the guest's is dash too); vm/exec-cli.e2e.test.ts runs it in a guest.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { guestCommandLine } from '../harness/commands/exec.ts';

const sh = (line: string): string => execFileSync('sh', ['-c', line], { encoding: 'utf8' });

describe('exec: the guest command line', () => {
  it("keeps argv boundaries: sh -c 'echo one; echo two' runs both echos inside sh", () => {
    expect(sh(guestCommandLine(['sh', '-c', 'echo one; echo two']))).toBe('one\ntwo\n');
  });

  it("keeps spaces, quotes, $ and globs inside their word: printf '%s|' 'a b' c", () => {
    expect(sh(guestCommandLine(['printf', '%s|', 'a b', "it's", '$HOME', '*', ''])))
      .toBe("a b|it's|$HOME|*||");
  });

  it('one word is a shell command line, as written', () => {
    expect(guestCommandLine(['modprobe ip_vs && cat /proc/net/ip_vs'])).toBe('modprobe ip_vs && cat /proc/net/ip_vs');
    expect(sh(guestCommandLine(['echo a; echo b']))).toBe('a\nb\n');
  });
});
