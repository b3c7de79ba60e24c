import type { Command } from 'commander';
import { cliContext } from '../context.ts';

/** `dinoscope augment-preview IMAGE -o sheet.png`: what training sees, as a contact sheet. */
export function register(program: Command): void {
  program
    .command('augment-preview')
    .description(
      'write a contact sheet of the multi-crop views (2 global + N local) that training makes of IMAGE',
    )
    .argument('<image>', 'a photo (any format the library reads)')
    .requiredOption('-o, --output <file>', 'PNG (or JPEG) file to write')
    .option('--preset <name>', 'crop sizes and counts of this training preset', 'reference')
    .option('--samples <n>', 'rows: independent draws of the same image', '4')
    .option('--seed <n>', 'random seed', '0')
    .action(
      async (
        image: string,
        options: { output: string; preset: string; samples: string; seed: string },
        command: Command,
      ) => {
        const context = cliContext(command);
        const [
          { default: sharp },
          { resolveTrainingConfig },
          { trainingPreset },
          { multiCropBatch },
          { Random },
          { contactSheet },
        ] = await Promise.all([
          import('sharp'),
          import('../../training/config.ts'),
          import('../../training/presets.ts'),
          import('../../training/augmentation/multi-crop.ts'),
          import('../../training/random.ts'),
          import('../../training/contact-sheet.ts'),
        ]);
        const samples = Number(options.samples);
        if (!Number.isInteger(samples) || samples < 1 || samples > 64)
          throw new Error('--samples must be 1 to 64.');
        const config = resolveTrainingConfig(trainingPreset(options.preset).settings, {
          seed: Number(options.seed),
        });
        let source: { width: number; height: number; data: Uint8Array };
        try {
          // As the library's training copy: EXIF orientation applied, short side 256.
          const { data, info } = await sharp(image)
            .rotate()
            .resize(256, 256, { fit: 'outside' })
            .removeAlpha()
            .toColourspace('srgb')
            .raw()
            .toBuffer({ resolveWithObject: true });
          source = {
            width: info.width,
            height: info.height,
            data: new Uint8Array(data.buffer, data.byteOffset, data.length),
          };
        } catch (error) {
          throw new Error(`${image}: cannot read this image (${(error as Error).message}).`);
        }
        const batch = multiCropBatch(Array(samples).fill(source), config, new Random(config.seed));
        const sheet = contactSheet(source, batch, config);
        await sharp(Buffer.from(sheet.data.buffer, sheet.data.byteOffset, sheet.data.length), {
          raw: { width: sheet.width, height: sheet.height, channels: 3 },
        }).toFile(options.output);
        const legend = batch.draws.map((views, row) =>
          views.map((d, v) => ({
            row,
            view: v < 2 ? `global ${v + 1}` : `local ${v - 1}`,
            box: d.box,
            flipped: d.flipped,
            jitter: d.jitter,
            grayscale: d.grayscale,
            blurSigma: d.blurSigma,
            solarized: d.solarized,
          })),
        );
        if (context.events) {
          process.stdout.write(
            `${JSON.stringify({ type: 'result', result: { output: options.output, views: legend } })}\n`,
          );
          return;
        }
        process.stdout.write(
          `Wrote ${options.output} (${sheet.width}×${sheet.height}): per row the source (short side 256), global 1, global 2, ${config.localCropsNumber} local crops (preset ${options.preset}: ${config.globalCropSize}/${config.localCropSize} px).\n`,
        );
        for (const views of legend) {
          for (const d of views) {
            const what = [
              `crop ${d.box.width}×${d.box.height}+${d.box.left}+${d.box.top}`,
              d.flipped ? 'flip' : '',
              d.jitter
                ? `jitter(b ${d.jitter.brightness.toFixed(2)} c ${d.jitter.contrast.toFixed(2)} s ${d.jitter.saturation.toFixed(2)} h ${d.jitter.hue.toFixed(3)})`
                : '',
              d.grayscale ? 'grey' : '',
              d.blurSigma !== null ? `blur σ ${d.blurSigma.toFixed(2)}` : '',
              d.solarized ? 'solarize' : '',
            ].filter(Boolean);
            process.stdout.write(`  row ${d.row + 1} ${d.view.padEnd(9)} ${what.join(', ')}\n`);
          }
        }
      },
    );
}
