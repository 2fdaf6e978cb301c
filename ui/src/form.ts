// How every form calls the Rust side: problems found on the screen stop the call; the call's
// own errors land next to their fields (or above the form when they name none); the buttons
// wait while it runs.
import { useState } from 'preact/hooks';
import { errorText, fieldsOf, localError, toApiError, type FieldErrors } from './errors';
import { t } from './i18n';

export function useForm() {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  /** Runs `work` unless `local` (the screen's own checks) found problems; null when it failed. */
  const run = async <T,>(work: () => Promise<T>, local: FieldErrors = {}): Promise<T | null> => {
    setErrors(local);
    if (Object.keys(local).length) {
      setGeneral(t('form.fix_fields', { count: Object.keys(local).length }));
      return null;
    }
    setBusy(true);
    setGeneral(null);
    try {
      return await work();
    } catch (e) {
      const a = toApiError(e);
      const f = fieldsOf(a);
      setErrors(f);
      setGeneral(Object.keys(f).length ? t('form.fix_fields', { count: Object.keys(f).length }) : errorText(a));
      return null;
    } finally {
      setBusy(false);
    }
  };
  return { errors, general, busy, run, setErrors };
}

/** Litres as typed into `field` (`2,400`, ` 150 `, `२४००`), for the Rust side to read; a missing
 *  value is added to `errs`. */
export function litres(text: string, errs: FieldErrors, field = 'volume_litres'): string | null {
  const v = text.trim();
  if (v === '') {
    errs[field] = localError(field, 'required');
    return null;
  }
  return v;
}
