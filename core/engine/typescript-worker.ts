import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread running a TypeScript module. The CLI runs TypeScript through tsx, whose
 * loader a worker thread does not inherit when it was registered in-process (nor under Vitest),
 * and on Node 20 `execArgv: ['--import', 'tsx']` does not reach the worker's entry module either
 * (measured: "Unknown file extension .ts"): the bootstrap registers tsx's ESM loader itself, then
 * imports the module. `transferList` moves buffers of `workerData` instead of copying them.
 */
export function startTypeScriptWorker(
  module: URL,
  workerData: unknown,
  transferList: ArrayBuffer[] = [],
): Worker {
  const bootstrap =
    `import(${JSON.stringify(pathToFileURL(tsxEsmApiFile()).href)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData, transferList });
}

function tsxEsmApiFile(): string {
  // The ESM entry as tsx's own exports map names it (require.resolve gives the CommonJS one).
  const packageFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(packageFile, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  return join(dirname(packageFile), exports['./esm/api'].import.default);
}
