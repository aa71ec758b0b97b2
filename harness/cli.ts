// Entry point of the `ipvs-harness` CLI. One top-level catch turns errors into one clear paragraph
// and an exit code; commands set their exit code through the value they resolve to.
import { Command, CommanderError } from 'commander';
import { commandsFor, type RegisterCommand } from './commands/index.ts';
import { formatError } from './errors.ts';
import { EXIT, takeExitCode } from './exit-codes.ts';
import { exitCodeAfterOutput, guardProcess, guardStdio, isClosedPipe } from './stdio.ts';
import { TOOL_VERSION } from './version.ts';

const EXAMPLES = `
Examples:
  $ ipvs-harness setup                                  # prepare this host (packages, default kernels)
  $ ipvs-harness run -k debian:6.1 -s pod-to-vip        # one kernel, one scenario, into ./ipvs-results
  $ ipvs-harness list my-scenario.yaml                  # validate a scenario file (exit 2 with every problem)
  $ ipvs-harness analyze trace.txt | less               # the call trees of a trace
  $ ipvs-harness check trace.txt -e analysis/graphs/local-request.yaml
  $ ipvs-harness exec -k debian:6.12 -- sh -c 'modprobe ip_vs && cat /proc/net/ip_vs'

Exit codes: 0 passed, 1 a scenario, graph or diff failed, 2 bad input (nothing booted),
3 infrastructure error, 4 skipped, 125 (bisect-run) untestable, 128 (bisect-run) usage mistake,
130 interrupted. \`ipvs-harness <command> --help\` has each command's options and examples.`;

/** The program with the given commands (`commandsFor(argv)`: the one that runs, or all for the help). */
export function buildProgram(commands: readonly RegisterCommand[]): Command {
  const program = new Command('ipvs-harness')
    .description('Boot real Linux kernels in QEMU, run IPVS scenarios, trace the ip_vs call graph and judge it.')
    .version(TOOL_VERSION, '-V, --version', 'print the version of ipvs-harness')
    .showHelpAfterError('(run with --help for usage and examples)')
    .addHelpText('after', EXAMPLES)
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** For bin/: errors that escape every await are reported like the others, a closed pipe stays quiet. */
export function installProcessGuards(): void {
  guardProcess(formatError);
}

/** Runs the CLI and resolves to the process exit code. Never calls process.exit itself. */
export async function main(argv: string[]): Promise<number> {
  guardStdio();
  const program = buildProgram(await commandsFor(argv));
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
    return exitCodeAfterOutput(exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return exitCodeAfterOutput(EXIT.ok);
      return EXIT.badInput;
    }
    // A reader that went away while a command wrote is not the command's failure.
    if (isClosedPipe(err)) return exitCode;
    const { text, exitCode: code } = formatError(err);
    process.stderr.write(`${text}\n`);
    return code;
  }
}
