// YAML text to plain data for the scenario and expected-graph parsers, with the limits a parser of
// untrusted files needs. The `yaml` package composes nested collections recursively: a few hundred
// to a few thousand levels (`[[[[...` or `- - - -`) exhaust the stack, and when the overflow hits V8
// while it compiles a regular expression the process dies with a fatal "out of memory" that no
// try/catch can stop. Real scenario and graph files nest fewer than 15 levels and weigh a few KiB,
// so deeper or larger inputs are refused before the yaml package sees them. Aliases that point
// nowhere or expand without bound (billion laughs) throw from `toJS()`; they become problems too.
import { isAlias, LineCounter, parseDocument, visit, type Document } from 'yaml';

export const MAX_YAML_DEPTH = 64;
export const MAX_YAML_CHARS = 1024 * 1024;

export interface YamlProblem {
  message: string;
  line?: number;
}

export type YamlInput =
  | { ok: true; doc: Document; counter: LineCounter; data: unknown }
  | { ok: false; problems: YamlProblem[]; doc?: Document; counter?: LineCounter };

/** Parses YAML; never throws for any input text. */
export function readYaml(text: string, options: { uniqueKeys?: boolean } = {}): YamlInput {
  if (text.length > MAX_YAML_CHARS) {
    return { ok: false, problems: [{ message: `file too large: ${text.length} characters; expected at most ${MAX_YAML_CHARS} (scenario and graph files are a few KiB)` }] };
  }
  const deep = nestingProblem(text);
  if (deep) return { ok: false, problems: [deep] };
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: options.uniqueKeys ?? true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const p: YamlProblem = { message: `YAML syntax: ${e.message.split('\n')[0]}` };
      const line = e.linePos?.[0]?.line ?? (e.pos ? counter.linePos(e.pos[0]).line : undefined);
      if (line !== undefined) p.line = line;
      return p;
    });
    return { ok: false, problems, doc, counter };
  }
  try {
    return { ok: true, doc, counter, data: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (err) {
    // yaml throws ReferenceError for an alias without its anchor and for alias expansion past maxAliasCount.
    const p: YamlProblem = { message: `YAML aliases: ${(err as Error).message}; expected each *alias after its &anchor, and no alias chains that expand without bound` };
    const line = firstAliasLine(doc, counter);
    if (line !== undefined) p.line = line;
    return { ok: false, problems: [p], doc, counter };
  }
}

function firstAliasLine(doc: Document, counter: LineCounter): number | undefined {
  let line: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node) && node.range && line === undefined) line = counter.linePos(node.range[0]).line;
      return line === undefined ? undefined : visit.BREAK;
    },
  });
  return line;
}

/**
 * An upper estimate of how deep collections nest: open block levels (by indentation), `- ` / `? `
 * entries that open a collection on the same line, and open flow brackets outside quotes, comments
 * and block scalars. Exactness does not matter, only that real files stay far below the limit.
 */
export function nestingProblem(text: string, limit = MAX_YAML_DEPTH): YamlProblem | null {
  const indents: number[] = [];
  let flow = 0;
  let flowBase = 0;
  let blockScalarIndent = -1;
  const lines = text.split(/\r?\n|\r/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    const indent = line.length - line.trimStart().length;
    const body = line.trimStart();
    if (blockScalarIndent >= 0) {
      if (body === '' || indent > blockScalarIndent) continue;
      blockScalarIndent = -1;
    }
    if (body === '' || body.startsWith('#')) continue;
    let at = indent;
    if (flow === 0) {
      while (indents.length > 0 && indents[indents.length - 1]! > indent) indents.pop();
      if (indents.length === 0 || indents[indents.length - 1]! < indent) indents.push(indent);
      let entries = 0;
      while (/^[-?:](\s|$)/.test(line.slice(at))) {
        entries++;
        at += 1;
        while (line[at] === ' ' || line[at] === '\t') at++;
      }
      const depth = indents.length + entries;
      if (depth > limit) return tooDeep(n + 1, limit);
      const value = valueStart(line, at);
      if (value < 0) continue;
      if (/^[|>][-+0-9]*\s*(#.*)?$/.test(line.slice(value))) {
        blockScalarIndent = indent;
        continue;
      }
      if (line[value] !== '[' && line[value] !== '{') continue;
      at = value;
      flowBase = depth;
    }
    for (let i = at; i < line.length; i++) {
      const c = line[i];
      if (c === '"' || c === "'") i = skipQuoted(line, i);
      else if (c === '#' && (i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) break;
      else if (c === '[' || c === '{') {
        flow++;
        if (flowBase + flow > limit) return tooDeep(n + 1, limit);
      } else if (c === ']' || c === '}') {
        flow = Math.max(0, flow - 1);
        if (flow === 0) break;
      }
    }
  }
  return null;
}

function tooDeep(line: number, limit: number): YamlProblem {
  return { line, message: `collections nested deeper than ${limit} levels; expected a shallow file (scenario and graph files nest fewer than 15 levels)` };
}

/** Where the value of a block line starts: after `key: ` when there is one (outside quotes), else at `from`. */
function valueStart(line: string, from: number): number {
  if (from >= line.length) return -1;
  if (line[from] === '[' || line[from] === '{' || line[from] === '|' || line[from] === '>') return from;
  for (let i = from; i < line.length; i++) {
    const c = line[i];
    if (c === '"' || c === "'") i = skipQuoted(line, i);
    else if (c === '#' && (line[i - 1] === ' ' || line[i - 1] === '\t')) return -1;
    else if (c === ':' && (i + 1 === line.length || line[i + 1] === ' ' || line[i + 1] === '\t')) {
      let v = i + 1;
      while (line[v] === ' ' || line[v] === '\t') v++;
      return v < line.length ? v : -1;
    }
  }
  return from;
}

/** Index of the closing quote (or the line's end): '' escapes in single quotes, \ in double quotes. */
function skipQuoted(line: string, open: number): number {
  const q = line[open];
  for (let i = open + 1; i < line.length; i++) {
    if (q === '"' && line[i] === '\\') i++;
    else if (line[i] === q) {
      if (q === "'" && line[i + 1] === "'") i++;
      else return i;
    }
  }
  return line.length;
}
