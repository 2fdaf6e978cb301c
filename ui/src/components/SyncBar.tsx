// Online/offline, last sync, what waits, and "Sync now": on every signed-in screen.
import { useEffect, useState } from 'preact/hooks';
import { api, type SyncStatus } from '../api';
import { errorText, toApiError } from '../errors';
import { num, relTime, t, tCode } from '../i18n';

export const SYNC_POLL_MS = 4000;

/** A sync finished since `before`: records on screen may have changed state. */
function newer(before: SyncStatus | null, after: SyncStatus): boolean {
  return !!before && (after.last_sync_at !== before.last_sync_at || after.waiting !== before.waiting);
}

export function SyncBar({ tick, onSynced }: { tick: number; onSynced: () => void }) {
  const [status, setStatusRaw] = useState<SyncStatus | null>(null);
  const setStatus = (s: SyncStatus) =>
    setStatusRaw((before) => {
      if (newer(before, s)) window.setTimeout(onSynced, 0);
      return s;
    });
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let alive = true;
    const poll = () =>
      api.syncStatus().then(
        (s) => alive && setStatus(s),
        () => undefined,
      );
    poll();
    const timer = window.setInterval(poll, SYNC_POLL_MS);
    return () => {
      alive = false;
      window.clearInterval(timer);
    };
  }, [tick]);

  const syncNow = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const s = await api.syncNow();
      setStatus(s);
      setMessage(s.last_error ? tCode('err', s.last_error, 'err.sync_failed') : t('sync.done'));
    } catch (e) {
      setMessage(errorText(toApiError(e)));
    } finally {
      setBusy(false);
    }
  };

  const online = status?.online ?? false;
  const syncing = busy || (status?.syncing ?? false);
  return (
    <section class={`sync-bar ${online ? 'online' : 'offline'}`} data-testid="sync-bar" aria-label={t('sync.label')}>
      <div class="sync-line">
        <span class="sync-state" data-testid="sync-state" data-online={String(online)}>
          <span aria-hidden="true">{online ? '▲ ' : '▽ '}</span>
          {online ? t('sync.online') : t('sync.offline')}
        </span>
        <span class="sync-last" data-testid="last-sync">
          {status?.last_sync_at ? t('sync.last', { when: relTime(status.last_sync_at) }) : t('sync.never')}
        </span>
      </div>
      <div class="sync-line">
        <span>
          <span data-testid="waiting-count" data-count={status?.waiting ?? 0}>{num(status?.waiting ?? 0)}</span>
          {' '}{t('sync.records_waiting')}
        </span>
        <span>
          <span data-testid="photos-waiting" data-count={status?.photos_waiting ?? 0}>{num(status?.photos_waiting ?? 0)}</span>
          {' '}{t('sync.photos_waiting')}
        </span>
        <button type="button" class="sync-now" data-testid="sync-now" onClick={syncNow} disabled={syncing}>
          <span aria-hidden="true">↻ </span>{syncing ? t('sync.syncing') : t('sync.now')}
        </button>
      </div>
      <div role="status" class={message ? 'sync-msg' : 'sr-only'} data-testid="sync-message">{message}</div>
    </section>
  );
}
