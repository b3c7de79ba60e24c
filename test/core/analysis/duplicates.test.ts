import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { findDuplicates } from '../../../core/analysis/duplicates.ts';
import { embedLibrary } from '../../../core/analysis/embed-job.ts';
import { writeSafetensors } from '../../../core/engine/safetensors.ts';
import { addFolders } from '../../../core/library/add-folders.ts';
import { scanLibrary } from '../../../core/library/scan.ts';
import { openDatabase } from '../../../core/store/database.ts';
import { loadEmbeddings } from '../../../core/store/embeddings.ts';
import { addModel } from '../../../core/store/models.ts';
import { sharedPath, skipWithoutShared } from '../../shared-fixtures.ts';
import { embeddedLibrary } from './embedded-library.ts';
import { tinyImageVitConfig, tinyImageVitWeights } from './tiny-image-vit.ts';

describe('duplicate grouping', () => {
  it('groups around a keeper and never through a chain', async () => {
    // A ≈ B and B ≈ C at 0.97, but A and C only 0.88 apart: connected components would merge all
    // three. A has the most pixels, so it keeps B; C is nobody's near-copy on its own.
    const angle = Math.acos(0.97);
    const { db, ids } = embeddedLibrary([
      { relPath: 'a.jpg', vector: [1, 0, 0], width: 4000, height: 3000 },
      { relPath: 'b.jpg', vector: [Math.cos(angle), Math.sin(angle), 0], width: 2000, height: 1500 },
      { relPath: 'c.jpg', vector: [Math.cos(2 * angle), Math.sin(2 * angle), 0], width: 1000, height: 750 },
      { relPath: 'd.jpg', vector: [0, 0, 1], width: 800, height: 600 },
    ]);
    const report = await findDuplicates(db, { threshold: 0.95 });
    expect(report.groups).toHaveLength(1);
    expect(report.groups[0].kind).toBe('near');
    expect(report.groups[0].keeperId).toBe(ids[0]);
    expect(report.groups[0].members.map((m) => m.imageId)).toEqual([ids[0], ids[1]]);
    expect(report.groups[0].members[1].similarity).toBeCloseTo(0.97, 5);
    db.close();
  });

  it('finds exact copies by content hash even without a model, keeping the largest', async () => {
    const { db, ids } = embeddedLibrary([
      { relPath: 'a.jpg', vector: [1, 0], hash: 'same', width: 100, height: 100 },
      { relPath: 'b.jpg', vector: [0, 1], hash: 'same', width: 200, height: 100 },
      { relPath: 'c.jpg', vector: [1, 1], hash: 'other' },
    ]);
    db.prepare('DELETE FROM models').run();
    const report = await findDuplicates(db);
    expect(report.model).toBeNull();
    expect(report.note).toMatch(/dinoscope embed/);
    expect(report.groups).toEqual([expect.objectContaining({ kind: 'exact', keeperId: ids[1] })]);
    expect(report.groups[0].members.map((m) => m.imageId)).toEqual([ids[1], ids[0]]);
    db.close();
  });
});

describe.skipIf(skipWithoutShared !== '')(`duplicates among real photos ${skipWithoutShared}`, () => {
  it('groups resized, re-encoded, cropped and brightened copies with their original, and nothing else', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'duplicates-'));
    const photosRoot = sharedPath('datasets/photos');
    const all = readdirSync(photosRoot, { recursive: true })
      .map(String)
      .filter((name) => /\.(jpe?g|png)$/i.test(name))
      .sort();
    const originals = [0, 8, 16, 24, 32, 40].map((i) => all[i]);
    const unrelated = [4, 12, 20, 28, 36, 44].map((i) => all[i]);
    const families = new Map<string, string[]>(); // original's file → its copies' files
    const photo = (name: string) =>
      sharp(join(photosRoot, name)).rotate().resize(640, 640, { fit: 'inside' });
    for (const [n, name] of originals.entries()) {
      const original = await photo(name).jpeg({ quality: 95 }).toBuffer();
      const { width = 0, height = 0 } = await sharp(original).metadata();
      const file = (suffix: string) => join(folder, `family${n}-${suffix}.jpg`);
      writeFileSync(file('original'), original); // same resolution as two copies, but the largest file: the keeper
      await sharp(original)
        .resize(Math.round(width / 2))
        .jpeg({ quality: 90 })
        .toFile(file('resized'));
      await sharp(original).jpeg({ quality: 15 }).toFile(file('low-quality'));
      const [left, top] = [Math.round(width * 0.025), Math.round(height * 0.025)];
      await sharp(original)
        .extract({ left, top, width: width - 2 * left, height: height - 2 * top })
        .jpeg({ quality: 90 })
        .toFile(file('cropped'));
      await sharp(original).linear(1.2, 0).jpeg({ quality: 80 }).toFile(file('brightened'));
      families.set(file('original'), ['resized', 'low-quality', 'cropped', 'brightened'].map(file));
    }
    mkdirSync(join(folder, 'backup'));
    copyFileSync(join(folder, 'family0-original.jpg'), join(folder, 'backup', 'family0-original.jpg'));
    for (const [n, name] of unrelated.entries()) {
      await photo(name)
        .jpeg({ quality: 90 })
        .toFile(join(folder, `unrelated${n}.jpg`));
    }

    const libraryFile = join(mkdtempSync(join(tmpdir(), 'duplicates-library-')), 'library.sqlite');
    const db = openDatabase(libraryFile);
    addFolders(db, [folder]);
    await scanLibrary(db);
    const weightsPath = join(folder, '..', `${folder.split('/').pop()}-tiny-image-vit.safetensors`);
    writeSafetensors(weightsPath, tinyImageVitWeights());
    addModel(db, {
      name: 'tiny-image',
      source: 'imported',
      config: tinyImageVitConfig,
      weightsPath,
      runId: null,
    });
    const embedded = await embedLibrary(db, libraryFile);
    expect(embedded.embedded).toBe(6 * 5 + 1 + 6);

    // The margins this test model leaves here (measured 0.952 and 0.650; see tiny-image-vit.ts).
    const { imageIds, dim, vectors } = loadEmbeddings(db, embedded.modelId);
    const familyOf = (row: number) => {
      const path = (db.prepare('SELECT path FROM images WHERE id = ?').get(imageIds[row]) as { path: string })
        .path;
      return /family(\d)/.exec(path)?.[1] ?? path;
    };
    let leastCopy = 1;
    let mostUnrelated = -1;
    for (let i = 0; i < imageIds.length; i++) {
      for (let j = i + 1; j < imageIds.length; j++) {
        let s = 0;
        for (let c = 0; c < dim; c++) s += vectors[i * dim + c] * vectors[j * dim + c];
        if (familyOf(i) === familyOf(j)) leastCopy = Math.min(leastCopy, s);
        else mostUnrelated = Math.max(mostUnrelated, s);
      }
    }
    expect(leastCopy).toBeGreaterThan(0.91);
    expect(mostUnrelated).toBeLessThan(0.91);
    const report = await findDuplicates(db, { threshold: 0.91 });
    const pathOf = new Map(
      (db.prepare('SELECT id, path FROM images').all() as { id: number; path: string }[]).map((r) => [
        r.id,
        r.path,
      ]),
    );
    const exact = report.groups.filter((g) => g.kind === 'exact');
    expect(exact).toHaveLength(1);
    expect(exact[0].members.map((m) => m.path).sort()).toEqual(
      [join(folder, 'backup', 'family0-original.jpg'), join(folder, 'family0-original.jpg')].sort(),
    );
    const near = report.groups.filter((g) => g.kind === 'near');
    const found = near.map((g) => ({
      keeper: pathOf.get(g.keeperId),
      members: g.members.map((m) => m.path).sort(),
    }));
    const expected = [...families].map(([original, copies]) => {
      // The exact copy of family 0 is stood for by its group's keeper.
      const keeper = original.includes('family0') ? (exact[0].members[0].path as string) : original;
      return { keeper, members: [keeper, ...copies].sort() };
    });
    const byKeeper = (a: { keeper?: string }, b: { keeper?: string }) =>
      String(a.keeper).localeCompare(String(b.keeper));
    expect(found.sort(byKeeper)).toEqual(expected.sort(byKeeper));
    for (const group of near)
      for (const m of group.members) expect(m.similarity).toBeGreaterThanOrEqual(0.91);

    // The command line shows the same groups.
    db.close();
    const cli = fileURLToPath(new URL('../../../core/cli/dinoscope.js', import.meta.url));
    const json = JSON.parse(
      execFileSync(
        process.execPath,
        [cli, '--db', libraryFile, 'duplicates', '--threshold', '0.91', '--json'],
        {
          encoding: 'utf8',
        },
      ),
    );
    expect(json.groups).toHaveLength(7);
  });
});
