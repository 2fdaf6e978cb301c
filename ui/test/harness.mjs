// Shared by the browser tests: a static server for the test build, one Chromium for all tests,
// a page per test at 360×740 with a scenario for the fake Rust side, axe-core, screenshots.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { extname, join, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const UI = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = join(UI, '.test-dist');
const ARTIFACTS = join(UI, 'test-artifacts');
const AXE = join(UI, 'node_modules', 'axe-core', 'axe.min.js');

export const catalogs = {
  en: JSON.parse(readFileSync(join(UI, 'src/i18n/en.json'), 'utf8')),
  hi: JSON.parse(readFileSync(join(UI, 'src/i18n/hi.json'), 'utf8')),
};

/** The catalog text of `key` in `lang` with `{name}` filled, as the app shows it. */
export function tx(lang, key, params = {}) {
  const s = catalogs[lang][key];
  assert.ok(s !== undefined, `catalog ${lang} lacks ${key}`);
  return s.replace(/\{(\w+)\}/g, (m, n) => (params[n] !== undefined ? String(params[n]) : m));
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

export async function startServer() {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = normalize(join(ROOT, path === '/' ? 'index.html' : path));
    if (!file.startsWith(ROOT)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A fresh page with the app: `scenario` goes to the fake backend (see test-app/fake.ts);
 * `geo` is { latitude, longitude, accuracy } for a GPS fix, 'denied' for a failing GPS.
 */
export async function openApp(browser, url, { scenario = {}, geo = null } = {}) {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 1,
    locale: scenario.lang === 'hi' ? 'hi-IN' : 'en-IN',
    ...(geo && geo !== 'denied' ? { geolocation: geo, permissions: ['geolocation'] } : {}),
  });
  await context.addInitScript((s) => { window.__WB_SCENARIO__ = s; }, scenario);
  if (geo === 'denied') {
    await context.addInitScript(() => {
      const fake = {
        getCurrentPosition: (_ok, err) => setTimeout(() => err({ code: 1, message: 'denied', PERMISSION_DENIED: 1 }), 50),
        watchPosition: () => 0,
        clearWatch: () => undefined,
      };
      Object.defineProperty(Navigator.prototype, 'geolocation', { get: () => fake, configurable: true });
    });
  }
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.locator('main h1').first().waitFor();
  return { page, context, errors };
}

/** axe-core on the current screen: no serious or critical violation. */
export async function axeCheck(page, label) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `axe (${label}): ${JSON.stringify(bad, null, 1)}`);
}

export async function shot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Signed-in screens: check the screen, then screenshot it. */
export async function checkScreen(page, name) {
  await axeCheck(page, name);
  await shot(page, name);
}

export async function calls(page, cmd) {
  return page.evaluate((c) => window.__wbFake.calls.filter((x) => x.cmd === c).map((x) => x.args), cmd);
}

/** The visible text of the element, whitespace collapsed. */
export async function text(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

/** One browser and one app server for a test file (opened before its tests, closed after), and
 *  how its tests open the app and close it again. */
export function appSuite() {
  let browser;
  let srv;
  before(async () => {
    [browser, srv] = await Promise.all([launch(), startServer()]);
  });
  after(async () => {
    await browser?.close();
    srv?.server.close();
  });
  return {
    /** The app in a new browser context, with `opts.scenario` for the fake Rust side. */
    open: async (opts) => {
      const app = await openApp(browser, srv.url, opts);
      app.page.setDefaultTimeout(5000);
      return app;
    },
    /** Closes the app; nothing may have been logged as an error in its console. */
    done: async (app) => {
      assert.deepEqual(app.errors, [], 'no errors in the page console');
      await app.context.close();
    },
  };
}

/** The fake's scenario of a signed-in user. */
export const signedIn = (user, lang, extra = {}) => ({ scenario: { user, lang, ...extra } });
