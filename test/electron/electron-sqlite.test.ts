import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../core/store/database.ts';
import { SQLITE_BINDING_VARIABLE } from '../../core/store/database-binding.ts';
import { electronSqliteBinding } from '../../electron/electron-sqlite.ts';
import { isStarting } from '../../forge.config.ts';
import { nodeSqliteBinding } from './node-sqlite-binding.ts';

/**
 * One library file, two runtimes: node_modules/better-sqlite3 stays built for Node (CLI, tests)
 * and `npm start` uses a separate build for Electron, chosen by DINOSCOPE_SQLITE_BINDING.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'dinoscope-binding-'));

afterEach(() => {
  delete process.env[SQLITE_BINDING_VARIABLE];
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('better-sqlite3 for both runtimes', () => {
  it('is never rebuilt in place by `npm start` or `electron-forge start`', () => {
    expect(isStarting({ npm_lifecycle_event: 'start' }, ['node', 'x'])).toBe(true);
    expect(isStarting({}, ['node', '/p/node_modules/@electron-forge/cli/dist/electron-forge-start.js'])).toBe(
      true,
    );
    expect(isStarting({ npm_lifecycle_event: 'package' }, ['node', 'electron-forge-package.js'])).toBe(false);
  });

  it('keeps the Electron build apart from node_modules’ own, per Electron version and target', () => {
    const path = electronSqliteBinding(root, '45.5.0', 'linux', 'x64');
    expect(path).toBe(
      join(
        root,
        'node_modules',
        '.cache',
        'dinoscope',
        'better-sqlite3-electron-45.5.0-linux-x64',
        'better_sqlite3.node',
      ),
    );
  });

  it('opens the library with the binary the variable names', () => {
    process.env[SQLITE_BINDING_VARIABLE] = nodeSqliteBinding;
    const db = openDatabase(join(folder, 'library.sqlite'));
    expect(db.prepare('SELECT 1 AS one').get()).toEqual({ one: 1 });
    db.close();
  });

  it('names the binary when the variable points at something that is not one', () => {
    const notBinary = join(folder, 'better_sqlite3.node');
    writeFileSync(notBinary, 'not a binary');
    process.env[SQLITE_BINDING_VARIABLE] = notBinary;
    expect(() => openDatabase(join(folder, 'other.sqlite'))).toThrow(/better_sqlite3\.node/);
  });
});
