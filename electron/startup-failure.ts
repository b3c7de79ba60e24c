import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** What a person sees when the app cannot start: what failed, and what to do about it. */
export interface StartupFailure {
  title: string;
  message: string;
}

/** Names the failure from the error (native module, library file, missing file) with the remedy. */
export function describeStartupFailure(error: unknown, libraryFile: string | null): StartupFailure {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const nativeModule = /better[-_]sqlite3|sharp|onnxruntime|@img\/|tfjs-node/.exec(text)?.[0];
  if (
    code === 'ERR_DLOPEN_FAILED' ||
    /NODE_MODULE_VERSION|was compiled against a different Node\.js|built for another runtime/.test(text)
  ) {
    return {
      title: 'dinoscope could not load a native module',
      message:
        `${nativeModule ? `The native module ${nativeModule}` : 'A native module'} does not load in this app: ${text}\n\n` +
        'Reinstall dinoscope. From a clone, run `npm start` again: it builds better-sqlite3 for Electron.',
    };
  }
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    return {
      title: 'dinoscope is missing a part',
      message: `${text}\n\nThe installation is incomplete: reinstall dinoscope (from a clone: \`npm ci\`).`,
    };
  }
  if (
    (typeof code === 'string' && code.startsWith('SQLITE_')) ||
    /database|sqlite|library file/i.test(text) ||
    (libraryFile !== null && text.includes(libraryFile))
  ) {
    return {
      title: 'dinoscope could not open its library',
      message:
        `The library file ${libraryFile ?? ''} could not be opened: ${text}\n\n` +
        'Check that its folder exists and is writable and that no other program holds the file, or ' +
        'start dinoscope with DINOSCOPE_DB set to another library file.',
    };
  }
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM') {
    const path = (error as { path?: unknown }).path;
    return {
      title: 'dinoscope could not read a file',
      message: `${typeof path === 'string' ? `${path}: ` : ''}${text}\n\nCheck that the file exists and is readable; if it is part of dinoscope, reinstall it.`,
    };
  }
  return { title: 'dinoscope could not start', message: text };
}

/**
 * Appends the failure with its stack to `<logFolder>/startup.log` and returns that file (null when
 * it cannot be written: the dialog must still show).
 */
export function logStartupFailure(error: unknown, logFolder: string, now = new Date()): string | null {
  const file = join(logFolder, 'startup.log');
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  try {
    mkdirSync(logFolder, { recursive: true });
    appendFileSync(file, `[${now.toISOString()}] dinoscope could not start\n${detail}\n\n`);
    return file;
  } catch {
    return null;
  }
}

/** Logs the failure and shows it in an error dialog that names the log file. */
export function reportStartupFailure(
  error: unknown,
  options: {
    logFolder: string;
    libraryFile: string | null;
    showErrorBox(title: string, content: string): void;
  },
): StartupFailure {
  const failure = describeStartupFailure(error, options.libraryFile);
  const logFile = logStartupFailure(error, options.logFolder);
  const message = logFile ? `${failure.message}\n\nDetails are in ${logFile}.` : failure.message;
  options.showErrorBox(failure.title, message);
  return { title: failure.title, message };
}
