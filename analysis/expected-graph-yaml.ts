// Expected graphs from YAML text. The `yaml` package keeps source ranges on every node, so each
// validation error points at its line; YAML syntax errors are reported in the same format.
import { isMap, isScalar, isSeq, type LineCounter, type Node as YamlNode } from 'yaml';
import { ExpectedGraphError, type GraphError, type GraphPath } from './expected-graph-types.ts';
import { validateExpectedGraph, type ValidateResult } from './expected-graph-validate.ts';
import { readYaml } from './yaml-input.ts';

/** Line of a path in a YAML document; the last segment points at its key (also used for scenarios). */
export function lineFinder(contents: unknown, counter: LineCounter): (path: GraphPath) => number | undefined {
  const lineAt = (node: unknown): number | undefined => {
    const range = (node as YamlNode | null)?.range;
    return range ? counter.linePos(range[0]).line : undefined;
  };
  return (path) => {
    let node: unknown = contents;
    let line = lineAt(node);
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
        if (!pair) return line;
        // The last segment points at its key: a wrong value is easiest to find from its key.
        line = lineAt(pair.key) ?? line;
        if (i === path.length - 1) return line;
        node = pair.value;
        line = lineAt(node) ?? line;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        line = lineAt(node) ?? line;
      } else {
        return line;
      }
    }
    return line;
  };
}

export interface ParsedGraph extends ValidateResult {
  file: string;
}

/** Parses and validates a YAML expected graph; all problems are returned, none thrown. */
export function parseExpectedGraph(text: string, file = 'expected graph'): ParsedGraph {
  const input = readYaml(text);
  if (!input.ok) {
    const errors: GraphError[] = input.problems.map((p) => ({ path: [], problem: p.message, expected: 'valid YAML', ...(p.line !== undefined ? { line: p.line } : {}) }));
    return { graph: null, errors, file };
  }
  const result = validateExpectedGraph(input.data, lineFinder(input.doc.contents, input.counter));
  if (result.graph) result.graph.file = file;
  return { ...result, file };
}

/** Like parseExpectedGraph, but throws ExpectedGraphError (code INVALID_GRAPH, exit code 2) listing every problem. */
export function parseExpectedGraphOrThrow(text: string, file = 'expected graph') {
  const parsed = parseExpectedGraph(text, file);
  if (parsed.graph === null) throw new ExpectedGraphError(file, parsed.errors);
  return parsed.graph;
}
