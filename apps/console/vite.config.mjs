// The console's build: `npm run build` runs it (scripts/build.js) into dist/console, which the
// API serves under /_/ (apps/api/src/console). Hashed file names, so assets can be cached for good.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/_/',
  // React's automatic JSX runtime, compiled by Vite's own transformer (no Babel plugin needed for a build).
  oxc: { jsx: { runtime: 'automatic' } },
  resolve: { alias: { '@backlot/client': fileURLToPath(new URL('../../packages/client/src/index.ts', import.meta.url)) } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline script or style anywhere: the console's CSP allows this origin's files only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
