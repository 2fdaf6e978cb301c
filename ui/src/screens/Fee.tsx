import { useState } from 'preact/hooks';
import { api, type FeeHead, type ReceiptDraft, type ReceiptIssued } from '../api';
import { errAttrs, ErrorBox, Field, Notice, WardPicker } from '../components/common';
import { useApp } from '../context';
import { useForm } from '../form';
import { money, pick, t } from '../i18n';

export const MODES: ReceiptDraft['payment_mode'][] = ['CASH', 'UPI', 'CHEQUE', 'DD', 'CARD'];

/** "150" or "150.50" → paise; null when it is not an amount in rupees. */
const paiseToRupees = (p: number) => (p % 100 === 0 ? String(p / 100) : (p / 100).toFixed(2));

export function FeeForm() {
  const { reference, go, syncChanged } = useApp();
  const heads: FeeHead[] = reference?.fee_heads ?? [];
  const [head, setHead] = useState('');
  const [amount, setAmount] = useState('');
  const [mode, setMode] = useState<ReceiptDraft['payment_mode']>('CASH');
  const [payer, setPayer] = useState('');
  const [mobile, setMobile] = useState('');
  const [instrument, setInstrument] = useState('');
  const [step, setStep] = useState<'form' | 'preview' | 'done'>('form');
  const [ward, setWard] = useState('');
  const { errors, general, busy, run, setErrors } = useForm();
  const [issued, setIssued] = useState<ReceiptIssued | null>(null);
  const [paise, setPaise] = useState(0);

  const needsInstrument = mode === 'CHEQUE' || mode === 'DD';
  const headObj = heads.find((h) => h.code === head);

  const chooseHead = (code: string) => {
    setHead(code);
    const h = heads.find((x) => x.code === code);
    if (h?.default_amount != null) setAmount(paiseToRupees(h.default_amount));
  };

  const draft = (): ReceiptDraft => ({
    fee_head: head,
    amount: amount.trim(),
    payment_mode: mode,
    payer_name: payer.trim(),
    mobile_number: mobile.trim() || null,
    instrument_number: needsInstrument ? instrument.trim() || null : null,
    ward: ward || null,
  });

  // The core checks the whole draft (the amount read as the receipt will read it: `1,250`,
  // ` 150 `, `१५०`) and answers with every problem at once; nothing is issued yet.
  const preview = async (e: Event) => {
    e.preventDefault();
    const checked = await run(() => api.checkReceipt(draft()));
    if (checked === null) return;
    setPaise(checked);
    setStep('preview');
  };

  const confirm = async () => {
    const r = await run(() => api.collectFee(draft()));
    if (!r) {
      setStep('form');
      return;
    }
    setIssued(r);
    setStep('done');
    syncChanged();
  };

  const again = () => {
    setHead(''); setAmount(''); setMode('CASH'); setPayer(''); setMobile(''); setInstrument('');
    setIssued(null); setErrors({}); setStep('form');
  };

  if (step === 'done' && issued) {
    return (
      <div>
        <h1 tabIndex={-1}>{t('fee.issued_title')}</h1>
        <Notice text={t('fee.issued')} />
        <div class="receipt" data-testid="receipt">
          <p class="receipt-number-label">{t('fee.receipt_number')}</p>
          <p class="receipt-number" id="receipt-number">{issued.receipt_number}</p>
          <p class="receipt-amount" data-testid="receipt-amount">{money(issued.amount_paise)}</p>
          <p>{headObj ? pick(headObj.name, headObj.name_hi) : head} · {t(`mode.${mode}`)}</p>
          <p>{payer}</p>
        </div>
        <div class="button-row">
          <button type="button" class="primary" id="fee-again" onClick={again}>{t('fee.again')}</button>
          <button type="button" class="secondary" id="fee-view" onClick={() => go({ name: 'record', id: issued.id, warnings: issued.warnings })}>
            {t('fee.view_record')}
          </button>
        </div>
      </div>
    );
  }

  if (step === 'preview') {
    return (
      <div>
        <h1 tabIndex={-1}>{t('fee.preview_title')}</h1>
        <p>{t('fee.preview_intro')}</p>
        <dl class="receipt preview" data-testid="receipt-preview">
          <dt>{t('fee.head')}</dt><dd data-testid="preview-head">{headObj ? pick(headObj.name, headObj.name_hi) : head}</dd>
          <dt>{t('fee.amount')}</dt><dd class="receipt-amount" data-testid="preview-amount">{money(paise)}</dd>
          <dt>{t('fee.payer')}</dt><dd data-testid="preview-payer">{payer.trim()}</dd>
          <dt>{t('fee.mode')}</dt><dd data-testid="preview-mode">{t(`mode.${mode}`)}</dd>
          {mobile.trim() ? <><dt>{t('fee.mobile')}</dt><dd>{mobile.trim()}</dd></> : null}
          {needsInstrument ? <><dt>{t('fee.instrument')}</dt><dd>{instrument.trim()}</dd></> : null}
        </dl>
        <p class="hint">{t('fee.cannot_edit')}</p>
        <div class="button-row">
          <button type="button" class="primary" id="fee-confirm" disabled={busy} onClick={confirm}>
            {busy ? t('fee.issuing') : t('fee.confirm')}
          </button>
          <button type="button" class="secondary" id="fee-edit" disabled={busy} onClick={() => setStep('form')}>{t('fee.edit')}</button>
        </div>
      </div>
    );
  }

  return (
    <form onSubmit={preview} noValidate>
      <h1 tabIndex={-1}>{t('fee.title')}</h1>
      <ErrorBox text={general} errors={errors} />
      <Field id="fee-head" label={t('fee.head')} fe={errors.fee_head} required>
        <select id="fee-head" value={head} onChange={(e) => chooseHead((e.target as HTMLSelectElement).value)} {...errAttrs('fee-head', errors.fee_head)}>
          <option value="">{t('form.choose')}</option>
          {heads.map((h) => <option key={h.code} value={h.code}>{pick(h.name, h.name_hi)}</option>)}
        </select>
      </Field>
      <Field id="amount" label={t('fee.amount_rupees')} fe={errors.amount} hint={t('fee.amount_hint')} required>
        <div class="money-input">
          <span aria-hidden="true">₹</span>
          <input id="amount" inputMode="decimal" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} {...errAttrs('amount', errors.amount, 'amount-hint')} />
        </div>
      </Field>
      <Field id="payment-mode" label={t('fee.mode')} fe={errors.payment_mode} required>
        <select id="payment-mode" value={mode} onChange={(e) => setMode((e.target as HTMLSelectElement).value as ReceiptDraft['payment_mode'])} {...errAttrs('payment-mode', errors.payment_mode)}>
          {MODES.map((m) => <option key={m} value={m}>{t(`mode.${m}`)}</option>)}
        </select>
      </Field>
      {needsInstrument ? (
        <Field id="instrument" label={t('fee.instrument')} fe={errors.instrument_number} required>
          <input id="instrument" value={instrument} onInput={(e) => setInstrument((e.target as HTMLInputElement).value)} {...errAttrs('instrument', errors.instrument_number)} />
        </Field>
      ) : null}
      <Field id="payer" label={t('fee.payer')} fe={errors.payer_name} required>
        <input id="payer" autocomplete="name" value={payer} onInput={(e) => setPayer((e.target as HTMLInputElement).value)} {...errAttrs('payer', errors.payer_name)} />
      </Field>
      <Field id="mobile" label={t('fee.mobile')} fe={errors.mobile_number} hint={t('fee.mobile_hint')}>
        <input id="mobile" type="tel" inputMode="numeric" autocomplete="tel" value={mobile} onInput={(e) => setMobile((e.target as HTMLInputElement).value)} {...errAttrs('mobile', errors.mobile_number, 'mobile-hint')} />
      </Field>
      <WardPicker value={ward} onChange={setWard} fe={errors.ward} />
      <button type="submit" id="fee-preview" class="primary">{t('fee.preview')}</button>
    </form>
  );
}
