import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer } from 'ws';
import type { ApiEvent, MediaKind } from '../api.ts';
import { errorBody, statusOf } from './api-failure.ts';
import { contentTypeOf } from './content-type.ts';
import type { DinoscopeService } from './dinoscope-service.ts';
import { isRequestName, validateRequest } from './request-validation.ts';

export interface WebServerOptions {
  service: Pick<DinoscopeService, 'handle' | 'media' | 'onEvent'>;
  /** The built renderer (index.html and assets). */
  staticFolder: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Binding to anything but loopback exposes the library to the network: only when asked explicitly. */
  allowRemote?: boolean;
  /** Fixed token (tests); by default a random one per start. */
  token?: string;
}

export interface RunningWebServer {
  url: string;
  token: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The web mode: the built renderer and the contract over HTTP (`POST /api/<request>`), photos and
 * thumbnails by id (`GET /media/<kind>/<id>`), and events over a WebSocket (`/events`). Every
 * request needs the token (from the printed URL, then an HttpOnly same-site cookie); requests
 * without it get 401. Binds to 127.0.0.1 unless `allowRemote` is set.
 */
export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.allowRemote) {
    throw new Error(
      `Refusing to listen on ${host}: anyone on that network could browse your photos. ` +
        'Pass --allow-remote to do it anyway (the token is still required).',
    );
  }
  const token = options.token ?? randomBytes(24).toString('base64url');
  const staticRoot = resolve(options.staticFolder);
  if (!existsSync(join(staticRoot, 'index.html'))) {
    throw new Error(`${staticRoot} has no index.html: build the renderer first.`);
  }
  let cookieName = 'dinoscope_token';

  const server: Server = createServer((request, response) => {
    handleHttp(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: String(error) });
      else response.destroy();
    });
  });

  const authorised = (request: IncomingMessage, url: URL): boolean => {
    const offered =
      url.searchParams.get('token') ??
      request.headers.authorization?.replace(/^Bearer\s+/i, '') ??
      cookieValue(request.headers.cookie, cookieName);
    if (!offered) return false;
    const a = Buffer.from(offered);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  /** A page on another site that resolves its own name to 127.0.0.1 (DNS rebinding) sends a foreign Host. */
  const hostAllowed = (request: IncomingMessage): boolean => {
    if (!isLoopback(host)) return true;
    const hostHeader = request.headers.host ?? '';
    const name = hostHeader.replace(/:\d+$/, '');
    return isLoopback(name);
  };

  async function handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Referrer-Policy', 'no-referrer');
    response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (!hostAllowed(request)) {
      sendJson(response, 403, { error: 'Unexpected Host header.' });
      return;
    }
    if (!authorised(request, url)) {
      sendJson(response, 401, {
        error: 'This dinoscope server needs its token.',
        hint: 'Open the full URL that `dinoscope serve` printed (it ends in ?token=...).',
      });
      return;
    }
    if (url.searchParams.has('token')) {
      response.setHeader('Set-Cookie', `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    if (url.pathname.startsWith('/api/')) {
      await handleApi(request, response, url.pathname.slice(5));
      return;
    }
    const media = /^\/media\/(thumbnail|photo)\/([1-9]\d{0,15})$/.exec(url.pathname);
    if (media) {
      const found = await options.service.media(media[1] as MediaKind, Number(media[2]));
      if (!found) {
        sendJson(response, 404, { error: 'No such photo in the library.' });
        return;
      }
      response.writeHead(200, {
        'Content-Type': found.mime,
        'Content-Length': found.bytes.length,
        'Cache-Control': 'private, max-age=300',
      });
      response.end(found.bytes);
      return;
    }
    if (url.pathname.startsWith('/media/')) {
      sendJson(response, 404, { error: 'Not found.' });
      return;
    }
    serveStatic(response, url.pathname);
  }

  async function handleApi(request: IncomingMessage, response: ServerResponse, name: string): Promise<void> {
    response.setHeader('Cache-Control', 'no-store');
    if (request.method !== 'POST') {
      sendJson(response, 405, { error: 'Use POST.' });
      return;
    }
    if (!isRequestName(name)) {
      sendJson(response, 404, { error: `Unknown request "${name}".` });
      return;
    }
    let body: unknown;
    try {
      const text = await readBody(request);
      body = text ? JSON.parse(text) : {};
    } catch (error) {
      sendJson(response, 400, { error: `The request body is not JSON: ${(error as Error).message}` });
      return;
    }
    try {
      const args = validateRequest(name, body);
      const result = await options.service.handle(name, args);
      sendJson(response, 200, result ?? null);
    } catch (error) {
      sendJson(response, statusOf(error), errorBody(error));
    }
  }

  function serveStatic(response: ServerResponse, pathname: string): void {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      sendJson(response, 404, { error: 'Not found.' });
      return;
    }
    const relativePath = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
    const file = normalize(join(staticRoot, relativePath));
    if (decoded.includes('\0') || (file !== staticRoot && !file.startsWith(staticRoot + sep))) {
      sendJson(response, 404, { error: 'Not found.' });
      return;
    }
    if (!existsSync(file) || !statSync(file).isFile()) {
      sendJson(response, 404, { error: 'Not found.' });
      return;
    }
    const type = contentTypeOf(file);
    const headers: Record<string, string> = { 'Content-Type': type };
    if (type.startsWith('text/html')) {
      headers['Content-Security-Policy'] = contentSecurityPolicy(serverOrigin());
      headers['Cache-Control'] = 'no-store';
    } else {
      headers['Cache-Control'] = 'private, max-age=3600';
    }
    response.writeHead(200, headers);
    response.end(readFileSync(file));
  }

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const origin = request.headers.origin;
    const sameOrigin =
      !origin || isLoopback(new URL(origin).hostname.replace(/^\[|\]$/g, '')) || !isLoopback(host);
    if (url.pathname !== '/events' || !hostAllowed(request) || !sameOrigin || !authorised(request, url)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      const unsubscribe = options.service.onEvent((event: ApiEvent) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
      });
      ws.on('close', unsubscribe);
      ws.on('error', unsubscribe);
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolveListen());
  });
  const address = server.address() as AddressInfo;
  cookieName = `dinoscope_token_${address.port}`;
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  function serverOrigin() {
    return `${urlHost}:${address.port}`;
  }

  return {
    url: `http://${urlHost}:${address.port}/?token=${token}`,
    token,
    port: address.port,
    host,
    close: () =>
      new Promise<void>((done) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** The page may load only its own scripts and styles, and talk only to this server. */
export function contentSecurityPolicy(origin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ws://${origin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('the request is too large'));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  response.end(text);
}
