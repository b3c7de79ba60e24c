import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * What `npm ci` and every `npx dinoscope` see: the Node the whole toolchain needs, onnxruntime-node's
 * CUDA download kept out of the install, and no project config npm does not know (which it warns
 * about on every command).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = (path: string) =>
  JSON.parse(readFileSync(join(root, path), 'utf8')) as {
    engines?: Record<string, string>;
    allowScripts?: Record<string, boolean>;
  };
const lowerBound = (range: string) => (/(\d+)\.(\d+)(?:\.(\d+))?/.exec(range) ?? []).slice(1).map(Number);

describe('install configuration', () => {
  it('asks for at least the Node that Electron and Vite declare', () => {
    const ours = lowerBound(manifest('package.json').engines?.node ?? '');
    for (const tool of ['node_modules/electron/package.json']) {
      const theirs = lowerBound(manifest(tool).engines?.node ?? '');
      expect(ours[0] * 1e6 + ours[1] * 1e3 + (ours[2] || 0), tool).toBeGreaterThanOrEqual(
        theirs[0] * 1e6 + theirs[1] * 1e3 + (theirs[2] || 0),
      );
    }
  });

  it('never runs onnxruntime-node’s install script (it downloads CUDA binaries)', () => {
    expect(manifest('package.json').allowScripts?.['onnxruntime-node']).toBe(false);
  });

  it('gives npm no project config it warns about', () => {
    const npm = spawnSync('npm', ['pkg', 'get', 'name'], { cwd: root, encoding: 'utf8' });
    expect(npm.stdout).toContain('dinoscope');
    expect(npm.stderr).not.toMatch(/Unknown project config/);
  });
});
