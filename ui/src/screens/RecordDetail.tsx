import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type DetailLabel, type DetailValue, type Place, type PhotoRef, type RecordView, type Warning } from '../api';
import { Badge, errAttrs, ErrorBox, Field, kindText, Loading, noteText, Notice, RejectionBox, statusText, wardName, Warnings } from '../components/common';
import { Decision } from '../components/Decision';
import { ConflictCard } from '../components/ConflictCard';
import { CrewCustody } from '../components/Custody';
import { LocationPicker } from '../components/LocationPicker';
import { PhotoInput, Thumbnails } from '../components/PhotoInput';
import { useForm } from '../form';
import { useApp, type Route } from '../context';
import { errorText, toApiError } from '../errors';
import { dateTime, money, num, pick, t, tCode } from '../i18n';

/** A line's label in the screen's language: a checklist question, or the field's name. */
function labelText(l: DetailLabel): string {
  return l.type === 'question' ? pick(l.text, l.text_hi) : tCode('field', l.key, 'field.other', { field: l.key.replace(/[._]/g, ' ') });
}

/** A value as a person reads it: dates and amounts formatted, codes in words, names in the
 *  screen's language (the Rust side says which each value is: src/field/detail.rs). */
function detailText(v: DetailValue): string {
  switch (v.type) {
    case 'text': return v.text;
    case 'number': return num(v.value, 2);
    case 'yes_no': return v.value ? t('answer.yes') : t('answer.no');
    case 'money': return money(v.paise);
    case 'time': return dateTime(v.at);
    case 'code': return tCode(v.vocabulary, v.code, 'code.other', { code: v.code });
    case 'named': return pick(v.name, v.name_hi);
    case 'photos': return t('record.photo_count', { count: v.count });
  }
}

function mergeWarnings(a: Warning[], b: Warning[]): Warning[] {
  const out = [...a];
  for (const w of b) if (!out.some((x) => x.code === w.code)) out.push(w);
  return out;
}

/** Pickup (crew, on a job) or disposal (FSTP operator, on a trip): volume, place, photo. */
function TripStepForm({ kind, recordId, onSaved }: { kind: 'pickup' | 'disposal'; recordId: string; onSaved: (id: string, w: Warning[]) => void }) {
  const [volume, setVolume] = useState('');
  const [location, setLocation] = useState<Place | null>(null);
  const [photos, setPhotos] = useState<PhotoRef[]>([]);
  const { errors, general, busy, run } = useForm();
  const id = kind === 'pickup' ? 'trip-volume' : 'disposal-volume';

  const save = async (e: Event) => {
    e.preventDefault();
    // Litres as typed: the Rust side reads them (`2,400`, `२४००`) and answers with every problem.
    const step = { volume_litres: volume.trim(), location, photos };
    const saved = await run(() => (kind === 'pickup' ? api.tripPickup(recordId, step) : api.tripDisposal(recordId, step)));
    if (saved) onSaved(saved.id, saved.warnings);
  };

  return (
    <form class="panel" onSubmit={save} noValidate aria-labelledby={`${kind}-h`}>
      <h2 id={`${kind}-h`}>{kind === 'pickup' ? t('trip.pickup_title') : t('trip.disposal_title')}</h2>
      <ErrorBox text={general} errors={errors} />
      <Field id={id} label={kind === 'pickup' ? t('trip.volume_picked') : t('trip.volume_received')} fe={errors.volume_litres} required>
        <input id={id} inputMode="decimal" value={volume} onInput={(e) => setVolume((e.target as HTMLInputElement).value)} {...errAttrs(id, errors.volume_litres)} />
      </Field>
      <LocationPicker value={location} onChange={setLocation} errors={errors} idPrefix={`${kind}-loc`} />
      <PhotoInput id={`${kind}-photo`} label={t('photo.add')} photos={photos} onChange={setPhotos} fe={errors.photos} />
      <button type="submit" class="primary" id={`${kind}-submit`} disabled={busy}>
        {kind === 'pickup' ? t('trip.pickup_submit') : t('trip.disposal_submit')}
      </button>
    </form>
  );
}

export function RecordDetail({ route }: { route: Extract<Route, { name: 'record' }> }) {
  const { state, reference, go, syncChanged, synced } = useApp();
  const roles = state.user?.roles ?? [];
  const [view, setView] = useState<RecordView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(route.notice ?? null);
  const [extraWarnings, setExtraWarnings] = useState<Warning[]>(route.warnings ?? []);
  const [note, setNote] = useState('');

  const load = () => api.record(route.id).then((v) => { setView(v); setError(null); }, (e) => setError(toApiError(e)));
  useEffect(() => { load(); }, [route.id, synced]);

  const stepped = async (to: string, saved: { warnings: Warning[] }, settled = false) => {
    setNote('');
    setExtraWarnings(saved.warnings);
    setNotice(settled ? t('decision.settled', { status: statusText(to) }) : t('record.moved', { status: statusText(to) }));
    syncChanged();
    await load();
  };

  if (!view) return <Loading title={t('record.title')} error={error ? errorText(error) : null} />;

  const r = view.row;
  const warnings = mergeWarnings(view.warnings, extraWarnings);
  // The forms this user may fill on this record now: the core decides (RecordView.forms).
  const canPickup = view.forms.includes('trip_pickup');
  const canDispose = view.forms.includes('trip_disposal');
  const canHandOver = view.forms.includes('handover');
  const photos = view.photos;
  const fields = view.details.map((l): [string, string] => [labelText(l.label), detailText(l.value)]);

  return (
    <div data-testid="record-detail" data-record-id={r.id}>
      <h1 tabIndex={-1}>{r.title}</h1>
      <Notice text={notice} />
      {r.rejection ? <RejectionBox rejection={r.rejection} /> : null}
      {r.note ? (
        <div class="note-box" role="note" data-testid="sent-back-note">
          <p>{noteText(r.status, r.note)}</p>
        </div>
      ) : null}
      <Warnings warnings={warnings} />
      <ErrorBox text={error ? errorText(error) : null} />
      <div class="record-head">
        <Badge badge={r.badge} />
        <span class="status" data-testid="status" data-status={r.status}>{statusText(r.status)}</span>
      </div>
      <dl class="facts">
        <dt>{t('record.kind')}</dt><dd>{kindText(r.kind)}</dd>
        <dt>{t('record.ward')}</dt><dd>{wardName(r.ward, reference)}</dd>
        {r.author ? <><dt>{t('record.author')}</dt><dd data-testid="author">{r.author}</dd></> : null}
        {r.work_at ? <><dt>{t('record.work_at')}</dt><dd data-testid="work-at">{dateTime(r.work_at)}</dd></> : null}
        <dt>{t('record.updated')}</dt><dd>{dateTime(r.updated_at)}</dd>
        {r.amount_paise != null ? <><dt>{t('record.amount')}</dt><dd>{money(r.amount_paise)}</dd></> : null}
        {r.location ? (
          <>
            <dt>{t('record.location')}</dt>
            <dd>
              {t('loc.value', { lat: r.location.lat.toFixed(5), lon: r.location.lon.toFixed(5) })}
              {' · '}
              {r.location.accuracy_m != null ? t('loc.accuracy', { metres: num(r.location.accuracy_m) }) : t('loc.accuracy_unknown')}
            </dd>
          </>
        ) : null}
        {r.photos_waiting > 0 ? <><dt>{t('record.photos')}</dt><dd>{t('row.photos_waiting', { count: r.photos_waiting })}</dd></> : null}
      </dl>
      {view.editable ? (
        <div class="button-row">
          <button
            type="button"
            class="primary"
            id="edit-record"
            onClick={() => go(r.kind === 'asset_survey' ? { name: 'asset', id: r.id } : { name: 'inspection', id: r.id })}
          >
            {r.badge === 'rejected'
              ? t('record.correct')
              : r.status === 'DRAFT' || r.status === 'INITIATED'
                ? t('record.edit_draft')
                : t('record.edit_again')}
          </button>
        </div>
      ) : null}
      {photos.length ? (
        <section aria-labelledby="photos-h">
          <h2 id="photos-h">{t('record.photos')}</h2>
          <Thumbnails photos={photos} />
        </section>
      ) : null}
      {view.actions.length || view.settle?.length ? (
        <section class="panel" aria-labelledby="actions-h">
          <h2 id="actions-h">{t('record.actions')}</h2>
          {view.actions.some((a) => !['SENT_BACK', 'PENDINGFORMODIFICATION', 'REJECTED'].includes(a)) ? (
            <Field id="step-note" label={t('record.note')}>
              <textarea id="step-note" rows={2} maxLength={1000} value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
            </Field>
          ) : null}
          <Decision
            id={r.id}
            actions={view.actions}
            settle={view.settle ?? []}
            idPrefix="step"
            note={note}
            onDone={stepped}
          />
        </section>
      ) : null}
      {canPickup ? (
        <TripStepForm kind="pickup" recordId={r.id} onSaved={(id, w) => { syncChanged(); go({ name: 'record', id, notice: t('trip.picked'), warnings: w }); }} />
      ) : null}
      {canDispose ? (
        <TripStepForm
          kind="disposal"
          recordId={r.id}
          onSaved={(_id, w) => { syncChanged(); setExtraWarnings(w); setNotice(t('trip.disposed')); load(); }}
        />
      ) : null}
      {canHandOver ? (
        <CrewCustody tripId={r.id} onRecorded={() => { syncChanged(); setNotice(t('custody.recorded')); load(); }} />
      ) : null}
      {view.conflicts.length ? (
        <section aria-labelledby="conflicts-h">
          <h2 id="conflicts-h">{t('record.conflicts')}</h2>
          {view.conflicts.map((c) => (
            <ConflictCard key={c.field} c={c} canResolve={roles.includes('supervisor')} onResolved={() => { setNotice(t('conflict.resolved')); load(); }} />
          ))}
        </section>
      ) : null}
      {view.history?.length ? (
        <section aria-labelledby="history-h">
          <h2 id="history-h">{t('record.history')}</h2>
          <ol class="history" data-testid="history">
            {view.history.map((h, i) => (
              <li key={i} data-testid="history-step" data-to={h.to}>
                <span>{h.settles ? t('decision.settled', { status: statusText(h.to) }) : statusText(h.to)}</span>
                <span class="row-meta">{t('history.by', { name: h.by, time: dateTime(h.at) })}</span>
                {h.note ? <span class="history-note">{t('history.note', { note: h.note })}</span> : null}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
      {fields.length ? (
        <section aria-labelledby="fields-h">
          <h2 id="fields-h">{t('record.fields')}</h2>
          <dl class="fields" data-testid="fields">
            {fields.map(([label, v]) => (
              <div key={label} class="kv"><dt>{label}</dt><dd>{v}</dd></div>
            ))}
          </dl>
        </section>
      ) : null}
    </div>
  );
}
