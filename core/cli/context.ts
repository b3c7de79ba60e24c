import type { Command } from 'commander';
import { type Db, openDatabase } from '../store/database.ts';
import { defaultLibraryFile } from '../store/library-location.ts';
import { progressReporter } from './progress-bar.ts';

/** What every command gets from the global options: the library, progress output, Ctrl-C. */
export interface CliContext {
  libraryFile: string;
  openLibrary(): Db;
  progress: ReturnType<typeof progressReporter>;
  /** Aborted on the first Ctrl-C (the job stops cleanly at the next safe point); a second one exits. */
  signal: AbortSignal;
  /** Machine-readable output requested (`--json` on the command or `--events` globally). */
  events: boolean;
}

export function cliContext(command: Command): CliContext {
  const globals = command.optsWithGlobals() as { db?: string; events?: boolean };
  const libraryFile = globals.db ?? defaultLibraryFile();
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nStopping after the work in flight is saved (Ctrl-C again to quit now)…\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  return {
    libraryFile,
    openLibrary: () => openDatabase(libraryFile),
    progress: progressReporter({ events: globals.events ?? false }),
    signal: controller.signal,
    events: globals.events ?? false,
  };
}
