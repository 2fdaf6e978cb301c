// The surveyor's day in a window with no GPS (as on this desktop build): one survey with a typed
// point, one with a point picked on the map; both save with the "no GPS accuracy" mark, sync,
// and the server holds both, waiting for approval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openTown } from './harness.mjs';

const en = JSON.parse(readFileSync(new URL('../../ui/src/i18n/en.json', import.meta.url), 'utf8'));

test('a surveyor saves surveys without a GPS fix, typed and picked on the map', { timeout: 240000 }, async (t) => {
  const town = await openTown(t, 'surveyor');
  const surveyor = await town.device('surveyor');

  // A streetlight, its point typed.
  await surveyor.click('#new-asset');
  await surveyor.select('#asset-type', 'STREETLIGHT');
  await surveyor.type('#asset-name', 'SL-114 Bouran Gate');
  await surveyor.click('#condition-GOOD');
  await surveyor.click('#loc-manual');
  await surveyor.type('#loc-lat', '30.3745');
  await surveyor.type('#loc-lon', '76.1462');
  assert.equal(await surveyor.attribute('[data-testid=accuracy]', 'data-warning'), 'accuracy_missing', 'the form marks "no GPS accuracy"');
  await surveyor.screenshot('typed-point');
  await surveyor.click('#asset-save');
  await surveyor.find('[data-testid=record-detail]');
  assert.equal((await surveyor.text('[data-testid=notice]')).replace(/^✓\s*/, ''), en['asset.saved']);
  assert.ok((await surveyor.text('main')).includes(en['warn.accuracy_missing']), 'the saved survey says "no GPS accuracy"');
  await surveyor.screenshot('typed-saved');

  // A drain, its point picked on the offline map (the middle of the town's map).
  await surveyor.click('#go-home');
  await surveyor.click('#new-asset');
  await surveyor.select('#asset-type', 'DRAIN');
  await surveyor.type('#asset-name', 'Drain D-9 Hira Mahal');
  await surveyor.click('#condition-POOR');
  await surveyor.click('#loc-map');
  await surveyor.click('[data-testid=map]');
  await surveyor.find('[data-testid=map-picked]');
  assert.equal(await surveyor.attribute('[data-testid=accuracy]', 'data-warning'), 'accuracy_missing');
  await surveyor.screenshot('map-point');
  await surveyor.click('#asset-save');
  await surveyor.find('[data-testid=record-detail]');
  await surveyor.screenshot('map-saved');

  await surveyor.syncNow();
  await surveyor.screenshot('synced');
  const held = town.server.sql("SELECT title || ' ' || status FROM records WHERE kind = 'asset_survey' ORDER BY title");
  assert.equal(held, 'Drain D-9 Hira Mahal PENDINGFORAPPROVAL\nSL-114 Bouran Gate PENDINGFORAPPROVAL', 'the server holds both surveys');
  console.log(`surveyor: ${surveyor.taps} taps, ${surveyor.typed} characters typed for two surveys`);
});
