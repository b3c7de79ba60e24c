import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiEvent } from '../../../core/api.ts';
import { DinoscopeService } from '../../../core/server/dinoscope-service.ts';
import { type RunningWebServer, startWebServer } from '../../../core/server/web-server.ts';
import { openDatabase } from '../../../core/store/database.ts';
import { insertFolder } from '../../../core/store/folders.ts';
import { insertImage } from '../../../core/store/images.ts';

/** The web mode's security: token, loopback, no path traversal, validated requests. */
const folder = mkdtempSync(join(tmpdir(), 'dinoscope-web-'));
const staticFolder = join(folder, 'static');
const photos = join(folder, 'photos');
let server: RunningWebServer;
let service: DinoscopeService;
let insideId: number;
let outsideId: number;

/** A raw request, so that `..` and odd encodings reach the server exactly as written. */
function get(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port: server.port, path, method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: response.headers,
        }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
const auth = () => ({ Authorization: `Bearer ${server.token}` });

beforeAll(async () => {
  mkdirSync(join(staticFolder, 'assets'), { recursive: true });
  writeFileSync(join(staticFolder, 'index.html'), '<!doctype html><title>dinoscope</title>');
  writeFileSync(join(staticFolder, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(folder, 'secret.txt'), 'secret');
  mkdirSync(photos);
  const jpeg = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#c03050' } })
    .jpeg()
    .toBuffer();
  writeFileSync(join(photos, 'in.jpg'), jpeg);
  writeFileSync(join(folder, 'out.jpg'), jpeg);
  const libraryFile = join(folder, 'library.sqlite');
  const db = openDatabase(libraryFile);
  const { id: folderId } = insertFolder(db, photos);
  const record = (path: string) => ({
    folderId,
    path,
    relPath: basename(path),
    size: jpeg.length,
    mtimeMs: 1,
    hash: null,
    format: 'jpeg',
    width: 40,
    height: 30,
    capturedAt: null,
    status: 'ok' as const,
    error: null,
    readAgain: false,
    scannedAt: 1,
  });
  insideId = insertImage(db, record(join(photos, 'in.jpg')));
  outsideId = insertImage(db, record(join(folder, 'out.jpg')));
  db.close();
  service = new DinoscopeService({
    libraryFile,
    transport: 'web',
    launcher: () => {
      throw new Error('no jobs in this test');
    },
  });
  server = await startWebServer({ service, staticFolder });
});
afterAll(async () => {
  await server.close();
  await service.close();
});

describe('dinoscope serve', () => {
  it('listens on loopback and prints a URL with a random token', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('answers 401 to every request without the token', async () => {
    for (const path of [
      '/',
      '/index.html',
      '/assets/app.js',
      `/media/thumbnail/${insideId}`,
      `/media/photo/${insideId}`,
    ]) {
      expect((await get(path)).status, path).toBe(401);
    }
    expect(
      (await get('/api/library.status', { 'Content-Type': 'application/json' }, 'POST', '{}')).status,
    ).toBe(401);
    expect((await get('/?token=wrong')).status).toBe(401);
    expect((await get('/', { Authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('accepts the token once from the URL, then from its same-site cookie', async () => {
    const first = await get(`/?token=${server.token}`);
    expect(first.status).toBe(200);
    expect(first.headers['content-security-policy']).toMatch(/script-src 'self'/);
    const cookie = String(first.headers['set-cookie']).split(';')[0];
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await get('/assets/app.js', { Cookie: cookie })).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await get('/', { ...auth(), Host: 'evil.example:80' })).status).toBe(403);
  });

  it('answers 404 to path traversal, in pages and in photo URLs', async () => {
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/media/photo/..%2f..%2fsecret.txt',
      '/media/photo/../../secret.txt',
      `/media/photo/${encodeURIComponent(join(folder, 'secret.txt'))}`,
      '/media/file/etc/passwd',
      '/media/photo/0',
      '/media/photo/999',
    ]) {
      const response = await get(path, auth());
      expect(response.status, path).toBe(404);
      expect(response.body).not.toContain('secret');
    }
  });

  it('serves a library photo by id, and never one whose file lies outside the library folders', async () => {
    const photo = await get(`/media/photo/${insideId}`, auth());
    expect(photo.status).toBe(200);
    expect(photo.headers['content-type']).toBe('image/jpeg');
    expect((await get(`/media/photo/${outsideId}`, auth())).status).toBe(404);
  });

  it('validates requests and explains failures', async () => {
    const post = (name: string, body: unknown) =>
      get(`/api/${name}`, { ...auth(), 'Content-Type': 'application/json' }, 'POST', JSON.stringify(body));
    const status = await post('library.status', {});
    expect(status.status).toBe(200);
    expect(JSON.parse(status.body).counts).toEqual({ total: 2, ok: 2, error: 0, missing: 0 });
    expect((await post('library.images', { offset: 0, limit: 100000 })).status).toBe(400);
    expect((await post('nope', {})).status).toBe(404);
    const missing = await post('library.addFolders', { paths: [join(folder, 'no-such-folder')] });
    expect(missing.status).toBe(422);
    expect(JSON.parse(missing.body)).toEqual({
      error: `The folder ${join(folder, 'no-such-folder')} does not exist.`,
      hint: 'Check the path and try again.',
    });
    expect((await get('/api/library.status', auth())).status).toBe(405);
  });

  it('sends events over a WebSocket that needs the token too', async () => {
    const url = `ws://127.0.0.1:${server.port}/events`;
    const refused = new WebSocket(url);
    const refusedStatus = await new Promise<number>((resolve) =>
      refused.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)),
    );
    expect(refusedStatus).toBe(401);
    const socket = new WebSocket(`${url}?token=${server.token}`);
    await new Promise((resolve) => socket.on('open', resolve));
    const received = new Promise<ApiEvent>((resolve) =>
      socket.on('message', (data) => resolve(JSON.parse(String(data)))),
    );
    (service.jobs as unknown as { emit(event: ApiEvent): void }).emit({
      type: 'library-changed',
      what: 'images',
    });
    expect(await received).toEqual({ type: 'library-changed', what: 'images' });
    socket.close();
  });

  it('binds to a non-loopback address only when explicitly allowed', async () => {
    await expect(startWebServer({ service, staticFolder, host: '0.0.0.0' })).rejects.toThrow(
      /--allow-remote/,
    );
    const remote = await startWebServer({ service, staticFolder, host: '0.0.0.0', allowRemote: true });
    expect(remote.host).toBe('0.0.0.0');
    await remote.close();
  });
});
