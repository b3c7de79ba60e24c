import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The runtime boundaries (core = plain Node, renderer = browser, electron = shell) are checked by
 * tools, not by review: these tests feed each tool a wrong import and expect it to refuse.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

function lint(virtualPath: string, source: string): { ok: boolean; output: string } {
  // A scratch copy of the project's layout with the project's own biome.json: the rules are the
  // real ones, and the probe never lands in the working tree.
  const folder = mkdtempSync(join(tmpdir(), 'boundary-'));
  mkdirSync(join(folder, dirname(virtualPath)), { recursive: true });
  writeFileSync(join(folder, virtualPath), source);
  writeFileSync(
    join(folder, 'biome.json'),
    readFileSync(join(root, 'biome.json'), 'utf8').replace('./node_modules', join(root, 'node_modules')),
  );
  try {
    return {
      ok: true,
      output: execFileSync(bin('biome'), ['lint', '--colors=off', '--vcs-enabled=false', virtualPath], {
        cwd: folder,
        encoding: 'utf8',
        stdio: 'pipe',
      }),
    };
  } catch (error) {
    const failure = error as { stdout: string; stderr: string };
    return { ok: false, output: `${failure.stdout}${failure.stderr}` };
  }
}

function typecheck(project: string, source: string): { ok: boolean; output: string } {
  const folder = mkdtempSync(join(tmpdir(), 'boundary-'));
  writeFileSync(join(folder, 'probe.ts'), source);
  writeFileSync(join(folder, 'package.json'), '{ "type": "module" }');
  writeFileSync(
    join(folder, 'tsconfig.json'),
    JSON.stringify({
      extends: join(root, project, 'tsconfig.json'),
      compilerOptions: {
        typeRoots: [join(root, 'node_modules', '@types')],
        composite: false,
        noEmit: true,
        emitDeclarationOnly: false,
        declaration: false,
        rootDir: folder,
      },
      include: [join(folder, 'probe.ts')],
    }),
  );
  try {
    return { ok: true, output: execFileSync(bin('tsc'), ['-p', folder], { cwd: root, encoding: 'utf8' }) };
  } catch (error) {
    return { ok: false, output: (error as { stdout: string }).stdout };
  }
}

describe('runtime boundaries', () => {
  it.each([
    ['core/probe.ts', "import { app } from 'electron';\nconsole.log(app);\n", /core\/ is plain Node/],
    ['core/probe.ts', "import { useState } from 'react';\nconsole.log(useState);\n", /core\/ is plain Node/],
    [
      'renderer/probe.ts',
      "import { readFileSync } from 'node:fs';\nconsole.log(readFileSync);\n",
      /Node\.js builtin/,
    ],
    [
      'renderer/probe.ts',
      "import Database from 'better-sqlite3';\nconsole.log(Database);\n",
      /never touches the database/,
    ],
    ['renderer/probe.ts', "import * as tf from '@tensorflow/tfjs';\nconsole.log(tf);\n", /never runs tfjs/],
    [
      'renderer/probe.ts',
      "import { openDatabase } from '../core/store/database.ts';\nconsole.log(openDatabase);\n",
      /only the contract/,
    ],
  ])('the linter refuses a wrong import in %s', (path, source, message) => {
    const result = lint(path, source);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(message);
  });

  it('the linter accepts the contract in the renderer', () => {
    expect(
      lint('renderer/probe.ts', "import type { X } from '../core/api.ts';\nexport type Y = X;\n").output,
    ).not.toMatch(/noRestrictedImports/);
  });

  it('core has no DOM types', () => {
    const result = typecheck('core', 'export const title = document.title;\n');
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/Cannot find name 'document'/);
  });

  it('renderer has no Node types', () => {
    const result = typecheck(
      'renderer',
      "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
    );
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/Cannot find module 'node:fs'/);
  });
});
