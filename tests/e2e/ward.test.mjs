// An inspection with no place, by an inspector of two wards: Submit asks which ward (in one
// round with nothing else wrong), the ward is chosen in its picker, and the server holds the
// inspection in that ward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTown } from './harness.mjs';

test('an inspection without a place is submitted in the ward its inspector chose', { timeout: 240000 }, async (t) => {
  const town = await openTown(t, 'ward');
  const inspector = await town.device('inspector');

  await inspector.click('#new-inspection');
  await inspector.type('#subject', 'Drain, ward office lane');
  await inspector.click('#q-water-yes');
  await inspector.click('#q-clean-yes');
  await inspector.click('#q-light-yes');
  await inspector.click('#save-submit');
  await inspector.find('#ward-err[data-code=required]');
  assert.equal(await inspector.count('[data-testid=record-detail]'), 0, 'nothing saved without a ward');
  await inspector.screenshot('ward-asked');

  await inspector.select('#ward', 'W02');
  await inspector.click('#save-submit');
  await inspector.find('[data-testid=record-detail]');
  await inspector.screenshot('submitted');
  await inspector.syncNow();
  assert.equal(
    town.server.sql("SELECT ward FROM records WHERE kind = 'inspection' AND title LIKE '%ward office lane%'"),
    'W02',
    'the server holds the inspection in the chosen ward',
  );
});
