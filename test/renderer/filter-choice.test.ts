import { describe, expect, it } from 'vitest';
import { describeFilter, isFiltering, NO_FILTER, toPhotoFilter } from '../../renderer/filter-choice.ts';

describe('the one filter choice (map, Library grid and exports)', () => {
  it('sends clusters with the rest of the filter and nothing when nothing is chosen', () => {
    expect(isFiltering(NO_FILTER)).toBe(false);
    const choice = { ...NO_FILTER, clusters: [3, -1], untagged: true };
    expect(isFiltering(choice)).toBe(true);
    expect(toPhotoFilter(choice)).toEqual({ clusters: [3, -1], untagged: true });
  });

  it('describes the choice for the Library banner', () => {
    expect(
      describeFilter({
        ...NO_FILTER,
        clusters: [2, -1],
        folders: ['/photos/sea/'],
        tags: ['dog'],
        untagged: false,
      }),
    ).toBe('cluster 2, none; folder sea; tag dog');
    expect(describeFilter(NO_FILTER)).toBe('');
  });
});
