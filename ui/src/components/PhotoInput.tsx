// A photo from the camera (or the gallery): bytes → base64 → api.addPhoto → PhotoRef.
import { useRef, useState } from 'preact/hooks';
import { api, type ApiError, type FieldError, type PhotoRef } from '../api';
import { errorText, toApiError } from '../errors';
import { t } from '../i18n';
import { errAttrs, FieldErr } from './common';
import { Thumb } from './Thumb';

/** A file's bytes as base64 (what the Rust side takes for photos and scanned codes). */
export function toBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const s = String(r.result);
      resolve(s.slice(s.indexOf(',') + 1));
    };
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

/** The photos of a record as thumbnails. */
export function Thumbnails({ photos }: { photos: PhotoRef[] }) {
  if (!photos.length) return null;
  return (
    <ul class="thumbs" data-testid="thumbnails">
      {photos.map((p, i) => <li key={p.sha256 + i}><Thumb sha256={p.sha256} n={i + 1} size={96} /></li>)}
    </ul>
  );
}

interface Props {
  id: string;
  label: string;
  photos: PhotoRef[];
  onChange: (photos: PhotoRef[]) => void;
  fe?: FieldError;
  required?: boolean;
}

export function PhotoInput({ id, label, photos, onChange, fe, required }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const onFiles = async (input: HTMLInputElement) => {
    const files = Array.from(input.files ?? []);
    if (files.length === 0) return;
    setBusy(true);
    setError(null);
    const added: PhotoRef[] = [];
    try {
      for (const f of files) added.push(await api.addPhoto(await toBase64(f)));
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
      input.value = '';
      if (added.length) onChange([...photos, ...added]);
    }
  };

  return (
    <div class={`field photo-field${fe ? ' has-error' : ''}`}>
      {/* The button opens the camera or gallery; the file input itself is hidden (no box at
          all), so it can never lie over another control, whatever the engine does with the
          overflow of a tiny file input (WebKitGTK lets its "Choose file" part cover the next
          button). */}
      <button type="button" id={`${id}-button`} class="photo-label" onClick={() => input.current?.click()} {...errAttrs(id, fe)}>
        <span aria-hidden="true">📷 </span>
        {label}
        {required ? <span class="req"> ({t('form.required')})</span> : null}
      </button>
      <input
        ref={input}
        id={id}
        type="file"
        accept="image/*"
        capture="environment"
        hidden
        onChange={(e) => onFiles(e.target as HTMLInputElement)}
      />
      <div role="status" data-testid="photo-status" class="hint">
        {busy ? t('photo.adding') : photos.length ? t('photo.count', { count: photos.length }) : ''}
      </div>
      {error ? <p class="field-error">{errorText(error)}</p> : null}
      {photos.length > 0 ? (
        <ul class="photos">
          {photos.map((p, i) => (
            <li key={p.sha256 + i} data-testid="photo" data-sha256={p.sha256}>
              <Thumb sha256={p.sha256} n={i + 1} size={96} />
              <button
                type="button"
                class="link"
                onClick={() => onChange(photos.filter((_, j) => j !== i))}
                aria-label={t('photo.remove_n', { n: i + 1 })}
              >
                {t('photo.remove')}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <FieldErr id={id} fe={fe} />
    </div>
  );
}
