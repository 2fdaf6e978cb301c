import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type AppState, type FieldError, type UserView } from '../api';
import { errAttrs, ErrorBox, Field } from '../components/common';
import { errorText, localError, toApiError } from '../errors';
import { t, tCode } from '../i18n';

export function rolesText(user: UserView): string {
  return user.roles.map((r) => tCode('role', r, 'role.unknown')).join(', ');
}

export function SignIn({ onDone }: { onDone: (s: AppState) => void }) {
  const [users, setUsers] = useState<UserView[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [chosen, setChosen] = useState<UserView | null>(null);
  const [pin, setPin] = useState('');
  const [pinError, setPinError] = useState<FieldError | undefined>();
  const [general, setGeneral] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.deviceUsers().then(setUsers, (e) => setLoadError(toApiError(e)));
  }, []);

  useEffect(() => {
    if (chosen) document.getElementById('pin')?.focus();
  }, [chosen]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!chosen) return;
    setGeneral(null);
    if (!/^[0-9]{4,6}$/.test(pin)) {
      setPinError(localError('pin', 'pin_format'));
      return;
    }
    setBusy(true);
    try {
      onDone(await api.signIn(chosen.id, pin));
    } catch (err) {
      const a = toApiError(err);
      const fe = a.fields.find((f) => f.field === 'pin');
      if (fe) setPinError(fe);
      else if (a.code === 'invalid') {
        setPinError({ field: 'pin', code: a.code, message: a.message });
      } else {
        setPinError(undefined);
        setGeneral(a);
      }
      setPin('');
    } finally {
      setBusy(false);
    }
  };

  if (!chosen) {
    return (
      <div>
        <h1 tabIndex={-1}>{t('signin.choose')}</h1>
        <ErrorBox text={loadError ? errorText(loadError) : null} />
        {users === null && !loadError ? <p role="status">{t('app.loading')}</p> : null}
        {users && users.length === 0 ? <p>{t('signin.no_users')}</p> : null}
        <ul class="users">
          {(users ?? []).map((u) => (
            <li key={u.id}>
              <button
                type="button"
                class="user-button"
                data-user-id={u.id}
                onClick={() => {
                  setChosen(u);
                  setPin('');
                  setPinError(undefined);
                  setGeneral(null);
                }}
              >
                <span class="user-name">{u.name}</span>
                <span class="user-roles">{rolesText(u)}</span>
              </button>
            </li>
          ))}
        </ul>
      </div>
    );
  }

  const first = !chosen.has_pin;
  return (
    <form onSubmit={submit} noValidate>
      <h1 tabIndex={-1}>{first ? t('signin.set_pin_title', { name: chosen.name }) : t('signin.pin_title', { name: chosen.name })}</h1>
      <p class="user-roles">{rolesText(chosen)}</p>
      <ErrorBox text={general ? errorText(general) : null} />
      <Field id="pin" label={first ? t('signin.new_pin') : t('signin.pin')} fe={pinError} hint={t('signin.pin_hint')}>
        <input
          id="pin"
          type="password"
          inputMode="numeric"
          autocomplete={first ? 'new-password' : 'current-password'}
          maxLength={6}
          value={pin}
          onInput={(e) => setPin((e.target as HTMLInputElement).value)}
          {...errAttrs('pin', pinError, 'pin-hint')}
        />
      </Field>
      <button type="submit" id="signin-submit" class="primary" disabled={busy}>
        {first ? t('signin.set_and_sign_in') : t('signin.submit')}
      </button>
      <button type="button" class="secondary" id="signin-other" onClick={() => setChosen(null)}>
        {t('signin.other_user')}
      </button>
    </form>
  );
}
