// A supervisor's decision on a record, from her queue or from the record's screen: approve at
// once; send back, ask for changes, reject or settle only with a reason, typed in an inline box
// that opens under the buttons. The core refuses a missing reason too (field `note`).
import { useState } from 'preact/hooks';
import { api, type Saved } from '../api';
import { useForm } from '../form';
import { localError, type FieldErrors } from '../errors';
import { t, tCode } from '../i18n';
import { errAttrs, ErrorBox, Field, statusText } from './common';

/** As `workflow::needs_reason` in src/domain/workflow.rs. */
export const NEEDS_REASON = ['SENT_BACK', 'PENDINGFORMODIFICATION', 'REJECTED'];

interface Props {
  id: string; // the record
  actions: string[]; // RecordView.actions / QueueItem.actions
  settle?: string[]; // RecordView.settle / QueueItem.settle
  idPrefix: string; // unique on the screen
  /** The optional note of a step that needs no reason (the record's screen shows one). */
  note?: string;
  onDone: (to: string, saved: Saved, settled: boolean) => void;
}

export function Decision({ id, actions, settle = [], idPrefix, note, onDone }: Props) {
  const [pending, setPending] = useState<{ to: string; settles: boolean } | null>(null);
  const [reason, setReason] = useState('');
  const { errors, general, busy, run, setErrors } = useForm();
  const reasonId = `${idPrefix}-reason`;

  const act = async (to: string, settles: boolean, text: string | null) => {
    const local: FieldErrors = (settles || NEEDS_REASON.includes(to)) && !text?.trim() ? { note: localError('note', 'required') } : {};
    const saved = await run(() => (settles ? api.settle(id, to, text) : api.step(id, to, text?.trim() || null)), local);
    if (!saved) return;
    setPending(null);
    setReason('');
    onDone(to, saved, settles);
  };

  const open = (to: string, settles: boolean) => {
    setErrors({});
    setReason(note ?? '');
    setPending({ to, settles });
    setTimeout(() => document.getElementById(reasonId)?.focus(), 0);
  };

  const label = (to: string, settles: boolean) =>
    settles ? t('decision.settle_to', { status: statusText(to) }) : tCode('action', to, 'action.other', { status: statusText(to) });

  return (
    <div class="decision" data-testid="decision">
      <ErrorBox text={general} errors={errors} />
      <div class="button-row">
        {actions.map((a) => (
          <button
            type="button"
            key={a}
            class={NEEDS_REASON.includes(a) ? 'secondary' : 'primary'}
            data-action={a}
            id={`${idPrefix}-${a}`}
            disabled={busy}
            aria-expanded={NEEDS_REASON.includes(a) ? pending?.to === a && !pending.settles : undefined}
            onClick={() => (NEEDS_REASON.includes(a) ? open(a, false) : act(a, false, note ?? null))}
          >
            {label(a, false)}
          </button>
        ))}
        {settle.map((s) => (
          <button
            type="button"
            key={`settle-${s}`}
            class="secondary"
            data-settle={s}
            id={`${idPrefix}-settle-${s}`}
            disabled={busy}
            aria-expanded={pending?.to === s && pending.settles}
            onClick={() => open(s, true)}
          >
            {label(s, true)}
          </button>
        ))}
      </div>
      {pending ? (
        <div class="reason-box" data-testid="reason-box" data-for={pending.to}>
          <Field id={reasonId} label={pending.settles ? t('decision.settle_reason') : t(`decision.reason_${pending.to === 'REJECTED' ? 'reject' : 'back'}`)} fe={errors.note} required>
            <textarea
              id={reasonId}
              rows={2}
              maxLength={1000}
              value={reason}
              onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
              {...errAttrs(reasonId, errors.note)}
            />
          </Field>
          <div class="button-row">
            <button type="button" class="primary" id={`${idPrefix}-confirm`} data-confirm={pending.to} disabled={busy} onClick={() => act(pending.to, pending.settles, reason)}>
              {label(pending.to, pending.settles)}
            </button>
            <button type="button" class="secondary" id={`${idPrefix}-cancel`} disabled={busy} onClick={() => { setPending(null); setErrors({}); }}>
              {t('decision.cancel')}
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
