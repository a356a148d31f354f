import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

// electron-vite expects src/<scope>/; this project keeps main/, preload/, renderer/ at the top level,
// so every entry is named explicitly (see TOOLCHAIN.md).
const here = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      target: 'node24',
      rollupOptions: {
        input: {
          index: resolve(here, 'main/index.ts'), // Electron shell
          cli: resolve(here, 'main/cli.ts'), // the dvid-desk command (start, web = browser-mode server, ...)
          worker: resolve(here, 'main/workers/worker.ts'), // worker_threads entry of main/workers/pool.ts
          'demo-volume-worker': resolve(here, 'main/demo/dataset/volume-worker.ts'), // worker thread of the demo generator
          'derive-build-worker': resolve(here, 'main/derive/build-worker.ts'), // worker thread of a full derived-table build
        },
        // Flat output: main/locations.ts relies on every chunk living in out/main itself.
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(here, 'preload/index.ts') },
        // Sandboxed preloads cannot be ES modules.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(here, 'renderer'),
    plugins: [vue()],
    build: {
      outDir: resolve(here, 'out/renderer'),
      emptyOutDir: true,
      rollupOptions: { input: { index: resolve(here, 'renderer/index.html') } },
    },
  },
});
