import type { Command } from 'commander';
import { cliContext } from '../context.ts';

/** `dinoscope import-weights FILE`: published DINO weights (.pth or safetensors) become a library model. */
export function register(program: Command): void {
  program
    .command('import-weights')
    .description(
      'import DINO ViT weights: official .pth files (backbone or full checkpoint), safetensors with official or Hugging Face ViTModel names',
    )
    .argument('<file>', 'the weights file')
    .option('--name <name>', 'model name (default: the file name)')
    .option('--heads <n>', 'attention heads, when the width is not a multiple of 64 per head', (v) =>
      Number.parseInt(v, 10),
    )
    .option('--student', 'from a full training checkpoint, take the student instead of the teacher')
    .option('--json', 'print the new model as JSON')
    .action(
      async (
        file: string,
        options: { name?: string; heads?: number; student?: boolean; json?: boolean },
        command: Command,
      ) => {
        const context = cliContext(command);
        const { importModel } = await import('../../export/model-library.ts');
        const db = context.openLibrary();
        try {
          const { model, description } = await importModel(db, context.libraryFile, file, {
            name: options.name,
            numHeads: options.heads,
            network: options.student ? 'student' : 'teacher',
          });
          if (options.json || context.events) {
            process.stdout.write(`${JSON.stringify({ type: 'result', result: { model, description } })}\n`);
          } else {
            process.stdout.write(
              `Imported model ${model.id} "${model.name}": ${description}.\nEmbed the library with it: dinoscope embed --model ${model.id}\n`,
            );
          }
        } finally {
          db.close();
        }
      },
    );
}
