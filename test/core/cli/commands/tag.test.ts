import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { saveClusters } from '../../../../core/store/clusters.ts';
import { embeddedLibrary, type FakePhoto } from '../../analysis/embedded-library.ts';

/**
 * `dinoscope tag`, `select` and `eval --from-tags` on a library with planted embeddings: three
 * groups around three axes, whose photo files exist so that exports can link and copy them.
 */
const cli = fileURLToPath(new URL('../../../../core/cli/dinoscope.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'dinoscope-tag-command-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const folder = join(root, 'photos');
const names = ['birds', 'cats', 'dogs'];
const photos: FakePhoto[] = names.flatMap((name, axis) =>
  Array.from({ length: 8 }, (_, i) => {
    const vector = [Math.sin(i + axis) * 0.1, Math.cos(i * 1.3) * 0.1, Math.sin(i * 2.1) * 0.1];
    vector[axis] += 1;
    return { relPath: `${name}/${i}.jpg`, vector };
  }),
);
for (const photo of photos) {
  mkdirSync(join(folder, photo.relPath, '..'), { recursive: true });
  writeFileSync(join(folder, photo.relPath), `bytes of ${photo.relPath}`);
}
const library = embeddedLibrary(photos, { folder });
saveClusters(library.db, library.model.id, [], {
  imageIds: library.ids,
  labels: library.ids.map((_, i) => Math.floor(i / 8)),
});
library.db.close();
const ids = library.ids;

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, '--db', library.file, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
const json = (...args: string[]) => {
  const result = run(...args, '--json');
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
};

describe('dinoscope tag, select and eval --from-tags', () => {
  it('tags a cluster, a folder and single photos; lists them; spreads them; scores the model from them', () => {
    expect(run('tag', 'add', 'bird', '--cluster', '0').stdout).toMatch(/Tagged 8 photos "bird"/);
    expect(run('tag', 'add', 'cat', '--folder', join(folder, 'cats')).stdout).toMatch(
      /Tagged 8 photos "cat"/,
    );
    expect(run('tag', 'add', 'dog', '--images', `${ids[16]},${join(folder, 'dogs/1.jpg')}`).status).toBe(0);
    expect(json('tag', 'list').map((t: { name: string; count: number }) => [t.name, t.count])).toEqual([
      ['bird', 8],
      ['cat', 8],
      ['dog', 2],
    ]);

    const suggested = json('tag', 'suggest');
    expect(suggested.tagged).toBe(18);
    expect(
      suggested.suggestions.map((s: { imageId: number }) => s.imageId).sort((a: number, b: number) => a - b),
    ).toEqual(ids.slice(18));
    for (const s of suggested.suggestions) {
      expect(s.tag).toBe('dog');
      expect(s.confidence).toBeGreaterThan(0.9);
    }
    const confidences = suggested.suggestions.map((s: { confidence: number }) => s.confidence);
    expect(confidences).toEqual([...confidences].sort((a, b) => a - b)); // least confident first

    expect(json('tag', 'suggest', '--accept-above', '0.5').accepted).toBe(6);
    const evaluation = json('eval', '--from-tags', '--k', '5');
    expect(evaluation.labels).toBe('tags');
    expect(evaluation.classes).toEqual(['bird', 'cat', 'dog']);
    expect(evaluation.top1).toBe(100);
    expect(run('eval', '--from-tags', '--k', '5').stdout).toMatch(/3 tags/);

    expect(run('tag', 'undo').stdout).toMatch(/Undid: tag 6 photos "dog"/);
    expect(json('tag', 'list')[2].count).toBe(2);
  });

  it('refuses a tag operation that names no photos, with what to give', () => {
    const result = run('tag', 'add', 'nothing');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/needs photos: --images IDS, --cluster N, --folder F/);
    expect(run('tag', 'add', 'x', '--images', '99999').stderr).toMatch(/No image with id 99999/);
  });

  it('selects photos that cover the collection, per cluster too, skipping what is tagged', () => {
    const plain = json('select', '--count', '3', '--ignore-tags');
    expect(plain.imageIds).toHaveLength(3);
    expect(new Set(plain.clusters)).toEqual(new Set([0, 1, 2]));
    // The photos of a group are 0.99 similar: near-duplicates at the default 0.95, so one each.
    expect(json('select', '--count', '6', '--ignore-tags')).toMatchObject({ exhausted: true });
    const perCluster = json(
      'select',
      '--count',
      '6',
      '--per-cluster',
      '--ignore-tags',
      '--near-duplicate',
      '0.9999',
    );
    expect(perCluster.clusters.filter((c: number) => c === 1)).toHaveLength(2);
    expect(perCluster.exhausted).toBe(false);
    // Tagged photos count as covered: the two tagged dogs already cover the dogs at 0.95…
    expect(json('select', '--count', '1')).toMatchObject({ seeds: 18, imageIds: [], exhausted: true });
    // …and at a stricter threshold the picks are untagged dogs.
    const untagged = json('select', '--count', '2', '--near-duplicate', '0.9999');
    expect(untagged.clusters).toEqual([2, 2]);
    for (const id of untagged.imageIds) expect(ids.slice(18)).toContain(id);
  });

  it('exports tags as CSV, a JSON manifest and an ImageFolder tree of links, never touching the originals', () => {
    const csv = join(root, 'labels.csv');
    expect(run('tag', 'export', '--as', 'csv', '-o', csv, '--suggestions').status).toBe(0);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('image_id,path,tags,suggested_tag,confidence');
    expect(lines).toHaveLength(25);
    expect(lines[1]).toBe(`${ids[0]},${join(folder, 'birds/0.jpg')},bird,,`);
    expect(lines[24]).toMatch(new RegExp(`^${ids[23]},.*dogs/7\\.jpg,,dog,[01]\\.\\d{4}$`));

    const manifest = join(root, 'labels.json');
    json('tag', 'export', '--as', 'json', '-o', manifest, '--tag', 'cat');
    const parsed = JSON.parse(readFileSync(manifest, 'utf8'));
    expect(parsed.photos).toHaveLength(8);
    expect(parsed.photos[0]).toMatchObject({ tags: ['cat'], cluster: null, relPath: 'cats/0.jpg' });

    const tree = join(root, 'tree');
    const summary = json('tag', 'export', '--as', 'imagefolder', '-o', tree);
    expect(summary).toMatchObject({ photos: 18, files: 18, mode: 'link' });
    const link = join(tree, 'dog', `${ids[16]}-0.jpg`);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(join(folder, 'dogs/0.jpg'));
    expect(readFileSync(link, 'utf8')).toBe('bytes of dogs/0.jpg');
    for (const photo of photos) expect(existsSync(join(folder, photo.relPath))).toBe(true);
    expect(run('tag', 'export', '--as', 'imagefolder', '-o', tree).stderr).toMatch(/is not empty/);

    const copies = join(root, 'copies');
    const copied = json(
      'tag',
      'export',
      '--as',
      'imagefolder',
      '-o',
      copies,
      '--copy',
      '--suggestions',
      '--min-confidence',
      '0.5',
    );
    expect(copied).toMatchObject({ photos: 24, files: 24, mode: 'copy' });
    expect(lstatSync(join(copies, 'dog', `${ids[23]}-7.jpg`)).isFile()).toBe(true);
  });

  it('renames and deletes tags, and undo brings a deleted one back', () => {
    expect(run('tag', 'rename', 'dog', 'puppy').stdout).toMatch(/Renamed "dog" to "puppy"/);
    expect(run('tag', 'delete', 'puppy').stdout).toMatch(/Deleted "puppy" \(it was on 2 photos\)/);
    run('tag', 'undo');
    expect(json('tag', 'list').map((t: { name: string }) => t.name)).toEqual(['bird', 'cat', 'puppy']);
  });
});
