import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classOf, evaluateKnn } from '../../../core/analysis/knn-evaluation.ts';
import { embeddedLibrary, type FakePhoto } from './embedded-library.ts';

/** Three classes around three axes; one dog photo looks like a cat; one photo has no class. */
function classFolders(): FakePhoto[] {
  const photos: FakePhoto[] = [];
  const jitter = (i: number) => [Math.sin(i) * 0.1, Math.cos(i * 1.7) * 0.1, Math.sin(i * 2.3) * 0.1];
  ['birds', 'cats', 'dogs'].forEach((name, axis) => {
    for (let i = 0; i < 8; i++) {
      const v = jitter(i + axis * 10);
      v[axis] += 1;
      photos.push({ relPath: `${name}/${i}.jpg`, vector: v });
    }
  });
  photos.push({ relPath: 'dogs/looks-like-a-cat.jpg', vector: [0.05, 1, 0] });
  photos.push({ relPath: 'loose.jpg', vector: [1, 1, 1] });
  return photos;
}

describe('k-NN evaluation over class folders', () => {
  it('takes the class from the first folder under the registered folder', () => {
    expect(classOf('cats/2024/a.jpg')).toBe('cats');
    expect(classOf('cats\\a.jpg')).toBe('cats');
    expect(classOf('a.jpg')).toBeNull();
  });

  it('scores leave-one-out with per-class accuracy and a confusion matrix', async () => {
    const { db } = embeddedLibrary(classFolders());
    const result = await evaluateKnn(db, { k: 5 });
    if (result.status !== 'evaluated') throw new Error(result.status);
    expect(result.classes).toEqual(['birds', 'cats', 'dogs']);
    expect(result.protocol).toBe('leave-one-out');
    expect(result.testCount).toBe(25);
    expect(result.unlabelled).toBe(1);
    // Only the cat-like dog is wrong: predicted as a cat.
    expect(result.confusion).toEqual([
      [8, 0, 0],
      [0, 8, 0],
      [0, 1, 8],
    ]);
    expect(result.top1).toBeCloseTo((24 * 100) / 25, 10);
    expect(result.perClass.map((c) => c.count)).toEqual([8, 8, 9]);
    expect(result.perClass[2].top1).toBeCloseTo((8 * 100) / 9, 10);
    expect(result.perClass[2].top5).toBe(100); // 3 classes: every label is in the top 5
    db.close();
  });

  it('holds out part of every class, the same photos for the same seed', async () => {
    const { db } = embeddedLibrary(classFolders());
    const a = await evaluateKnn(db, { k: 3, split: 0.25, seed: 1 });
    const b = await evaluateKnn(db, { k: 3, split: 0.25, seed: 1 });
    if (a.status !== 'evaluated') throw new Error(a.status);
    expect(a.protocol).toBe('held-out');
    expect(a.perClass.map((c) => c.count)).toEqual([2, 2, 2]);
    expect(a.trainCount + a.testCount).toBe(25);
    expect(b).toEqual(a);
    db.close();
  });

  it('says why it cannot evaluate fewer than two classes', async () => {
    const { db } = embeddedLibrary([
      { relPath: 'cats/a.jpg', vector: [1, 0] },
      { relPath: 'cats/b.jpg', vector: [0, 1] },
      { relPath: 'c.jpg', vector: [1, 1] },
    ]);
    const result = await evaluateKnn(db);
    expect(result.status).toBe('skipped');
    if (result.status === 'skipped') expect(result.reason).toMatch(/Only one class folder \(cats\)/);
    db.close();
  });

  it('prints a table and the full data as JSON', () => {
    const library = embeddedLibrary(classFolders());
    library.db.close();
    const cli = fileURLToPath(new URL('../../../core/cli/dinoscope.js', import.meta.url));
    const run = (...args: string[]) =>
      execFileSync(process.execPath, [cli, '--db', library.file, 'eval', '--k', '5', ...args], {
        encoding: 'utf8',
      });
    const table = run();
    expect(table).toMatch(/top-1 96\.0 %\s+top-5 100\.0 %/);
    expect(table).toMatch(/2\s+dogs\s+9\s+88\.9 %/);
    expect(table).toMatch(/Confusion/);
    const json = JSON.parse(run('--json'));
    expect(json.confusion[2][1]).toBe(1);
  });
});
