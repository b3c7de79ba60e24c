import type { Command } from 'commander';
import type { Db } from '../../store/database.ts';
import { type CliContext, cliContext } from '../context.ts';
import { formatDuration } from '../progress-bar.ts';

export function register(program: Command): void {
  program
    .command('scan')
    .description(
      'rescan every registered folder: new and changed files are read, unchanged ones skipped, moved ones keep their id, deleted ones become missing',
    )
    .action(async (_options: unknown, command: Command) => {
      const context = cliContext(command);
      const db = context.openLibrary();
      try {
        const { listFolders } = await import('../../store/folders.ts');
        if (listFolders(db).length === 0) {
          throw new Error('No folders registered yet: add one with `dinoscope add FOLDER`.');
        }
        await runScan(context, db);
      } finally {
        db.close();
      }
    });
}

/** Scans (all folders, or the given ones), shows progress, prints the summary; Ctrl-C exits 130. */
export async function runScan(context: CliContext, db: Db, folderIds?: number[]): Promise<void> {
  const { scanLibrary } = await import('../../library/scan.ts');
  const summary = await scanLibrary(db, { signal: context.signal, onProgress: context.progress, folderIds });
  context.progress.stop();
  if (context.events) {
    for (const problem of summary.folderProblems) {
      process.stdout.write(`${JSON.stringify({ type: 'warning', message: problem.reason })}\n`);
    }
    process.stdout.write(`${JSON.stringify({ type: 'result', result: summary })}\n`);
  } else {
    for (const problem of summary.folderProblems) process.stderr.write(`dinoscope: ${problem.reason}\n`);
    const read = summary.added + summary.updated + summary.moved + summary.errors;
    const parts = [
      `${summary.unchanged} unchanged`,
      `${summary.added} added`,
      `${summary.updated} updated`,
      `${summary.moved} moved`,
      `${summary.restored} restored`,
      `${summary.missing} missing`,
      `${summary.errors} ${summary.errors === 1 ? 'error' : 'errors'}${summary.errors > 0 ? ' (`dinoscope errors` lists them)' : ''}`,
    ];
    const folders = `${summary.folders} ${summary.folders === 1 ? 'folder' : 'folders'}`;
    process.stdout.write(
      summary.cancelled
        ? `Stopped after ${formatDuration(summary.elapsedSeconds)}: ${read} files read and saved (${parts.join(', ')}). Run \`dinoscope scan\` to continue where it stopped.\n`
        : `Scanned ${folders} in ${formatDuration(summary.elapsedSeconds)}: ${summary.found} image files; ${parts.join(', ')}.\n`,
    );
  }
  if (summary.cancelled) process.exitCode = 130;
}
