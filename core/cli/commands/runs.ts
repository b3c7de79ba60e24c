import type { Command } from 'commander';
import { cliContext } from '../context.ts';

/** `dinoscope runs`: the training runs in the library, their state, checkpoints and model. */
export function register(program: Command): void {
  program
    .command('runs')
    .description('list training runs: status, progress, last checkpoint, the model each produced')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = cliContext(command);
      const { listRuns, listCheckpoints, modelIdOfRun } = await import('../../store/runs.ts');
      const { readRunLog } = await import('../../training/run-log.ts');
      const db = context.openLibrary();
      try {
        const runs = listRuns(db).map((run) => {
          const checkpoints = listCheckpoints(db, run.id);
          const last = readRunLog(run.dir).at(-1) ?? null;
          return {
            ...run,
            lastCheckpoint: checkpoints.at(-1)?.path ?? null,
            lastLoss: last?.loss ?? null,
            modelId: modelIdOfRun(db, run.id),
          };
        });
        if (options.json || context.events) {
          process.stdout.write(`${JSON.stringify(runs, null, options.json ? 2 : undefined)}\n`);
          return;
        }
        if (runs.length === 0) {
          process.stdout.write('No training runs yet: `dinoscope train` starts one.\n');
          return;
        }
        for (const run of runs) {
          const config = run.config as { arch?: string; patchSize?: number; epochs?: number };
          process.stdout.write(
            `run ${run.id}  ${run.status.padEnd(9)}  ${config.arch}/${config.patchSize}  epoch ${run.epoch}/${config.epochs}  ` +
              `step ${run.step}  loss ${run.lastLoss?.toFixed(4) ?? '-'}  model ${run.modelId ?? '-'}  ${new Date(run.startedAt).toISOString()}\n` +
              (run.message ? `        ${run.message}\n` : '') +
              `        ${run.lastCheckpoint ?? run.dir}\n`,
          );
        }
      } finally {
        db.close();
      }
    });
}
