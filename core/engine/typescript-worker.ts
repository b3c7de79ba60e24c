import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread from its module, given as `new URL('./x-worker.ts', import.meta.url)`.
 *
 * In the engine bundle (`npm run build:engine`) that URL names the bundled `x-worker.js` beside
 * the chunk (the build rewrites it), and the worker starts from it directly. From the sources
 * (tsx, Vitest) it names the TypeScript file, and tsx's loader must be registered inside the
 * worker: a worker thread does not inherit a loader registered in-process (nor under Vitest), and
 * on Node 20 `execArgv: ['--import', 'tsx']` does not reach the worker's entry module either
 * (measured: "Unknown file extension .ts"). So a bootstrap registers tsx's ESM loader itself,
 * then imports the module. `transferList` moves buffers of `workerData` instead of copying them.
 */
export function startTypeScriptWorker(
  module: URL,
  workerData: unknown,
  transferList: ArrayBuffer[] = [],
): Worker {
  if (!module.pathname.endsWith('.ts')) return new Worker(module, { workerData, transferList });
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
