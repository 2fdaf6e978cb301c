import { useCallback, useEffect, useLayoutEffect, useMemo, useState } from 'preact/hooks';
import { api, type AppState, type Lang, type Reference } from './api';
import { AppCtx, type Ctx, type Route } from './context';
import { errorText, toApiError } from './errors';
import { pick, setLang, t } from './i18n';
import { LangSwitch } from './components/LangSwitch';
import { SyncBar } from './components/SyncBar';
import { Enroll } from './screens/Enroll';
import { SignIn } from './screens/SignIn';
import { Home } from './screens/Home';
import { InspectionForm } from './screens/Inspection';
import { AssetForm } from './screens/Asset';
import { FeeForm } from './screens/Fee';
import { Jobs, NewJob, Trips } from './screens/Fsm';
import { Review } from './screens/Review';
import { RecordDetail } from './screens/RecordDetail';
import { DayEnd } from './screens/DayEnd';

export function App() {
  const [state, setState] = useState<AppState | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [reference, setReference] = useState<Reference | null>(null);
  const [stack, setStack] = useState<Route[]>([{ name: 'home' }]);
  const [syncTick, setSyncTick] = useState(0);
  const [synced, setSynced] = useState(0);

  const apply = useCallback((s: AppState) => {
    setLang(s.lang);
    setState(s);
  }, []);

  const load = () => {
    setLoadError(null);
    api.appState().then(apply, (e) => setLoadError(errorText(toApiError(e))));
  };
  useEffect(load, []);

  const userId = state?.user?.id ?? null;
  useEffect(() => {
    setStack([{ name: 'home' }]);
    if (!userId) return;
    api.reference().then(setReference, () => setReference(null));
  }, [userId]);

  const route = stack[stack.length - 1];
  useLayoutEffect(() => {
    // A new screen: start at its top and put focus on its heading for screen readers. This runs
    // in the same task as the render that put the screen up, before anyone can reach a field:
    // run later (as an ordinary effect, after paint), it took the focus from a field the user
    // had already started typing into, and those keys were lost.
    window.scrollTo(0, 0);
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [stack.length, route]);

  const changeLang = async (lang: Lang) => {
    setLang(lang);
    setState((s) => (s ? { ...s, lang } : s));
    try {
      apply(await api.setLanguage(lang));
    } catch {
      // The choice still applies on screen; Rust keeps it once it answers.
    }
  };

  const ctx: Ctx | null = useMemo(
    () =>
      state
        ? {
            state,
            reference,
            go: (r, replace) => setStack((s) => (replace ? [...s.slice(0, -1), r] : [...s, r])),
            back: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
            syncChanged: () => setSyncTick((n) => n + 1),
            synced,
          }
        : null,
    [state, reference, synced],
  );

  if (!state || !ctx) {
    return (
      <main id="main" class="screen">
        {loadError ? (
          <>
            <h1 tabIndex={-1}>{t('app.name')}</h1>
            <p role="alert" class="error-box">{loadError}</p>
            <button type="button" onClick={load}>{t('form.retry')}</button>
          </>
        ) : (
          <p role="status">{t('app.loading')}</p>
        )}
      </main>
    );
  }

  const signedIn = !!state.user;
  const townName = state.town ? pick(state.town.name, state.town.name_hi) : t('app.name');
  const signOut = async () => {
    try {
      apply(await api.signOut());
    } catch (e) {
      window.alert(errorText(toApiError(e)));
    }
  };

  let screen;
  if (!state.enrolled) screen = <Enroll onDone={apply} />;
  else if (!signedIn) screen = <SignIn onDone={apply} />;
  else {
    switch (route.name) {
      case 'home': screen = <Home />; break;
      case 'inspection': screen = <InspectionForm key={route.id ?? 'new'} id={route.id} />; break;
      case 'asset': screen = <AssetForm key={route.id ?? 'new'} id={route.id} />; break;
      case 'fee': screen = <FeeForm />; break;
      case 'jobs': screen = <Jobs />; break;
      case 'new-job': screen = <NewJob />; break;
      case 'trips': screen = <Trips />; break;
      case 'review': screen = <Review />; break;
      case 'day-end': screen = <DayEnd />; break;
      case 'record': screen = <RecordDetail key={route.id} route={route} />; break;
    }
  }

  return (
    <AppCtx.Provider value={ctx}>
      <a class="skip" href="#main">{t('app.skip')}</a>
      <header class="topbar">
        <div class="topbar-line">
          <span class="town">{townName}</span>
          <LangSwitch lang={state.lang} onChange={changeLang} />
        </div>
        {signedIn ? (
          <nav class="topbar-line" aria-label={t('nav.label')}>
            {route.name !== 'home' ? (
              <button type="button" class="secondary" id="go-back" onClick={ctx.back}>
                <span aria-hidden="true">← </span>{t('nav.back')}
              </button>
            ) : null}
            <button type="button" class="secondary" id="go-home" onClick={() => setStack([{ name: 'home' }])}>
              <span aria-hidden="true">⌂ </span>{t('nav.home')}
            </button>
            <span class="who" data-testid="signed-in-user">{state.user!.name}</span>
            <button type="button" class="secondary" id="sign-out" onClick={signOut}>{t('nav.sign_out')}</button>
          </nav>
        ) : null}
      </header>
      {signedIn ? <SyncBar tick={syncTick} onSynced={() => setSynced((n) => n + 1)} /> : null}
      <main id="main" class="screen" data-screen={!state.enrolled ? 'enroll' : !signedIn ? 'sign-in' : route.name}>
        {screen}
      </main>
    </AppCtx.Provider>
  );
}
