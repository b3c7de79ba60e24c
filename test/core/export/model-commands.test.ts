import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { embedLibrary } from '../../../core/analysis/embed-job.ts';
import { openBackboneSession } from '../../../core/engine/onnx-runtime.ts';
import { readSafetensors, writeSafetensors } from '../../../core/engine/safetensors.ts';
import { backboneShapes } from '../../../core/model/infer-vit-config.ts';
import { openDatabase } from '../../../core/store/database.ts';
import { listModels } from '../../../core/store/models.ts';
import { makeEmbedLibrary, randomWeights, TINY_VIT } from '../analysis/embed-test-library.ts';

const cli = fileURLToPath(new URL('../../../core/cli/dinoscope.js', import.meta.url));
const run = async (db: string, ...args: string[]) => {
  const { stdout } = await promisify(execFile)(process.execPath, [cli, '--db', db, ...args]);
  return stdout;
};

describe('import-weights, models, export-model, models delete', () => {
  it('registers weights, lists them, exports safetensors with the official names and ONNX, deletes with embeddings', async () => {
    const { db, file, folder } = await makeEmbedLibrary(3);
    await embedLibrary(db, file);
    db.close();
    const weights = join(folder, 'second.safetensors');
    writeSafetensors(weights, randomWeights(TINY_VIT, 9));

    expect(await run(file, 'import-weights', weights, '--name', 'second', '--heads', '2')).toMatch(
      /Imported model 2 "second": vit\(dim 32, depth 2, heads 2, patch 8\) backbone from second\.safetensors/,
    );
    const listing = await run(file, 'models');
    expect(listing).toMatch(/1 {2}tiny .* imported {2}3 embeddings/);
    expect(listing).toMatch(/2 {2}second .* 0 embeddings/);

    const exported = join(folder, 'out', 'backbone.safetensors');
    await run(file, 'export-model', '--model', 'second', '--format', 'safetensors', '-o', exported);
    const back = readSafetensors(exported);
    expect([...back.tensors.keys()].sort()).toEqual([...backboneShapes(TINY_VIT).keys()].sort());
    expect(back.metadata).toMatchObject({ num_heads: '2', patch_size: '8', embed_dim: '32' });
    expect(back.tensors.get('blocks.1.attn.qkv.weight')?.data).toEqual(
      randomWeights(TINY_VIT, 9).get('blocks.1.attn.qkv.weight')?.data,
    );

    const onnx = join(folder, 'out', 'backbone.onnx');
    expect(await run(file, 'export-model', '--format', 'onnx', '--size', '48', '-o', onnx)).toMatch(
      /48×48 input/,
    );
    const session = await openBackboneSession(onnx, { height: 48, width: 48, ...TINY_VIT });
    const { cls, lastAttention } = await session.forward(new Float32Array(2 * 3 * 48 * 48), 2);
    expect(cls.length).toBe(64);
    expect(lastAttention.length).toBe(2 * 2 * 37 * 37);
    await session.release();

    expect(await run(file, 'models', 'delete', '1')).toMatch(/Deleted model 1 "tiny"/);
    const reopened = openDatabase(file);
    expect(listModels(reopened).map((m) => m.name)).toEqual(['second']);
    expect((reopened.prepare('SELECT count(*) AS n FROM embeddings').get() as { n: number }).n).toBe(0);
    reopened.close();
    const files = readdirSync(join(folder, 'library.data', 'models'));
    expect(files.some((name) => name.startsWith('model-1-'))).toBe(false);
    expect(files.filter((name) => name.endsWith('.safetensors')).length).toBe(1);
    expect(existsSync(weights)).toBe(true); // the user's own file is never touched
  });
});
