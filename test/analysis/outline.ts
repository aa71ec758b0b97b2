// Test helper: writes function_graph text from an indented outline, so graph tests read like trees.
//   ip_vs_in_hook @hook=3     -> entry, then a kprobe event comment giving the hook number
//     ip_vs_conn_in_get       -> leaf
//     tcp_conn_schedule       -> entry with children (next line deeper)
//       ip_vs_schedule
//   # text                    -> trace_marker comment
//   ! irq_handler             -> call entered after a funcgraph-irqs arrow
// Names may carry a module: `ip_vs_in_hook [ip_vs]`.

export function outline(text: string, task = 'wget-308', cpu = 0): string {
  const rows = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => ({ depth: (l.length - l.trimStart().length) / 2, body: l.trim() }));
  const out: string[] = [];
  const prefix = ` ${cpu})  ${task.padStart(10)}   `;
  const open: Array<{ depth: number; name: string }> = [];
  const close = (depth: number) => {
    while (open.length > 0 && open[open.length - 1]!.depth >= depth) {
      const o = open.pop()!;
      out.push(`${prefix}|   1.000 us    |  ${'  '.repeat(o.depth)}} /* ${o.name} */`);
    }
  };
  rows.forEach((row, i) => {
    close(row.depth);
    const pad = '  '.repeat(row.depth);
    if (row.body.startsWith('# ')) {
      out.push(`${prefix}|               |  ${pad}/* ${row.body.slice(2)} */`);
      return;
    }
    let body = row.body;
    if (body.startsWith('! ')) {
      out.push(`${prefix}|  ==========> |`);
      body = body.slice(2);
    }
    const hook = /\s+@hook=(\d)(?: pf=(\d+))?$/.exec(body);
    if (hook) body = body.slice(0, hook.index);
    const name = body;
    const fn = name.split(' ')[0]!;
    const hasChildren = rows[i + 1] !== undefined && rows[i + 1]!.depth > row.depth;
    if (hasChildren || hook) {
      out.push(`${prefix}|               |  ${pad}${name}() {`);
      if (hook) out.push(`${prefix}|               |  ${pad}/* probe: (${fn}+0x0/0x620${name.includes('[') ? ` ${name.slice(name.indexOf('['))}` : ''}) hook=${hook[1]}${hook[2] ? ` pf=${hook[2]}` : ''} */`);
      open.push({ depth: row.depth, name });
    } else {
      out.push(`${prefix}|   1.000 us    |  ${pad}${name}();`);
    }
  });
  close(0);
  return `${out.join('\n')}\n`;
}
