import { fileURLToPath } from 'node:url';

/** node_modules' own better-sqlite3 binary: built for plain Node (CLI, tests), apart from the Electron build. */
export const nodeSqliteBinding = fileURLToPath(
  new URL('../../node_modules/better-sqlite3/build/Release/better_sqlite3.node', import.meta.url),
);
