import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { extractAll, extractFile, listPackage } from '@electron/asar';
import { type Browser, chromium } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeSqliteBinding } from './node-sqlite-binding.ts';
import { FUSE_SENTINEL, serveMirror, standInElectronZip } from './stand-in-electron.ts';

/**
 * The desktop package as a release engineer builds it: `electron-forge package` with Electron's
 * zip served from 127.0.0.1 (a stand-in: the real binary cannot be downloaded here), then what the
 * package holds (the renderer where the main process serves it, the engine bundle, each native
 * module unpacked from asar, the wasm files) and the packaged engine itself, run with plain Node
 * from a copy of the archive outside the project: `doctor`, `add` and `status` on a new library.
 * Native modules are packaged as installed (DINOSCOPE_SKIP_NATIVE_REBUILD: the stand-in has no
 * headers to rebuild better-sqlite3 against), which is also what lets plain Node load them here.
 *
 * With DINOSCOPE_ELECTRON_ZIP set to a real `electron-v<version>-<platform>-<arch>.zip`, that zip
 * is served instead, better-sqlite3 is rebuilt for Electron as in a release (this needs a C++
 * toolchain and Electron's headers), plain Node gets node_modules' own build through
 * DINOSCOPE_SQLITE_BINDING, and the packaged app is also launched under Xvfb: it must show the
 * library view, of which a screenshot goes to test-output/package/.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'dinoscope-package-'));
const electronVersion = (
  JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
const realElectronZip = process.env.DINOSCOPE_ELECTRON_ZIP;
const appFolder = join(work, 'out', `dinoscope-${process.platform}-${process.arch}`);
const resources = join(appFolder, 'resources');
const archive = join(resources, 'app.asar');
let listing: string[] = [];
let unpacked: string[] = [];
let mirrorRequests: string[] = [];
const copies: string[] = [];

function filesUnder(folder: string, prefix = ''): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesUnder(join(folder, entry.name), `${prefix}/${entry.name}`)
      : [`${prefix}/${entry.name}`],
  );
}

/**
 * A copy of the project to package: Forge empties and rebuilds `.vite/` in the folder it packages,
 * which in the project itself would pull the web mode's renderer (`.vite/web`) from under a test
 * running beside this one. Sources are copied; node_modules is hard-linked (instant, no space), in
 * a folder inside node_modules/.cache so that it is on the same file system.
 */
function projectCopy(): string {
  const cache = join(root, 'node_modules', '.cache', 'dinoscope');
  mkdirSync(cache, { recursive: true });
  const copy = mkdtempSync(join(cache, 'package-test-'));
  copies.push(copy);
  for (const entry of ['package.json', 'forge.config.ts', 'tsconfig.json', 'core', 'electron', 'renderer']) {
    cpSync(join(root, entry), join(copy, entry), {
      recursive: true,
      filter: (path) => !/[/\\](\.vite|node_modules)([/\\]|$)/.test(path.slice(root.length)),
    });
  }
  mkdirSync(join(copy, 'node_modules'));
  const modules = readdirSync(join(root, 'node_modules'))
    .filter((name) => name !== '.cache')
    .map((name) => join(root, 'node_modules', name));
  execFileSync('cp', ['-al', ...modules, join(copy, 'node_modules')]);
  return copy;
}

async function packageApp(): Promise<void> {
  const project = projectCopy();
  const zipName = `electron-v${electronVersion}-${process.platform}-${process.arch}.zip`;
  const zip = realElectronZip ? readFileSync(realElectronZip) : standInElectronZip(electronVersion);
  const sha = createHash('sha256').update(zip).digest('hex');
  const mirror = await serveMirror({ [zipName]: zip, 'SHASUMS256.txt': Buffer.from(`${sha} *${zipName}\n`) });
  const runner = join(work, 'package.mjs');
  const forge = pathToFileURL(
    join(root, 'node_modules', '@electron-forge', 'core', 'dist', 'api', 'index.js'),
  );
  writeFileSync(
    runner,
    `import forge from ${JSON.stringify(forge.href)};\n` +
      `await forge.api.package({ dir: ${JSON.stringify(project)}, outDir: ${JSON.stringify(join(work, 'out'))}, interactive: false });\n`,
  );
  try {
    // Not execFileSync: the mirror answers from this process's event loop.
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [runner], {
        cwd: project,
        env: {
          ...process.env,
          ELECTRON_MIRROR: mirror.url,
          electron_config_cache: join(work, 'electron-cache'),
          DINOSCOPE_SKIP_NATIVE_REBUILD: realElectronZip ? '' : '1',
          // Vite decides production from NODE_ENV, which the test runner sets to 'test'.
          NODE_ENV: 'production',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.on('exit', resolve);
    });
    if (code !== 0)
      throw new Error(`electron-forge package failed (${code}):\n${output.join('').slice(-4000)}`);
  } finally {
    mirrorRequests = mirror.requests;
    await mirror.close();
  }
}

beforeAll(async () => {
  await packageApp();
  listing = listPackage(archive, { isPack: false }).map((path) => path.replaceAll('\\', '/'));
  unpacked = filesUnder(`${archive}.unpacked`);
}, 600_000);
afterAll(() => {
  for (const folder of [work, ...copies]) rmSync(folder, { recursive: true, force: true });
});

describe('the packaged app', () => {
  it('was built with the Electron zip from the mirror', () => {
    expect(mirrorRequests.some((path) => path.endsWith('.zip'))).toBe(true);
    const binary = readFileSync(
      join(appFolder, process.platform === 'win32' ? 'dinoscope.exe' : 'dinoscope'),
    );
    const wire = binary.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
    // RunAsNode off, cookie encryption on, NODE_OPTIONS off, inspect off, asar integrity on,
    // app only from asar, no browser-specific snapshot setting (inherited), file:// no extra rights.
    const set = [...binary.subarray(wire + 2, wire + 10).toString()];
    set[6] = '-'; // not configured: 'r' in the stand-in, Electron's default in a real binary
    expect(set.join('')).toBe('010011-0');
  });

  it('holds the main process, the preload and the renderer where the main process serves it', () => {
    expect(listing).toEqual(
      expect.arrayContaining(['/package.json', '/.vite/build/main.js', '/.vite/build/preload.js']),
    );
    // main.js serves `join(here, '..', 'renderer', MAIN_WINDOW_VITE_NAME)`.
    const index = '/.vite/renderer/main_window/index.html';
    expect(listing).toContain(index);
    const html = extractText(index);
    for (const [, asset] of html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)) {
      expect(listing, asset).toContain(`/.vite/renderer/main_window/${asset}`);
    }
    const manifest = JSON.parse(extractText('/package.json')) as { main: string };
    expect(listing).toContain(`/${manifest.main}`);
  });

  it('holds the engine bundle with each worker, and no sources or development tools', () => {
    for (const file of ['dinoscope.js', 'crop-worker.js', 'data-parallel-worker.js', 'map-worker.js']) {
      expect(listing).toContain(`/.vite/engine/${file}`);
    }
    expect(unpacked).toContain('/.vite/engine/own-wasm-kernels.wasm');
    for (const absent of ['/core', '/electron', '/renderer/src', '/test', '/bench', '/forge.config.ts']) {
      expect(
        listing.some((path) => path === absent || path.startsWith(`${absent}/`)),
        absent,
      ).toBe(false);
    }
    expect(listing.filter((path) => path.startsWith('/node_modules/') && path.endsWith('.js.map'))).toEqual(
      [],
    );
    for (const devTool of ['tsx', 'vite', 'vitest', 'electron', 'esbuild', 'typescript', '@biomejs']) {
      expect(
        listing.filter((path) => path.startsWith(`/node_modules/${devTool}/`)),
        devTool,
      ).toEqual([]);
    }
  });

  it('holds each native module, unpacked from the archive, and the tfjs wasm files', () => {
    const has = (pattern: RegExp) => unpacked.some((path) => pattern.test(path));
    expect(listing).toContain('/node_modules/better-sqlite3/package.json');
    expect(has(/^\/node_modules\/better-sqlite3\/build\/Release\/better_sqlite3\.node$/)).toBe(true);
    expect(listing).toContain('/node_modules/sharp/package.json');
    expect(has(/^\/node_modules\/@img\/sharp-[^/]+\/lib\/sharp-[^/]+\.node$/)).toBe(true);
    if (process.platform === 'linux')
      expect(has(/^\/node_modules\/@img\/sharp-libvips-[^/]+\/lib\/libvips/)).toBe(true);
    expect(listing).toContain('/node_modules/onnxruntime-node/package.json');
    expect(
      has(/^\/node_modules\/onnxruntime-node\/bin\/napi-v6\/[^/]+\/[^/]+\/onnxruntime_binding\.node$/),
    ).toBe(true);
    // Only this target's ONNX Runtime binaries.
    const onnxPlatforms = new Set(
      unpacked.filter((path) => path.includes('/onnxruntime-node/bin/')).map((path) => path.split('/')[5]),
    );
    expect([...onnxPlatforms]).toEqual([process.platform]);
    // Only this target's Dawn (WebGPU) binary, unpacked so it can be loaded.
    const dawnFolders = new Set(
      unpacked.filter((path) => path.includes('/webgpu/dist/')).map((path) => path.split('/')[4]),
    );
    expect([...dawnFolders]).toEqual([
      `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`,
    ]);
    expect(has(/^\/node_modules\/webgpu\/dist\/[^/]+\/dawn\.node$/)).toBe(true);
    expect(listing).toContain('/node_modules/@tensorflow/tfjs-backend-webgpu/package.json');
    for (const wasm of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) {
      expect(has(new RegExp(`^/node_modules/@tensorflow/tfjs-backend-wasm/(.*/)?${wasm}$`)), wasm).toBe(true);
    }
  });

  it('runs its engine bundle with plain Node: doctor, add, status on a new library', async () => {
    const copy = join(work, 'extracted');
    extractAll(archive, copy);
    const library = join(work, 'library.sqlite');
    const photos = join(work, 'photos');
    mkdirSync(photos);
    for (const [index, colour] of ['#d04030', '#30a050', '#3050d0'].entries()) {
      await sharp({ create: { width: 80 + index * 16, height: 64, channels: 3, background: colour } })
        .jpeg()
        .toFile(join(photos, `photo-${index}.jpg`));
    }
    const engine = (...args: string[]) =>
      execFileSync(
        process.execPath,
        [join(copy, '.vite', 'engine', 'dinoscope.js'), '--db', library, ...args],
        {
          cwd: work,
          encoding: 'utf8',
          env: {
            ...process.env,
            NODE_PATH: '',
            // A real release rebuilt better-sqlite3 for Electron: plain Node takes node_modules' build.
            ...(realElectronZip ? { DINOSCOPE_SQLITE_BINDING: nodeSqliteBinding } : {}),
          },
        },
      );
    const doctor = JSON.parse(engine('doctor', '--json')) as {
      backend: { kind: string };
      ownWasmKernels: boolean;
      onnxRuntime: { available: boolean };
    };
    expect(['wasm', 'tensorflow', 'tensorflow-gpu']).toContain(doctor.backend.kind);
    expect(doctor.onnxRuntime.available).toBe(true);
    if (doctor.backend.kind === 'wasm') expect(doctor.ownWasmKernels).toBe(true);
    engine('add', photos);
    const status = JSON.parse(engine('status', '--json')) as { counts: { total: number } };
    expect(status.counts.total).toBe(3);
  });
});

describe.skipIf(!realElectronZip)('the packaged app, launched (DINOSCOPE_ELECTRON_ZIP)', () => {
  it('opens its window on the library view', { timeout: 180_000 }, async () => {
    const xvfb = spawnSync('sh', ['-c', 'command -v xvfb-run'], { encoding: 'utf8' }).stdout.trim();
    if (!xvfb)
      throw new Error('DINOSCOPE_ELECTRON_ZIP is set but xvfb-run is not installed (apt-get install xvfb).');
    const port = 9300 + Math.floor(Math.random() * 500);
    const home = join(work, 'home');
    mkdirSync(home, { recursive: true });
    const app = spawn(
      xvfb,
      ['-a', join(appFolder, 'dinoscope'), '--no-sandbox', `--remote-debugging-port=${port}`],
      {
        env: {
          ...process.env,
          HOME: home,
          XDG_CONFIG_HOME: join(home, 'config'),
          DINOSCOPE_DB: join(work, 'launched.sqlite'),
        },
        stdio: 'ignore',
        detached: true,
      },
    );
    try {
      let browser: Browser | null = null;
      for (let attempt = 0; attempt < 60 && !browser; attempt++) {
        browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`).catch(() => null);
        if (!browser) await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      if (!browser) throw new Error('The packaged app opened no debugging port within 60 s.');
      const page = await (async () => {
        for (let attempt = 0; attempt < 60; attempt++) {
          const found = browser.contexts().flatMap((context) => context.pages())[0];
          if (found) return found;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        throw new Error('The packaged app opened no window.');
      })();
      await page.getByRole('link', { name: 'Library' }).waitFor({ timeout: 60_000 });
      const shots = join(root, 'test-output', 'package');
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: join(shots, 'library.png') });
      expect(page.url()).toMatch(/^dinoscope:\/\/app\/index\.html/);
      await browser.close();
    } finally {
      if (app.pid) process.kill(-app.pid, 'SIGTERM');
    }
  });
});

function extractText(path: string): string {
  return extractFile(archive, path.slice(1)).toString('utf8');
}
