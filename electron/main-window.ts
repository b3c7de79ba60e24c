import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';
import { isAppUrl, secureWebPreferences } from './security.ts';

/**
 * The app's window: sandboxed renderer, no new windows, no navigation away from the app (a link
 * in a photo's file name or a compromised page cannot take the window elsewhere).
 */
export function createMainWindow(
  Window: new (options: BrowserWindowConstructorOptions) => BrowserWindow,
  options: { preload: string; devServerUrl?: string },
): BrowserWindow {
  const window = new Window({
    width: 1360,
    height: 880,
    minWidth: 960,
    minHeight: 640,
    title: 'dinoscope',
    backgroundColor: '#0f1117',
    show: false,
    webPreferences: secureWebPreferences(options.preload),
  });
  window.once('ready-to-show', () => window.show());
  const contents = window.webContents;
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, options.devServerUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, options.devServerUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  return window;
}
