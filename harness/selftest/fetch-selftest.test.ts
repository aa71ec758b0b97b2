// The build-tree path of fetch-selftest.ts on a small tree on disk (the Debian path needs the
// network and is covered by the e2e test and `setup --for-tests`).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selftestInTree } from './fetch-selftest.ts';

const trees = mkdtempSync(join(tmpdir(), 'ipvsh-selftest-tree-'));
afterAll(() => rmSync(trees, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const root = join(trees, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('selftestInTree', () => {
  it("takes a 6.12-style tree's ipvs.sh with lib.sh, ../lib.sh, settings and config", () => {
    const root = tree('new', {
      'tools/testing/selftests/net/netfilter/ipvs.sh': '#!/bin/bash\nsource lib.sh\n',
      'tools/testing/selftests/net/netfilter/lib.sh': 'd=$(dirname "$(readlink -e "${BASH_SOURCE[0]}")")\nsource "$d/../lib.sh"\n',
      'tools/testing/selftests/net/lib.sh': 'ksft_skip=4\nsource "$d/missing_helpers.sh"\n',
      'tools/testing/selftests/net/netfilter/settings': 'timeout=1800\n',
      'tools/testing/selftests/net/netfilter/config': 'CONFIG_NET_NS=y\n',
      'tools/testing/selftests/net/netfilter/nft_nat.sh': '#!/bin/bash\n',
    });
    expect(selftestInTree(root, 'ipvs.sh')).toEqual({
      name: 'ipvs.sh',
      source: `build tree ${root}`,
      root: join(root, 'tools/testing/selftests'),
      script: 'net/netfilter/ipvs.sh',
      files: ['net/netfilter/ipvs.sh', 'net/netfilter/lib.sh', 'net/lib.sh', 'net/netfilter/settings', 'net/netfilter/config'],
      timeoutS: 1800,
      notes: ['net/lib.sh sources net/missing_helpers.sh, which the tree does not have'],
    });
  });

  it('takes an older tree\'s netfilter/ipvs.sh alone (no settings: no deadline of its own)', () => {
    const root = tree('old', { 'tools/testing/selftests/netfilter/ipvs.sh': '#!/bin/sh\nret=0\n' });
    expect(selftestInTree(root, 'ipvs.sh')).toMatchObject({ script: 'netfilter/ipvs.sh', files: ['netfilter/ipvs.sh'], notes: [] });
    expect(selftestInTree(root, 'ipvs.sh')!.timeoutS).toBeUndefined();
  });

  it('is undefined for a tree without the selftest', () => {
    expect(selftestInTree(tree('none', { 'Makefile': '' }), 'ipvs.sh')).toBeUndefined();
  });
});
