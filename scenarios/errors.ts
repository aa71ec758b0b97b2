// Validation errors of scenario files: every problem at once, each with file, dotted path and line.

export interface ScenarioIssue {
  path: (string | number)[];
  message: string;
  line?: number;
}

export function dottedPath(path: readonly (string | number | symbol)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(part))) out += `[${JSON.stringify(String(part))}]`; // a sysctl key holds dots
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

export function formatIssue(fileName: string, issue: ScenarioIssue): string {
  const where = issue.line ? `${fileName}:${issue.line}` : fileName;
  return `${where}: ${dottedPath(issue.path)}: ${issue.message}`;
}

export class ScenarioError extends Error {
  readonly code = 'SCENARIO_INVALID';
  readonly exitCode = 2;
  constructor(
    readonly fileName: string,
    readonly issues: ScenarioIssue[],
  ) {
    super(`${fileName}: ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${issues.map((i) => `  ${formatIssue(fileName, i)}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}
