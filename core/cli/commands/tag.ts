import type { Command } from 'commander';
import type { LabelExportFormat } from '../../api.ts';
import { ProgressTracker } from '../../jobs/progress.ts';
import { addTag, deleteTag, listTags, removeTag, renameTag, undoLastTagOperation } from '../../store/tags.ts';
import { cliContext } from '../context.ts';
import { addPhotoOptions, type PhotoOptions, resolvePhotos } from '../photo-options.ts';

export function register(program: Command): void {
  const tag = program
    .command('tag')
    .description(
      'tags on photos: add, remove, list, rename, delete, undo, suggestions that spread them, exports',
    );

  addPhotoOptions(
    tag
      .command('add <name>')
      .description('give photos a tag (created when new): --images, --cluster, --folder or any filter'),
  ).action((name: string, options: PhotoOptions, command: Command) => {
    withLibrary(command, (db, json) => {
      const ids = requirePhotos(resolvePhotos(db, options), 'tag add');
      const result = addTag(db, name, ids);
      print(
        json,
        result,
        `Tagged ${plural(result.added)} "${result.tag.name}" (${result.tag.count} in all).`,
      );
    });
  });

  addPhotoOptions(
    tag
      .command('remove <name>')
      .description('take a tag off photos (the tag stays; `tag delete` removes it)'),
  ).action((name: string, options: PhotoOptions, command: Command) => {
    withLibrary(command, (db, json) => {
      const ids = requirePhotos(resolvePhotos(db, options), 'tag remove');
      const result = removeTag(db, name, ids);
      print(json, result, `Took "${name}" off ${plural(result.removed)}.`);
    });
  });

  tag
    .command('list')
    .description('tags with how many photos carry each')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }, command: Command) => {
      withLibrary(command, (db, json) => {
        const tags = listTags(db);
        const width = Math.max(4, ...tags.map((t) => t.name.length));
        const text =
          tags.length === 0
            ? 'No tags yet: `dinoscope tag add NAME --images IDS` (or --cluster N, --folder F).'
            : tags.map((t) => `${t.name.padEnd(width)}  ${String(t.count).padStart(7)}`).join('\n');
        print(json || options.json === true, tags, text);
      });
    });

  tag
    .command('rename <from> <to>')
    .description('rename a tag (its photos keep it)')
    .action((from: string, to: string, _options: unknown, command: Command) => {
      withLibrary(command, (db, json) => {
        const renamed = renameTag(db, from, to);
        print(json, renamed, `Renamed "${from}" to "${renamed.name}" (${plural(renamed.count)}).`);
      });
    });

  tag
    .command('delete <name>')
    .description('delete a tag and take it off every photo (`tag undo` brings it back)')
    .action((name: string, _options: unknown, command: Command) => {
      withLibrary(command, (db, json) => {
        const result = deleteTag(db, name);
        print(json, result, `Deleted "${name}" (it was on ${plural(result.removed)}).`);
      });
    });

  tag
    .command('undo')
    .description('take back the last tag operation (repeat for earlier ones)')
    .action((_options: unknown, command: Command) => {
      withLibrary(command, (db, json) => {
        const undone = undoLastTagOperation(db);
        print(
          json,
          { undone: undone?.description ?? null },
          undone ? `Undid: ${undone.description}.` : 'Nothing to undo.',
        );
      });
    });

  tag
    .command('suggest')
    .description(
      "tags for untagged photos from their tagged neighbours (DINO's weighted k-NN), least confident first: the review queue",
    )
    .option('--model <id>', 'model id or name (default: the newest)')
    .option('--k <count>', 'tagged neighbours that vote', '20')
    .option('--T <temperature>', 'vote temperature: weight exp(similarity / T)', '0.07')
    .option('--limit <n>', 'suggestions shown (the least confident)', '20')
    .option('--accept-above <confidence>', 'turn every suggestion at least this confident (0–1) into a tag')
    .option('--json', 'print JSON (every suggestion)')
    .action(
      async (
        options: {
          model?: string;
          k: string;
          T: string;
          limit: string;
          acceptAbove?: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        const context = cliContext(command);
        const { suggestTags } = await import('../../analysis/tag-suggestions.ts');
        const db = context.openLibrary();
        const tracker = new ProgressTracker('suggest', 0);
        try {
          const result = await suggestTags(db, {
            model: options.model,
            k: Number(options.k),
            temperature: Number(options.T),
            signal: context.signal,
            onProgress: (done, total) => {
              tracker.setTotal(total);
              context.progress(tracker.update(done, { phase: 'k-NN search' }));
            },
          });
          context.progress.stop();
          let accepted = 0;
          if (options.acceptAbove !== undefined) {
            const floor = Number(options.acceptAbove);
            if (!(floor >= 0 && floor <= 1))
              throw new Error(`--accept-above must be from 0 to 1 (got ${options.acceptAbove}).`);
            const byTag = new Map<string, number[]>();
            for (const s of result.suggestions) {
              if (s.confidence < floor) continue;
              byTag.set(s.tag, [...(byTag.get(s.tag) ?? []), s.imageId]);
            }
            for (const [name, ids] of byTag) accepted += addTag(db, name, ids, 'accepted').added;
          }
          if (options.json || context.events) {
            process.stdout.write(`${JSON.stringify({ ...result, accepted })}\n`);
            return;
          }
          const limit = Number(options.limit);
          const lines = [
            result.tagged === 0
              ? 'No tagged photo has an embedding for this model yet: tag some photos first (`dinoscope tag add`).'
              : `${plural(result.suggestions.length)} to review (model "${result.model.name}", ${result.tagged} tagged photos vote, k = ${result.k}, T = ${result.temperature}); least confident first:`,
          ];
          for (const s of result.suggestions.slice(0, limit)) {
            lines.push(
              `  ${String(s.imageId).padStart(8)}  ${s.tag.padEnd(20)} ${(s.confidence * 100).toFixed(1).padStart(5)} %${s.runnerUp ? `  (else ${s.runnerUp})` : ''}`,
            );
          }
          if (options.acceptAbove !== undefined)
            lines.push(
              `Accepted ${plural(accepted)} at confidence ≥ ${options.acceptAbove} (\`dinoscope tag undo\` takes each tag back).`,
            );
          process.stdout.write(`${lines.join('\n')}\n`);
        } finally {
          context.progress.stop();
          db.close();
        }
      },
    );

  addPhotoOptions(
    tag
      .command('export')
      .description(
        'tags (and suggestions) as CSV, a JSON manifest, or an ImageFolder tree of links or copies (one folder per tag); originals are never moved',
      )
      .requiredOption('--as <format>', 'csv | json | imagefolder')
      .requiredOption('-o, --output <path>', 'file (csv, json) or new folder (imagefolder)')
      .option('--copy', 'imagefolder: copy the photos instead of linking to them')
      .option('--suggestions', 'include suggested tags for untagged photos (needs embeddings)')
      .option(
        '--min-confidence <c>',
        'imagefolder with --suggestions: file untagged photos under a suggestion at least this confident',
        '0.9',
      )
      .option('--json', 'print the summary as JSON'),
  ).action(
    async (
      options: PhotoOptions & {
        as: string;
        output: string;
        copy?: boolean;
        suggestions?: boolean;
        minConfidence: string;
        json?: boolean;
      },
      command: Command,
    ) => {
      if (!['csv', 'json', 'imagefolder'].includes(options.as))
        throw new Error(`--as must be csv, json or imagefolder (got ${options.as}).`);
      const context = cliContext(command);
      const { exportLabels } = await import('../../export/label-export.ts');
      const db = context.openLibrary();
      try {
        const named = resolvePhotos(db, options);
        const ids =
          named ??
          (options.as === 'imagefolder'
            ? (db
                .prepare(
                  "SELECT DISTINCT it.image_id AS id FROM image_tags it JOIN images i ON i.id = it.image_id WHERE i.status = 'ok' ORDER BY it.image_id",
                )
                .all() as { id: number }[])
            : (db.prepare("SELECT id FROM images WHERE status = 'ok' ORDER BY id").all() as { id: number }[])
          ).map((row) => row.id);
        let suggestions: Awaited<
          ReturnType<typeof import('../../analysis/tag-suggestions.ts').suggestTags>
        > | null = null;
        if (options.suggestions) {
          const { suggestTags } = await import('../../analysis/tag-suggestions.ts');
          suggestions = await suggestTags(db, { model: options.model, signal: context.signal });
        }
        const suggestedIds = suggestions?.suggestions.map((s) => s.imageId) ?? [];
        // ImageFolder with suggestions: untagged photos with a confident suggestion join the tree.
        const exported =
          options.as === 'imagefolder' && named === null && suggestions
            ? [...new Set([...ids, ...suggestedIds])].sort((a, b) => a - b)
            : ids;
        const result = exportLabels(db, {
          format: options.as as LabelExportFormat,
          output: options.output,
          imageIds: exported,
          suggestions: suggestions?.suggestions,
          minConfidence: Number(options.minConfidence),
          copy: options.copy,
          model: suggestions?.model ?? null,
        });
        const text =
          result.format === 'imagefolder'
            ? `Wrote ${result.files} ${result.mode === 'copy' ? 'copies' : 'links'} of ${plural(result.photos)} into ${result.output}${result.skipped > 0 ? ` (${plural(result.skipped)} without a tag left out)` : ''}.`
            : `Wrote ${plural(result.photos)} to ${result.output}.`;
        print(options.json === true || context.events, result, text);
      } finally {
        db.close();
      }
    },
  );
}

type Db = ReturnType<ReturnType<typeof cliContext>['openLibrary']>;

function withLibrary(command: Command, body: (db: Db, json: boolean) => void): void {
  const context = cliContext(command);
  const db = context.openLibrary();
  try {
    body(db, context.events);
  } finally {
    db.close();
  }
}

function requirePhotos(ids: number[] | null, what: string): number[] {
  if (ids === null)
    throw new Error(
      `${what} needs photos: --images IDS, --cluster N, --folder F, or another filter (--help).`,
    );
  if (ids.length === 0) throw new Error('No photo matches those options; nothing changed.');
  return ids;
}

function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

const plural = (n: number) => `${n} photo${n === 1 ? '' : 's'}`;
