import { defineConfig, type Plugin } from 'vite';
import { buildEngine } from './engine-bundle.ts';

/**
 * Builds the engine bundle (`.vite/engine`, which jobs run from) whenever the main process is built.
 * At the build's start: Forge takes the main build as done at its closeBundle, and Rollup runs
 * closeBundle hooks side by side, so an engine built there could be copied half-written.
 */
const engineBundle: Plugin = {
  name: 'dinoscope-engine-bundle',
  async buildStart() {
    await buildEngine();
  },
};

// The package is "type": "module", so the main process is built as an ES module (Electron loads ESM
// mains). Native and heavy Node packages stay outside the bundle and load from node_modules.
export default defineConfig({
  build: {
    lib: { entry: 'electron/main.ts', fileName: () => 'main.js', formats: ['es'] },
    rollupOptions: {
      external: ['better-sqlite3', 'sharp', 'onnxruntime-node', 'ws', /^@tensorflow\//],
    },
  },
  plugins: [engineBundle],
});
