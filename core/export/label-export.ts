import { copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { LabelExportFormat, TagSuggestion } from '../api.ts';
import type { Db } from '../store/database.ts';
import { tagsOfImages } from '../store/tags.ts';

/**
 * Tags and selections leaving the app in the forms people use: CSV (one row per photo), a JSON
 * manifest, or an ImageFolder tree (`OUT/<tag>/<photo>`, what torchvision's `ImageFolder` and the
 * official DINO trainers read) of symbolic links or copies. Originals are only ever read: nothing
 * is moved, renamed or deleted.
 */
export interface LabelExportOptions {
  format: LabelExportFormat;
  /** A file (csv, json) or a folder (imagefolder: must be new or empty). */
  output: string;
  /** Image ids to export, in order. */
  imageIds: readonly number[];
  /** Suggestions for untagged photos (CSV and JSON list them; imagefolder files them when `minConfidence` is met). */
  suggestions?: readonly TagSuggestion[];
  /** imagefolder: place untagged photos under their suggested tag when its confidence reaches this. */
  minConfidence?: number;
  /** imagefolder: copy the files instead of linking to them. */
  copy?: boolean;
  /** Recorded in the JSON manifest. */
  model?: { id: number; name: string } | null;
}

export interface LabelExportResult {
  format: LabelExportFormat;
  output: string;
  /** Photos written (rows, manifest entries, or distinct photos placed in the tree). */
  photos: number;
  /** imagefolder: files placed (a photo with two tags is placed twice). */
  files: number;
  /** imagefolder: photos left out because they have no tag (nor a confident suggestion). */
  skipped: number;
  /** imagefolder: 'link', or 'copy' (asked for, or links are not allowed here). */
  mode: 'link' | 'copy' | null;
}

interface PhotoRow {
  imageId: number;
  path: string;
  relPath: string;
  folder: string;
  format: string | null;
  capturedAt: string | null;
  cluster: number | null;
}

export function exportLabels(db: Db, options: LabelExportOptions): LabelExportResult {
  const tags = tagsOfImages(db);
  const suggestion = new Map((options.suggestions ?? []).map((s) => [s.imageId, s]));
  const rows = photoRows(db, options.imageIds, options.model?.id ?? null);
  switch (options.format) {
    case 'csv': {
      const lines = ['image_id,path,tags,suggested_tag,confidence'];
      for (const row of rows) {
        const s = suggestion.get(row.imageId);
        lines.push(
          [
            row.imageId,
            csvField(row.path),
            csvField((tags.get(row.imageId) ?? []).join(';')),
            csvField(s?.tag ?? ''),
            s ? s.confidence.toFixed(4) : '',
          ].join(','),
        );
      }
      writeOut(options.output, `${lines.join('\n')}\n`);
      return { format: 'csv', output: options.output, photos: rows.length, files: 0, skipped: 0, mode: null };
    }
    case 'json': {
      const manifest = {
        dinoscope: 'labels',
        version: 1,
        createdAt: new Date().toISOString(),
        model: options.model ?? null,
        tags: [...new Set([...tags.values()].flat())].sort((a, b) => a.localeCompare(b)),
        photos: rows.map((row) => {
          const s = suggestion.get(row.imageId);
          return {
            imageId: row.imageId,
            path: row.path,
            folder: row.folder,
            relPath: row.relPath,
            format: row.format,
            capturedAt: row.capturedAt,
            cluster: row.cluster,
            tags: tags.get(row.imageId) ?? [],
            suggestion: s ? { tag: s.tag, confidence: s.confidence, runnerUp: s.runnerUp } : null,
          };
        }),
      };
      writeOut(options.output, `${JSON.stringify(manifest, null, 2)}\n`);
      return {
        format: 'json',
        output: options.output,
        photos: rows.length,
        files: 0,
        skipped: 0,
        mode: null,
      };
    }
    case 'imagefolder':
      return imageFolder(rows, tags, suggestion, options);
  }
}

function imageFolder(
  rows: PhotoRow[],
  tags: Map<number, string[]>,
  suggestion: Map<number, TagSuggestion>,
  options: LabelExportOptions,
): LabelExportResult {
  const root = options.output;
  if (existsSync(root) && readdirSync(root).length > 0)
    throw new Error(`${root} is not empty. Choose a new or empty folder for the ImageFolder tree.`);
  mkdirSync(root, { recursive: true });
  let mode: 'link' | 'copy' = options.copy ? 'copy' : 'link';
  let files = 0;
  let photos = 0;
  let skipped = 0;
  const minConfidence = options.minConfidence ?? Number.POSITIVE_INFINITY;
  for (const row of rows) {
    let classes = tags.get(row.imageId) ?? [];
    if (classes.length === 0) {
      const s = suggestion.get(row.imageId);
      if (s && s.confidence >= minConfidence) classes = [s.tag];
    }
    if (classes.length === 0) {
      skipped++;
      continue;
    }
    photos++;
    for (const tag of classes) {
      const folder = join(root, tag);
      mkdirSync(folder, { recursive: true });
      // The id keeps names unique: two folders may both hold an IMG_0001.jpg.
      const target = join(folder, `${row.imageId}-${basename(row.path)}`);
      if (mode === 'link') {
        try {
          symlinkSync(row.path, target);
        } catch (error) {
          // Windows without developer mode refuses symbolic links: copies work everywhere.
          if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
          mode = 'copy';
        }
      }
      if (mode === 'copy') {
        try {
          copyFileSync(row.path, target);
        } catch (error) {
          throw new Error(
            `Could not copy ${row.path} (${(error as Error).message}). Rescan the library if it moved; the files copied so far stay in ${root}.`,
          );
        }
      }
      files++;
    }
  }
  return { format: 'imagefolder', output: root, photos, files, skipped, mode };
}

function photoRows(db: Db, imageIds: readonly number[], modelId: number | null): PhotoRow[] {
  const select = db.prepare(
    `SELECT i.id AS imageId, i.path, i.rel_path AS relPath, f.path AS folder, i.format, i.captured_at AS capturedAt,
       (SELECT cluster FROM cluster_members c WHERE c.model_id = ? AND c.image_id = i.id) AS cluster
     FROM images i JOIN folders f ON f.id = i.folder_id WHERE i.id = ?`,
  );
  const rows: PhotoRow[] = [];
  for (const id of imageIds) {
    const row = select.get(modelId ?? -1, id) as PhotoRow | undefined;
    if (row) rows.push(row);
  }
  return rows;
}

function writeOut(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw new Error(
      `Could not write ${file}: ${(error as Error).message}. Choose a folder you can write to.`,
    );
  }
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
