import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DinoscopeService } from '../../../core/server/dinoscope-service.ts';
import { InvalidRequest, validateRequest } from '../../../core/server/request-validation.ts';
import { saveClusters } from '../../../core/store/clusters.ts';
import { embeddingsFingerprint } from '../../../core/store/embeddings.ts';
import { saveProjection } from '../../../core/store/projections.ts';
import { embeddedLibrary, type FakePhoto } from '../analysis/embedded-library.ts';

/** The tag, filter, review and export requests of the contract, as both transports call them. */
const photos: FakePhoto[] = ['sea', 'snow'].flatMap((name, axis) =>
  Array.from({ length: 6 }, (_, i) => {
    const vector = [Math.sin(i) * 0.1, Math.cos(i) * 0.1, 0.05];
    vector[axis] += 1;
    return { relPath: `${name}/${i}.${i % 2 ? 'png' : 'jpg'}`, vector };
  }),
);
const library = embeddedLibrary(photos);
const { ids, model } = library;
saveProjection(library.db, {
  modelId: model.id,
  params: {},
  embeddingsFingerprint: embeddingsFingerprint(library.db, model.id),
  summary: {},
  imageIds: Int32Array.from(ids),
  coordinates: Float32Array.from(ids.flatMap((_, i) => [i, i % 6])),
} as never);
saveClusters(library.db, model.id, [], { imageIds: ids, labels: ids.map((_, i) => (i < 6 ? 0 : 1)) });
library.db.close();
const service = new DinoscopeService({
  libraryFile: library.file,
  transport: 'web',
  launcher: () => {
    throw new Error('no jobs in this test');
  },
});
afterAll(() => service.close());

describe('tag requests', () => {
  it('tags a cluster, suggests for the rest (least confident first), accepts one, undoes it', async () => {
    const cluster0 = await service.handle('photos.filter', { modelId: model.id, filter: { clusters: [0] } });
    expect(cluster0.imageIds).toEqual(ids.slice(0, 6));
    await service.handle('tags.add', { name: 'sea', imageIds: cluster0.imageIds.slice(0, 2) });
    await service.handle('tags.add', { name: 'snow', imageIds: [ids[6]] });
    const queue = await service.handle('tags.suggestions', { modelId: model.id, limit: 3 });
    expect(queue.tagged).toBe(3);
    expect(queue.total).toBe(9);
    expect(queue.suggestions).toHaveLength(3);
    const all = await service.handle('tags.suggestions', { modelId: model.id, limit: 100 });
    for (const s of all.suggestions) expect(s.tag).toBe(ids.indexOf(s.imageId) < 6 ? 'sea' : 'snow');
    const first = all.suggestions[0];
    await service.handle('tags.add', { name: first.tag, imageIds: [first.imageId], source: 'accepted' });
    const after = await service.handle('tags.suggestions', { modelId: model.id, limit: 100 });
    expect(after.total).toBe(8); // recomputed: the accepted photo left the queue
    expect((await service.handle('tags.undo', {})).undone).toMatch(/tag 1 photo/);
    expect((await service.handle('tags.list', {})).map((t) => [t.name, t.count])).toEqual([
      ['sea', 2],
      ['snow', 1],
    ]);
  });

  it('describes every map point for colouring and filtering', async () => {
    const facts = await service.handle('map.facts', { modelId: model.id });
    expect(facts.folders).toEqual(['/photos/sea', '/photos/snow']);
    expect(facts.folder).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(facts.formats).toEqual(['jpeg']);
    expect(facts.capturedAt.every((t) => t === null)).toBe(true);
    const sea = facts.tags.find((t) => t.name === 'sea');
    expect(facts.pointTags[0]).toEqual([sea?.id]);
    expect(facts.pointTags[5]).toEqual([]);
  });

  it('selects photos worth labelling and exports the filter as CSV', async () => {
    const picked = await service.handle('select.photos', { modelId: model.id, count: 2, perCluster: true });
    expect(picked.imageIds.length).toBeLessThanOrEqual(2);
    const path = join(mkdtempSync(join(tmpdir(), 'labels-')), 'untagged.csv');
    const written = await service.handle('export.labels', {
      modelId: model.id,
      format: 'csv',
      path,
      filter: { untagged: true, clusters: [1] },
      suggestions: true,
    });
    expect(written.photos).toBe(5);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines.slice(1).every((line) => /,,snow,[01]\.\d{4}$/.test(line))).toBe(true);
  });

  it('pages the Library grid through the same filter as the map and the exports', async () => {
    const filter = { untagged: true, clusters: [1] };
    const kept = (await service.handle('photos.filter', { modelId: model.id, filter })).imageIds;
    expect(kept).toHaveLength(5);
    const first = await service.handle('library.images', {
      offset: 0,
      limit: 3,
      status: 'ok',
      filter,
      modelId: model.id,
    });
    const rest = await service.handle('library.images', {
      offset: 3,
      limit: 3,
      status: 'ok',
      filter,
      modelId: model.id,
    });
    expect(first.total).toBe(5);
    expect([...first.items, ...rest.items].map((item) => item.id)).toEqual(kept);
    expect(rest.items[0].relPath).toMatch(/^snow\//);
    // An empty filter is no filter: the whole library, as before.
    const all = await service.handle('library.images', { offset: 0, limit: 100, filter: {} });
    expect(all.total).toBe(ids.length);
    await expect(
      service.handle('library.images', { offset: 0, limit: 10, filter: { clusters: [0] } }),
    ).rejects.toThrow(/needs a model/);
    expect(() =>
      validateRequest('library.images', { offset: 0, limit: 10, filter: { formats: 'jpeg' } }),
    ).toThrow(InvalidRequest);
  });

  it('refuses malformed tag and filter arguments before the core sees them', async () => {
    expect(() => validateRequest('tags.add', { name: '', imageIds: [1] })).toThrow(InvalidRequest);
    expect(() =>
      validateRequest('photos.filter', { modelId: 1, filter: { capturedFrom: 'yesterday' } }),
    ).toThrow(/ISO date/);
    expect(() =>
      validateRequest('photos.filter', { modelId: 1, filter: { folders: ['relative/path'] } }),
    ).toThrow(/absolute path/);
    await expect(service.handle('tags.rename', { from: 'nope', to: 'x' })).rejects.toThrow(/No tag "nope"/);
  });
});
