import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../core/store/database.ts';
import { insertFolder } from '../../core/store/folders.ts';
import { insertImage } from '../../core/store/images.ts';

/**
 * The real main process, with the `electron` module stubbed: the window's security options, the
 * navigation lock, the custom protocol (nothing outside the library), and the validated IPC.
 */
const stub = vi.hoisted(() => {
  const handlers = new Map<string, (...args: unknown[]) => unknown>();
  const windows: {
    options: Record<string, unknown>;
    listeners: Map<string, (...args: unknown[]) => void>;
    openHandler?: () => unknown;
    loaded?: string;
  }[] = [];
  let ready: () => void = () => {};
  const whenReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  return {
    handlers,
    windows,
    whenReady,
    ready: () => ready(),
    protocolHandler: null as null | ((request: { url: string }) => Promise<Response>),
    schemes: [] as unknown[],
  };
});

vi.mock('electron', () => {
  class BrowserWindow {
    webContents: Record<string, unknown>;
    constructor(options: Record<string, unknown>) {
      const record = {
        options,
        listeners: new Map<string, (...args: unknown[]) => void>(),
      } as (typeof stub.windows)[number];
      stub.windows.push(record);
      this.webContents = {
        setWindowOpenHandler: (handler: () => unknown) => {
          record.openHandler = handler;
        },
        on: (name: string, listener: (...args: unknown[]) => void) => record.listeners.set(name, listener),
        send: () => {},
        isDestroyed: () => false,
      };
      this.loadURL = async (url: string) => {
        record.loaded = url;
      };
    }
    loadURL: (url: string) => Promise<void>;
    once() {}
    show() {}
  }
  return {
    app: {
      whenReady: () => stub.whenReady,
      on: () => {},
      quit: () => {},
      getAppPath: () => process.cwd(),
      getPath: () => tmpdir(),
    },
    BrowserWindow,
    dialog: {
      showErrorBox: () => {},
      showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
      showSaveDialog: async () => ({ canceled: true }),
    },
    ipcMain: {
      handle: (channel: string, handler: (...args: unknown[]) => unknown) =>
        stub.handlers.set(channel, handler),
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => stub.schemes.push(...schemes),
      handle: (_scheme: string, handler: (request: { url: string }) => Promise<Response>) => {
        stub.protocolHandler = handler;
      },
    },
    session: { defaultSession: { setPermissionRequestHandler: () => {} } },
    utilityProcess: {
      fork: () => {
        throw new Error('no jobs in this test');
      },
    },
  };
});

const folder = mkdtempSync(join(tmpdir(), 'dinoscope-electron-'));
const libraryFile = join(folder, 'library.sqlite');

beforeAll(async () => {
  process.env.DINOSCOPE_DB = libraryFile;
  (globalThis as Record<string, unknown>).MAIN_WINDOW_VITE_NAME = 'main_window';
  await import('../../electron/main.ts');
  stub.ready();
  await vi.waitFor(() => expect(stub.windows[0]?.loaded).toBeDefined());
});
afterAll(() => {
  delete process.env.DINOSCOPE_DB;
});

describe('Electron main process', () => {
  it('opens a sandboxed window with context isolation and no Node', () => {
    const preferences = stub.windows[0].options.webPreferences as Record<string, unknown>;
    expect(preferences.contextIsolation).toBe(true);
    expect(preferences.sandbox).toBe(true);
    expect(preferences.nodeIntegration).toBe(false);
    expect(preferences.webSecurity).toBe(true);
    expect(preferences.webviewTag).toBe(false);
    expect(String(preferences.preload)).toMatch(/preload\.js$/);
    expect(stub.windows[0].loaded).toBe('dinoscope://app/index.html');
  });

  it('registers its scheme as a secure standard scheme', () => {
    expect(stub.schemes).toEqual([
      expect.objectContaining({
        scheme: 'dinoscope',
        privileges: expect.objectContaining({ secure: true, standard: true }),
      }),
    ]);
  });

  it('denies new windows and navigation away from the app', () => {
    const window = stub.windows[0];
    expect(window.openHandler?.()).toEqual({ action: 'deny' });
    const navigate = (url: string) => {
      const event = {
        prevented: false,
        preventDefault() {
          this.prevented = true;
        },
      };
      window.listeners.get('will-navigate')?.(event, url);
      return event.prevented;
    };
    expect(navigate('https://example.com/')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    expect(navigate('dinoscope://media/photo/1')).toBe(true);
    expect(navigate('dinoscope://app/index.html#/map')).toBe(false);
  });

  it('serves no file outside the library or the renderer through its protocol', async () => {
    const handler = stub.protocolHandler;
    if (!handler) throw new Error('protocol not registered');
    writeFileSync(join(folder, 'secret.txt'), 'secret');
    for (const url of [
      'dinoscope://app/../../../../etc/passwd',
      'dinoscope://app/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      'dinoscope://app/..%2f..%2f..%2fetc%2fpasswd',
      'dinoscope://media/photo/..%2fsecret.txt',
      `dinoscope://media/photo/${encodeURIComponent(join(folder, 'secret.txt'))}`,
      'dinoscope://media/photo/1',
      'dinoscope://media/thumbnail/999',
      'dinoscope://elsewhere/index.html',
    ]) {
      const response = await handler({ url });
      expect(response.status, url).toBe(404);
    }
  });

  it('serves a library photo by id, and refuses one whose file is outside every library folder', async () => {
    const handler = stub.protocolHandler;
    if (!handler) throw new Error('protocol not registered');
    const photos = join(folder, 'photos');
    mkdirSync(photos);
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3080c0' } })
      .jpeg()
      .toBuffer();
    writeFileSync(join(photos, 'inside.jpg'), jpeg);
    writeFileSync(join(folder, 'outside.jpg'), jpeg);
    const db = openDatabase(libraryFile);
    const { id: folderId } = insertFolder(db, photos);
    const record = (path: string) => ({
      folderId,
      path,
      relPath: basename(path),
      size: jpeg.length,
      mtimeMs: 1,
      hash: null,
      format: 'jpeg',
      width: 64,
      height: 48,
      capturedAt: null,
      status: 'ok' as const,
      error: null,
      readAgain: false,
      scannedAt: 1,
    });
    const inside = insertImage(db, record(join(photos, 'inside.jpg')));
    // A row whose path escapes its folder (a tampered or stale library file) must not expose that file.
    const outside = insertImage(db, record(join(folder, 'outside.jpg')));
    db.close();
    const served = await handler({ url: `dinoscope://media/photo/${inside}` });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    expect((await handler({ url: `dinoscope://media/photo/${outside}` })).status).toBe(404);
  });

  it('validates every IPC request before the core sees it', async () => {
    const invoke = stub.handlers.get('dinoscope:invoke');
    if (!invoke) throw new Error('IPC not registered');
    const trusted = { senderFrame: { url: 'dinoscope://app/index.html' } };
    const status = (await invoke(trusted, 'library.status', {})) as { counts: { total: number } };
    expect(status.counts.total).toBe(2);
    await expect(invoke(trusted, 'library.images', { offset: -1, limit: 10 })).rejects.toThrow(/offset/);
    await expect(invoke(trusted, 'library.image', { imageId: '1; DROP TABLE images' })).rejects.toThrow(
      /whole number/,
    );
    await expect(invoke(trusted, 'library.addFolders', { paths: ['relative/path'] })).rejects.toThrow(
      /absolute path/,
    );
    await expect(invoke(trusted, 'library.status', { extra: 1 })).rejects.toThrow(/unknown field/);
    await expect(invoke(trusted, 'shell.exec', {})).rejects.toThrow(/Unknown request/);
    await expect(
      invoke({ senderFrame: { url: 'https://example.com/' } }, 'library.status', {}),
    ).rejects.toThrow(/untrusted/);
  });
});
