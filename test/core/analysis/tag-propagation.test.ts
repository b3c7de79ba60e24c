import { describe, expect, it } from 'vitest';
import { normalizeRows } from '../../../core/analysis/cosine-top-k.ts';
import { weightedVotes } from '../../../core/analysis/knn-classifier.ts';
import { crossTopK } from '../../../core/analysis/knn-graph.ts';
import { seededRandom } from '../../../core/analysis/seeded-random.ts';
import { type PropagationInput, propagateTags } from '../../../core/analysis/tag-propagation.ts';

/** Rows around `classes` random directions; the first `taggedPerClass` of each class carry its tag. */
function planted(classes: number, perClass: number, dim: number, spread: number, seed = 1) {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: classes }, () => Array.from({ length: dim }, gauss));
  const count = classes * perClass;
  const vectors = new Float32Array(count * dim);
  const truth = new Int32Array(count);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      const row = c * perClass + i;
      truth[row] = c;
      for (let d = 0; d < dim; d++) vectors[row * dim + d] = centres[c][d] + spread * gauss();
    }
  }
  return { vectors: normalizeRows(vectors, count, dim), truth, count, dim };
}

function singleTags(
  rows: number[],
  truth: Int32Array,
  tagCount: number,
): Omit<PropagationInput, 'vectors' | 'count' | 'dim'> {
  const taggedRows = Int32Array.from(rows.sort((a, b) => a - b));
  return {
    taggedRows,
    tagOffsets: Int32Array.from({ length: taggedRows.length + 1 }, (_, i) => i),
    tagIndices: Int32Array.from(taggedRows, (row) => truth[row]),
    tagCount,
  };
}

describe('tag propagation (weighted k-NN)', () => {
  it('recovers planted classes from three tags per class, confidently', async () => {
    const { vectors, truth, count, dim } = planted(4, 50, 32, 0.5);
    const tagged = [0, 1, 2, 50, 51, 52, 100, 101, 102, 150, 151, 152];
    const result = await propagateTags(
      { vectors, count, dim, ...singleTags(tagged, truth, 4) },
      { engine: 'js' },
    );
    expect(result.rows.length).toBe(count - tagged.length);
    expect(result.k).toBe(12); // fewer tagged photos than DINO's 20: all of them vote
    let wrong = 0;
    result.rows.forEach((row, i) => {
      if (result.suggested[i] !== truth[row]) wrong++;
    });
    expect(wrong).toBe(0);
    expect(Math.min(...result.confidence)).toBeGreaterThan(0.9);
    expect(Math.max(...result.confidence)).toBeLessThanOrEqual(1);
  });

  it('is least confident between two tagged groups, and names the other group as runner-up', async () => {
    const dim = 3;
    const rows = [
      [1, 0, 0],
      [0.99, 0.1, 0],
      [0, 1, 0],
      [0.1, 0.99, 0],
      [0.97, 0.05, 0.1], // clearly A
      [0.7, 0.7, 0.1], // halfway
    ];
    const vectors = normalizeRows(Float32Array.from(rows.flat()), rows.length, dim);
    const truth = Int32Array.from([0, 0, 1, 1, 0, 0]);
    const result = await propagateTags(
      { vectors, count: rows.length, dim, ...singleTags([0, 1, 2, 3], truth, 2) },
      { k: 4, engine: 'js' },
    );
    expect(Array.from(result.rows)).toEqual([4, 5]);
    expect(result.suggested[0]).toBe(0);
    expect(result.confidence[0]).toBeGreaterThan(0.99);
    expect(result.confidence[1]).toBeGreaterThan(0.4);
    expect(result.confidence[1]).toBeLessThan(0.6);
    expect(result.runnerUp[1]).toBe(1 - result.suggested[1]);
  });

  it('with one tag per photo, suggests exactly what DINO eval_knn.py predicts', async () => {
    const { vectors, truth, count, dim } = planted(5, 40, 24, 1.2, 7);
    const tagged = Array.from({ length: count }, (_, i) => i).filter((i) => i % 3 === 0);
    const input = { vectors, count, dim, ...singleTags(tagged, truth, 5) };
    const result = await propagateTags(input, { engine: 'js' });
    const train = new Float32Array(tagged.length * dim);
    tagged.forEach((row, i) => {
      train.set(vectors.subarray(row * dim, (row + 1) * dim), i * dim);
    });
    const test = new Float32Array(result.rows.length * dim);
    result.rows.forEach((row, i) => {
      test.set(vectors.subarray(row * dim, (row + 1) * dim), i * dim);
    });
    const neighbours = await crossTopK(test, result.rows.length, train, tagged.length, dim, 20, {
      engine: 'js',
    });
    const reference = weightedVotes(
      neighbours,
      20,
      Int32Array.from(tagged, (row) => truth[row]),
      Int32Array.from(result.rows, (row) => truth[row]),
      5,
      0.07,
    );
    expect(Array.from(result.suggested)).toEqual(Array.from(reference.predictions));
  });

  it('lets a photo with two tags vote for both', async () => {
    const dim = 2;
    const vectors = normalizeRows(Float32Array.from([1, 0, 0.99, 0.05, 0, 1]), 3, dim);
    const result = await propagateTags(
      {
        vectors,
        count: 3,
        dim,
        taggedRows: Int32Array.from([0]),
        tagOffsets: Int32Array.from([0, 2]),
        tagIndices: Int32Array.from([1, 0]),
        tagCount: 2,
      },
      { engine: 'js' },
    );
    expect(Array.from(result.suggested)).toEqual([0, 0]); // tie: the lower tag index
    expect(Array.from(result.runnerUp)).toEqual([1, 1]);
    expect(result.confidence[0]).toBeCloseTo(1, 6);
  });

  it('has nothing to suggest without tags', async () => {
    const { vectors, count, dim } = planted(2, 5, 4, 0.1);
    const result = await propagateTags({
      vectors,
      count,
      dim,
      taggedRows: new Int32Array(0),
      tagOffsets: Int32Array.from([0]),
      tagIndices: new Int32Array(0),
      tagCount: 0,
    });
    expect(result.suggested.length).toBe(0);
  });
});
