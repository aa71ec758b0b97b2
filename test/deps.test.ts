// Checks the import boundaries written down in each folder's DEPS.list (Playwright's check-deps, in small).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const folders = ['analysis', 'vm', 'scenarios', 'harness', 'bench'];

interface Rules { allowOurs: string[]; forbidModules: string[]; forbidGlobals: string[] }

function readRules(folder: string): Rules {
  const text = readFileSync(join(root, folder, 'DEPS.list'), 'utf8');
  const field = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}:`));
    return line ? line.slice(name.length + 1).trim().split(/\s+/).filter(Boolean) : [];
  };
  return { allowOurs: field('allow-ours'), forbidModules: field('forbid-modules'), forbidGlobals: field('forbid-globals') };
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.ts$/.test(name) && !/\.(test|e2e\.test)\.ts$/.test(name)) out.push(p);
  }
  return out;
}

/** Code with comments removed and string contents emptied, scanned in one pass so each hides the other correctly. */
export function stripCommentsAndStrings(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && next === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      out += `${c}${c}`;
      i = j;
    } else out += c;
  }
  return out;
}

const importRe = /(?:^|\n)\s*(?:import|export)[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

describe('folder boundaries (DEPS.list)', () => {
  for (const folder of folders) {
    it(`${folder}/ imports only what its DEPS.list allows`, () => {
      const rules = readRules(folder);
      const problems: string[] = [];
      for (const file of sourceFiles(join(root, folder))) {
        const text = readFileSync(file, 'utf8');
        const rel = relative(root, file);
        for (const m of text.matchAll(importRe)) {
          const spec = m[1] ?? m[2] ?? '';
          if (spec.startsWith('.')) {
            const target = relative(root, resolve(dirname(file), spec)).split('/')[0] ?? '';
            if (target !== folder && !rules.allowOurs.includes(target)) problems.push(`${rel}: imports ${spec} (${target}/ is not allowed)`);
          } else if (rules.forbidModules.includes(spec)) {
            problems.push(`${rel}: imports forbidden module ${spec}`);
          }
        }
        for (const g of rules.forbidGlobals) {
          const re = new RegExp(`(^|[^.\\w])${g}\\.`, 'm');
          // Comments and string literals ('console.log' as a file name) are not uses of the global.
          const code = stripCommentsAndStrings(text);
          if (re.test(code)) problems.push(`${rel}: uses global ${g}`);
        }
      }
      expect(problems).toEqual([]);
    });
  }

  // Judge once: the run's judge stores the verdict; the report renders it and never matches again.
  it('analysis/report/ uses nothing of the matcher (type imports aside)', () => {
    const matcher = ['expected-graph-match.ts', 'path-matcher.ts', 'role-order.ts', 'judged-graph.ts'];
    const problems: string[] = [];
    for (const file of sourceFiles(join(root, 'analysis', 'report'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*import\s+(?!type\s)[^'"`;]*?from\s*['"]([^'"]+)['"]/g)) {
        if (matcher.some((f) => m[1]!.endsWith(`/${f}`))) problems.push(`${relative(root, file)}: imports ${m[1]}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('catches a violation (the check itself can fail)', () => {
    const uses = (code: string) => /(^|[^.\w])console\./m.test(stripCommentsAndStrings(code));
    expect(uses("const f = 'console.log';")).toBe(false);
    expect(uses('  console.error(x);')).toBe(true);
    expect(uses("// it's a comment\nconsole.log(1);")).toBe(true);
    expect(uses('/* console.log */ const a = "x // y"; console.warn(a);')).toBe(true);
    const sample = "import { x } from '../vm/qemu.ts';\n";
    const specs = [...sample.matchAll(importRe)].map((m) => m[1]);
    expect(specs).toEqual(['../vm/qemu.ts']);
  });
});
