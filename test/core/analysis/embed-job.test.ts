import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { embedLibrary } from '../../../core/analysis/embed-job.ts';
import { openModelBackbone } from '../../../core/analysis/model-backbone.ts';
import { resizeForCrop, writeCentreCrop } from '../../../core/analysis/preprocess.ts';
import type { ProgressEvent } from '../../../core/jobs/progress.ts';
import { scanLibrary } from '../../../core/library/scan.ts';
import { readTrainingCopy } from '../../../core/library/training-copy.ts';
import { openDatabase } from '../../../core/store/database.ts';
import { embeddingFor, loadEmbeddings } from '../../../core/store/embeddings.ts';
import { getModel } from '../../../core/store/models.ts';
import { addPhotos, makeEmbedLibrary } from './embed-test-library.ts';

const cli = fileURLToPath(new URL('../../../core/cli/dinoscope.js', import.meta.url));

describe('embedLibrary', () => {
  it('embeds every photo once, L2-normalised, as the backbone computes it; then only new photos', async () => {
    const { db, file, root, modelId } = await makeEmbedLibrary(21);
    const events: ProgressEvent[] = [];
    const first = await embedLibrary(db, file, { batchSize: 8, onProgress: (e) => events.push(e) });
    expect(first).toMatchObject({ modelId, embedded: 21, alreadyEmbedded: 0, failed: [], cancelled: false });
    expect(first.engine).toMatch(/^onnxruntime /);
    expect(events.map((e) => e.done)).toEqual([0, 8, 16, 21]);
    expect(events.at(-1)).toMatchObject({ job: 'embed', total: 21 });

    const { imageIds, dim, vectors } = loadEmbeddings(db, modelId);
    expect(imageIds.length).toBe(21);
    expect(dim).toBe(32);
    for (let row = 0; row < 21; row++) {
      const norm = Math.hypot(...vectors.subarray(row * dim, (row + 1) * dim));
      expect(norm).toBeCloseTo(1, 5);
    }
    // The same photo through the backbone by hand: crop, normalise, run, normalise.
    const model = getModel(db, modelId);
    const backbone = await openModelBackbone(db, file, model);
    const image = await resizeForCrop(await readTrainingCopy(db, imageIds[5]), 32);
    const pixels = new Float32Array(3 * 32 * 32);
    writeCentreCrop(image, 32, pixels, 0);
    const cls = await backbone.embed(pixels, 1);
    await backbone.release();
    const length = Math.hypot(...cls);
    const stored = embeddingFor(db, modelId, imageIds[5]) ?? new Float32Array();
    for (let i = 0; i < dim; i++) expect(stored[i]).toBeCloseTo(cls[i] / length, 5);

    const again = await embedLibrary(db, file);
    expect(again).toMatchObject({ embedded: 0, alreadyEmbedded: 21 });

    await addPhotos(root, 21, 4);
    await scanLibrary(db);
    const incremental = await embedLibrary(db, file, { batchSize: 8 });
    expect(incremental).toMatchObject({ embedded: 4, alreadyEmbedded: 21 });
    expect(loadEmbeddings(db, modelId).imageIds.length).toBe(25);
    db.close();
  });

  it('stops at the next batch when cancelled, keeping what it committed', async () => {
    const { db, file, modelId } = await makeEmbedLibrary(12);
    const controller = new AbortController();
    const result = await embedLibrary(db, file, {
      batchSize: 4,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.done > 0) controller.abort();
      },
    });
    expect(result).toMatchObject({ cancelled: true, embedded: 4 });
    expect(loadEmbeddings(db, modelId).imageIds.length).toBe(4);
    expect((await embedLibrary(db, file, { batchSize: 4 })).embedded).toBe(8);
    db.close();
  });
});

describe('dinoscope embed, killed and resumed', () => {
  it('loses nothing committed and embeds nothing twice', async () => {
    const { db, file, modelId } = await makeEmbedLibrary(90);
    db.close();
    const child = spawn(process.execPath, [cli, '--db', file, '--events', 'embed', '--batch', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let killedAt = -1;
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      const line = JSON.parse(text) as { type: string; done?: number };
      if (line.type === 'progress' && (line.done ?? 0) >= 10 && killedAt < 0) {
        killedAt = line.done ?? 0;
        (child as ChildProcess).kill('SIGKILL');
      }
    });
    const exit = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('close', (_code, signal) => resolve(signal)),
    );
    expect(exit).toBe('SIGKILL');

    const reopened = openDatabase(file);
    expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok');
    const before = reopened
      .prepare('SELECT image_id AS id, created_at AS at FROM embeddings WHERE model_id = ? ORDER BY image_id')
      .all(modelId) as { id: number; at: number }[];
    expect(before.length).toBeGreaterThanOrEqual(killedAt);
    expect(before.length).toBeLessThan(90);
    expect(before.length % 2).toBe(0); // whole batches only

    const resumed = await embedLibrary(reopened, file);
    expect(resumed.embedded).toBe(90 - before.length);
    const after = reopened
      .prepare('SELECT image_id AS id, created_at AS at FROM embeddings WHERE model_id = ? ORDER BY image_id')
      .all(modelId) as { id: number; at: number }[];
    expect(after.length).toBe(90);
    const untouched = new Map(after.map((row) => [row.id, row.at]));
    for (const row of before) expect(untouched.get(row.id)).toBe(row.at);
    reopened.close();
  });
});
