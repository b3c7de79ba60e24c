import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
/** Where `dinoscope serve` keeps the renderer it built (git-ignored, like Electron Forge's build). */
export const webRendererFolder = join(projectRoot, '.vite', 'web');

function newestSource(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The built renderer for the web mode, building it with Vite when it is missing or older than its
 * sources (a clone has no build; a developer edits the renderer and reloads).
 */
export async function ensureRendererBuilt(
  log: (line: string) => void = () => {},
  outDir = webRendererFolder,
): Promise<string> {
  const index = join(outDir, 'index.html');
  const sources = Math.max(
    newestSource(join(projectRoot, 'renderer')),
    statSync(join(projectRoot, 'core', 'api.ts')).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return outDir;
  log('Building the interface (once, ~20 s)…');
  const { build } = await import('vite');
  // Vite and the React plugin decide "production" from NODE_ENV, which a test runner sets to 'test'.
  const callerEnvironment = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: join(projectRoot, 'renderer', 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    if (callerEnvironment === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = callerEnvironment;
  }
  return outDir;
}
