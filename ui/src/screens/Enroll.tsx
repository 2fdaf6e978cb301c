import { useEffect, useState } from 'preact/hooks';
import { focusFirstError } from '../form';
import { api, type ApiError, type AppState } from '../api';
import { errAttrs, ErrorBox, Field } from '../components/common';
import { errorText, fieldsOf, toApiError, type FieldErrors } from '../errors';
import { t } from '../i18n';

/** Which field a whole-call error belongs next to. */
const CODE_FIELD: Record<string, string> = { bad_code: 'code', unreachable: 'server', bad_server: 'server' };

export function Enroll({ onDone }: { onDone: (s: AppState) => void }) {
  const [server, setServer] = useState('');
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (attempt) focusFirstError(document.querySelector('main') ?? document);
  }, [attempt]);

  const submit = async (e: Event) => {
    e.preventDefault();
    // The Rust side checks the address (what is wrong with it, before trying to connect) and the
    // code in one round; a device with no name is called "field device".
    setErrors({});
    setFailure(null);
    setBusy(true);
    try {
      onDone(await api.enroll(server.trim(), code.trim(), name.trim()));
    } catch (err) {
      const a: ApiError = toApiError(err);
      const f = fieldsOf(a);
      if (f.deviceName && !f.device_name) f.device_name = f.deviceName;
      const at = CODE_FIELD[a.code];
      if (at && !f[at]) f[at] = { field: at, code: a.code, message: a.message };
      setErrors(f);
      setFailure(Object.keys(f).length ? null : a);
      setAttempt((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <h1 tabIndex={-1}>{t('enroll.title')}</h1>
      <p>{t('enroll.intro')}</p>
      <ErrorBox text={failure ? errorText(failure) : null} errors={errors} />
      <Field id="enroll-server" label={t('enroll.server')} fe={errors.server} hint={t('enroll.server_hint')} required>
        <input
          id="enroll-server"
          type="url"
          inputMode="url"
          autocomplete="url"
          value={server}
          onInput={(e) => setServer((e.target as HTMLInputElement).value)}
          {...errAttrs('enroll-server', errors.server, 'enroll-server-hint')}
        />
      </Field>
      <Field id="enroll-code" label={t('enroll.code')} fe={errors.code} hint={t('enroll.code_hint')} required>
        <input
          id="enroll-code"
          autocomplete="one-time-code"
          value={code}
          onInput={(e) => setCode((e.target as HTMLInputElement).value)}
          {...errAttrs('enroll-code', errors.code, 'enroll-code-hint')}
        />
      </Field>
      <Field id="enroll-name" label={t('enroll.name')} fe={errors.device_name} hint={t('enroll.name_hint')}>
        <input
          id="enroll-name"
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
          {...errAttrs('enroll-name', errors.device_name, 'enroll-name-hint')}
        />
      </Field>
      <button type="submit" id="enroll-submit" class="primary" disabled={busy}>
        {busy ? t('enroll.busy') : t('enroll.submit')}
      </button>
    </form>
  );
}
