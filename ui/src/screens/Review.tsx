import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type QueueItem, type ReviewList } from '../api';
import { Badge, ErrorBox, kindText, noteText, Notice, RecordList, statusText, wardName } from '../components/common';
import { ConflictCard } from '../components/ConflictCard';
import { Decision } from '../components/Decision';
import { Thumb } from '../components/Thumb';
import { CashQueue } from '../components/CashQueue';
import { errorText, toApiError } from '../errors';
import { dateTime, t } from '../i18n';
import { useApp } from '../context';

/** What a queue line lets her decide. Cash handovers and receipt cancellations get the day-end
 *  component (branch `dayend`) here, by kind: add `case 'handover':` / `case 'reversal':` and
 *  return it with the same `item` and `onDone`. Every other kind: approve, send back with a
 *  note, reject with a reason, or settle a record in review. */
function QueueDecision({ item, onDone }: { item: QueueItem; onDone: (to: string) => void }) {
  switch (item.row.kind) {
    default:
      return <Decision id={item.row.id} actions={item.actions} settle={item.settle} idPrefix={`q-${item.row.id}`} onDone={(to) => onDone(to)} />;
  }
}

/** One line of her queue: photo, what and where, who did it and when the work was done. */
function QueueLine({ item, onDone }: { item: QueueItem; onDone: (to: string) => void }) {
  const { go, reference } = useApp();
  const r = item.row;
  return (
    <li class="queue-item" data-testid="queue-item" data-record-id={r.id} data-kind={r.kind} data-work-at={r.work_at} data-updated-at={r.updated_at}>
      <div class="queue-head">
        <Thumb sha256={r.photo} />
        <button type="button" class="row" data-testid="record-row" data-record-id={r.id} onClick={() => go({ name: 'record', id: r.id })}>
          <span class="row-title">{r.title}</span>
          <span class="row-meta">{kindText(r.kind)} · {statusText(r.status)} · {wardName(r.ward, reference)}</span>
          <span class="row-meta" data-testid="queue-by">
            {t('queue.by', { name: r.author ?? t('queue.someone'), time: dateTime(r.work_at ?? r.updated_at) })}
          </span>
          {r.note ? <span class="row-note" data-testid="row-note">{noteText(r.status, r.note)}</span> : null}
          <Badge badge={r.badge} />
        </button>
      </div>
      <QueueDecision item={item} onDone={onDone} />
    </li>
  );
}

export function Review() {
  const { synced, syncChanged } = useApp();
  const [list, setList] = useState<ReviewList | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = () => api.reviewList().then(setList, (e) => setError(toApiError(e)));
  useEffect(() => { load(); }, [synced]);

  const decided = (title: string, to: string) => {
    setNotice(t('queue.decided', { title, status: statusText(to) }));
    syncChanged();
    load();
  };

  return (
    <div>
      <h1 tabIndex={-1}>{t('review.title')}</h1>
      <Notice text={notice} />
      <ErrorBox text={error ? errorText(error) : null} />
      <CashQueue />
      {list ? (
        <>
          <section aria-labelledby="queue-h" data-testid="queue">
            <h2 id="queue-h">{t('review.waiting', { count: list.waiting.length })}</h2>
            {list.waiting.length === 0 ? <p class="empty">{t('review.waiting_none')}</p> : null}
            <ul class="queue">
              {list.waiting.map((item) => (
                <QueueLine key={item.row.id} item={item} onDone={(to) => decided(item.row.title, to)} />
              ))}
            </ul>
          </section>
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
          <section aria-labelledby="rejected-h">
            <h2 id="rejected-h">{t('review.rejected', { count: list.rejected.length })}</h2>
            <RecordList rows={list.rejected} empty={t('review.none')} />
          </section>
        </>
      ) : error ? null : <p role="status">{t('app.loading')}</p>}
    </div>
  );
}
