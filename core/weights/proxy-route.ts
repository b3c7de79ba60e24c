/**
 * Which proxy a request goes through, from the variables curl, pip and npm read:
 * `HTTPS_PROXY` for https URLs and `HTTP_PROXY` for http ones (lower-case spellings too,
 * `ALL_PROXY` as the fallback), unless `NO_PROXY` names the host: a comma-separated list of host
 * names (a name also covers its subdomains, a leading dot or `*.` likewise), `host:port`, or `*`.
 */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv = process.env): URL | null {
  const read = (name: string) => env[name] ?? env[name.toLowerCase()];
  const value =
    (target.protocol === 'https:' ? read('HTTPS_PROXY') : read('HTTP_PROXY')) || read('ALL_PROXY');
  if (!value) return null;
  if (bypassesProxy(target, read('NO_PROXY') ?? '')) return null;
  let proxy: URL;
  try {
    proxy = new URL(value.includes('://') ? value : `http://${value}`);
  } catch {
    throw new Error(`The proxy "${value}" (from the environment) is not a URL such as http://proxy:3128.`);
  }
  if (proxy.protocol !== 'http:') {
    throw new Error(
      `The proxy ${proxy.origin} uses ${proxy.protocol.slice(0, -1)}; dinoscope talks to http:// proxies (HTTPS downloads go through them with CONNECT).`,
    );
  }
  return proxy;
}

function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const [, name, entryPort] = /^(.*?)(?::(\d+))?$/.exec(entry) ?? [];
    if (entryPort && entryPort !== port) continue;
    const bare = (name ?? '').replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}
