import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { app, dialog, protocol } from 'electron';
import type { DinoscopeService } from '../core/server/dinoscope-service.ts';
import { SQLITE_BINDING_VARIABLE } from '../core/store/database-binding.ts';
import { defaultLibraryFile } from '../core/store/library-location.ts';
import { electronSqliteBinding } from './electron-sqlite.ts';
import { APP_SCHEME } from './security.ts';
import { reportStartupFailure } from './startup-failure.ts';

/**
 * The main process: thin by design. Windows, the protocol and IPC in desktop-app.ts; every piece
 * of work in core/. This file only puts the start-up failure handler in place first: whatever
 * fails while starting (a native module that does not load, the library file, a missing file) is
 * shown in a dialog that says what to do and logged to `<userData>/logs/startup.log`.
 */
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

let service: DinoscopeService | null = null;
let failed = false;

function failToStart(error: unknown): void {
  if (failed) return;
  failed = true;
  let logFolder: string;
  try {
    logFolder = join(app.getPath('userData'), 'logs');
  } catch {
    logFolder = join(tmpdir(), 'dinoscope-logs');
  }
  let libraryFile: string | null = null;
  try {
    libraryFile = defaultLibraryFile(process.env);
  } catch {
    // The dialog names what failed even without a library path.
  }
  reportStartupFailure(error, {
    logFolder,
    libraryFile,
    showErrorBox: (title, content) => dialog.showErrorBox(title, content),
  });
  app.quit();
}

/**
 * From a clone (`npm start`), better-sqlite3 for Electron is the copy built beside node_modules'
 * own (electron-sqlite.ts); the job processes inherit the variable. The package has its own copy.
 */
function useElectronSqliteFromClone(): void {
  if (app.isPackaged || process.env[SQLITE_BINDING_VARIABLE]) return;
  const binding = electronSqliteBinding(app.getAppPath(), process.versions.electron ?? '');
  if (existsSync(binding)) process.env[SQLITE_BINDING_VARIABLE] = binding;
}

app
  .whenReady()
  .then(async () => {
    useElectronSqliteFromClone();
    const { startDesktopApp } = await import('./desktop-app.ts');
    service = await startDesktopApp();
  })
  .catch(failToStart);
app.on('window-all-closed', () => app.quit());
app.on('before-quit', (event) => {
  if (!service) return;
  // Let running jobs save what they have before the process goes.
  event.preventDefault();
  const closing = service;
  service = null;
  void closing.close().finally(() => app.quit());
});
