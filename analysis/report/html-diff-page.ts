// The `diff --html` page: every kernel pair's call-graph diff in one self-contained HTML document.
import type { CallGraphDiff } from './callgraph-diff.ts';
import { REPORT_CSS } from './html-assets.ts';
import { diffHtml } from './html-diff.ts';
import { escapeHtml } from './xml-escape.ts';

export function diffPage(diffs: readonly CallGraphDiff[]): string {
  const title = `IPVS call-graph diff: ${diffs.map((d) => `${d.a.label} → ${d.b.label}`).join(', ')}`;
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>${escapeHtml(title)}</title><style>${REPORT_CSS}</style></head><body><h1>${escapeHtml(title)}</h1>\n${diffs.map((d, i) => diffHtml(d, i)).join('\n')}\n</body></html>\n`;
}
