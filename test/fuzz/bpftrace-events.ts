// Well-formed bpftrace call-event captures for the property tests: nested calls on several tasks and
// CPUs (the idle task, tid 0, once per CPU), interleaved in time, with markers written from inside
// and outside the calls. Each is rendered in the line format of analysis/bpftrace-calls.ts twice: in
// time order (what the runner stores) and in an order bpftrace can print (each CPU's events in time
// order, the CPUs' buffers interleaved); beside them, the trees and markers the parser must build.
import fc from 'fast-check';
import { BPFTRACE_CALLS_HEADER } from '../../analysis/bpftrace-calls.ts';

interface GenCall {
  symbol: string;
  hook: number;
  pf: number;
  ret: string;
  children: GenCall[];
}

interface GenTask {
  cpu: number;
  idle: boolean;
  calls: GenCall[];
  /** After the task's k-th event, a marker from it when markers[k % length]. */
  markers: boolean[];
}

/** A call as the parser must give it (the fields the format carries). */
export interface ExpectedCall {
  symbol: string;
  hook?: number;
  family?: 4 | 6;
  retval: string;
  cpu: number;
  pid: number;
  task: string;
  startUs: number;
  durationUs: number;
  complete: boolean;
  children: ExpectedCall[];
}

export interface ExpectedMarker {
  text: string;
  cpu: number;
  pid: number;
  timeUs: number;
  insideRoot: number | null;
  beforeRoot: number;
}

export interface GeneratedCapture {
  /** As stored: bpftrace's first lines, then the events in time order. */
  inTimeOrder: string;
  /** As bpftrace may print it: per CPU in time order, the CPUs interleaved. */
  printed: string;
  roots: ExpectedCall[];
  markers: ExpectedMarker[];
}

const SYMBOLS = ['ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_nat_xmit', 'ip_vs_conn_in_get', 'tcp_conn_schedule', 'ip_vs_schedule', 'handle_response.isra.0'];

const call: fc.Memo<GenCall> = fc.memo((n) =>
  fc.record({
    symbol: fc.constantFrom(...SYMBOLS),
    hook: fc.integer({ min: -1, max: 5 }),
    pf: fc.constantFrom(-1, 2, 10, 7),
    ret: fc.constantFrom('0', '1', '2', '-55977805050988352'),
    children: n <= 1 ? fc.constant([]) : fc.array(call(n - 1), { maxLength: 3 }),
  }),
);

const task: fc.Arbitrary<GenTask> = fc.record({
  cpu: fc.nat(3),
  idle: fc.boolean(),
  calls: fc.array(call(4), { minLength: 1, maxLength: 4 }),
  markers: fc.array(fc.boolean(), { maxLength: 12 }),
});

type Event = { task: number; cpu: number; body: (ns: number) => string; apply: (ns: number) => void };

const FAMILY: Record<number, 4 | 6> = { 2: 4, 10: 6 };

function build(tasks: GenTask[], picks: number[], printPicks: number[], gaps: number[], base: number): GeneratedCapture {
  // The idle task is one per CPU: a second idle task asked for on a CPU becomes an ordinary one.
  const idleCpus = new Set<number>();
  const ids = tasks.map((t, i) => {
    const idle = t.idle && !idleCpus.has(t.cpu);
    if (idle) idleCpus.add(t.cpu);
    return idle ? { tid: 0, comm: `swapper/${t.cpu}` } : { tid: 100 + i, comm: `task${100 + i}` };
  });
  const roots: ExpectedCall[] = [];
  const markers: ExpectedMarker[] = [];
  const open: ExpectedCall[][] = tasks.map(() => []);
  let markerNo = 0;

  // Each task's events in its own order; `apply` builds the expected trees as they happen in time.
  const perTask: Event[][] = tasks.map((t, ti) => {
    const { tid, comm } = ids[ti]!;
    const events: Event[] = [];
    const addMarker = () => {
      if (t.markers.length === 0 || !t.markers[events.length % t.markers.length]) return;
      const text = `ipvs-harness mark ${markerNo++}`;
      events.push({
        task: ti,
        cpu: t.cpu,
        body: (ns) => `M ${ns} ${t.cpu} ${tid} ${text}`,
        apply: (ns) => {
          const stack = open[ti]!;
          markers.push({ text, cpu: t.cpu, pid: tid, timeUs: ns / 1000, insideRoot: stack.length > 0 ? roots.indexOf(stack[0]!) : null, beforeRoot: roots.length });
        },
      });
    };
    const walk = (c: GenCall): void => {
      events.push({
        task: ti,
        cpu: t.cpu,
        body: (ns) => `> ${ns} ${t.cpu} ${tid} ${c.symbol} ${c.hook} ${c.pf} ${comm}`,
        apply: (ns) => {
          const node: ExpectedCall = { symbol: c.symbol, retval: c.ret, cpu: t.cpu, pid: tid, task: comm, startUs: ns / 1000, durationUs: 0, complete: true, children: [] };
          if (c.hook >= 0 && c.hook <= 4) node.hook = c.hook;
          if (FAMILY[c.pf] !== undefined) node.family = FAMILY[c.pf];
          const stack = open[ti]!;
          if (stack.length > 0) stack[stack.length - 1]!.children.push(node);
          else roots.push(node);
          stack.push(node);
        },
      });
      addMarker();
      c.children.forEach(walk);
      events.push({
        task: ti,
        cpu: t.cpu,
        body: (ns) => `< ${ns} ${t.cpu} ${tid} ${c.symbol} ${c.ret}`,
        apply: (ns) => {
          const node = open[ti]!.pop()!;
          node.durationUs = ns / 1000 - node.startUs;
        },
      });
      addMarker();
    };
    t.calls.forEach(walk);
    return events;
  });

  // Interleave the tasks (each keeps its order) and give every event its own, later, time.
  const timed: Array<{ cpu: number; line: string }> = [];
  const next = perTask.map(() => 0);
  let ns = base;
  for (let k = 0; ; k++) {
    const live = perTask.map((_, i) => i).filter((i) => next[i]! < perTask[i]!.length);
    if (live.length === 0) break;
    const ti = live[picks[k % picks.length]! % live.length]!;
    const e = perTask[ti]![next[ti]!++]!;
    ns += gaps[k % gaps.length]!;
    e.apply(ns);
    timed.push({ cpu: e.cpu, line: e.body(ns) });
  }

  // bpftrace's order: each CPU's events in time order, the CPUs' buffers read in turn.
  const byCpu = [0, 1, 2, 3].map((cpu) => timed.filter((e) => e.cpu === cpu).map((e) => e.line));
  const printedEvents: string[] = [];
  const taken = byCpu.map(() => 0);
  for (let k = 0; printedEvents.length < timed.length; k++) {
    const live = byCpu.map((_, i) => i).filter((i) => taken[i]! < byCpu[i]!.length);
    const cpu = live[printPicks[k % printPicks.length]! % live.length]!;
    printedEvents.push(byCpu[cpu]![taken[cpu]!++]!);
  }

  const head = [`Attaching ${SYMBOLS.length * 2 + 1} probes...`, `${BPFTRACE_CALLS_HEADER} ${base}`, ''];
  const render = (events: string[]) => `${[...head, ...events].join('\n')}\n`;
  return { inTimeOrder: render(timed.map((e) => e.line)), printed: render(printedEvents), roots, markers };
}

/** A capture of 1 to 6 tasks on up to 4 CPUs, up to 4 call trees each, nested up to 4 deep. */
export const generatedCapture: fc.Arbitrary<GeneratedCapture> = fc
  .record({
    tasks: fc.array(task, { minLength: 1, maxLength: 6 }),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
    printPicks: fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
    gaps: fc.array(fc.integer({ min: 1, max: 5_000_000 }), { minLength: 1, maxLength: 20 }),
    base: fc.integer({ min: 0, max: 2 ** 42 }),
  })
  .map(({ tasks, picks, printPicks, gaps, base }) => build(tasks, picks, printPicks, gaps, base));
