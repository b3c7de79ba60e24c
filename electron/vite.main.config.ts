import { defineConfig } from 'vite';

// Native and heavy Node packages stay outside the bundle and load from node_modules at run time.
export default defineConfig({
  build: { rollupOptions: { external: ['better-sqlite3', 'sharp', 'onnxruntime-node', /^@tensorflow\//] } },
});
