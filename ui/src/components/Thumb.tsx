// A record's first photo, small: its thumbnail (api.photoThumbnail: this device's store, else the
// server's copy of a photo another phone took), or a plain mark while there is none to show
// (offline, or not uploaded yet); asked again after each sync until there is one.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import { useApp } from '../context';

export function Thumb({ sha256 }: { sha256: string | null | undefined }) {
  const { synced } = useApp();
  const [got, setGot] = useState<{ sha: string; url: string | null } | null>(null);
  const url = got && got.sha === sha256 ? got.url : undefined;
  useEffect(() => {
    if (!sha256 || url) return;
    let live = true;
    api.photoThumbnail(sha256).then((u) => { if (live) setGot({ sha: sha256, url: u }); }, () => { if (live) setGot({ sha: sha256, url: null }); });
    return () => { live = false; };
  }, [sha256, synced]);
  if (!sha256) return <span class="thumb thumb-none" data-testid="thumb" data-state="none" aria-hidden="true" />;
  if (url) return <img class="thumb" data-testid="thumb" data-state="shown" src={url} alt={t('photo.thumb_alt')} width={56} height={56} />;
  return (
    <span class="thumb thumb-missing" data-testid="thumb" data-state={url === null ? 'not_here' : 'loading'} role="img" aria-label={t('photo.not_here')}>
      <span aria-hidden="true">📷</span>
    </span>
  );
}
