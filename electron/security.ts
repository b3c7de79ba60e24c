import type { WebPreferences } from 'electron';

/** The custom scheme that serves the app and the library's photos: `dinoscope://app/...`, `dinoscope://media/...`. */
export const APP_SCHEME = 'dinoscope';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/** Options the Electron security checklist asks for: the renderer is a sandboxed web page with no Node. */
export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/** The page loads only its own code and talks only to the app's own scheme. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' ${APP_SCHEME}: data: blob:`,
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Navigation stays inside the app: its own scheme, or the Vite dev server while developing. */
export function isAppUrl(url: string, devServerUrl?: string): boolean {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === `${APP_SCHEME}:` && parsed.host === 'app') return true;
    if (devServerUrl) return parsed.origin === new URL(devServerUrl).origin;
    return false;
  } catch {
    return false;
  }
}
