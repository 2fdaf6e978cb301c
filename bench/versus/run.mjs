// The orchestrator: exports the records (Rust), starts the one proxy, runs Wardbook and
// PouchDB in turn (W, P, W, P, ...), takes the medians and prints a Markdown table.
//
//   node run.mjs --bin PATH_TO_VERSUS_BINARY [--records 5000] [--runs 3] [--out DIR]
//
// Every run is its own process (a fresh server, fresh device stores); times are measured
// inside the clients. Results (every run, raw) go to DIR/results-N.json.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const at = args.indexOf(name);
  return at < 0 ? fallback : args[at + 1];
};
const bin = opt('--bin');
const tableOf = opt('--table');
const records = Number(opt('--records', '5000'));
const runs = Number(opt('--runs', '3'));
const out = opt('--out') ?? (tableOf ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'versus-')));
if (!bin && !tableOf) throw new Error('--bin PATH (the built versus bench) is required');

function run(cmd, argv, { keep = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}`));
      const last = text.trim().split('\n').pop();
      return resolve(keep ? text : JSON.parse(last));
    });
  });
}

function startProxy() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'proxy.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', (d) => resolve({ child, ports: JSON.parse(String(d).split('\n')[0]) }));
    child.on('error', reject);
  });
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const data = path.join(out, `data-${records}`);
  process.stderr.write(`versus: exporting ${records} records to ${data}\n`);
  const exported = await run(bin, ['export', '--records', String(records), '--out', data]);
  const { child: proxyChild, ports } = await startProxy();
  const proxy = `http://127.0.0.1:${ports.proxy}`;
  const control = `http://127.0.0.1:${ports.control}`;
  const results = { wardbook: [], pouchdb: [] };
  try {
    for (let i = 0; i < runs; i += 1) {
      for (const side of ['wardbook', 'pouchdb']) {
        process.stderr.write(`versus: run ${i + 1}/${runs}, ${side}\n`);
        const started = performance.now();
        const r =
          side === 'wardbook'
            ? await run(bin, ['run', '--data', data, '--proxy', proxy, '--control', control])
            : await run(process.execPath, [path.join(here, 'pouch.mjs'), '--data', data, '--proxy', proxy, '--control', control]);
        process.stderr.write(
          `versus:   push ${r.push.secs.toFixed(2)} s, bootstrap ${r.bootstrap.secs.toFixed(2)} s, ` +
            `resync ${r.resync.requests} req ${r.resync.up + r.resync.down} B (whole run ${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
        );
        results[side].push(r);
        // Kept after every run, so an interrupted series still has its figures
        // (`node run.mjs --table FILE` prints the table of what is there).
        fs.writeFileSync(path.join(out, `results-${records}.json`), JSON.stringify({ exported, results }, null, 1));
      }
    }
  } finally {
    await fetch(`${control}/quit`).catch(() => {});
    proxyChild.kill();
  }
  fs.writeFileSync(path.join(out, `results-${records}.json`), JSON.stringify({ exported, results }, null, 1));
  process.stdout.write(table(exported, results));
}

function table(exported, results) {
  const m = (side, f) => median(results[side].map(f));
  const rows = [];
  const kb = (b) => `${(b / 1000).toFixed(1)} KB`;
  // A figure only one side reports shows as – on the other.
  const s = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} s` : '–');
  const n = (x) => `${Math.round(x)}`;
  // [label, value of a run, format, goal, pass(wardbook, pouchdb)]
  const add = (label, f, fmt, goal = '–', pass) => {
    const w = m('wardbook', f);
    const p = m('pouchdb', f);
    const ratio = w && p ? (p / w).toFixed(2) : '–';
    const verdict = pass ? (pass(w, p) ? 'pass' : '**fail**') : 'info';
    rows.push(`| ${label} | ${fmt(w)} | ${fmt(p)} | ${ratio} | ${goal} | ${verdict} |`);
  };
  const zstd = exported.zstd3_bytes;
  add('1. Push: time', (r) => r.push.secs, s, '≥ 3× faster', (w, p) => p / w >= 3);
  add('1. Push: device CPU', (r) => r.push.device_cpu ?? NaN, s);
  add('1. Push: requests', (r) => r.push.requests, n);
  add('1. Push: bytes up', (r) => r.push.up, kb);
  add('1. Push: bytes down', (r) => r.push.down, kb);
  add('2. Cold bootstrap: time', (r) => r.bootstrap.secs, s, '≥ 3× faster', (w, p) => p / w >= 3);
  add('2. Cold bootstrap: device CPU', (r) => r.bootstrap.device_cpu ?? NaN, s);
  add('2. Cold bootstrap: requests', (r) => r.bootstrap.requests, n);
  add('2. Cold bootstrap: bytes down', (r) => r.bootstrap.down, kb);
  add(
    '2. Cold bootstrap: bytes down / zstd(JSON)',
    (r) => r.bootstrap.down / zstd,
    (x) => x.toFixed(2),
    '≤ 1.3',
    (w) => w <= 1.3,
  );
  add('3. Resync, both devices: requests', (r) => r.resync.requests, n);
  add('3. Resync, both devices: bytes (up + down)', (r) => r.resync.up + r.resync.down, kb, '≤ 3 KB', (w) => w <= 3000);
  add('4a. 64 kbit/s resync, both devices: time', (r) => r.slow_resync.secs, s);
  add('4b. 64 kbit/s, 20 new records: time', (r) => r.slow_new.secs, s);
  add('4b. 64 kbit/s, 20 new records: requests', (r) => r.slow_new.requests, n);
  add('4b. 64 kbit/s, 20 new records: bytes (up + down)', (r) => r.slow_new.up + r.slow_new.down, kb);
  const head = [
    `${exported.records} records; JSON lines ${kb(exported.json_bytes)}, zstd -3 ${kb(zstd)}; ` +
      `medians of ${results.wardbook.length} Wardbook and ${results.pouchdb.length} PouchDB runs, interleaved.`,
    '',
    '| Figure | Wardbook | PouchDB | PouchDB / Wardbook | Goal (Wardbook) | Result |',
    '|---|---:|---:|---:|---|---|',
  ];
  return `${[...head, ...rows].join('\n')}\n`;
}

if (tableOf) {
  const { exported, results } = JSON.parse(fs.readFileSync(tableOf, 'utf8'));
  process.stdout.write(table(exported, results));
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
