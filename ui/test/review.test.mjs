// The send-back loop and the supervisor's queue, against the fake Rust side, in both languages.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appSuite, signedIn, checkScreen, calls, text, tx } from './harness.mjs';

const { open, done } = appSuite();

const LANGS = ['en', 'hi'];

/** A command called as the UI calls it; resolves to the answer or to the error object. */
async function invoke(page, cmd, args) {
  return page.evaluate(([c, a]) => window.__TAURI_INTERNALS__.invoke(c, a).then((ok) => ({ ok }), (err) => ({ err })), [cmd, args]);
}

describe('the supervisor\'s queue', () => {
  for (const lang of LANGS) {
    test(`waiting for my approval: author, work time, photo, decide from the list (${lang})`, async () => {
      const app = await open(signedIn('u-sup', lang));
      const { page } = app;
      // Her Home shows the queue, each record once.
      const homeIds = await page.locator('main [data-testid=record-row]').evaluateAll((rs) => rs.map((r) => r.dataset.recordId));
      assert.equal(new Set(homeIds).size, homeIds.length, `Home lists each record once: ${homeIds}`);
      assert.ok(homeIds.includes('asset-1') && homeIds.includes('trip-flag'), `${homeIds}`);
      await page.click('#review-list');
      const queue = page.locator('[data-testid=queue]');
      await queue.locator('[data-testid=queue-item]').first().waitFor();
      const order = await queue.locator('[data-testid=queue-item]').evaluateAll((rs) => rs.map((r) => r.dataset.recordId));
      // Needs review first (the flagged trip, the inspection in review, the conflicted one), then approvals.
      assert.deepEqual(new Set(order.slice(0, 3)), new Set(['insp-nr', 'trip-flag', 'insp-conf']));
      assert.ok(order.includes('asset-1'), `${order}`);
      assert.ok(!order.includes('insp-draft') && !order.includes('insp-back'), 'drafts and sent-back records are not hers');
      const survey = queue.locator('[data-testid=queue-item][data-record-id="asset-1"]');
      assert.match(await text(survey.locator('[data-testid=queue-by]')), new RegExp(tx(lang, 'queue.by', { name: 'Amandeep Singh', time: 'X' }).split('X')[0]));
      assert.equal(await survey.locator('[data-testid=thumb]').getAttribute('data-state'), 'none');
      const nr = queue.locator('[data-testid=queue-item][data-record-id="insp-nr"]');
      await nr.locator('[data-testid=thumb][data-state=not_here]').waitFor();
      assert.equal(await nr.locator('[data-testid=thumb]').getAttribute('aria-label'), tx(lang, 'photo.not_here', { n: 1 }));
      await checkScreen(page, `20-queue-${lang}`);

      // Send back asks a reason: an empty one is refused on the screen, nothing is sent.
      await nr.locator('[data-action=SENT_BACK]').click();
      const reason = nr.locator('#q-insp-nr-reason');
      await reason.waitFor();
      assert.equal(await nr.locator('[data-testid=reason-box] label').evaluate((l) => l.textContent.trim()), `${tx(lang, 'decision.reason_back')} (${tx(lang, 'form.required')})`);
      await nr.locator('#q-insp-nr-confirm').click();
      await nr.locator('#q-insp-nr-reason-err[data-code=required]').waitFor();
      assert.equal(await reason.getAttribute('aria-invalid'), 'true');
      assert.deepEqual(await calls(page, 'step'), []);
      await checkScreen(page, `21-queue-reason-${lang}`);
      await reason.fill('Photograph the water tap');
      await nr.locator('#q-insp-nr-confirm').click();
      await page.locator('[data-testid=notice]', { hasText: tx(lang, 'queue.decided', { title: 'Toilet block, Patiala Gate', status: tx(lang, 'status.SENT_BACK') }) }).waitFor();
      assert.deepEqual((await calls(page, 'step')).at(-1), { id: 'insp-nr', to: 'SENT_BACK', note: 'Photograph the water tap' });
      await queue.locator('[data-testid=queue-item][data-record-id="insp-nr"]').waitFor({ state: 'detached' });

      // Approve at once; reject only with a reason.
      await survey.locator('[data-action=APPROVED]').click();
      await queue.locator('[data-testid=queue-item][data-record-id="asset-1"]').waitFor({ state: 'detached' });
      assert.deepEqual((await calls(page, 'step')).at(-1), { id: 'asset-1', to: 'APPROVED', note: null });

      // The flagged trip: settled with her note, kept as it is.
      const trip = queue.locator('[data-testid=queue-item][data-record-id="trip-flag"]');
      assert.equal(await trip.locator('[data-action]').count(), 0, 'no step of the table is hers');
      await trip.locator('[data-settle=DISPOSED]').click();
      await trip.locator('#q-trip-flag-reason').fill(lang === 'hi' ? 'प्लांट का GPS गलत था' : 'The plant\'s GPS was off; the operator confirmed');
      await trip.locator('#q-trip-flag-confirm').click();
      await queue.locator('[data-testid=queue-item][data-record-id="trip-flag"]').waitFor({ state: 'detached' });
      assert.equal((await calls(page, 'settle')).at(-1).to, 'DISPOSED');
      await done(app);
    });
  }

  test('the record screen: reject asks a reason, history shows it', async () => {
    const app = await open(signedIn('u-sup', 'en'));
    const { page } = app;
    await page.click('#review-list');
    await page.click('[data-testid=queue-item][data-record-id="asset-1"] [data-testid=record-row]');
    const detail = page.locator('[data-testid=record-detail]');
    await detail.waitFor();
    assert.equal(await text(detail.locator('[data-testid=author]')), 'Amandeep Singh');
    await detail.locator('[data-action=REJECTED]').click();
    await detail.locator('#step-confirm').click();
    await detail.locator('#step-reason-err[data-code=required]').waitFor();
    await detail.locator('#step-reason').fill('Not a municipal streetlight');
    await detail.locator('#step-confirm').click();
    await detail.locator('[data-testid=status][data-status=REJECTED]').waitFor();
    assert.match(await text(detail.locator('[data-testid=sent-back-note]')), /Rejected: Not a municipal streetlight/);
    assert.match(await text(detail.locator('[data-testid=history-step][data-to=REJECTED]')), /Meena Sharma.*Note: Not a municipal streetlight/);
    await done(app);
  });

  test('the fake refuses what the core refuses: a bare send-back, editing what is not yours', async () => {
    const app = await open(signedIn('u-sup', 'en'));
    const { page } = app;
    const bare = await invoke(page, 'step', { id: 'insp-nr', to: 'SENT_BACK', note: '   ' });
    assert.deepEqual([bare.err?.code, bare.err?.fields?.[0]?.field, bare.err?.fields?.[0]?.code], ['invalid', 'note', 'required']);
    const rejected = await invoke(page, 'step', { id: 'asset-1', to: 'REJECTED', note: null });
    assert.equal(rejected.err?.fields?.[0]?.field, 'note');
    const settle = await invoke(page, 'settle', { id: 'trip-flag', to: 'DISPOSED', note: '' });
    assert.equal(settle.err?.fields?.[0]?.field, 'note');
    const edit = await invoke(page, 'edit_inspection', { id: 'insp-back', draft: {} });
    assert.equal(edit.err?.code, 'not_allowed', 'a supervisor does not work as inspector');
    await done(app);
  });
});

describe('sent back to the inspector', () => {
  for (const lang of LANGS) {
    test(`the note on Home and on the record; edit with the answers filled; submit again (${lang})`, async () => {
      const app = await open(signedIn('u-insp', lang));
      const { page } = app;
      const row = page.locator('[data-testid=home-todo] [data-testid=record-row][data-record-id="insp-back"]');
      assert.equal(await text(row.locator('[data-testid=row-note]')), tx(lang, 'row.note', { note: 'Photograph the water tap' }));
      await checkScreen(page, `22-home-sent-back-${lang}`);
      await row.click();
      const detail = page.locator('[data-testid=record-detail]');
      await detail.waitFor();
      assert.equal(await text(detail.locator('[data-testid=sent-back-note]')), tx(lang, 'row.note', { note: 'Photograph the water tap' }));
      assert.equal(await detail.locator('[data-testid=history-step]').count(), 2);
      assert.equal(await text(page.locator('#edit-record')), tx(lang, 'record.edit_again'));
      await page.click('#edit-record');
      // The form, as it was sent: subject and answers filled, the note above it.
      await page.locator('#subject').waitFor();
      assert.equal(await text(page.locator('main h1')), tx(lang, 'inspection.edit_title'));
      assert.equal(await page.inputValue('#subject'), 'Toilet block, Hira Mahal');
      assert.equal(await page.isChecked('#q-water-no'), true);
      assert.equal(await page.inputValue('#q-seats'), '3');
      assert.equal(await text(page.locator('[data-testid=sent-back-note]')), tx(lang, 'row.note', { note: 'Photograph the water tap' }));
      await checkScreen(page, `23-edit-sent-back-${lang}`);
      await page.click('#q-water-yes');
      await page.fill('#q-seats', '4');
      await page.setInputFiles('#photos', { name: 'tap.png', mimeType: 'image/png', buffer: Buffer.from('iVBORw0KGgo=', 'base64') });
      await page.locator('[data-testid=photo]').waitFor();
      assert.equal(await text(page.locator('#save-submit')), tx(lang, 'inspection.resubmit'));
      await page.click('#save-submit');
      await detail.locator('[data-testid=status][data-status=SUBMITTED]').waitFor();
      assert.equal(await text(page.locator('[data-testid=notice]')), `✓ ${tx(lang, 'inspection.resubmitted')}`);
      const sent = (await calls(page, 'edit_inspection')).at(-1);
      assert.equal(sent.id, 'insp-back');
      assert.deepEqual([sent.draft.submit, sent.draft.answers.water, sent.draft.numbers.seats], [true, { type: 'yes_no', value: true }, '4']);
      assert.equal(sent.draft.photos.length, 1);
      assert.deepEqual(await detail.locator('[data-testid=history-step]').evaluateAll((s) => s.map((x) => x.dataset.to)), ['SUBMITTED', 'SENT_BACK', 'SUBMITTED']);
      assert.equal(await page.locator('#edit-record').count(), 0, 'with the supervisor again: no editing');
      await detail.locator('[data-testid=thumb][data-state=shown]').waitFor();
      await done(app);
    });
  }

  test('a draft opens in its form and saves as a draft again', async () => {
    const app = await open(signedIn('u-insp', 'en'));
    const { page } = app;
    await page.click('[data-testid=home-drafts] [data-testid=record-row][data-record-id="insp-draft"]');
    await page.click('#edit-record');
    await page.locator('#subject').waitFor();
    assert.equal(await page.inputValue('#subject'), 'Community toilet block 7');
    await page.fill('#subject', 'Community toilet block 7 (north)');
    await page.click('#save-draft');
    await page.locator('[data-testid=status][data-status=DRAFT]').waitFor();
    assert.equal(await text(page.locator('main h1')), 'Community toilet block 7 (north)');
    assert.equal((await calls(page, 'edit_inspection')).at(-1).draft.submit, false);
    const again = await invoke(page, 'edit_inspection', { id: 'insp-nr', draft: (await calls(page, 'edit_inspection')).at(-1).draft });
    assert.equal(again.err?.code, 'not_editable', 'a submitted inspection stays as it was sent');
    await done(app);
  });
});
