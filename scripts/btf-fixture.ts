// Writes the BTF test fixture of one kernel: the subset of its BTF that the flow layout reads
// (analysis/btf-subset.ts), base64 text so the repository holds no binary file.
//   npx tsx scripts/btf-fixture.ts ~/.cache/ipvs-harness/btf/<release>-<sha>.btf.gz test/fixtures/btf/<release>.btf.b64
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseBtf } from '../analysis/btf.ts';
import { btfSubset } from '../analysis/btf-subset.ts';

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  console.error('usage: tsx scripts/btf-fixture.ts <vmlinux BTF, raw or .gz> <out .btf.b64>');
  process.exit(2);
}
let raw = readFileSync(from);
if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
const subset = btfSubset(parseBtf(raw), ['nf_hook_state', 'sk_buff', 'net']);
writeFileSync(to, Buffer.from(subset).toString('base64').replace(/.{76}/g, '$&\n') + '\n');
console.log(`wrote ${to}: ${subset.length} bytes of BTF from ${raw.length}`);
