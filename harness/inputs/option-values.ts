// Option values checked at the door: a malformed value is a usage error (exit 2) naming the value and
// the fix, never silently ignored and never turned into a verdict.
import type { Trace } from '../../analysis/model.ts';
import { findSection, markerCore } from '../../analysis/section.ts';
import { closest } from '../../analysis/expected-graph-validate.ts';
import { resolve } from 'node:path';
import { defaultCacheDir } from '../../vm/cache-dir.ts';
import { UsageError } from '../errors.ts';
import { checkNotKernelFs } from '../outputs/output-file.ts';

const RELEASE_RE = /^v?\d+\.\d+(\.\d+)?([-+.~_][A-Za-z0-9._+~-]*)?$/;

/** `--kernel-release`: as `uname -r` prints it. */
export function kernelReleaseOption(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!RELEASE_RE.test(value)) {
    throw new UsageError(`--kernel-release ${JSON.stringify(value)}: expected a kernel release as \`uname -r\` prints it, e.g. 6.1.0-57-cloud-amd64 or 5.10.0-46-cloud-amd64 (or leave the option out: the generation is inferred from the symbols in the trace)`);
  }
  return value;
}

/** Section names the trace's markers open: each marker's text and its last words, without begin/start/end/stop. */
function sectionNames(trace: Trace): string[] {
  const names = new Set<string>();
  for (const m of trace.markers) {
    if (m.kind !== 'marker') continue;
    const words = markerCore(m.text).replace(/ (begin|start|end|stop)$/, '').split(/\s+/);
    for (let n = 1; n <= Math.min(3, words.length); n++) names.add(words.slice(-n).join(' '));
  }
  return [...names];
}

/** `--section`: must open somewhere in the trace, else the graphs would fail for a typo. */
export function checkSectionOption(section: string | undefined, trace: Trace): void {
  if (section === undefined) return;
  if (section.trim() === '') throw new UsageError('--section "": expected the name of a section (the text of its trace_marker), e.g. --section "step connect"');
  const found = findSection(trace, section);
  if (found.ok) return;
  const names = sectionNames(trace);
  const hint = closest(section, names);
  const example = names.find((n) => n.includes(' ')) ?? names[0];
  throw new UsageError(`--section ${JSON.stringify(section)}: ${found.message}${hint ? ` (did you mean "${hint}"?)` : ''}; give a section that a marker of the trace opens${example ? `, e.g. --section "${example}"` : ''}`);
}

/** `--cache-dir` (else $IPVS_HARNESS_CACHE, else ~/.cache/ipvs-harness), refused under /proc, /sys or /dev. */
export function cacheDirOption(value: string | undefined): string {
  const dir = value ?? defaultCacheDir();
  checkNotKernelFs(dir, value !== undefined ? 'cache folder (--cache-dir)' : 'cache folder ($IPVS_HARNESS_CACHE or ~/.cache/ipvs-harness)');
  return resolve(dir);
}
