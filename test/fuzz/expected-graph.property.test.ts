// Property tests of the expected-graph parser: random, mutated-real (analysis/graphs and the graphs of
// the seed scenarios) and truncated YAML, and real graphs with any field replaced, give either a graph
// or the list of errors (`parseExpectedGraph` never throws; `...OrThrow` throws only an
// ExpectedGraphError); a graph that validates can be matched against a real capture.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ExpectedGraphError } from '../../analysis/expected-graph-types.ts';
import { matchExpectedGraph } from '../../analysis/expected-graph-match.ts';
import { parseExpectedGraph, parseExpectedGraphOrThrow, type ParsedGraph } from '../../analysis/expected-graph-yaml.ts';
import { parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import { capture } from '../analysis/fixtures.ts';
import { lineMutations, mutateLines } from './mutations.ts';
import { fieldPaths, setAt } from './object-paths.ts';

const graphDir = join(import.meta.dirname, '..', '..', 'analysis', 'graphs');
const seedDir = join(import.meta.dirname, '..', '..', 'scenarios', 'seed');
const fileGraphs = readdirSync(graphDir).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(join(graphDir, f), 'utf8'));
// A seed scenario's graph items are expectations too: wrapped as one graph each.
const scenarioGraphs = readdirSync(seedDir).filter((f) => f.endsWith('.yaml')).flatMap((f) => {
  const s = parseYaml(readFileSync(join(seedDir, f), 'utf8')) as { graphs?: Record<string, unknown>[] };
  return (s.graphs ?? []).filter((g) => g['order'] === undefined).map(({ step: _s, name: _n, ...e }) => stringify({ version: 1, name: 'from-scenario', expect: [e] }));
});
const realGraphs = [...fileGraphs, ...scenarioGraphs];
const realLines = realGraphs.map((g) => g.split('\n'));
const realObjects = realGraphs.map((g) => parseYaml(g) as Record<string, unknown>);
const traces = [parseFunctionGraph(capture('5.10', 'host_vip')), parseFunctionGraph(capture('6.12', 'noavail_udp'))];

function checked(text: string): ParsedGraph {
  const r = parseExpectedGraph(text, 'fuzz.yaml');
  expect(r.graph === null ? r.errors.length > 0 : r.errors.length === 0).toBe(true);
  for (const e of r.errors) {
    expect(typeof e.problem).toBe('string');
    if (e.line !== undefined) expect(Number.isInteger(e.line) && e.line >= 1).toBe(true);
  }
  try {
    parseExpectedGraphOrThrow(text, 'fuzz.yaml');
    expect(r.graph).not.toBeNull();
  } catch (err) {
    if (!(err instanceof ExpectedGraphError)) throw err;
    expect(err.errors.length).toBeGreaterThan(0);
  }
  if (r.graph) for (const t of traces) expect(typeof matchExpectedGraph(t, r.graph).holds).toBe('boolean');
  return r;
}

const piece = fc.constantFrom(
  'version: 1\n', 'name: x\n', 'expect:\n', '  - role: reply\n', '  - root: ip_vs_in_hook\n', '    match: every\n', '    path:\n', '      - a\n', '      - call: [a, b]\n', '        inside: [c]\n',
  '      - anyOf: [x, [y, z]]\n', '        count: {min: 2}\n', '        count: 3\n', '    roots: {max: -1}\n', '    section: s\n', '    forbid: [ip_vs_leave]\n', ': :\n', '- - -\n', '{[\n', '&a ', '*a', '!!set ', '? ', '~\n', '1e999\n',
);

describe('parseExpectedGraph: a graph or its errors, never an exception', () => {
  it('random text (2000 cases)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (t) => void checked(t)), { numRuns: 2000 });
  });

  it('YAML made of graph pieces (2000 cases)', () => {
    fc.assert(fc.property(fc.array(piece, { maxLength: 20 }), (p) => void checked(p.join(''))), { numRuns: 2000 });
  });

  it('mutated real graphs, whole and cut at any character (1500 cases)', () => {
    fc.assert(
      fc.property(fc.nat(realLines.length - 1), lineMutations(realLines.flat()), fc.double({ min: 0, max: 1, noNaN: true }), (which, muts, frac) => {
        const text = mutateLines(realLines[which]!, muts).join('\n');
        checked(text);
        checked(text.slice(0, Math.floor(text.length * frac)));
      }),
      { numRuns: 1500 },
    );
  });

  it('real graphs with one field replaced by any JSON value (1500 cases)', () => {
    const paths = realObjects.map((o) => fieldPaths(o));
    fc.assert(
      fc.property(fc.nat(realObjects.length - 1), fc.nat(), fc.jsonValue({ maxDepth: 3 }), (which, pick, value) => {
        const all = paths[which]!;
        checked(stringify(setAt(realObjects[which]!, all[pick % all.length]!, value)));
      }),
      { numRuns: 1500 },
    );
  });

  it('every real graph still parses', () => {
    for (const g of realGraphs) expect(checked(g).errors).toEqual([]);
  });
});
