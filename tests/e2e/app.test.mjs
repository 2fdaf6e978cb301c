// End to end on the real app: the Tauri binary (WebKitGTK) under Xvfb, driven through
// WebKitWebDriver, against the real sync server binary on 127.0.0.1.
//
// The story: enroll this device against a running server, sign in, then stop the server and
// fill in an inspection (saved on the device, waiting), start the server again, press "Sync
// now" and see "on the server". Screenshots of the main screens go to target/e2e-artifacts/.
//
// Run by scripts/e2e, which builds the UI, the app (with the UI embedded) and the server and
// starts Xvfb; this file needs APP, SERVER, WEBDRIVER (the WebKitWebDriver binary) in the
// environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';

const APP = resolve(process.env.APP ?? 'target/debug/wardbook-app');
const SERVER = resolve(process.env.SERVER ?? 'target/debug/wardbook-server');
const WEBDRIVER = process.env.WEBDRIVER ?? 'WebKitWebDriver';
const ARTIFACTS = resolve(process.env.ARTIFACTS ?? 'target/e2e-artifacts');
const TOWN = 'pb.nabha';
// demo::user_id(Role::Inspector): the demo town's users have fixed ids.
const INSPECTOR = '01900000-0000-7000-8000-000000000001';
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((ok, fail) => {
    const srv = net.createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function waitFor(what, check, ms = 20000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** The sync server binary on its own data directory. */
class Server {
  constructor(dataDir, port) {
    this.dataDir = dataDir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
  }
  admin(...args) {
    return execFileSync(SERVER, ['--data-dir', this.dataDir, ...args], { encoding: 'utf8' });
  }
  async start() {
    this.proc = spawn(SERVER, ['--data-dir', this.dataDir, 'serve', '--port', String(this.port)], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await waitFor('the server to answer', async () => (await fetch(`${this.url}/healthz`)).ok);
  }
  async stop() {
    if (!this.proc) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
    this.proc = null;
  }
}

/** A W3C WebDriver session spoken with fetch. */
class Driver {
  constructor(base) {
    this.base = base;
  }
  async cmd(method, path, body) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value ?? json)}`);
    return json.value;
  }
  async start(binary) {
    const value = await this.cmd('POST', '/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary, args: [] } } },
    });
    this.session = `/session/${value.sessionId}`;
    await this.cmd('POST', `${this.session}/timeouts`, { implicit: 10000 });
  }
  async find(css) {
    const found = await this.cmd('POST', `${this.session}/element`, { using: 'css selector', value: css });
    if (!found?.[ELEMENT]) throw new Error(`no element ${css}: ${JSON.stringify(found)}`);
    return found[ELEMENT];
  }
  async findAll(css) {
    return (await this.cmd('POST', `${this.session}/elements`, { using: 'css selector', value: css })).map(
      (e) => e[ELEMENT],
    );
  }
  async click(css) {
    await this.cmd('POST', `${this.session}/element/${await this.find(css)}/click`, {});
  }
  async type(css, text) {
    const el = await this.find(css);
    await this.cmd('POST', `${this.session}/element/${el}/clear`, {});
    await this.cmd('POST', `${this.session}/element/${el}/value`, { text });
  }
  /** Presses Enter in a field (submits its form). */
  async enter(css) {
    await this.cmd('POST', `${this.session}/element/${await this.find(css)}/value`, { text: '\uE007' });
  }
  async text(css) {
    return this.cmd('GET', `${this.session}/element/${await this.find(css)}/text`);
  }
  async attribute(css, name) {
    return this.cmd('GET', `${this.session}/element/${await this.find(css)}/attribute/${name}`);
  }
  async screenshot(name) {
    const png = await this.cmd('GET', `${this.session}/screenshot`);
    writeFileSync(join(ARTIFACTS, `${name}.png`), Buffer.from(png, 'base64'));
  }
  async quit() {
    if (this.session) await this.cmd('DELETE', this.session).catch(() => {});
  }
}

test('enroll, save while the server is down, sync, and see "on the server"', { timeout: 240000 }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'wardbook-e2e-'));
  const server = new Server(join(work, 'server'), await freePort());
  server.admin('tenant', 'add', TOWN, '--name', 'Nabha', '--demo');
  const code = /enrollment code (\S+)/.exec(server.admin('device', 'enroll', '--tenant', TOWN, '--user', INSPECTOR))[1];
  await server.start();

  const wdPort = await freePort();
  const webdriver = spawn(WEBDRIVER, [`--port=${wdPort}`], {
    env: { ...process.env, TAURI_WEBVIEW_AUTOMATION: 'true', WARDBOOK_DATA: join(work, 'device') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const driver = new Driver(`http://127.0.0.1:${wdPort}`);
  t.after(async () => {
    await driver.screenshot('zz-last').catch(() => {});
    await driver.quit();
    webdriver.kill('SIGTERM');
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  });
  await waitFor('WebKitWebDriver', async () => (await fetch(`http://127.0.0.1:${wdPort}/status`)).ok);
  await driver.start(APP);

  // Enroll this device with the one-time code.
  await driver.type('#enroll-server', server.url);
  await driver.type('#enroll-code', code);
  await driver.type('#enroll-name', 'Ward office tablet');
  await driver.screenshot('01-enroll');
  await driver.click('#enroll-submit');

  // Choose the inspector and set a PIN (first sign-in on this device).
  await driver.click(`[data-user-id="${INSPECTOR}"]`);
  await driver.type('#pin', '2468');
  await driver.screenshot('02-sign-in');
  await driver.click('#signin-submit');
  await driver.find('[data-testid=sync-bar]');
  await driver.screenshot('03-home');

  // The server goes away; the inspection is saved on the device all the same.
  await server.stop();
  await driver.click('#new-inspection');
  await driver.type('#subject', 'Community toilet, bus stand');
  await driver.click('#q-water-yes');
  await driver.click('#q-clean-no');
  await driver.type('#q-seats', '6');
  await driver.click('#q-light-yes');
  // The place, typed (no GPS under Xvfb): the inspector works in two wards, and a record with no
  // place in one of them is refused by the server (ward_required).
  await driver.click('#loc-manual');
  await driver.type('#loc-lat', '30.3745');
  await driver.type('#loc-lon', '76.1462');
  await driver.screenshot('04-inspection-form');
  // A click on Submit submits: the photo field's file input is hidden and no longer lies over
  // the button in WebKitGTK (a click here used to open the photo picker).
  await driver.click('#save-submit');
  const badge = await driver.attribute('[data-testid=badge]', 'data-badge');
  assert.ok(['saved', 'waiting'].includes(badge), `saved on the device while offline, badge ${badge}`);
  await driver.screenshot('05-saved-offline');
  await waitFor('the sync bar to count the waiting record', async () =>
    /1/.test(await driver.text('[data-testid=waiting-count]')),
  );

  // The server is back: sync, and the record is on the server.
  await server.start();
  await driver.click('[data-testid=sync-now]');
  await waitFor(
    'the badge "on the server"',
    async () => (await driver.findAll('[data-testid=badge][data-badge=on_server]')).length > 0,
    60000,
  );
  const shown = await driver.text('[data-testid=badge][data-badge=on_server]');
  assert.ok(shown.trim().length > 0, 'the badge has a readable label');
  await driver.screenshot('06-on-server');
  await waitFor('the sync bar to show nothing waiting', async () =>
    /0/.test(await driver.text('[data-testid=waiting-count]')),
  );

  // The server holds the inspection.
  const count = execFileSync(
    'sqlite3',
    [join(server.dataDir, 'wardbook-server.sqlite3'), "SELECT COUNT(*) FROM records WHERE kind = 'inspection' AND title LIKE '%bus stand%'"],
    { encoding: 'utf8' },
  );
  assert.equal(count.trim(), '1', 'the server holds the inspection');
});
