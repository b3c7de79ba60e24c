import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * Where the library file lives when the user does not say: `--db`, else `DINOSCOPE_DB`, else the
 * platform's per-user data folder (the same folder Electron's `app.getPath('userData')` uses).
 */
export function defaultLibraryFile(
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
): string {
  if (env.DINOSCOPE_DB) return env.DINOSCOPE_DB;
  return join(userDataFolder(env, platform), 'library.sqlite');
}

function userDataFolder(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'dinoscope');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'dinoscope');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'dinoscope');
}

/**
 * Large files that belong to a library (checkpoints, model weights, ONNX graphs, caches) live in
 * a folder beside the SQLite file, named after it, so that moving both moves everything.
 */
export function libraryDataFolder(libraryFile: string): string {
  return join(dirname(libraryFile), `${basename(libraryFile).replace(/\.[^.]*$/, '')}.data`);
}
