import type { Command } from 'commander';
import { cliContext } from '../context.ts';

/** `dinoscope export`: the embeddings matrix for use outside dinoscope. */
export function register(program: Command): void {
  program
    .command('export')
    .description(
      "export a model's embeddings: npy (float32 matrix + row-aligned ids CSV), parquet (ids, paths, capture time, vector) or csv",
    )
    .requiredOption('--format <format>', 'npy | parquet | csv')
    .requiredOption('-o, --output <file>', 'file to write')
    .option('--model <id>', 'model id or name (default: the newest)')
    .action(async (options: { format: string; output: string; model?: string }, command: Command) => {
      const context = cliContext(command);
      const { exportFeatures } = await import('../../export/features.ts');
      const { ProgressTracker } = await import('../../jobs/progress.ts');
      const db = context.openLibrary();
      try {
        let tracker: InstanceType<typeof ProgressTracker> | null = null;
        const result = await exportFeatures(db, options.format as 'npy', options.output, {
          model: options.model,
          onProgress: (done, total) => {
            tracker ??= new ProgressTracker('export', total);
            context.progress(tracker.update(done));
          },
        });
        context.progress.stop();
        if (context.events) {
          process.stdout.write(`${JSON.stringify({ type: 'result', result })}\n`);
        } else {
          process.stdout.write(
            `Exported ${result.rows} embeddings of ${result.dim} dimensions (model "${result.modelName}") to ${result.files.join(' and ')}.\n`,
          );
        }
      } finally {
        db.close();
      }
    });
}
