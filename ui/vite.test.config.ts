import { defineConfig } from 'vite';
import { resolve } from 'node:path';

// The test page: test-app/index.html installs the fake Rust side (mockIPC), then loads the app.
// Built into .test-dist, never into dist.
export default defineConfig({
  root: resolve(import.meta.dirname, 'test-app'),
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { target: 'es2021', outDir: resolve(import.meta.dirname, '.test-dist'), emptyOutDir: true, minify: false },
  logLevel: 'warn',
});
