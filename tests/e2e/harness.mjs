// Shared by the end-to-end stories (tests/e2e/*.test.mjs): the real sync server binary with the
// demo town, and one real app window (Tauri, WebKitGTK, under Xvfb) per device, driven through
// WebKitWebDriver. A device is enrolled through its own enroll screen with a code the server's
// admin command printed, and signed in as a demo user through the sign-in screen, exactly as a
// person does it. Each Driver counts the taps and the characters typed after sign-in, so a story
// can assert how much work a job takes; typing into a field counts one tap for reaching it.
//
// scripts/e2e builds the binaries, starts Xvfb and sets APP, SERVER, WEBDRIVER and ARTIFACTS.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, mkdirSync, openSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';

export const APP = resolve(process.env.APP ?? 'target/debug/wardbook-app');
export const SERVER = resolve(process.env.SERVER ?? 'target/debug/wardbook-server');
export const WEBDRIVER = process.env.WEBDRIVER ?? 'WebKitWebDriver';
export const ARTIFACTS = resolve(process.env.ARTIFACTS ?? 'target/e2e-artifacts');
export const TOWN = 'pb.nabha';
export const PIN = '2468';
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** The demo town's users (demo::user_id: fixed ids in the order of Role::ALL). */
export const USERS = {
  inspector: '01900000-0000-7000-8000-000000000001',
  surveyor: '01900000-0000-7000-8000-000000000002',
  collector: '01900000-0000-7000-8000-000000000003',
  sanitation_crew: '01900000-0000-7000-8000-000000000004',
  fstp_operator: '01900000-0000-7000-8000-000000000005',
  supervisor: '01900000-0000-7000-8000-000000000006',
  admin: '01900000-0000-7000-8000-000000000007',
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = net.createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** Polls `check` until it returns something truthy; the last error is in the timeout message. */
export async function waitFor(what, check, ms = 20000) {
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
export class Server {
  constructor(dataDir, port) {
    this.dataDir = dataDir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
  }
  admin(...args) {
    return execFileSync(SERVER, ['--data-dir', this.dataDir, ...args], { encoding: 'utf8' });
  }
  /** A one-time enrollment code for a device of `user`. */
  enrollmentCode(user) {
    const out = this.admin('device', 'enroll', '--tenant', TOWN, '--user', user);
    const code = /enrollment code (\S+)/.exec(out)?.[1];
    assert.ok(code, `the server printed an enrollment code: ${out}`);
    return code;
  }
  /** One query on the server's SQLite file, as text (sqlite3's list mode). */
  sql(query) {
    return execFileSync('sqlite3', [join(this.dataDir, 'wardbook-server.sqlite3'), query], { encoding: 'utf8' }).trim();
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

/**
 * A town for one story: a work directory, the server with the demo town (started), and the
 * devices opened with `town.device(...)`; everything is stopped and removed after the test.
 * `story` names the artifacts folder (ARTIFACTS/<story>/).
 */
export async function openTown(t, story) {
  const work = mkdtempSync(join(tmpdir(), `wardbook-e2e-${story}-`));
  const dir = join(ARTIFACTS, story);
  mkdirSync(dir, { recursive: true });
  const server = new Server(join(work, 'server'), await freePort());
  server.admin('tenant', 'add', TOWN, '--name', 'Nabha', '--demo');
  await server.start();
  const devices = [];
  let shot = 0;
  const town = {
    work,
    server,
    /** Screenshot numbering shared by the story's devices, so the files sort in story order. */
    nextShot: () => String(++shot).padStart(2, '0'),
    dir,
    /** A device of a demo `role`, enrolled and signed in through its screens. */
    async device(role, { name = `${role} phone`, enroll = true } = {}) {
      const driver = await Driver.launch(join(work, `device-${role}-${devices.length}`), town, role);
      devices.push(driver);
      if (enroll) await driver.enrollAndSignIn(server, USERS[role], name);
      return driver;
    },
  };
  t.after(async () => {
    for (const d of devices) {
      await d.screenshot('last').catch(() => {});
      await d.close();
    }
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  });
  return town;
}

/** One app window driven through its own WebKitWebDriver (a W3C WebDriver session over fetch). */
export class Driver {
  constructor(base, town, label, webdriver) {
    this.base = base;
    this.town = town;
    this.label = label;
    this.webdriver = webdriver;
    this.taps = 0;
    this.typed = 0;
  }

  /** Starts WebKitWebDriver for the app binary with the device's data in `dataDir`. */
  static async launch(dataDir, town, label) {
    const port = await freePort();
    // The driver's and the app's output go to a file per device, never to this process's pipes:
    // an app window that outlives its driver must not hold the test runner's output open (the
    // runner waits for it to close before it starts the next story).
    const log = openSync(join(town.dir, `${label}.log`), 'a');
    const webdriver = spawn(WEBDRIVER, [`--port=${port}`], {
      env: { ...process.env, TAURI_WEBVIEW_AUTOMATION: 'true', WARDBOOK_DATA: dataDir },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const driver = new Driver(`http://127.0.0.1:${port}`, town, label, webdriver);
    await waitFor('WebKitWebDriver', async () => (await fetch(`${driver.base}/status`)).ok);
    const value = await driver.cmd('POST', '/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: APP, args: [] } } },
    });
    driver.session = `/session/${value.sessionId}`;
    await driver.cmd('POST', `${driver.session}/timeouts`, { implicit: 10000 });
    return driver;
  }

  async cmd(method, path, body) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${this.label}: ${method} ${path}: ${JSON.stringify(json.value ?? json)}`);
    return json.value;
  }

  /** The enroll screen with a fresh code, then the user's first sign-in (which sets the PIN);
   *  the tap and key counters start at zero on the home screen. */
  async enrollAndSignIn(server, userId, deviceName) {
    await this.type('#enroll-server', server.url);
    await this.type('#enroll-code', server.enrollmentCode(userId));
    await this.type('#enroll-name', deviceName);
    await this.screenshot('enroll');
    await this.click('#enroll-submit');
    await this.click(`[data-user-id="${userId}"]`);
    await this.type('#pin', PIN);
    await this.screenshot('sign-in');
    await this.click('#signin-submit');
    await this.find('[data-testid=sync-bar]');
    await this.screenshot('home');
    this.taps = 0;
    this.typed = 0;
  }

  async find(css) {
    const found = await this.cmd('POST', `${this.session}/element`, { using: 'css selector', value: css });
    if (!found?.[ELEMENT]) throw new Error(`${this.label}: no element ${css}: ${JSON.stringify(found)}`);
    return found[ELEMENT];
  }
  async findAll(css) {
    return (await this.cmd('POST', `${this.session}/elements`, { using: 'css selector', value: css })).map(
      (e) => e[ELEMENT],
    );
  }
  /** Elements matching `css` now, without the implicit wait for one to appear. */
  async count(css) {
    return this.cmd('POST', `${this.session}/execute/sync`, {
      script: 'return document.querySelectorAll(arguments[0]).length',
      args: [css],
    });
  }
  /** A click on the element (WebDriver's element click: the pointer at its centre, hit-tested,
   *  so something lying over the element takes the click instead). One tap. */
  async click(css) {
    await this.cmd('POST', `${this.session}/element/${await this.find(css)}/click`, {});
    this.taps += 1;
  }
  /** Replaces a field's text: one tap to reach the field, then one key per character. The
   *  field is read back: every key typed must be in it (a screen that took the focus away while
   *  keys arrived once lost them, see App.tsx). */
  async type(css, text) {
    const el = await this.find(css);
    await this.cmd('POST', `${this.session}/element/${el}/clear`, {});
    await this.cmd('POST', `${this.session}/element/${el}/value`, { text });
    this.taps += 1;
    this.typed += [...text].length;
    const got = await this.cmd('GET', `${this.session}/element/${await this.find(css)}/property/value`);
    if (got !== null && got !== undefined && got !== text) {
      throw new Error(`${this.label}: ${css} reads ${JSON.stringify(got)} after typing ${JSON.stringify(text)}: keys were lost`);
    }
  }
  /** From Home, a new inspection of the demo checklist filled in as the stories need it: the
   *  subject, every required question (running water yes, the floor `clean`, light yes), the
   *  working seats when given, and the place typed (no GPS under Xvfb). Not submitted. */
  async fillInspection({ subject, clean = false, seats = null, place }) {
    await this.click('#new-inspection');
    await this.type('#subject', subject);
    await this.click('#q-water-yes');
    await this.click(clean ? '#q-clean-yes' : '#q-clean-no');
    if (seats !== null) await this.type('#q-seats', seats);
    await this.click('#q-light-yes');
    await this.click('#loc-manual');
    await this.type('#loc-lat', place[0]);
    await this.type('#loc-lon', place[1]);
  }
  /** Chooses an option of a <select> by its value: one tap to open, one to pick. */
  async select(css, value) {
    // By the option's value property: Preact leaves out the value attribute of an option whose
    // text is its value, so `option[value=...]` would not find it.
    const n = await this.cmd('POST', `${this.session}/execute/sync`, {
      script: 'return [...document.querySelectorAll(arguments[0] + " option")].findIndex((o) => o.value === arguments[1]) + 1',
      args: [css, value],
    });
    if (!n) throw new Error(`${this.label}: ${css} offers no option ${JSON.stringify(value)}`);
    await this.click(`${css} option:nth-of-type(${n})`);
    this.taps += 1;
  }
  /** Gives a file input a file from this machine (a photo taken, an image picked): one tap. */
  async attach(css, path) {
    const el = await this.find(css);
    await this.cmd('POST', `${this.session}/element/${el}/value`, { text: path });
    this.taps += 1;
  }
  async text(css) {
    return this.cmd('GET', `${this.session}/element/${await this.find(css)}/text`);
  }
  async attribute(css, name) {
    return this.cmd('GET', `${this.session}/element/${await this.find(css)}/attribute/${name}`);
  }
  /** A DOM property (e.g. an input's current `value`, which its attribute does not follow). */
  async property(css, name) {
    return this.cmd('GET', `${this.session}/element/${await this.find(css)}/property/${name}`);
  }
  /** Waits until the element's text matches `pattern`; returns the text. */
  async waitText(css, pattern, ms = 20000) {
    return waitFor(`${this.label}: ${css} to read ${pattern}`, async () => {
      const text = await this.text(css);
      return pattern.test(text) ? text : null;
    }, ms);
  }
  /** Presses "Sync now" and waits until the sync is over and nothing waits; returns the sync
   *  bar's message ("Sync finished" or why not). */
  async syncNow(ms = 60000) {
    await this.click('[data-testid=sync-now]');
    return waitFor(`${this.label}: sync to finish with nothing waiting`, async () => {
      const idle = (await this.count('[data-testid=sync-now]:disabled')) === 0;
      const none = (await this.count('[data-testid=waiting-count][data-count="0"]')) === 1;
      const message = (await this.text('[data-testid=sync-message]')).trim();
      return idle && none && message ? message : null;
    }, ms);
  }
  /** A screenshot of the window: ARTIFACTS/<story>/<nn>-<device>-<step>.png. */
  async screenshot(step) {
    const png = await this.cmd('GET', `${this.session}/screenshot`);
    const file = join(this.town.dir, `${this.town.nextShot()}-${this.label}-${step}.png`);
    writeFileSync(file, Buffer.from(png, 'base64'));
    return file;
  }
  /** A PNG of one element (e.g. a QR code another phone will photograph), written to `file`. */
  async elementScreenshot(css, file) {
    const png = await this.cmd('GET', `${this.session}/element/${await this.find(css)}/screenshot`);
    writeFileSync(file, Buffer.from(png, 'base64'));
    return file;
  }
  async close() {
    if (this.session) await this.cmd('DELETE', this.session).catch(() => {});
    this.session = null;
    this.webdriver.kill('SIGTERM');
  }
}
