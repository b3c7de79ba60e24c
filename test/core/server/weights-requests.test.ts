import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliLauncher } from '../../../core/jobs/cli-process.ts';
import { DinoscopeService } from '../../../core/server/dinoscope-service.ts';
import { validateRequest } from '../../../core/server/request-validation.ts';
import { nodeScriptProcess } from '../jobs/node-script-process.ts';

/** The UI's path to published weights: the catalogue with its advice, and the fetch job it starts. */
const launched: string[][] = [];
const launcher: CliLauncher = (args) => {
  launched.push(args);
  return nodeScriptProcess('setTimeout(() => {}, 50)');
};
const service = new DinoscopeService({
  libraryFile: join(mkdtempSync(join(tmpdir(), 'weights-requests-')), 'library.sqlite'),
  transport: 'web',
  launcher,
});
afterAll(() => service.close());

describe('weights requests', () => {
  it('lists the catalogue with the recommended entry and advice for this machine', async () => {
    const catalogue = await service.handle('weights.catalogue', {});
    expect(catalogue.entries.map((e) => e.key)).toEqual([
      'dino-vits16',
      'dino-vits8',
      'dino-vitb16',
      'dino-vitb8',
      'dino-vits16-hf',
      'dino-vits8-hf',
      'dino-vitb16-hf',
      'dino-vitb8-hf',
      'dinov2-vits14',
      'dinov2-vitb14',
      'dinov2-vits14-reg',
      'dinov2-vitb14-reg',
    ]);
    expect(catalogue.recommended).toBe('dino-vits16');
    expect(catalogue.advice).toMatch(
      catalogue.usableGpu ? /GPU is available/ : /start from published weights/,
    );
    const small = catalogue.entries.find((e) => e.key === 'dinov2-vits14-reg');
    expect(small).toMatchObject({ family: 'dinov2', licence: expect.stringMatching(/^Apache-2.0/) });
    expect(small?.architecture).toBe('384-wide, 12 blocks, patch 14, 4 registers');
    // ViT-S: 21.7 M float32 parameters (plus DINOv2's larger position grid) ≈ 87–89 MB.
    expect(small?.approximateBytes).toBeGreaterThan(86e6);
    expect(small?.approximateBytes).toBeLessThan(90e6);
  });

  it('starts a resumable fetch job for a catalogue name, and refuses other names', async () => {
    const job = await service.handle('weights.fetch', { key: 'dinov2-vits14', name: 'my dinov2' });
    expect(job).toMatchObject({ kind: 'fetch-weights', title: 'Fetching DINOv2 ViT-S/14' });
    expect(launched.at(-1)).toEqual(['weights', 'fetch', 'dinov2-vits14', '--name', 'my dinov2']);
    await expect(service.handle('weights.fetch', { key: 'https://example.org/x.pth' })).rejects.toThrow(
      'No published weights named "https://example.org/x.pth".',
    );
    expect(() => validateRequest('weights.fetch', { key: 3 })).toThrow();
  });
});
