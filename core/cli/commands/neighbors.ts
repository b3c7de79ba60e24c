import type { Command } from 'commander';
import { cliContext } from '../context.ts';

export function register(program: Command): void {
  program
    .command('neighbors')
    .description(
      "the photos most similar to IMAGE (a path in the library or an image id): exact cosine search over the model's embeddings",
    )
    .argument('<image>', 'a photo of the library: its path or its image id')
    .option('-k, --k <count>', 'how many neighbours', '20')
    .option('--model <id>', 'model id or name (default: the newest)')
    .option('--json', 'print JSON')
    .action(
      async (image: string, options: { k: string; model?: string; json?: boolean }, command: Command) => {
        const context = cliContext(command);
        const { findNeighbors } = await import('../../analysis/neighbors.ts');
        const db = context.openLibrary();
        try {
          const k = Number(options.k);
          if (!Number.isInteger(k) || k < 1)
            throw new Error(`-k must be a positive whole number (got ${options.k}).`);
          const result = await findNeighbors(db, { image, k, model: options.model });
          if (options.json || context.events) {
            process.stdout.write(`${JSON.stringify(result)}\n`);
            return;
          }
          const lines = [
            `Nearest to ${result.query.path} (image ${result.query.imageId}), model "${result.model.name}", ` +
              `${result.searched} photos searched in ${result.searchMilliseconds.toFixed(1)} ms:`,
            '  rank  similarity  image id  path',
            ...result.neighbors.map(
              (n, i) =>
                `  ${String(i + 1).padStart(4)}  ${n.similarity.toFixed(4).padStart(10)}  ${String(n.imageId).padStart(8)}  ${n.path}`,
            ),
          ];
          if (result.neighbors.length === 0)
            lines.push('  (no other photo has an embedding for this model yet)');
          process.stdout.write(`${lines.join('\n')}\n`);
        } finally {
          db.close();
        }
      },
    );
}
