// Pure parsing of scenario files: YAML text in, a validated Scenario out, or a ScenarioError that lists
// every problem with file, line and dotted path; the graph items come out typed (graph-items.ts).
// Reading the file is the caller's job (harness/).
import { lineFinder } from '../analysis/expected-graph-yaml.ts';
import { readYaml } from '../analysis/yaml-input.ts';
import { crossCheck } from './cross-checks.ts';
import { flowNamesOf, resolveFlow } from './flow-names.ts';
import { readGraphItems } from './graph-items.ts';
import { ScenarioError, type ScenarioIssue } from './errors.ts';
import { allowedKeysRecorder, scenarioSchemaIssues, withoutRefused } from './scenario-issues.ts';
import { scenarioSchema, type Scenario, type ScenarioInput } from './schema.ts';

export function parseScenario(text: string, fileName: string): Scenario {
  const input = readYaml(text, { uniqueKeys: true });
  if (!input.ok) {
    throw new ScenarioError(fileName, input.problems.map((p) => ({ path: [], message: p.message, ...(p.line !== undefined ? { line: p.line } : {}) })));
  }
  const checked = checkScenario(input.data);
  if (!checked.ok) {
    const lineOf = lineFinder(input.doc.contents, input.counter);
    for (const issue of checked.issues) {
      const line = lineOf(issue.path);
      if (line !== undefined) issue.line = line;
    }
    throw new ScenarioError(fileName, checked.issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  }
  return checked.scenario;
}

/** `defineScenario` for TypeScript users: the same validation, with the name as the file name. */
export function defineScenario(input: ScenarioInput): Scenario {
  const checked = checkScenario(input);
  const label = typeof (input as { name?: unknown }).name === 'string' ? `scenario ${(input as { name: string }).name}` : 'scenario';
  if (!checked.ok) throw new ScenarioError(label, checked.issues);
  return checked.scenario;
}

/**
 * Schema, cross-references and graph items: every problem at once, or the scenario with its graphs
 * typed. When the schema refuses something, the references and graphs are still checked on the data
 * without the refused parts, so a typo in one key does not hide an unknown name elsewhere.
 */
function checkScenario(data: unknown): { ok: true; scenario: Scenario } | { ok: false; issues: ScenarioIssue[] } {
  const recorder = allowedKeysRecorder();
  const result = scenarioSchema.safeParse(data, { error: recorder.map, reportInput: true });
  if (result.success) {
    const issues = crossCheck(result.data);
    const graphs = readGraphItems(result.data.graphs, result.data.name, (t) => resolveFlow(t, flowNamesOf(result.data)));
    for (const p of graphs.problems) issues.push({ path: ['graphs', ...p.path], message: p.message });
    if (issues.length > 0) return { ok: false, issues };
    return { ok: true, scenario: { ...result.data, graphs: graphs.items } };
  }
  const issues = scenarioSchemaIssues(result.error.issues, recorder.allowedAt);
  const rest = withoutRefused(data, result.error.issues, recorder.allowedAt);
  const repaired = rest === null ? null : scenarioSchema.safeParse(rest);
  if (repaired?.success) {
    // A cross-check about a field the schema already refused would say the same thing twice.
    const under = (p: (string | number)[]) => issues.some((i) => i.path.length <= p.length && i.path.every((seg, k) => seg === p[k]));
    const more = crossCheck(repaired.data);
    for (const p of readGraphItems(repaired.data.graphs, repaired.data.name, (t) => resolveFlow(t, flowNamesOf(repaired.data))).problems) more.push({ path: ['graphs', ...p.path], message: p.message });
    issues.push(...more.filter((i) => !under(i.path)));
  }
  return { ok: false, issues };
}
