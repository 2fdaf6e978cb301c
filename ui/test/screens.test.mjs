// Every screen, filled in as a user would, in English and in Hindi, against the fake Rust side.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, signedIn, checkScreen, axeCheck, shot, calls, text, tx, catalogs as catalogsForTest } from './harness.mjs';

const { open, done } = appSuite();

const LANGS = ['en', 'hi'];

/** The error shown next to an input: its id-err element, and the input points at it. */
async function fieldError(page, inputId) {
  const err = page.locator(`#${inputId}-err`);
  await err.waitFor();
  const input = page.locator(`#${inputId}`);
  assert.equal(await input.getAttribute('aria-invalid'), 'true', `${inputId} aria-invalid`);
  assert.match((await input.getAttribute('aria-describedby')) ?? '', new RegExp(`\\b${inputId}-err\\b`), `${inputId} aria-describedby`);
  return (await text(err)).replace(/^⚠\s*/, '');
}

describe('enroll', () => {
  for (const lang of LANGS) {
    test(`enroll this device, with a wrong code first (${lang})`, async () => {
      const app = await open({ scenario: { enrolled: false, lang: 'en' } });
      const { page } = app;
      if (lang === 'hi') {
        await page.click('#lang-hi');
        await page.waitForFunction(() => document.documentElement.lang === 'hi');
        assert.deepEqual(await calls(page, 'set_language'), [{ lang: 'hi' }]);
      }
      assert.equal(await text(page.locator('main h1')), tx(lang, 'enroll.title'));
      assert.equal(await page.locator('[data-testid=sync-bar]').count(), 0, 'no sync bar before sign-in');
      await page.click('#enroll-submit');
      assert.equal(await fieldError(page, 'enroll-server'), tx(lang, 'ferr.required'));
      assert.equal(await fieldError(page, 'enroll-code'), tx(lang, 'ferr.required'));
      await page.fill('#enroll-server', 'https://wardbook.example.in');
      await page.fill('#enroll-code', '999999');
      await page.fill('#enroll-name', lang === 'hi' ? 'वार्ड 2 फ़ोन' : 'Ward 2 phone');
      await page.click('#enroll-submit');
      await page.locator('#enroll-code-err[data-code=bad_code]').waitFor();
      assert.equal(await fieldError(page, 'enroll-code'), tx(lang, 'ferr.bad_code'));
      assert.equal(await page.locator('#enroll-server-err').count(), 0, 'the server field is fine now');
      await checkScreen(page, `01-enroll-error-${lang}`);
      await page.fill('#enroll-server', 'https://unreachable.example.in');
      await page.fill('#enroll-code', '123456');
      await page.click('#enroll-submit');
      await page.locator('#enroll-server-err[data-code=unreachable]').waitFor();
      assert.equal(await fieldError(page, 'enroll-server'), tx(lang, 'ferr.unreachable'));
      await page.fill('#enroll-server', 'https://wardbook.example.in');
      await page.click('#enroll-submit');
      await page.locator('main h1', { hasText: tx(lang, 'signin.choose') }).waitFor();
      const sent = (await calls(page, 'enroll')).at(-1);
      assert.deepEqual(sent, { server: 'https://wardbook.example.in', code: '123456', deviceName: lang === 'hi' ? 'वार्ड 2 फ़ोन' : 'Ward 2 phone' });
      await done(app);
    });
  }
});

describe('sign in', () => {
  for (const lang of LANGS) {
    test(`choose a user, wrong PIN, then the right one (${lang})`, async () => {
      const app = await open({ scenario: { lang } });
      const { page } = app;
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
      const insp = page.locator('[data-user-id="u-insp"]');
      assert.match(await text(insp), new RegExp(`Harpreet Kaur.*${tx(lang, 'role.inspector')}`));
      assert.match(await text(page.locator('[data-user-id="u-multi"]')), new RegExp(`${tx(lang, 'role.inspector')}, ${tx(lang, 'role.collector')}`));
      await checkScreen(page, `02-signin-users-${lang}`);
      await insp.click();
      await page.fill('#pin', '12');
      await page.click('#signin-submit');
      assert.equal(await fieldError(page, 'pin'), tx(lang, 'ferr.pin_format'));
      await page.fill('#pin', '9999');
      await page.click('#signin-submit');
      await page.locator('#pin-err[data-code=wrong_pin]').waitFor();
      assert.equal(await fieldError(page, 'pin'), tx(lang, 'ferr.wrong_pin'));
      await checkScreen(page, `02-signin-pin-error-${lang}`);
      await page.fill('#pin', '1234');
      await page.click('#signin-submit');
      await page.locator('main h1', { hasText: tx(lang, 'home.hello', { name: 'Harpreet Kaur' }) }).waitFor();
      assert.deepEqual((await calls(page, 'sign_in')).at(-1), { userId: 'u-insp', pin: '1234' });
      await done(app);
    });
  }

  test('first sign-in sets the PIN, and signing out returns to the user list', async () => {
    const app = await open({ scenario: { lang: 'hi' } });
    const { page } = app;
    await page.click('[data-user-id="u-multi"]');
    assert.equal(await text(page.locator('main h1')), tx('hi', 'signin.set_pin_title', { name: 'Pooja Rani' }));
    assert.equal(await text(page.locator('#signin-submit')), tx('hi', 'signin.set_and_sign_in'));
    await page.fill('#pin', '4321');
    await page.click('#signin-submit');
    await page.locator('#new-inspection').waitFor();
    await page.click('#sign-out');
    await page.locator('[data-user-id="u-multi"]').click();
    assert.equal(await text(page.locator('main h1')), tx('hi', 'signin.pin_title', { name: 'Pooja Rani' }));
    await page.fill('#pin', '4321');
    await page.click('#signin-submit');
    await page.locator('#collect-fee').waitFor();
    await done(app);
  });
});

describe('home and sync bar', () => {
  for (const lang of LANGS) {
    test(`home by role, sync bar, sync now, map (${lang})`, async () => {
      const app = await open(signedIn('u-multi', lang, { waiting: 3, photosWaiting: 2, lastSyncAgoMs: 5 * 60_000 }));
      const { page } = app;
      // Inspector + collector: exactly their two actions.
      assert.ok((await text(page.locator('#new-inspection'))).endsWith(tx(lang, 'home.new_inspection')));
      assert.ok((await text(page.locator('#collect-fee'))).endsWith(tx(lang, 'home.collect_fee')));
      for (const absent of ['#new-asset', '#fsm-jobs', '#review-list', '#trips-waiting']) {
        assert.equal(await page.locator(absent).count(), 0, `${absent} is not for this user`);
      }
      const bar = page.locator('[data-testid=sync-bar]');
      assert.equal(await text(bar.locator('[data-testid=waiting-count]')), '3');
      assert.equal(await text(bar.locator('[data-testid=photos-waiting]')), '2');
      assert.match(await text(bar), new RegExp(tx(lang, 'sync.offline')));
      const fiveMinAgo = new Intl.RelativeTimeFormat(lang === 'hi' ? 'hi-IN' : 'en-IN', { numeric: 'auto' }).format(-5, 'minute');
      assert.equal(await text(bar.locator('[data-testid=last-sync]')), tx(lang, 'sync.last', { when: fiveMinAgo }));
      await checkScreen(page, `03-home-${lang}`);
      // Offline: "Sync now" explains, records stay.
      await bar.locator('[data-testid=sync-now]').click();
      await bar.locator('[data-testid=sync-message]', { hasText: tx(lang, 'err.unreachable') }).waitFor();
      assert.equal(await text(bar.locator('[data-testid=waiting-count]')), '3');
      // A connection appears.
      await page.evaluate(() => { window.__wbFake.sync.online = true; });
      await bar.locator('[data-testid=sync-now]').click();
      await bar.locator('[data-testid=sync-message]', { hasText: tx(lang, 'sync.done') }).waitFor();
      assert.equal(await text(bar.locator('[data-testid=waiting-count]')), '0');
      assert.match(await text(bar), new RegExp(tx(lang, 'sync.online')));
      assert.equal(await text(bar.locator('[data-testid=last-sync]')), tx(lang, 'sync.last', { when: tx(lang, 'time.just_now') }));
      // Map of the wards and today's records, drawn offline.
      await page.click('#show-map');
      const map = page.locator('#home-map');
      await map.waitFor();
      assert.equal(await map.getAttribute('role'), 'img');
      assert.equal(await map.getAttribute('aria-label'), tx(lang, 'map.view_label', { wards: 3, points: 1 }));
      assert.equal(await map.locator('[data-ward] polygon').count(), 3);
      assert.equal(await map.locator('[data-point-id="insp-multi"]').count(), 1);
      await checkScreen(page, `03-home-map-${lang}`);
      await done(app);
    });
  }

  test('each role gets its own actions', async () => {
    const expect = {
      'u-insp': ['new-inspection'], 'u-surv': ['new-asset'], 'u-coll': ['collect-fee', 'day-end'], 'u-crew': ['fsm-jobs'],
      'u-fstp': ['trips-waiting'], 'u-sup': ['fsm-jobs', 'review-list'],
    };
    for (const [user, ids] of Object.entries(expect)) {
      const app = await open(signedIn(user, 'en'));
      const got = await app.page.locator('.actions button').evaluateAll((bs) => bs.map((b) => b.id));
      assert.deepEqual(got, ids, user);
      await done(app);
    }
  });
});

describe('inspection', () => {
  for (const lang of LANGS) {
    test(`fill a checklist, errors next to fields, submit (${lang})`, async () => {
      const app = await open({ ...signedIn('u-insp', lang), geo: { latitude: 30.3755, longitude: 76.1355, accuracy: 8 } });
      const { page } = app;
      await page.click('#new-inspection');
      await page.locator('#template').waitFor();
      assert.equal(await text(page.locator('#template option:checked')), tx(lang, 'inspection.template_option', {
        title: lang === 'hi' ? 'सार्वजनिक शौचालय निरीक्षण' : 'Public toilet inspection', version: 1,
      }));
      assert.match(await text(page.locator('fieldset#q-water legend')), new RegExp(lang === 'hi' ? 'क्या पानी उपलब्ध है\\?' : 'Is running water available\\?'));
      assert.match(await text(page.locator('label[for=q-seats]')), new RegExp(lang === 'hi' ? 'चालू सीटें' : 'Working seats'));
      assert.equal(await text(page.locator('#q-smell option[value=mild]')), lang === 'hi' ? 'हल्की' : 'Mild');
      // Nothing filled but a seat count out of range, tapped from the bottom of the form: every
      // problem comes back in one round — the subject, both required answers, the range, and
      // the ward of a place-less record of a two-ward inspector — each beside its field; the
      // box counts them, and the first bad field is scrolled to and focused.
      await page.fill('#q-seats', '१५०');
      await page.locator('#save-submit').scrollIntoViewIfNeeded();
      await page.click('#save-submit');
      await page.locator('#q-seats-err').waitFor();
      assert.equal(await fieldError(page, 'subject'), tx(lang, 'ferr.required'));
      assert.equal(await fieldError(page, 'q-water'), tx(lang, 'ferr.required'));
      assert.equal(await fieldError(page, 'q-clean'), tx(lang, 'ferr.required'));
      assert.equal(await fieldError(page, 'q-seats'), tx(lang, 'ferr.out_of_range'));
      assert.equal(await fieldError(page, 'ward'), tx(lang, 'ferr.required'));
      assert.equal(await text(page.locator('[data-testid=error]')), `⚠ ${tx(lang, 'form.fix_fields', { count: 5 })}`);
      assert.equal((await calls(page, 'save_inspection')).length, 1, 'one round');
      await page.waitForFunction(() => document.activeElement?.id === 'subject');
      assert.ok(await page.locator('#subject').evaluate((e) => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }), 'the first bad field is in view');
      await checkScreen(page, `04-inspection-errors-${lang}`);
      await page.fill('#subject', 'Community toilet, Bouran Gate');
      await page.click('#q-water-yes');
      await page.click('#q-clean-no');
      await page.fill('#q-seats', '४');
      await page.selectOption('#q-smell', 'mild');
      await page.check('#q-facilities-soap');
      await page.check('#q-facilities-ramp');
      await page.fill('#q-remarks', 'Tap leaking');
      await page.setInputFiles('#q-front', { name: 'front.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('fake jpeg bytes') });
      await page.locator('#q-front ~ [data-testid=photo-status]', { hasText: tx(lang, 'photo.count', { count: 1 }) }).waitFor();
      await page.click('#loc-gps');
      await page.locator('[data-testid=accuracy]').waitFor();
      assert.equal(await text(page.locator('[data-testid=accuracy]')), tx(lang, 'loc.accuracy', { metres: 8 }));
      await checkScreen(page, `04-inspection-filled-${lang}`);
      await page.click('#save-submit');
      const detail = page.locator('[data-testid=record-detail]');
      await detail.waitFor();
      assert.equal(await text(page.locator('main h1')), 'Community toilet, Bouran Gate');
      assert.equal(await text(page.locator('[data-testid=notice]')), `✓ ${tx(lang, 'inspection.submitted')}`);
      const badge = detail.locator('[data-testid=badge]').first();
      assert.equal(await badge.getAttribute('data-badge'), 'saved');
      assert.match(await text(badge), new RegExp(tx(lang, 'badge.saved')));
      assert.equal(await text(detail.locator('[data-testid=status]')), tx(lang, 'status.SUBMITTED'));
      const draft = (await calls(page, 'save_inspection')).at(-1).draft;
      assert.equal(draft.submit, true);
      assert.equal(draft.template_code, 'PUBLIC_TOILET');
      assert.deepEqual(draft.location, { lat: 30.3755, lon: 76.1355, accuracy_m: 8 });
      assert.deepEqual(draft.answers.water, { type: 'yes_no', value: true });
      assert.deepEqual(draft.numbers, { seats: '४' }, 'numbers go as typed; the Rust side reads them');
      assert.deepEqual(draft.answers.smell, { type: 'single_choice', value: 'mild' });
      assert.deepEqual(draft.answers.facilities, { type: 'multi_choice', value: ['soap', 'ramp'] });
      assert.deepEqual(draft.answers.remarks, { type: 'text', value: 'Tap leaking' });
      assert.equal(draft.answers.front.type, 'photo');
      assert.equal(draft.answers.front.value.length, 1);
      await checkScreen(page, `04-inspection-saved-${lang}`);
      // The sync bar counts it as waiting.
      await page.locator('[data-testid=waiting-count]:not([data-count="0"])').waitFor();
      await done(app);
    });
  }

  test('save a draft without answering required questions', async () => {
    const app = await open(signedIn('u-insp', 'hi'));
    const { page } = app;
    await page.click('#new-inspection');
    await page.fill('#subject', 'शौचालय ब्लॉक 3');
    // No place: an inspector of two wards says which (a user of one ward is never asked).
    await page.click('#save-draft');
    assert.equal(await fieldError(page, 'ward'), tx('hi', 'ferr.required'));
    await page.selectOption('#ward', 'W02');
    await page.click('#save-draft');
    await page.locator('[data-testid=record-detail]').waitFor();
    assert.equal(await text(page.locator('[data-testid=notice]')), `✓ ${tx('hi', 'inspection.drafted')}`);
    assert.equal(await text(page.locator('[data-testid=status]')), tx('hi', 'status.DRAFT'));
    assert.equal((await calls(page, 'save_inspection')).at(-1).draft.submit, false);
    // The draft can be submitted from the record.
    await page.click('[data-action=SUBMITTED]');
    await page.locator('[data-testid=status][data-status=SUBMITTED]').waitFor();
    assert.equal(await text(page.locator('[data-testid=status]')), tx('hi', 'status.SUBMITTED'));
    await done(app);
  });
});

describe('asset survey', () => {
  for (const lang of LANGS) {
    test(`GPS fails, pick on the map, then typed point: duplicate warning (${lang})`, async () => {
      const app = await open({ ...signedIn('u-surv', lang), geo: 'denied' });
      const { page } = app;
      await page.click('#new-asset');
      await page.locator('#asset-type').waitFor();
      await page.click('#asset-save');
      assert.equal(await fieldError(page, 'asset-type'), tx(lang, 'ferr.required'));
      assert.equal(await fieldError(page, 'asset-name'), tx(lang, 'ferr.required'));
      assert.match(await text(page.locator('#condition-err')), new RegExp(tx(lang, 'ferr.required')));
      await page.selectOption('#asset-type', 'STREETLIGHT');
      assert.equal(await text(page.locator('#asset-type option:checked')), tx(lang, 'asset_type.STREETLIGHT'));
      await page.fill('#asset-name', 'SL-115');
      await page.click(`label[for=condition-POOR]`);
      await page.click('#loc-gps');
      await page.locator('[data-testid=gps-status]', { hasText: tx(lang, 'loc.gps_denied') }).waitFor();
      assert.match(await text(page.locator('[data-testid=gps-status]')), new RegExp(tx(lang, 'loc.gps_fallback')));
      // Pick the middle of ward 2 on the offline map.
      await page.click('#loc-map');
      const ward2 = page.locator('#loc-mapview [data-ward=W02] polygon');
      await ward2.click();
      await page.locator('[data-testid=map-picked]').waitFor();
      const value = await text(page.locator('[data-testid=location-value]'));
      const m = /([0-9.]+)\D+([0-9.]+)/.exec(value);
      assert.ok(Math.abs(Number(m[1]) - 30.375) < 0.001 && Math.abs(Number(m[2]) - 76.145) < 0.001, value);
      assert.equal(await text(page.locator('[data-testid=accuracy]')), `⚠ ${tx(lang, 'loc.accuracy_unknown')}`);
      await checkScreen(page, `05-asset-map-${lang}`);
      // Typed numbers next to an existing streetlight.
      await page.click('#loc-manual');
      await page.fill('#loc-lat', '30.37521');
      await page.fill('#loc-lon', '76.14521');
      await page.setInputFiles('#asset-photo', { name: 'sl.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('another photo') });
      await page.locator('[data-testid=photo]').waitFor();
      await page.click('#asset-save');
      const warnings = page.locator('[data-testid=warnings]');
      await warnings.waitFor();
      assert.equal(await warnings.getAttribute('role'), 'alert');
      assert.equal(await text(warnings.locator('[data-code=possible_duplicate]')), tx(lang, 'warn.possible_duplicate'));
      assert.equal(await text(warnings.locator('[data-code=accuracy_missing]')), tx(lang, 'warn.accuracy_missing'));
      const draft = (await calls(page, 'save_asset')).at(-1).draft;
      assert.deepEqual({ ...draft, photos: draft.photos.length }, {
        asset_type: 'STREETLIGHT', asset_name: 'SL-115', condition: 'POOR', photos: 1,
        location: { lat: '30.37521', lon: '76.14521', accuracy_m: null }, // as typed: the Rust side reads it
      });
      await checkScreen(page, `05-asset-saved-${lang}`);
      await done(app);
    });
  }

  test('the map picks with the keyboard too', async () => {
    const app = await open(signedIn('u-surv', 'en'));
    const { page } = app;
    await page.click('#new-asset');
    await page.click('#loc-map');
    await page.focus('#loc-mapview');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=map-picked]').waitFor();
    assert.match(await text(page.locator('[data-testid=location-value]')), /Lat 30\.3\d+, Lon 76\.1\d+/);
    await done(app);
  });

  test('latitude and longitude typed key by key keep their decimal point', async () => {
    const app = await open(signedIn('u-surv', 'en'));
    const { page } = app;
    await page.click('#new-asset');
    await page.click('#loc-manual');
    await page.locator('#loc-lat').pressSequentially('30.3745');
    await page.locator('#loc-lon').pressSequentially('76.1462');
    assert.equal(await page.inputValue('#loc-lat'), '30.3745');
    assert.equal(await page.inputValue('#loc-lon'), '76.1462');
    assert.match(await text(page.locator('[data-testid=location-value]')), /Lat 30\.37450, Lon 76\.14620/);
    await done(app);
  });

  for (const lang of LANGS) {
    test(`a place picked on the map saves, marked "no GPS accuracy" on the form and the record (${lang})`, async () => {
      const app = await open({ ...signedIn('u-surv', lang), geo: 'denied' });
      const { page } = app;
      await page.click('#new-asset');
      await page.selectOption('#asset-type', 'BIN');
      await page.fill('#asset-name', 'Bin near the tank');
      await page.click('label[for=condition-GOOD]');
      await page.click('#loc-map');
      await page.locator('#loc-mapview [data-ward=W03] polygon').click();
      const mark = page.locator('[data-testid=accuracy][data-warning=accuracy_missing]');
      assert.equal(await text(mark), `⚠ ${tx(lang, 'loc.accuracy_unknown')}`);
      assert.equal(await text(page.locator('[data-testid=accuracy-note]')), tx(lang, 'loc.accuracy_unknown_note'));
      await page.click('#asset-save');
      const detail = page.locator('[data-testid=record-detail]');
      await detail.waitFor();
      assert.equal(await text(page.locator('[data-testid=notice]')), `✓ ${tx(lang, 'asset.saved')}`);
      assert.equal(await text(detail.locator('[data-testid=warning][data-code=accuracy_missing]')), tx(lang, 'warn.accuracy_missing'));
      assert.match(await text(detail.locator('.facts')), new RegExp(tx(lang, 'loc.accuracy_unknown').replace(/[()]/g, '\\$&')));
      assert.equal(await page.locator('[data-testid=error]').count(), 0, 'no error');
      assert.equal((await calls(page, 'save_asset')).at(-1).draft.location.accuracy_m, null);
      await checkScreen(page, `05-asset-no-accuracy-${lang}`);
      await done(app);
    });

    test(`an error on a field the form does not show is spelled out, never a bare count (${lang})`, async () => {
      const app = await open(signedIn('u-surv', lang));
      const { page } = app;
      await page.click('#new-asset');
      await page.selectOption('#asset-type', 'STREETLIGHT');
      await page.fill('#asset-name', 'SL-200');
      await page.click('label[for=condition-GOOD]');
      await page.click('#loc-manual');
      await page.fill('#loc-lat', '30.3752');
      await page.fill('#loc-lon', '76.1352');
      // What the core answered before accuracy became optional: an error on a field with no input.
      await page.evaluate(() => {
        window.__wbFake.failNext = { cmd: 'save_asset', error: { code: 'invalid', message: 'location.accuracy_m: a survey must record the GPS accuracy',
          fields: [{ field: 'location.accuracy_m', code: 'required', message: 'a survey must record the GPS accuracy' }] } };
      });
      await page.click('#asset-save');
      const box = page.locator('[data-testid=error]');
      await box.locator('[data-testid=error-line]').waitFor();
      assert.equal(await text(box.locator('[data-testid=error-line]')), `${tx(lang, 'field.location.accuracy_m')}: ${tx(lang, 'ferr.required')}`);
      assert.doesNotMatch(await text(box), new RegExp(tx(lang, 'form.fix_fields', { count: 1 }).replace(/[().]/g, '\\$&')));
      assert.match(await text(box), new RegExp(tx(lang, 'form.not_saved')));
      // Errors beside visible fields are counted, the hidden one still spelled out.
      await page.evaluate(() => {
        window.__wbFake.failNext = { cmd: 'save_asset', error: { code: 'invalid', message: 'x', fields: [
          { field: 'asset_name', code: 'required', message: 'is required' },
          { field: 'attributes.pole_height', code: 'negative', message: 'must not be negative' }] } };
      });
      await page.click('#asset-save');
      await page.locator('#asset-name-err').waitFor();
      await box.locator('[data-testid=error-line]', { hasText: 'attributes pole height' }).waitFor();
      assert.match(await text(box), new RegExp(tx(lang, 'form.fix_fields', { count: 1 }).replace(/[().]/g, '\\$&')));
      assert.equal(await text(box.locator('[data-testid=error-line]')), `attributes pole height: ${tx(lang, 'ferr.negative')}`);
      await checkScreen(page, `05-asset-hidden-error-${lang}`);
      // Then it saves.
      await page.click('#asset-save');
      await page.locator('[data-testid=record-detail]').waitFor();
      await done(app);
    });
  }
});

describe('submit buttons below a photo field', () => {
  /** Taps the button at its upper-left corner, where the hidden file input used to lie. First:
   *  no file input's box — with what it may paint beyond it (its scroll size: Chromium clips that
   *  part, WebKitGTK does not) — meets any control. */
  async function tapCorner(page, selector) {
    const button = page.locator(selector);
    await button.scrollIntoViewIfNeeded();
    const overlaps = await page.evaluate(() => {
      const out = [];
      const controls = [...document.querySelectorAll('button, input:not([type=file]), select, textarea, label, a')];
      for (const f of document.querySelectorAll('input[type=file]')) {
        const r = f.getBoundingClientRect();
        if (!f.getClientRects().length) continue; // no box at all
        const box = { left: r.left, top: r.top, right: r.left + Math.max(r.width, f.scrollWidth), bottom: r.top + Math.max(r.height, f.scrollHeight) };
        for (const c of controls) {
          const q = c.getBoundingClientRect();
          if (q.width && q.height && q.left < box.right && box.left < q.right && q.top < box.bottom && box.top < q.bottom) out.push(`${f.id} over ${c.id || c.tagName}`);
        }
      }
      return out;
    });
    assert.deepEqual(overlaps, [], 'a file input lies over a control');
    const b = await button.boundingBox();
    const hit = await page.evaluate(([x, y]) => { const e = document.elementFromPoint(x, y); return e?.closest('button')?.id ?? e?.tagName; }, [b.x + 5, b.y + 5]);
    assert.equal(hit, selector.slice(1), `what lies at the corner of ${selector}`);
    await page.mouse.click(b.x + 5, b.y + 5);
  }
  const noChooser = (page) => {
    const opened = [];
    page.on('filechooser', (fc) => opened.push(fc));
    return opened;
  };

  test('asset survey: a tap on the corner of "Save survey" saves, no photo picker', async () => {
    const app = await open(signedIn('u-surv', 'en'));
    const { page } = app;
    const opened = noChooser(page);
    await page.click('#new-asset');
    await page.selectOption('#asset-type', 'DRAIN');
    await page.fill('#asset-name', 'Drain D-12');
    await page.click('label[for=condition-FAIR]');
    await page.click('#loc-manual');
    await page.fill('#loc-lat', '30.3752');
    await page.fill('#loc-lon', '76.1352');
    await tapCorner(page, '#asset-save');
    await page.locator('[data-testid=record-detail]').waitFor();
    assert.equal((await calls(page, 'save_asset')).length, 1);
    assert.equal(opened.length, 0, 'the photo picker did not open');
    await done(app);
  });

  test('inspection: a tap on the corner of Submit and of Save draft submits, no photo picker', async () => {
    const app = await open(signedIn('u-insp', 'en'));
    const { page } = app;
    const opened = noChooser(page);
    await page.click('#new-inspection');
    await tapCorner(page, '#save-submit');
    await page.locator('#subject-err').waitFor();
    await page.fill('#subject', 'Toilet block 9');
    await page.selectOption('#ward', 'W02');
    await tapCorner(page, '#save-draft');
    await page.locator('[data-testid=record-detail]').waitFor();
    assert.equal((await calls(page, 'save_inspection')).at(-1).draft.submit, false);
    assert.equal(opened.length, 0, 'the photo picker did not open');
    await done(app);
  });

  test('pickup and disposal: a tap on the corner of their buttons submits, no photo picker', async () => {
    const crew = await open(signedIn('u-crew', 'en'));
    let opened = noChooser(crew.page);
    await crew.page.click('[data-testid=record-row][data-record-id="job-1"]');
    await crew.page.fill('#trip-volume', '2000');
    await tapCorner(crew.page, '#pickup-submit');
    await crew.page.locator('[data-testid=record-detail][data-record-id^="trip-"]').waitFor();
    assert.equal((await calls(crew.page, 'trip_pickup')).length, 1);
    assert.equal(opened.length, 0);
    await done(crew);

    const plant = await open(signedIn('u-fstp', 'en'));
    opened = noChooser(plant.page);
    await plant.page.click('[data-testid=record-row][data-record-id="trip-1"]');
    await plant.page.fill('#disposal-volume', '2000');
    await plant.page.click('#disposal-loc-manual');
    await plant.page.fill('#disposal-loc-lat', '30.3601');
    await plant.page.fill('#disposal-loc-lon', '76.1602');
    await tapCorner(plant.page, '#disposal-submit');
    await plant.page.locator('[data-testid=status][data-status=DISPOSED]').waitFor();
    assert.equal((await calls(plant.page, 'trip_disposal')).length, 1);
    assert.equal(opened.length, 0);
    await done(plant);
  });
});

describe('fee collection', () => {
  for (const lang of LANGS) {
    test(`fee, preview, confirm, receipt number (${lang})`, async () => {
      const app = await open(signedIn('u-coll', lang));
      const { page } = app;
      await page.click('#collect-fee');
      await page.selectOption('#fee-head', 'WS');
      assert.equal(await page.inputValue('#amount'), '150', 'the head\'s default amount');
      assert.equal(await text(page.locator('#fee-head option:checked')), lang === 'hi' ? 'जल शुल्क' : 'Water charges');
      await page.fill('#amount', '150.555');
      await page.selectOption('#payment-mode', 'CHEQUE');
      await page.click('#fee-preview');
      assert.equal(await fieldError(page, 'amount'), tx(lang, 'ferr.too_many_decimals'));
      assert.equal(await fieldError(page, 'payer'), tx(lang, 'ferr.required'));
      assert.equal(await fieldError(page, 'instrument'), tx(lang, 'ferr.required'));
      await checkScreen(page, `06-fee-errors-${lang}`);
      // Typed as people type it: grouping commas, spaces, Devanagari digits (read by the Rust side).
      const typed = lang === 'hi' ? '१,२००.५०' : ' 1,200.50 ';
      await page.fill('#amount', typed);
      await page.fill('#payer', 'Mohan Lal');
      await page.fill('#mobile', '9876543210');
      await page.fill('#instrument', '004512');
      await page.click('#fee-preview');
      const preview = page.locator('[data-testid=receipt-preview]');
      await preview.waitFor();
      const rupees = new Intl.NumberFormat(lang === 'hi' ? 'hi-IN' : 'en-IN', { style: 'currency', currency: 'INR' }).format(1200.5);
      assert.equal(await text(preview.locator('[data-testid=preview-amount]')), rupees);
      assert.equal(await text(preview.locator('[data-testid=preview-head]')), lang === 'hi' ? 'जल शुल्क' : 'Water charges');
      assert.equal(await text(preview.locator('[data-testid=preview-payer]')), 'Mohan Lal');
      assert.equal(await text(preview.locator('[data-testid=preview-mode]')), tx(lang, 'mode.CHEQUE'));
      assert.equal((await calls(page, 'collect_fee')).length, 0, 'nothing issued before Confirm');
      await checkScreen(page, `06-fee-preview-${lang}`);
      await page.click('#fee-confirm');
      await page.locator('#receipt-number').waitFor();
      assert.equal(await text(page.locator('#receipt-number')), 'NBH/2025-26/D7/000001');
      assert.equal(await text(page.locator('[data-testid=receipt-amount]')), rupees);
      assert.deepEqual((await calls(page, 'collect_fee')).at(-1).draft, {
        fee_head: 'WS', amount: typed.trim(), payment_mode: 'CHEQUE', payer_name: 'Mohan Lal', mobile_number: '9876543210', instrument_number: '004512', ward: null,
      });
      await checkScreen(page, `06-fee-receipt-${lang}`);
      await page.click('#fee-view');
      await page.locator('[data-testid=record-detail] [data-testid=badge][data-badge=saved]').waitFor();
      await done(app);
    });
  }

  test('the fee form comes back with the Rust side\'s field errors', async () => {
    const app = await open(signedIn('u-coll', 'en'));
    const { page } = app;
    await page.click('#collect-fee');
    await page.selectOption('#fee-head', 'PT');
    assert.equal(await page.inputValue('#amount'), '', 'property tax has no default');
    await page.fill('#amount', '99999999999999999999');
    await page.fill('#payer', 'Big Payer');
    await page.click('#fee-preview');
    // The whole draft is checked by the Rust side (check_receipt) before the preview.
    assert.equal(await fieldError(page, 'amount'), tx('en', 'ferr.too_large'));
    assert.equal(await page.locator('[data-testid=receipt-preview]').count(), 0);
    assert.equal((await calls(page, 'check_receipt')).at(-1).draft.amount, '99999999999999999999');
    await page.fill('#amount', '12,50');
    await page.click('#fee-preview');
    await page.locator('#amount-err[data-code=not_a_number]').waitFor();
    assert.equal(await fieldError(page, 'amount'), tx('en', 'ferr.not_a_number'));
    await done(app);
  });
});

describe('day end', () => {
  const rupees = (lang, r) => new Intl.NumberFormat(lang === 'hi' ? 'hi-IN' : 'en-IN', { style: 'currency', currency: 'INR' }).format(r);
  for (const lang of LANGS) {
    test(`collector: totals by mode, handover refused above the cash, reprint, cancellation request (${lang})`, async () => {
      const app = await open(signedIn('u-coll', lang));
      const { page } = app;
      // Two receipts today: ₹1,250 cash and ₹300 UPI.
      for (const [amount, mode, payer] of [['1,250', 'CASH', 'Kamla Devi'], ['300', 'UPI', 'Mohan Lal']]) {
        await page.click('#go-home');
        await page.click('#collect-fee');
        await page.selectOption('#fee-head', 'PT');
        await page.fill('#amount', amount);
        await page.selectOption('#payment-mode', mode);
        await page.fill('#payer', payer);
        await page.click('#fee-preview');
        await page.click('#fee-confirm');
        await page.locator('#receipt-number').waitFor();
      }
      await page.click('#go-home');
      await page.click('#day-end');
      await page.locator('main[data-screen=day-end] [data-testid=dayend-totals]').waitFor();
      const row = (mode) => page.locator(`[data-testid=mode-total][data-mode=${mode}]`);
      assert.equal(await text(row('CASH').locator('[data-testid=mode-count]')), '1');
      assert.equal(await text(row('CASH').locator('[data-testid=mode-amount]')), rupees(lang, 1250));
      assert.equal(await text(row('UPI').locator('[data-testid=mode-amount]')), rupees(lang, 300));
      assert.equal(await text(page.locator('[data-testid=day-total]')), rupees(lang, 1550));
      assert.equal(rupees('en', 1250), '₹1,250.00', 'Indian grouping, two decimals');
      assert.equal(await text(page.locator('[data-testid=cash-expected]')), rupees(lang, 1250));
      assert.equal(await page.inputValue('#handover-amount'), '1250', 'the expected cash is filled in');
      // Yesterday's receipts are listed too; the cancelled one stays, marked, with no cancel button.
      const cancelled = page.locator('[data-testid=receipt-line][data-receipt="NBH/2025-26/D1/000002"]');
      assert.equal(await cancelled.getAttribute('data-cancellation'), 'APPROVED');
      assert.equal(await text(cancelled.locator('[data-testid=cancel-mark]')), tx(lang, 'dayend.cancel_APPROVED'));
      assert.equal(await cancelled.locator('[data-action=cancel]').count(), 0);
      const requested = page.locator('[data-testid=receipt-line][data-receipt="NBH/2025-26/D1/000001"]');
      assert.equal(await text(requested.locator('[data-testid=cancel-mark]')), tx(lang, 'dayend.cancel_REQUESTED'));
      await checkScreen(page, `11-dayend-${lang}`);

      // More than was collected: refused beside the amount (as the core refuses it).
      await page.fill('#handover-amount', '1,250.50');
      await page.click('#handover-submit');
      assert.equal(await fieldError(page, 'handover-amount'), tx(lang, 'ferr.more_than_collected'));
      await page.fill('#handover-amount', '1,200');
      await page.click('#handover-submit');
      assert.equal(await fieldError(page, 'handover-note'), tx(lang, 'ferr.required'));
      await checkScreen(page, `11-dayend-handover-errors-${lang}`);
      await page.fill('#handover-amount', '1,250');
      await page.click('#handover-submit');
      const done1 = page.locator('[data-testid=handover-done]');
      await done1.waitFor();
      assert.equal(await text(done1.locator('[data-testid=handover-expected]')), rupees(lang, 1250));
      assert.equal(await text(done1.locator('[data-testid=handover-amount]')), rupees(lang, 1250));
      assert.equal(await text(done1.locator('[data-testid=handover-state]')), tx(lang, 'dayend.waiting_ack'));
      assert.deepEqual((await calls(page, 'hand_over_cash')).at(-1).draft.amount, '1,250');

      // Reprint: a duplicate, said on screen and on the page to print.
      const upi = page.locator('[data-testid=receipt-line]').filter({ hasText: 'Mohan Lal' }).first();
      await upi.locator('[data-action=reprint]').click();
      const copy = upi.locator('[data-testid=reprint]');
      await copy.waitFor();
      assert.match(await text(copy.locator('[data-testid=duplicate-mark]')), new RegExp(tx(lang, 'dayend.duplicate', { number: 'NBH/2025-26/D7/000002' }).replace(/[/()]/g, '.')));
      assert.match(await copy.locator('iframe').getAttribute('srcdoc'), /DUPLICATE/);
      await checkScreen(page, `11-dayend-reprint-${lang}`);

      // Cancellation: a reason is needed; then the receipt stays in the list, marked requested.
      await upi.locator('[data-action=cancel]').click();
      await upi.locator('[data-action=cancel-send]').click();
      await upi.locator('[data-testid=field-error][data-field=reason]').waitFor();
      assert.equal(await text(upi.locator('[data-testid=field-error]')), `⚠ ${tx(lang, 'ferr.required')}`);
      await upi.locator('textarea').fill('Paid twice, refunded');
      await upi.locator('[data-action=cancel-send]').click();
      await page.locator('[data-testid=notice]', { hasText: tx(lang, 'dayend.cancel_sent') }).waitFor();
      const after = page.locator('[data-testid=receipt-line]').filter({ hasText: 'Mohan Lal' }).first();
      assert.equal(await after.getAttribute('data-cancellation'), 'REQUESTED');
      assert.equal(await after.locator('[data-action=cancel]').count(), 0, 'no second request');
      assert.equal((await calls(page, 'request_cancellation')).at(-1).reason, 'Paid twice, refunded');
      await checkScreen(page, `11-dayend-cancel-${lang}`);
      await done(app);
    });
  }

  test('supervisor: acknowledges a short handover and decides cancellations, a rejection needs a reason', async () => {
    const app = await open(signedIn('u-sup', 'en'));
    const { page } = app;
    await page.click('#review-list');
    const queue = page.locator('[data-testid=cash-queue]');
    const hand = queue.locator('[data-testid=queue-handover][data-id=hand-1]');
    await hand.waitFor();
    assert.equal(await text(hand.locator('[data-testid=queue-handed]')), '₹1,200.00');
    assert.equal(await text(hand.locator('[data-testid=queue-short]')), tx('en', 'cashq.short', { amount: '₹50.00' }));
    const rev = queue.locator('[data-testid=queue-cancellation][data-id=rev-1]');
    assert.equal(await text(rev.locator('[data-testid=queue-reason]')), 'Entered twice');
    await checkScreen(page, '12-cash-queue-en');
    await page.click('#reject-rev-1');
    assert.equal(await fieldError(page, 'decide-note-rev-1'), tx('en', 'ferr.required'));
    await page.click('#approve-rev-1');
    await page.locator('[data-testid=notice]', { hasText: tx('en', 'cashq.approved') }).waitFor();
    await page.click('#ack-hand-1');
    await page.locator('[data-testid=notice]', { hasText: tx('en', 'cashq.acknowledged') }).waitFor();
    await queue.locator('.empty', { hasText: tx('en', 'cashq.none') }).waitFor();
    assert.deepEqual((await calls(page, 'decide_cancellation')).map((c) => c.approve), [false, true]);
    await done(app);
  });

  test('the fake refuses day-end work as the core does', async () => {
    const app = await open(signedIn('u-insp', 'en'));
    const { page } = app;
    const refused = await page.evaluate(async () => {
      const { invoke } = window.__TAURI_INTERNALS__;
      const out = [];
      for (const [cmd, args] of [['day_end', { day: null }], ['hand_over_cash', { draft: { day: '2026-11-25', amount: '1', note: null } }], ['cash_queue', {}]]) {
        try { await invoke(cmd, args); out.push('ok'); } catch (e) { out.push(e.code); }
      }
      return out;
    });
    assert.deepEqual(refused, ['not_allowed', 'not_allowed', 'not_allowed']);
    await done(app);
  });
});

describe('desludging', () => {
  for (const lang of LANGS) {
    test(`crew: accept a job, trip pickup (${lang})`, async () => {
      const app = await open(signedIn('u-crew', lang));
      const { page } = app;
      await page.click('#fsm-jobs');
      const job2 = page.locator('[data-testid=record-row][data-record-id="job-2"]');
      await job2.waitFor();
      assert.match(await text(job2), new RegExp(tx(lang, 'status.PENDING_DSO_APPROVAL')));
      await checkScreen(page, `07-fsm-jobs-${lang}`);
      await job2.click();
      await page.click('[data-action=DSO_INPROGRESS]');
      await page.locator('[data-testid=status][data-status=DSO_INPROGRESS]').waitFor();
      assert.equal(await text(page.locator('[data-testid=notice]')), `✓ ${tx(lang, 'record.moved', { status: tx(lang, 'status.DSO_INPROGRESS') })}`);
      // The job is under way: the pickup form.
      await page.click('#pickup-submit');
      assert.equal(await fieldError(page, 'trip-volume'), tx(lang, 'ferr.required'));
      await page.fill('#trip-volume', '5000');
      await page.click('#pickup-submit');
      await page.locator('#trip-volume-err[data-code=too_large]').waitFor();
      assert.equal(await fieldError(page, 'trip-volume'), tx(lang, 'ferr.too_large'));
      await checkScreen(page, `07-fsm-pickup-${lang}`);
      const litresTyped = lang === 'hi' ? '२,५००' : ' 2,500 ';
      await page.fill('#trip-volume', litresTyped);
      await page.setInputFiles('#pickup-photo', { name: 'tank.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('tank photo') });
      await page.locator('#pickup-photo ~ [data-testid=photo-status]', { hasText: tx(lang, 'photo.count', { count: 1 }) }).waitFor();
      await page.click('#pickup-submit');
      await page.locator('[data-testid=record-detail][data-record-id^="trip-"]').waitFor();
      assert.equal(await text(page.locator('[data-testid=notice]')), `✓ ${tx(lang, 'trip.picked')}`);
      assert.equal(await text(page.locator('[data-testid=status]')), tx(lang, 'status.WAITING_FOR_DISPOSAL'));
      const pick = (await calls(page, 'trip_pickup')).at(-1);
      assert.equal(pick.jobId, 'job-2');
      assert.equal(pick.step.volume_litres, litresTyped.trim(), 'sent as typed, read by the Rust side');
      assert.match(await text(page.locator('main h1')), /2500 L/);
      assert.equal(pick.step.photos.length, 1);
      // Registering a request is the office's work: the crew is not offered it.
      await page.click('#go-home');
      await page.click('#fsm-jobs');
      await page.locator('[data-testid=record-row][data-record-id="job-2"]').waitFor();
      assert.equal(await page.locator('#new-job').count(), 0, 'no "new request" for the crew');
      await done(app);
    });

    test(`supervisor: a new desludging request (${lang})`, async () => {
      const app = await open(signedIn('u-sup', lang));
      const { page } = app;
      await page.click('#fsm-jobs');
      await page.click('#new-job');
      await page.fill('#applicant', 'Jaswant Singh');
      await page.fill('#pit-length', '-2');
      await page.click('#job-save');
      assert.equal(await fieldError(page, 'locality'), tx(lang, 'ferr.required'));
      assert.equal(await fieldError(page, 'pit-length'), tx(lang, 'ferr.negative'));
      await checkScreen(page, `07-fsm-new-job-${lang}`);
      await page.fill('#locality', 'Hira Mahal');
      await page.fill('#pit-length', '२');
      await page.fill('#pit-width', '1.5');
      await page.check('#post-pay');
      await page.click('#job-save');
      await page.locator('[data-testid=record-detail]').waitFor();
      assert.equal(await text(page.locator('[data-testid=status]')), tx(lang, 'status.CREATED'));
      const job = (await calls(page, 'create_fsm_job')).at(-1).draft;
      assert.deepEqual(job, { applicant_name: 'Jaswant Singh', mobile_number: null, locality: 'Hira Mahal', location: null, pit_length: '२', pit_width: '1.5', pit_height: null, post_pay: true }, 'sizes as typed: the Rust side reads them');
      await done(app);
    });

    test(`FSTP operator: disposal outside the plant shows dumping and volume warnings (${lang})`, async () => {
      const app = await open(signedIn('u-fstp', lang));
      const { page } = app;
      await page.click('#trips-waiting');
      const trip = page.locator('[data-testid=record-row][data-record-id="trip-1"]');
      await trip.waitFor();
      await checkScreen(page, `07-fstp-trips-${lang}`);
      await trip.click();
      await page.fill('#disposal-volume', '1500');
      await page.click('#disposal-loc-manual');
      await page.fill('#disposal-loc-lat', '30.40');
      await page.fill('#disposal-loc-lon', '76.20');
      await page.click('#disposal-submit');
      const warnings = page.locator('[data-testid=warnings]');
      await warnings.waitFor();
      assert.equal(await text(warnings.locator('[data-code=possible_illegal_dumping]')), tx(lang, 'warn.possible_illegal_dumping'));
      assert.equal(await text(warnings.locator('[data-code=volume_mismatch]')), tx(lang, 'warn.volume_mismatch'));
      await page.locator('[data-testid=status][data-status=DISPOSED]').waitFor();
      assert.equal(await page.locator('[data-testid=record-detail] [data-testid=badge]').first().getAttribute('data-badge'), 'needs_review');
      assert.equal(await page.locator('#disposal-submit').count(), 0, 'no second disposal');
      // Warnings come first on the screen, right under the title.
      const order = await page.evaluate(() => {
        const w = document.querySelector('[data-testid=warnings]').getBoundingClientRect().top;
        const f = document.querySelector('[data-testid=fields]')?.getBoundingClientRect().top ?? Infinity;
        return w < f;
      });
      assert.ok(order, 'warnings above the details');
      assert.deepEqual((await calls(page, 'trip_disposal')).at(-1), { tripId: 'trip-1', step: { volume_litres: '1500', location: { lat: '30.40', lon: '76.20', accuracy_m: null }, photos: [] } });
      await checkScreen(page, `07-fstp-disposal-${lang}`);
      await done(app);
    });
  }
});

describe('chain of custody at the plant', () => {
  // The fake's "photos" of a screen: PNG magic, then the code (the real decoder is tested in Rust
  // and in tests/e2e/gate.test.mjs); and a file that is not an image at all.
  const photo = (code) => ({ name: 'qr.png', mimeType: 'image/png', buffer: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.from(code ? `WBQR:${code}` : 'blank')]) });
  const notAnImage = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('WBQR:WBC1|trip-1') };
  const plantCode = (page, trip, litres = '2400', key = '0fe7a701') =>
    page.evaluate(([trip, litres, key]) => {
      const fake = window.__wbFake;
      // The crew's signature of the handover trip-1's phone showed (at __wbHandoverAt).
      const crew = fake.sign(['pb.nabha', 'trip-1', 'PB11AB1234', '2000', String(window.__wbHandoverAt)], 'c0ffee01');
      const fields = [trip, litres, String(window.__wbHandoverAt + 60000), 'FSTP-NBH-1'];
      return `WBC1|${fields.join('|')}|${key}|${fake.sign([...fields, crew], key)}`;
    }, [trip, litres, key]);

  for (const lang of LANGS) {
    test(`crew: show the handover QR, scan the plant's QR back, the trip is disposed (${lang})`, async () => {
      const app = await open(signedIn('u-crew', lang));
      const { page } = app;
      await page.click('[data-testid=record-row][data-record-id="trip-1"]');
      await page.click('#show-handover');
      const shown = page.locator('[data-testid=handover-qr]');
      await shown.waitFor();
      assert.equal(await shown.locator('svg').count(), 1, 'a QR code to scan');
      await shown.locator('summary').click();
      const handover = await text(shown.locator('[data-testid=handover-qr-text]'));
      assert.match(handover, /^WBH1\|pb\.nabha\|trip-1\|PB11AB1234\|2000\|/);
      await page.evaluate((at) => { window.__wbHandoverAt = at; }, Number(handover.split('|')[5]));
      await checkScreen(page, `10-custody-crew-${lang}`);

      // The scan is the main way; a bad photo says why, in words, beside the scan button.
      await page.setInputFiles('#scan-countersign', notAnImage);
      await page.locator('#custody-err[data-code=not_an_image]').waitFor();
      assert.equal((await text(page.locator('#custody-err'))).replace(/^⚠\s*/, ''), tx(lang, 'ferr.not_an_image'));
      await page.setInputFiles('#scan-countersign', photo(''));
      await page.locator('#custody-err[data-code=no_code_found]').waitFor();
      assert.equal((await text(page.locator('#custody-err'))).replace(/^⚠\s*/, ''), tx(lang, 'ferr.no_code_found'));

      // One character changed in the operator's code: refused on this phone.
      await page.click('#custody-loc-map');
      await page.locator('[data-testid=map-fstp]').click();
      const good = await plantCode(page, 'trip-1');
      const changed = good.replace('|2400|', '|2900|');
      await page.setInputFiles('#scan-countersign', photo(changed));
      await page.locator('#custody-err[data-code=bad_countersign_signature]').waitFor();
      assert.equal((await text(page.locator('#custody-err'))).replace(/^⚠\s*/, ''), tx(lang, 'ferr.bad_countersign_signature'));
      await page.setInputFiles('#scan-countersign', photo(await plantCode(page, 'trip-1', '2400', 'deadbeef')));
      await page.locator('#custody-err[data-code=unknown_key]').waitFor();
      assert.equal((await text(page.locator('#custody-err'))).replace(/^⚠\s*/, ''), tx(lang, 'ferr.unknown_key'));
      await page.setInputFiles('#scan-countersign', photo(await plantCode(page, 'trip-9')));
      await page.locator('#custody-err[data-code=custody_mismatch]').waitFor();
      await checkScreen(page, `10-custody-crew-refused-${lang}`);

      await page.setInputFiles('#scan-countersign', photo(good));
      await page.locator('[data-testid=notice]', { hasText: tx(lang, 'custody.recorded') }).waitFor();
      await page.locator('[data-testid=status][data-status=DISPOSED]').waitFor();
      const recorded = (await calls(page, 'record_countersigned')).at(-1);
      assert.equal(recorded.code, good);
      assert.equal(recorded.tripId, 'trip-1');
      assert.equal(await page.locator('[data-testid=warnings] [data-code=possible_illegal_dumping]').count(), 0, 'picked at the plant: no dumping warning');
      assert.equal(await page.locator('#scan-countersign-button').count(), 0, 'recorded once');
      await done(app);
    });

    test(`crew: the typed code is the fallback for a broken camera (${lang})`, async () => {
      const app = await open(signedIn('u-crew', lang));
      const { page } = app;
      await page.click('[data-testid=record-row][data-record-id="trip-1"]');
      await page.click('#show-handover');
      const shown = page.locator('[data-testid=handover-qr]');
      await shown.locator('summary').click();
      const handover = await text(shown.locator('[data-testid=handover-qr-text]'));
      await page.evaluate((at) => { window.__wbHandoverAt = at; }, Number(handover.split('|')[5]));
      await page.click('#type-countersign');
      await page.click('#record-countersigned');
      assert.equal(await fieldError(page, 'countersign-code'), tx(lang, 'ferr.required'));
      await page.fill('#countersign-code', await plantCode(page, 'trip-1'));
      await page.click('#record-countersigned');
      await page.locator('#custody-loc-err[data-code=required]').waitFor();
      await page.click('#custody-loc-manual');
      await page.fill('#custody-loc-lat', '30.3601');
      await page.fill('#custody-loc-lon', '76.1602');
      await page.click('#record-countersigned');
      await page.locator('[data-testid=status][data-status=DISPOSED]').waitFor();
      await done(app);
    });

    test(`FSTP operator: scan a crew's QR, checked here, countersign and show a QR back (${lang})`, async () => {
      const app = await open(signedIn('u-fstp', lang));
      const { page } = app;
      await page.click('#trips-waiting');
      await page.locator('#scan-handover-button').waitFor();
      const crew = (litres = '2000', key = 'c0ffee01') => page.evaluate(([litres, key]) => {
        const fields = ['pb.nabha', 'trip-1', 'PB11AB1234', litres, '1767238200000'];
        return `WBH1|${fields.join('|')}|${key}|${window.__wbFake.sign(fields, key)}`;
      }, [litres, key]);
      const code = await crew();

      // One character changed (the litres): refused on the spot, nothing to countersign.
      await page.setInputFiles('#scan-handover', photo(code.replace('|2000|', '|3000|')));
      await page.locator('#custody-err[data-code=bad_handover_signature]').waitFor();
      assert.equal((await text(page.locator('#custody-err'))).replace(/^⚠\s*/, ''), tx(lang, 'ferr.bad_handover_signature'));
      assert.equal(await page.locator('#countersign-submit').count(), 0, 'nothing to countersign');
      // A phone enrolled since this one last synced: a distinct message.
      await page.setInputFiles('#scan-handover', photo(await crew('2000', 'aaaa0001')));
      await page.locator('#custody-err[data-code=unknown_key]').waitFor();
      assert.equal((await text(page.locator('#custody-err'))).replace(/^⚠\s*/, ''), tx(lang, 'ferr.unknown_key'));
      await checkScreen(page, `10-custody-plant-refused-${lang}`);

      await page.setInputFiles('#scan-handover', photo(code));
      const read = page.locator('[data-testid=handover-read]');
      await read.waitFor();
      assert.match(await text(read), /PB11AB1234/);
      assert.match(await text(read), new RegExp(tx(lang, 'custody.checked').replace(/[.()]/g, '\\$&')));
      await page.click('#countersign-submit');
      assert.equal(await fieldError(page, 'countersign-volume'), tx(lang, 'ferr.required'));
      await page.fill('#countersign-volume', '2400');
      // The plant is on the map: picked there, the countersignature names it.
      await page.click('#countersign-loc-map');
      await page.locator('[data-testid=map-fstp]').click();
      await page.click('#countersign-submit');
      const back = page.locator('[data-testid=countersign-qr]');
      await back.waitFor();
      await back.locator('summary').click();
      assert.match(await text(back.locator('[data-testid=countersign-qr-text]')), /^WBC1\|trip-1\|2400\|[0-9]+\|FSTP-NBH-1\|/);
      assert.equal((await calls(page, 'countersign')).at(-1).code, code);
      await checkScreen(page, `10-custody-plant-${lang}`);
      await page.click('#countersign-next');
      await page.locator('#scan-handover-button').waitFor();
      await done(app);
    });

    test(`FSTP operator: type the crew's code when the camera is broken (${lang})`, async () => {
      const app = await open(signedIn('u-fstp', lang));
      const { page } = app;
      await page.click('#trips-waiting');
      await page.click('#type-handover');
      await page.fill('#handover-code', 'not a code');
      await page.click('#check-handover');
      await page.locator('#handover-code-err[data-code=code_unreadable]').waitFor();
      assert.equal(await fieldError(page, 'handover-code'), tx(lang, 'ferr.code_unreadable'));
      const code = await page.evaluate(() => {
        const fields = ['pb.nabha', 'trip-1', 'PB11AB1234', '2000', '1767238200000'];
        return `WBH1|${fields.join('|')}|c0ffee01|${window.__wbFake.sign(fields, 'c0ffee01')}`;
      });
      await page.fill('#handover-code', code);
      await page.click('#check-handover');
      await page.locator('[data-testid=handover-read]').waitFor();
      await done(app);
    });
  }
});

describe('records the server refused', () => {
  for (const lang of LANGS) {
    test(`the reason is on the row and the record, in words (${lang})`, async () => {
      const app = await open(signedIn('u-surv', lang));
      const { page } = app;
      const row = page.locator('[data-testid=home-todo] [data-testid=record-row][data-record-id="asset-rej"]');
      assert.equal(await row.locator('[data-testid=badge]').getAttribute('data-badge'), 'rejected');
      assert.equal(await text(row.locator('[data-testid=rejection]')), `✕ ${tx(lang, 'reject.ward_out_of_scope')}`);
      await checkScreen(page, `11-rejected-home-${lang}`);
      await row.click();
      const box = page.locator('[data-testid=record-detail] [data-testid=rejection][data-code=ward_out_of_scope]');
      await box.waitFor();
      assert.equal(await box.getAttribute('role'), 'alert');
      assert.match(await text(box), new RegExp(tx(lang, 'reject.title')));
      assert.equal(await text(box.locator('[data-testid=rejection-text]')), tx(lang, 'reject.ward_out_of_scope'));
      await checkScreen(page, `11-rejected-record-${lang}`);
      // Corrected and sent again: the form opens with what was refused, saves over it.
      assert.equal(await text(page.locator('#edit-record')), tx(lang, 'record.correct'));
      await page.click('#edit-record');
      assert.equal(await page.inputValue('#asset-name'), 'Drain D-9');
      await page.fill('#asset-name', 'Drain D-9, Hira Mahal');
      await page.click('#asset-save');
      await page.locator('[data-testid=record-detail][data-record-id="asset-rej"]').waitFor();
      assert.equal(await page.locator('[data-testid=record-detail] [data-testid=badge]').first().getAttribute('data-badge'), 'saved');
      assert.equal(await page.locator('[data-testid=record-detail] [data-testid=rejection]').count(), 0, 'the reason is gone with the refused change');
      const edit = (await calls(page, 'edit_asset')).at(-1);
      assert.equal(edit.id, 'asset-rej');
      assert.equal(edit.draft.asset_name, 'Drain D-9, Hira Mahal');
      await done(app);
    });

    test(`a code without a translation shows the server's own sentence (${lang})`, async () => {
      const app = await open(signedIn('u-coll', lang));
      const { page } = app;
      const sentence = 'receipt number NBH/2025-26/D9/000004 is from a block the office withdrew';
      const row = page.locator('[data-testid=record-row][data-record-id="rcpt-rej"]');
      assert.equal(await text(row.locator('[data-testid=rejection]')), `✕ ${sentence}`);
      await row.click();
      assert.equal(await text(page.locator('[data-testid=rejection-text]')), sentence);
      await done(app);
    });
  }

  test('the supervisor\'s review list says why too', async () => {
    const app = await open(signedIn('u-sup', 'hi'));
    const { page } = app;
    await page.click('#review-list');
    const row = page.locator('[data-testid=record-row][data-record-id="asset-rej"]');
    assert.equal(await text(row.locator('[data-testid=rejection]')), `✕ ${tx('hi', 'reject.ward_out_of_scope')}`);
    await done(app);
  });
});

describe('home lists my records whatever their ward', () => {
  for (const lang of LANGS) {
    test(`collector: two receipts wait to be sent, then are sent today (${lang})`, async () => {
      const app = await open(signedIn('u-coll', lang));
      const { page } = app;
      for (const payer of ['Kamla Devi', 'Mohan Lal']) {
        await page.click('#collect-fee');
        await page.selectOption('#fee-head', 'WS');
        await page.fill('#payer', payer);
        await page.click('#fee-preview');
        await page.click('#fee-confirm');
        await page.locator('#receipt-number').waitFor();
        await page.click('#go-home');
      }
      const waiting = page.locator('[data-testid=home-waiting]');
      await waiting.locator('[data-testid=record-row]').first().waitFor();
      assert.equal(await text(waiting.locator('h2')), tx(lang, 'home.waiting', { count: 3 }));
      const ids = await waiting.locator('[data-testid=record-row]').evaluateAll((rs) => rs.map((r) => r.dataset.recordId));
      assert.equal(ids.length, 3, 'the two new receipts and the one from before');
      assert.ok(ids.includes('rcpt-0'));
      assert.equal(await text(page.locator('[data-testid=home-drafts] .empty')), tx(lang, 'home.drafts_empty'));
      assert.equal(await text(page.locator('[data-testid=home-sent-today] .empty')), tx(lang, 'home.sent_today_empty'));
      assert.equal(await page.locator('[data-testid=home-todo] [data-record-id="rcpt-rej"]').count(), 1, 'the refused receipt is work to do');
      await checkScreen(page, `03-home-waiting-${lang}`);
      await page.evaluate(() => { window.__wbFake.sync.online = true; });
      await page.click('[data-testid=sync-now]');
      const sent = page.locator('[data-testid=home-sent-today]');
      await sent.locator('h2', { hasText: tx(lang, 'home.sent_today', { count: 3 }) }).waitFor();
      assert.deepEqual((await sent.locator('[data-testid=record-row]').evaluateAll((rs) => rs.map((r) => r.dataset.recordId))).sort(), [...ids].sort());
      assert.equal(await text(page.locator('[data-testid=home-waiting] h2')), tx(lang, 'home.waiting', { count: 0 }));
      await done(app);
    });
  }

  test('inspector: a draft without a place comes back under Drafts', async () => {
    const app = await open(signedIn('u-insp', 'en'));
    const { page } = app;
    await page.click('#new-inspection');
    await page.fill('#subject', 'Toilet behind the bus stand');
    // Without a place, an inspector of two wards chooses the ward (the server places it there).
    await page.selectOption('#ward', 'W01');
    await page.click('#save-draft');
    await page.locator('[data-testid=record-detail]').waitFor();
    assert.equal((await calls(page, 'save_inspection')).at(-1).draft.location, null);
    assert.equal((await calls(page, 'save_inspection')).at(-1).draft.ward, 'W01');
    await page.click('#go-home');
    const drafts = page.locator('[data-testid=home-drafts]');
    await drafts.locator('[data-testid=record-row]', { hasText: 'Toilet behind the bus stand' }).waitFor();
    assert.match(await text(drafts.locator('[data-testid=record-row]', { hasText: 'Toilet behind the bus stand' })), /Ward 1 Hira Mahal/);
    assert.equal(await drafts.locator('[data-record-id="insp-draft"]').count(), 1, 'the older draft too');
    assert.equal(await page.locator('[data-testid=home-todo] [data-record-id="insp-draft"]').count(), 0, 'listed once');
    await done(app);
  });
});

describe('supervisor review', () => {
  for (const lang of LANGS) {
    test(`conflicts side by side, keep one; needs review and rejected lists (${lang})`, async () => {
      const app = await open(signedIn('u-sup', lang));
      const { page } = app;
      await page.click('#review-list');
      const conflict = page.locator('[data-testid=conflict][data-record-id="insp-conf"]');
      await conflict.waitFor();
      const values = conflict.locator('[data-testid=conflict-value]');
      assert.equal(await values.count(), 2);
      assert.match(await text(values.nth(0)), /^.*Community toilet A .*$/);
      assert.match(await text(values.nth(1)), /Community toilet A \(east block\)/);
      // Side by side: same row on a 360 px screen.
      const [a, b] = [await values.nth(0).boundingBox(), await values.nth(1).boundingBox()];
      assert.ok(Math.abs(a.y - b.y) < 2 && b.x > a.x + a.width - 1, 'the two values sit side by side');
      assert.match(await text(conflict), new RegExp(tx(lang, 'field.subject')));
      const nr = page.locator('[data-testid=record-row][data-record-id="insp-nr"]');
      assert.equal(await nr.locator('[data-testid=badge]').getAttribute('data-badge'), 'needs_review');
      assert.match(await text(nr.locator('[data-testid=badge]')), new RegExp(tx(lang, 'badge.needs_review')));
      const rej = page.locator('[data-testid=record-row][data-record-id="asset-rej"]');
      assert.match(await text(rej.locator('[data-testid=badge]')), new RegExp(tx(lang, 'badge.rejected')));
      assert.equal(await text(page.locator('#conflicts-h')), tx(lang, 'review.conflicts', { count: 1 }));
      await checkScreen(page, `08-review-${lang}`);
      await conflict.locator('[data-testid=keep-value][data-index="1"]').click();
      await page.locator('[data-testid=notice]', { hasText: tx(lang, 'conflict.resolved') }).waitFor();
      await page.locator('#conflicts-h', { hasText: tx(lang, 'review.conflicts', { count: 0 }) }).waitFor();
      assert.equal(await page.locator('[data-testid=conflict]').count(), 0);
      assert.deepEqual((await calls(page, 'resolve_conflict')).at(-1), { recordId: 'insp-conf', field: 'subject', value: '"Community toilet A (east block)"' });
      await done(app);
    });
  }
});

describe('record detail', () => {
  for (const lang of LANGS) {
    test(`fields, status, badge and workflow actions (${lang})`, async () => {
      const app = await open(signedIn('u-sup', lang));
      const { page } = app;
      await page.click('#review-list');
      await page.click('[data-testid=record-row][data-record-id="insp-nr"]');
      const detail = page.locator('[data-testid=record-detail]');
      await detail.waitFor();
      assert.equal(await text(page.locator('main h1')), 'Toilet block, Patiala Gate');
      assert.equal(await text(detail.locator('[data-testid=status]')), tx(lang, 'status.SUBMITTED'));
      assert.match(await text(detail.locator('.facts')), new RegExp(lang === 'hi' ? 'वार्ड 3 पटियाला गेट' : 'Ward 3 Patiala Gate'));
      assert.match(await text(detail.locator('[data-testid=fields]')), new RegExp(`${tx(lang, 'field.subject')} Toilet block, Patiala Gate`));
      // Checklist answers appear under their question, in the screen's language.
      const question = lang === 'hi' ? 'क्या पानी उपलब्ध है?' : 'Is running water available?';
      assert.match(await text(detail.locator('[data-testid=fields]')), new RegExp(`${question.replace('?', '\\?')}\\s+${tx(lang, 'answer.yes')}`));
      const labels = await detail.locator('[data-action]').evaluateAll((bs) => bs.map((b) => [b.dataset.action, b.textContent.trim()]));
      assert.deepEqual(labels, [
        ['APPROVED', tx(lang, 'action.APPROVED')], ['SENT_BACK', tx(lang, 'action.SENT_BACK')], ['REJECTED', tx(lang, 'action.REJECTED')],
      ]);
      await checkScreen(page, `09-record-${lang}`);
      await page.fill('#step-note', 'OK');
      await page.click('[data-action=APPROVED]');
      await page.locator('[data-testid=status][data-status=APPROVED]').waitFor();
      assert.equal(await text(detail.locator('[data-testid=status]')), tx(lang, 'status.APPROVED'));
      assert.equal(await detail.locator('[data-action]').count(), 0, 'no more steps for the supervisor');
      assert.deepEqual((await calls(page, 'step')).at(-1), { id: 'insp-nr', to: 'APPROVED', note: 'OK' });
      await done(app);
    });
  }
});

describe('layout', () => {
  test('no horizontal scrolling at 360 px and touch targets of at least 48 px on every main screen', async () => {
    const screens = [
      ['u-insp', '#new-inspection'], ['u-surv', '#new-asset'], ['u-coll', '#collect-fee'], ['u-coll', '#day-end'], ['u-crew', '#fsm-jobs'], ['u-sup', '#review-list'],
    ];
    for (const [user, button] of screens) {
      for (const lang of LANGS) {
        const app = await open(signedIn(user, lang));
        const { page } = app;
        for (const step of ['home', button]) {
          if (step !== 'home') { await page.click(step); await page.locator('main h1').waitFor(); }
          const r = await page.evaluate(() => {
            const small = [...document.querySelectorAll('button, select, input:not([type=radio]):not([type=checkbox]):not([type=file]), textarea, label.choice, label.photo-label')]
              .filter((el) => el.getClientRects().length)
              .map((el) => ({ id: el.id || el.textContent.trim().slice(0, 20), h: el.getBoundingClientRect().height, w: el.getBoundingClientRect().width }))
              .filter((x) => x.h < 47.5 || x.w < 47.5);
            return { scroll: document.documentElement.scrollWidth, small };
          });
          assert.ok(r.scroll <= 360, `${user} ${step} ${lang}: page is ${r.scroll} px wide`);
          assert.deepEqual(r.small, [], `${user} ${step} ${lang}: small targets`);
        }
        await done(app);
      }
    }
  });

  test('the language switch is on every screen and the html lang follows it', async () => {
    const app = await open(signedIn('u-coll', 'en'));
    const { page } = app;
    await page.click('#collect-fee');
    await page.click('#lang-hi');
    await page.locator('main h1', { hasText: tx('hi', 'fee.title') }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'hi');
    assert.equal(await page.getAttribute('#lang-hi', 'aria-pressed'), 'true');
    assert.match(await text(page.locator('[data-testid=sync-bar]')), new RegExp(tx('hi', 'sync.offline')));
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing kept in localStorage');
    await page.click('#lang-en');
    await page.locator('main h1', { hasText: tx('en', 'fee.title') }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await done(app);
  });
});

describe('focus', () => {
  test('a field reached the moment its screen opens keeps the focus and every key typed into it', async () => {
    const app = await open(signedIn('u-insp', 'en'));
    const { page } = app;
    await page.locator('#new-inspection').waitFor();
    // The tap and the first key in one go, as a fast thumb (or a loaded machine replaying queued
    // input) delivers them: the screen's heading must have taken the focus before the field can.
    const kept = await page.evaluate(async () => {
      document.getElementById('new-inspection').click();
      const field = await new Promise((resolve, reject) => {
        let tries = 0;
        const look = () => {
          const f = document.getElementById('subject');
          if (f) resolve(f);
          else if (++tries > 10000) reject(new Error('no #subject after the tap'));
          else queueMicrotask(look);
        };
        look();
      });
      field.focus();
      // Long enough for everything a render schedules after paint to have run.
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 200)));
      return document.activeElement?.id;
    });
    assert.equal(kept, 'subject', 'the field the user went to still has the focus');
    await page.keyboard.type('Bus stand');
    assert.equal(await page.inputValue('#subject'), 'Bus stand');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'subject');
    await done(app);
  });
});

describe('one round of errors, languages, codes in words, photos as pictures', () => {
  test('a survey saved empty marks every field at once, focuses the first, and a language switch re-words them', async () => {
    const app = await open(signedIn('u-surv', 'en'));
    const { page } = app;
    await page.click('#new-asset');
    await page.locator('#asset-save').scrollIntoViewIfNeeded();
    await page.click('#asset-save');
    await page.locator('#loc-err').waitFor();
    assert.equal((await calls(page, 'save_asset')).length, 1, 'one round: one call');
    for (const id of ['asset-type', 'asset-name']) assert.equal(await fieldError(page, id), tx('en', 'ferr.required'));
    assert.equal(await text(page.locator('#loc-err')), `⚠ ${tx('en', 'ferr.required')}`);
    assert.equal(await page.locator('#loc-fieldset').getAttribute('aria-invalid'), 'true');
    assert.match(await text(page.locator('#condition-err')), new RegExp(tx('en', 'ferr.required')));
    assert.equal(await text(page.locator('[data-testid=error]')), `⚠ ${tx('en', 'form.fix_fields', { count: 4 })}`);
    await page.waitForFunction(() => document.activeElement?.id === 'asset-type');
    // The errors already shown follow the language: they are kept as codes, worded when drawn.
    await page.click('#lang-hi');
    await page.waitForFunction(() => document.documentElement.lang === 'hi');
    assert.equal(await text(page.locator('#asset-name-err')), `⚠ ${tx('hi', 'ferr.required')}`);
    assert.equal(await text(page.locator('[data-testid=error]')), `⚠ ${tx('hi', 'form.fix_fields', { count: 4 })}`);
    await checkScreen(page, '15-errors-after-switch-hi');
    await page.click('#lang-en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal(await text(page.locator('#asset-name-err')), `⚠ ${tx('en', 'ferr.required')}`);
    await done(app);
  });

  test('a typed latitude that is not a number is named on its own box', async () => {
    const app = await open(signedIn('u-surv', 'en'));
    const { page } = app;
    await page.click('#new-asset');
    await page.selectOption('#asset-type', 'DRAIN');
    await page.fill('#asset-name', 'Drain D-4');
    await page.click('label[for=condition-FAIR]');
    await page.click('#loc-manual');
    await page.fill('#loc-lat', '30,37');
    await page.fill('#loc-lon', '200');
    await page.click('#asset-save');
    await page.locator('#loc-lat-err').waitFor();
    assert.equal(await fieldError(page, 'loc-lat'), tx('en', 'ferr.not_a_number'));
    assert.equal(await page.locator('#loc-err').count(), 0, 'not "no place": the box that is wrong');
    await page.fill('#loc-lat', '३०.३७५');
    await page.click('#asset-save');
    await page.locator('#loc-lon-err[data-code=out_of_range]').waitFor();
    assert.equal(await page.locator('#loc-lat-err').count(), 0, 'Devanagari digits are read');
    await done(app);
  });

  for (const lang of LANGS) {
    test(`codes a record holds are shown in words (${lang})`, async () => {
      const app = await open(signedIn('u-surv', lang));
      const { page } = app;
      await page.click('[data-testid=record-row][data-record-id="asset-1"]');
      const fields = page.locator('[data-testid=fields]');
      await fields.waitFor();
      const shown = await text(fields);
      assert.doesNotMatch(shown, /STREETLIGHT|\bGOOD\b/, 'no raw codes');
      assert.match(shown, new RegExp(tx(lang, 'asset_type.STREETLIGHT')));
      assert.match(shown, new RegExp(tx(lang, 'condition.GOOD')));
      await done(app);
    });
  }

  test('a receipt shows its fee head by name and its payment mode in words', async () => {
    const app = await open(signedIn('u-coll', 'hi'));
    const { page } = app;
    await page.click('#collect-fee');
    await page.selectOption('#fee-head', 'PT');
    await page.fill('#amount', '१,२५०');
    await page.fill('#payer', 'कमला देवी');
    await page.selectOption('#payment-mode', 'UPI');
    await page.click('#fee-preview');
    await page.click('#fee-confirm');
    await page.click('#fee-view');
    const fields = page.locator('[data-testid=fields]');
    await fields.waitFor();
    const shown = await text(fields);
    assert.match(shown, /संपत्ति कर/);
    assert.match(shown, new RegExp(tx('hi', 'mode.UPI')));
    assert.doesNotMatch(shown, /\bPT\b/);
    await done(app);
  });

  test('the Hindi review list is not the checklist', () => {
    const { hi } = catalogsForTest;
    assert.notEqual(hi['home.review'], hi['inspection.template']);
    assert.equal(hi['home.review'], 'समीक्षा सूची');
  });

  test('photos show as thumbnails on the form and on the record', async () => {
    const app = await open(signedIn('u-surv', 'en'));
    const { page } = app;
    await page.click('#new-asset');
    // A real JPEG, drawn in the page.
    const jpeg = Buffer.from(await page.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 64; c.height = 48;
      const g = c.getContext('2d');
      g.fillStyle = '#c33'; g.fillRect(0, 0, 64, 48);
      return c.toDataURL('image/jpeg').split(',')[1];
    }), 'base64');
    await page.setInputFiles('#asset-photo', { name: 'pole.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    const thumb = page.locator('.photo-field [data-testid=thumb][data-state=shown]');
    await thumb.waitFor();
    assert.match(await thumb.getAttribute('src'), /^data:image\/jpeg;base64,/);
    assert.ok(await thumb.evaluate((img) => img.complete && img.naturalWidth > 0), 'the picture is drawn');
    assert.equal(await thumb.getAttribute('alt'), tx('en', 'photo.item_n', { n: 1 }));
    assert.equal(await page.locator('.photo-field').getByText(/[0-9a-f]{8}/).count(), 0, 'no hash shown');
    await page.selectOption('#asset-type', 'STREETLIGHT');
    await page.fill('#asset-name', 'SL-9');
    await page.click('label[for=condition-GOOD]');
    await page.click('#loc-map');
    await page.locator('#loc-mapview [data-ward=W01] polygon').click();
    await page.click('#asset-save');
    const onRecord = page.locator('[data-testid=record-detail] [data-testid=thumbnails] [data-testid=thumb][data-state=shown]');
    await onRecord.waitFor();
    assert.ok(await onRecord.evaluate((img) => img.naturalWidth > 0));
    assert.equal((await calls(page, 'photo_thumbnail')).length, 1, 'asked once, then cached');
    await checkScreen(page, '15-record-thumbnail-en');
    await done(app);
  });
});
