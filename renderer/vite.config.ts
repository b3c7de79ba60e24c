import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  base: './',
  // The project's `.vite/renderer/main_window`, where the main process serves the app from (Forge's
  // default is relative to `root`, which would put it under renderer/). The web mode passes its own.
  build: { outDir: `${import.meta.dirname}/../.vite/renderer/main_window`, emptyOutDir: true },
});
