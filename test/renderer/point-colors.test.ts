import { describe, expect, it } from 'vitest';
import type { MapFacts, MapPoints } from '../../core/api.ts';
import { NO_FILTER, toPhotoFilter } from '../../renderer/filter-choice.ts';
import { legend, pointColors } from '../../renderer/map/point-colors.ts';
import { clusterColorBytes } from '../../renderer/map/scatter-gl.ts';

const points: MapPoints = { imageIds: [1, 2, 3], x: [0, 1, 2], y: [0, 1, 2], cluster: [0, 1, -1] };
const facts: MapFacts = {
  folders: ['/p/a', '/p/b'],
  folder: [0, 1, 1],
  formats: ['jpeg'],
  format: [0, 0, -1],
  capturedAt: [Date.UTC(2020, 0, 1), null, Date.UTC(2024, 0, 1)],
  tags: [
    { id: 7, name: 'sea', count: 1 },
    { id: 9, name: 'snow', count: 1 },
  ],
  pointTags: [[9], [], [7, 9]],
};
const rgb = (colors: Uint8Array, i: number) => Array.from(colors.subarray(i * 3, i * 3 + 3));

describe('map colours', () => {
  it('colours by cluster, folder, format and tag with the legend in the same order', () => {
    expect(rgb(pointColors('cluster', points, facts), 1)).toEqual(clusterColorBytes(1));
    const byFolder = pointColors('folder', points, facts);
    expect(rgb(byFolder, 1)).toEqual(rgb(byFolder, 2));
    expect(rgb(byFolder, 0)).not.toEqual(rgb(byFolder, 1));
    expect(rgb(pointColors('format', points, facts), 2)).toEqual(clusterColorBytes(-1));
    const byTag = pointColors('tag', points, facts);
    expect(rgb(byTag, 0)).toEqual(clusterColorBytes(1)); // snow is the second tag
    expect(rgb(byTag, 1)).toEqual(clusterColorBytes(-1)); // no tag
    expect(legend('tag', facts).map((e) => e.name)).toEqual(['sea', 'snow', 'no tag']);
  });

  it('colours by one chosen tag against the others, whichever of its tags a photo lists first', () => {
    // Photo 2 has sea and snow: by its first tag it is sea; focused on snow, it is snow.
    const bySnow = pointColors('tag', points, facts, 'snow');
    expect(rgb(bySnow, 0)).toEqual(clusterColorBytes(1));
    expect(rgb(bySnow, 2)).toEqual(clusterColorBytes(1));
    expect(rgb(bySnow, 1)).toEqual(clusterColorBytes(-1));
    const bySea = pointColors('tag', points, facts, 'sea');
    expect(rgb(bySea, 2)).toEqual(clusterColorBytes(0));
    expect(rgb(bySea, 0)).not.toEqual(clusterColorBytes(-1)); // other tags: not the untagged grey
    expect(rgb(bySea, 0)).not.toEqual(clusterColorBytes(0));
    expect(legend('tag', facts, 'snow').map((e) => e.name)).toEqual(['snow', 'other tags', 'no tag']);
    // A tag that no longer exists (renamed, deleted): the plain colouring by tag.
    expect(pointColors('tag', points, facts, 'gone')).toEqual(pointColors('tag', points, facts));
  });

  it('colours by date from dark (old) to bright (new), grey without a date', () => {
    const byDate = pointColors('date', points, facts);
    const brightness = (i: number) => rgb(byDate, i).reduce((a, b) => a + b, 0);
    expect(brightness(2)).toBeGreaterThan(brightness(0));
    expect(rgb(byDate, 1)).toEqual(clusterColorBytes(-1));
  });

  it('turns the panel choice into the contract filter, leaving out what is not chosen', () => {
    expect(toPhotoFilter(NO_FILTER)).toEqual({});
    const filter = toPhotoFilter({ ...NO_FILTER, tags: ['sea'], dates: { from: 0, to: 86_400_000 } });
    expect(filter.tags).toEqual(['sea']);
    expect(filter.capturedFrom).toMatch(/^19(69|70)-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(filter.capturedTo).toMatch(/^1970-01-0[12]T/);
  });
});
