// The concrete CallNode the parsers create. A class (not object literals) gives every node the same
// hidden class, which keeps the parser's hot path monomorphic; the field order is the JSON key order.
import type { CallNode, IncompleteReason } from './model.ts';
import type { PacketHeader } from './packet-header.ts';

/** Leaves share one frozen children array: most nodes are leaves and never get children. */
export const NO_CHILDREN: CallNode[] = Object.freeze([]) as unknown as CallNode[];

export class Call implements CallNode {
  fn: string;
  symbol: string;
  module: string | null;
  cpu: number | null;
  task: string | null;
  pid: number | null;
  durationUs: number | null = null;
  startUs: number | null = null;
  complete = true;
  line: number;
  endLine: number | undefined = undefined;
  depth: number;
  children: CallNode[];
  // Rare fields are not own properties until set: smaller nodes, and absent from JSON when unset.
  declare incomplete?: IncompleteReason;
  declare retval?: string;
  declare hook?: number;
  declare family?: 4 | 6;
  declare skb?: string;
  declare netns?: number;
  declare packet?: PacketHeader;
  declare irq?: boolean;
  declare count?: number;

  constructor(
    fn: string,
    symbol: string,
    module: string | null,
    cpu: number | null,
    task: string | null,
    pid: number | null,
    line: number,
    depth: number,
    children: CallNode[],
  ) {
    this.fn = fn;
    this.symbol = symbol;
    this.module = module;
    this.cpu = cpu;
    this.task = task;
    this.pid = pid;
    this.line = line;
    this.depth = depth;
    this.children = children;
  }
}
