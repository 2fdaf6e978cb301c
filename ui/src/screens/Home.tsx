import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type Home as HomeT } from '../api';
import { ErrorBox, RecordList } from '../components/common';
import { OfflineMap, type MapPoint } from '../components/OfflineMap';
import { useApp, type Route } from '../context';
import { errorText, toApiError } from '../errors';
import { t } from '../i18n';
import { rolesText } from './SignIn';

interface Action { id: string; label: string; icon: string; route: Route }

/** Each task the core offers (UserView.tasks, src/domain/access.rs) as a Home button. */
const TASK_BUTTONS: Record<string, () => Action> = {
  new_inspection: () => ({ id: 'new-inspection', label: t('home.new_inspection'), icon: '☑', route: { name: 'inspection' } }),
  new_asset: () => ({ id: 'new-asset', label: t('home.new_asset'), icon: '⌖', route: { name: 'asset' } }),
  collect_fee: () => ({ id: 'collect-fee', label: t('home.collect_fee'), icon: '₹', route: { name: 'fee' } }),
  day_end: () => ({ id: 'day-end', label: t('home.day_end'), icon: '☰', route: { name: 'day-end' } }),
  fsm_jobs: () => ({ id: 'fsm-jobs', label: t('home.fsm_jobs'), icon: '⛟', route: { name: 'jobs' } }),
  trips: () => ({ id: 'trips-waiting', label: t('home.trips_waiting'), icon: '⛽', route: { name: 'trips' } }),
  review: () => ({ id: 'review-list', label: t('home.review'), icon: '✎', route: { name: 'review' } }),
};

/** The Home buttons of the tasks a user may start, in the core's order (a task without a Home
 *  button of its own, like new_fsm_job, is offered on its screen). */
export function actionsFor(tasks: string[]): Action[] {
  return tasks.filter((task) => TASK_BUTTONS[task]).map((task) => TASK_BUTTONS[task]());
}

export function Home() {
  const { state, reference, go, synced } = useApp();
  const user = state.user!;
  const [home, setHome] = useState<HomeT | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [showMap, setShowMap] = useState(false);

  useEffect(() => {
    api.home().then(setHome, (e) => setError(toApiError(e)));
  }, [synced]);

  const actions = actionsFor(user.tasks ?? []);
  const points: MapPoint[] = [];
  for (const r of [...(home?.todo ?? []), ...(home?.drafts ?? []), ...(home?.waiting ?? []), ...(home?.sent_today ?? [])]) {
    if (r.location && !points.some((p) => p.id === r.id)) points.push({ id: r.id, label: r.title, location: r.location, badge: r.badge });
  }

  return (
    <div>
      <h1 tabIndex={-1}>{t('home.hello', { name: user.name })}</h1>
      <p class="user-roles">{rolesText(user)}</p>
      {actions.length ? (
        <ul class="actions" aria-label={t('home.actions')}>
          {actions.map((a) => (
            <li key={a.id}>
              <button type="button" class="action" id={a.id} onClick={() => go(a.route)}>
                <span class="action-icon" aria-hidden="true">{a.icon}</span>
                {a.label}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p>{t('home.no_actions')}</p>
      )}
      <ErrorBox text={error ? errorText(error) : null} />
      <section aria-labelledby="todo-h" data-testid="home-todo">
        <h2 id="todo-h">{t('home.todo')}</h2>
        {home ? <RecordList rows={home.todo} empty={t('home.todo_empty')} /> : <p role="status">{t('app.loading')}</p>}
      </section>
      {home ? (
        <>
          <section aria-labelledby="drafts-h" data-testid="home-drafts">
            <h2 id="drafts-h">{t('home.drafts', { count: home.drafts.length })}</h2>
            <RecordList rows={home.drafts} empty={t('home.drafts_empty')} />
          </section>
          <section aria-labelledby="waiting-h" data-testid="home-waiting">
            <h2 id="waiting-h">{t('home.waiting', { count: home.waiting.length })}</h2>
            <RecordList rows={home.waiting} empty={t('home.waiting_empty')} />
          </section>
          <section aria-labelledby="sent-h" data-testid="home-sent-today">
            <h2 id="sent-h">{t('home.sent_today', { count: home.sent_today.length })}</h2>
            <RecordList rows={home.sent_today} empty={t('home.sent_today_empty')} />
          </section>
        </>
      ) : null}
      <section aria-labelledby="map-h">
        <h2 id="map-h">{t('home.map')}</h2>
        <button type="button" class="secondary" id="show-map" aria-expanded={showMap} onClick={() => setShowMap(!showMap)}>
          {showMap ? t('home.hide_map') : t('home.show_map')}
        </button>
        {showMap ? <OfflineMap id="home-map" wards={reference?.wards ?? []} points={points} /> : null}
      </section>
    </div>
  );
}
