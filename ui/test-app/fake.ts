// An in-memory stand-in for the Rust side (src-tauri), implementing the api.ts contract through
// mockIPC. Tests choose a scenario with page.addInitScript(() => window.__WB_SCENARIO__ = {...})
// and read what the app sent from window.__wbFake.calls.
import { mockIPC } from '@tauri-apps/api/mocks';
import type {
  ApiError, AppState, AssetDraft, Badge, CashQueue, CodeView, Conflict, DayEnd, FsmJobDraft, GeoPoint, HandoverDraft,
  HandoverView, Home, InspectionDraft, Kind, Lang, PaymentMode, PhotoRef, Place, PrintView, QueueItem, ReceiptDraft, ReceiptLine,
  RecordRow, RecordView, Reference, Role, Saved, StepView, SyncStatus, TripStepDraft, UserView, Warning, ErrorCode, Answer, DetailLine, DetailValue, FormDraft,
} from '../src/api';
import demoReference from '../../tests/fixtures/demo-reference.json';

interface Scenario {
  enrolled?: boolean;
  user?: string | null; // signed in as this user id
  lang?: Lang;
  online?: boolean;
  waiting?: number;
  photosWaiting?: number;
  lastSyncAgoMs?: number | null;
  seed?: boolean; // demo records (default true)
  /** 'demo': the demo town's reference data exactly as the real core sends it
   *  (tests/fixtures/demo-reference.json, kept true by src-tauri/tests/commands.rs). */
  reference?: 'demo';
}
declare global {
  interface Window {
    __WB_SCENARIO__?: Scenario;
    __wbFake: {
      calls: { cmd: string; args: unknown }[]; records: Map<string, Rec>; sync: SyncStatus;
      /** The next call of `cmd` fails with `error` (an error the real core can return, e.g. one on
       *  a field the form does not show); cleared once used. */
      failNext: { cmd: string; error: ApiError } | null;
      /** The fake's signature of a code's fields under a key id (tests build codes with it). */
      sign: (fields: string[], key: string) => string;
    };
  }
}

interface Rec { row: RecordRow; record: Record<string, unknown>; conflicts: Conflict[]; warnings: Warning[]; owner: string; history: StepView[] }

const sc: Scenario = window.__WB_SCENARIO__ ?? {};
const NOW = Date.now();

const ward = (code: string, name: string, name_hi: string, west: number, south: number) => ({
  code, name, name_hi,
  boundary: [[west, south], [west + 0.01, south], [west + 0.01, south + 0.01], [west, south + 0.01], [west, south]] as [number, number][],
});

const testReference: Reference = {
  town: { id: 'pb.nabha', name: 'Nabha', name_hi: 'नाभा', code: 'NBH' },
  wards: [
    ward('W01', 'Ward 1 Hira Mahal', 'वार्ड 1 हीरा महल', 76.13, 30.37),
    ward('W02', 'Ward 2 Bouran Gate', 'वार्ड 2 बौड़ां गेट', 76.14, 30.37),
    ward('W03', 'Ward 3 Patiala Gate', 'वार्ड 3 पटियाला गेट', 76.13, 30.38),
  ],
  templates: [
    {
      code: 'PUBLIC_TOILET', version: 1, title: 'Public toilet inspection', title_hi: 'सार्वजनिक शौचालय निरीक्षण',
      questions: [
        { id: 'water', text: 'Is running water available?', text_hi: 'क्या पानी उपलब्ध है?', answer_type: 'yes_no', options: [], required: true, weight: 2, min: null, max: null },
        { id: 'clean', text: 'Is the floor clean?', text_hi: 'क्या फर्श साफ है?', answer_type: 'yes_no', options: [], required: true, weight: 1, min: null, max: null },
        { id: 'seats', text: 'Working seats', text_hi: 'चालू सीटें', answer_type: 'number', options: [], required: false, weight: 0, min: 0, max: 100 },
        {
          id: 'smell', text: 'Smell', text_hi: 'गंध', answer_type: 'single_choice', required: false, weight: 0, min: null, max: null,
          options: [
            { code: 'none', label: 'None', label_hi: 'नहीं', points: 2 },
            { code: 'mild', label: 'Mild', label_hi: 'हल्की', points: 1 },
            { code: 'strong', label: 'Strong', label_hi: 'तेज़', points: 0 },
          ],
        },
        {
          id: 'facilities', text: 'Facilities present', text_hi: 'मौजूद सुविधाएँ', answer_type: 'multi_choice', required: false, weight: 0, min: null, max: null,
          options: [
            { code: 'soap', label: 'Soap', label_hi: 'साबुन', points: 1 },
            { code: 'light', label: 'Light', label_hi: 'रोशनी', points: 1 },
            { code: 'ramp', label: 'Ramp', label_hi: 'रैंप', points: 1 },
          ],
        },
        { id: 'remarks', text: 'Remarks', text_hi: 'टिप्पणी', answer_type: 'text', options: [], required: false, weight: 0, min: null, max: null },
        { id: 'front', text: 'Photo of the entrance', text_hi: 'प्रवेश द्वार की फ़ोटो', answer_type: 'photo', options: [], required: false, weight: 0, min: null, max: null },
      ],
    },
  ],
  fee_heads: [
    { code: 'PT', name: 'Property tax', name_hi: 'संपत्ति कर', default_amount: null },
    { code: 'WS', name: 'Water charges', name_hi: 'जल शुल्क', default_amount: 15000 },
    { code: 'FSM', name: 'Desludging fee', name_hi: 'सेप्टिक टैंक सफाई शुल्क', default_amount: 120000 },
  ],
  vehicles: [{ registration_number: 'PB11AB1234', model: 'Tata 407 suction', vehicle_type: 'SUCTION_TANKER', tank_capacity_litres: 3000, suction_type: 'VACUUM' }],
  fstps: [
    {
      code: 'FSTP-NBH-1', name: 'Nabha FSTP', location: { lat: 30.36, lon: 76.16, accuracy_m: null },
      geofence: { type: 'radius', centre: { lat: 30.36, lon: 76.16, accuracy_m: null }, metres: 150 },
    },
  ],
};

export const reference: Reference = sc.reference === 'demo' ? (demoReference as unknown as Reference) : testReference;

const users: (Omit<UserView, 'tasks'> & { pin: string | null })[] = [
  { id: 'u-insp', name: 'Harpreet Kaur', roles: ['inspector'], wards: ['W01', 'W02'], has_pin: true, pin: '1234' },
  { id: 'u-surv', name: 'Amandeep Singh', roles: ['surveyor'], wards: ['W01', 'W02', 'W03'], has_pin: true, pin: '1234' },
  { id: 'u-coll', name: 'Ravi Kumar', roles: ['collector'], wards: ['W02'], has_pin: true, pin: '1234' },
  { id: 'u-crew', name: 'Gurpreet Singh', roles: ['sanitation_crew'], wards: [], has_pin: true, pin: '1234' },
  { id: 'u-fstp', name: 'Sunita Devi', roles: ['fstp_operator'], wards: [], has_pin: true, pin: '1234' },
  { id: 'u-sup', name: 'Meena Sharma', roles: ['supervisor'], wards: [], has_pin: true, pin: '1234' },
  { id: 'u-multi', name: 'Pooja Rani', roles: ['inspector', 'collector'], wards: ['W02'], has_pin: false, pin: null },
];
/** As src/domain/access.rs `TASKS`: the screens that start work, and the role each needs. */
const TASKS: [string, Role][] = [
  ['new_inspection', 'inspector'], ['new_asset', 'surveyor'], ['collect_fee', 'collector'], ['day_end', 'collector'], ['fsm_jobs', 'sanitation_crew'],
  ['fsm_jobs', 'supervisor'], ['new_fsm_job', 'supervisor'], ['trips', 'fstp_operator'], ['review', 'supervisor'],
];
const tasksOf = (roles: Role[]) => [...new Set(TASKS.filter(([, r]) => roles.includes(r)).map(([task]) => task))];
const view = (u: (typeof users)[number]): UserView => ({ id: u.id, name: u.name, roles: u.roles, wards: u.wards, has_pin: u.has_pin, tasks: tasksOf(u.roles) });

let enrolled = sc.enrolled ?? true;
let server: string | null = enrolled ? 'https://wardbook.example.in' : null;
let currentUser: string | null = sc.user ?? null;
let lang: Lang = sc.lang ?? 'en';
const sync: SyncStatus = {
  online: sc.online ?? false,
  syncing: false,
  last_sync_at: sc.lastSyncAgoMs === null ? null : NOW - (sc.lastSyncAgoMs ?? 5 * 60_000),
  waiting: sc.waiting ?? 0,
  photos_waiting: sc.photosWaiting ?? 0,
  last_error: null,
};
const records = new Map<string, Rec>();
const calls: { cmd: string; args: unknown }[] = [];
window.__wbFake = { calls, records, sync, failNext: null, sign: (fields, key) => fakeSig(fields, key) };
let seq = 0;
let receiptSeq = 0;

function appState(): AppState {
  const u = users.find((x) => x.id === currentUser);
  return { enrolled, server, town: enrolled ? reference.town : null, user: u ? view(u) : null, lang };
}

function fail(code: ErrorCode, fields: [string, string][] = []): never {
  const e: ApiError = { code, message: code, fields: fields.map(([field, c]) => ({ field, code: c, message: c })) };
  throw e;
}

function me() {
  const u = users.find((x) => x.id === currentUser);
  if (!u) fail('signed_out');
  return u!;
}

/** As Field::actor: the signed-in user must hold `role`. */
function as(role: Role) {
  const u = me();
  if (!u.roles.includes(role)) fail('not_allowed');
  return u;
}

function wardOf(p: GeoPoint | null): string | null {
  if (!p) return null;
  for (const w of reference.wards) {
    const lons = w.boundary.map((b) => b[0]);
    const lats = w.boundary.map((b) => b[1]);
    if (p.lon >= Math.min(...lons) && p.lon <= Math.max(...lons) && p.lat >= Math.min(...lats) && p.lat <= Math.max(...lats)) return w.code;
  }
  return null;
}

/** As src/field/mod.rs `new_record`: a record with no place in a ward gets its user's one ward. */
function soleWard(owner: string): string | null {
  const w = users.find((u) => u.id === owner)?.wards ?? [];
  return w.length === 1 ? w[0] : null;
}

function metres(a: GeoPoint, b: GeoPoint): number {
  const k = Math.PI / 180;
  const x = (b.lon - a.lon) * k * Math.cos(((a.lat + b.lat) / 2) * k);
  const y = (b.lat - a.lat) * k;
  return Math.sqrt(x * x + y * y) * 6371000;
}

function geoWarnings(p: GeoPoint | null): Warning[] {
  if (!p) return [];
  if (p.accuracy_m == null) return [{ code: 'accuracy_missing', message: 'no accuracy' }];
  if (p.accuracy_m > 30) return [{ code: 'poor_accuracy', message: 'poor fix' }];
  return [];
}

function add(kind: Kind, status: string, title: string, record: Record<string, unknown>, opts: Partial<RecordRow> = {}, owner = currentUser ?? 'u-sup'): Rec {
  const id = opts.id ?? `${kind}-${++seq}`;
  const row: RecordRow = {
    id, kind, status, title, ward: wardOf((opts.location as GeoPoint) ?? null) ?? soleWard(owner), updated_at: NOW - seq * 1000, amount_paise: null,
    badge: 'saved', photos_waiting: 0, location: null, rejection: null,
    author: users.find((u) => u.id === owner)?.name ?? null, work_at: NOW - seq * 60_000, note: null,
    photo: firstPhoto(record), ...opts,
  };
  const rec: Rec = { row, record, conflicts: [], warnings: [], owner, history: [] };
  records.set(id, rec);
  return rec;
}

/** As Record::photos: the survey's, the inspection's and its photo answers', in that order. */
function photosOf(record: Record<string, unknown>): PhotoRef[] {
  const own = (record.photos as PhotoRef[] | undefined) ?? [];
  const answers = Object.values((record.answers as Record<string, { type: string; value: unknown }> | undefined) ?? {})
    .flatMap((a) => (a.type === 'photo' ? (a.value as PhotoRef[]) : []));
  return [...own, ...answers];
}

function firstPhoto(record: Record<string, unknown>): string | null {
  return photosOf(record)[0]?.sha256 ?? null;
}

/** Codes of the fake's records and the catalog vocabulary each is translated in. */
const VOCABULARY: Record<string, string> = {
  asset_type: 'asset_type', condition: 'condition', payment_mode: 'mode', source: 'source', application_type: 'app_type',
  payment_preference: 'pay_pref', sanitation_type: 'sanitation', property_usage: 'usage', vehicle_type: 'vehicle_type',
};
const TEXT = ['subject', 'asset_name', 'receipt_number', 'payer_name', 'instrument_number', 'applicant_name', 'reason', 'day', 'note', 'application_no', 'vehicle'];
const MONEY = ['amount', 'expected_cash', 'counted_cash'];

/** As src/field/detail.rs, for the fake's loosely kept records: answers under their questions,
 *  then the kind's fields, each value typed as the Rust side types it. */
function detailsOf(r: Rec): DetailLine[] {
  const out: DetailLine[] = [];
  const rec = r.record;
  const field = (key: string, value: DetailValue) => out.push({ label: { type: 'field', key }, value });
  if (r.row.kind === 'inspection') {
    const tpl = reference.templates.find((x) => x.code === rec.template_code && x.version === rec.template_version);
    const answers = (rec.answers ?? {}) as Record<string, Answer>;
    for (const q of tpl?.questions ?? []) {
      const a = answers[q.id];
      if (!a) continue;
      const named = (codes: string[]) => {
        const o = codes.map((c) => q.options.find((x) => x.code === c) ?? { label: c, label_hi: c });
        return { type: 'named', name: o.map((x) => x.label).join(', '), name_hi: o.map((x) => x.label_hi).join(', ') } as const;
      };
      const value: DetailValue =
        a.type === 'yes_no' ? { type: 'yes_no', value: a.value } : a.type === 'number' ? { type: 'number', value: a.value }
          : a.type === 'text' ? { type: 'text', text: a.value } : a.type === 'single_choice' ? named([a.value])
            : a.type === 'multi_choice' ? named(a.value) : { type: 'photos', count: a.value.length };
      out.push({ label: { type: 'question', text: q.text, text_hi: q.text_hi }, value });
    }
  }
  for (const [k, v] of Object.entries(rec)) {
    if (v === null || v === undefined || v === '') continue;
    if (VOCABULARY[k]) field(k, { type: 'code', vocabulary: VOCABULARY[k], code: String(v) });
    else if (TEXT.includes(k)) field(k, { type: 'text', text: String(v) });
    else if (k === 'locality') field('address.locality', { type: 'text', text: String(v) });
    else if (MONEY.includes(k)) field(k, { type: 'money', paise: Number(v) });
    else if (k === 'receipt_date') field(k, { type: 'time', at: Number(v) });
    else if (k === 'fee_head') {
      const h = reference.fee_heads.find((x) => x.code === v);
      field('business_service', h ? { type: 'named', name: h.name, name_hi: h.name_hi } : { type: 'text', text: String(v) });
    } else if (k === 'pickup' || k === 'disposal') {
      const litres = (v as { volume_litres?: number | string | null }).volume_litres;
      if (litres != null && litres !== '') field(`${k}.volume_litres`, { type: 'number', value: Number(litres) });
    }
  }
  return out;
}

/** As detail::form_draft: what the form opens with, for the kinds a form edits. */
function draftOf(r: Rec): FormDraft | null {
  const d = r.record;
  const photos = (d.photos as PhotoRef[] | undefined) ?? [];
  if (r.row.kind === 'inspection') {
    return {
      form: 'inspection', template_code: String(d.template_code ?? ''), template_version: Number(d.template_version ?? 0),
      subject: String(d.subject ?? ''), location: (d.location as GeoPoint | undefined) ?? r.row.location, answers: (d.answers ?? {}) as Record<string, Answer>,
      numbers: {}, photos, submit: false, ward: r.row.ward,
    };
  }
  if (r.row.kind === 'asset_survey') {
    return {
      form: 'asset', asset_type: (d.asset_type as AssetDraft['asset_type']) ?? null, asset_name: String(d.asset_name ?? ''),
      location: (d.location as GeoPoint | undefined) ?? r.row.location, condition: (d.condition as AssetDraft['condition']) ?? null, photos,
    };
  }
  return null;
}

function touch(rec: Rec, badge: Badge = 'saved') {
  rec.row.updated_at = Date.now();
  rec.row.badge = badge;
  sync.waiting = [...records.values()].filter((r) => r.row.badge === 'saved' || r.row.badge === 'waiting').length;
}

// Who may move a record where: a small copy of the workflow table in src/domain/workflow.rs.
const STEPS: [Kind, string, string, Role[]][] = [
  ['inspection', 'DRAFT', 'SUBMITTED', ['inspector']],
  ['inspection', 'SENT_BACK', 'SUBMITTED', ['inspector']],
  ['inspection', 'SUBMITTED', 'APPROVED', ['supervisor']],
  ['inspection', 'SUBMITTED', 'SENT_BACK', ['supervisor']],
  ['inspection', 'SUBMITTED', 'REJECTED', ['supervisor']],
  ['asset_survey', 'PENDINGFORAPPROVAL', 'APPROVED', ['supervisor']],
  ['asset_survey', 'PENDINGFORAPPROVAL', 'PENDINGFORMODIFICATION', ['supervisor']],
  ['asset_survey', 'PENDINGFORAPPROVAL', 'REJECTED', ['supervisor']],
  ['asset_survey', 'PENDINGFORMODIFICATION', 'PENDINGFORAPPROVAL', ['surveyor']],
  ['fsm_job', 'CREATED', 'ASSIGN_DSO', ['supervisor']],
  ['fsm_job', 'CREATED', 'CANCELLED', ['supervisor']],
  ['fsm_job', 'ASSIGN_DSO', 'PENDING_DSO_APPROVAL', ['supervisor']],
  ['fsm_job', 'PENDING_DSO_APPROVAL', 'DSO_INPROGRESS', ['sanitation_crew']],
  ['fsm_job', 'PENDING_DSO_APPROVAL', 'DSO_REJECTED', ['sanitation_crew']],
  ['fsm_job', 'DSO_INPROGRESS', 'PENDING_APPL_FEE_PAYMENT', ['sanitation_crew']],
  ['trip', 'WAITING_FOR_DISPOSAL', 'DECLINED', ['fstp_operator']],
];
/** As src/domain/access.rs `record_forms`. */
function forms(rec: Rec): string[] {
  const roles = users.find((u) => u.id === currentUser)?.roles ?? [];
  const out: string[] = [];
  if (rec.row.kind === 'fsm_job' && roles.includes('sanitation_crew') && ['DSO_INPROGRESS', 'DISPOSAL_IN_PROGRESS'].includes(rec.row.status)) out.push('trip_pickup');
  if (rec.row.kind === 'trip' && rec.row.status === 'WAITING_FOR_DISPOSAL') {
    if (roles.includes('fstp_operator')) out.push('trip_disposal');
    if (roles.includes('sanitation_crew') && !rec.record.disposal) out.push('handover');
  }
  return out;
}
function actions(rec: Rec): string[] {
  const roles = users.find((u) => u.id === currentUser)?.roles ?? [];
  return STEPS.filter(([k, from, , rs]) => k === rec.row.kind && from === rec.row.status && rs.some((r) => roles.includes(r))).map((s) => s[2]);
}

if (sc.seed ?? true) {
  const p = (lat: number, lon: number, acc: number | null = 6): GeoPoint => ({ lat, lon, accuracy_m: acc });
  add('inspection', 'DRAFT', 'Community toilet block 7', { subject: 'Community toilet block 7', template_code: 'PUBLIC_TOILET', template_version: 1 }, { id: 'insp-draft', location: p(30.375, 76.135) }, 'u-insp');
  add('asset_survey', 'PENDINGFORAPPROVAL', 'Streetlight SL-114', { asset_name: 'Streetlight SL-114', asset_type: 'STREETLIGHT', condition: 'GOOD' }, { id: 'asset-1', badge: 'on_server', location: p(30.3752, 76.1452) }, 'u-surv');
  add('fsm_job', 'DSO_INPROGRESS', 'Desludging: Kuldeep Singh, Bouran Gate', { applicant_name: 'Kuldeep Singh', locality: 'Bouran Gate', payment_preference: 'POST_PAY' }, { id: 'job-1', badge: 'on_server', location: p(30.372, 76.146) }, 'u-sup');
  add('fsm_job', 'PENDING_DSO_APPROVAL', 'Desludging: Baljit Kaur, Hira Mahal', { applicant_name: 'Baljit Kaur', locality: 'Hira Mahal' }, { id: 'job-2', badge: 'on_server', location: p(30.376, 76.134) }, 'u-sup');
  add('trip', 'WAITING_FOR_DISPOSAL', 'Trip PB11AB1234: 2,000 L', { vehicle: 'PB11AB1234', application_no: 'job-1', pickup: { volume_litres: 2000 } }, { id: 'trip-1', badge: 'on_server' }, 'u-crew');
  add('inspection', 'SUBMITTED', 'Toilet block, Patiala Gate', { subject: 'Toilet block, Patiala Gate', template_code: 'PUBLIC_TOILET', template_version: 1, answers: { water: { type: 'yes_no', value: true } }, photos: [{ sha256: 'c0ffee'.repeat(10) + 'c0ff', taken_at: null, location: null }] }, { id: 'insp-nr', badge: 'needs_review', location: p(30.385, 76.135) }, 'u-insp');
  // Refused by the server: the reason as the store keeps it ("code: reason"), split as Rust does.
  add('asset_survey', 'INITIATED', 'Drain D-9', { asset_name: 'Drain D-9', asset_type: 'DRAIN', condition: 'POOR', location: p(30.374, 76.147), photos: [] }, {
    id: 'asset-rej', badge: 'rejected', location: p(30.374, 76.147),
    rejection: { code: 'ward_out_of_scope', reason: 'ward W02 is not one of the wards of user u-surv' },
  }, 'u-surv');
  const c = add('inspection', 'SUBMITTED', 'Community toilet A', { subject: 'Community toilet A' }, { id: 'insp-conf', badge: 'on_server', location: p(30.3755, 76.1355) }, 'u-insp');
  c.conflicts.push({ record: 'insp-conf', title: 'Community toilet A', field: 'subject', values: ['"Community toilet A"', '"Community toilet A (east block)"'] });
  add('inspection', 'DRAFT', 'Toilet near bus stand', { subject: 'Toilet near bus stand' }, { id: 'insp-multi', location: p(30.3745, 76.1445) }, 'u-multi');
  add('receipt', 'NEW', 'Receipt NBH/2025-26/D9/000004', { receipt_number: 'NBH/2025-26/D9/000004', payer_name: 'Kamla Devi', fee_head: 'PT', payment_mode: 'CASH', receipt_date: NOW - 86_400_000 }, {
    id: 'rcpt-rej', badge: 'rejected', amount_paise: 50000,
    // A code this build has no words for (a newer server's): the server's own sentence is shown.
    rejection: { code: 'block_withdrawn', reason: 'receipt number NBH/2025-26/D9/000004 is from a block the office withdrew' },
  }, 'u-coll');
  // Sent back to the inspector with the supervisor's note; a disposed trip flagged for review.
  const back = add('inspection', 'SENT_BACK', 'Toilet block, Hira Mahal', {
    subject: 'Toilet block, Hira Mahal', template_code: 'PUBLIC_TOILET', template_version: 1,
    answers: { water: { type: 'yes_no', value: false }, clean: { type: 'yes_no', value: true }, seats: { type: 'number', value: 3 } }, location: p(30.375, 76.1352), photos: [],
  }, { id: 'insp-back', badge: 'on_server', location: p(30.375, 76.1352), note: 'Photograph the water tap' }, 'u-insp');
  back.history.push(
    { at: NOW - 3_600_000, by: 'Harpreet Kaur', role: 'inspector', from: 'DRAFT', to: 'SUBMITTED', note: null, settles: false },
    { at: NOW - 1_800_000, by: 'Meena Sharma', role: 'supervisor', from: 'SUBMITTED', to: 'SENT_BACK', note: 'Photograph the water tap', settles: false },
  );
  const flagged = add('trip', 'DISPOSED', 'Trip PB11AB1234: 2,400 L', { vehicle: 'PB11AB1234', application_no: 'job-1', pickup: { volume_litres: 2400 } }, { id: 'trip-flag', badge: 'needs_review' }, 'u-crew');
  flagged.warnings.push({ code: 'possible_illegal_dumping', message: 'outside every plant' });
  add('receipt', 'NEW', 'Receipt NBH/2025-26/D1/000001', { receipt_number: 'NBH/2025-26/D1/000001', payer_name: 'Mohan Lal', fee_head: 'WS', payment_mode: 'CASH', receipt_date: NOW - 86_400_000 }, { id: 'rcpt-0', badge: 'waiting', amount_paise: 15000 }, 'u-coll');
}

function row(r: Rec): RecordRow {
  return { ...r.row };
}

// As src/field/mod.rs `home`: own refused records, own records sent back (with the note), then
// for a supervisor her queue, for other roles the open work of their kinds; then the user's own
// records whatever their ward: drafts, waiting to send, on the server with a change today. Each
// record once.
function home(): Home {
  const u = me();
  const all = [...records.values()].sort((a, b) => b.row.updated_at - a.row.updated_at || (a.row.id < b.row.id ? -1 : 1));
  const mine = all.filter((r) => r.owner === u.id);
  const startOfToday = new Date().setHours(0, 0, 0, 0);
  // A cash handover is DRAFT until acknowledged, but it is made, not a draft (as in Rust).
  const isDraft = (r: Rec) => r.row.status === 'DRAFT' && r.row.kind !== 'handover';
  const drafts = mine.filter(isDraft);
  const refused = mine.filter((r) => !isDraft(r) && r.row.badge === 'rejected');
  const rest = mine.filter((r) => !isDraft(r) && r.row.badge !== 'rejected');
  const returned = rest.filter((r) => RETURNED.includes(r.row.status));
  const others = rest.filter((r) => !isDraft(r) && !RETURNED.includes(r.row.status));
  const waiting = others.filter((r) => r.row.badge === 'saved' || r.row.badge === 'waiting');
  const sentToday = others.filter((r) => (r.row.badge === 'on_server' || r.row.badge === 'needs_review') && r.row.updated_at >= startOfToday);
  const work = u.roles.includes('supervisor')
    ? queue().map((i) => records.get(i.row.id)!)
    : all.filter((r) => {
      if (u.roles.includes('sanitation_crew') && r.row.kind === 'fsm_job' && ['PENDING_DSO_APPROVAL', 'DSO_INPROGRESS'].includes(r.row.status)) return true;
      if (u.roles.includes('fstp_operator') && r.row.kind === 'trip' && r.row.status === 'WAITING_FOR_DISPOSAL') return true;
      return false;
    });
  const listed = new Set([...drafts, ...waiting, ...sentToday]);
  const todo = [...new Set([...refused, ...returned, ...work])].filter((r) => !listed.has(r));
  return { todo: todo.map(row), drafts: drafts.map(row), waiting: waiting.map(row), sent_today: sentToday.map(row) };
}

/** As workflow::needs_reason: these steps carry the reason, in words. */
const NEEDS_REASON = ['SENT_BACK', 'PENDINGFORMODIFICATION', 'REJECTED'];
/** Statuses in which a record is back with its author (workflow::content_open, not initial). */
const RETURNED = ['SENT_BACK', 'PENDINGFORMODIFICATION'];
/** As workflow::content_open: the author may open the form again. */
const OPEN: Partial<Record<Kind, string[]>> = { inspection: ['DRAFT', 'SENT_BACK'], asset_survey: ['INITIATED', 'PENDINGFORMODIFICATION'] };
/** As workflow::awaits_approval. */
const AWAITS: [Kind, string][] = [['inspection', 'SUBMITTED'], ['asset_survey', 'PENDINGFORAPPROVAL'], ['reversal', 'REQUESTED'], ['handover', 'DRAFT']];

function attention(r: Rec): boolean {
  return r.row.badge === 'needs_review' || r.conflicts.length > 0;
}

function settleOptions(r: Rec): string[] {
  return me().roles.includes('supervisor') && r.row.badge === 'needs_review' ? [r.row.status] : [];
}

function editable(r: Rec): boolean {
  const role: Role | null = r.row.kind === 'inspection' ? 'inspector' : r.row.kind === 'asset_survey' ? 'surveyor' : null;
  const u = users.find((x) => x.id === currentUser);
  // As Field::editable: while it is with its author, or to correct what the server refused.
  const open = (OPEN[r.row.kind] ?? []).includes(r.row.status) || r.row.badge === 'rejected';
  return !!role && !!u && u.roles.includes(role) && r.owner === u.id && open;
}

/** As Field::queue: needs review first, then what waits for her decision; oldest work first. */
function queue(): QueueItem[] {
  const items = [...records.values()]
    .filter((r) => attention(r) || AWAITS.some(([k, s]) => k === r.row.kind && s === r.row.status))
    .sort((a, b) => Number(attention(b)) - Number(attention(a)) || (a.row.work_at ?? 0) - (b.row.work_at ?? 0) || (a.row.id < b.row.id ? -1 : 1));
  return items.map((r) => ({ row: row(r), actions: actions(r), settle: settleOptions(r) }));
}

/** A step as the Rust side takes it: the reason checked, the history appended. */
function takeStep(rec: Rec, to: string, note: string | null, settles = false) {
  const u = me();
  const text = (note ?? '').trim();
  if ((settles || NEEDS_REASON.includes(to)) && !text) fail('invalid', [['note', 'required']]);
  if (text.length > 1000) fail('invalid', [['note', 'too_long']]);
  const role = settles ? 'supervisor' : STEPS.find(([k, f, tt, rs]) => k === rec.row.kind && f === rec.row.status && tt === to && rs.some((r) => u.roles.includes(r)))?.[3].find((r) => u.roles.includes(r)) ?? u.roles[0];
  const at = Date.now();
  rec.history.push({ at, by: u.name, role, from: rec.row.status, to, note: text || null, settles });
  rec.row.status = to;
  rec.row.note = NEEDS_REASON.includes(to) && !settles ? text : null;
  rec.row.work_at = at;
}

function saved(rec: Rec, warnings: Warning[] = []): Saved {
  rec.warnings = warnings;
  return { id: rec.row.id, badge: rec.row.badge, warnings };
}

/** As src/field/views.rs `PlaceDraft::read`: a point, or latitude and longitude as typed. */
function readPlace(p: Place | null | undefined, errs: [string, string][]): GeoPoint | null {
  if (!p) return null;
  if (typeof p.lat === 'number' && typeof p.lon === 'number') return p as GeoPoint;
  const axis = (field: string, v: string | number) => {
    const n = numberOf(v);
    if (n === null) errs.push([field, 'required']);
    else if (n === 'not_a_number') errs.push([field, 'not_a_number']);
    else return n;
    return null;
  };
  const lat = axis('location.lat', p.lat);
  const lon = axis('location.lon', p.lon);
  return lat !== null && lon !== null ? { lat, lon, accuracy_m: null } : null;
}

function checkPoint(p: GeoPoint | null, errs: [string, string][]) {
  if (!p) return;
  if (!(p.lat >= -90 && p.lat <= 90)) errs.push(['location.lat', 'out_of_range']);
  if (!(p.lon >= -180 && p.lon <= 180)) errs.push(['location.lon', 'out_of_range']);
  // No accuracy is fine (a point picked on the map or typed): a warning, never an error.
  if (p.accuracy_m != null && !(p.accuracy_m >= 0)) errs.push(['location.accuracy_m', 'negative']);
}

/** As src/domain/fsm.rs `over_tank`: more litres than the vehicle holds is refused. */
function withinTank(vehicle: string, litres: number | null, errs: [string, string][]) {
  const v = reference.vehicles.find((x) => x.registration_number === vehicle);
  if (v && litres != null && litres > v.tank_capacity_litres) errs.push(['volume_litres', 'too_large']);
}

/** As src/domain/access.rs `ward_of_new`: a record without a place takes the user's only ward,
 *  or the one a user of several wards chose among theirs. */
function wardOfNew(p: GeoPoint | null, chosen: string | null | undefined, errs: [string, string][]): string | null {
  const placed = wardOf(p);
  if (placed) return placed;
  const u = me();
  const pick = chosen?.trim() || null;
  if (pick) {
    if (u.wards.length && !u.wards.includes(pick)) errs.push(['ward', 'not_a_choice']);
    return pick;
  }
  if (u.wards.length === 1) return u.wards[0];
  // A place outside every ward is not a choice to make: the server says why it refuses.
  if (u.wards.length > 1 && !p) errs.push(['ward', 'required']);
  return null;
}

/** As src/domain/number.rs `parse_number`: null when nothing was typed, else a number or 'not_a_number'. */
function numberOf(v: string | number | null | undefined): number | null | 'not_a_number' {
  if (v == null || (typeof v === 'string' && !v.trim())) return null;
  const n = typeof v === 'number' ? v : Number(plainNumber(v) ?? NaN);
  return Number.isFinite(n) ? n : 'not_a_number';
}

/** As Field::save_inspection / edit_inspection: every problem of the draft at once; the record's
 *  place, answers (numbers as typed, read) and ward. */
function checkInspection(d: InspectionDraft, chooseWard: boolean): { location: GeoPoint | null; answers: InspectionDraft['answers']; wardCode: string | null } {
  const tpl = reference.templates.find((x) => x.code === d.template_code && x.version === d.template_version);
  if (!tpl) fail('unknown_template');
  const errs: [string, string][] = [];
  const location = readPlace(d.location, errs);
  const answers = { ...d.answers };
  for (const [id, typed] of Object.entries(d.numbers ?? {})) {
    const n = numberOf(typed);
    if (n === 'not_a_number') errs.push([`answers.${id}`, 'not_a_number']);
    else if (n === null) delete answers[id];
    else answers[id] = { type: 'number', value: n };
  }
  if (!d.subject.trim()) errs.push(['subject', 'required']);
  for (const q of tpl!.questions) {
    const a = answers[q.id];
    if (!a) {
      if (q.required && d.submit && !errs.some(([f]) => f === `answers.${q.id}`)) errs.push([`answers.${q.id}`, 'required']);
      continue;
    }
    if (a.type !== q.answer_type) errs.push([`answers.${q.id}`, 'wrong_type']);
    else if (a.type === 'number' && ((q.min != null && a.value < q.min) || (q.max != null && a.value > q.max))) errs.push([`answers.${q.id}`, 'out_of_range']);
    else if (a.type === 'single_choice' && !q.options.some((o) => o.code === a.value)) errs.push([`answers.${q.id}`, 'unknown_choice']);
  }
  checkPoint(location, errs);
  const wardCode = chooseWard ? wardOfNew(location, d.ward, errs) : null;
  if (errs.length) fail('invalid', errs);
  return { location, answers, wardCode };
}

function saveInspection(d: InspectionDraft): Saved {
  as('inspector');
  const { location, answers, wardCode } = checkInspection(d, true);
  d = { ...d, answers };
  const rec = add('inspection', 'DRAFT', d.subject, { ...d }, { location, photos_waiting: d.photos.length, ward: wardCode });
  if (d.submit) takeStep(rec, 'SUBMITTED', null);
  touch(rec, 'saved');
  sync.photos_waiting += d.photos.length;
  return saved(rec, geoWarnings(location));
}

/** As Field::editable_record: the author's own record, while it is with them. */
function editableRecord(id: string, kind: Kind, role: Role): Rec {
  if (!me().roles.includes(role)) fail('not_allowed');
  const rec = get(id);
  if (rec.row.kind !== kind) fail('not_found');
  if (!editable(rec)) fail('not_editable');
  return rec;
}

function editInspection(id: string, d: InspectionDraft): Saved {
  const rec = editableRecord(id, 'inspection', 'inspector');
  const { location, answers } = checkInspection(d, false);
  rec.record = { ...d, location, answers };
  Object.assign(rec.row, { title: d.subject, location, photo: firstPhoto(rec.record), photos_waiting: d.photos.length });
  // A correction of a refused record that was already submitted stays submitted.
  if (d.submit && rec.row.status !== 'SUBMITTED') takeStep(rec, 'SUBMITTED', null);
  rec.row.rejection = null;
  touch(rec, 'saved');
  return saved(rec, geoWarnings(location));
}

function editAsset(id: string, d: AssetDraft): Saved {
  const rec = editableRecord(id, 'asset_survey', 'surveyor');
  const location = checkAsset(d);
  rec.record = { ...d, location };
  Object.assign(rec.row, { title: d.asset_name, location, photo: firstPhoto(rec.record), photos_waiting: d.photos.length });
  if (rec.row.status !== 'PENDINGFORAPPROVAL') takeStep(rec, 'PENDINGFORAPPROVAL', null);
  rec.row.rejection = null;
  touch(rec, 'saved');
  return saved(rec, geoWarnings(location));
}

function settle(id: string, to: string, note: string | null): Saved {
  if (!me().roles.includes('supervisor')) fail('not_allowed');
  const rec = get(id);
  if (!settleOptions(rec).includes(to)) fail('not_allowed');
  takeStep(rec, to, note, true);
  touch(rec, 'saved');
  return saved(rec);
}

/** As Field's asset_body: type, condition and place required, every problem at once; the place. */
function checkAsset(d: AssetDraft): GeoPoint {
  const errs: [string, string][] = [];
  if (!d.asset_type) errs.push(['asset_type', 'required']);
  if (!d.asset_name.trim()) errs.push(['asset_name', 'required']);
  if (!d.condition) errs.push(['condition', 'required']);
  const typedWrong = errs.length;
  const location = readPlace(d.location, errs);
  if (!location && errs.length === typedWrong) errs.push(['location', 'required']);
  checkPoint(location, errs);
  if (errs.length) fail('invalid', errs);
  return location!;
}

function saveAsset(d: AssetDraft): Saved {
  as('surveyor');
  const location = checkAsset(d);

  const warnings = geoWarnings(location);
  if (d.location) {
    const near = [...records.values()].some(
      (r) => r.row.kind === 'asset_survey' && r.record.asset_type === d.asset_type && r.row.location && metres(r.row.location, location!) < 10,
    );
    if (near) warnings.push({ code: 'possible_duplicate', message: 'possible duplicate' });
  }
  const rec = add('asset_survey', 'INITIATED', d.asset_name, { ...d, location }, { location, photos_waiting: d.photos.length });
  takeStep(rec, 'PENDINGFORAPPROVAL', null); // as Field::save_asset: saved and sent for approval
  touch(rec, 'saved');
  return saved(rec, warnings);
}

/** As src/domain/number.rs `plain_number`: spaces trimmed, Devanagari digits read, commas only
 *  as digit grouping (Indian or international); null when it is not a number. */
function plainNumber(text: string): string | null {
  const s = text.trim().replace(/[\u0966-\u096F]/g, (c) => String(c.charCodeAt(0) - 0x0966));
  const m = /^(-?)([0-9,]+)(?:\.([0-9]+))?$/.exec(s);
  if (!m) return null;
  const groups = m[2].split(',');
  const ok = groups.length === 1
    ? groups[0] !== ''
    : /^[0-9]{1,3}$/.test(groups[0]) && /^[0-9]{3}$/.test(groups[groups.length - 1]) && groups.slice(1, -1).every((g) => /^[0-9]{2,3}$/.test(g));
  return ok ? `${m[1]}${groups.join('')}${m[3] !== undefined ? `.${m[3]}` : ''}` : null;
}

/** As Paise::parse_rupees + Field::read_amount: paise, or the error code on `amount`. */
function rupees(text: string): number | string {
  if (!text.trim()) return 'required';
  const m = /^(\d+)(?:\.(\d+))?$/.exec(plainNumber(text) ?? '');
  if (!m) return 'not_a_number';
  if ((m[2] ?? '').length > 2) return 'too_many_decimals';
  const paise = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(paise)) return 'too_large';
  return paise === 0 ? 'zero' : paise;
}

/** As src/field/views.rs `Typed::litres`: a number, typed text, or nothing; a problem goes to `errs`. */
function litresOf(v: string | number | null, errs: [string, string][]): number | null {
  const n = numberOf(v);
  if (n === 'not_a_number') errs.push(['volume_litres', 'not_a_number']);
  else if (n !== null && n < 0) errs.push(['volume_litres', 'negative']);
  else return n;
  return null;
}

/** As src/field/mod.rs `read_litres`: litres are required on a trip's step. */
function requiredLitres(v: string | number | null, errs: [string, string][]): number | null {
  const before = errs.length;
  const n = litresOf(v, errs);
  if (n === null && errs.length === before) errs.push(['volume_litres', 'required']);
  return n;
}

/** As src/field/mod.rs `receipt_record`: every problem of a receipt draft; the paise and ward. */
function checkReceipt(d: ReceiptDraft): { paise: number; wardCode: string | null } {
  as('collector');
  const errs: [string, string][] = [];
  if (!d.fee_head.trim()) errs.push(['fee_head', 'required']);
  else if (!reference.fee_heads.some((h) => h.code === d.fee_head)) errs.push(['fee_head', 'unknown']);
  const read = rupees(d.amount);
  const paise = typeof read === 'number' ? read : 0;
  if (typeof read === 'string') errs.push(['amount', read]);
  if (!d.payer_name.trim()) errs.push(['payer_name', 'required']);
  if ((d.payment_mode === 'CHEQUE' || d.payment_mode === 'DD') && !d.instrument_number?.trim()) errs.push(['instrument_number', 'required']);
  if (d.mobile_number?.trim() && !/^[0-9]{10}$/.test(d.mobile_number.trim())) errs.push(['mobile_number', 'invalid']);
  const wardCode = wardOfNew(null, d.ward, errs);
  if (errs.length) fail('invalid', errs);
  return { paise, wardCode };
}

function collectFee(d: ReceiptDraft): Saved & { receipt_number: string; amount_paise: number } {
  const { paise, wardCode } = checkReceipt(d);
  const number = `NBH/2025-26/D7/${String(++receiptSeq).padStart(6, '0')}`;
  const rec = add('receipt', 'NEW', `Receipt ${number}`, { receipt_number: number, ...d, receipt_date: Date.now() }, { amount_paise: paise, ward: wardCode });
  touch(rec, 'saved');
  return { ...saved(rec), receipt_number: number, amount_paise: paise };
}

function createJob(d: FsmJobDraft): Saved {
  as('supervisor');
  const errs: [string, string][] = [];
  if (!d.applicant_name.trim()) errs.push(['applicant_name', 'required']);
  if (d.mobile_number?.trim() && !/^[0-9]{10}$/.test(d.mobile_number.trim())) errs.push(['mobile_number', 'invalid']);
  if (!d.locality.trim()) errs.push(['locality', 'required']);
  for (const k of ['pit_length', 'pit_width', 'pit_height'] as const) {
    const n = numberOf(d[k]);
    if (n === 'not_a_number') errs.push([k, 'not_a_number']);
    else if (n !== null && n < 0) errs.push([k, 'negative']);
  }
  const location = readPlace(d.location, errs);
  checkPoint(location, errs);

  if (errs.length) fail('invalid', errs);
  const rec = add('fsm_job', 'CREATED', `Desludging: ${d.applicant_name}, ${d.locality}`, { ...d, payment_preference: d.post_pay ? 'POST_PAY' : 'PRE_PAY' }, { location: location });
  touch(rec, 'saved');
  return saved(rec, geoWarnings(location));
}

function get(id: string): Rec {
  const r = records.get(id);
  if (!r) fail('not_found');
  return r!;
}

function tripPickup(jobId: string, step: TripStepDraft): Saved {
  const u = me();
  if (!u.roles.includes('sanitation_crew')) fail('not_allowed');
  const job = get(jobId);
  if (!forms(job).includes('trip_pickup')) fail('not_allowed');
  const errs: [string, string][] = [];
  const volume = requiredLitres(step.volume_litres, errs);
  withinTank('PB11AB1234', volume, errs);
  const location = readPlace(step.location, errs);
  checkPoint(location, errs);
  if (errs.length) fail('invalid', errs);

  const rec = add('trip', 'WAITING_FOR_DISPOSAL', `Trip PB11AB1234: ${volume} L`, {
    vehicle: 'PB11AB1234', application_no: job.row.id, pickup: { ...step, volume_litres: volume },
  }, { location: location, photos_waiting: step.photos.length });
  touch(rec, 'saved');
  return saved(rec, geoWarnings(location));
}

function tripDisposal(tripId: string, step: TripStepDraft): Saved {
  const u = me();
  if (!u.roles.includes('fstp_operator')) fail('not_allowed');
  const trip = get(tripId);
  if (trip.row.status !== 'WAITING_FOR_DISPOSAL') fail('not_allowed');
  const errs: [string, string][] = [];
  const volume = requiredLitres(step.volume_litres, errs);
  withinTank(String(trip.record.vehicle ?? ''), volume, errs);
  const before = errs.length;
  const location = readPlace(step.location, errs);
  if (!location && errs.length === before) errs.push(['location', 'required']);
  checkPoint(location, errs);
  if (errs.length) fail('invalid', errs);

  const warnings: Warning[] = [];
  const fstp = reference.fstps[0];
  if (location && metres(location, fstp.location) > 150) warnings.push({ code: 'possible_illegal_dumping', message: 'outside every plant' });
  const carried = ((trip.record.pickup as TripStepDraft | undefined)?.volume_litres) ?? null;
  if (carried && Math.abs(Number(carried) - volume!) / Number(carried) > 0.1) warnings.push({ code: 'volume_mismatch', message: 'volume mismatch' });
  trip.row.status = 'DISPOSED';
  trip.record.disposal = { ...step, volume_litres: volume };
  touch(trip, warnings.length ? 'needs_review' : 'saved');
  return saved(trip, warnings);
}

// The chain of custody at the plant gate: codes shaped like the Rust side's (WBH1 / WBC1), each
// "signed" with a checksum of its fields under a device key id, so a code with one character
// changed is refused as the core refuses it (bad_handover_signature / bad_countersign_signature,
// on `custody`), and a key id the phone does not know is unknown_key.
const QR = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 21 21"><rect width="21" height="21" fill="#fff"/><path d="M1 1h7v7H1z"/></svg>';
const CREW_KEYS = ['c0ffee01'];
const OPERATOR_KEYS = ['0fe7a701'];
/** The signed fields of each trip's handover, as the crew's phone keeps it in the trip. */
const handovers = new Map<string, string[]>();

/** FNV-1a of the signed fields and the key id, as hex: the fake's signature. */
function fakeSig(fields: string[], key: string): string {
  let h = 0x811c9dc5;
  for (const ch of [...fields, key].join('|')) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return `s${h.toString(16).padStart(8, '0')}`;
}

interface ReadHandover { tenant: string; trip: string; vehicle: string; litres: number; at: number; code: string }

/** As Store::check_handover: read, this town, signed by a crew key this phone knows. */
function checkedHandover(code: string): ReadHandover {
  const text = code.trim();
  const parts = text.split('|');
  if (parts[0] !== 'WBH1' || parts.length !== 8 || !/^[0-9]+$/.test(parts[4]) || !/^[0-9]+$/.test(parts[5])) {
    fail('invalid', [['custody', 'bad_code']]);
  }
  const [, tenant, trip, vehicle, litres, at, key, sig] = parts;
  if (tenant !== 'pb.nabha') fail('invalid', [['custody', 'custody_mismatch']]);
  if (!CREW_KEYS.includes(key)) fail('invalid', [['custody', 'unknown_key']]);
  if (sig !== fakeSig([tenant, trip, vehicle, litres, at], key)) fail('invalid', [['custody', 'bad_handover_signature']]);
  return { tenant, trip, vehicle, litres: Number(litres), at: Number(at), code: text };
}

function handoverCode(tripId: string): CodeView {
  if (!me().roles.includes('sanitation_crew')) fail('not_allowed');
  const trip = get(tripId);
  if (trip.row.kind !== 'trip') fail('not_found');
  const litres = String(((trip.record.pickup as TripStepDraft | undefined)?.volume_litres) ?? 0);
  const fields = ['pb.nabha', tripId, 'PB11AB1234', litres, String(NOW)];
  if (!handovers.has(tripId)) handovers.set(tripId, fields);
  const kept = handovers.get(tripId)!;
  return { code: `WBH1|${kept.join('|')}|${CREW_KEYS[0]}|${fakeSig(kept, CREW_KEYS[0])}`, qr_svg: QR };
}

/** As the core's read_code: the fake's "photos" are PNG or JPEG magic, then `WBQR:` and the
 *  code's text (the real decoder reads real QR codes: src/scan.rs, tests/e2e/gate.test.mjs). */
function readCode(base64: string): string {
  const bytes = atob(base64);
  const image = bytes.startsWith('\x89PNG') || bytes.startsWith('\xff\xd8');
  if (!image) fail('invalid', [['custody', 'not_an_image']]);
  const at = bytes.indexOf('WBQR:');
  if (at < 0) fail('invalid', [['custody', 'no_code_found']]);
  return bytes.slice(at + 5);
}

function checkHandover(code: string) {
  if (!me().roles.includes('fstp_operator')) fail('not_allowed');
  const h = checkedHandover(code);
  return { code: h.code, trip: h.trip, vehicle: h.vehicle, litres: h.litres, at: h.at };
}

function countersign(code: string, typed: string | number | null, location: GeoPoint | null): CodeView {
  if (!me().roles.includes('fstp_operator')) fail('not_allowed');
  const errs: [string, string][] = [];
  const volume = requiredLitres(typed, errs);
  if (errs.length) fail('invalid', errs);
  if (!location) fail('invalid', [['location', 'required']]);
  const h = checkedHandover(code);
  const fstp = metres(location!, reference.fstps[0].location) <= 150 ? 'FSTP-NBH-1' : '-';
  const fields = [h.trip, String(Math.round(volume!)), String(NOW + 60_000), fstp];
  const sig = fakeSig([...fields, code.trim().split('|')[7]], OPERATOR_KEYS[0]);
  return { code: `WBC1|${fields.join('|')}|${OPERATOR_KEYS[0]}|${sig}`, qr_svg: QR };
}

/** As Store::record_countersigned: the operator's signature checked here, then DISPOSED. */
function recordCountersigned(tripId: string, code: string, location: GeoPoint | null): Saved {
  if (!me().roles.includes('sanitation_crew')) fail('not_allowed');
  if (!location) fail('invalid', [['location', 'required']]);
  const trip = get(tripId);
  const parts = code.trim().split('|');
  if (parts[0] !== 'WBC1' || parts.length !== 7 || !/^[0-9]+$/.test(parts[2])) fail('invalid', [['custody', 'bad_code']]);
  const [, forTrip, litres, at, fstp, key, sig] = parts;
  if (forTrip !== tripId) fail('invalid', [['custody', 'custody_mismatch']]);
  const handover = handovers.get(tripId);
  if (!handover) fail('invalid', [['custody', 'no_handover']]);
  if (!OPERATOR_KEYS.includes(key)) fail('invalid', [['custody', 'unknown_key']]);
  const crewSig = fakeSig(handover!, CREW_KEYS[0]);
  if (sig !== fakeSig([forTrip, litres, at, fstp, crewSig], key)) fail('invalid', [['custody', 'bad_countersign_signature']]);
  const warnings: Warning[] = [];
  if (metres(location!, reference.fstps[0].location) > 150) warnings.push({ code: 'possible_illegal_dumping', message: 'outside every plant' });
  trip.record.disposal = { volume_litres: Number(litres), location, photos: [] };
  trip.row.status = 'DISPOSED';
  touch(trip, 'saved');
  return saved(trip, warnings);
}

function step(id: string, to: string, note: string | null): Saved {
  const rec = get(id);
  if (!actions(rec).includes(to)) fail('not_allowed');
  takeStep(rec, to, note);
  touch(rec, 'saved');
  return saved(rec);
}

function reviewList() {
  const u = me();
  if (!u.roles.includes('supervisor')) fail('not_allowed');
  const all = [...records.values()];
  const waiting = queue();
  return {
    waiting,
    rejected: all.filter((r) => (r.row.badge === 'rejected' || r.row.status === 'REJECTED') && !waiting.some((i) => i.row.id === r.row.id)).map(row),
    conflicts: all.flatMap((r) => r.conflicts),
  };
}

function resolveConflict(recordId: string, field: string, value: string): Saved {
  const u = me();
  if (!u.roles.includes('supervisor')) fail('not_allowed');
  const rec = get(recordId);
  const c = rec.conflicts.find((x) => x.field === field);
  if (!c || !c.values.includes(value)) fail('invalid', [['value', 'not_a_choice']]);
  rec.conflicts = rec.conflicts.filter((x) => x !== c);
  rec.record[field] = JSON.parse(value);
  if (field === 'subject') rec.row.title = JSON.parse(value);
  touch(rec, 'saved');
  return saved(rec);
}

function hash(s: string): string {
  let out = '';
  for (let round = 0; round < 8; round++) {
    let h = 0x811c9dc5 ^ round;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

function addPhoto(base64: string): PhotoRef {
  me();
  if (!base64 || !/^[A-Za-z0-9+/=]+$/.test(base64)) fail('invalid', [['photo', 'invalid']]);
  sync.photos_waiting += 1;
  const sha256 = hash(base64);
  photos.set(sha256, base64);
  return { sha256, taken_at: Date.now(), location: null };
}

/** Photos whose bytes this (fake) device holds: the ones added here. */
const photos = new Map<string, string>();

/** The fake's thumbnail is the picture itself (the core's is a 256 px JPEG made from it). */
function photoThumbnail(sha256: string): string | null {
  const b64 = photos.get(String(sha256));
  return b64 ? `data:image/jpeg;base64,${b64}` : null;
}

function syncNow(): SyncStatus {
  if (!enrolled) fail('not_enrolled');
  if (!sync.online) {
    sync.last_error = 'unreachable';
    return { ...sync };
  }
  for (const r of records.values()) if (r.row.badge === 'saved' || r.row.badge === 'waiting') r.row.badge = 'on_server';
  sync.waiting = 0;
  sync.photos_waiting = 0;
  sync.last_sync_at = Date.now();
  sync.last_error = null;
  return { ...sync };
}

// Day-end, as src/field/dayend.rs with src/domain/cash.rs: the same refusals, codes and fields.
const istDay = (ms: number) => new Date(ms + 5.5 * 3_600_000).toISOString().slice(0, 10);
const ALL_MODES: PaymentMode[] = ['CASH', 'UPI', 'CHEQUE', 'DD', 'ONLINE', 'OFFLINE_NEFT', 'OFFLINE_RTGS', 'CARD', 'POSTAL_ORDER'];

function reversalsOf(receiptId: string): Rec[] {
  return [...records.values()].filter((r) => r.row.kind === 'reversal' && r.record.receipt === receiptId);
}
function cancellationOf(receiptId: string): ReceiptLine['cancellation'] {
  const order = ['APPROVED', 'REQUESTED', 'REJECTED'];
  const s = reversalsOf(receiptId).map((r) => r.row.status).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return (s[0] as ReceiptLine['cancellation']) ?? null;
}
function receiptsOf(owner: string): Rec[] {
  return [...records.values()].filter((r) => r.row.kind === 'receipt' && r.owner === owner)
    .sort((a, b) => Number(b.record.receipt_date) - Number(a.record.receipt_date) || (a.row.id < b.row.id ? -1 : 1));
}
function receiptLine(r: Rec): ReceiptLine {
  return {
    id: r.row.id, receipt_number: String(r.record.receipt_number), day: istDay(Number(r.record.receipt_date)),
    receipt_date: Number(r.record.receipt_date), payer_name: String(r.record.payer_name), fee_head: String(r.record.fee_head),
    payment_mode: r.record.payment_mode as PaymentMode, amount_paise: r.row.amount_paise ?? 0, badge: r.row.badge,
    rejection: r.row.rejection, cancellation: cancellationOf(r.row.id),
  };
}
function handoverView(r: Rec): HandoverView {
  const h = r.record;
  return {
    id: r.row.id, collector: String(h.collector), collector_name: users.find((u) => u.id === h.collector)?.name ?? String(h.collector),
    day: String(h.day), expected_paise: Number(h.expected_cash), handed_over_paise: Number(h.counted_cash),
    note: (h.note as string | null) ?? null, created_at: r.row.updated_at, acknowledged: r.row.status === 'RECONCILED',
    badge: r.row.badge, rejection: r.row.rejection,
  };
}
function needRole(role: Role) {
  if (!me().roles.includes(role)) fail('not_allowed');
}
function dayEnd(dayArg: string | null): DayEnd {
  needRole('collector');
  const u = me();
  const day = dayArg?.trim() || istDay(Date.now());
  const amounts = new Map<PaymentMode, number>();
  const counts = new Map<PaymentMode, number>();
  let receipts = 0; let cancelled = 0; let reversed = 0; let total = 0;
  for (const r of receiptsOf(u.id)) {
    const line = receiptLine(r);
    if (line.day !== day) continue;
    receipts += 1;
    amounts.set(line.payment_mode, amounts.get(line.payment_mode) ?? 0);
    if (line.cancellation === 'APPROVED') { cancelled += 1; reversed += line.amount_paise; continue; }
    amounts.set(line.payment_mode, amounts.get(line.payment_mode)! + line.amount_paise);
    counts.set(line.payment_mode, (counts.get(line.payment_mode) ?? 0) + 1);
    total += line.amount_paise;
  }
  const handover = [...records.values()].find((r) => r.row.kind === 'handover' && r.record.collector === u.id && r.record.day === day);
  return {
    day, receipts, cancelled, reversed_paise: reversed, total_paise: total, cash_expected_paise: amounts.get('CASH') ?? 0,
    by_mode: ALL_MODES.filter((m) => amounts.has(m)).map((m) => ({ mode: m, count: counts.get(m) ?? 0, amount_paise: amounts.get(m)! })),
    handover: handover ? handoverView(handover) : null,
    receipt_list: receiptsOf(u.id).map(receiptLine),
  };
}
function handOverCash(d: HandoverDraft): HandoverView {
  needRole('collector');
  const u = me();
  const read = rupees(d.amount);
  if (read === 'required') fail('invalid', [['amount', 'not_a_number']]);
  if (typeof read === 'string' && read !== 'zero') fail('invalid', [['amount', read]]);
  const counted = typeof read === 'number' ? read : 0;
  const day = d.day.trim();
  if (!day) fail('invalid', [['day', 'required']]);
  const expected = dayEnd(day).cash_expected_paise;
  const note = d.note?.trim() || null;
  if (counted > expected) fail('invalid', [['amount', 'more_than_collected']]);
  if (counted !== expected && !note) fail('invalid', [['note', 'required']]);
  if ([...records.values()].some((r) => r.row.kind === 'handover' && r.record.collector === u.id && r.record.day === day)) fail('handover_exists');
  const rec = add('handover', 'DRAFT', `Cash handover ${day}`, { collector: u.id, day, expected_cash: expected, counted_cash: counted, note }, { amount_paise: counted - expected });
  touch(rec, 'saved');
  return handoverView(rec);
}
function moneyActor(): Role {
  const roles = me().roles;
  if (roles.includes('collector')) return 'collector';
  if (roles.includes('supervisor')) return 'supervisor';
  return fail('not_allowed');
}
function reprintReceipt(id: string): PrintView {
  moneyActor();
  const r = get(id);
  if (r.row.kind !== 'receipt') fail('not_a_receipt');
  const n = String(r.record.receipt_number);
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fee receipt ${n} (duplicate)</title></head>`
    + `<body><h1>Nabha</h1><p class="duplicate" data-copy="duplicate">DUPLICATE / <span lang="hi">प्रतिलिपि</span></p><p>${n}</p></body></html>`;
  return { receipt_number: n, html };
}
function requestCancellation(id: string, reason: string): ReceiptLine {
  const role = moneyActor();
  const r = get(id);
  if (r.row.kind !== 'receipt') fail('not_a_receipt');
  if (role === 'collector' && r.owner !== currentUser) fail('not_allowed');
  if (!reason.trim()) fail('invalid', [['reason', 'required']]);
  if (reversalsOf(id).some((x) => x.row.status !== 'REJECTED')) fail('bad_reversal');
  const amount = r.row.amount_paise ?? 0;
  const rec = add('reversal', 'REQUESTED', `Reversal of ${r.record.receipt_number}`, { receipt: id, receipt_number: r.record.receipt_number, amount, reason: reason.trim() }, { amount_paise: -amount });
  rec.row.ward = r.row.ward;
  touch(rec, 'saved');
  return receiptLine(r);
}
function cashQueue(): CashQueue {
  needRole('supervisor');
  const all = [...records.values()];
  return {
    handovers: all.filter((r) => r.row.kind === 'handover' && r.row.status === 'DRAFT').map(handoverView),
    cancellations: all.filter((r) => r.row.kind === 'reversal' && r.row.status === 'REQUESTED').map((r) => ({
      id: r.row.id, receipt: String(r.record.receipt), receipt_number: String(r.record.receipt_number), amount_paise: Number(r.record.amount),
      reason: String(r.record.reason), requested_by: users.find((u) => u.id === r.owner)?.name ?? r.owner, requested_at: r.row.updated_at, badge: r.row.badge,
    })),
  };
}
function acknowledgeHandover(id: string): HandoverView {
  needRole('supervisor');
  const r = get(id);
  if (r.row.kind !== 'handover') fail('not_found');
  if (r.row.status !== 'DRAFT') fail('not_allowed');
  r.row.status = 'RECONCILED';
  touch(r, 'saved');
  return handoverView(r);
}
function decideCancellation(id: string, approve: boolean, note: string | null): Saved {
  needRole('supervisor');
  const r = get(id);
  if (r.row.kind !== 'reversal') fail('not_found');
  if (!approve && !note?.trim()) fail('invalid', [['note', 'required']]);
  if (r.row.status !== 'REQUESTED') fail('not_allowed');
  r.row.status = approve ? 'APPROVED' : 'REJECTED';
  touch(r, 'saved');
  return saved(r);
}
// Seeded for the supervisor: a short handover and a cancellation waiting.
if (sc.seed ?? true) {
  add('handover', 'DRAFT', 'Cash handover 2026-11-24', { collector: 'u-coll', day: '2026-11-24', expected_cash: 125000, counted_cash: 120000, note: '₹50 returned as change' }, { id: 'hand-1', badge: 'on_server', amount_paise: -5000, updated_at: NOW - 2 * 86_400_000 }, 'u-coll');
  // A receipt a supervisor cancelled: it stays in the collector's list, marked.
  add('receipt', 'NEW', 'Receipt NBH/2025-26/D1/000002', { receipt_number: 'NBH/2025-26/D1/000002', payer_name: 'Sunil Kumar', fee_head: 'WS', payment_mode: 'UPI', receipt_date: NOW - 86_400_000 }, { id: 'rcpt-c', badge: 'on_server', amount_paise: 20000, updated_at: NOW - 2 * 86_400_000 }, 'u-coll');
  add('reversal', 'APPROVED', 'Reversal of NBH/2025-26/D1/000002', { receipt: 'rcpt-c', receipt_number: 'NBH/2025-26/D1/000002', amount: 20000, reason: 'Wrong payer' }, { id: 'rev-2', badge: 'on_server', amount_paise: -20000, updated_at: NOW - 2 * 86_400_000 }, 'u-coll');
  add('reversal', 'REQUESTED', 'Reversal of NBH/2025-26/D1/000001', { receipt: 'rcpt-0', receipt_number: 'NBH/2025-26/D1/000001', amount: 15000, reason: 'Entered twice' }, { id: 'rev-1', badge: 'on_server', amount_paise: -15000, updated_at: NOW - 2 * 86_400_000 }, 'u-coll');
}

/** As src/field/mod.rs `server_address`: what is wrong with a typed server address, or null. */
function serverAddress(text: string): string | null {
  const m = /^([A-Za-z]+):\/\/([^/?#]*)/.exec(text.trim());
  if (!m || !/^https?$/i.test(m[1])) return 'address_scheme';
  const bracket = /^(\[[^\]]*\])(?::(.*))?$/.exec(m[2]);
  const [host, port] = bracket ? [bracket[1], bracket[2]] : m[2].includes(':') ? [m[2].slice(0, m[2].lastIndexOf(':')), m[2].slice(m[2].lastIndexOf(':') + 1)] : [m[2], undefined];
  const hostOk = host !== '' && (bracket !== null || host.split('.').every((l) => /^[\p{L}\p{N}][\p{L}\p{N}-]*$/u.test(l)));
  if (!hostOk) return 'address_host';
  if (port !== undefined && (!/^[0-9]+$/.test(port) || Number(port) < 1 || Number(port) > 65535)) return 'address_port';
  return null;
}

type A = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

mockIPC((cmd, payload) => {
  const a = (payload ?? {}) as A;
  calls.push({ cmd, args: JSON.parse(JSON.stringify(a)) });
  const injected = window.__wbFake.failNext;
  if (injected && injected.cmd === cmd) {
    window.__wbFake.failNext = null;
    throw injected.error;
  }
  switch (cmd) {
    case 'app_state': return appState();
    case 'enroll': {
      // As src/field/mod.rs `check_enroll`: the address and the code in one round.
      const errs: [string, string][] = [];
      const address = a.server?.trim() ? serverAddress(String(a.server)) : 'required';
      if (address) errs.push(['server', address]);
      if (!a.code?.trim()) errs.push(['code', 'required']);
      if (errs.length) fail('invalid', errs);
      if (a.server.includes('unreachable')) fail('invalid', [['server', 'unreachable']]);
      if (a.server.includes('no-such-host')) fail('invalid', [['server', 'unknown_host']]);
      if (a.code !== '123456') fail('bad_code');
      enrolled = true;
      server = a.server;
      return appState();
    }
    case 'device_users': {
      if (!enrolled) fail('not_enrolled');
      return users.map(view);
    }
    case 'sign_in': {
      const u = users.find((x) => x.id === a.userId);
      if (!u) fail('not_found');
      if (!/^[0-9]{4,6}$/.test(a.pin)) fail('invalid', [['pin', 'pin_format']]);
      if (u!.has_pin && u!.pin !== a.pin) fail('invalid', [['pin', 'wrong_pin']]);
      if (!u!.has_pin) { u!.pin = a.pin; u!.has_pin = true; }
      currentUser = u!.id;
      return appState();
    }
    case 'sign_out': currentUser = null; return appState();
    case 'set_language': lang = a.lang === 'hi' ? 'hi' : 'en'; return appState();
    case 'reference': return reference;
    case 'home': return home();
    case 'list_records': return [...records.values()].filter((r) => !a.kind || r.row.kind === a.kind).sort((x, y) => y.row.updated_at - x.row.updated_at).map(row);
    case 'record': {
      const r = get(a.id);
      const v: RecordView = {
        row: row(r), details: detailsOf(r), photos: photosOf(r.record), draft: editable(r) ? draftOf(r) : null,
        conflicts: r.conflicts, warnings: r.warnings, actions: actions(r),
        settle: settleOptions(r), history: r.history.map((h) => ({ ...h })), editable: editable(r), forms: forms(r),
      };
      return v;
    }
    case 'save_inspection': return saveInspection(a.draft);
    case 'save_asset': return saveAsset(a.draft);
    case 'read_amount': {
      const read = rupees(String(a.text ?? ''));
      if (typeof read === 'string') fail('invalid', [['amount', read]]);
      return read;
    }
    case 'collect_fee': return collectFee(a.draft);
    case 'check_receipt': return checkReceipt(a.draft).paise;
    case 'create_fsm_job': return createJob(a.draft);
    case 'step': return step(a.id, a.to, a.note ?? null);
    case 'edit_inspection': return editInspection(a.id, a.draft);
    case 'edit_asset': return editAsset(a.id, a.draft);
    case 'settle': return settle(a.id, a.to, a.note ?? null);
    case 'photo_thumbnail': return photoThumbnail(a.sha256);
    case 'trip_pickup': return tripPickup(a.jobId, a.step);
    case 'trip_disposal': return tripDisposal(a.tripId, a.step);
    case 'handover_code': return handoverCode(a.tripId);
    case 'countersign': return countersign(a.code, a.volumeLitres, a.location);
    case 'record_countersigned': return recordCountersigned(a.tripId, a.code, a.location);
    case 'read_code': return readCode(a.base64);
    case 'check_handover': return checkHandover(a.code);
    case 'review_list': return reviewList();
    case 'resolve_conflict': return resolveConflict(a.recordId, a.field, a.value);
    case 'add_photo': return addPhoto(a.base64);
    case 'photo_thumbnail': return photoThumbnail(a.sha256);
    case 'sync_status': return { ...sync };
    case 'sync_now': return syncNow();
    case 'day_end': return dayEnd(a.day ?? null);
    case 'hand_over_cash': return handOverCash(a.draft);
    case 'reprint_receipt': return reprintReceipt(a.id);
    case 'request_cancellation': return requestCancellation(a.id, String(a.reason ?? ''));
    case 'cash_queue': return cashQueue();
    case 'acknowledge_handover': return acknowledgeHandover(a.id);
    case 'decide_cancellation': return decideCancellation(a.id, !!a.approve, a.note ?? null);
    // As the real bridge answers a command it does not have: not an ApiError.
    default: throw `command ${cmd} not found`;
  }
});
