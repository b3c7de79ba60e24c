import type { Command } from 'commander';
import { cliContext } from '../context.ts';

export function register(program: Command): void {
  program
    .command('status')
    .description('what the library holds: folders, image counts by status and format, stored sizes')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = cliContext(command);
      const { libraryStatus } = await import('../../library/library-status.ts');
      const db = context.openLibrary();
      try {
        const status = libraryStatus(db);
        if (options.json || context.events) {
          process.stdout.write(`${JSON.stringify({ libraryFile: context.libraryFile, ...status })}\n`);
          return;
        }
        const lines = [`Library: ${context.libraryFile}`];
        const { counts } = status;
        if (status.folders.length === 0) {
          lines.push('No folders yet: add one with `dinoscope add FOLDER`.');
        } else {
          lines.push(
            `${plural(status.folders.length, 'folder')}, ${plural(counts.total, 'file')}: ${counts.ok} ok, ` +
              `${plural(counts.error, 'error')}${counts.error > 0 ? ' (`dinoscope errors` lists them)' : ''}, ${counts.missing} missing`,
          );
          const width = Math.max(...status.folders.map((folder) => folder.path.length));
          for (const folder of status.folders) {
            const scanned =
              folder.lastScanFinishedAt === null
                ? 'scan unfinished: run `dinoscope scan` to continue'
                : `scanned ${new Date(folder.lastScanFinishedAt).toLocaleString()}`;
            const counts = `${folder.ok} ok, ${plural(folder.error, 'error')}, ${folder.missing} missing`;
            lines.push(`  ${folder.path.padEnd(width)}  ${counts.padEnd(34)} ${scanned}`);
          }
          const formats = Object.entries(status.formats).map(([format, n]) => `${format} ${n}`);
          if (formats.length > 0) lines.push(`Formats: ${formats.join(', ')}`);
          lines.push(
            `Stored: thumbnails ${megabytes(status.storedBytes.thumbnails)}, training copies ${megabytes(status.storedBytes.trainingCopies)}`,
          );
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        db.close();
      }
    });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const megabytes = (bytes: number) =>
  bytes < 1e6 ? `${Math.round(bytes / 1e3)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
