import type { Command } from 'commander';
import { cliContext } from '../context.ts';

/** `dinoscope models`: the library's models; `models delete ID` removes one with its embeddings. */
export function register(program: Command): void {
  const models = program
    .command('models')
    .description('list the models (trained or imported) and how many photos each has embedded')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = cliContext(command);
      const { listModels } = await import('../../store/models.ts');
      const { describeVit } = await import('../../model/vit-config.ts');
      const db = context.openLibrary();
      try {
        const counts = new Map(
          (
            db.prepare('SELECT model_id AS id, count(*) AS n FROM embeddings GROUP BY model_id').all() as {
              id: number;
              n: number;
            }[]
          ).map((row) => [row.id, row.n]),
        );
        const rows = listModels(db).map((model) => ({ ...model, embeddings: counts.get(model.id) ?? 0 }));
        if (options.json || context.events) {
          process.stdout.write(`${JSON.stringify(rows, null, options.json ? 2 : undefined)}\n`);
          return;
        }
        if (rows.length === 0) {
          process.stdout.write(
            'No models yet: `dinoscope train` trains one, `dinoscope import-weights FILE` imports published weights.\n',
          );
          return;
        }
        for (const model of rows) {
          process.stdout.write(
            `${String(model.id).padStart(3)}  ${model.name}  ${describeVit(model.config)} ${model.config.imgSize}px  ${model.source}  ` +
              `${model.embeddings} embeddings  ${new Date(model.createdAt).toISOString().slice(0, 10)}\n`,
          );
        }
      } finally {
        db.close();
      }
    });
  models
    .command('delete')
    .description('delete a model with its embeddings, map and clusters')
    .argument('<id>', 'model id or name')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = cliContext(command);
      const { resolveModel } = await import('../../store/models.ts');
      const { removeModel } = await import('../../export/model-library.ts');
      const db = context.openLibrary();
      try {
        const model = removeModel(db, context.libraryFile, resolveModel(db, id).id);
        process.stdout.write(`Deleted model ${model.id} "${model.name}" and its embeddings.\n`);
      } finally {
        db.close();
      }
    });
}
