// Expected-graph files for `check --expect`: read with a size limit, validated with every problem at
// once, and a scenario file given in their place named as such.
import { parseExpectedGraph, type ExpectedGraph } from '../../analysis/index.ts';
import { formatGraphError } from '../../analysis/expected-graph-types.ts';
import { MAX_YAML_CHARS } from '../../analysis/yaml-input.ts';
import { inputError } from '../errors.ts';
import { SCENARIO_GIVEN_AS_GRAPH, yamlFileKind } from './file-kinds.ts';
import { inputName, readInputText } from './read-input.ts';

export type GraphLoad = { ok: true; graph: ExpectedGraph } | { ok: false; problem: string };

/** Reads and validates one graph file; a problem is returned (not thrown) so every file is reported. */
export async function loadGraph(path: string): Promise<GraphLoad> {
  let text: string;
  try {
    text = await readInputText({ path, what: 'expected graph', code: 'GRAPH_NOT_READABLE', expected: 'a YAML expected-graph file (docs/analysis.md), such as analysis/graphs/local-request.yaml', maxBytes: MAX_YAML_CHARS, limitWhy: 'graph files are a few KiB' });
  } catch (err) {
    return { ok: false, problem: (err as Error).message };
  }
  const name = inputName(path);
  const parsed = parseExpectedGraph(text, name);
  if (parsed.graph !== null) return { ok: true, graph: parsed.graph };
  if (yamlFileKind(text) === 'scenario') return { ok: false, problem: `${name}: ${SCENARIO_GIVEN_AS_GRAPH}` };
  return { ok: false, problem: `${name}: ${parsed.errors.length} problem(s) in the expected graph:\n${parsed.errors.map((e) => `  ${formatGraphError(name, e)}`).join('\n')}` };
}

/** Every graph of `--expect`, or one INVALID_GRAPH error listing every problem of every file. */
export async function loadGraphs(paths: readonly string[]): Promise<ExpectedGraph[]> {
  const loads = await Promise.all(paths.map(loadGraph));
  const problems = loads.flatMap((l) => (l.ok ? [] : [l.problem]));
  if (problems.length > 0) throw inputError('INVALID_GRAPH', problems.join('\n'));
  return loads.flatMap((l) => (l.ok ? [l.graph] : []));
}
