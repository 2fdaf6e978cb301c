import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type ReviewList } from '../api';
import { ErrorBox, Notice, RecordList } from '../components/common';
import { ConflictCard } from '../components/ConflictCard';
import { errorText, toApiError } from '../errors';
import { t } from '../i18n';
import { useApp } from '../context';

export function Review() {
  const { synced } = useApp();
  const [list, setList] = useState<ReviewList | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = () => api.reviewList().then(setList, (e) => setError(toApiError(e)));
  useEffect(() => { load(); }, [synced]);

  return (
    <div>
      <h1 tabIndex={-1}>{t('review.title')}</h1>
      <Notice text={notice} />
      <ErrorBox text={error ? errorText(error) : null} />
      {list ? (
        <>
          <section aria-labelledby="conflicts-h">
            <h2 id="conflicts-h">{t('review.conflicts', { count: list.conflicts.length })}</h2>
            {list.conflicts.length === 0 ? <p class="empty">{t('review.no_conflicts')}</p> : null}
            {list.conflicts.map((c) => (
              <ConflictCard
                key={`${c.record}/${c.field}`}
                c={c}
                canResolve
                onResolved={() => { setNotice(t('conflict.resolved')); load(); }}
              />
            ))}
          </section>
          <section aria-labelledby="needs-review-h">
            <h2 id="needs-review-h">{t('review.needs_review', { count: list.needs_review.length })}</h2>
            <RecordList rows={list.needs_review} empty={t('review.none')} />
          </section>
          <section aria-labelledby="rejected-h">
            <h2 id="rejected-h">{t('review.rejected', { count: list.rejected.length })}</h2>
            <RecordList rows={list.rejected} empty={t('review.none')} />
          </section>
        </>
      ) : error ? null : <p role="status">{t('app.loading')}</p>}
    </div>
  );
}
