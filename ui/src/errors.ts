import type { ApiError, FieldError } from './api';
import { t, tCode } from './i18n';

/** Whatever `invoke` rejected with, as an ApiError. */
export function toApiError(e: unknown): ApiError {
  if (e && typeof e === 'object' && typeof (e as ApiError).code === 'string') {
    const a = e as Partial<ApiError>;
    return { code: a.code!, message: a.message ?? '', fields: Array.isArray(a.fields) ? a.fields : [] };
  }
  // Not an answer of the Rust side (a failure of the bridge itself): the device's own failure.
  return { code: 'internal', message: String(e), fields: [] };
}

/** The translated message of a whole-call error. */
export function errorText(err: ApiError): string {
  return tCode('err', err.code, 'err.generic');
}

/** The translated message of one field's error. */
export function fieldErrorText(fe: FieldError): string {
  return tCode('ferr', fe.code, 'ferr.generic');
}

export type FieldErrors = Record<string, FieldError>;

export function fieldsOf(err: ApiError | null): FieldErrors {
  const out: FieldErrors = {};
  for (const f of err?.fields ?? []) if (!out[f.field]) out[f.field] = f;
  return out;
}

export function localError(field: string, code: string): FieldError {
  return { field, code, message: code };
}

/** A summary line above a form with errors. */
export function summary(count: number): string {
  return t('form.fix_fields', { count });
}
