import type { ComponentChildren } from 'preact';
import type { Badge as BadgeT, FieldError, RecordRow, Reference, Warning } from '../api';
import { fieldErrorText } from '../errors';
import { dateTime, money, pick, t, tCode } from '../i18n';
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

export function ErrorBox({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <div class="error-box" role="alert" data-testid="error">
      <span aria-hidden="true">⚠ </span>
      {text}
    </div>
  );
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
            <Badge badge={r.badge} />
          </button>
        </li>
      ))}
    </ul>
  );
}
