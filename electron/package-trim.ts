import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Build time only (Forge's packageAfterPrune hook): drops from the packaged node_modules what the
 * target never loads. onnxruntime-node ships its binaries for every platform and architecture
 * (about 290 MB; one target needs about 70), and webgpu its Dawn binary for five (about 110 MB; one
 * target needs one folder, macOS's being universal); better-sqlite3 keeps its sources and object files
 * beside the one binary it loads (`build/Release/better_sqlite3.node`); and the packages' source
 * maps (about 200 MB, tfjs's mostly) are never read by a running app.
 */
export async function trimPackagedModules(buildPath: string, platform: string, arch: string): Promise<void> {
  const modules = join(buildPath, 'node_modules');
  const onnxBinaries = join(modules, 'onnxruntime-node', 'bin', 'napi-v6');
  keepOnly(onnxBinaries, platform);
  keepOnly(join(onnxBinaries, platform), arch);
  keepOnly(join(modules, 'webgpu', 'dist'), `${platform}-${platform === 'darwin' ? 'universal' : arch}`);

  const sqlite = join(modules, 'better-sqlite3');
  if (existsSync(join(sqlite, 'build', 'Release', 'better_sqlite3.node'))) {
    for (const folder of ['deps', 'src']) rmSync(join(sqlite, folder), { recursive: true, force: true });
    keepOnly(join(sqlite, 'build'), 'Release');
    keepOnly(join(sqlite, 'build', 'Release'), 'better_sqlite3.node');
  }
  removeSourceMaps(modules);
}

function removeSourceMaps(folder: string): void {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) removeSourceMaps(path);
    else if (
      entry.name.endsWith('.js.map') ||
      entry.name.endsWith('.mjs.map') ||
      entry.name.endsWith('.cjs.map')
    ) {
      rmSync(path, { force: true });
    }
  }
}

function keepOnly(folder: string, name: string): void {
  if (!existsSync(folder)) return;
  for (const entry of readdirSync(folder)) {
    if (entry !== name) rmSync(join(folder, entry), { recursive: true, force: true });
  }
}
