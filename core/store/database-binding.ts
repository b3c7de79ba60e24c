/**
 * A better-sqlite3 binary built for this runtime, when it is not the one in node_modules: `npm
 * start` builds one for Electron's ABI into node_modules/.cache and points the app (and the job
 * processes it starts) at it, so node_modules keeps the binary for Node and the command line and
 * the tests go on working after the app has run.
 */
export const SQLITE_BINDING_VARIABLE = 'DINOSCOPE_SQLITE_BINDING';
