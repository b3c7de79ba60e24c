import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '../../../core/weights/http-get.ts';

/**
 * HTTPS through a proxy: a CONNECT tunnel to a local TLS server (a certificate made here with
 * openssl for 127.0.0.1), the proxy seeing only the tunnel's target, never the request.
 */
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const folder = mkdtempSync(join(tmpdir(), 'http-get-'));
let cert = '';
let server: https.Server;
let proxy: http.Server;
const tunnels: string[] = [];
/** Local ports of the proxy's upstream sockets, and remote ports of the TLS server's connections. */
const upstreamPorts: number[] = [];
const serverPeers: number[] = [];
const proxiedRequests: string[] = [];

const listen = (s: net.Server) =>
  new Promise<number>((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)),
  );
const body = (response: http.IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    response.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    response.on('end', () => resolve(text));
  });

beforeAll(async () => {
  if (!hasOpenssl) return;
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(folder, 'key.pem'),
      '-out',
      join(folder, 'cert.pem'),
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(made.stderr);
  cert = readFileSync(join(folder, 'cert.pem'), 'utf8');
  server = https.createServer({ key: readFileSync(join(folder, 'key.pem')), cert }, (request, response) =>
    response.end(`secret ${request.url} range=${request.headers.range ?? ''}`),
  );
  proxy = http.createServer((request, response) => {
    proxiedRequests.push(request.url ?? '');
    response.writeHead(502).end();
  });
  proxy.on('connect', (request, client) => {
    tunnels.push(request.url ?? '');
    const [host, port] = (request.url ?? '').split(':');
    if (
      request.headers['proxy-authorization'] !== `Basic ${Buffer.from('me:pass word').toString('base64')}`
    ) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(port), host, () => {
      upstreamPorts.push(upstream.localPort ?? -1);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
  });
  server.on('secureConnection', (socket) => serverPeers.push(socket.remotePort ?? -2));
  await listen(server);
  await listen(proxy);
});
afterAll(() => {
  server?.close();
  proxy?.close();
});

describe.skipIf(!hasOpenssl)('httpGet through a proxy', () => {
  it('tunnels HTTPS with CONNECT (credentials from the proxy URL) and speaks TLS inside', async () => {
    const target = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/weights.pth`);
    const proxyPort = (proxy.address() as AddressInfo).port;
    const response = await httpGet(target, {
      env: { HTTPS_PROXY: `http://me:pass%20word@127.0.0.1:${proxyPort}` },
      headers: { range: 'bytes=5-' },
      ca: cert,
    });
    expect(response.statusCode).toBe(200);
    expect(await body(response)).toBe('secret /weights.pth range=bytes=5-');
    expect(tunnels).toEqual([`127.0.0.1:${target.port}`]);
    // The TLS connection came through the tunnel, not straight from the client.
    expect(serverPeers).toEqual(upstreamPorts);
    expect(proxiedRequests).toEqual([]);
  });

  it('says when the proxy refuses the tunnel', async () => {
    const target = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
    const proxyPort = (proxy.address() as AddressInfo).port;
    await expect(
      httpGet(target, { env: { HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` }, ca: cert }),
    ).rejects.toThrow(
      `The proxy 127.0.0.1:${proxyPort} refused the tunnel to 127.0.0.1:${target.port} (HTTP 407)`,
    );
  });
});
