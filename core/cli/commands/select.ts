import type { Command } from 'commander';
import type { LabelExportFormat } from '../../api.ts';
import { addTag } from '../../store/tags.ts';
import { cliContext } from '../context.ts';
import { addPhotoOptions, type PhotoOptions, photoFilterOf } from '../photo-options.ts';

export function register(program: Command): void {
  addPhotoOptions(
    program
      .command('select')
      .description(
        'the photos worth labelling: N that cover the collection (greedy k-center over the embeddings, skipping near-duplicates and what is already tagged)',
      )
      .requiredOption('--count <n>', 'how many photos to pick')
      .option('--per-cluster', 'give every cluster of the map a share in proportion to its size')
      .option(
        '--near-duplicate <similarity>',
        'photos at least this similar to a pick count as covered',
        '0.95',
      )
      .option('--ignore-tags', 'do not count already-tagged photos as covered')
      .option('--tag-as <name>', 'tag the picks (e.g. "to-label") so the app shows them')
      .option('--as <format>', 'also write the picks: csv | json | imagefolder (with -o)')
      .option('-o, --output <path>', 'where --as writes')
      .option('--json', 'print JSON'),
  ).action(
    async (
      options: PhotoOptions & {
        count: string;
        perCluster?: boolean;
        nearDuplicate: string;
        ignoreTags?: boolean;
        tagAs?: string;
        as?: string;
        output?: string;
        json?: boolean;
      },
      command: Command,
    ) => {
      if (
        options.as !== undefined &&
        (!['csv', 'json', 'imagefolder'].includes(options.as) || !options.output)
      )
        throw new Error('--as takes csv, json or imagefolder, with -o PATH.');
      const context = cliContext(command);
      const { selectPhotos } = await import('../../analysis/photo-selection.ts');
      const db = context.openLibrary();
      try {
        const started = performance.now();
        const selection = await selectPhotos(db, {
          model: options.model,
          count: Number(options.count),
          perCluster: options.perCluster,
          nearDuplicateSimilarity: Number(options.nearDuplicate),
          ignoreTags: options.ignoreTags,
          filter: photoFilterOf(options),
          signal: context.signal,
        });
        const seconds = (performance.now() - started) / 1000;
        const tagged = options.tagAs ? addTag(db, options.tagAs, selection.imageIds).added : 0;
        let written: string | null = null;
        if (options.as && options.output) {
          const { exportLabels } = await import('../../export/label-export.ts');
          exportLabels(db, {
            format: options.as as LabelExportFormat,
            output: options.output,
            imageIds: selection.imageIds,
            model: selection.model,
          });
          written = options.output;
        }
        if (options.json || context.events) {
          process.stdout.write(`${JSON.stringify({ ...selection, tagged, written, seconds })}\n`);
          return;
        }
        const lines = [
          `Picked ${selection.imageIds.length} of ${selection.candidates} photos (model "${selection.model.name}"${selection.seeds > 0 ? `, ${selection.seeds} tagged photos counted as covered` : ''}) in ${seconds.toFixed(2)} s.`,
        ];
        if (selection.exhausted)
          lines.push('Every other photo is a near-duplicate of a pick: there is nothing new left to pick.');
        if (selection.coverage !== null)
          lines.push(
            `Every photo is now at least ${selection.coverage.toFixed(3)} cosine-similar to a pick.`,
          );
        const paths = db.prepare('SELECT path FROM images WHERE id = ?');
        selection.imageIds.forEach((id, i) => {
          const row = paths.get(id) as { path: string };
          lines.push(`${String(id).padStart(8)}  ${String(selection.clusters[i]).padStart(4)}  ${row.path}`);
        });
        if (options.tagAs) lines.push(`Tagged ${tagged} of them "${options.tagAs}".`);
        if (written) lines.push(`Wrote them to ${written}.`);
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        db.close();
      }
    },
  );
}
