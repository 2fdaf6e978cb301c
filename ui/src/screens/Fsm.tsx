import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type Place, type RecordRow } from '../api';
import { errAttrs, ErrorBox, Field, RecordList } from '../components/common';
import { LocationPicker } from '../components/LocationPicker';
import { useForm } from '../form';
import { useApp } from '../context';
import { errorText, toApiError } from '../errors';
import { PlantCountersign } from '../components/Custody';
import { t } from '../i18n';

export function Jobs() {
  const { go, synced, state } = useApp();
  const canRegister = state.user?.tasks.includes('new_fsm_job') ?? false;
  const [rows, setRows] = useState<RecordRow[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    api.listRecords('fsm_job').then(setRows, (e) => setError(toApiError(e)));
  }, [synced]);
  return (
    <div>
      <h1 tabIndex={-1}>{t('fsm.jobs_title')}</h1>
      {canRegister ? (
        <button type="button" class="primary" id="new-job" onClick={() => go({ name: 'new-job' })}>
          <span aria-hidden="true">+ </span>{t('fsm.new_job')}
        </button>
      ) : null}
      <ErrorBox text={error ? errorText(error) : null} />
      {rows ? <RecordList rows={rows} empty={t('fsm.no_jobs')} /> : error ? null : <p role="status">{t('app.loading')}</p>}
    </div>
  );
}

export function Trips() {
  const { synced, state } = useApp();
  const operator = state.user?.tasks.includes('trips') ?? false;
  const [rows, setRows] = useState<RecordRow[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    api.listRecords('trip').then(setRows, (e) => setError(toApiError(e)));
  }, [synced]);
  const waiting = (rows ?? []).filter((r) => r.status === 'WAITING_FOR_DISPOSAL');
  const others = (rows ?? []).filter((r) => r.status !== 'WAITING_FOR_DISPOSAL');
  return (
    <div>
      <h1 tabIndex={-1}>{t('fsm.trips_title')}</h1>
      {operator ? <PlantCountersign /> : null}
      <ErrorBox text={error ? errorText(error) : null} />
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

export function NewJob() {
  const { go, syncChanged } = useApp();
  const [applicant, setApplicant] = useState('');
  const [mobile, setMobile] = useState('');
  const [locality, setLocality] = useState('');
  const [location, setLocation] = useState<Place | null>(null);
  const [pit, setPit] = useState({ length: '', width: '', height: '' });
  const [postPay, setPostPay] = useState(false);
  const { errors, general, busy, run } = useForm();

  // Everything goes to the Rust side as typed (sizes too: `1.5`, `१.५`); it answers with every
  // problem at once.
  const save = async (e: Event) => {
    e.preventDefault();
    const saved = await run(() =>
      api.createFsmJob({
        applicant_name: applicant.trim(),
        mobile_number: mobile.trim() || null,
        locality: locality.trim(),
        location,
        pit_length: pit.length.trim() || null,
        pit_width: pit.width.trim() || null,
        pit_height: pit.height.trim() || null,
        post_pay: postPay,
      }),
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
