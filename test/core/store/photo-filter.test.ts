import { describe, expect, it } from 'vitest';
import { vitConfig } from '../../../core/model/vit-config.ts';
import { saveClusters } from '../../../core/store/clusters.ts';
import { openDatabase } from '../../../core/store/database.ts';
import { insertFolder } from '../../../core/store/folders.ts';
import { insertImage } from '../../../core/store/images.ts';
import { addModel } from '../../../core/store/models.ts';
import { filterPhotos, isEmptyFilter } from '../../../core/store/photo-filter.ts';
import { addTag } from '../../../core/store/tags.ts';

describe('photo filter', () => {
  const db = openDatabase(':memory:');
  const folder = insertFolder(db, '/photos');
  const photo = (
    relPath: string,
    format: string,
    capturedAt: string | null,
    status: 'ok' | 'missing' = 'ok',
  ) =>
    insertImage(db, {
      folderId: folder.id,
      path: `/photos/${relPath}`,
      relPath,
      size: 1,
      mtimeMs: 0,
      hash: relPath,
      format,
      width: 1,
      height: 1,
      capturedAt,
      status,
      error: null,
      readAgain: false,
      scannedAt: 0,
    });
  const a = photo('trip/a.jpg', 'jpeg', '2024-05-01T10:00:00');
  const b = photo('trip/b.png', 'png', '2024-05-31T23:59:59');
  const c = photo('trip_other/c.jpg', 'jpeg', '2024-06-01T00:00:00');
  const d = photo('d.jpg', 'jpeg', null);
  photo('gone.jpg', 'jpeg', null, 'missing');
  const model = addModel(db, {
    name: 'm',
    source: 'imported',
    config: vitConfig('vit_small'),
    weightsPath: '/x',
    runId: null,
  });
  saveClusters(db, model.id, [], { imageIds: [a, b, c, d], labels: [0, 0, 1, -1] });
  addTag(db, 'sea', [a, c]);

  it('narrows by each field, and by all of them together', () => {
    expect(filterPhotos(db, {})).toEqual([a, b, c, d]); // missing photos never count
    expect(filterPhotos(db, { folders: ['/photos/trip'] })).toEqual([a, b]); // not trip_other
    expect(filterPhotos(db, { formats: ['PNG'] })).toEqual([b]);
    expect(filterPhotos(db, { tags: ['SEA'] })).toEqual([a, c]);
    expect(filterPhotos(db, { untagged: true })).toEqual([b, d]);
    expect(filterPhotos(db, { clusters: [0, -1] }, { modelId: model.id })).toEqual([a, b, d]);
    expect(filterPhotos(db, { capturedFrom: '2024-05-02', capturedTo: '2024-05' })).toEqual([b]);
    expect(filterPhotos(db, { capturedTo: '2024-05-31' })).toEqual([a, b]);
    expect(
      filterPhotos(db, { clusters: [0, 1], tags: ['sea'], formats: ['jpeg'] }, { modelId: model.id }),
    ).toEqual([a, c]);
    expect(filterPhotos(db, { tags: [] })).toEqual([]);
  });

  it('needs a model to filter by cluster', () => {
    expect(() => filterPhotos(db, { clusters: [0] })).toThrow(/needs a model/);
    expect(isEmptyFilter({ untagged: false })).toBe(true);
    expect(isEmptyFilter({ formats: [] })).toBe(false);
  });
});
