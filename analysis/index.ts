// Public API of the analyzer: a pure core (text in, objects out; no file system, processes or network).
//
//   parseTrace(text) / parseFunctionGraph(text) / new FunctionGraphParser({ onRoot }).push(line)
//   parseBpftrace(text), parseKprobeEvents(text)          -> Trace (analysis/model.ts)
//   renderTreeText(trace)                                 -> indented text
//   parseExpectedGraph(yaml, file) / defineExpectedGraph  -> ExpectedGraph (+ errors with lines)
//   matchExpectedGraph(trace, graph, { kernelRelease })   -> Verdict { holds, perRole, mismatches, diffText }
//   findRoleInstances / resolveGeneration                 -> which IPVS role each hook call played
//   findSection / sliceSection                            -> calls between trace_marker lines
//   flowsOf(roots) / flowsByStep(trace) / scopeToFlow     -> hook calls grouped into connections
//   parseBtf(bytes).member(struct, path) / flowLayoutOf   -> struct offsets from a kernel's BTF
// The vitest matchers live in ./vitest-matchers.ts (it imports vitest, so it is not re-exported here).

export * from './model.ts';
export { normaliseSymbol, splitModule } from './normalise.ts';
export { FunctionGraphParser, parseFunctionGraph, type FunctionGraphParserOptions } from './function-graph-parser.ts';
export { parseBpftrace } from './bpftrace-parser.ts';
export { parseKprobeEvents } from './kprobe-events-parser.ts';
export { parseProbeEvent, probeFlowInfo, probeHookInfo, type ProbeFlowInfo } from './probe-event.ts';
export { decodePacket, describePacket, parseByteArray, type PacketEnds, type PacketHeader } from './packet-header.ts';
export { flowMatches, flowsOf, kernelOwnPacket, nameFlow, parseFlowFilter, renderFlowsText, type Flow, type FlowDecision, type FlowFilter, type FlowHookCall, type HookAction } from './flows.ts';
export { attachConnections, attachNames, flowsByStep, type StepFlows } from './step-flows.ts';
export { scopeToFlow, selectsFlow, type FlowSelector } from './flow-scope.ts';
export { parseConnTable, parseIpvsadmConnections, changedEntries, type ConnEntry, type ConnTable } from './conn-table.ts';
export { Btf, BtfError, parseBtf, type MemberLocation } from './btf.ts';
export { flowLayoutOf, type FlowLayout } from './flow-layout.ts';
export {
  CAPTURE_FUNCTION_GRAPH,
  detectTraceFormat,
  parseTrace,
  recognizeTrace,
  recognizeTraceText,
  unsupportedParsedTrace,
  type TraceFormat,
  type TraceRecognition,
  type UnsupportedTrace,
} from './detect-format.ts';
export { renderTreeText, formatCall, type RenderTextOptions } from './render-text.ts';
export * from './ipvs-symbols.ts';
export {
  findRoleInstances,
  hookTable,
  knownRoleKeys,
  parseKernelVersion,
  parseRoleKey,
  resolveGeneration,
  roleMatch,
  summarizeRoles,
  type KernelGeneration,
  type RoleInstance,
  type RoleKey,
} from './roles.ts';
export { findSection, inSection, markerCore, sliceSection, type SectionRange, type SectionSpec } from './section.ts';
export * from './expected-graph-types.ts';
export { defineExpectedGraph, validateExpectedGraph, type ValidateResult } from './expected-graph-validate.ts';
export { parseExpectedGraph, parseExpectedGraphOrThrow, type ParsedGraph } from './expected-graph-yaml.ts';
export {
  matchExpectedGraph,
  type MatchOptions,
  type Mismatch,
  type RoleVerdict,
  type RootRef,
  type Verdict,
} from './expected-graph-match.ts';
export { renderVerdictText } from './expected-graph-diff.ts';
export type { StepReport, StepStatus } from './path-matcher.ts';
