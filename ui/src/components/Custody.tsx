// The desludging chain of custody at the plant gate, with no network: the crew's phone shows a
// signed handover code (QR + text), the plant operator's phone reads it and countersigns the
// litres received, and shows a code back that the crew's phone reads. The server checks the
// pair when either phone syncs.
import { useState } from 'preact/hooks';
import { api, type CodeView, type GeoPoint } from '../api';
import { localError, type FieldErrors } from '../errors';
import { litres, useForm } from '../form';
import { t } from '../i18n';
import { errAttrs, ErrorBox, Field } from './common';
import { LocationPicker, pointOrTyped } from './LocationPicker';

/** The code field's errors in words for codes: "bad_code" here means a code that cannot be read. */
function codeError(errors: FieldErrors) {
  const fe = errors.custody;
  return fe && fe.code === 'bad_code' ? { ...fe, code: 'code_unreadable' } : fe;
}

/** A code to show another phone: the QR code, and the text for typing when there is no camera. */
export function ShowCode({ code, testid, caption }: { code: CodeView; testid: string; caption: string }) {
  return (
    <figure class="code-show" data-testid={testid}>
      {/* The SVG comes from the app's own Rust side (the qrcode crate), never from the network. */}
      <div class="qr" role="img" aria-label={t('custody.qr_label')} dangerouslySetInnerHTML={{ __html: code.qr_svg }} />
      <figcaption>
        {caption}
        <code class="code-text" data-testid={`${testid}-text`}>{code.code}</code>
      </figcaption>
    </figure>
  );
}

/** Crew, on a trip waiting for disposal: show the handover, then read the plant's code back. */
export function CrewCustody({ tripId, onRecorded }: { tripId: string; onRecorded: () => void }) {
  const [handover, setHandover] = useState<CodeView | null>(null);
  const [back, setBack] = useState('');
  const [location, setLocation] = useState<GeoPoint | null>(null);
  const form = useForm();

  const show = async () => {
    const code = await form.run(() => api.handoverCode(tripId));
    if (code) setHandover(code);
  };
  const record = async (e: Event) => {
    e.preventDefault();
    const local: FieldErrors = {};
    if (!back.trim()) local.custody = localError('custody', 'required');
    const saved = await form.run(() => api.recordCountersigned(tripId, back.trim(), location), local);
    if (saved) onRecorded();
  };

  return (
    <section class="panel" aria-labelledby="custody-h">
      <h2 id="custody-h">{t('custody.crew_title')}</h2>
      <p class="hint">{t('custody.crew_hint')}</p>
      <ErrorBox text={form.general} errors={form.errors} />
      {handover ? (
        <ShowCode code={handover} testid="handover-qr" caption={t('custody.show_operator')} />
      ) : (
        <button type="button" class="primary" id="show-handover" disabled={form.busy} onClick={show}>
          {t('custody.show_handover')}
        </button>
      )}
      <form onSubmit={record} noValidate>
        <Field id="countersign-code" label={t('custody.plant_code')} fe={codeError(form.errors)} hint={t('custody.plant_code_hint')} required>
          <textarea
            id="countersign-code"
            rows={3}
            value={back}
            onInput={(e) => setBack((e.target as HTMLTextAreaElement).value)}
            {...errAttrs('countersign-code', codeError(form.errors), 'countersign-code-hint')}
          />
        </Field>
        <LocationPicker value={location} onChange={(p) => setLocation(pointOrTyped(p))} errors={form.errors} idPrefix="custody-loc" />
        <button type="submit" class="primary" id="record-countersigned" disabled={form.busy}>
          {t('custody.record')}
        </button>
      </form>
    </section>
  );
}

/** Plant operator: read a crew's code, countersign the litres received, show the code back. */
export function PlantCountersign() {
  const [code, setCode] = useState('');
  const [volume, setVolume] = useState('');
  const [location, setLocation] = useState<GeoPoint | null>(null);
  const [back, setBack] = useState<CodeView | null>(null);
  const form = useForm();

  const sign = async (e: Event) => {
    e.preventDefault();
    const local: FieldErrors = {};
    if (!code.trim()) local.custody = localError('custody', 'required');
    const v = litres(volume, local);
    const signed = await form.run(() => api.countersign(code.trim(), v, location), local);
    if (signed) setBack(signed);
  };

  return (
    <section class="panel" aria-labelledby="countersign-h">
      <h2 id="countersign-h">{t('custody.plant_title')}</h2>
      <p class="hint">{t('custody.plant_hint')}</p>
      <ErrorBox text={form.general} errors={form.errors} />
      {back ? (
        <ShowCode code={back} testid="countersign-qr" caption={t('custody.show_crew')} />
      ) : (
        <form onSubmit={sign} noValidate>
          <Field id="handover-code" label={t('custody.crew_code')} fe={codeError(form.errors)} required>
            <textarea
              id="handover-code"
              rows={3}
              value={code}
              onInput={(e) => setCode((e.target as HTMLTextAreaElement).value)}
              {...errAttrs('handover-code', codeError(form.errors))}
            />
          </Field>
          <Field id="countersign-volume" label={t('trip.volume_received')} fe={form.errors.volume_litres} required>
            <input
              id="countersign-volume"
              inputMode="decimal"
              value={volume}
              onInput={(e) => setVolume((e.target as HTMLInputElement).value)}
              {...errAttrs('countersign-volume', form.errors.volume_litres)}
            />
          </Field>
          <LocationPicker value={location} onChange={(p) => setLocation(pointOrTyped(p))} errors={form.errors} idPrefix="countersign-loc" />
          <button type="submit" class="primary" id="countersign-submit" disabled={form.busy}>
            {t('custody.countersign')}
          </button>
        </form>
      )}
    </section>
  );
}
