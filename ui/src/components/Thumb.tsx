// A record's first photo, small: its thumbnail (api.photoThumbnail: this device's store, else the
// server's copy of a photo another phone took), or a plain mark while there is none to show
// (offline, or not uploaded yet); asked again after each sync until there is one.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import { useApp } from '../context';

/** Thumbnails found, by SHA-256 (a stored photo never changes); one not found yet is asked
 *  again, since it may arrive with a sync. */
const found = new Map<string, string>();

/** `n`: the photo's number among the record's (named in its text alternative); `size` in px. */
export function Thumb({ sha256, n, size = 56 }: { sha256: string | null | undefined; n?: number; size?: number }) {
  const { synced } = useApp();
  const [got, setGot] = useState<{ sha: string; url: string | null } | null>(null);
  const url = (sha256 && found.get(sha256)) || (got && got.sha === sha256 ? got.url : undefined);
  useEffect(() => {
    if (!sha256 || url) return;
    let live = true;
    api.photoThumbnail(sha256).then((u) => {
      if (u) found.set(sha256, u);
      if (live) setGot({ sha: sha256, url: u });
    }, () => { if (live) setGot({ sha: sha256, url: null }); });
    return () => { live = false; };
  }, [sha256, synced]);
  if (!sha256) return <span class="thumb thumb-none" data-testid="thumb" data-state="none" aria-hidden="true" />;
  const style = { width: `${size}px`, height: `${size}px` };
  if (url) return <img class="thumb" data-testid="thumb" data-state="shown" src={url} alt={n ? t('photo.item_n', { n }) : t('photo.thumb_alt')} width={size} height={size} style={style} />;
  return (
    <span class="thumb thumb-missing" style={style} data-testid="thumb" data-state={url === null ? 'not_here' : 'loading'} role="img" aria-label={t('photo.not_here', { n: n ?? 1 })}>
      <span aria-hidden="true">📷</span>
    </span>
  );
}
