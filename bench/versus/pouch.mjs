// PouchDB's side of the comparison: one run of every phase, the same phases and records as
// `sync-server/benches/versus.rs`.
//
//   node pouch.mjs --data DIR --proxy URL --control URL
//
// Starts pouchdb-server 4.2 as a child process on 127.0.0.1 (LevelDB files in a temporary
// directory), points the proxy at it and syncs PouchDB 9 devices (node's LevelDB adapter,
// leveldown; each device its own directory) with it through the proxy, with PouchDB's default
// replication settings. Prints one JSON line: per phase, the seconds inside this process and
// the proxy's counts.
//
// Docs are the exported records, `_id` = the record's id (the `id` field itself left out, since
// `_id` carries it). Push is `replicate.to`, bootstrap `replicate.from` (one direction, the
// least PouchDB needs); the resyncs and the slow-link phase use `sync` (both directions), as a
// device syncing with its server does.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import PouchDB from 'pouchdb';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name) => {
  const at = args.indexOf(name);
  if (at < 0) throw new Error(`missing ${name}`);
  return args[at + 1];
};
const data = arg('--data');
const proxy = arg('--proxy');
const control = arg('--control');

const ctl = async (p) => (await fetch(`${control}${p}`)).json();
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const lines = (file) =>
  fs
    .readFileSync(path.join(data, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { id, ...rest } = JSON.parse(l);
      return { _id: id, ...rest };
    });
const check = (ok, what) => {
  if (!ok) throw new Error(`check failed: ${what}`);
};

async function startServer(dir) {
  const port = await freePort();
  const bin = path.join(here, 'node_modules', '.bin', 'pouchdb-server');
  const child = spawn(bin, ['--host', '127.0.0.1', '--port', String(port), '--dir', dir, '--config',
    path.join(dir, 'config.json'), '--no-stdout-logs', '--no-color'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 300; i += 1) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`);
      if (r.ok) return { child, port };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('pouchdb-server did not start');
}

async function phase(started) {
  const secs = (performance.now() - started) / 1000;
  return { ...(await ctl('/stats')), secs };
}

async function edit(db, edits) {
  for (const e of edits) {
    const doc = await db.get(e.id);
    doc.body.subject = e.subject;
    await db.put(doc);
  }
}

async function hasEdits(db, edits) {
  for (const e of edits) check((await db.get(e.id)).body.subject === e.subject, `edit of ${e.id}`);
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'versus-pouch-'));
  const serverDir = path.join(work, 'server');
  fs.mkdirSync(serverDir);
  const { child, port } = await startServer(serverDir);
  try {
    await ctl(`/upstream?port=${port}`);
    const records = lines('records.jsonl');
    const fresh = lines('new.jsonl');
    const edits = JSON.parse(fs.readFileSync(path.join(data, 'edits.json'), 'utf8'));
    const out = { side: 'pouchdb', records: records.length, adapter: 'leveldb (leveldown)' };
    // Each device has its own handle on the server's database, as on its own phone.
    const remoteA = new PouchDB(`${proxy}/wardbook`);
    await remoteA.info(); // creates the database
    const remoteB = new PouchDB(`${proxy}/wardbook`);

    // 1. Push.
    const a = new PouchDB(path.join(work, 'device-a'));
    for (let i = 0; i < records.length; i += 1000) await a.bulkDocs(records.slice(i, i + 1000));
    await ctl('/reset');
    let started = performance.now();
    const pushed = await a.replicate.to(remoteA);
    out.push = await phase(started);
    check(pushed.ok && pushed.docs_written === records.length, `pushed ${pushed.docs_written}`);

    // 2. Cold bootstrap.
    const b = new PouchDB(path.join(work, 'device-b'));
    await ctl('/reset');
    started = performance.now();
    const pulled = await b.replicate.from(remoteB);
    out.bootstrap = await phase(started);
    check(pulled.ok && (await b.info()).doc_count === records.length, `pulled ${pulled.docs_written}`);

    // Both devices settle before the resync is measured.
    await a.sync(remoteA);
    await b.sync(remoteB);

    // 3. Resync.
    await edit(a, edits[0]);
    await ctl('/reset');
    started = performance.now();
    await a.sync(remoteA);
    await b.sync(remoteB);
    out.resync = await phase(started);
    await hasEdits(b, edits[0]);

    // 4. Over 64 kbit/s each way with 100 ms per request.
    await ctl('/throttle?rate=8000&latency=100');
    await edit(a, edits[1]);
    await ctl('/reset');
    started = performance.now();
    await a.sync(remoteA);
    await b.sync(remoteB);
    out.slow_resync = await phase(started);
    await hasEdits(b, edits[1]);

    await a.bulkDocs(fresh);
    await ctl('/reset');
    started = performance.now();
    const synced = await a.sync(remoteA);
    out.slow_new = await phase(started);
    check(synced.push.docs_written === fresh.length, `new pushed ${synced.push.docs_written}`);
    await ctl('/throttle?rate=0&latency=0');

    await a.close();
    await b.close();
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill();
    await exited;
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
