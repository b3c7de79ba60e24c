import { execFile } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasShared, sharedPath, skipWithoutShared } from '../../../shared-fixtures.ts';

/** `dinoscope weights list|fetch` as a person runs it: text, exit codes, `--events` lines. */
const cli = fileURLToPath(new URL('../../../../core/cli/dinoscope.js', import.meta.url));
const run = (db: string, ...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [cli, '--db', db, ...args],
      { env: { ...process.env, HTTP_PROXY: '', http_proxy: '' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

let server: http.Server;
let base = '';
beforeAll(async () => {
  server = http.createServer((request, response) => {
    const file = sharedPath(`fixtures/dino-checkpoints/${(request.url ?? '').replace(/^\//, '')}`);
    if (!/^\/[\w.]+$/.test(request.url ?? '') || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-length': statSync(file).size });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('dinoscope weights', () => {
  const db = join(mkdtempSync(join(tmpdir(), 'weights-cli-')), 'library.sqlite');

  it('lists the catalogue with sizes, licences and what each is for', async () => {
    const { code, stdout } = await run(db, 'weights', 'list');
    expect(code).toBe(0);
    for (const key of ['dino-vits16', 'dino-vitb8-hf', 'dinov2-vits14', 'dinov2-vitb14-reg']) {
      expect(stdout).toContain(key);
    }
    expect(stdout).toMatch(
      /dinov2-vits14-reg +DINOv2 ViT-S\/14 with registers\n +384-wide, 12 blocks, 6 heads, patch 14, 4 registers; about 88 MB; ImageNet k-NN 79\.1 %; Apache-2\.0/,
    );
  });

  it.skipIf(!hasShared)(
    `fetches a URL, or exits non-zero on a wrong checksum ${skipWithoutShared}`,
    async () => {
      const url = `${base}/tiny_backbone_pretrain.pth`;
      const wrong = await run(db, 'weights', 'fetch', url, '--heads', '3', '--sha256', 'ff'.repeat(32));
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(
        /dinoscope: .*SHA-256 of the downloaded file is [0-9a-f]{64}, expected f{64}\. The download was deleted/,
      );

      const events = await run(db, '--events', 'weights', 'fetch', url, '--heads', '3', '--name', 'tiny');
      expect(events.code).toBe(0);
      const lines = events.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.some((line) => line.type === 'progress' && line.job === 'weights')).toBe(true);
      expect(lines.at(-1)).toMatchObject({ type: 'result', result: { model: { id: 1, name: 'tiny' } } });

      const missing = await run(db, 'weights', 'fetch', `${base}/nothing.pth`);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('HTTP 404');
    },
  );
});
