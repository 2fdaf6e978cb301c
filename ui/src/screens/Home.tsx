import { useEffect, useState } from 'preact/hooks';
import { api, type Home as HomeT, type Role } from '../api';
import { ErrorBox, RecordList } from '../components/common';
import { OfflineMap, type MapPoint } from '../components/OfflineMap';
import { useApp, type Route } from '../context';
import { errorText, toApiError } from '../errors';
import { t } from '../i18n';
import { rolesText } from './SignIn';

interface Action { id: string; label: string; icon: string; route: Route }

/** The actions a set of roles has, each once, in a fixed order. */
export function actionsFor(roles: Role[]): Action[] {
  const has = (r: Role) => roles.includes(r);
  const out: Action[] = [];
  if (has('inspector')) out.push({ id: 'new-inspection', label: t('home.new_inspection'), icon: '☑', route: { name: 'inspection' } });
  if (has('surveyor')) out.push({ id: 'new-asset', label: t('home.new_asset'), icon: '⌖', route: { name: 'asset' } });
  if (has('collector')) out.push({ id: 'collect-fee', label: t('home.collect_fee'), icon: '₹', route: { name: 'fee' } });
  if (has('collector')) out.push({ id: 'day-end', label: t('home.day_end'), icon: '☰', route: { name: 'day-end' } });
  if (has('sanitation_crew') || has('supervisor')) out.push({ id: 'fsm-jobs', label: t('home.fsm_jobs'), icon: '⛟', route: { name: 'jobs' } });
  if (has('fstp_operator')) out.push({ id: 'trips-waiting', label: t('home.trips_waiting'), icon: '⛽', route: { name: 'trips' } });
  if (has('supervisor')) out.push({ id: 'review-list', label: t('home.review'), icon: '✎', route: { name: 'review' } });
  return out;
}

export function Home() {
  const { state, reference, go, synced } = useApp();
  const user = state.user!;
  const [home, setHome] = useState<HomeT | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [showMap, setShowMap] = useState(false);

  useEffect(() => {
    api.home().then(setHome, (e) => setError(errorText(toApiError(e))));
  }, [synced]);

  const actions = actionsFor(user.roles);
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
      <ErrorBox text={error} />
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
