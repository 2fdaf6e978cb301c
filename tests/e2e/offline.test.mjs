// The inspector's day without a network: enroll this device against a running server, sign in,
// then the server goes away; an inspection is filled in and submitted (saved on the device,
// waiting), the server comes back, "Sync now", and the record shows "on the server".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTown, waitFor } from './harness.mjs';

test('save while the server is down, sync, and see "on the server"', { timeout: 240000 }, async (t) => {
  const town = await openTown(t, 'offline');
  const inspector = await town.device('inspector', { name: 'Ward office tablet' });

  await town.server.stop();
  // The place typed: the inspector works in two wards, and a record with no place in one of them
  // is refused by the server (ward_required).
  await inspector.fillInspection({ subject: 'Community toilet, bus stand', seats: '6', place: ['30.3745', '76.1462'] });
  await inspector.screenshot('inspection-form');
  // A click on Submit submits: the photo field's file input is hidden and no longer lies over
  // the button in WebKitGTK (a click here used to open the photo picker).
  await inspector.click('#save-submit');
  const badge = await inspector.attribute('[data-testid=badge]', 'data-badge');
  assert.ok(['saved', 'waiting'].includes(badge), `saved on the device while offline, badge ${badge}`);
  await inspector.screenshot('saved-offline');
  await waitFor('the sync bar to count the waiting record', async () =>
    (await inspector.attribute('[data-testid=waiting-count]', 'data-count')) === '1',
  );

  await town.server.start();
  await inspector.syncNow();
  await waitFor(
    'the badge "on the server"',
    async () => (await inspector.findAll('[data-testid=badge][data-badge=on_server]')).length > 0,
    60000,
  );
  const shown = await inspector.text('[data-testid=badge][data-badge=on_server]');
  assert.ok(shown.trim().length > 0, 'the badge has a readable label');
  await inspector.screenshot('on-server');
  assert.equal(
    town.server.sql("SELECT COUNT(*) FROM records WHERE kind = 'inspection' AND title LIKE '%bus stand%'"),
    '1',
    'the server holds the inspection',
  );
});
