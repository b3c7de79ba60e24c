import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { proxyFor } from './proxy-route.ts';

/**
 * One GET with node:http(s) (Node's own fetch ignores proxies), through the proxy the environment
 * names: plain http goes to the proxy with the absolute URL; https opens a CONNECT tunnel to the
 * server and speaks TLS inside it, so the proxy never sees the content. Redirects are the
 * caller's to follow (each hop may need another route).
 */
export interface GetOptions {
  headers?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Milliseconds without a byte before the connection counts as stalled. */
  idleTimeoutMs?: number;
  /**
   * Certificate authorities to trust instead of Node's (tests with their own server); a company
   * proxy that re-signs HTTPS is trusted through NODE_EXTRA_CA_CERTS instead.
   */
  ca?: string;
}

export function httpGet(url: URL, options: GetOptions = {}): Promise<http.IncomingMessage> {
  const proxy = proxyFor(url, options.env);
  const headers = { 'user-agent': 'dinoscope', ...options.headers };
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') {
    return Promise.reject(new Error(`${url.href}: only http and https downloads are supported.`));
  }
  return new Promise((resolve, reject) => {
    const send = (request: http.ClientRequest) => {
      request.on('response', resolve);
      request.on('error', reject);
      request.setTimeout(options.idleTimeoutMs ?? 60_000, () =>
        request.destroy(
          new Error(`no data from ${url.host} for ${(options.idleTimeoutMs ?? 60_000) / 1000} s`),
        ),
      );
      options.signal?.addEventListener('abort', () => request.destroy(new Error('cancelled')), {
        once: true,
      });
      request.end();
    };
    if (!proxy) {
      send(
        secure
          ? https.request(url, { headers, agent: false, ...(options.ca ? { ca: options.ca } : {}) })
          : http.request(url, { headers, agent: false }),
      );
      return;
    }
    const proxyHeaders: Record<string, string> = {};
    if (proxy.username) {
      const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
      proxyHeaders['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    if (!secure) {
      send(
        http.request({
          host: proxy.hostname,
          port: proxy.port || 80,
          path: url.href,
          headers: { ...headers, ...proxyHeaders, host: url.host },
          agent: false,
        }),
      );
      return;
    }
    const target = `${url.hostname}:${url.port || 443}`;
    const connect = http.request({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: 'CONNECT',
      path: target,
      headers: { ...proxyHeaders, host: target },
      agent: false,
    });
    connect.on('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        reject(
          new Error(`The proxy ${proxy.host} refused the tunnel to ${target} (HTTP ${response.statusCode}).`),
        );
        return;
      }
      send(
        https.request(url, {
          headers,
          // No agent: with one, Node would open its own connection and ignore the tunnel.
          createConnection: () =>
            tls.connect({
              socket,
              // The certificate is checked against `host`; SNI (servername) takes host names only.
              host: url.hostname,
              ...(isIP(url.hostname) ? {} : { servername: url.hostname }),
              ...(options.ca ? { ca: options.ca } : {}),
            }),
        }),
      );
    });
    connect.setTimeout(options.idleTimeoutMs ?? 60_000, () =>
      connect.destroy(new Error(`no answer to CONNECT ${target}`)),
    );
    options.signal?.addEventListener('abort', () => connect.destroy(new Error('cancelled')), { once: true });
    connect.on('error', (error) =>
      reject(new Error(`Could not reach the proxy ${proxy.host} (${error.message}).`)),
    );
    connect.end();
  });
}
