import type { Command } from 'commander';
import type { KnnEvaluation } from '../../analysis/knn-evaluation.ts';
import { ProgressTracker } from '../../jobs/progress.ts';
import { cliContext } from '../context.ts';

export function register(program: Command): void {
  program
    .command('eval')
    .description(
      "k-NN accuracy of a model's embeddings when photos sit in class-named folders (DINO's weighted k-NN: top-1, top-5, per class, confusion)",
    )
    .option('--k <count>', 'neighbours that vote', '20')
    .option('--T <temperature>', 'vote temperature: weight exp(similarity / T)', '0.07')
    .option(
      '--split <fraction>',
      'hold out this fraction of each class as the test set (default: leave-one-out)',
    )
    .option('--seed <n>', 'which photos --split holds out', '0')
    .option('--model <id>', 'model id or name (default: the newest)')
    .option(
      '--from-tags',
      'classes from your tags (photos with exactly one tag) instead of folder names: a few dozen per tag compare two models',
    )
    .option('--json', 'print JSON (everything, including the full confusion matrix)')
    .action(
      async (
        options: {
          k: string;
          T: string;
          split?: string;
          seed: string;
          model?: string;
          fromTags?: boolean;
          json?: boolean;
        },
        command: Command,
      ) => {
        const context = cliContext(command);
        const { evaluateKnn } = await import('../../analysis/knn-evaluation.ts');
        const db = context.openLibrary();
        const tracker = new ProgressTracker('eval', 0);
        try {
          const result = await evaluateKnn(db, {
            model: options.model,
            k: Number(options.k),
            temperature: Number(options.T),
            split: options.split === undefined ? undefined : Number(options.split),
            seed: Number(options.seed),
            labels: options.fromTags ? 'tags' : 'folders',
            signal: context.signal,
            onProgress: (done, total) => {
              tracker.setTotal(total);
              context.progress(tracker.update(done, { phase: 'k-NN search' }));
            },
          });
          context.progress.stop();
          if (options.json || context.events) {
            process.stdout.write(`${JSON.stringify(result)}\n`);
          } else if (result.status === 'skipped') {
            process.stdout.write(`No k-NN evaluation for model "${result.model.name}": ${result.reason}\n`);
          } else {
            process.stdout.write(`${evaluationTable(result)}\n`);
          }
        } finally {
          context.progress.stop();
          db.close();
        }
      },
    );
}

/** A person's view of the evaluation: the headline, a row per class, and the confusions. */
export function evaluationTable(result: KnnEvaluation): string {
  const pct = (x: number) => `${x.toFixed(1)} %`;
  const protocol =
    result.protocol === 'leave-one-out'
      ? `leave-one-out over ${result.testCount} photos`
      : `${result.testCount} held-out photos against ${result.trainCount}`;
  const source = result.labels === 'tags' ? 'tags' : 'classes';
  const lines = [
    `k-NN evaluation of model "${result.model.name}" (${protocol}, ${result.classes.length} ${source}, k = ${result.k}, T = ${result.temperature})`,
    `top-1 ${pct(result.top1)}   top-5 ${pct(result.top5)}`,
  ];
  if (result.unlabelled > 0)
    lines.push(
      `(${result.unlabelled} photo${result.unlabelled === 1 ? '' : 's'} ${result.labels === 'tags' ? 'without exactly one tag' : 'outside any class folder'} left out)`,
    );
  const nameWidth = Math.max(5, ...result.classes.map((c) => c.length));
  lines.push(
    '',
    `  #  ${(result.labels === 'tags' ? 'tag' : 'class').padEnd(nameWidth)}  photos   top-1    top-5`,
  );
  result.perClass.forEach((c, i) => {
    lines.push(
      `${String(i).padStart(3)}  ${c.name.padEnd(nameWidth)}  ${String(c.count).padStart(6)}  ${pct(c.top1).padStart(7)}  ${pct(c.top5).padStart(7)}`,
    );
  });
  const n = result.classes.length;
  if (n <= MAX_MATRIX_CLASSES) {
    const cell = Math.max(4, ...result.confusion.flat().map((v) => String(v).length + 1));
    lines.push('', 'Confusion (rows: true class, columns: predicted, numbered as above):');
    lines.push(`     ${result.classes.map((_, j) => String(j).padStart(cell)).join('')}`);
    result.confusion.forEach((row, i) => {
      lines.push(
        `${String(i).padStart(3)}  ${row.map((v) => (v === 0 ? '.' : String(v)).padStart(cell)).join('')}`,
      );
    });
  } else {
    const mistakes = result.confusion
      .flatMap((row, i) => row.map((count, j) => ({ i, j, count })))
      .filter((m) => m.i !== m.j && m.count > 0)
      .sort((a, b) => b.count - a.count)
      .slice(0, 15);
    lines.push('', `Most frequent confusions (the full ${n} × ${n} matrix is in --json):`);
    for (const m of mistakes)
      lines.push(`  ${String(m.count).padStart(6)}  ${result.classes[m.i]} → ${result.classes[m.j]}`);
  }
  return lines.join('\n');
}

/** Wider than this the matrix no longer fits a terminal: the table lists the top confusions. */
const MAX_MATRIX_CLASSES = 20;
