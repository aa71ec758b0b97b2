// Pure parsing of scenario files: YAML text in, a validated Scenario out, or a ScenarioError that lists
// every problem with file, line and dotted path; the graph items come out typed (graph-items.ts).
// Reading the file is the caller's job (harness/).
import { isNode, type Document, type LineCounter } from 'yaml';
import { readYaml } from '../analysis/yaml-input.ts';
import { crossCheck } from './cross-checks.ts';
import { readGraphItems } from './graph-items.ts';
import { ScenarioError, type ScenarioIssue } from './errors.ts';
import { scenarioSchema, type Scenario, type ScenarioInput } from './schema.ts';

export function parseScenario(text: string, fileName: string): Scenario {
  const input = readYaml(text, { uniqueKeys: true });
  if (!input.ok) {
    throw new ScenarioError(fileName, input.problems.map((p) => ({ path: [], message: p.message, ...(p.line !== undefined ? { line: p.line } : {}) })));
  }
  const checked = checkScenario(input.data);
  if (!checked.ok) {
    for (const issue of checked.issues) issue.line = lineOf(input.doc, input.counter, issue.path);
    throw new ScenarioError(fileName, checked.issues);
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

/** Schema, cross-references and graph items: every problem at once, or the scenario with its graphs typed. */
function checkScenario(data: unknown): { ok: true; scenario: Scenario } | { ok: false; issues: ScenarioIssue[] } {
  const result = scenarioSchema.safeParse(data);
  if (!result.success) {
    return {
      ok: false,
      issues: result.error.issues.map((i) => ({
        path: i.path.filter((p): p is string | number => typeof p !== 'symbol'),
        message: i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}; expected only the documented fields (see docs/scenarios.md)` : i.message,
      })),
    };
  }
  const issues = crossCheck(result.data);
  const graphs = readGraphItems(result.data.graphs, result.data.name);
  for (const p of graphs.problems) issues.push({ path: ['graphs', ...p.path], message: p.message });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, scenario: { ...result.data, graphs: graphs.items } };
}

/** Line of the deepest YAML node that exists along the path (a missing field points at its parent). */
function lineOf(doc: Document, counter: LineCounter, path: (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}
