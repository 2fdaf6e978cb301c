// The desludging chain of custody at the plant gate, with no network: the crew's phone shows a
// signed handover as a QR code, the plant operator's phone scans it (the camera, or a picked
// image on a desktop), checks the crew's signature on the spot and countersigns the litres
// received; its QR code goes back the same way and the crew's phone closes the trip. The codes
// can be typed when a camera is broken. The server checks the pair again when either phone syncs.
import { useRef, useState } from 'preact/hooks';
import { api, type CodeView, type GeoPoint, type TripHandoverView } from '../api';
import { localError, type FieldErrors } from '../errors';
import { litres, useForm } from '../form';
import { dateTime, num, t } from '../i18n';
import { errAttrs, ErrorBox, Field, FieldErr } from './common';
import { LocationPicker, pointOrTyped } from './LocationPicker';
import { toBase64 } from './PhotoInput';

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
      <div class="qr" data-testid={`${testid}-image`} role="img" aria-label={t('custody.qr_label')} dangerouslySetInnerHTML={{ __html: code.qr_svg }} />
      <figcaption>
        {caption}
        <details class="code-typed">
          <summary>{t('custody.show_text')}</summary>
          <code class="code-text" data-testid={`${testid}-text`}>{code.code}</code>
        </details>
      </figcaption>
    </figure>
  );
}

/** The main way in: the camera (a picked image on a desktop) reads the other phone's QR code. The
 *  file input itself is hidden (no box at all) so it never lies over another control. */
function ScanButton({ id, label, busy, failed, onImage }: { id: string; label: string; busy: boolean; failed: boolean; onImage: (base64: string) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const onFiles = async (el: HTMLInputElement) => {
    const file = el.files?.[0];
    if (!file) return;
    const data = await toBase64(file);
    el.value = '';
    onImage(data);
  };
  return (
    <>
      <button type="button" class="primary scan" id={`${id}-button`} disabled={busy} onClick={() => input.current?.click()} aria-describedby={failed ? 'custody-err' : undefined}>
        <span aria-hidden="true">📷 </span>{label}
      </button>
      <input ref={input} id={id} type="file" accept="image/*" capture="environment" hidden onChange={(e) => onFiles(e.target as HTMLInputElement)} />
    </>
  );
}

/** Crew, on a trip waiting for disposal: show the handover, then scan the plant's code back. */
export function CrewCustody({ tripId, onRecorded }: { tripId: string; onRecorded: () => void }) {
  const [handover, setHandover] = useState<CodeView | null>(null);
  const [back, setBack] = useState('');
  const [typing, setTyping] = useState(false);
  const [location, setLocation] = useState<GeoPoint | null>(null);
  const form = useForm();

  const show = async () => {
    const code = await form.run(() => api.handoverCode(tripId));
    if (code) setHandover(code);
  };
  const record = async (code: string) => {
    const local: FieldErrors = {};
    if (!code.trim()) local.custody = localError('custody', 'required');
    const saved = await form.run(() => api.recordCountersigned(tripId, code.trim(), location), local);
    if (saved) onRecorded();
  };
  const scanned = async (image: string) => {
    const code = await form.run(() => api.readCode(image));
    if (code === null) return;
    setBack(code);
    await record(code);
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
      <LocationPicker value={location} onChange={(p) => setLocation(pointOrTyped(p))} errors={form.errors} idPrefix="custody-loc" />
      <div class="field">
        <ScanButton id="scan-countersign" label={t('custody.scan_plant')} busy={form.busy} failed={!typing && !!form.errors.custody} onImage={scanned} />
        {!typing ? <FieldErr id="custody" fe={codeError(form.errors)} /> : null}
      </div>
      {/* A code scanned before the place was given: record it once the place is there. */}
      {back && !typing && !form.errors.custody ? (
        <button type="button" class="secondary" id="record-scanned" disabled={form.busy} onClick={() => record(back)}>
          {t('custody.record')}
        </button>
      ) : null}
      <button type="button" class="link" id="type-countersign" aria-expanded={typing} onClick={() => setTyping(!typing)}>
        {t('custody.type_instead')}
      </button>
      {typing ? (
        <form onSubmit={(e) => { e.preventDefault(); record(back); }} noValidate>
          <Field id="countersign-code" label={t('custody.plant_code')} fe={codeError(form.errors)} hint={t('custody.plant_code_hint')} required>
            <textarea
              id="countersign-code"
              rows={3}
              value={back}
              onInput={(e) => setBack((e.target as HTMLTextAreaElement).value)}
              {...errAttrs('countersign-code', codeError(form.errors), 'countersign-code-hint')}
            />
          </Field>
          <button type="submit" class="primary" id="record-countersigned" disabled={form.busy}>
            {t('custody.record')}
          </button>
        </form>
      ) : null}
    </section>
  );
}

/** What the operator's phone read and checked: the crew's handover, signature verified. */
function HandoverSummary({ h }: { h: TripHandoverView }) {
  return (
    <div class="handover-read" data-testid="handover-read" role="status">
      <p class="ok"><span aria-hidden="true">✓ </span>{t('custody.checked')}</p>
      <p>{t('custody.read_summary', { vehicle: h.vehicle, litres: num(h.litres), at: dateTime(h.at) })}</p>
    </div>
  );
}

/** Plant operator: scan a crew's code (checked here), countersign the litres received, show
 *  the code back. */
export function PlantCountersign() {
  const [handover, setHandover] = useState<TripHandoverView | null>(null);
  const [typing, setTyping] = useState(false);
  const [typed, setTyped] = useState('');
  const [volume, setVolume] = useState('');
  const [location, setLocation] = useState<GeoPoint | null>(null);
  const [back, setBack] = useState<CodeView | null>(null);
  const form = useForm();

  const check = async (code: string) => {
    const local: FieldErrors = {};
    if (!code.trim()) local.custody = localError('custody', 'required');
    setHandover(null);
    const read = await form.run(() => api.checkHandover(code.trim()), local);
    if (read) setHandover(read);
  };
  const scanned = async (image: string) => {
    setHandover(null);
    const code = await form.run(() => api.readCode(image));
    if (code !== null) await check(code);
  };
  const sign = async (e: Event) => {
    e.preventDefault();
    if (!handover) return;
    const local: FieldErrors = {};
    const v = litres(volume, local);
    const signed = await form.run(() => api.countersign(handover.code, v, location), local);
    if (signed) setBack(signed);
  };
  const next = () => {
    setHandover(null);
    setTyped('');
    setVolume('');
    setBack(null);
    setTyping(false);
  };

  return (
    <section class="panel" aria-labelledby="countersign-h">
      <h2 id="countersign-h">{t('custody.plant_title')}</h2>
      <p class="hint">{t('custody.plant_hint')}</p>
      <ErrorBox text={form.general} errors={form.errors} />
      {back ? (
        <>
          <ShowCode code={back} testid="countersign-qr" caption={t('custody.show_crew')} />
          <button type="button" class="secondary" id="countersign-next" onClick={next}>{t('custody.next_truck')}</button>
        </>
      ) : (
        <>
          <div class="field">
            <ScanButton id="scan-handover" label={t('custody.scan_crew')} busy={form.busy} failed={!typing && !!form.errors.custody} onImage={scanned} />
            {!typing ? <FieldErr id="custody" fe={codeError(form.errors)} /> : null}
          </div>
          <button type="button" class="link" id="type-handover" aria-expanded={typing} onClick={() => setTyping(!typing)}>
            {t('custody.type_instead')}
          </button>
          {typing ? (
            <div class="typed-code">
              <Field id="handover-code" label={t('custody.crew_code')} fe={codeError(form.errors)} required>
                <textarea
                  id="handover-code"
                  rows={3}
                  value={typed}
                  onInput={(e) => setTyped((e.target as HTMLTextAreaElement).value)}
                  {...errAttrs('handover-code', codeError(form.errors))}
                />
              </Field>
              <button type="button" class="secondary" id="check-handover" disabled={form.busy} onClick={() => check(typed)}>
                {t('custody.check_code')}
              </button>
            </div>
          ) : null}
          {handover ? (
            <form onSubmit={sign} noValidate>
              <HandoverSummary h={handover} />
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
          ) : null}
        </>
      )}
    </section>
  );
}
