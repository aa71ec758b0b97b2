// Expected graphs from YAML text. The `yaml` package keeps source ranges on every node, so each
// validation error points at its line; YAML syntax errors are reported in the same format.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { ExpectedGraphError, type GraphError, type GraphPath } from './expected-graph-types.ts';
import { validateExpectedGraph, type ValidateResult } from './expected-graph-validate.ts';

function lineFinder(contents: unknown, counter: LineCounter): (path: GraphPath) => number | undefined {
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
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const errors: GraphError[] = doc.errors.map((e) => {
      const line = e.linePos?.[0]?.line ?? (e.pos ? counter.linePos(e.pos[0]).line : undefined);
      const err: GraphError = { path: [], problem: `YAML syntax: ${e.message.split('\n')[0]}`, expected: 'valid YAML' };
      if (line !== undefined) err.line = line;
      return err;
    });
    return { graph: null, errors, file };
  }
  const result = validateExpectedGraph(doc.toJS(), lineFinder(doc.contents, counter));
  if (result.graph) result.graph.file = file;
  return { ...result, file };
}

/** Like parseExpectedGraph, but throws ExpectedGraphError (code INVALID_GRAPH, exit code 2) listing every problem. */
export function parseExpectedGraphOrThrow(text: string, file = 'expected graph') {
  const parsed = parseExpectedGraph(text, file);
  if (parsed.graph === null) throw new ExpectedGraphError(file, parsed.errors);
  return parsed.graph;
}
