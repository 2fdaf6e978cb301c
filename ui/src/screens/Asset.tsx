import { useEffect, useState } from 'preact/hooks';
import { api, type AssetDraft, type Place, type PhotoRef } from '../api';
import { errAttrs, ErrorBox, Field, FieldErr, Loading, noteText } from '../components/common';
import { LocationPicker } from '../components/LocationPicker';
import { PhotoInput } from '../components/PhotoInput';
import { useForm } from '../form';
import { useApp } from '../context';
import { errorText, toApiError } from '../errors';
import { t } from '../i18n';

type AssetType = NonNullable<AssetDraft['asset_type']>;
type Condition = NonNullable<AssetDraft['condition']>;

export const ASSET_TYPES: AssetType[] = [
  'STREETLIGHT', 'PUBLIC_TOILET', 'DRAIN', 'SEPTIC_TANK', 'BIN', 'WATER_CONNECTION', 'PROPERTY',
];
export const CONDITIONS: Condition[] = ['GOOD', 'FAIR', 'POOR', 'NON_FUNCTIONAL'];

/** A new survey, or with `id` one sent back for changes, opened as it was saved. */
export function AssetForm({ id }: { id?: string } = {}) {
  const { go, syncChanged } = useApp();
  const [type, setType] = useState<AssetType | ''>('');
  const [name, setName] = useState('');
  const [condition, setCondition] = useState<Condition | ''>('');
  const [location, setLocation] = useState<Place | null>(null);
  const [photos, setPhotos] = useState<PhotoRef[]>([]);
  const { errors, general, busy, run } = useForm();
  const [loaded, setLoaded] = useState<{ status: string; note: string | null } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    if (!id) return;
    api.record(id).then((v) => {
      const body = v.draft?.form === 'asset' ? v.draft : null;
      if (!body) return setLoadError(errorText({ code: 'not_editable', message: '', fields: [] }));
      setType(body.asset_type ?? '');
      setName(body.asset_name);
      setCondition(body.condition ?? '');
      setLocation(body.location);
      setPhotos(body.photos);
      setLoaded({ status: v.row.status, note: v.row.note ?? null });
    }, (e) => setLoadError(errorText(toApiError(e))));
  }, [id]);

  const save = async (e: Event) => {
    e.preventDefault();
    // The whole draft goes to the Rust side, chosen or not: it answers with every problem.
    const draft: AssetDraft = { asset_type: type || null, asset_name: name.trim(), condition: condition || null, location, photos };
    const saved = await run(() => (id ? api.editAsset(id, draft) : api.saveAsset(draft)));
    if (!saved) return;
    syncChanged();
    go({ name: 'record', id: saved.id, notice: id ? t('asset.resubmitted') : t('asset.saved'), warnings: saved.warnings }, true);
  };

  if (id && !loaded) return <Loading title={t('asset.edit_title')} error={loadError} />;

  return (
    <form onSubmit={save} noValidate>
      <h1 tabIndex={-1}>{id ? t('asset.edit_title') : t('asset.title')}</h1>
      {loaded?.note ? <div class="note-box" role="note" data-testid="sent-back-note"><p>{noteText(loaded.status, loaded.note)}</p></div> : null}
      <ErrorBox text={general} errors={errors} />
      <Field id="asset-type" label={t('asset.type')} fe={errors.asset_type} required>
        <select id="asset-type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value as AssetType)} {...errAttrs('asset-type', errors.asset_type)}>
          <option value="">{t('form.choose')}</option>
          {ASSET_TYPES.map((a) => <option key={a} value={a}>{t(`asset_type.${a}`)}</option>)}
        </select>
      </Field>
      <Field id="asset-name" label={t('asset.name')} fe={errors.asset_name} hint={t('asset.name_hint')} required>
        <input id="asset-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} {...errAttrs('asset-name', errors.asset_name, 'asset-name-hint')} />
      </Field>
      <fieldset class={`field${errors.condition ? ' has-error' : ''}`} id="condition" {...errAttrs('condition', errors.condition)}>
        <legend>{t('asset.condition')}<span class="req"> ({t('form.required')})</span></legend>
        <div class="choice-grid">
          {CONDITIONS.map((c) => (
            <label class="choice" key={c} for={`condition-${c}`}>
              <input type="radio" name="condition" id={`condition-${c}`} checked={condition === c} onChange={() => setCondition(c)} />
              {t(`condition.${c}`)}
            </label>
          ))}
        </div>
        <FieldErr id="condition" fe={errors.condition} />
      </fieldset>
      <LocationPicker value={location} onChange={setLocation} errors={errors} />
      <PhotoInput id="asset-photo" label={t('photo.add')} photos={photos} onChange={setPhotos} fe={errors.photos} />
      <button type="submit" id="asset-save" class="primary" disabled={busy}>{id ? t('asset.resubmit') : t('asset.save')}</button>
      <p class="hint">{t('form.saved_offline')}</p>
    </form>
  );
}
