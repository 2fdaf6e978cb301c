// The send-back loop in two real windows against the real server: the inspector submits one
// inspection without a photo and one with (a PNG given to the file input); the supervisor sees
// both in her queue with their author and the time the work was done, sends one back with a
// note; the inspector sees the note, opens the inspection in its form with its answers, edits
// and submits again; the supervisor approves it from her queue, and the server holds APPROVED.
// Every step by clicking (no Enter), with a screenshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { openTown, waitFor } from './harness.mjs';

/** A small real PNG (RGB gradient), as a phone's gallery would hand one over. */
function png(width, height) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([(x * 4) & 255, (y * 4) & 255, 128], 1 + x * 3);
    rows.push(row);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/** Fills the demo checklist and a typed place, then clicks Submit; returns the record's id. */
async function inspect(inspector, subject, photo) {
  await inspector.click('#go-home');
  await inspector.fillInspection({ subject, seats: '6', place: ['30.3745', '76.1462'] });
  if (photo) {
    await inspector.attach('#photos', photo);
    await inspector.find('[data-testid=photo]');
  }
  await inspector.screenshot(photo ? 'inspection-with-photo' : 'inspection-without-photo');
  await inspector.click('#save-submit');
  await inspector.find('[data-testid=status][data-status=SUBMITTED]');
  return inspector.attribute('[data-testid=record-detail]', 'data-record-id');
}

const item = (id) => `[data-testid=queue-item][data-record-id="${id}"]`;

test('sent back with a note, edited, submitted again and approved from the queue', { timeout: 600000 }, async (t) => {
  const town = await openTown(t, 'review');
  const inspector = await town.device('inspector', { name: 'Inspector phone' });
  const supervisor = await town.device('supervisor', { name: 'Office desktop' });
  const photo = join(town.work, 'tap.png');
  writeFileSync(photo, png(96, 64));

  // The inspector: one inspection without a photo, one with.
  const plain = await inspect(inspector, 'Community toilet, bus stand', null);
  const pictured = await inspect(inspector, 'Toilet block, grain market', photo);
  await inspector.screenshot('submitted');
  await inspector.syncNow();
  await waitFor('the photo to reach the server', async () => (await inspector.count('[data-testid=photos-waiting][data-count="0"]')) === 1, 60000);
  const inspectorTaps = inspector.taps;

  // The supervisor: both wait for her, with author and the time the work was done.
  await supervisor.syncNow();
  await supervisor.click('#review-list');
  for (const id of [plain, pictured]) {
    const by = await supervisor.waitText(`${item(id)} [data-testid=queue-by]`, /Harpreet Kaur/);
    assert.match(by, /^By Harpreet Kaur · work done /);
    const workAt = Number(await supervisor.attribute(item(id), 'data-work-at'));
    const reachedHer = Number(await supervisor.attribute(item(id), 'data-updated-at'));
    assert.ok(workAt > 0 && workAt < reachedHer, `the work's own time (${workAt}) is shown, not when it reached her phone (${reachedHer})`);
    assert.deepEqual(
      (await supervisor.text(`${item(id)} .row-title`)).trim(),
      id === plain ? 'Community toilet, bus stand' : 'Toilet block, grain market',
    );
  }
  assert.equal(await supervisor.attribute(`${item(plain)} [data-testid=thumb]`, 'data-state'), 'none', 'no photo');
  await waitFor('the thumbnail from the server', async () => (await supervisor.count(`${item(pictured)} img[data-testid=thumb][data-state=shown]`)) === 1);
  await supervisor.screenshot('queue');

  // Send back asks a reason: without one nothing is sent.
  await supervisor.click(`${item(plain)} [data-action=SENT_BACK]`);
  await supervisor.click(`#q-${plain}-confirm`);
  await supervisor.find(`#q-${plain}-reason-err[data-code=required]`);
  await supervisor.screenshot('reason-required');
  await supervisor.type(`#q-${plain}-reason`, 'Photograph the water tap');
  await supervisor.click(`#q-${plain}-confirm`);
  await waitFor('the sent-back record to leave her queue', async () => (await supervisor.count(item(plain))) === 0);
  await supervisor.screenshot('sent-back');
  await supervisor.syncNow();

  // The inspector: the note on Home and on the record; the form opens with the answers.
  await inspector.syncNow();
  await inspector.click('#go-home');
  const row = `[data-testid=home-todo] [data-testid=record-row][data-record-id="${plain}"]`;
  assert.equal(await inspector.waitText(`${row} [data-testid=row-note]`, /Sent back/), 'Sent back: Photograph the water tap');
  await inspector.screenshot('home-sent-back');
  await inspector.click(row);
  assert.equal(await inspector.text('[data-testid=sent-back-note]'), 'Sent back: Photograph the water tap');
  await inspector.screenshot('record-sent-back');
  await inspector.click('#edit-record');
  await inspector.find('#subject');
  assert.equal(await inspector.cmd('POST', `${inspector.session}/execute/sync`, { script: 'return document.querySelector("#subject").value', args: [] }), 'Community toilet, bus stand');
  assert.equal(await inspector.count('#q-water-yes:checked'), 1, 'the answers as they were sent');
  assert.equal(await inspector.count('#q-clean-no:checked'), 1);
  await inspector.click('#q-clean-yes');
  await inspector.attach('#photos', photo);
  await inspector.find('[data-testid=photo]');
  await inspector.screenshot('edited');
  await inspector.click('#save-submit');
  await inspector.find('[data-testid=status][data-status=SUBMITTED]');
  const steps = await inspector.cmd('POST', `${inspector.session}/execute/sync`, {
    script: 'return [...document.querySelectorAll("[data-testid=history-step]")].map((s) => s.dataset.to)',
    args: [],
  });
  assert.deepEqual(steps, ['SUBMITTED', 'SENT_BACK', 'SUBMITTED'], 'a new step; the history kept');
  await inspector.find('[data-testid=record-detail] img[data-testid=thumb][data-state=shown]');
  await inspector.screenshot('resubmitted');
  await inspector.syncNow();
  assert.equal(town.server.sql(`SELECT status FROM records WHERE id = '${plain}'`), 'SUBMITTED', 'the server took the resubmission');

  // The supervisor approves it from her queue; the server holds APPROVED.
  await supervisor.syncNow();
  await waitFor('the resubmitted inspection back in her queue', async () => (await supervisor.count(item(plain))) === 1, 30000);
  await supervisor.screenshot('queue-again');
  await supervisor.click(`${item(plain)} [data-action=APPROVED]`);
  await waitFor('the approved record to leave her queue', async () => (await supervisor.count(item(plain))) === 0);
  await supervisor.syncNow();
  await supervisor.screenshot('approved');
  assert.equal(town.server.sql(`SELECT status FROM records WHERE id = '${plain}'`), 'APPROVED');
  assert.equal(town.server.sql(`SELECT status FROM records WHERE id = '${pictured}'`), 'SUBMITTED', 'the other one still waits');
  console.log(`inspector: ${inspectorTaps} taps for two inspections; the edit and resubmission ${inspector.taps - inspectorTaps} taps, ${inspector.typed} characters typed in all; supervisor: ${supervisor.taps} taps, ${supervisor.typed} characters`);
});
