import type { Command } from 'commander';
import { cliContext } from '../context.ts';

/** `dinoscope export-model`: a model's backbone as ONNX or safetensors (official DINO names). */
export function register(program: Command): void {
  program
    .command('export-model')
    .description(
      "write a model's backbone: safetensors with the official DINO names (VisionTransformer.load_state_dict reads it) or ONNX (input pixel_values [batch,3,H,W], outputs cls and last_attention)",
    )
    .requiredOption('--format <format>', 'onnx | safetensors')
    .requiredOption('-o, --output <file>', 'file to write')
    .option('--model <id>', 'model id or name (default: the newest)')
    .option('--size <px>', "ONNX input side in pixels (default: the model's own)", (v) =>
      Number.parseInt(v, 10),
    )
    .action(
      async (
        options: { format: string; output: string; model?: string; size?: number },
        command: Command,
      ) => {
        const context = cliContext(command);
        if (options.format !== 'onnx' && options.format !== 'safetensors') {
          throw new Error(`Unknown format "${options.format}": use onnx or safetensors.`);
        }
        const { resolveModel } = await import('../../store/models.ts');
        const { exportModel } = await import('../../export/model-library.ts');
        const db = context.openLibrary();
        try {
          const model = resolveModel(db, options.model);
          const { file, bytes } = exportModel(model, options.format, options.output, { size: options.size });
          const size = options.size ?? model.config.imgSize;
          process.stdout.write(
            `Wrote model ${model.id} "${model.name}" as ${options.format}${options.format === 'onnx' ? ` (${size}×${size} input)` : ''} to ${file} (${(bytes / 1e6).toFixed(1)} MB).\n`,
          );
        } finally {
          db.close();
        }
      },
    );
}
