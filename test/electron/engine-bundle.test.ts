import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEngine, ENGINE_ENTRY, planEngine } from '../../electron/engine-bundle.ts';

/**
 * The engine bundle that `npm start` and the packaged app run jobs from: every command, every
 * worker the sources start, the WebAssembly kernels, and no URL that points at a TypeScript file.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
// Inside the project, so that the external packages resolve from its node_modules as they do
// from `.vite/engine` (and from the package's own node_modules).
mkdirSync(join(root, '.vite'), { recursive: true });
const outFolder = mkdtempSync(join(root, '.vite', 'engine-test-'));
let files: string[] = [];

beforeAll(async () => {
  files = await buildEngine(outFolder);
});
afterAll(() => rmSync(outFolder, { recursive: true, force: true }));

describe('the engine bundle', () => {
  it('has the CLI, each worker module of core/ and the kernels', () => {
    const plan = planEngine();
    // The workers the sources start today; a new one is found without editing the build.
    expect(Object.keys(plan.entries)).toEqual(
      expect.arrayContaining(['dinoscope', 'crop-worker', 'data-parallel-worker', 'map-worker']),
    );
    for (const name of Object.keys(plan.entries)) expect(files).toContain(`${name}.js`);
    expect(files).toContain('own-wasm-kernels.wasm');
    expect(readFileSync(join(outFolder, 'own-wasm-kernels.wasm'))).toEqual(
      readFileSync(join(root, 'core', 'engine', 'own-wasm-kernels.wasm')),
    );
  });

  it('points every module URL at a file of the bundle', () => {
    const urls = new Set<string>();
    for (const file of readdirSync(outFolder).filter((name) => name.endsWith('.js'))) {
      const code = readFileSync(join(outFolder, file), 'utf8');
      for (const [, path] of code.matchAll(/new URL\("([^"]+)", import\.meta\.url\)/g)) urls.add(path);
      expect(code, file).not.toMatch(/tsx\/esm\/api/);
    }
    expect([...urls].sort()).toEqual(
      expect.arrayContaining([
        './crop-worker.js',
        './data-parallel-worker.js',
        './map-worker.js',
        './dinoscope.js',
      ]),
    );
    for (const url of urls) {
      if (url.endsWith('/')) continue;
      expect(existsSync(join(outFolder, url)), url).toBe(true);
    }
  });

  it('runs under plain Node with every command of the static list', () => {
    const help = execFileSync(process.execPath, [join(outFolder, ENGINE_ENTRY), '--help'], {
      encoding: 'utf8',
    });
    const commandFiles = readdirSync(join(root, 'core', 'cli', 'commands'))
      .filter((name) => name.endsWith('.ts') && name !== 'index.ts')
      .map((name) => basename(name, '.ts'));
    for (const name of commandFiles) {
      if (name === 'version') expect(help).toMatch(/--version/);
      else expect(help).toMatch(new RegExp(`^ {2}${name}\\b`, 'm'));
    }
  });
});
