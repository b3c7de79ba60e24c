import { describe, expect, it } from 'vitest';
import { neighbourAgreement, sampleIds, viewRetrieval } from '../../../core/training/feature-probe.ts';

function normalised(rows: number[][]): Float32Array {
  return Float32Array.from(
    rows.flatMap((row) => {
      const norm = Math.hypot(...row);
      return row.map((v) => v / norm);
    }),
  );
}

describe('feature probe', () => {
  it('draws the same seeded sample every time, in id order, all ids when there are few', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => i * 3);
    const sample = sampleIds(ids, 256, 7);
    expect(sample).toHaveLength(256);
    expect(new Set(sample).size).toBe(256);
    expect(sample).toEqual([...sample].sort((a, b) => a - b));
    expect(sampleIds(ids, 256, 7)).toEqual(sample);
    expect(sampleIds(ids, 256, 8)).not.toEqual(sample);
    expect(sampleIds([5, 2], 256, 7)).toEqual([5, 2]);
  });

  it('scores view retrieval: each view must find its own centre crop first', () => {
    const centres = normalised([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 1, 0],
    ]);
    // Views 0 and 1 are nearest their own centre crop, view 2 is nearest centre 0, view 3 its own.
    const views = normalised([
      [1, 0.1, 0],
      [0, 1, 0.1],
      [1, 0, 0.2],
      [1, 1.1, 0],
    ]);
    expect(viewRetrieval(centres, views, 4, 3)).toBe(75);
  });

  it('measures how many 10-NN stay the same between two embeddings of the same photos', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => [Math.cos(i / 5), Math.sin(i / 5), (i % 7) / 10]);
    const a = normalised(rows);
    expect(await neighbourAgreement(a, a, 30, [3, 3])).toBe(1);
    const shuffled = normalised(rows.map((_, i) => rows[(i * 7) % 30]));
    expect(await neighbourAgreement(a, shuffled, 30, [3, 3])).toBeLessThan(0.6);
  });
});
