// The supervisor's money queue (src/field/dayend.rs `cash_queue`): cash handovers to
// acknowledge as received, receipt cancellations to approve or reject (with a reason). A small
// block to place in the supervisor's review queue.
import { useEffect, useState } from 'preact/hooks';
import { api, type CancellationView, type CashQueue as Queue, type HandoverView } from '../api';
import { errAttrs, ErrorBox, Field, Notice } from './common';
import { useApp } from '../context';
import { errorText, toApiError } from '../errors';
import { useForm } from '../form';
import { dateTime, money, t } from '../i18n';
import { dayText } from '../screens/DayEnd';

export function CashQueue() {
  const { synced, syncChanged } = useApp();
  const [queue, setQueue] = useState<Queue | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = () => api.cashQueue().then(setQueue, (e) => setError(errorText(toApiError(e))));
  useEffect(() => { load(); }, [synced]);
  const done = (text: string) => { setNotice(text); syncChanged(); load(); };
  return (
    <section aria-labelledby="cash-queue-h" data-testid="cash-queue">
      <h2 id="cash-queue-h">{t('cashq.title', { count: queue ? queue.handovers.length + queue.cancellations.length : 0 })}</h2>
      <Notice text={notice} />
      <ErrorBox text={error} />
      {queue && queue.handovers.length + queue.cancellations.length === 0 ? <p class="empty">{t('cashq.none')}</p> : null}
      {queue?.handovers.map((h) => <HandoverCard key={h.id} h={h} onDone={() => done(t('cashq.acknowledged'))} />)}
      {queue?.cancellations.map((c) => <CancellationCard key={c.id} c={c} onDone={(approved) => done(t(approved ? 'cashq.approved' : 'cashq.rejected'))} />)}
    </section>
  );
}

function HandoverCard({ h, onDone }: { h: HandoverView; onDone: () => void }) {
  const { general, busy, run } = useForm();
  const short = h.handed_over_paise !== h.expected_paise;
  const ack = async () => { if (await run(() => api.acknowledgeHandover(h.id, null))) onDone(); };
  return (
    <div class="card" data-testid="queue-handover" data-id={h.id}>
      <h3>{t('cashq.handover', { name: h.collector_name, day: dayText(h.day) })}</h3>
      <dl class="pairs">
        <dt>{t('dayend.expected')}</dt><dd>{money(h.expected_paise)}</dd>
        <dt>{t('dayend.handed')}</dt><dd data-testid="queue-handed">{money(h.handed_over_paise)}</dd>
        {h.note ? <><dt>{t('dayend.note')}</dt><dd>{h.note}</dd></> : null}
      </dl>
      {short ? <p class="mark" data-testid="queue-short">{t('cashq.short', { amount: money(h.expected_paise - h.handed_over_paise) })}</p> : null}
      <ErrorBox text={general} />
      <button type="button" class="primary" id={`ack-${h.id}`} disabled={busy} onClick={ack}>{t('cashq.acknowledge')}</button>
    </div>
  );
}

function CancellationCard({ c, onDone }: { c: CancellationView; onDone: (approved: boolean) => void }) {
  const [note, setNote] = useState('');
  const { errors, general, busy, run } = useForm();
  const decide = async (approve: boolean) => { if (await run(() => api.decideCancellation(c.id, approve, note.trim() || null))) onDone(approve); };
  return (
    <div class="card" data-testid="queue-cancellation" data-id={c.id}>
      <h3>{t('cashq.cancellation', { number: c.receipt_number })}</h3>
      <dl class="pairs">
        <dt>{t('dayend.amount')}</dt><dd>{money(c.amount_paise)}</dd>
        <dt>{t('dayend.reason')}</dt><dd data-testid="queue-reason">{c.reason}</dd>
        <dt>{t('cashq.requested_by')}</dt><dd>{c.requested_by} · {dateTime(c.requested_at)}</dd>
      </dl>
      <ErrorBox text={general} errors={errors} />
      <Field id={`decide-note-${c.id}`} label={t('cashq.note')} fe={errors.note} hint={t('cashq.note_hint')}>
        <textarea id={`decide-note-${c.id}`} rows={2} value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} {...errAttrs(`decide-note-${c.id}`, errors.note, `decide-note-${c.id}-hint`)} />
      </Field>
      <div class="button-row">
        <button type="button" class="primary" id={`approve-${c.id}`} disabled={busy} onClick={() => decide(true)}>{t('cashq.approve')}</button>
        <button type="button" class="secondary" id={`reject-${c.id}`} disabled={busy} onClick={() => decide(false)}>{t('cashq.reject')}</button>
      </div>
    </div>
  );
}
