// A record's first photo, small: its thumbnail from this device's store (api.photoThumbnail), or
// a plain mark when the photo's bytes are not on this device.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';

export function Thumb({ sha256 }: { sha256: string | null | undefined }) {
  const [url, setUrl] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    setUrl(undefined);
    if (!sha256) return;
    let live = true;
    api.photoThumbnail(sha256).then((u) => { if (live) setUrl(u); }, () => { if (live) setUrl(null); });
    return () => { live = false; };
  }, [sha256]);
  if (!sha256) return <span class="thumb thumb-none" data-testid="thumb" data-state="none" aria-hidden="true" />;
  if (url) return <img class="thumb" data-testid="thumb" data-state="shown" src={url} alt={t('photo.thumb_alt')} width={56} height={56} />;
  return (
    <span class="thumb thumb-missing" data-testid="thumb" data-state={url === null ? 'not_here' : 'loading'} role="img" aria-label={t('photo.not_here')}>
      <span aria-hidden="true">📷</span>
    </span>
  );
}
