// The office console in Debian's headless Chromium (playwright-core; never a downloaded
// browser), against the real server that `sync-server/tests/it/office_browser.rs` started and
// filled from real devices. Usage: node today.mjs expected.json (written by that test).
//
// Signs in through the form, reads every figure of Today against the expected ones, follows a
// figure to its list, checks the page at 1280 and 360 px (no sideways scrolling, the inline
// stylesheet applied under the page's own Content-Security-Policy), switches to Hindi,
// approves an inspection from the review queue and reads its record page, runs
// axe-core in both languages (no serious or critical violation) and keeps screenshots.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const expected = JSON.parse(await readFile(process.argv[2], 'utf8'));
// The UI's locked packages: playwright-core and axe-core, pinned in ui/package-lock.json.
const ui = createRequire(join(process.cwd(), 'ui', 'package.json'));
const { chromium } = ui('playwright-core');
const AXE = ui.resolve('axe-core/axe.min.js');
const artifacts = expected.artifacts;
await mkdir(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: expected.chromium,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

/** Every figure on the page: name → number. */
async function figures(page) {
  return page.$$eval('[data-figure]', (els) => Object.fromEntries(els.map((e) => [e.dataset.figure, Number(e.dataset.value)])));
}

/** axe-core: no serious or critical violation. */
async function axe(page, label) {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations);
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  assert.deepEqual(bad, [], `axe (${label}): ${JSON.stringify(bad, null, 1)}`);
}

/** A new browser context signed in through the form; returns the page on Today. */
async function signIn(options) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-IN', ...options });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Failed loads are judged by their responses below: only the first Today (401, the sign-in
  // form) and the browser's own favicon request (404) may fail.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  let signedIn = false;
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    const allowed = path === '/favicon.ico' || (!signedIn && path === '/office' && r.status() === 401);
    if (r.status() >= 400 && !allowed) errors.push(`${r.status()} ${r.url()}`);
  });
  const first = await page.goto(`${expected.url}/office`);
  assert.equal(first.status(), 401, 'without a session Today is the sign-in form');
  await page.fill('#login', expected.login);
  await page.fill('#password', expected.password);
  await Promise.all([page.waitForURL(`${expected.url}/office`), page.click('button[type=submit].primary')]);
  await page.waitForSelector('[data-figure="review"]');
  signedIn = true;
  return { context, page, errors };
}

try {
  // 1. Under the page's own CSP: sign in, the figures, the stylesheet, a wrong password.
  const { context, page, errors } = await signIn({});
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'wb_session');
  assert.ok(session, 'the browser keeps the session cookie');
  assert.deepEqual([session.httpOnly, session.secure, session.sameSite], [true, true, 'Strict']);
  const got = await figures(page);
  for (const [name, value] of Object.entries(expected.figures)) {
    assert.equal(got[name], value, `Today's ${name}`);
  }
  const headerColour = await page.$eval('header', (h) => getComputedStyle(h).backgroundColor);
  assert.equal(headerColour, 'rgb(31, 78, 61)', 'the inline stylesheet applies under the CSP');
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scrolling at 1280 px');
  await page.screenshot({ path: join(artifacts, 'today-en-1280.png'), fullPage: true });

  // A figure links to its list: the submitted inspection.
  await Promise.all([page.waitForURL(/\/office\/records\?/), page.click('[data-figure="inspections_SUBMITTED"]')]);
  const rows = await page.$$eval('[data-record]', (els) => els.map((e) => e.dataset.record));
  assert.deepEqual(rows, [expected.submitted_inspection], 'the SUBMITTED figure lists that inspection');
  await page.screenshot({ path: join(artifacts, 'records-en-1280.png'), fullPage: true });

  // 360 px: everything in one column, nothing wider than the screen.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(`${expected.url}/office`);
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= 360), true, 'no sideways scrolling at 360 px');
  await page.screenshot({ path: join(artifacts, 'today-en-360.png'), fullPage: true });

  // Hindi from the page's own switch, remembered for the next page.
  await page.click('header a[lang="hi"]');
  await page.waitForSelector('html[lang="hi"]');
  // (The age of the review queue's oldest item grows while the test runs.)
  const steady = (f) => Object.fromEntries(Object.entries(f).filter(([k]) => k !== 'review_oldest'));
  assert.deepEqual(steady(await figures(page)), steady(got), 'the same figures in Hindi');
  assert.match(await page.textContent('body'), /आज की रसीदें/);
  await page.screenshot({ path: join(artifacts, 'today-hi-360.png'), fullPage: true });
  await page.goto(`${expected.url}/office/devices?quiet=24`);
  assert.equal(await page.getAttribute('html', 'lang'), 'hi', 'the language cookie keeps Hindi');
  assert.equal((await page.$$('[data-device]')).length, expected.figures.devices_quiet_24h);
  assert.deepEqual(errors, [], 'no error in the console (a CSP refusal would be one)');

  // The review queue: approve the submitted inspection with its box and the decision form.
  await page.goto(`${expected.url}/office/review?lang=en`);
  const queued = await page.$$eval('tr[data-record]', (els) => els.map((e) => e.dataset.record));
  assert.ok(queued.includes(expected.submitted_inspection), `the submitted inspection waits: ${queued}`);
  await page.screenshot({ path: join(artifacts, 'review-en-1280.png'), fullPage: true });
  await page.check(`input[name=record][value="${expected.submitted_inspection}"]`);
  await page.selectOption('#d-to', 'APPROVED');
  await page.fill('#d-note', 'checked at the office');
  await Promise.all([page.waitForURL(/\/office\/review/), page.click('#decide button[type=submit]')]);
  const after = await page.$$eval('tr[data-record]', (els) => els.map((e) => e.dataset.record));
  assert.ok(!after.includes(expected.submitted_inspection), 'approved: it left the queue');
  // Its record page shows the signed step.
  await page.goto(`${expected.url}/office/record/${expected.submitted_inspection}`);
  assert.equal(await page.getAttribute('[data-status]', 'data-status'), 'APPROVED');
  assert.match(await page.textContent('body'), /SUBMITTED → APPROVED ✓ signed/);
  await page.screenshot({ path: join(artifacts, 'record-en-1280.png'), fullPage: true });
  await page.goto(`${expected.url}/office/review?lang=hi`);
  assert.match(await page.textContent('body'), /समीक्षा/);
  await page.screenshot({ path: join(artifacts, 'review-hi-1280.png'), fullPage: true });
  assert.deepEqual(errors, [], 'nothing failed on the review pages');

  // Signing out ends the session.
  await Promise.all([page.waitForURL(/\/office\/sign-in$/), page.click('header form button')]);
  assert.deepEqual(errors, [], 'nothing failed to load');
  const again = await page.goto(`${expected.url}/office`);
  assert.equal(again.status(), 401, 'signed out');
  await context.close();

  // 2. axe-core in both languages and widths (injected, so this context bypasses the CSP).
  const checked = await signIn({ bypassCSP: true });
  for (const [lang, width] of [['en', 1280], ['hi', 1280], ['en', 360], ['hi', 360]]) {
    await checked.page.setViewportSize({ width, height: 800 });
    await checked.page.goto(`${expected.url}/office?lang=${lang}`);
    await axe(checked.page, `Today ${lang} ${width}px`);
    await checked.page.goto(`${expected.url}/office/receipts?lang=${lang}`);
    await axe(checked.page, `receipts ${lang} ${width}px`);
    for (const [name, path] of [['review', '/office/review'], ['record', `/office/record/${expected.submitted_inspection}`], ['devices', '/office/devices']]) {
      await checked.page.goto(`${expected.url}${path}?lang=${lang}`);
      await axe(checked.page, `${name} ${lang} ${width}px`);
    }
  }
  await checked.page.goto(`${expected.url}/office/sign-in?lang=hi`);
  await axe(checked.page, 'sign-in hi');
  await checked.context.close();
  console.log('office browser test: ok');
} finally {
  await browser.close();
}
