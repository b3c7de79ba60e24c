import type { Command } from 'commander';
import { cliContext } from '../context.ts';

/** `dinoscope weights list|fetch`: the published DINO/DINOv2 backbones, downloaded and imported in one step. */
export function register(program: Command): void {
  const weights = program
    .command('weights')
    .description('published DINO and DINOv2 backbones: list them, or fetch one into the library as a model');

  weights
    .command('list')
    .description('the catalogue: name, architecture, size, licence, ImageNet k-NN and what each is good for')
    .option('--json', 'print the catalogue as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = cliContext(command);
      const { PUBLISHED_WEIGHTS } = await import('../../weights/published-weights.ts');
      if (options.json || context.events) {
        process.stdout.write(`${JSON.stringify({ type: 'result', result: PUBLISHED_WEIGHTS })}\n`);
        return;
      }
      for (const entry of PUBLISHED_WEIGHTS) {
        const a = entry.architecture;
        process.stdout.write(
          `${entry.key.padEnd(19)} ${entry.title}\n` +
            `${''.padEnd(19)} ${a.embedDim}-wide, ${a.depth} blocks, ${a.numHeads} heads, patch ${a.patchSize}` +
            `${a.registers > 0 ? `, ${a.registers} registers` : ''}; about ${(entry.approximateBytes / 1e6).toFixed(0)} MB; ` +
            `ImageNet k-NN ${entry.imagenetKnn.toFixed(1)} %; ${entry.licence}; ` +
            `SHA-256 ${entry.sha256 ?? 'not pinned here (shape-checked only; --sha256 HEX verifies)'}\n` +
            `${''.padEnd(19)} ${entry.goodFor}\n`,
        );
      }
      process.stdout.write(
        '\nFetch one into the library: dinoscope weights fetch dino-vits16 (then dinoscope embed, dinoscope map).\n',
      );
    });

  weights
    .command('fetch')
    .description(
      'download published weights (a catalogue name or any http(s) URL) into the library data folder, resuming an interrupted download, verify the SHA-256 and the architecture, and import them as a model',
    )
    .argument(
      '<name-or-url>',
      'a name from `dinoscope weights list`, or the URL of a .pth or safetensors file',
    )
    .option(
      '--sha256 <hex>',
      'expected SHA-256 of the file (a mismatch deletes the download and imports nothing)',
    )
    .option('--name <name>', 'model name in the library (default: the catalogue title or the file name)')
    .option('--heads <n>', 'attention heads, when the width is not a multiple of 64 per head', (v) =>
      Number.parseInt(v, 10),
    )
    .option('--json', 'print the new model as JSON')
    .action(
      async (
        nameOrUrl: string,
        options: { sha256?: string; name?: string; heads?: number; json?: boolean },
        command: Command,
      ) => {
        const context = cliContext(command);
        const { fetchWeights } = await import('../../weights/fetch-weights.ts');
        const { DownloadCancelled } = await import('../../weights/resumable-download.ts');
        const db = context.openLibrary();
        try {
          const result = await fetchWeights(db, context.libraryFile, nameOrUrl, {
            sha256: options.sha256,
            name: options.name,
            numHeads: options.heads,
            onProgress: context.progress,
            signal: context.signal,
          });
          context.progress.stop();
          const { model, description, download } = result;
          if (options.json || context.events) {
            process.stdout.write(`${JSON.stringify({ type: 'result', result })}\n`);
          } else {
            process.stdout.write(
              `Downloaded ${(download.bytes / 1e6).toFixed(1)} MB${download.resumedFrom > 0 ? ` (resumed after ${(download.resumedFrom / 1e6).toFixed(1)} MB)` : ''}, ` +
                `SHA-256 ${download.sha256}${download.verified ? ' (verified)' : ' (no published checksum to compare)'}.\n` +
                `Imported model ${model.id} "${model.name}": ${description}.\n` +
                `Next: dinoscope embed --model ${model.id}, then dinoscope map --model ${model.id}.\n`,
            );
          }
        } catch (error) {
          context.progress.stop();
          if (error instanceof DownloadCancelled) {
            process.stderr.write(`${error.message}\n`);
            process.exitCode = 130;
            return;
          }
          throw error;
        } finally {
          db.close();
        }
      },
    );
}
