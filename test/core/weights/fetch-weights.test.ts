import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../../core/jobs/progress.ts';
import { type Db, openDatabase } from '../../../core/store/database.ts';
import { listModels } from '../../../core/store/models.ts';
import { fetchWeights, weightsFolder } from '../../../core/weights/fetch-weights.ts';
import type { PublishedWeights } from '../../../core/weights/published-weights.ts';
import { downloadFile } from '../../../core/weights/resumable-download.ts';
import { hasShared, sharedPath, skipWithoutShared } from '../../shared-fixtures.ts';

/**
 * `weights fetch` against a local HTTP server on 127.0.0.1 serving the real PyTorch fixture
 * checkpoints of ../shared: no test touches the internet. The server honours Range, redirects
 * like Hugging Face's `resolve/` URLs, can cut a connection mid-file, and logs what it was asked.
 */
const fixtures = sharedPath('fixtures/dino-checkpoints/');
const BACKBONE = 'tiny_backbone_pretrain.pth';

interface Served {
  path: string;
  range: string | undefined;
  via: 'direct' | 'proxy';
}
let server: http.Server;
let base = '';
const requests: Served[] = [];
/** Paths whose next response stops after this many bytes, the socket destroyed. */
const cuts = new Map<string, number>();

function serve(request: http.IncomingMessage, response: http.ServerResponse, via: Served['via']) {
  const path = new URL(request.url ?? '/', 'http://x').pathname;
  requests.push({ path, range: request.headers.range, via });
  const redirect = /^\/redirect\/(.+)$/.exec(path);
  if (redirect) {
    response.writeHead(302, { location: `/files/${redirect[1]}` }).end();
    return;
  }
  const match = /^\/files\/([\w.-]+)$/.exec(path);
  const file = match ? join(fixtures, match[1]) : '';
  if (!match || !existsSync(file)) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const bytes = readFileSync(file);
  const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  if (start >= bytes.length && range) {
    response.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
    return;
  }
  const body = bytes.subarray(start);
  response.writeHead(range ? 206 : 200, {
    'content-length': body.length,
    ...(range ? { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
  });
  const cut = cuts.get(path);
  if (cut !== undefined) {
    cuts.delete(path);
    response.write(body.subarray(0, cut), () => setTimeout(() => response.destroy(), 20));
    return;
  }
  response.end(body);
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function entry(overrides: Partial<PublishedWeights> = {}): PublishedWeights {
  return {
    key: 'tiny-dino',
    title: 'Tiny DINO fixture',
    family: 'dino',
    url: `${base}/redirect/${BACKBONE}`,
    fileName: 'tiny-dino.pth',
    architecture: {
      patchSize: 16,
      embedDim: 48,
      depth: 2,
      numHeads: 3,
      mlpRatio: 4,
      imgSize: 224,
      registers: 0,
      layerScale: false,
    },
    sha256: sha256(join(fixtures, BACKBONE)),
    approximateBytes: statSync(join(fixtures, BACKBONE)).size,
    licence: 'test',
    imagenetKnn: 0,
    goodFor: 'tests',
    ...overrides,
  };
}

let folder: string;
let libraryFile: string;
let db: Db;
beforeAll(async () => {
  if (!hasShared) return;
  server = http.createServer((request, response) => serve(request, response, 'direct'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  db?.close();
  if (server) await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  if (!hasShared) return;
  db?.close();
  folder = mkdtempSync(join(tmpdir(), 'fetch-weights-'));
  libraryFile = join(folder, 'library.sqlite');
  db = openDatabase(libraryFile);
  requests.length = 0;
  cuts.clear();
});
/** No proxy from the machine running the tests. */
const env = {};

describe.skipIf(!hasShared)(`weights fetch from a local server ${skipWithoutShared}`, () => {
  it('downloads with progress, follows the redirect, verifies the SHA-256, checks the architecture and imports', async () => {
    const events: ProgressEvent[] = [];
    const result = await fetchWeights(db, libraryFile, 'tiny-dino', {
      catalogue: [entry()],
      env,
      onProgress: (event) => events.push(event),
    });
    expect(result.download.verified).toBe(true);
    expect(result.download.bytes).toBe(statSync(join(fixtures, BACKBONE)).size);
    expect(result.model.name).toBe('Tiny DINO fixture');
    expect(result.model.config).toMatchObject({ patchSize: 16, embedDim: 48, depth: 2, numHeads: 3 });
    expect(listModels(db).map((m) => m.id)).toEqual([result.model.id]);
    expect(requests.map((r) => r.path)).toEqual([`/redirect/${BACKBONE}`, `/files/${BACKBONE}`]);
    const last = events.at(-1);
    expect(last?.done).toBe(last?.total);
    expect(last?.detail?.bytes).toBe(result.download.bytes);
    // The download is gone once imported; the model keeps its own copy.
    expect(readdirSync(weightsFolder(libraryFile))).toEqual([]);
    expect(existsSync(result.model.weightsPath)).toBe(true);
  });

  it('deletes the download on a checksum mismatch, says so, and imports nothing', async () => {
    const wrong = 'ab'.repeat(32);
    await expect(
      fetchWeights(db, libraryFile, 'tiny-dino', { catalogue: [entry({ sha256: wrong })], env }),
    ).rejects.toThrow(
      /SHA-256 of the downloaded file is [0-9a-f]{64}, expected abab.*deleted and nothing was imported/,
    );
    expect(listModels(db)).toEqual([]);
    expect(readdirSync(weightsFolder(libraryFile))).toEqual([]);
  });

  it('keeps what arrived when the connection is cut mid-file, and the next run asks only for the rest', async () => {
    const size = statSync(join(fixtures, BACKBONE)).size;
    cuts.set(`/files/${BACKBONE}`, 150_000);
    await expect(
      fetchWeights(db, libraryFile, 'tiny-dino', { catalogue: [entry()], env, retries: 0 }),
    ).rejects.toThrow(/interrupted .* run the same command again to resume/);
    const partial = join(weightsFolder(libraryFile), 'tiny-dino.pth.partial');
    const kept = statSync(partial).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(size);
    expect(listModels(db)).toEqual([]);

    const result = await fetchWeights(db, libraryFile, 'tiny-dino', { catalogue: [entry()], env });
    expect(result.download.resumedFrom).toBe(kept);
    expect(result.download.verified).toBe(true);
    expect(requests.at(-1)).toMatchObject({ path: `/files/${BACKBONE}`, range: `bytes=${kept}-` });
    expect(listModels(db)).toHaveLength(1);
  });

  it('resumes by itself within one run when retries are allowed', async () => {
    cuts.set(`/files/${BACKBONE}`, 100_000);
    const result = await fetchWeights(db, libraryFile, 'tiny-dino', {
      catalogue: [entry()],
      env,
      retries: 2,
      retryDelayMs: 10,
    });
    expect(result.download.verified).toBe(true);
    expect(requests.filter((r) => r.range !== undefined).length).toBeGreaterThan(0);
  });

  it('reports a 404 with the URL, leaving nothing behind', async () => {
    await expect(
      fetchWeights(db, libraryFile, 'tiny-dino', {
        catalogue: [entry({ url: `${base}/files/missing.pth` })],
        env,
      }),
    ).rejects.toThrow(`${base}/files/missing.pth: the server answered HTTP 404 Not Found (no such file`);
    expect(listModels(db)).toEqual([]);
    expect(readdirSync(weightsFolder(libraryFile))).toEqual([]);
  });

  it('tries the other addresses of the same weights when the first answers 404', async () => {
    const result = await fetchWeights(db, libraryFile, 'tiny-dino', {
      catalogue: [
        entry({
          url: `${base}/files/model.safetensors`,
          fallbackUrls: [`${base}/files/${BACKBONE}`],
          sha256: null,
        }),
      ],
      env,
    });
    expect(requests.map((r) => r.path)).toEqual(['/files/model.safetensors', `/files/${BACKBONE}`]);
    expect(result.model.config.embedDim).toBe(48);
    expect(readdirSync(weightsFolder(libraryFile))).toEqual([]);
  });

  it('stops before writing when the disk has no room for the file, saying how much is needed', async () => {
    const destination = join(folder, 'big.pth');
    await expect(
      downloadFile(`${base}/files/${BACKBONE}`, destination, { env, freeSpace: () => 100_000 }),
    ).rejects.toThrow(/needs 0\.4 MB more but only 0\.1 MB are free in .*free some space/);
    expect(existsSync(`${destination}.partial`)).toBe(false);
  });

  it('refuses a file of another architecture than the catalogue promises, naming the difference', async () => {
    const promised = entry().architecture;
    await expect(
      fetchWeights(db, libraryFile, 'tiny-dino', {
        catalogue: [entry({ architecture: { ...promised, patchSize: 8, depth: 12 } })],
        env,
      }),
    ).rejects.toThrow(
      /tiny-dino\.pth is not Tiny DINO fixture: patchSize 16 where 8 was expected, depth 2 where 12/,
    );
    expect(listModels(db)).toEqual([]);
    expect(readdirSync(weightsFolder(libraryFile))).toEqual([]);
  });

  it('takes a URL of one’s own (checksum optional) and a name', async () => {
    const url = `${base}/files/tiny_full_checkpoint.pth`;
    const result = await fetchWeights(db, libraryFile, url, { env, numHeads: 3, name: 'my teacher' });
    expect(result.entry).toBeNull();
    expect(result.download.verified).toBe(false);
    expect(result.model.name).toBe('my teacher');
    await expect(
      fetchWeights(db, libraryFile, url, { env, numHeads: 3, sha256: '00'.repeat(32) }),
    ).rejects.toThrow(/SHA-256/);
    await expect(fetchWeights(db, libraryFile, 'no-such-model', { env })).rejects.toThrow(
      /"no-such-model" is neither a published model nor an http\(s\) URL/,
    );
  });

  it('goes through the proxy HTTP_PROXY names, and around it for NO_PROXY hosts', async () => {
    const proxied: string[] = [];
    // A forwarding proxy: absolute-URI requests are served by the same handler.
    const proxy = http.createServer((request, response) => {
      proxied.push(request.url ?? '');
      serve(request, response, 'proxy');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      await fetchWeights(db, libraryFile, 'tiny-dino', {
        catalogue: [entry()],
        env: { HTTP_PROXY: proxyUrl },
      });
      expect(proxied).toEqual([`${base}/redirect/${BACKBONE}`, `${base}/files/${BACKBONE}`]);
      proxied.length = 0;
      await fetchWeights(db, libraryFile, 'tiny-dino', {
        catalogue: [entry()],
        env: { http_proxy: proxyUrl, NO_PROXY: 'localhost,127.0.0.1' },
      });
      expect(proxied).toEqual([]);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
