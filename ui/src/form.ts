// How every form calls the Rust side, in one round: the core reads the whole draft and answers
// with every problem at once; each lands next to its field, the error box above the form counts
// them, and the first bad field (in the order the screen shows them) is scrolled to and focused.
// Errors are kept as codes and translated when drawn, so a language switch re-words them.
import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from './api';
import { errorText, fieldsOf, localError, toApiError, type FieldErrors } from './errors';
import { t } from './i18n';

/** Scrolls to the first marked field inside `scope` (in the order the screen shows them) and puts
 *  the focus on it — its first control, for a group of choices; with no field marked, on the
 *  error box. */
export function focusFirstError(scope: ParentNode = document): void {
  const target = scope.querySelector<HTMLElement>('[aria-invalid=true]') ?? scope.querySelector<HTMLElement>('[data-testid=error]');
  if (!target) return;
  const controls = 'input:not([type=hidden]):not([hidden]), select, textarea, button';
  const control = target.matches(controls) ? target : target.querySelector<HTMLElement>(controls);
  ((target.closest('.field, fieldset') as HTMLElement | null) ?? target).scrollIntoView({ block: 'center' });
  if (control) control.focus({ preventScroll: true });
  else {
    target.tabIndex = -1;
    target.focus({ preventScroll: true });
  }
}

export function useForm() {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (attempt && (Object.keys(errors).length || failure)) focusFirstError(document.querySelector('main') ?? document);
  }, [attempt]);

  /** Runs `work` unless `local` (what the screen cannot send at all) has problems; null when it
   *  failed. */
  const run = async <T,>(work: () => Promise<T>, local: FieldErrors = {}): Promise<T | null> => {
    if (Object.keys(local).length) {
      setErrors(local);
      setFailure(null);
      setAttempt((n) => n + 1);
      return null;
    }
    setBusy(true);
    setErrors({});
    setFailure(null);
    try {
      return await work();
    } catch (e) {
      const a = toApiError(e);
      const f = fieldsOf(a);
      setErrors(f);
      setFailure(Object.keys(f).length ? null : a);
      setAttempt((n) => n + 1);
      return null;
    } finally {
      setBusy(false);
    }
  };
  // Translated here, at each render, in the language of the moment.
  const count = Object.keys(errors).length;
  const general = count ? t('form.fix_fields', { count }) : failure ? errorText(failure) : null;
  return { errors, general, failure, busy, run, setErrors };
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
