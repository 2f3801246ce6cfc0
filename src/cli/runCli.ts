/**
 * `sql-key-rotation`: the operators' command-line tool. It shares the rotation code and the configuration
 * (ROTATION_CONFIG, the same loader, the composition root) with the functions, and runs in-process:
 * bin/sql-key-rotation.js only calls {@link runCli} with process.argv and exits with its result.
 *
 * Commands: plan, rotate, reconcile, status, sync-agents rotate|status. Human tables by default, `--json` for machines.
 * Exit codes: 0 success / clean, 1 error (bad arguments, configuration, Azure unreachable, a failure), 2 drift
 * (`status`, `sync-agents status`).
 */
import { Command, CommanderError, Option } from 'commander';
import { CliContext, type CliRuntime, type GlobalFlags } from './cliContext.js';
import { describeError, EXIT } from './cliUsageError.js';
import type { CliIo } from './cliIo.js';
import { planCommand } from './commands/planCommand.js';
import { reconcileCommand, rotateCommand } from './commands/rotateCommand.js';
import { statusCommand } from './commands/statusCommand.js';
import { syncAgentsRotateCommand, syncAgentsStatusCommand } from './commands/syncAgentsCommand.js';

export type { CliIo, CliStream } from './cliIo.js';
export type { CliRuntime } from './cliContext.js';

/** The program's name as shown in help. */
export const CLI_NAME = 'sql-key-rotation';

/**
 * Runs one command line (`argv` without node and script, e.g. `['status', '--json']`). Never throws and never
 * calls process.exit: returns the exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo, runtime: CliRuntime = {}): Promise<number> {
  let exitCode: number = EXIT.ok;
  let verbose = argv.includes('--verbose');
  const program = buildProgram(io, (flags, run) => {
    verbose = flags.verbose;
    return run(new CliContext(io, flags, runtime)).then((code) => {
      exitCode = code;
    });
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version print and exit 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    io.stderr.write(`${describeError(e)}\n`);
    if (verbose && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    return EXIT.error;
  }
}

type Runner = (flags: GlobalFlags, run: (ctx: CliContext) => Promise<number>) => Promise<void>;

function buildProgram(io: CliIo, runner: Runner): Command {
  const program = new Command(CLI_NAME)
    .description('Operate event-driven TDE key rotation for Azure SQL: plan, rotate now, drift status, sync agent keys.')
    .addOption(new Option('--json', 'machine-readable JSON on stdout (stable shape, see docs/operations.md)').default(false))
    .addOption(new Option('--verbose', 'log every step to stderr; stack traces on errors').default(false))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  // Subcommands inherit the overrides so that their usage errors come back here too.
  const sub = (parent: Command, name: string): Command =>
    parent
      .command(name)
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
      .showHelpAfterError('(run with --help for usage)');
  const flags = (cmd: Command): GlobalFlags => {
    const o = cmd.optsWithGlobals<{ json?: boolean; verbose?: boolean }>();
    return { json: o.json === true, verbose: o.verbose === true };
  };

  sub(program, 'plan')
    .description('dry run: exactly what reconcile would do, target by target, in order (no writes)')
    .option('--key <uri>', 'versionless key URI from ROTATION_CONFIG (default: every configured key)')
    .option('--version <version>', 'version hint (the newest allowed version wins, as in a rotation)')
    .action((opts: { key?: string; version?: string }, cmd: Command) => runner(flags(cmd), (ctx) => planCommand(ctx, opts)));

  sub(program, 'rotate')
    .description('converge every target now (manual trigger, backfill): the plan, executed with the functions\' retry rules')
    .option('--key <uri>', 'versionless key URI from ROTATION_CONFIG (default: every configured key)')
    .option('--version <version>', 'version hint, as an event gives one (the newest allowed version wins)')
    .action((opts: { key?: string; version?: string }, cmd: Command) => runner(flags(cmd), (ctx) => rotateCommand(ctx, opts)));

  sub(program, 'reconcile')
    .description('converge the drifting targets only (what the reconcileKeys timer enqueues), in-process')
    .option('--key <uri>', 'versionless key URI from ROTATION_CONFIG (default: every configured key)')
    .action((opts: { key?: string }, cmd: Command) => runner(flags(cmd), (ctx) => reconcileCommand(ctx, opts)));

  sub(program, 'status')
    .description('drift report: which servers are not on the newest enabled key version (exit 2 on drift)')
    .action((_opts: unknown, cmd: Command) => runner(flags(cmd), (ctx) => statusCommand(ctx)));

  const agents = sub(program, 'sync-agents').description('SQL Data Sync agent keys stored in Key Vault');
  sub(agents, 'rotate')
    .description('regenerate agent keys and store them in Key Vault')
    .option('--agent <id>', 'only this sync agent (full ARM id)')
    .option('--force', 'rotate even agents rotated within the minimum interval', false)
    .action((opts: { agent?: string; force?: boolean }, cmd: Command) =>
      runner(flags(cmd), (ctx) => syncAgentsRotateCommand(ctx, opts)),
    );
  sub(agents, 'status')
    .description('secret age per agent (never the key); exit 2 when a secret is missing or expired')
    .action((_opts: unknown, cmd: Command) => runner(flags(cmd), (ctx) => syncAgentsStatusCommand(ctx)));

  return program;
}
