import { join } from 'node:path';
import { openDatabase } from '../../../core/store/database.ts';
import { Random } from '../../../core/training/random.ts';

/**
 * A library file with `count` images whose training copies are stored raw (rgb8), written straight
 * into the tables so that trainer tests need no scan; ids in `broken` get undecodable pixels.
 */
export function makeRawLibrary(
  folder: string,
  name: string,
  count: number,
  options: { broken?: number[]; width?: number; height?: number } = {},
): { file: string; ids: number[] } {
  const width = options.width ?? 30;
  const height = options.height ?? 24;
  const file = join(folder, `${name}.sqlite`);
  const db = openDatabase(file);
  const folderId = Number(
    db.prepare('INSERT INTO folders (path, added_at) VALUES (?, 0)').run(join(folder, name)).lastInsertRowid,
  );
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const id = Number(
      db
        .prepare(
          "INSERT INTO images (folder_id, path, rel_path, size, mtime_ms, status, scanned_at) VALUES (?, ?, ?, 1, 0, 'ok', 0)",
        )
        .run(folderId, join(folder, name, `photo-${i}.jpg`), `photo-${i}.jpg`).lastInsertRowid,
    );
    const random = new Random(i);
    const pixels = Buffer.alloc(width * height * 3);
    for (let p = 0; p < pixels.length; p++) pixels[p] = random.integer(0, 256);
    const broken = options.broken?.includes(i) ?? false;
    db.prepare(
      'INSERT INTO image_pixels (image_id, thumbnail, thumbnail_mime, train, train_format, train_width, train_height) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(id, Buffer.alloc(1), 'image/jpeg', pixels, broken ? 'jpeg' : 'rgb8', width, height);
    ids.push(id);
  }
  db.close();
  return { file, ids };
}
