// How much work the first inspection is: from the inspector's home screen to a submitted
// inspection of the demo checklist (public toilet, newest version), only what is required, in
// the real window. A tap is a click on a button, a choice or a field reached to type in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTown } from './harness.mjs';

/** The most taps a first inspection may take (issue 13: "in ≤ 12 taps from the home screen"). */
const MAX_TAPS = 12;

test(`the first inspection of the demo checklist takes at most ${MAX_TAPS} taps from home`, { timeout: 240000 }, async (t) => {
  const town = await openTown(t, 'taps');
  const inspector = await town.device('inspector');
  assert.equal(inspector.taps, 0, 'counting starts on the home screen');

  // Every required question of the checklist (the newest version is the one offered first) and
  // the place, typed: no GPS in this window, and the inspector works in two wards.
  await inspector.fillInspection({ subject: 'Toilet, bus stand', clean: true, place: ['30.3745', '76.1462'] });
  await inspector.screenshot('filled');
  await inspector.click('#save-submit');
  await inspector.find('[data-testid=badge]');
  await inspector.screenshot('submitted');
  const { taps, typed } = inspector;

  await inspector.syncNow();
  assert.equal(
    town.server.sql("SELECT status FROM records WHERE kind = 'inspection' AND title = 'Toilet, bus stand'"),
    'SUBMITTED',
    'the server holds the submitted inspection',
  );
  writeFileSync(join(town.dir, 'count.json'), JSON.stringify({ taps, typed }, null, 1));
  console.log(`first inspection: ${taps} taps, ${typed} characters typed`);
  assert.ok(taps <= MAX_TAPS, `the first inspection took ${taps} taps; at most ${MAX_TAPS}`);
});
