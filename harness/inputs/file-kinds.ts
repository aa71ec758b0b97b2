// Scenario files and expected-graph files are both YAML with `version: 1`; given in each other's place
// they fail validation with a long list of unknown keys. One glance at the top-level keys says which
// one it is, so the message can say so first.
import { readYaml } from '../../analysis/yaml-input.ts';

export type YamlFileKind = 'scenario' | 'graph' | 'other';

const SCENARIO_ONLY = ['topology', 'steps', 'services', 'servers', 'summary'];

export function yamlFileKind(text: string): YamlFileKind {
  const input = readYaml(text);
  if (!input.ok || typeof input.data !== 'object' || input.data === null || Array.isArray(input.data)) return 'other';
  const keys = Object.keys(input.data);
  if (keys.filter((k) => SCENARIO_ONLY.includes(k)).length >= 2) return 'scenario';
  if (keys.includes('expect') && !keys.includes('steps')) return 'graph';
  return 'other';
}

export const SCENARIO_GIVEN_AS_GRAPH =
  'this looks like a scenario file, not an expected graph: run it with `ipvs-harness run -s FILE` or validate it with `ipvs-harness list FILE`; `check --expect` takes a graph file (docs/analysis.md), such as analysis/graphs/local-request.yaml';

export const GRAPH_GIVEN_AS_SCENARIO =
  'this looks like an expected-graph file, not a scenario: judge a trace with it by `ipvs-harness check TRACE --expect FILE`, or copy its expect: items under a scenario\'s graphs: (docs/scenarios.md)';
