import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, dialog, ipcMain, protocol, session, utilityProcess } from 'electron';
import { DinoscopeService } from '../core/server/dinoscope-service.ts';
import { defaultLibraryFile } from '../core/store/library-location.ts';
import { handleAppRequest } from './app-protocol.ts';
import { forwardEvents, registerIpcHandlers } from './ipc-handlers.ts';
import { utilityProcessLauncher } from './job-process.ts';
import { createMainWindow } from './main-window.ts';
import { APP_ORIGIN, APP_SCHEME, isAppUrl } from './security.ts';

// Set by Electron Forge's Vite plugin.
declare const MAIN_WINDOW_VITE_DEV_SERVER_URL: string | undefined;
declare const MAIN_WINDOW_VITE_NAME: string;

const here = dirname(fileURLToPath(import.meta.url));
const devServerUrl =
  typeof MAIN_WINDOW_VITE_DEV_SERVER_URL === 'string' ? MAIN_WINDOW_VITE_DEV_SERVER_URL : undefined;

/**
 * Starts the app proper: the service on the library, the protocol, IPC and the window. Imported by
 * main.ts only once its failure handler is in place, because loading this module loads the native
 * modules and opening the service opens the library file, the two things most likely to fail.
 */
export async function startDesktopApp(): Promise<DinoscopeService> {
  // The same library the CLI uses by default, so `dinoscope` in a terminal and the app share it.
  const libraryFile = defaultLibraryFile(process.env);
  const current = new DinoscopeService({
    libraryFile,
    transport: 'electron',
    launcher: utilityProcessLauncher(
      (modulePath, args, options) => utilityProcess.fork(modulePath, args, options),
      // The engine bundle (`npm run build:engine`; built with the main process), in `npm start` and packaged.
      join(here, '..', 'engine', 'dinoscope.js'),
      libraryFile,
    ),
    dialogs: {
      async chooseFolders() {
        const result = await dialog.showOpenDialog({ properties: ['openDirectory', 'multiSelections'] });
        return result.canceled ? null : result.filePaths;
      },
      async chooseOpenFile(extensions) {
        const result = await dialog.showOpenDialog({
          properties: ['openFile'],
          filters: [{ name: 'Weights', extensions }],
        });
        return result.canceled ? null : (result.filePaths[0] ?? null);
      },
      async chooseSaveFile(suggestedName, extensions) {
        const result = await dialog.showSaveDialog({
          defaultPath: suggestedName,
          filters: [{ name: extensions.join(', '), extensions }],
        });
        return result.canceled ? null : (result.filePath ?? null);
      },
    },
  });

  const rendererFolder = join(here, '..', 'renderer', MAIN_WINDOW_VITE_NAME);
  protocol.handle(APP_SCHEME, (request) =>
    handleAppRequest(request.url, { rendererFolder, media: (kind, id) => current.media(kind, id) }),
  );
  // Nothing the page asks for (camera, notifications, geolocation...) is granted.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  registerIpcHandlers(ipcMain, current, (event) => isAppUrl(event.senderFrame?.url ?? '', devServerUrl));

  const window = createMainWindow(BrowserWindow, { preload: join(here, 'preload.js'), devServerUrl });
  forwardEvents(current, window.webContents);
  if (devServerUrl) await window.loadURL(devServerUrl);
  else await window.loadURL(`${APP_ORIGIN}/index.html`);
  return current;
}
