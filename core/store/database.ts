import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_BINDING_VARIABLE } from './database-binding.ts';
import { type Migration, migrations } from './migrations.ts';

export type Db = Database.Database;

/**
 * Opens (creating if needed) a library file: WAL so readers never block the one writer,
 * foreign keys on, and every pending migration applied in its own transaction.
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Db {
  if (file !== ':memory:' && !options.readonly) mkdirSync(dirname(file), { recursive: true });
  const db = connect(file, options.readonly ?? false);
  try {
    db.pragma('busy_timeout = 10000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode never corrupts the file on a crash; it may lose the last commits on power loss.
      db.pragma('synchronous = NORMAL');
    }
  } catch (error) {
    db.close();
    throw new Error(
      `${file} cannot be opened as a dinoscope library (${(error as Error).message}). ` +
        'Point --db (or DINOSCOPE_DB) at a library file, or at a new path to start one.',
    );
  }
  db.pragma('foreign_keys = ON');
  if (!options.readonly) migrate(db, migrations);
  return db;
}

function connect(file: string, readonly: boolean): Db {
  const nativeBinding = process.env[SQLITE_BINDING_VARIABLE] || undefined;
  try {
    return new Database(file, {
      readonly,
      fileMustExist: readonly,
      ...(nativeBinding ? { nativeBinding } : {}),
    });
  } catch (error) {
    // A binary for another ABI (an install from before the binaries were kept apart, or a stale cache).
    if (error instanceof Error && /NODE_MODULE_VERSION/.test(error.message)) {
      throw new Error(
        `better-sqlite3 (${nativeBinding ?? 'node_modules/better-sqlite3'}) was built for another runtime than this one (${process.versions.electron ? `Electron ${process.versions.electron}` : `Node ${process.version}`}). ` +
          (nativeBinding
            ? `Delete ${nativeBinding} and run \`npm start\` again: it builds it for Electron.`
            : 'Run `npm rebuild better-sqlite3`.'),
      );
    }
    if (error instanceof Error) error.message = `${file}: ${error.message}`;
    throw error;
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function migrate(db: Db, list: readonly Migration[]): void {
  const current = schemaVersion(db);
  const newest = list.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new Error(
      `${db.name} was written by a newer dinoscope (schema ${current}, this one knows ${newest}). ` +
        'Update dinoscope to open it.',
    );
  }
  for (const migration of list) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
