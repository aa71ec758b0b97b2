import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isSelftestSelector, locateSelftest, parseSelftestSelector, scriptInterpreter, settingsTimeout, sourcedFiles,
} from './selftest-layout.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'selftest');
const listing = (series: string) => readFileSync(join(fixtures, `listing-${series}.txt`), 'utf8').split('\n');

describe('locateSelftest on real linux-source listings', () => {
  it('finds netfilter/ipvs.sh in 5.10 and 6.1', () => {
    expect(locateSelftest(listing('5.10'), 'ipvs.sh')).toEqual({ prefix: 'linux-source-5.10/tools/testing/selftests/', script: 'netfilter/ipvs.sh' });
    expect(locateSelftest(listing('6.1'), 'ipvs.sh')).toEqual({ prefix: 'linux-source-6.1/tools/testing/selftests/', script: 'netfilter/ipvs.sh' });
  });

  it('finds net/netfilter/ipvs.sh in 6.12', () => {
    expect(locateSelftest(listing('6.12'), 'ipvs.sh')).toEqual({ prefix: 'linux-source-6.12/tools/testing/selftests/', script: 'net/netfilter/ipvs.sh' });
  });

  it('prefers the newer layout when a tree has both, and takes ./-prefixed and bare tree paths', () => {
    const both = ['./linux/tools/testing/selftests/netfilter/ipvs.sh', './linux/tools/testing/selftests/net/netfilter/ipvs.sh'];
    expect(locateSelftest(both, 'ipvs.sh')).toEqual({ prefix: 'linux/tools/testing/selftests/', script: 'net/netfilter/ipvs.sh' });
    expect(locateSelftest(['tools/testing/selftests/netfilter/ipvs.sh'], 'ipvs.sh')).toEqual({ prefix: 'tools/testing/selftests/', script: 'netfilter/ipvs.sh' });
  });

  it('is undefined when the source has no such selftest (or only a look-alike elsewhere)', () => {
    expect(locateSelftest(listing('6.1').filter((l) => !l.endsWith('/ipvs.sh')), 'ipvs.sh')).toBeUndefined();
    expect(locateSelftest(['linux/tools/testing/selftests/bpf/ipvs.sh', 'linux/tools/testing/selftests/netfilter/xipvs.sh'], 'ipvs.sh')).toBeUndefined();
  });
});

describe('sourcedFiles', () => {
  it("follows 6.12's ipvs.sh -> lib.sh -> ../lib.sh", () => {
    expect(sourcedFiles('#!/bin/bash\nsource lib.sh\n\nret=0\n', 'net/netfilter/ipvs.sh', 'net/netfilter/ipvs.sh')).toEqual({ files: ['net/netfilter/lib.sh'], unresolved: [] });
    const lib = 'net_netfilter_dir=$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")\n\nsource "$net_netfilter_dir/../lib.sh"\n';
    expect(sourcedFiles(lib, 'net/netfilter/lib.sh', 'net/netfilter/ipvs.sh')).toEqual({ files: ['net/lib.sh'], unresolved: [] });
  });

  it('reads the other ways scripts source helpers', () => {
    const text = [
      '. ./lib.sh',
      'source "$(dirname "$0")/../lib.sh" || exit 1',
      '\t. "${DIR}/../kselftest/ktap_helpers.sh"',
      'source /etc/os-release',
      'source $LIBFILE',
      '# source commented.sh',
    ].join('\n');
    expect(sourcedFiles(text, 'net/forwarding/lib.sh', 'net/netfilter/ipvs.sh')).toEqual({
      files: ['net/netfilter/lib.sh', 'net/lib.sh', 'net/kselftest/ktap_helpers.sh'],
      unresolved: ['source $LIBFILE'],
    });
  });

  it('never leaves the selftests root', () => {
    expect(sourcedFiles('source "$d/../../../x.sh"\n', 'net/lib.sh', 'net/lib.sh')).toEqual({ files: [], unresolved: ['source "$d/../../../x.sh"'] });
  });

  it('finds nothing in the 5.10/6.1 ipvs.sh, which sources nothing', () => {
    expect(sourcedFiles('#!/bin/sh\nksft_skip=4\nret=0\n', 'netfilter/ipvs.sh', 'netfilter/ipvs.sh')).toEqual({ files: [], unresolved: [] });
  });
});

describe('small readers', () => {
  it('settingsTimeout reads timeout= (120 in 6.1, 1800 in 6.12)', () => {
    expect(settingsTimeout('timeout=120\n')).toBe(120);
    expect(settingsTimeout('# kselftest\ntimeout = 1800\n')).toBe(1800);
    expect(settingsTimeout('')).toBeUndefined();
  });

  it('scriptInterpreter reads the shebang', () => {
    expect(scriptInterpreter('#!/bin/sh\n')).toBe('sh');
    expect(scriptInterpreter('#!/bin/bash\n# SPDX')).toBe('bash');
    expect(scriptInterpreter('#!/usr/bin/env bash\n')).toBe('bash');
    expect(scriptInterpreter('echo no shebang\n')).toBe('sh');
  });

  it('selftest selectors', () => {
    expect(isSelftestSelector('selftest:ipvs.sh')).toBe(true);
    expect(isSelftestSelector('pod-to-vip')).toBe(false);
    expect(parseSelftestSelector('selftest:ipvs.sh')).toBe('ipvs.sh');
    expect(parseSelftestSelector('selftest:nft_nat.sh')).toBeUndefined();
  });
});
