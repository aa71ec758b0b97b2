// `--tracer both`: both traces parsed once more and compared (analysis/tracer-agreement.ts).
import { parseBpftraceCalls } from '../../analysis/bpftrace-calls.ts';
import { parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import type { GraphResult, TracerAgreement } from '../../analysis/report/results.ts';
import { tracerAgreement } from '../../analysis/tracer-agreement.ts';
import type { Scenario } from '../../scenarios/schema.ts';

export function compareTracers(
  ftraceText: string, bpftraceText: string, s: Scenario, kernelRelease: string,
  graphs: { ftrace: readonly GraphResult[]; bpftrace: readonly GraphResult[]; probed: readonly string[] },
): TracerAgreement {
  return tracerAgreement({
    ftrace: parseFunctionGraph(ftraceText),
    bpftrace: parseBpftraceCalls(bpftraceText),
    steps: s.steps.map((x) => x.name),
    kernelRelease,
    graphs: { ftrace: graphs.ftrace, bpftrace: graphs.bpftrace },
  });
}
