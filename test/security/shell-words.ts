// A small reading of POSIX shell quoting, enough to ask "which parts of this script would the shell
// interpret?": single-quoted text is literal, everything else is not.

/** The script with every single-quoted segment removed (`'a'\''b'` leaves `\'`). */
export function unquotedText(script: string): string {
  let out = '';
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (c === '\\' && i + 1 < script.length) {
      out += c + script[++i]!;
    } else if (c === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) return out + script.slice(i); // unterminated: the shell would fail; report it all
      i = end;
      out += ' ';
    } else out += c;
  }
  return out;
}

/** The contents of every single-quoted segment, joined across `'\''` escapes. */
export function singleQuotedValues(script: string): string[] {
  const values: string[] = [];
  let current: string | null = null;
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (c === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) break;
      current = (current ?? '') + script.slice(i + 1, end);
      i = end;
      if (script.startsWith("\\''", i + 1)) {
        current += "'";
        i += 2;
        continue;
      }
      values.push(current);
      current = null;
    }
  }
  return values;
}
