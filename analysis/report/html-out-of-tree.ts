// The report's word on a kernel that ran IPVS modules the harness built from a source tree
// (`--ipvs-source`): from what, with what compiler, how long the build took, what the guest said.
import type { KernelRun } from './results.ts';
import { escapeHtml as h } from './xml-escape.ts';

export function outOfTreeIpvsHtml(k: KernelRun): string {
  const x = k.ipvs?.outOfTree;
  if (!x) return '';
  const from = `${x.source}${x.gitDescribe && !x.source.includes(x.gitDescribe) ? ` (git ${x.gitDescribe})` : ''}`;
  const time = `built in ${(x.buildMs / 1000).toFixed(1)} s${x.buildCpuMs !== undefined ? ` (${(x.buildCpuMs / 1000).toFixed(1)} s CPU)` : ''}${x.cached ? ', cached' : ''}`;
  const lines = [
    `<span class="badge info">out-of-tree IPVS</span> ${h(x.modules.map((m) => m.name).join(', '))} from ${h(from)}, source sha <code>${h(x.sourceHash)}</code>`,
    `${h(x.compiler)}; ${h(time)}; headers ${h(x.headers)}`,
    ...(x.loaded ? [h(x.loaded)] : []),
    ...x.warnings.map((w) => `warning: ${h(w)}`),
  ];
  return `<div class="own-ipvs">${lines.map((l) => `<div class="small">${l}</div>`).join('')}</div>`;
}
