import { describe, expect, it } from 'vitest';
import { knnClassify } from '../../../core/analysis/knn-classifier.ts';
import { readSafetensors } from '../../../core/engine/safetensors.ts';
import { sharedPath, skipWithoutShared } from '../../shared-fixtures.ts';

describe('weighted k-NN classifier (eval_knn.py)', () => {
  it.skipIf(skipWithoutShared !== '')(
    `reproduces knn.safetensors: every prediction, top-1 and top-5 ${skipWithoutShared}`,
    async () => {
      const file = readSafetensors(sharedPath('fixtures/dino-reference/knn.safetensors'));
      const tensor = (name: string) => file.tensors.get(name)?.data ?? new Float32Array();
      const train = { features: tensor('train.features'), labels: Int32Array.from(tensor('train.labels')) };
      const test = { features: tensor('test.features'), labels: Int32Array.from(tensor('test.labels')) };
      const result = await knnClassify(train, test, {
        k: Number(file.metadata.k),
        temperature: Number(file.metadata.T),
        numClasses: Number(file.metadata.num_classes),
      });
      expect(Array.from(result.predictions)).toEqual(Array.from(tensor('test.predicted')));
      expect(result.top1).toBeCloseTo(Number(file.metadata.top1_percent), 10);
      // 22 test samples have their label among several zero-vote classes: top-5 depends on how
      // ties rank (lower class first, as torch's sort does here; the other way gives 80.5).
      expect(result.top5).toBeCloseTo(Number(file.metadata.top5_percent), 10);
    },
  );

  it('classifies by weighted votes, leave-one-out excluding the sample itself', async () => {
    // Two tight groups on the unit circle; a point of class 1 sits next to group 0.
    const angles = [0, 0.05, 0.1, Math.PI / 2, Math.PI / 2 + 0.05, 0.22];
    const features = new Float32Array(angles.flatMap((a) => [Math.cos(a), Math.sin(a)]));
    const labels = Int32Array.from([0, 0, 0, 1, 1, 1]);
    const result = await knnClassify({ features, labels }, 'leave-one-out', { k: 2, numClasses: 2 });
    // Without leaving itself out, every sample would vote for its own label (100 %).
    expect(Array.from(result.predictions)).toEqual([0, 0, 0, 1, 1, 0]);
    expect(result.top1).toBeCloseTo(500 / 6, 10);
    // Votes are exp(sim / T) summed per class; sample 5's nearest are samples 2 and 1 (class 0).
    const sim = (i: number, j: number) => Math.cos(angles[i] - angles[j]);
    const expected = Math.exp(sim(5, 2) / 0.07) + Math.exp(sim(5, 1) / 0.07);
    expect(result.votes[5 * 2] / expected).toBeCloseTo(1, 5);
    expect(result.votes[5 * 2 + 1]).toBe(0);
  });

  it('names bad labels instead of miscounting', async () => {
    const features = new Float32Array([1, 0, 0, 1]);
    await expect(
      knnClassify({ features, labels: Int32Array.from([0, 3]) }, 'leave-one-out', { k: 1, numClasses: 2 }),
    ).rejects.toThrow(/training label is 3/);
  });
});
