// The app Tauri embeds (ui/dist) stays small: at most 300 KB gzipped, everything counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { UI } from './harness.mjs';

const LIMIT = 300 * 1024;

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test('ui/dist is at most 300 KB gzipped', () => {
  const dist = join(UI, 'dist');
  assert.ok(existsSync(join(dist, 'index.html')), 'run npm run build first');
  const all = files(dist);
  assert.ok(all.some((f) => f.endsWith('.js')), 'a script was built');
  const total = all.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
  console.log(`ui/dist: ${all.length} files, ${(total / 1024).toFixed(1)} KB gzipped`);
  assert.ok(total <= LIMIT, `${total} bytes gzipped > ${LIMIT}`);
});

test('ui/dist holds no test code (the fake backend stays in .test-dist)', () => {
  const js = files(join(UI, 'dist')).filter((f) => f.endsWith('.js')).map((f) => readFileSync(f, 'utf8')).join('\n');
  assert.ok(!js.includes('__WB_SCENARIO__'), 'fake backend found in dist');
  assert.ok(!js.includes('mockIPC'), 'mockIPC found in dist');
  assert.ok(js.includes('sync_now'), 'the real api is in dist');
});
