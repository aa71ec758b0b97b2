// Expected call graphs: what a trace must show, per IPVS role, written once for every kernel.
// The input shape (YAML or the TypeScript API) is documented in docs/analysis.md; the normalised
// shape below is what the matcher reads.
import type { SectionSpec } from './section.ts';

export const EXPECTED_GRAPH_VERSION = 1;

/** How many: `3` (exactly), `{min: 1}`, `{max: 2}`, `{min: 1, max: 4}`. */
export interface CountSpec {
  min?: number;
  max?: number;
}

/** Location in the graph document: ['expect', 0, 'path', 2] prints as `expect[0].path[2]`. */
export type GraphPath = ReadonlyArray<string | number>;

export interface CallStep {
  kind: 'call';
  /** Normalised function names; a node matches if its `fn` is one of them (or an alias of one). */
  names: string[];
  /** The step may be absent. */
  optional: boolean;
  /** Disables the inlinable-helper allowance: the call must be traced even if kernels may inline it. */
  required: boolean;
  /** Must be a direct child of the enclosing call (the role root, or the step holding `inside`). */
  direct: boolean;
  /** Steps that must appear, in order, inside the matched call. */
  inside: Step[];
  /** Calls that must not appear inside the matched call. */
  forbid: string[];
  /** How many calls with these names the enclosing call may contain. */
  count?: CountSpec;
  at: GraphPath;
  line?: number;
}

export interface AnyOfStep {
  kind: 'anyOf';
  /** Each alternative is a path; the first that matches is used. */
  alternatives: Step[][];
  optional: boolean;
  at: GraphPath;
  line?: number;
}

export type Step = CallStep | AnyOfStep;

export type Quantifier = 'any' | 'every';

export interface Expectation {
  label: string;
  /** An IPVS role (`local_request`, `reply4`, ...) or, with `root`, any call of that function. */
  role?: string;
  root?: string;
  /** `any`: at least one root of the role satisfies the path; `every`: all of them do. */
  match: Quantifier;
  /** How many roots must satisfy (`any`) or exist (`every`). Default: at least one. */
  roots?: CountSpec;
  path: Step[];
  /** Calls that must not appear anywhere under a satisfying root. */
  forbid: string[];
  section?: SectionSpec;
  at: GraphPath;
  line?: number;
}

export interface ExpectedGraph {
  version: typeof EXPECTED_GRAPH_VERSION;
  name: string;
  description?: string;
  /** Default section for every expectation. */
  section?: SectionSpec;
  expect: Expectation[];
  /** Where the graph came from, for messages. */
  file?: string;
}

/** The YAML / TypeScript input form of a step. */
export type StepInput =
  | string
  | {
      call: string | string[];
      optional?: boolean;
      required?: boolean;
      direct?: boolean;
      inside?: StepInput[];
      forbid?: string[];
      count?: number | CountSpec;
    }
  | { anyOf: Array<StepInput | StepInput[]>; optional?: boolean };

export interface ExpectationInput {
  role?: string;
  root?: string;
  label?: string;
  match?: Quantifier;
  roots?: number | CountSpec;
  section?: SectionSpec;
  path?: StepInput[];
  forbid?: string[];
}

export interface ExpectedGraphInput {
  version: number;
  name: string;
  description?: string;
  section?: SectionSpec;
  expect: ExpectationInput[];
}

export interface GraphError {
  path: GraphPath;
  problem: string;
  expected?: string;
  line?: number;
}

export function formatGraphPath(path: GraphPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out || '(root)';
}

/** `file:12: expect[0].path[2].call: unknown key "cal"; expected one of call, anyOf` */
export function formatGraphError(file: string, e: GraphError): string {
  const where = e.line !== undefined ? `${file}:${e.line}` : file;
  const field = e.path.length > 0 ? `${formatGraphPath(e.path)}: ` : '';
  return `${where}: ${field}${e.problem}${e.expected ? `; expected ${e.expected}` : ''}`;
}

export class ExpectedGraphError extends Error {
  readonly code = 'INVALID_GRAPH';
  readonly exitCode = 2;
  readonly errors: GraphError[];
  readonly file: string;
  constructor(file: string, errors: GraphError[]) {
    super(`${file}: ${errors.length} problem(s) in the expected graph:\n${errors.map((e) => `  ${formatGraphError(file, e)}`).join('\n')}`);
    this.name = 'ExpectedGraphError';
    this.file = file;
    this.errors = errors;
  }
}
