import type { Command } from 'commander';
import { cliContext } from '../context.ts';
import { runScan } from './scan.ts';

export function register(program: Command): void {
  program
    .command('add')
    .description('register folders of photos (searched recursively) and scan them')
    .argument('<folders...>', 'folders to add')
    .action(async (folders: string[], _options: unknown, command: Command) => {
      const context = cliContext(command);
      const { addFolders } = await import('../../library/add-folders.ts');
      const db = context.openLibrary();
      try {
        const result = addFolders(db, folders);
        if (!context.events) {
          for (const folder of result.added) process.stdout.write(`Added ${folder.path}\n`);
          for (const { path, by } of result.alreadyCovered) {
            process.stdout.write(
              path === by
                ? `Already in the library: ${path}\n`
                : `Already in the library (inside ${by}): ${path}\n`,
            );
          }
        }
        await runScan(context, db, result.folderIds);
      } finally {
        db.close();
      }
    });
}
