import { Command } from 'commander';
import { listenForStopRequests } from '../jobs/stop-request.ts';
import { commands } from './commands/index.ts';

/**
 * The `dinoscope` command line. Each command lives in `commands/<name>.ts` and exports
 * `register(program)`; `commands/index.ts` lists them and this file only assembles them. Commands
 * import their heavy modules (tfjs, ONNX Runtime, sharp) inside their action, so `--help` stays
 * instant (and in the engine bundle they are separate chunks, loaded on use).
 */
const program = new Command('dinoscope')
  .description('Understand a folder of photos without labels: DINO training, embeddings, maps, neighbours.')
  .option('--db <file>', 'library file (default: $DINOSCOPE_DB, else the per-user data folder)')
  .option('--events', 'print progress as JSON lines on stdout (for the app and scripts)')
  .showHelpAfterError();

for (const command of commands) command.register(program);

// Run by the app or the web mode, the app's Pause/Cancel/Quit arrive as IPC messages (see stop-request.ts).
const stopListening = listenForStopRequests();
try {
  await program.parseAsync();
} catch (error) {
  process.stderr.write(`dinoscope: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  stopListening();
}
