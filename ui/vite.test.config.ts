import { defineConfig, type Plugin } from 'vite';
import { resolve } from 'node:path';

// The test page: the app's own index.html, whose one script is swapped for test-app/entry.ts
// (it installs the fake Rust side with mockIPC, then loads the app). Built into .test-dist,
// never into dist.
const withFakeRust: Plugin = {
  name: 'wardbook-fake-rust',
  // Before Vite reads the page's scripts.
  transformIndexHtml: { order: 'pre', handler: (html) => html.replace('/src/main.tsx', '/test-app/entry.ts') },
};

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [withFakeRust],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { target: 'es2021', outDir: resolve(import.meta.dirname, '.test-dist'), emptyOutDir: true, minify: false },
  logLevel: 'warn',
});
