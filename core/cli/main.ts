import { readdirSync } from 'node:fs';
import { Command } from 'commander';

/**
 * The `dinoscope` command line. Each command lives in `commands/<name>.ts` and exports
 * `register(program)`; this file only assembles them. Commands import their heavy modules
 * (tfjs, ONNX Runtime, sharp) inside their action, so `--help` stays instant.
 */
const program = new Command('dinoscope')
  .description('Understand a folder of photos without labels: DINO training, embeddings, maps, neighbours.')
  .option('--db <file>', 'library file (default: $DINOSCOPE_DB, else the per-user data folder)')
  .option('--events', 'print progress as JSON lines on stdout (for the app and scripts)')
  .showHelpAfterError();

const commandsFolder = new URL('./commands/', import.meta.url);
const files = readdirSync(commandsFolder)
  .filter((name) => name.endsWith('.ts'))
  .sort();
for (const file of files) {
  const command = (await import(new URL(file, commandsFolder).href)) as { register(program: Command): void };
  command.register(program);
}

try {
  await program.parseAsync();
} catch (error) {
  process.stderr.write(`dinoscope: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
