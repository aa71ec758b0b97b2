// Where a kernel selftest lives in a Linux tree and what it needs beside it: pure functions over a
// tarball listing and file texts. The I/O (tar, apt, the cache) is in fetch-selftest.ts.
import { posix } from 'node:path';

/** The selftests this harness runs; `selftest:<name>` in the matrix and in results.json. */
export const KNOWN_SELFTESTS = ['ipvs.sh'] as const;
export type SelftestName = (typeof KNOWN_SELFTESTS)[number];
export const SELFTEST_PREFIX = 'selftest:';

export const SELFTESTS_ROOT = 'tools/testing/selftests';
/** Folders (under SELFTESTS_ROOT) that hold netfilter's tests, newest layout first: 6.10 moved them under net/. */
export const SELFTEST_DIRS = ['net/netfilter', 'netfilter'] as const;

/**
 * What one pass over a source tarball extracts: every shell script of the selftests (what ipvs.sh
 * may source: lib.sh, ../lib.sh, kselftest helpers) and the settings and config files (~6 MB of
 * ~1.4 GB). Narrower patterns would need a second 20 s pass once the script's sources are known.
 */
export const EXTRACT_PATTERNS = [`*/${SELFTESTS_ROOT}/*.sh`, `*/${SELFTESTS_ROOT}/*/settings`, `*/${SELFTESTS_ROOT}/*/config`];

/** kselftest's per-test deadline when a folder has no `settings` file (runner.sh's kselftest_default_timeout). */
export const KSELFTEST_DEFAULT_TIMEOUT_S = 45;

export function isSelftestSelector(selector: string): boolean {
  return selector.startsWith(SELFTEST_PREFIX);
}

/** `selftest:ipvs.sh` → `ipvs.sh`; undefined for a name this harness does not run. */
export function parseSelftestSelector(selector: string): SelftestName | undefined {
  const name = selector.slice(SELFTEST_PREFIX.length);
  return (KNOWN_SELFTESTS as readonly string[]).includes(name) ? (name as SelftestName) : undefined;
}

export interface LocatedSelftest {
  /** Path prefix in the listing up to and including `tools/testing/selftests/`. */
  prefix: string;
  /** The script relative to the selftests root: `netfilter/ipvs.sh` or `net/netfilter/ipvs.sh`. */
  script: string;
}

/**
 * Finds `name` in a listing of tree paths (`tar -tv` names, or paths that exist in a tree): under
 * net/netfilter/ on newer trees, netfilter/ on older ones (the newer layout wins if both appear).
 */
export function locateSelftest(listing: readonly string[], name: string): LocatedSelftest | undefined {
  const paths = listing.map((p) => p.trim().replace(/^\.\//, '')).filter(Boolean);
  for (const dir of SELFTEST_DIRS) {
    const tail = `${SELFTESTS_ROOT}/${dir}/${name}`;
    const hit = paths.find((p) => p === tail || p.endsWith(`/${tail}`));
    if (hit) return { prefix: hit.slice(0, hit.length - `${dir}/${name}`.length), script: `${dir}/${name}` };
  }
  return undefined;
}

export interface SourcedFiles {
  /** Files the script sources, relative to the selftests root. */
  files: string[];
  /** `source` lines whose path could not be worked out, verbatim. */
  unresolved: string[];
}

/**
 * The files a shell script sources (`source x`, `. x`), relative to the selftests root. A plain
 * relative path is taken from the folder the selftest runs in (kselftest's runner, and this harness,
 * cd into the script's folder); a path behind a variable or command substitution (`"$dir/../lib.sh"`,
 * `"$(dirname "$0")/lib.sh"`) is taken from the folder of the file that sources it, which is what
 * those variables hold in the kernel's scripts (`$0`: the main script's folder).
 */
export function sourcedFiles(text: string, file: string, mainScript: string): SourcedFiles {
  const files: string[] = [];
  const unresolved: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:source|\.)\s+(.+)$/.exec(line);
    if (!m) continue;
    const arg = m[1]!.replace(/["']/g, '');
    if (arg.startsWith('/')) continue; // an absolute path is the guest's business, not the tree's
    const plain = /^([\w.\-/]+\.sh)(?=$|[\s;&|])/.exec(arg);
    const behindVariable = /^(\$\{?\w+\}?|\$\([^)]*\))\/([\w.\-/]+\.sh)(?=$|[\s;&|])/.exec(arg);
    let rel: string;
    let base: string;
    if (plain) {
      rel = plain[1]!;
      base = posix.dirname(mainScript);
    } else if (behindVariable) {
      rel = behindVariable[2]!;
      base = /\$\{?0\b/.test(behindVariable[1]!) ? posix.dirname(mainScript) : posix.dirname(file);
    } else {
      unresolved.push(line.trim());
      continue;
    }
    const joined = posix.normalize(posix.join(base, rel));
    if (joined.startsWith('../') || joined === '..') unresolved.push(line.trim());
    else if (!files.includes(joined)) files.push(joined);
  }
  return { files, unresolved };
}

/** `timeout=<s>` from a kselftest `settings` file. */
export function settingsTimeout(text: string): number | undefined {
  const m = /^\s*timeout\s*=\s*(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The interpreter a script asks for (`#!/bin/bash`, `#!/usr/bin/env bash`): its name, run from the guest's PATH. */
export function scriptInterpreter(text: string): string {
  const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(text);
  if (!m) return 'sh';
  const program = posix.basename(m[1]!);
  return program === 'env' && m[2] ? posix.basename(m[2]) : program;
}
