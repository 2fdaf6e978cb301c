import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Badge as BadgeT, FieldError, RecordRow, Reference, Rejection, Warning } from '../api';
import { fieldErrorText } from '../errors';
import { dateTime, hasKey, money, pick, t, tCode } from '../i18n';
import { useApp } from '../context';

const BADGE_ICON: Record<BadgeT, string> = {
  saved: '●',
  waiting: '↻',
  on_server: '✓',
  needs_review: '!',
  rejected: '✕',
};

/** A record's state: icon + words + colour, never colour alone. */
export function Badge({ badge }: { badge: BadgeT }) {
  return (
    <span class={`badge badge-${badge}`} data-testid="badge" data-badge={badge}>
      <span class="badge-icon" aria-hidden="true">{BADGE_ICON[badge] ?? '?'}</span>
      {tCode('badge', badge, 'badge.unknown')}
    </span>
  );
}

/** aria attributes for an input that may have an error shown under it. */
export function errAttrs(id: string, fe: FieldError | undefined, hintId?: string) {
  const ids = [fe ? `${id}-err` : null, hintId ?? null].filter(Boolean).join(' ');
  return { 'aria-invalid': fe ? ('true' as const) : undefined, 'aria-describedby': ids || undefined };
}

export function FieldErr({ id, fe }: { id: string; fe: FieldError | undefined }) {
  if (!fe) return null;
  return (
    <p class="field-error" id={`${id}-err`} data-testid="field-error" data-field={fe.field} data-code={fe.code}>
      <span aria-hidden="true">⚠ </span>
      {fieldErrorText(fe)}
    </p>
  );
}

/** A label + control + error block. */
export function Field(props: {
  id: string; label: string; fe?: FieldError; hint?: string; required?: boolean; children: ComponentChildren;
}) {
  return (
    <div class={`field${props.fe ? ' has-error' : ''}`}>
      <label for={props.id}>
        {props.label}
        {props.required ? <span class="req"> ({t('form.required')})</span> : null}
      </label>
      {props.hint ? <p class="hint" id={`${props.id}-hint`}>{props.hint}</p> : null}
      {props.children}
      <FieldErr id={props.id} fe={props.fe} />
    </div>
  );
}

/** A form's or a screen's error. With `errors` (the form's field errors), the box counts the
 *  errors, and spells out — field name and message — every error whose field this screen does not
 *  show, so no problem is ever a bare count. Only codes are kept: the words are the language's of
 *  the moment. */
export function ErrorBox({ text, errors }: { text: string | null; errors?: Record<string, FieldError> }) {
  const slot = useRef<HTMLSpanElement>(null);
  const [unshown, setUnshown] = useState<string[]>([]);
  const list = Object.values(errors ?? {});
  useLayoutEffect(() => {
    const scope = slot.current?.closest('form') ?? document;
    const marked = new Set(
      [...scope.querySelectorAll<HTMLElement>('[data-testid=field-error][data-field]')].map((e) => e.dataset.field),
    );
    const missing = list.filter((fe) => !marked.has(fe.field)).map((fe) => fe.field);
    if (missing.join('\n') !== unshown.join('\n')) setUnshown(missing);
  }, [errors]);
  const lines = list.filter((fe) => unshown.includes(fe.field)).map((fe) => `${fieldName(fe.field)}: ${fieldErrorMessage(fe)}`);
  const shown = list.length - lines.length;
  const shownText = list.length ? (shown ? t('form.fix_fields', { count: shown }) : null) : text;
  return (
    <>
      <span ref={slot} hidden />
      {shownText || lines.length ? (
        <div class="error-box" role="alert" data-testid="error" data-count={list.length || undefined}>
          {shownText ? <><span aria-hidden="true">⚠ </span>{shownText}</> : null}
          {lines.length ? (
            <>
              {shownText ? null : <><span aria-hidden="true">⚠ </span>{t('form.not_saved')}</>}
              <ul class="error-lines">
                {lines.map((l) => <li key={l} data-testid="error-line">{l}</li>)}
              </ul>
            </>
          ) : null}
        </div>
      ) : null}
    </>
  );
}

/** A field's name for a person: the catalog's `field.<path>`, else the path in words. */
export function fieldName(path: string): string {
  return tCode('field', path, 'field.other', { field: path.replace(/[._]/g, ' ') });
}

/** A field error's message: translated by code, else the Rust side's own sentence. */
function fieldErrorMessage(fe: FieldError): string {
  return hasKey(`ferr.${fe.code}`) || !fe.message || fe.message === fe.code ? fieldErrorText(fe) : fe.message;
}

export function Notice({ text }: { text: string | null | undefined }) {
  return (
    <div role="status" class={text ? 'notice' : 'sr-only'} data-testid="notice">
      {text ? <><span aria-hidden="true">✓ </span>{text}</> : null}
    </div>
  );
}

export function Warnings({ warnings }: { warnings: Warning[] }) {
  if (warnings.length === 0) return null;
  return (
    <div class="warnings" role="alert" data-testid="warnings">
      <h2><span aria-hidden="true">⚠ </span>{t('warn.title')}</h2>
      <ul>
        {warnings.map((w) => (
          <li key={w.code} data-testid="warning" data-code={w.code}>
            {tCode('warn', w.code, 'warn.generic')}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function statusText(status: string): string {
  return tCode('status', status, 'status.unknown', { status });
}

export function kindText(kind: string): string {
  return tCode('kind', kind, 'kind.unknown');
}

export function wardName(code: string | null, reference: Reference | null): string {
  if (!code) return t('ward.none');
  const w = reference?.wards.find((x) => x.code === code);
  return w ? pick(w.name, w.name_hi) : code;
}

/** Why the server refused a record, in words: the catalog's `reject.<code>`, else the server's
 *  own sentence. */
export function rejectionText(r: Rejection): string {
  return hasKey(`reject.${r.code}`) ? t(`reject.${r.code}`) : r.reason || t('reject.unknown');
}

/** The server's refusal as a box on the record's screen. */
export function RejectionBox({ rejection }: { rejection: Rejection }) {
  return (
    <div class="rejection-box" role="alert" data-testid="rejection" data-code={rejection.code}>
      <h2><span aria-hidden="true">✕ </span>{t('reject.title')}</h2>
      <p data-testid="rejection-text">{rejectionText(rejection)}</p>
      <p class="hint">{t('reject.what_now')}</p>
    </div>
  );
}

/** The supervisor's reason on a record: "Sent back: …" or "Rejected: …". */
export function noteText(status: string, note: string): string {
  return t(status === 'REJECTED' ? 'row.rejected_note' : 'row.note', { note });
}

/** A list of records; each line opens the record. */
export function RecordList({ rows, empty }: { rows: RecordRow[]; empty: string }) {
  const { go, reference } = useApp();
  if (rows.length === 0) return <p class="empty">{empty}</p>;
  return (
    <ul class="rows">
      {rows.map((r) => (
        <li key={r.id}>
          <button
            type="button"
            class="row"
            data-testid="record-row"
            data-record-id={r.id}
            onClick={() => go({ name: 'record', id: r.id })}
          >
            <span class="row-title">{r.title}</span>
            <span class="row-meta">
              {kindText(r.kind)} · {statusText(r.status)} · {wardName(r.ward, reference)}
            </span>
            <span class="row-meta">
              {dateTime(r.updated_at)}
              {r.amount_paise != null ? ` · ${money(r.amount_paise)}` : ''}
              {r.photos_waiting > 0 ? ` · ${t('row.photos_waiting', { count: r.photos_waiting })}` : ''}
            </span>
            {r.note ? <span class="row-note" data-testid="row-note">{noteText(r.status, r.note)}</span> : null}
            {r.rejection ? (
              <span class="row-reject" data-testid="rejection" data-code={r.rejection.code}>
                <span aria-hidden="true">✕ </span>{rejectionText(r.rejection)}
              </span>
            ) : null}
            <Badge badge={r.badge} />
          </button>
        </li>
      ))}
    </ul>
  );
}

/** The ward of a record without a place, for a user of several wards (a user of one ward gets
 *  it without asking; the core decides and refuses a missing choice as `ward` `required`). */
export function WardPicker({ value, onChange, fe }: { value: string; onChange: (ward: string) => void; fe?: FieldError }) {
  const { state, reference } = useApp();
  const wards = state.user?.wards ?? [];
  if (wards.length < 2) return null;
  return (
    <Field id="ward" label={t('ward.choose')} fe={fe} hint={t('ward.choose_hint')} required>
      <select id="ward" value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)} {...errAttrs('ward', fe, 'ward-hint')}>
        <option value="">{t('form.choose')}</option>
        {wards.map((w) => <option key={w} value={w}>{wardName(w, reference)}</option>)}
      </select>
    </Field>
  );
}

/** A form opened on a stored record, while the record loads (or why it cannot). */
export function Loading({ title, error }: { title: string; error: string | null }) {
  return (
    <div>
      <h1 tabIndex={-1}>{title}</h1>
      <ErrorBox text={error} />
      {error ? null : <p role="status">{t('app.loading')}</p>}
    </div>
  );
}
