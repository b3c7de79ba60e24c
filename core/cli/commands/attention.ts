import type { Command } from 'commander';
import { cliContext } from '../context.ts';

export function register(program: Command): void {
  program
    .command('attention')
    .description(
      "what the model looks at in a photo: the last block's class-token attention per head and averaged, drawn over the photo (inferno) beside the reference's mass mask (the smallest set of patches holding --threshold of the attention)",
    )
    .argument('<image>', 'a photo: its library path or image id (cached), or any image file')
    .requiredOption('-o, --output <file>', 'PNG to write')
    .option('--head <head>', 'all (mean, then every head), mean, or a head number', 'mean')
    .option('--threshold <mass>', 'share of the attention the mask keeps', '0.6')
    .option('--model <id>', 'model id or name (default: the newest)')
    .option('--size <pixels>', 'long side of the model input, rounded to a multiple of the patch size', '480')
    .option('--json', 'print the attention grids and mask figures as JSON')
    .action(
      async (
        image: string,
        options: {
          output: string;
          head: string;
          threshold: string;
          model?: string;
          size: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        const context = cliContext(command);
        const head = parseHead(options.head);
        const threshold = Number(options.threshold);
        if (!(threshold > 0 && threshold <= 1)) {
          throw new Error(`--threshold must be a share in (0, 1] (got ${options.threshold}).`);
        }
        const longSide = Number(options.size);
        if (!Number.isInteger(longSide) || longSide < 16 || longSide > 4096) {
          throw new Error(`--size must be a whole number of pixels from 16 to 4096 (got ${options.size}).`);
        }
        const { writeFileSync } = await import('node:fs');
        const { computeAttention, readAttentionInput } = await import('../../analysis/attention-map.ts');
        const { attentionFigure } = await import('../../analysis/attention-overlay.ts');
        const { massMask, maskedMass } = await import('../../analysis/attention-mask.ts');
        const db = context.openLibrary();
        try {
          const maps = await computeAttention(db, context.libraryFile, image, {
            model: options.model,
            longSide,
          });
          const photo = await readAttentionInput(maps.path, longSide, maps.patchSize);
          writeFileSync(options.output, await attentionFigure(maps, photo, { head, threshold }));
          const describe = (values: Float32Array) => {
            const mask = massMask(values, threshold);
            return { patches: mask.reduce((n, v) => n + v, 0), mass: maskedMass(values, mask) };
          };
          if (options.json || context.events) {
            process.stdout.write(
              `${JSON.stringify({
                type: 'result',
                output: options.output,
                imageId: maps.imageId,
                path: maps.path,
                model: maps.model,
                engine: maps.engine,
                patchSize: maps.patchSize,
                gridWidth: maps.gridWidth,
                gridHeight: maps.gridHeight,
                inputWidth: maps.inputWidth,
                inputHeight: maps.inputHeight,
                threshold,
                mean: { values: Array.from(maps.mean), mask: describe(maps.mean) },
                heads: maps.heads.map((values) => ({ values: Array.from(values), mask: describe(values) })),
              })}\n`,
            );
            return;
          }
          const patches = maps.gridWidth * maps.gridHeight;
          const mean = describe(maps.mean);
          process.stdout.write(
            `Wrote ${options.output}: attention of model "${maps.model.name}" on ${maps.path} at ${maps.inputWidth}×${maps.inputHeight} ` +
              `(${maps.gridWidth}×${maps.gridHeight} patches, ${maps.heads.length} heads, ${maps.engine}).\n` +
              `Rows: ${head === 'all' ? `mean, then heads 0…${maps.heads.length - 1}` : head === 'mean' ? 'mean over heads' : `head ${head}`}; ` +
              `left the heatmap, right the ${Math.round(threshold * 100)} % mask.\n` +
              `Mean over heads: ${mean.patches} of ${patches} patches hold ${(mean.mass * 100).toFixed(1)} % of the attention.\n`,
          );
        } finally {
          db.close();
        }
      },
    );
}

function parseHead(value: string): 'all' | 'mean' | number {
  if (value === 'all' || value === 'mean') return value;
  const head = Number(value);
  if (!Number.isInteger(head) || head < 0)
    throw new Error(`--head must be all, mean or a head number (got ${value}).`);
  return head;
}
