// The collector's day, in the real window against the real server: with the server down (the
// whole day works offline), two receipts issued by clicking (₹1,250 cash, ₹300 UPI), the day-end
// screen one tap from Home with the totals by mode, a duplicate reprint, a cancellation request
// with its reason, a handover of more than the cash refused and then the cash handed over. The
// server comes back, "Sync now", and the server's SQLite file holds the handover. The
// supervisor acknowledges the cash and approves the cancellation from her queue; the collector's
// list keeps the receipt, marked cancelled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTown, waitFor } from './harness.mjs';

test('a collector closes the day: totals, reprint, cancellation, cash handover, synced', { timeout: 300000 }, async (t) => {
  const town = await openTown(t, 'collector');
  const collector = await town.device('collector', { name: 'Collector phone' });
  const supervisor = await town.device('supervisor', { name: 'Office desktop' });
  await town.server.stop();

  /** Issues a receipt from Home by clicking through the fee form; returns its number. */
  const issue = async (amount, mode, payer) => {
    await collector.click('#go-home');
    await collector.click('#collect-fee');
    await collector.select('#fee-head', 'PT');
    await collector.type('#amount', amount);
    if (mode !== 'CASH') await collector.select('#payment-mode', mode);
    await collector.type('#payer', payer);
    await collector.click('#fee-preview');
    await collector.click('#fee-confirm');
    const number = (await collector.text('#receipt-number')).trim();
    await collector.screenshot(`receipt-${mode.toLowerCase()}`);
    return number;
  };
  const cash = await issue('1,250', 'CASH', 'Kamla Devi');
  const upi = await issue('300', 'UPI', 'Mohan Lal');
  assert.notEqual(cash, upi);
  const issuing = { taps: collector.taps, typed: collector.typed };

  // Day end: one tap from Home.
  await collector.click('#go-home');
  const before = collector.taps;
  await collector.click('#day-end');
  assert.equal(collector.taps - before, 1, 'the day-end is one tap from Home');
  const amount = (mode) => collector.text(`[data-testid=mode-total][data-mode=${mode}] [data-testid=mode-amount]`);
  const count = (mode) => collector.text(`[data-testid=mode-total][data-mode=${mode}] [data-testid=mode-count]`);
  assert.equal((await amount('CASH')).trim(), '₹1,250.00');
  assert.equal((await amount('UPI')).trim(), '₹300.00');
  assert.deepEqual([(await count('CASH')).trim(), (await count('UPI')).trim()], ['1', '1']);
  assert.equal((await collector.text('[data-testid=day-total]')).trim(), '₹1,550.00');
  assert.equal((await collector.text('[data-testid=cash-expected]')).trim(), '₹1,250.00');
  await collector.screenshot('day-end-totals');

  // Reprint the cash receipt: a duplicate, said on the screen and on the page to print.
  const line = (number) => `[data-testid=receipt-line][data-receipt="${number}"]`;
  await collector.click(`${line(cash)} [data-action=reprint]`);
  assert.match(await collector.text(`${line(cash)} [data-testid=duplicate-mark]`), new RegExp(`Duplicate copy of receipt ${cash}`));
  assert.match(await collector.attribute(`${line(cash)} iframe`, 'srcdoc'), /DUPLICATE/);
  await collector.screenshot('reprint-duplicate');

  // Ask to cancel the UPI receipt, with a reason.
  await collector.click(`${line(upi)} [data-action=cancel]`);
  await collector.type(`${line(upi)} textarea`, 'Paid twice');
  await collector.click(`${line(upi)} [data-action=cancel-send]`);
  await collector.waitText(`${line(upi)} [data-testid=cancel-mark]`, /Cancellation requested/);
  await collector.screenshot('cancellation-requested');

  // Hand over the cash: more than was collected is refused, the cash itself is taken.
  await collector.type('#handover-amount', '1,300');
  await collector.click('#handover-submit');
  await collector.waitText('#handover-amount-err', /more than the cash you collected/);
  await collector.screenshot('handover-refused');
  await collector.type('#handover-amount', '1,250');
  await collector.click('#handover-submit');
  assert.equal((await collector.text('[data-testid=handover-expected]')).trim(), '₹1,250.00');
  assert.equal((await collector.text('[data-testid=handover-amount]')).trim(), '₹1,250.00');
  await collector.waitText('[data-testid=handover-state]', /Waiting for the supervisor/);
  await collector.screenshot('handed-over-offline');
  const dayEnd = { taps: collector.taps - issuing.taps, typed: collector.typed - issuing.typed };

  // The server comes back; one sync sends the day.
  await town.server.start();
  await collector.syncNow();
  await waitFor('the handover on the server badge', async () =>
    (await collector.count('[data-testid=handover-done] [data-testid=badge][data-badge=on_server]')) === 1,
  60000);
  await collector.screenshot('synced');
  const handover = town.server.sql("SELECT id || '|' || status || '|' || title FROM records WHERE kind = 'handover'");
  assert.match(handover, /^[0-9a-f-]+\|DRAFT\|Cash handover \d{4}-\d{2}-\d{2}$/, 'the server holds the handover');
  assert.equal(town.server.sql("SELECT COUNT(*) FROM records WHERE kind = 'reversal' AND status = 'REQUESTED'"), '1');
  assert.equal(town.server.sql("SELECT COUNT(*) FROM ledger WHERE kind = 'receipt'"), '2');

  // The supervisor: the cash and the cancellation wait in her queue.
  await supervisor.syncNow();
  await supervisor.click('#review-list');
  await supervisor.waitText('[data-testid=queue-handover] [data-testid=queue-handed]', /₹1,250\.00/);
  assert.match(await supervisor.text('[data-testid=queue-cancellation] [data-testid=queue-reason]'), /Paid twice/);
  await supervisor.screenshot('cash-queue');
  await supervisor.click('[data-testid=queue-handover] button.primary');
  await supervisor.waitText('[data-testid=cash-queue] [data-testid=notice]', /Cash acknowledged/);
  await supervisor.click('[data-testid=queue-cancellation] button.primary');
  await supervisor.waitText('[data-testid=cash-queue] [data-testid=notice]', /Cancellation approved/);
  await supervisor.screenshot('acknowledged-approved');
  await supervisor.syncNow();
  assert.equal(town.server.sql("SELECT status FROM records WHERE kind = 'handover'"), 'RECONCILED');
  assert.equal(town.server.sql("SELECT status FROM records WHERE kind = 'reversal'"), 'APPROVED');

  // Back on the collector's phone: the receipt stays in the list, marked cancelled.
  await collector.syncNow();
  await collector.waitText(`${line(upi)} [data-testid=cancel-mark]`, /^Cancelled$/, 60000);
  await collector.waitText('[data-testid=handover-state]', /acknowledged/);
  assert.equal((await collector.text('[data-testid=day-total]')).trim(), '₹1,250.00');
  assert.equal(await collector.count(`${line(upi)}`), 1, 'the cancelled receipt is still listed');
  await collector.screenshot('cancelled-stays-listed');

  const counts = { issuing_two_receipts: issuing, day_end: dayEnd };
  writeFileSync(join(town.dir, 'count.json'), JSON.stringify(counts, null, 1));
  console.log(`collector: two receipts ${issuing.taps} taps / ${issuing.typed} characters; day-end ${dayEnd.taps} taps / ${dayEnd.typed} characters`);
});
