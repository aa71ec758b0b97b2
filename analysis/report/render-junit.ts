// JUnit XML for CI test viewers (GitLab, Jenkins, GitHub test reporters): one testsuite per kernel,
// one testcase per scenario. A failure carries every failing check and the expected-graph diff; an
// error carries the phase and the console tail; a skip its reason. Files are linked with Jenkins'
// and GitLab's `[[ATTACHMENT|path]]` convention in system-out.
import type { Report, ReportCell, ReportKernel } from './model.ts';
import { escapeXml } from './xml-escape.ts';

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** Viewers split classname at its last dot (package.Class): keep the kernel's dots out of it. */
function classname(kernel: string): string {
  return `ipvs-harness.${kernel.replace(/\./g, '_')}`;
}

function attr(name: string, value: string | number): string {
  // Attribute values are normalised by XML parsers (newlines become spaces): keep messages on one line.
  return ` ${name}="${escapeXml(String(value).replace(/\s*\n\s*/g, ' '))}"`;
}

function failureBody(cell: ReportCell): string {
  const c = cell.result;
  // c.failures already names every failing check and graph (one line each); the diffs follow.
  const out: string[] = [...c.failures];
  for (const g of c.graphs.filter((x) => !x.holds)) {
    out.push('', `graph ${g.name} (role ${g.role}${g.step ? `, step ${g.step}` : ''}) does not hold:`);
    if (g.diff) out.push(g.diff.trimEnd());
  }
  for (const g of (c.bpftrace?.graphs ?? []).filter((x) => !x.holds)) {
    out.push('', `graph ${g.name} (role ${g.role}${g.step ? `, step ${g.step}` : ''}) does not hold on bpftrace's trace:`);
    if (g.diff) out.push(g.diff.trimEnd());
  }
  return out.join('\n');
}

function systemOut(cell: ReportCell): string {
  const lines = [...cell.result.observations];
  for (const g of cell.result.graphs) lines.push(`graph ${g.holds ? 'holds' : 'FAILS'}: ${g.name}`);
  for (const g of cell.result.bpftrace?.graphs ?? []) lines.push(`graph ${g.holds ? 'holds' : 'FAILS'} [bpftrace]: ${g.name}`);
  for (const d of cell.result.agreement?.differences ?? []) lines.push(`tracers disagree: ${d}`);
  for (const a of cell.artifacts) if (a.exists) lines.push(`[[ATTACHMENT|${a.path}]]`);
  return lines.join('\n');
}

function testcase(cell: ReportCell, scenarioFile: string | undefined): string {
  const c = cell.result;
  // The tracer in the name when it is not the default: a CI history keeps ftrace and bpftrace runs apart.
  const name = c.tracer && c.tracer !== 'ftrace' ? `${c.scenario} [${c.tracer === 'both' ? 'ftrace+bpftrace' : 'bpftrace'}]` : c.scenario;
  const head = `    <testcase${attr('name', name)}${attr('classname', classname(c.kernel))}${attr('time', seconds(c.durationMs))}${scenarioFile ? attr('file', scenarioFile) : ''}>`;
  const body: string[] = [];
  if (c.status === 'failed') {
    const type = (c.failures[0] ?? '').startsWith('graph ') ? 'graph' : 'step';
    body.push(`      <failure${attr('message', cell.reason ?? 'failed')}${attr('type', type)}>${escapeXml(failureBody(cell))}</failure>`);
  } else if (c.status === 'error') {
    const e = c.error;
    const text = [e ? `${e.code} in phase ${e.phase}: ${e.message}` : 'error', e?.details ?? '', cell.consoleTail ? `console tail:\n${cell.consoleTail}` : ''].filter(Boolean).join('\n\n');
    body.push(`      <error${attr('message', cell.reason ?? 'error')}${attr('type', e?.code ?? 'ERROR')}>${escapeXml(text)}</error>`);
  } else if (c.status === 'skipped') {
    body.push(`      <skipped${attr('message', c.skipReason ?? 'skipped')}/>`);
  }
  body.push(`      <system-out>${escapeXml(systemOut(cell))}</system-out>`);
  return [head, ...body, '    </testcase>'].join('\n');
}

function suite(k: ReportKernel, index: number, cells: readonly ReportCell[], report: Report): string {
  const count = (s: string) => cells.filter((c) => c.result.status === s).length;
  const time = cells.reduce((n, c) => n + c.result.durationMs, 0) + k.bootMs.reduce((n, b) => n + b, 0);
  const files = new Map(report.scenarios.map((s) => [s.name, s.file]));
  const props: Array<[string, string]> = [['kernel.spec', k.spec]];
  if (k.release) props.push(['kernel.release', k.release]);
  if (k.accel) props.push(['accel', k.accel]);
  if (k.ipvs) props.push(['ipvs', k.ipvs.core], ['ipvs.built-in', k.ipvs.builtIn.join(',')]);
  if (k.bootMs.length > 0) props.push(['boot.ms', k.bootMs.join(',')]);
  if (k.bpftrace) props.push(['bpftrace.version', k.bpftrace.version]);
  if (k.console) props.push(['console', k.console]);
  const cases = cells.map((c) => testcase(c, files.get(c.result.scenario)));
  let errors = count('error');
  // A kernel that failed before any scenario ran still shows up in CI as an error.
  if (cells.length === 0 && k.error) {
    errors = 1;
    cases.push(
      `    <testcase${attr('name', `kernel ${k.spec}`)}${attr('classname', classname(k.spec))} time="0">\n` +
        `      <error${attr('message', `${k.error.phase}: ${k.error.message}`)}${attr('type', k.error.code)}>${escapeXml([k.error.details ?? '', k.consoleTail ?? ''].filter(Boolean).join('\n\n'))}</error>\n    </testcase>`,
    );
  }
  return [
    `  <testsuite${attr('name', k.label ?? k.spec)}${attr('tests', Math.max(cells.length, cases.length))}${attr('failures', count('failed'))}${attr('errors', errors)}${attr('skipped', count('skipped'))}${attr('time', seconds(time))}${attr('timestamp', report.run.startedAt.replace(/Z$/, ''))}${attr('hostname', report.run.host.hostname)}${attr('id', index)}>`,
    '    <properties>',
    ...props.map(([n, v]) => `      <property${attr('name', n)}${attr('value', v)}/>`),
    '    </properties>',
    ...cases,
    '  </testsuite>',
  ].join('\n');
}

export function toJunit(report: Report): string {
  const s = report.run.summary;
  const kernelErrors = report.kernels.filter((k) => k.error && !report.cells.some((c) => c.result.kernel === k.spec)).length;
  const suites = report.kernels.map((k, i) => suite(k, i, report.cells.filter((c) => c.result.kernel === k.spec), report));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attr('name', 'ipvs-harness')}${attr('tests', s.total + kernelErrors)}${attr('failures', s.failed)}${attr('errors', s.error + kernelErrors)}${attr('skipped', s.skipped)}${attr('time', seconds(report.run.durationMs))}${attr('timestamp', report.run.startedAt.replace(/Z$/, ''))}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
