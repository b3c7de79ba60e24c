import { join } from 'node:path';

/**
 * Where `npm start` keeps better-sqlite3 built for Electron's ABI: beside node_modules' own build
 * (which stays built for Node, for the command line and the tests), one per Electron version,
 * platform and architecture. The packaged app needs none: packaging rebuilds its own copy.
 */
export function electronSqliteBinding(
  projectRoot: string,
  electronVersion: string,
  platform: string = process.platform,
  arch: string = process.arch,
): string {
  return join(
    projectRoot,
    'node_modules',
    '.cache',
    'dinoscope',
    `better-sqlite3-electron-${electronVersion}-${platform}-${arch}`,
    'better_sqlite3.node',
  );
}
