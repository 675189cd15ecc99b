import path from 'node:path';
import { defineConfig } from 'vite';

// Built by `npm run ui:build` (scripts/setup.sh runs it) into dist/admin-ui, which
// src/routes/admin-ui.ts serves at /admin.
export default defineConfig({
  root: import.meta.dirname,
  base: '/admin/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: path.resolve(import.meta.dirname, '../dist/admin-ui'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 300,
  },
});
