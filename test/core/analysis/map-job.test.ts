import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { runMapJob } from '../../../core/analysis/map-job.ts';
import type { ProgressEvent } from '../../../core/jobs/progress.ts';
import { loadClusters } from '../../../core/store/clusters.ts';
import { putEmbeddings } from '../../../core/store/embeddings.ts';
import { loadProjection } from '../../../core/store/projections.ts';
import { libraryWithEmbeddings, type TestLibrary } from './map-fixtures.ts';

const run = promisify(execFile);
const libraries: TestLibrary[] = [];
afterEach(() => {
  for (const library of libraries.splice(0)) {
    library.db.close();
    rmSync(library.folder, { recursive: true, force: true });
  }
});
function library(count: number) {
  const made = libraryWithEmbeddings(count, 32, 3);
  libraries.push(made);
  return made;
}

describe('runMapJob', () => {
  it('maps in a worker thread with progress, stores layout and clusters, and agrees with class folders', async () => {
    const { db, model, imageIds } = library(300);
    const events: ProgressEvent[] = [];
    const result = await runMapJob(db, { onProgress: (event) => events.push(event) });
    expect(result.reused).toBe(false);
    expect(new Set(events.map((e) => e.phase))).toEqual(new Set(['k-NN graph', 'layout', 'clusters']));
    const lastLayout = events.filter((e) => e.phase === 'layout').at(-1) as ProgressEvent;
    expect(lastLayout.done).toBe(lastLayout.total);
    expect(lastLayout.total).toBe(result.params.nEpochs);

    const stored = loadProjection(db, model.id);
    expect(stored?.imageIds).toEqual(Int32Array.from(imageIds));
    expect(stored?.coordinates.every(Number.isFinite)).toBe(true);
    expect(stored?.params).toMatchObject({ nNeighbors: 15, minDist: 0.1, seed: 42 });

    const { clusters, members } = loadClusters(db, model.id);
    expect(members.size).toBe(300);
    expect(clusters.filter((c) => c.cluster >= 0)).toHaveLength(3);
    expect(clusters.reduce((sum, c) => sum + c.size, 0)).toBe(300);
    for (const c of clusters) {
      expect(c.representatives.length).toBeGreaterThan(0);
      for (const id of c.representatives) expect(members.get(id)).toBe(c.cluster);
    }
    const agreement = result.summary.classAgreement;
    expect(agreement?.classes).toBe(3);
    expect(agreement?.mapNeighbourAgreement).toBeGreaterThan(0.95);
    expect(agreement?.adjustedRandIndex).toBeGreaterThan(0.9);
    expect(agreement?.purity).toBeGreaterThan(0.95);
  });

  it('reuses a current map, recomputes when the embeddings or parameters change, and the same seed gives the same map', async () => {
    const { db, model, imageIds, vectors, dim } = library(200);
    const first = await runMapJob(db, { inProcess: true });
    const again = await runMapJob(db, { inProcess: true });
    expect(again.reused).toBe(true);
    expect(again.clusters).toEqual(first.clusters);
    const firstLayout = loadProjection(db, model.id)?.coordinates;

    const forced = await runMapJob(db, { inProcess: true, force: true });
    expect(forced.reused).toBe(false);
    expect(loadProjection(db, model.id)?.coordinates).toEqual(firstLayout);

    const reseeded = await runMapJob(db, { inProcess: true, seed: 7 });
    expect(reseeded.reused).toBe(false);
    expect(loadProjection(db, model.id)?.coordinates).not.toEqual(firstLayout);

    // New embeddings (a re-embed writes a newer created_at): the stored map is stale.
    await new Promise((resolve) => setTimeout(resolve, 5));
    putEmbeddings(db, model.id, [{ imageId: imageIds[0], vector: vectors.slice(dim, 2 * dim) }]);
    expect((await runMapJob(db, { inProcess: true, seed: 7 })).reused).toBe(false);
  });

  it('stops when cancelled and leaves the stored map as it was', async () => {
    const { db, model } = library(300);
    await runMapJob(db, { inProcess: true });
    const before = loadProjection(db, model.id);
    const controller = new AbortController();
    const job = runMapJob(db, {
      force: true,
      seed: 5,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.phase === 'layout' && event.done > 0) controller.abort();
      },
    });
    await expect(job).rejects.toThrow();
    expect(loadProjection(db, model.id)).toEqual(before);
  });

  it('explains what is missing', async () => {
    const { db } = library(10);
    db.prepare('DELETE FROM embeddings').run();
    await expect(runMapJob(db)).rejects.toThrow(/no embeddings yet.*dinoscope embed/);
    await expect(runMapJob(db, { nNeighbors: 1 })).rejects.toThrow(/--neighbors/);
  });

  it('maps a tiny library (fewer photos than neighbours) and refuses fewer than three', async () => {
    const tiny = library(8);
    const result = await runMapJob(tiny.db, { inProcess: true });
    expect(result.summary.photos).toBe(8);
    expect(result.clusters.reduce((sum, c) => sum + c.size, 0)).toBe(8);
    const two = library(2);
    await expect(runMapJob(two.db, { inProcess: true })).rejects.toThrow(/at least 3 embedded photos/);
  });

  it('runs from the command line (worker thread under tsx) and prints JSON', async () => {
    const { db, file } = library(120);
    db.close();
    const { stdout } = await run('node', [
      'core/cli/dinoscope.js',
      '--db',
      file,
      'map',
      '--json',
      '--neighbors',
      '10',
    ]);
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(result.type).toBe('result');
    expect(result.summary.photos).toBe(120);
    expect(result.params.nNeighbors).toBe(10);
    expect(result.summary.classAgreement.classes).toBe(3);
  });
});
