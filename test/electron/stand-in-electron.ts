import { createServer, type Server } from 'node:http';
import { crc32 } from 'node:zlib';

/**
 * A stand-in for Electron's release zip, for packaging where the real one cannot be downloaded:
 * an `electron` shell script that carries the fuse wire (sentinel, version 1, 8 fuses) the Fuses
 * plugin flips, so the packaged binary still shows which fuses were set. Packaging with it checks
 * everything the package holds; it cannot run the app.
 */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

export function standInElectronZip(version: string): Buffer {
  const script = Buffer.concat([
    Buffer.from('#!/bin/sh\n# '),
    Buffer.from(FUSE_SENTINEL),
    Buffer.from([1, 8]),
    // Every fuse starts "removed" ('r') so that an unset one would show.
    Buffer.from('rrrrrrrr\necho "stand-in Electron: cannot run the app" >&2\nexit 1\n'),
  ]);
  return zip([
    { name: 'electron', data: script, mode: 0o755 },
    { name: 'version', data: Buffer.from(version), mode: 0o644 },
    { name: 'LICENSE', data: Buffer.from('stand-in'), mode: 0o644 },
    { name: 'resources/default_app.asar', data: Buffer.alloc(0), mode: 0o644 },
  ]);
}

/** A zip of stored (uncompressed) entries with Unix modes, as extract-zip restores them. */
function zip(entries: { name: string; data: Buffer; mode: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode below counts
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((0o100000 | entry.mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, entry.data);
    centrals.push(central, name);
    offset += local.length + name.length + entry.data.length;
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** Serves files by name (whatever folder is asked for) on 127.0.0.1, as an `ELECTRON_MIRROR`. */
export async function serveMirror(
  files: Record<string, Buffer>,
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    const body = files[path.split('/').pop() ?? ''];
    if (!body) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('The mirror has no port.');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
