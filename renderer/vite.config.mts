/**
 * The renderer build: one static page (index.html + hashed assets) that the Electron shell loads from app://
 * and `podtrail serve` serves over loopback. `base: './'` keeps every asset URL relative, so both work.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One chunk for the graph library keeps the first paint small and the cache stable across UI changes.
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // shared/ (the API table's types) lives beside renderer/.
    fs: { allow: ['..'] },
    // `vite --config renderer/vite.config.mts` against a running `podtrail serve`: PODTRAIL_API=http://127.0.0.1:<port>
    proxy: process.env.PODTRAIL_API ? { '/api': { target: process.env.PODTRAIL_API, changeOrigin: true } } : undefined,
  },
});
