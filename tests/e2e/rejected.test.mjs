// A record the server refuses: the inspector places an inspection in a ward that is not hers,
// the server says no, and the phone says why in words on Home and on the record; she corrects
// the place in the form and sends it again; the server accepts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openTown, waitFor } from './harness.mjs';

const en = JSON.parse(readFileSync(new URL('../../ui/src/i18n/en.json', import.meta.url), 'utf8'));

test('a refused inspection shows why, is corrected and accepted', { timeout: 240000 }, async (t) => {
  const town = await openTown(t, 'rejected');
  const inspector = await town.device('inspector');

  // Patiala Gate is ward 3: not one of the inspector's wards (1 and 2).
  await inspector.fillInspection({ subject: 'Toilet block, Patiala Gate', place: ['30.385', '76.135'] });
  await inspector.click('#save-submit');
  await inspector.find('[data-testid=record-detail]');
  await inspector.screenshot('submitted');
  await inspector.click('[data-testid=sync-now]');

  // The refusal, in words, on Home first and on the record.
  await inspector.click('#go-home');
  const row = '[data-testid=home-todo] [data-testid=record-row] [data-testid=rejection]';
  const onRow = await inspector.waitText(row, /\S/, 60000);
  assert.equal(onRow.replace(/^✕\s*/, ''), en['reject.ward_out_of_scope'], 'the reason on the Home row');
  await inspector.screenshot('refused-on-home');
  await inspector.click('[data-testid=home-todo] [data-testid=record-row]');
  assert.equal(await inspector.text('[data-testid=rejection-text]'), en['reject.ward_out_of_scope']);
  await inspector.screenshot('refused-record');
  assert.equal(town.server.sql("SELECT COUNT(*) FROM records WHERE title = 'Toilet block, Patiala Gate'"), '0');

  // Corrected: the right place (Bouran Gate, ward 2), sent again.
  assert.equal(await inspector.text('#edit-record'), en['record.correct']);
  await inspector.click('#edit-record');
  assert.equal(await inspector.property('#subject', 'value'), 'Toilet block, Patiala Gate', 'the form holds what was refused');
  await inspector.click('#loc-manual');
  await inspector.type('#loc-lat', '30.3745');
  await inspector.type('#loc-lon', '76.1462');
  await inspector.screenshot('correcting');
  await inspector.click('#save-submit');
  await inspector.find('[data-testid=record-detail]');
  assert.equal(await inspector.count('[data-testid=rejection-text]'), 0, 'the refusal is gone with the refused change');
  await inspector.syncNow();
  await waitFor('the badge "on the server"', async () =>
    (await inspector.count('[data-testid=record-detail] [data-testid=badge][data-badge=on_server]')) > 0, 30000);
  await inspector.screenshot('accepted');
  assert.equal(
    town.server.sql("SELECT ward || ' ' || status FROM records WHERE title = 'Toilet block, Patiala Gate'"),
    'W02 SUBMITTED',
    'the server holds the corrected inspection',
  );
});
