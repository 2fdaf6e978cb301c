import { useEffect, useState } from 'preact/hooks';
import { api, type GeoPoint, type RecordRow } from '../api';
import { errAttrs, ErrorBox, Field, RecordList } from '../components/common';
import { LocationPicker } from '../components/LocationPicker';
import { useForm } from '../form';
import { useApp } from '../context';
import { errorText, localError, toApiError, type FieldErrors } from '../errors';
import { PlantCountersign } from '../components/Custody';
import { t } from '../i18n';

export function Jobs() {
  const { go, synced, state } = useApp();
  // Only the office registers a desludging request (Field::create_fsm_job: supervisor).
  const registers = state.user?.roles.includes('supervisor') ?? false;
  const [rows, setRows] = useState<RecordRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.listRecords('fsm_job').then(setRows, (e) => setError(errorText(toApiError(e))));
  }, [synced]);
  return (
    <div>
      <h1 tabIndex={-1}>{t('fsm.jobs_title')}</h1>
      {registers && (
        <button type="button" class="primary" id="new-job" onClick={() => go({ name: 'new-job' })}>
          <span aria-hidden="true">+ </span>{t('fsm.new_job')}
        </button>
      )}
      <ErrorBox text={error} />
      {rows ? <RecordList rows={rows} empty={t('fsm.no_jobs')} /> : error ? null : <p role="status">{t('app.loading')}</p>}
    </div>
  );
}

export function Trips() {
  const { synced, state } = useApp();
  const operator = state.user?.roles.includes('fstp_operator') ?? false;
  const [rows, setRows] = useState<RecordRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.listRecords('trip').then(setRows, (e) => setError(errorText(toApiError(e))));
  }, [synced]);
  const waiting = (rows ?? []).filter((r) => r.status === 'WAITING_FOR_DISPOSAL');
  const others = (rows ?? []).filter((r) => r.status !== 'WAITING_FOR_DISPOSAL');
  return (
    <div>
      <h1 tabIndex={-1}>{t('fsm.trips_title')}</h1>
      {operator ? <PlantCountersign /> : null}
      <ErrorBox text={error} />
      {rows ? (
        <>
          <RecordList rows={waiting} empty={t('fsm.no_trips')} />
          {others.length ? (
            <section aria-labelledby="trips-done-h">
              <h2 id="trips-done-h">{t('fsm.trips_done')}</h2>
              <RecordList rows={others} empty="" />
            </section>
          ) : null}
        </>
      ) : error ? null : <p role="status">{t('app.loading')}</p>}
    </div>
  );
}

const numberOrNull = (s: string) => (s.trim() === '' ? null : Number(s.replace(',', '.')));

export function NewJob() {
  const { go, syncChanged } = useApp();
  const [applicant, setApplicant] = useState('');
  const [mobile, setMobile] = useState('');
  const [locality, setLocality] = useState('');
  const [location, setLocation] = useState<GeoPoint | null>(null);
  const [pit, setPit] = useState({ length: '', width: '', height: '' });
  const [postPay, setPostPay] = useState(false);
  const { errors, general, busy, run } = useForm();

  const save = async (e: Event) => {
    e.preventDefault();
    const errs: FieldErrors = {};
    if (!applicant.trim()) errs.applicant_name = localError('applicant_name', 'required');
    if (!locality.trim()) errs.locality = localError('locality', 'required');
    if (mobile.trim() && !/^[0-9]{10}$/.test(mobile.trim())) errs.mobile_number = localError('mobile_number', 'mobile');
    for (const k of ['length', 'width', 'height'] as const) {
      const n = numberOrNull(pit[k]);
      if (n !== null && !Number.isFinite(n)) errs[`pit_${k}`] = localError(`pit_${k}`, 'not_a_number');
      else if (n !== null && n < 0) errs[`pit_${k}`] = localError(`pit_${k}`, 'negative');
    }
    const saved = await run(
      () =>
        api.createFsmJob({
          applicant_name: applicant.trim(),
          mobile_number: mobile.trim() || null,
          locality: locality.trim(),
          location,
          pit_length: numberOrNull(pit.length),
          pit_width: numberOrNull(pit.width),
          pit_height: numberOrNull(pit.height),
          post_pay: postPay,
        }),
      errs,
    );
    if (!saved) return;
    syncChanged();
    go({ name: 'record', id: saved.id, notice: t('fsm.job_saved'), warnings: saved.warnings }, true);
  };

  return (
    <form onSubmit={save} noValidate>
      <h1 tabIndex={-1}>{t('fsm.new_job_title')}</h1>
      <ErrorBox text={general} errors={errors} />
      <Field id="applicant" label={t('fsm.applicant')} fe={errors.applicant_name} required>
        <input id="applicant" value={applicant} onInput={(e) => setApplicant((e.target as HTMLInputElement).value)} {...errAttrs('applicant', errors.applicant_name)} />
      </Field>
      <Field id="job-mobile" label={t('fee.mobile')} fe={errors.mobile_number} hint={t('fee.mobile_hint')}>
        <input id="job-mobile" type="tel" inputMode="numeric" value={mobile} onInput={(e) => setMobile((e.target as HTMLInputElement).value)} {...errAttrs('job-mobile', errors.mobile_number, 'job-mobile-hint')} />
      </Field>
      <Field id="locality" label={t('fsm.locality')} fe={errors.locality} required>
        <input id="locality" value={locality} onInput={(e) => setLocality((e.target as HTMLInputElement).value)} {...errAttrs('locality', errors.locality)} />
      </Field>
      <LocationPicker value={location} onChange={setLocation} errors={errors} />
      <fieldset class="field">
        <legend>{t('fsm.pit')}</legend>
        <div class="pit-grid">
          {(['length', 'width', 'height'] as const).map((k) => (
            <Field key={k} id={`pit-${k}`} label={t(`fsm.pit_${k}`)} fe={errors[`pit_${k}`]}>
              <input
                id={`pit-${k}`}
                inputMode="decimal"
                value={pit[k]}
                onInput={(e) => setPit({ ...pit, [k]: (e.target as HTMLInputElement).value })}
                {...errAttrs(`pit-${k}`, errors[`pit_${k}`])}
              />
            </Field>
          ))}
        </div>
      </fieldset>
      <label class="choice" for="post-pay">
        <input type="checkbox" id="post-pay" checked={postPay} onChange={(e) => setPostPay((e.target as HTMLInputElement).checked)} />
        {t('fsm.post_pay')}
      </label>
      <button type="submit" id="job-save" class="primary" disabled={busy}>{t('fsm.save_job')}</button>
      <p class="hint">{t('form.saved_offline')}</p>
    </form>
  );
}
