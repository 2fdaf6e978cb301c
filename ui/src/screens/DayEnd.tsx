// The collector's day-end: today's totals by payment mode, the cash handover (expected vs
// handed over), every receipt of theirs (today and earlier) with a duplicate print and a
// cancellation request. Everything is decided by the Rust side (src/field/dayend.rs); this
// screen only shows it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type DayEnd as DayEndT, type PrintView, type ReceiptLine } from '../api';
import { Badge, errAttrs, ErrorBox, Field, Loading, Notice, rejectionText } from '../components/common';
import { useApp } from '../context';
import { errorText, toApiError } from '../errors';
import { useForm } from '../form';
import { dateTime, locale, money, t } from '../i18n';

/** `2026-11-25` as the reader writes a date. */
export function dayText(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** Paise as rupees for an input: `1250` or `1250.50`. */
const rupeesInput = (p: number) => (p % 100 === 0 ? String(p / 100) : (p / 100).toFixed(2));

export function DayEnd() {
  const { synced, syncChanged } = useApp();
  const [data, setData] = useState<DayEndT | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = () => api.dayEnd(null).then(setData, (e) => setError(errorText(toApiError(e))));
  useEffect(() => { load(); }, [synced]);
  const changed = (text: string) => { setNotice(text); syncChanged(); load(); };

  if (!data) return <Loading title={t('dayend.title')} error={error} />;

  const today = data.receipt_list.filter((r) => r.day === data.day);
  const earlier = data.receipt_list.filter((r) => r.day !== data.day);
  return (
    <div>
      <h1 tabIndex={-1}>{t('dayend.title')}</h1>
      <p class="hint" data-testid="dayend-day">{dayText(data.day)}</p>
      <Notice text={notice} />
      <ErrorBox text={error} />
      <section aria-labelledby="totals-h" data-testid="dayend-totals">
        <h2 id="totals-h">{t('dayend.totals')}</h2>
        {data.by_mode.length === 0 ? <p class="empty">{t('dayend.no_receipts')}</p> : (
          <table class="totals">
            <thead><tr><th scope="col">{t('dayend.mode')}</th><th scope="col" class="num">{t('dayend.count')}</th><th scope="col" class="num">{t('dayend.amount')}</th></tr></thead>
            <tbody>
              {data.by_mode.map((m) => (
                <tr key={m.mode} data-testid="mode-total" data-mode={m.mode}>
                  <th scope="row">{t(`mode.${m.mode}`)}</th>
                  <td class="num" data-testid="mode-count">{m.count}</td>
                  <td class="num" data-testid="mode-amount">{money(m.amount_paise)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr><th scope="row">{t('dayend.total')}</th><td class="num">{data.receipts - data.cancelled}</td><td class="num" data-testid="day-total">{money(data.total_paise)}</td></tr>
            </tfoot>
          </table>
        )}
        {data.cancelled > 0 ? (
          <p class="hint" data-testid="dayend-cancelled">{t('dayend.cancelled_note', { count: data.cancelled, amount: money(data.reversed_paise) })}</p>
        ) : null}
      </section>
      <Handover key={`${data.day}/${data.cash_expected_paise}`} data={data} onDone={() => changed(t('dayend.handed_over'))} />
      <section aria-labelledby="receipts-h" data-testid="dayend-receipts">
        <h2 id="receipts-h">{t('dayend.receipts', { count: data.receipt_list.length })}</h2>
        <h3>{t('dayend.today')}</h3>
        {today.length ? <ul class="rows">{today.map((r) => <Receipt key={r.id} r={r} onChanged={changed} />)}</ul> : <p class="empty">{t('dayend.no_receipts')}</p>}
        {earlier.length ? (
          <>
            <h3>{t('dayend.earlier')}</h3>
            <ul class="rows">{earlier.map((r) => <Receipt key={r.id} r={r} onChanged={changed} showDay />)}</ul>
          </>
        ) : null}
      </section>
    </div>
  );
}

function Handover({ data, onDone }: { data: DayEndT; onDone: () => void }) {
  const [amount, setAmount] = useState(rupeesInput(data.cash_expected_paise));
  const [note, setNote] = useState('');
  const { errors, general, busy, run } = useForm();
  const h = data.handover;
  const submit = async () => {
    const r = await run(() => api.handOverCash({ day: data.day, amount: amount.trim(), note: note.trim() || null }));
    if (r) onDone();
  };
  return (
    <section aria-labelledby="handover-h" data-testid="dayend-handover">
      <h2 id="handover-h">{t('dayend.handover')}</h2>
      {h ? (
        <div class="card" data-testid="handover-done" data-acknowledged={String(h.acknowledged)}>
          <dl class="pairs">
            <dt>{t('dayend.expected')}</dt><dd data-testid="handover-expected">{money(h.expected_paise)}</dd>
            <dt>{t('dayend.handed')}</dt><dd data-testid="handover-amount">{money(h.handed_over_paise)}</dd>
            {h.note ? <><dt>{t('dayend.note')}</dt><dd>{h.note}</dd></> : null}
          </dl>
          <p data-testid="handover-state">{h.acknowledged ? t('dayend.acknowledged') : t('dayend.waiting_ack')}</p>
          <Badge badge={h.badge} />
          {h.rejection ? <p class="row-reject" data-testid="rejection" data-code={h.rejection.code}><span aria-hidden="true">✕ </span>{rejectionText(h.rejection)}</p> : null}
        </div>
      ) : (
        <div>
          <p>{t('dayend.expected')}: <strong data-testid="cash-expected">{money(data.cash_expected_paise)}</strong></p>
          <ErrorBox text={general} errors={errors} />
          <Field id="handover-amount" label={t('dayend.handed_rupees')} fe={errors.amount} hint={t('dayend.handed_hint')} required>
            <div class="money-input">
              <span aria-hidden="true">₹</span>
              <input id="handover-amount" inputMode="decimal" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} {...errAttrs('handover-amount', errors.amount, 'handover-amount-hint')} />
            </div>
          </Field>
          <Field id="handover-note" label={t('dayend.note')} fe={errors.note} hint={t('dayend.note_hint')}>
            <textarea id="handover-note" rows={2} value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} {...errAttrs('handover-note', errors.note, 'handover-note-hint')} />
          </Field>
          <button type="button" class="primary" id="handover-submit" disabled={busy} onClick={submit}>{t('dayend.hand_over')}</button>
        </div>
      )}
    </section>
  );
}

function Receipt({ r, onChanged, showDay }: { r: ReceiptLine; onChanged: (notice: string) => void; showDay?: boolean }) {
  const [print, setPrint] = useState<PrintView | null>(null);
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const { errors, general, busy, run } = useForm();
  const frame = useRef<HTMLIFrameElement>(null);
  const cancelled = r.cancellation === 'APPROVED';
  const reprint = async () => {
    const p = await run(() => api.reprintReceipt(r.id));
    if (p) setPrint(p);
  };
  const ask = async () => {
    const line = await run(() => api.requestCancellation(r.id, reason));
    if (line) { setAsking(false); setReason(''); onChanged(t('dayend.cancel_sent')); }
  };
  const slug = r.id;
  return (
    <li class={`receipt-line${cancelled ? ' cancelled' : ''}`} data-testid="receipt-line" data-receipt={r.receipt_number} data-cancellation={r.cancellation ?? ''}>
      <p class="row-title">
        {cancelled ? <s>{r.receipt_number}</s> : r.receipt_number}
        {' · '}<span data-testid="line-amount">{money(r.amount_paise)}</span>
      </p>
      <p class="row-meta">{r.payer_name} · {t(`mode.${r.payment_mode}`)} · {showDay ? dayText(r.day) : dateTime(r.receipt_date)}</p>
      {r.cancellation ? <p class={`mark mark-${r.cancellation.toLowerCase()}`} data-testid="cancel-mark">{t(`dayend.cancel_${r.cancellation}`)}</p> : null}
      {r.rejection ? <p class="row-reject" data-testid="rejection" data-code={r.rejection.code}><span aria-hidden="true">✕ </span>{rejectionText(r.rejection)}</p> : null}
      <Badge badge={r.badge} />
      <ErrorBox text={general} errors={asking ? errors : undefined} />
      <div class="button-row">
        <button type="button" class="secondary" id={`reprint-${slug}`} data-action="reprint" disabled={busy} onClick={reprint}>{t('dayend.reprint')}</button>
        {!r.cancellation || r.cancellation === 'REJECTED' ? (
          <button type="button" class="secondary" id={`cancel-${slug}`} data-action="cancel" aria-expanded={asking} onClick={() => setAsking(!asking)}>{t('dayend.ask_cancel')}</button>
        ) : null}
      </div>
      {asking ? (
        <div class="card">
          <Field id={`reason-${slug}`} label={t('dayend.reason')} fe={errors.reason} hint={t('dayend.reason_hint')} required>
            <textarea id={`reason-${slug}`} rows={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} {...errAttrs(`reason-${slug}`, errors.reason, `reason-${slug}-hint`)} />
          </Field>
          <button type="button" class="primary" id={`cancel-send-${slug}`} data-action="cancel-send" disabled={busy} onClick={ask}>{t('dayend.send_cancel')}</button>
        </div>
      ) : null}
      {print ? (
        <div class="card print-copy" data-testid="reprint">
          <p class="mark" data-testid="duplicate-mark"><strong>{t('dayend.duplicate', { number: print.receipt_number })}</strong></p>
          <iframe ref={frame} class="receipt-frame" title={t('dayend.duplicate', { number: print.receipt_number })} srcdoc={print.html} sandbox="allow-same-origin allow-modals" />
          <div class="button-row">
            <button type="button" class="primary" id={`print-${slug}`} onClick={() => frame.current?.contentWindow?.print()}>{t('dayend.print')}</button>
            <button type="button" class="secondary" id={`print-close-${slug}`} onClick={() => setPrint(null)}>{t('dayend.close')}</button>
          </div>
        </div>
      ) : null}
    </li>
  );
}
