// Two (or more) values of one field written on different devices, side by side; a person keeps one.
import { useState } from 'preact/hooks';
import { api, type ApiError, type Conflict } from '../api';
import { errorText, toApiError } from '../errors';
import { t, tCode } from '../i18n';

function show(json: string): string {
  try {
    const v = JSON.parse(json);
    if (v === null) return t('conflict.empty');
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return JSON.stringify(v, null, 1);
  } catch {
    return json;
  }
}

export function ConflictCard({ c, canResolve, onResolved }: { c: Conflict; canResolve: boolean; onResolved: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const keep = async (value: string) => {
    setBusy(true);
    setError(null);
    try {
      await api.resolveConflict(c.record, c.field, value);
      onResolved();
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  };
  const fieldLabel = tCode('field', c.field, 'field.other', { field: c.field });
  return (
    <div class="conflict" data-testid="conflict" data-record-id={c.record} data-field={c.field}>
      <p class="conflict-title"><strong>{c.title}</strong></p>
      <p>{t('conflict.field', { field: fieldLabel })}</p>
      <div class="side-by-side">
        {c.values.map((v, i) => (
          <div class="conflict-value" key={i} data-testid="conflict-value" data-index={i}>
            <p class="value-label">{t('conflict.value_n', { n: i + 1 })}</p>
            <pre class="value" id={`cv-${c.record}-${c.field}-${i}`}>{show(v)}</pre>
            {canResolve ? (
              <button
                type="button"
                class="primary"
                data-testid="keep-value"
                data-index={i}
                disabled={busy}
                aria-describedby={`cv-${c.record}-${c.field}-${i}`}
                onClick={() => keep(v)}
              >
                {t('conflict.keep')}
              </button>
            ) : null}
          </div>
        ))}
      </div>
      {error ? <p class="field-error" role="alert">{errorText(error)}</p> : null}
    </div>
  );
}
