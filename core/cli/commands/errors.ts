import type { Command } from 'commander';
import { cliContext } from '../context.ts';

export function register(program: Command): void {
  program
    .command('errors')
    .description('list every file that could not be read, with the reason')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = cliContext(command);
      const { listErrors } = await import('../../library/library-status.ts');
      const db = context.openLibrary();
      try {
        const errors = listErrors(db);
        if (options.json || context.events) {
          process.stdout.write(`${JSON.stringify(errors)}\n`);
        } else if (errors.length === 0) {
          process.stdout.write('No errors: every file found so far was read.\n');
        } else {
          const lines = [`${errors.length} ${errors.length === 1 ? 'file' : 'files'} could not be read:`];
          for (const error of errors) lines.push(error.path, `  ${error.reason}`);
          process.stdout.write(`${lines.join('\n')}\n`);
        }
      } finally {
        db.close();
      }
    });
}
