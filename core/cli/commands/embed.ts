import type { Command } from 'commander';
import { cliContext } from '../context.ts';
import { formatDuration } from '../progress-bar.ts';

/** `dinoscope embed`: one embedding per photo for a model; resumable, incremental. */
export function register(program: Command): void {
  program
    .command('embed')
    .description(
      'embed every photo that has no embedding yet for the model (ONNX Runtime); stop any time and rerun to continue',
    )
    .option('--model <id>', 'model id or name (default: the newest)')
    .option('--batch <n>', 'images per inference batch', (v) => Number.parseInt(v, 10))
    .option('--threads <n>', 'inference threads (default: one per core)', (v) => Number.parseInt(v, 10))
    .action(async (options: { model?: string; batch?: number; threads?: number }, command: Command) => {
      const context = cliContext(command);
      const { embedLibrary } = await import('../../analysis/embed-job.ts');
      const db = context.openLibrary();
      try {
        const result = await embedLibrary(db, context.libraryFile, {
          model: options.model,
          batchSize: options.batch,
          threads: options.threads,
          signal: context.signal,
          onProgress: context.progress,
        });
        context.progress.stop();
        if (context.events) {
          process.stdout.write(`${JSON.stringify({ type: 'result', result })}\n`);
        } else {
          for (const failure of result.failed.slice(0, 10)) {
            process.stderr.write(`dinoscope: could not embed ${failure.path}: ${failure.reason}\n`);
          }
          const total = result.alreadyEmbedded + result.embedded;
          process.stdout.write(
            result.cancelled
              ? `Stopped: ${result.embedded} photos embedded and saved this run (${total} in all). Run \`dinoscope embed\` to continue.\n`
              : result.embedded === 0 && result.failed.length === 0
                ? `All ${total} photos already have an embedding for model "${result.modelName}".\n`
                : `Embedded ${result.embedded} photos with model "${result.modelName}" in ${formatDuration(result.seconds)} ` +
                  `(${result.imagesPerSecond.toFixed(1)} images/s, ${result.engine}); ${total} in all` +
                  `${result.failed.length > 0 ? `, ${result.failed.length} could not be read` : ''}.\n`,
          );
        }
        if (result.cancelled) process.exitCode = 130;
      } finally {
        db.close();
      }
    });
}
