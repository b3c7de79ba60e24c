import type { Command } from 'commander';
import { ProgressTracker } from '../../jobs/progress.ts';
import { cliContext } from '../context.ts';

export function register(program: Command): void {
  program
    .command('duplicates')
    .description(
      'exact copies (same content) and near-duplicates (resized, re-encoded, cropped, recoloured: similar embeddings), grouped, with the copy to keep',
    )
    .option(
      '--threshold <similarity>',
      'cosine similarity at which two photos count as near-duplicates',
      '0.95',
    )
    .option('--model <id>', 'model id or name (default: the newest)')
    .option('--json', 'print JSON')
    .action(async (options: { threshold: string; model?: string; json?: boolean }, command: Command) => {
      const context = cliContext(command);
      const { findDuplicates } = await import('../../analysis/duplicates.ts');
      const db = context.openLibrary();
      const tracker = new ProgressTracker('duplicates', 0);
      try {
        const report = await findDuplicates(db, {
          threshold: Number(options.threshold),
          model: options.model,
          signal: context.signal,
          onProgress: (done, total) => {
            tracker.setTotal(total);
            context.progress(tracker.update(done, { phase: 'k-NN search' }));
          },
        });
        context.progress.stop();
        if (options.json || context.events) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        const exact = report.groups.filter((g) => g.kind === 'exact');
        const near = report.groups.filter((g) => g.kind === 'near');
        const lines = [
          `${plural(report.photos, 'photo')}: ${plural(exact.length, 'group')} of exact copies, ` +
            `${plural(near.length, 'group')} of near-duplicates` +
            (report.model ? ` (model "${report.model.name}", similarity ≥ ${report.threshold})` : ''),
        ];
        if (report.note) lines.push(report.note);
        else if (report.notEmbedded > 0)
          lines.push(
            `${plural(report.notEmbedded, 'photo')} without an embedding yet (\`dinoscope embed\`): only exact copies of those are found.`,
          );
        for (const group of report.groups) {
          lines.push(
            '',
            `${group.kind === 'exact' ? 'Exact copies' : 'Near-duplicates'} (${group.members.length}):`,
          );
          for (const [i, m] of group.members.entries()) {
            const size = m.width && m.height ? `${m.width}×${m.height}` : '?';
            const mark = i === 0 ? 'keep' : group.kind === 'exact' ? 'same' : m.similarity.toFixed(3);
            lines.push(`  ${mark.padStart(5)}  ${size.padStart(11)}  ${m.path}`);
          }
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        context.progress.stop();
        db.close();
      }
    });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
