import { readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import type { MediaKind } from '../core/api.ts';
import { contentTypeOf } from '../core/server/content-type.ts';
import type { Media } from '../core/server/dinoscope-service.ts';
import { CONTENT_SECURITY_POLICY } from './security.ts';

const notFound = () => new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain' } });

/**
 * Answers `dinoscope://` requests: `app/<file>` from the built renderer (with the CSP header), and
 * `media/<thumbnail|photo>/<image id>` from the library. Photos are addressed by id only, so a path
 * outside the library (or any traversal) has nothing to name and gets 404.
 */
export async function handleAppRequest(
  url: string,
  options: { rendererFolder: string; media(kind: MediaKind, imageId: number): Promise<Media | null> },
): Promise<Response> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return notFound();
  }
  if (parsed.host === 'media') {
    const match = /^\/(thumbnail|photo)\/([1-9]\d{0,15})$/.exec(parsed.pathname);
    if (!match) return notFound();
    const media = await options.media(match[1] as MediaKind, Number(match[2]));
    if (!media) return notFound();
    return new Response(new Uint8Array(media.bytes), { headers: { 'Content-Type': media.mime } });
  }
  if (parsed.host !== 'app') return notFound();
  let relative: string;
  try {
    relative = decodeURIComponent(parsed.pathname).replace(/^\/+/, '') || 'index.html';
  } catch {
    return notFound();
  }
  const root = normalize(options.rendererFolder);
  const file = normalize(join(root, relative));
  if (relative.includes('\0') || !file.startsWith(root + sep)) return notFound();
  try {
    const bytes = await readFile(file);
    const type = contentTypeOf(file);
    const headers: Record<string, string> = { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff' };
    if (type.startsWith('text/html')) headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
    return new Response(new Uint8Array(bytes), { headers });
  } catch {
    return notFound();
  }
}
