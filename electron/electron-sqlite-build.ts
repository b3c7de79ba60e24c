import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { electronSqliteBinding } from './electron-sqlite.ts';

/**
 * Build time only (Forge's preStart hook): builds better-sqlite3 for Electron's ABI from a copy of
 * the installed package, into the folder `electronSqliteBinding` names, once per Electron version.
 * node_modules/better-sqlite3 is never rebuilt in place, so `npm start`, the CLI and `npm test`
 * work one after the other. The first build needs what any native build needs (a C++ toolchain
 * and Electron's headers, downloaded by @electron/rebuild), as the in-place rebuild did.
 */
export async function prepareElectronSqlite(
  projectRoot: string,
  electronVersion: string,
  arch: string = process.arch,
): Promise<string> {
  const target = electronSqliteBinding(projectRoot, electronVersion, process.platform, arch);
  if (existsSync(target)) return target;
  const source = join(projectRoot, 'node_modules', 'better-sqlite3');
  const work = join(dirname(target), 'project');
  const copy = join(work, 'node_modules', 'better-sqlite3');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(dirname(copy), { recursive: true });
  cpSync(source, copy, {
    recursive: true,
    filter: (path) => !path.startsWith(`${join(source, 'build')}${sep}`),
  });
  const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { version: string };
  writeFileSync(
    join(work, 'package.json'),
    JSON.stringify({
      name: 'dinoscope-electron-sqlite',
      private: true,
      dependencies: { 'better-sqlite3': version },
    }),
  );
  const { rebuild } = await import('@electron/rebuild');
  await rebuild({ buildPath: work, electronVersion, arch, onlyModules: ['better-sqlite3'], force: true });
  copyFileSync(join(copy, 'build', 'Release', 'better_sqlite3.node'), target);
  rmSync(work, { recursive: true, force: true });
  return target;
}
