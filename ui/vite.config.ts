import { defineConfig } from 'vite';

// The app as Tauri embeds it: ui/dist, relative paths, a WebKitGTK-friendly target.
export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { target: 'es2021', outDir: 'dist', emptyOutDir: true },
  server: { port: 1420, strictPort: true },
});
