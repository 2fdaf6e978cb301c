import { useEffect, useState } from 'preact/hooks';
import { api, type Answer, type Place, type PhotoRef, type Question, type Template } from '../api';
import { errAttrs, ErrorBox, Field, FieldErr, Loading, noteText, WardPicker } from '../components/common';
import { LocationPicker } from '../components/LocationPicker';
import { PhotoInput } from '../components/PhotoInput';
import { useForm } from '../form';
import { useApp } from '../context';
import { errorText, localError, toApiError, type FieldErrors } from '../errors';
import { num, pick, t } from '../i18n';

type Raw = Record<string, string | string[] | boolean | PhotoRef[] | undefined>;

const templateKey = (tpl: Template) => `${tpl.code}@${tpl.version}`;

/** The newest version of each template first in its group, as the select offers them. */
function sortedTemplates(list: Template[]): Template[] {
  return [...list].sort((a, b) => (a.code === b.code ? b.version - a.version : a.code.localeCompare(b.code)));
}

/** Raw inputs → typed answers, and number answers as typed (`numbers`: the Rust side reads them
 *  — `1,250`, `१२` — and refuses what is not a number, with the form's other problems). */
function toAnswers(tpl: Template, raw: Raw, numbers: Record<string, string>): Record<string, Answer> {
  const out: Record<string, Answer> = {};
  for (const q of tpl.questions) {
    const v = raw[q.id];
    switch (q.answer_type) {
      case 'yes_no':
        if (typeof v === 'boolean') out[q.id] = { type: 'yes_no', value: v };
        break;
      case 'number':
        if (typeof v === 'string' && v.trim() !== '') numbers[q.id] = v.trim();
        break;
      case 'text':
        if (typeof v === 'string' && v.trim() !== '') out[q.id] = { type: 'text', value: v.trim() };
        break;
      case 'single_choice':
        if (typeof v === 'string' && v !== '') out[q.id] = { type: 'single_choice', value: v };
        break;
      case 'multi_choice':
        if (Array.isArray(v) && v.length) out[q.id] = { type: 'multi_choice', value: v as string[] };
        break;
      case 'photo':
        if (Array.isArray(v) && v.length) out[q.id] = { type: 'photo', value: v as PhotoRef[] };
        break;
    }
  }
  return out;
}

/** Stored answers → the form's raw inputs (the inverse of `toAnswers`). */
function toRaw(answers: Record<string, Answer>): Raw {
  const out: Raw = {};
  for (const [id, a] of Object.entries(answers)) {
    out[id] = a.type === 'number' ? String(a.value) : a.value;
  }
  return out;
}

/** An inspection as stored (RecordView.record.body). */
function QuestionInput(props: { q: Question; value: Raw[string]; set: (v: Raw[string]) => void; errors: FieldErrors }) {
  const { q, value, set, errors } = props;
  const id = `q-${q.id}`;
  const fe = errors[`answers.${q.id}`];
  const text = pick(q.text, q.text_hi);
  const req = q.required ? <span class="req"> ({t('form.required')})</span> : null;
  switch (q.answer_type) {
    case 'yes_no':
      return (
        <fieldset class={`field question${fe ? ' has-error' : ''}`} id={id} {...errAttrs(id, fe)} data-question={q.id}>
          <legend>{text}{req}</legend>
          <div class="choice-row">
            <label class="choice" for={`${id}-yes`}>
              <input type="radio" id={`${id}-yes`} name={id} checked={value === true} onChange={() => set(true)} />
              {t('answer.yes')}
            </label>
            <label class="choice" for={`${id}-no`}>
              <input type="radio" id={`${id}-no`} name={id} checked={value === false} onChange={() => set(false)} />
              {t('answer.no')}
            </label>
          </div>
          <FieldErr id={id} fe={fe} />
        </fieldset>
      );
    case 'number': {
      const range =
        q.min != null && q.max != null
          ? t('answer.range', { min: num(q.min, 2), max: num(q.max, 2) })
          : q.min != null ? t('answer.min', { min: num(q.min, 2) }) : q.max != null ? t('answer.max', { max: num(q.max, 2) }) : undefined;
      return (
        <div class="question" data-question={q.id}>
          <Field id={id} label={text} fe={fe} hint={range} required={q.required}>
            <input
              id={id}
              inputMode="decimal"
              value={typeof value === 'string' ? value : ''}
              onInput={(e) => set((e.target as HTMLInputElement).value)}
              {...errAttrs(id, fe, range ? `${id}-hint` : undefined)}
            />
          </Field>
        </div>
      );
    }
    case 'text':
      return (
        <div class="question" data-question={q.id}>
          <Field id={id} label={text} fe={fe} required={q.required}>
            <textarea
              id={id}
              rows={2}
              value={typeof value === 'string' ? value : ''}
              onInput={(e) => set((e.target as HTMLTextAreaElement).value)}
              {...errAttrs(id, fe)}
            />
          </Field>
        </div>
      );
    case 'single_choice':
      return (
        <div class="question" data-question={q.id}>
          <Field id={id} label={text} fe={fe} required={q.required}>
            <select id={id} value={typeof value === 'string' ? value : ''} onChange={(e) => set((e.target as HTMLSelectElement).value)} {...errAttrs(id, fe)}>
              <option value="">{t('form.choose')}</option>
              {q.options.map((o) => <option key={o.code} value={o.code}>{pick(o.label, o.label_hi)}</option>)}
            </select>
          </Field>
        </div>
      );
    case 'multi_choice': {
      const chosen = Array.isArray(value) ? (value as string[]) : [];
      return (
        <fieldset class={`field question${fe ? ' has-error' : ''}`} id={id} {...errAttrs(id, fe)} data-question={q.id}>
          <legend>{text}{req}</legend>
          {q.options.map((o) => (
            <label class="choice" key={o.code} for={`${id}-${o.code}`}>
              <input
                type="checkbox"
                id={`${id}-${o.code}`}
                checked={chosen.includes(o.code)}
                onChange={(e) => {
                  const on = (e.target as HTMLInputElement).checked;
                  set(on ? [...chosen, o.code] : chosen.filter((c) => c !== o.code));
                }}
              />
              {pick(o.label, o.label_hi)}
            </label>
          ))}
          <FieldErr id={id} fe={fe} />
        </fieldset>
      );
    }
    case 'photo':
      return (
        <div class="question" data-question={q.id}>
          <PhotoInput id={id} label={text} required={q.required} photos={Array.isArray(value) ? (value as PhotoRef[]) : []} onChange={set} fe={fe} />
        </div>
      );
  }
}

/** A new inspection, or with `id` the user's draft or sent-back one, opened with its answers. */
export function InspectionForm({ id }: { id?: string } = {}) {
  const { reference, go, syncChanged } = useApp();
  const templates = sortedTemplates(reference?.templates ?? []);
  const [key, setKey] = useState(templates[0] ? templateKey(templates[0]) : '');
  const [subject, setSubject] = useState('');
  const [raw, setRaw] = useState<Raw>({});
  const [location, setLocation] = useState<Place | null>(null);
  const [photos, setPhotos] = useState<PhotoRef[]>([]);
  const { errors, general, busy, run } = useForm();
  const [loaded, setLoaded] = useState<{ status: string; note: string | null } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    if (!id) return;
    api.record(id).then((v) => {
      const body = v.draft?.form === 'inspection' ? v.draft : null;
      if (!body) return setLoadError(errorText({ code: 'not_editable', message: '', fields: [] }));
      setKey(`${body.template_code}@${body.template_version}`);
      setSubject(body.subject);
      setRaw(toRaw(body.answers));
      setLocation(body.location);
      setPhotos(body.photos);
      setLoaded({ status: v.row.status, note: v.row.note ?? null });
    }, (e) => setLoadError(errorText(toApiError(e))));
  }, [id]);

  const tpl = templates.find((x) => templateKey(x) === key) ?? null;
  const [ward, setWard] = useState('');

  const save = async (submit: boolean) => {
    // The one problem the screen finds itself: without a template there is nothing to send.
    const errs: FieldErrors = {};
    if (!tpl) errs.template = localError('template', 'required');
    const numbers: Record<string, string> = {};
    const answers = tpl ? toAnswers(tpl, raw, numbers) : {};
    const draft = {
      template_code: tpl?.code ?? '',
      template_version: tpl?.version ?? 0,
      subject: subject.trim(),
      location,
      answers,
      numbers,
      photos,
      submit,
      ward: ward || null,
    };
    const saved = await run(() => (id ? api.editInspection(id, draft) : api.saveInspection(draft)), errs);
    if (!saved) return;
    syncChanged();
    const notice = submit ? (id ? t('inspection.resubmitted') : t('inspection.submitted')) : t('inspection.drafted');
    go({ name: 'record', id: saved.id, notice, warnings: saved.warnings }, true);
  };

  if (id && !loaded) return <Loading title={t('inspection.edit_title')} error={loadError} />;

  return (
    <form onSubmit={(e) => { e.preventDefault(); save(true); }} noValidate>
      <h1 tabIndex={-1}>{id ? t('inspection.edit_title') : t('inspection.title')}</h1>
      {loaded?.note ? <div class="note-box" role="note" data-testid="sent-back-note"><p>{noteText(loaded.status, loaded.note)}</p></div> : null}
      <ErrorBox text={general} errors={errors} />
      <Field id="template" label={t('inspection.template')} fe={errors.template} required>
        <select
          id="template"
          value={key}
          onChange={(e) => { setKey((e.target as HTMLSelectElement).value); setRaw({}); }}
          {...errAttrs('template', errors.template)}
        >
          {templates.length === 0 ? <option value="">{t('inspection.no_templates')}</option> : null}
          {templates.map((x) => (
            <option key={templateKey(x)} value={templateKey(x)}>
              {t('inspection.template_option', { title: pick(x.title, x.title_hi), version: x.version })}
            </option>
          ))}
        </select>
      </Field>
      <Field id="subject" label={t('inspection.subject')} fe={errors.subject} hint={t('inspection.subject_hint')} required>
        <input
          id="subject"
          value={subject}
          onInput={(e) => setSubject((e.target as HTMLInputElement).value)}
          {...errAttrs('subject', errors.subject, 'subject-hint')}
        />
      </Field>
      {tpl ? (
        <section aria-labelledby="questions-h" class="questions">
          <h2 id="questions-h">{t('inspection.questions')}</h2>
          {tpl.questions.map((q) => (
            <QuestionInput key={`${key}/${q.id}`} q={q} value={raw[q.id]} set={(v) => setRaw((r) => ({ ...r, [q.id]: v }))} errors={errors} />
          ))}
        </section>
      ) : null}
      <LocationPicker value={location} onChange={setLocation} errors={errors} />
      {location || id ? null : <WardPicker value={ward} onChange={setWard} fe={errors.ward} />}
      <PhotoInput id="photos" label={t('photo.add')} photos={photos} onChange={setPhotos} fe={errors.photos} />
      <div class="button-row sticky-actions">
        <button type="submit" id="save-submit" class="primary" disabled={busy}>{id && loaded?.status !== 'DRAFT' ? t('inspection.resubmit') : t('inspection.submit')}</button>
        <button type="button" id="save-draft" class="secondary" disabled={busy} onClick={() => save(false)}>{t('inspection.draft')}</button>
      </div>
      <p class="hint">{t('form.saved_offline')}</p>
    </form>
  );
}
