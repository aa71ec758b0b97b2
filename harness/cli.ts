// Entry point of the `ipvs-harness` CLI. One top-level catch turns errors into one clear paragraph
// and an exit code; commands set their exit code through the value they resolve to.
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.ts';
import { formatError } from './errors.ts';
import { EXIT, takeExitCode } from './exit-codes.ts';

export function buildProgram(): Command {
  const program = new Command('ipvs-harness')
    .description('Boot real Linux kernels in QEMU, run IPVS scenarios, trace the ip_vs call graph and judge it.')
    .showHelpAfterError('(run with --help for usage and examples)')
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI and resolves to the process exit code. Never calls process.exit itself. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.configureOutput({
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => process.stderr.write(s),
  });
  let exitCode: number = EXIT.ok;
  program.hook('postAction', (_this, action) => {
    const code = takeExitCode(action);
    if (typeof code === 'number') exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.badInput;
    }
    const { text, exitCode: code } = formatError(err);
    process.stderr.write(`${text}\n`);
    return code;
  }
}

