// The surveyor's story in the real window, with no GPS (this desktop build never has a fix):
// an asset survey saved with a typed point and another with a point picked on the offline map,
// each marked "no GPS accuracy" on the form and on the saved record; a first tap on Save with
// nothing filled names every missing field at once; then a sync, and the server holds both.
// Every step is clicked (no Enter), with a screenshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTown } from './harness.mjs';

test('a surveyor saves surveys with a typed point and a map pick, without GPS, and syncs them', { timeout: 300000 }, async (t) => {
  const town = await openTown(t, 'surveyor');
  const surveyor = await town.device('surveyor');

  // Save with nothing filled: one round names the type, the name, the condition and the place.
  await surveyor.click('#new-asset');
  await surveyor.click('#asset-save');
  await surveyor.find('#asset-name-err');
  for (const id of ['asset-type', 'asset-name', 'condition', 'loc']) {
    assert.equal(await surveyor.count(`#${id}-err[data-code=required]`), 1, `${id} is marked`);
  }
  assert.match(await surveyor.text('[data-testid=error]'), /4 marked field/);
  await surveyor.screenshot('survey-errors-in-one-round');

  // A typed point.
  await surveyor.select('#asset-type', 'STREETLIGHT');
  await surveyor.type('#asset-name', 'SL-301');
  await surveyor.click('label[for=condition-POOR]');
  await surveyor.click('#loc-manual');
  await surveyor.type('#loc-lat', '30.3745');
  await surveyor.type('#loc-lon', '76.1345');
  const mark = '[data-testid=accuracy][data-warning=accuracy_missing]';
  assert.match(await surveyor.text(mark), /No GPS accuracy/);
  await surveyor.screenshot('typed-point-no-gps-accuracy');
  await surveyor.click('#asset-save');
  await surveyor.find('[data-testid=record-detail]');
  assert.match(await surveyor.text('[data-testid=warning][data-code=accuracy_missing]'), /No GPS accuracy/);
  assert.equal(await surveyor.count('[data-testid=error]'), 0, 'saved, no error');
  await surveyor.screenshot('typed-point-saved');

  // A point picked on the offline map (the middle of ward 2).
  await surveyor.click('#go-home');
  await surveyor.click('#new-asset');
  await surveyor.select('#asset-type', 'BIN');
  await surveyor.type('#asset-name', 'Bin at Bouran Gate');
  await surveyor.click('label[for=condition-GOOD]');
  await surveyor.click('#loc-map');
  await surveyor.click('#loc-mapview [data-ward=W02] polygon');
  await surveyor.find('[data-testid=map-picked]');
  assert.match(await surveyor.text(mark), /No GPS accuracy/);
  await surveyor.screenshot('map-pick-no-gps-accuracy');
  await surveyor.click('#asset-save');
  await surveyor.find('[data-testid=record-detail]');
  assert.match(await surveyor.text('[data-testid=warning][data-code=accuracy_missing]'), /No GPS accuracy/);
  await surveyor.screenshot('map-pick-saved');
  const { taps, typed } = surveyor;

  // Sync: the server holds both, each in the ward of its place.
  assert.match(await surveyor.syncNow(), /Sync finished/);
  await surveyor.screenshot('synced');
  const held = town.server.sql(
    "SELECT title || ' ' || ward || ' ' || status FROM records WHERE kind = 'asset_survey' ORDER BY title",
  );
  assert.equal(held, ['Bin at Bouran Gate W02 PENDINGFORAPPROVAL', 'SL-301 W01 PENDINGFORAPPROVAL'].join('\n'));
  await surveyor.click('#go-home');
  await surveyor.waitText('[data-testid=home-sent-today]', /SL-301/);
  await surveyor.screenshot('home-sent-today');
  console.log(`surveyor: two surveys and a failed first save in ${taps} taps, ${typed} characters typed`);
});
