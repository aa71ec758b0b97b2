// Pure parsing of scenario files: YAML text in, a validated Scenario out, or a ScenarioError that lists
// every problem with file, line and dotted path. Reading the file is the caller's job (harness/).
import { isNode, type Document, type LineCounter } from 'yaml';
import { readYaml } from '../analysis/yaml-input.ts';
import { crossCheck } from './cross-checks.ts';
import { ScenarioError, type ScenarioIssue } from './errors.ts';
import { scenarioSchema, type Scenario, type ScenarioInput } from './schema.ts';

/** Checks one expected graph in the analyzer's format; returns problems relative to the graph. */
export type GraphChecker = (graph: Record<string, unknown>) => { path: (string | number)[]; message: string }[];

export interface ParseOptions {
  checkGraph?: GraphChecker;
}

export function parseScenario(text: string, fileName: string, options: ParseOptions = {}): Scenario {
  const input = readYaml(text, { uniqueKeys: true });
  if (!input.ok) {
    throw new ScenarioError(fileName, input.problems.map((p) => ({ path: [], message: p.message, ...(p.line !== undefined ? { line: p.line } : {}) })));
  }
  const issues = validateScenarioData(input.data, options);
  if (issues.length > 0) {
    for (const issue of issues) issue.line = lineOf(input.doc, input.counter, issue.path);
    throw new ScenarioError(fileName, issues);
  }
  return scenarioSchema.parse(input.data);
}

/** `defineScenario` for TypeScript users: the same validation, with the name as the file name. */
export function defineScenario(input: ScenarioInput, options: ParseOptions = {}): Scenario {
  const issues = validateScenarioData(input, options);
  const label = typeof (input as { name?: unknown }).name === 'string' ? `scenario ${(input as { name: string }).name}` : 'scenario';
  if (issues.length > 0) throw new ScenarioError(label, issues);
  return scenarioSchema.parse(input);
}

export function validateScenarioData(data: unknown, options: ParseOptions = {}): ScenarioIssue[] {
  const result = scenarioSchema.safeParse(data);
  if (!result.success) {
    return result.error.issues.map((i) => ({
      path: i.path.filter((p): p is string | number => typeof p !== 'symbol'),
      message: i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}; expected only the documented fields (see docs/scenarios.md)` : i.message,
    }));
  }
  const issues = crossCheck(result.data);
  if (options.checkGraph) {
    result.data.graphs.forEach((g, i) => {
      for (const p of options.checkGraph!(g)) issues.push({ path: ['graphs', i, ...p.path], message: p.message });
    });
  }
  return issues;
}

/** Line of the deepest YAML node that exists along the path (a missing field points at its parent). */
function lineOf(doc: Document, counter: LineCounter, path: (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}
