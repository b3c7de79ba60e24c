import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FuseV1Options, FuseVersion } from '@electron/fuses';
import { AutoUnpackNativesPlugin } from '@electron-forge/plugin-auto-unpack-natives';
import { FusesPlugin } from '@electron-forge/plugin-fuses';
import { VitePlugin } from '@electron-forge/plugin-vite';
import type { ForgeConfig } from '@electron-forge/shared-types';
import { prepareElectronSqlite } from './electron/electron-sqlite-build.ts';
import { trimPackagedModules } from './electron/package-trim.ts';

// Loaded through jiti by Forge: import.meta.url is the one import.meta field it gives for sure.
const projectRoot = dirname(fileURLToPath(import.meta.url));
const electronVersion = (
  JSON.parse(readFileSync(join(projectRoot, 'node_modules', 'electron', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

/**
 * `npm start` (or `electron-forge start`) must not rebuild node_modules/better-sqlite3 for Electron
 * in place: the command line and the tests, run with Node, could no longer open the library. It
 * builds a separate copy for Electron instead (preStart below), which the app points at.
 */
export function isStarting(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv): boolean {
  return env.npm_lifecycle_event === 'start' || /electron-forge-start/.test(argv[1] ?? '');
}

/**
 * What the package holds, from the project folder: the main process, preload and renderer (built
 * by Vite into `.vite/`), the engine bundle the jobs run from (`.vite/engine`), and node_modules,
 * which Electron Packager prunes to the production dependencies (the engine's external packages:
 * better-sqlite3, sharp and its @img packages, onnxruntime-node, tfjs). Nothing else: no sources,
 * no tests, no build scratch folders.
 */
export const PACKAGED_PATHS = [
  '/package.json',
  '/node_modules',
  '/.vite/build',
  '/.vite/renderer',
  '/.vite/engine',
];

export function isIgnoredByPackage(file: string): boolean {
  if (!file) return false;
  return !PACKAGED_PATHS.some(
    (kept) => file === kept || file.startsWith(`${kept}/`) || kept.startsWith(`${file}/`),
  );
}

/**
 * Native binaries and the files read by path (WebAssembly) cannot be used from inside the asar
 * archive by every loader (dlopen, worker threads, libvips' own .so files beside sharp's binding),
 * so they are unpacked beside it (`app.asar.unpacked/`). (`**` skips dot folders: `.vite` is named.)
 */
export const ASAR_UNPACK =
  '{**/*.node,**/*.so,**/*.so.*,**/*.dylib,**/*.dll,**/*.wasm,**/.vite/engine/*.wasm,**/node_modules/@img/**}';

const config: ForgeConfig = {
  packagerConfig: {
    name: 'dinoscope',
    asar: { unpack: ASAR_UNPACK },
    ignore: isIgnoredByPackage,
  },
  // better-sqlite3 is the one native module built against a Node ABI (sharp, onnxruntime-node and
  // tfjs-node use N-API and load in any runtime): rebuilt for Electron in the package's own copy.
  // Never in place for `npm start` (see isStarting). DINOSCOPE_SKIP_NATIVE_REBUILD=1 packages the
  // binaries as installed: the packaging test does, with a stand-in Electron that has no headers.
  rebuildConfig: {
    onlyModules: process.env.DINOSCOPE_SKIP_NATIVE_REBUILD === '1' || isStarting() ? [] : ['better-sqlite3'],
  },
  // A zip everywhere (the Linux download; macOS and Windows users unzip and run the app too).
  makers: [{ name: '@electron-forge/maker-zip', platforms: ['linux', 'darwin', 'win32'], config: {} }],
  hooks: {
    preStart: async () => {
      await prepareElectronSqlite(projectRoot, electronVersion);
    },
    packageAfterPrune: async (_config, buildPath, _electronVersion, platform, arch) => {
      await trimPackagedModules(buildPath, platform, arch);
    },
  },
  plugins: [
    new AutoUnpackNativesPlugin({}),
    new VitePlugin({
      build: [
        { entry: 'electron/main.ts', config: 'electron/vite.main.config.ts', target: 'main' },
        { entry: 'electron/preload.ts', config: 'electron/vite.preload.config.ts', target: 'preload' },
      ],
      renderer: [{ name: 'main_window', config: 'renderer/vite.config.ts' }],
    }),
    new FusesPlugin({
      version: FuseVersion.V1,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      // The app serves itself through its own dinoscope:// scheme; file:// gets no extra rights.
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    }),
  ],
};

export default config;
