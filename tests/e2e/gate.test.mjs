// The plant gate, two phones and no network: the desludging crew shows its signed handover as a
// QR code, the plant operator's phone photographs it (here: a PNG of the crew window's QR code,
// WebDriver's element screenshot, given to the operator's camera input), checks the crew's
// signature on the spot, the operator types the litres received and countersigns; the crew's
// phone photographs the operator's QR code back the same way and the trip is DISPOSED. Both
// sync afterwards: the server holds the trip DISPOSED, with no "possible illegal dumping" flag
// (the plant is on the pick-on-map area). At most 12 characters are typed at the gate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openTown, waitFor } from './harness.mjs';

/** A photo of the QR code on `device`'s screen: the code scrolled into view (a person holds the
 *  screen up to the other camera), then a PNG of the screen. (WebDriver's element screenshot,
 *  `GET /session/{id}/element/{el}/screenshot`, is kept as an artifact, but WebKitWebDriver
 *  crops it from the wrong place once the page is scrolled: black where the code should be.) */
async function photoOfCode(device, css, step) {
  await device.cmd('POST', `${device.session}/execute/sync`, {
    script: 'document.querySelector(arguments[0]).scrollIntoView({ block: "center" })',
    args: [css],
  });
  await device.elementScreenshot(css, join(device.town.dir, `${step}-element.png`)).catch(() => {});
  return device.screenshot(step);
}

test('crew and plant operator exchange QR codes at the gate; the trip ends disposed, unflagged', { timeout: 900000 }, async (t) => {
  const town = await openTown(t, 'gate');

  // The office registers a desludging job and hands it to the crew.
  const office = await town.device('supervisor', { name: 'Office desktop' });
  await office.click('#fsm-jobs');
  await office.click('#new-job');
  await office.type('#applicant', 'Gurmeet Kaur');
  await office.type('#locality', 'Bouran Gate');
  await office.click('#loc-manual');
  await office.type('#loc-lat', '30.3745');
  await office.type('#loc-lon', '76.1462');
  await office.click('#job-save');
  await office.find('[data-testid=status][data-status=CREATED]');
  const job = await office.attribute('[data-testid=record-detail]', 'data-record-id');
  for (const to of ['PENDING_APPL_FEE_PAYMENT', 'ASSIGN_DSO', 'PENDING_DSO_APPROVAL']) {
    await office.click(`[data-action=${to}]`);
    await office.find(`[data-testid=status][data-status=${to}]`);
  }
  await office.syncNow();

  // The crew's phone accepts the job and picks up 2,500 litres at the pit.
  const crew = await town.device('sanitation_crew', { name: 'Tanker PB11AB1234 phone' });
  await crew.syncNow();
  await crew.click(`[data-testid=record-row][data-record-id="${job}"]`);
  await crew.click('[data-action=DSO_INPROGRESS]');
  await crew.find('[data-testid=status][data-status=DSO_INPROGRESS]');
  await crew.type('#trip-volume', '2500');
  await crew.click('#pickup-loc-manual');
  await crew.type('#pickup-loc-lat', '30.3745');
  await crew.type('#pickup-loc-lon', '76.1462');
  await crew.click('#pickup-submit');
  await crew.find('[data-testid=status][data-status=WAITING_FOR_DISPOSAL]');
  const trip = await crew.attribute('[data-testid=record-detail]', 'data-record-id');
  await crew.screenshot('picked-up');

  // The plant operator's phone is set up after the crew's; both sync in the morning, so each
  // knows the other's signing key.
  const operator = await town.device('fstp_operator', { name: 'Plant gate phone' });
  await crew.syncNow();
  await operator.syncNow();

  // At the gate: no network.
  await town.server.stop();
  for (const d of [crew, operator]) {
    d.taps = 0;
    d.typed = 0;
  }
  await crew.click('#show-handover');
  await crew.find('[data-testid=handover-qr-image] svg');
  const handoverPng = await photoOfCode(crew, '[data-testid=handover-qr-image] svg', 'gate-handover-qr');

  await operator.click('#trips-waiting');
  await operator.attach('#scan-handover', handoverPng);
  await operator.waitText('[data-testid=handover-read]', /PB11AB1234/);
  await operator.screenshot('gate-handover-read');
  await operator.type('#countersign-volume', '2450');
  await operator.click('#countersign-loc-map');
  await operator.click('#countersign-loc-mapview [data-testid=map-fstp] .plant');
  await operator.screenshot('gate-countersign-form');
  await operator.click('#countersign-submit');
  await operator.find('[data-testid=countersign-qr-image] svg');
  const backPng = await photoOfCode(operator, '[data-testid=countersign-qr-image] svg', 'gate-countersign-qr');

  await crew.click('#custody-loc-map');
  await crew.click('#custody-loc-mapview [data-testid=map-fstp] .plant');
  await crew.attach('#scan-countersign', backPng);
  await crew.find('[data-testid=status][data-status=DISPOSED]');
  await crew.screenshot('gate-disposed');
  assert.equal(await crew.count('[data-testid=warnings] [data-code=possible_illegal_dumping]'), 0, 'at the plant: no dumping warning');

  const typed = crew.typed + operator.typed;
  const taps = crew.taps + operator.taps;
  console.log(`gate: ${typed} characters typed, ${taps} taps (crew ${crew.taps}, operator ${operator.taps})`);
  assert.ok(typed <= 12, `at most 12 characters typed at the gate, typed ${typed}`);

  // Back in network range: both phones sync; the server keeps the trip DISPOSED, unflagged.
  await town.server.start();
  assert.match(await crew.syncNow(), /./);
  await operator.syncNow();
  await waitFor('the server to hold the trip disposed', async () =>
    town.server.sql(`SELECT status FROM records WHERE id = '${trip}'`) === 'DISPOSED',
  );
  assert.equal(town.server.sql(`SELECT COUNT(*) FROM flags WHERE record = '${trip}'`), '0', 'no flag on the trip');
  await crew.find('[data-testid=badge][data-badge=on_server]');
  await crew.find('[data-testid=status][data-status=DISPOSED]');
  await crew.screenshot('synced-disposed');
});
