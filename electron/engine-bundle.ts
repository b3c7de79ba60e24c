import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * The engine bundle (build time only, never loaded by the app): the CLI and every worker thread
 * bundled for Node as ES modules into one flat folder, which `npm start` and the packaged app run
 * their jobs from (`dinoscope.js --events ...`). Flat, so that a chunk's `import.meta.url` sits
 * beside every entry: `new URL('./crop-worker.js', import.meta.url)` finds the worker from any
 * chunk. The sources say `new URL('./crop-worker.ts', import.meta.url)`; this build finds every
 * such URL in core/, makes its target an entry and rewrites the URL to the bundled name, so a new
 * worker is bundled without touching this file. `.wasm` files named the same way are copied beside.
 */
const projectRoot = fileURLToPath(new URL('..', import.meta.url));
export const ENGINE_FOLDER = join('.vite', 'engine');
export const ENGINE_ENTRY = 'dinoscope.js';

/**
 * Packages loaded from node_modules, not bundled: native binaries (better-sqlite3, sharp and its
 * @img platform packages, onnxruntime-node, webgpu's Dawn), tfjs (its wasm files are found beside its own code,
 * and tfjs-core must be the one instance the backends register with), and the build tools that
 * only `serve` from a clone uses (vite builds the web UI on first use).
 */
export const ENGINE_EXTERNALS = [
  'better-sqlite3',
  'sharp',
  '@img/*',
  'onnxruntime-node',
  'onnxruntime-common',
  'webgpu',
  '@tensorflow/*',
  'vite',
  '@vitejs/*',
  'tsx',
];

/** `new URL('<relative>', import.meta.url)` with a literal path: the form workers and assets use. */
const MODULE_URL = /new URL\((['"])(\.{1,2}\/[^'"]+)\1,\s*import\.meta\.url\)/g;

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

interface EnginePlan {
  /** Entry name (output `<name>.js`) to source file. */
  entries: Record<string, string>;
  /** Files the bundle reads beside itself (WebAssembly kernels). */
  assets: string[];
  /** What a source URL (resolved to an absolute path) becomes in the bundle. */
  rewrites: Map<string, string>;
}

/** Reads core/ for the entries the bundle needs: the CLI, every worker module, every asset. */
export function planEngine(root = projectRoot): EnginePlan {
  const cli = join(root, 'core', 'cli', 'main.ts');
  const entries: Record<string, string> = { dinoscope: cli };
  const assets: string[] = [];
  // The tsx launcher of the sources (cli-process.ts names it) is the bundle's own entry.
  const rewrites = new Map([[join(root, 'core', 'cli', 'dinoscope.js'), `./${ENGINE_ENTRY}`]]);
  for (const file of sourceFiles(join(root, 'core'))) {
    // Code lines only: a comment may show the pattern (typescript-worker.ts does).
    const code = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\*|\/\/)/.test(line))
      .join('\n');
    for (const [, , path] of code.matchAll(MODULE_URL)) {
      if (path.endsWith('/')) continue;
      const target = resolve(dirname(file), path);
      if (rewrites.has(target)) continue;
      const name = basename(target);
      if (target.endsWith('.ts')) {
        const entry = name.slice(0, -'.ts'.length);
        if (entries[entry]) {
          throw new Error(
            `Two engine entries are named ${entry}: ${entries[entry]} and ${target}. Rename one.`,
          );
        }
        entries[entry] = target;
        rewrites.set(target, `./${entry}.js`);
      } else if (target.endsWith('.wasm')) {
        assets.push(target);
        rewrites.set(target, `./${name}`);
      }
    }
  }
  return { entries, assets, rewrites };
}

function rewriteModuleUrls(plan: EnginePlan): Plugin {
  return {
    name: 'dinoscope-module-urls',
    setup(builder) {
      builder.onLoad({ filter: /[/\\]core[/\\].*\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const contents = source.replace(MODULE_URL, (whole, _quote: string, path: string) => {
          const bundled = plan.rewrites.get(resolve(dirname(args.path), path));
          return bundled ? `new URL(${JSON.stringify(bundled)}, import.meta.url)` : whole;
        });
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** Builds the engine into `outFolder` (emptied first); returns the files written, relative to it. */
export async function buildEngine(
  outFolder = join(projectRoot, ENGINE_FOLDER),
  root = projectRoot,
): Promise<string[]> {
  const plan = planEngine(root);
  rmSync(outFolder, { recursive: true, force: true });
  mkdirSync(outFolder, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: plan.entries,
    outdir: outFolder,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    // Electron 45 runs Node 22; the CLI needs at least the Node in package.json's engines.
    target: 'node22',
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    external: ENGINE_EXTERNALS,
    // Bundled CommonJS packages (cli-progress, yauzl...) call require(); an ES module has none.
    banner: {
      js: "import { createRequire as __engineRequire } from 'node:module'; const require = __engineRequire(import.meta.url);",
    },
    plugins: [rewriteModuleUrls(plan)],
    // Stack traces name the TypeScript files and lines; the sources themselves stay out of the package.
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'linked',
    logLevel: 'warning',
    metafile: true,
  });
  for (const asset of plan.assets) copyFileSync(asset, join(outFolder, basename(asset)));
  return [
    ...Object.keys(result.metafile.outputs).map((file) => relative(outFolder, resolve(root, file))),
    ...plan.assets.map((asset) => basename(asset)),
  ].sort();
}

// `npm run build:engine`
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const files = await buildEngine();
  process.stdout.write(
    `Engine bundle: ${files.filter((f) => f.endsWith('.js')).length} files in ${ENGINE_FOLDER}\n`,
  );
}
