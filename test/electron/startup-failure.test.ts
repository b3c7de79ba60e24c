import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { describeStartupFailure, reportStartupFailure } from '../../electron/startup-failure.ts';

/**
 * A failure while the main process starts is shown (a dialog naming it and what to do) and logged
 * under the user data folder: first the wording per kind of failure, then the real main process
 * (electron stubbed) whose library cannot be opened.
 */
const stub = vi.hoisted(() => ({
  userData: '',
  errorBoxes: [] as { title: string; content: string }[],
  quit: 0,
  ready: () => {},
}));

vi.mock('electron', () => ({
  app: {
    whenReady: () =>
      new Promise<void>((resolve) => {
        stub.ready = resolve;
      }),
    on: () => {},
    quit: () => {
      stub.quit++;
    },
    getPath: () => stub.userData,
    getAppPath: () => stub.userData,
    isPackaged: false,
  },
  dialog: {
    showErrorBox: (title: string, content: string) => stub.errorBoxes.push({ title, content }),
  },
  protocol: { registerSchemesAsPrivileged: () => {} },
}));

vi.mock('../../core/server/dinoscope-service.ts', () => ({
  DinoscopeService: class {
    constructor() {
      throw Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' });
    }
  },
}));

describe('start-up failures', () => {
  it('name a native module that does not load, and say to reinstall', () => {
    const error = Object.assign(
      new Error(
        "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 140.",
      ),
      { code: 'ERR_DLOPEN_FAILED' },
    );
    const failure = describeStartupFailure(error, '/home/me/library.sqlite');
    expect(failure.title).toMatch(/native module/);
    expect(failure.message).toMatch(/better-sqlite3/);
    expect(failure.message).toMatch(/Reinstall/);
  });

  it('name a missing package as an incomplete installation', () => {
    const error = Object.assign(
      new Error("Cannot find package 'sharp' imported from /app/.vite/build/main.js"),
      {
        code: 'ERR_MODULE_NOT_FOUND',
      },
    );
    expect(describeStartupFailure(error, null).message).toMatch(/sharp[\s\S]*reinstall/);
  });

  it('log the stack in the user data folder and name the log in the dialog', () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'dinoscope-log-')), 'logs');
    const shown: string[] = [];
    const error = Object.assign(new Error("ENOENT: no such file or directory, open '/app/x.wasm'"), {
      code: 'ENOENT',
      path: '/app/x.wasm',
    });
    const failure = reportStartupFailure(error, {
      logFolder: folder,
      libraryFile: null,
      showErrorBox: (title, content) => shown.push(`${title}\n${content}`),
    });
    expect(shown).toHaveLength(1);
    expect(failure.message).toMatch(/\/app\/x\.wasm/);
    expect(failure.message).toContain(join(folder, 'startup.log'));
    const log = readFileSync(join(folder, 'startup.log'), 'utf8');
    expect(log).toContain('ENOENT');
    expect(log).toMatch(/at .*startup-failure\.test\.ts/);
  });

  it('in the main process: a library that cannot be opened shows a dialog, is logged, and the app quits', async () => {
    stub.userData = mkdtempSync(join(tmpdir(), 'dinoscope-userdata-'));
    process.env.DINOSCOPE_DB = join(stub.userData, 'nowhere', 'library.sqlite');
    try {
      await import('../../electron/main.ts');
      stub.ready();
      await vi.waitFor(() => expect(stub.errorBoxes).toHaveLength(1));
    } finally {
      delete process.env.DINOSCOPE_DB;
    }
    const [box] = stub.errorBoxes;
    expect(box.title).toMatch(/could not open its library/);
    expect(box.content).toContain(join(stub.userData, 'nowhere', 'library.sqlite'));
    expect(box.content).toMatch(/DINOSCOPE_DB/);
    expect(existsSync(join(stub.userData, 'logs', 'startup.log'))).toBe(true);
    expect(stub.quit).toBe(1);
  });
});
