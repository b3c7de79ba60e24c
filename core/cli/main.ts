import { Command } from 'commander';

/**
 * The `dinoscope` command line. Each command lives in `commands/<name>.ts` and registers itself
 * on the program; this file only assembles them.
 */
const program = new Command('dinoscope')
  .description('Understand a folder of photos without labels: DINO training, embeddings, maps, neighbours.')
  .option('--db <file>', 'library file (default: $DINOSCOPE_DB, else the per-user data folder)')
  .option('--events', 'print progress as JSON lines on stdout (for the app and scripts)')
  .showHelpAfterError();

const commands: ((program: Command) => void)[] = [];
for (const register of commands) register(program);

try {
  await program.parseAsync();
} catch (error) {
  process.stderr.write(`dinoscope: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
