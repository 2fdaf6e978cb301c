// The contract between the UI and the app's Rust side (src-tauri/src/commands.rs).
// Every call goes through `invoke`; the Rust side answers with the types below or throws an
// `ApiError`. Names of arguments are camelCase here (Tauri converts them to snake_case).
// Tests mock this boundary with `mockIPC` from `@tauri-apps/api/mocks`; the end-to-end test
// runs the real thing.
import { invoke } from '@tauri-apps/api/core';

export type Lang = 'en' | 'hi';
export type Role =
  | 'inspector' | 'surveyor' | 'collector' | 'sanitation_crew' | 'fstp_operator' | 'supervisor' | 'admin';
/** A record's state as a badge: saved on this device / waiting for the server / on the server / ... */
export type Badge = 'saved' | 'waiting' | 'on_server' | 'needs_review' | 'rejected';
export type Kind = 'inspection' | 'asset_survey' | 'receipt' | 'reversal' | 'handover' | 'fsm_job' | 'trip';

/** A failed call. `code` is stable (translate by it); `fields` names each bad form field. */
export interface ApiError {
  code: string; // e.g. invalid, wrong_pin, pin_format, not_enrolled, unreachable, bad_code, not_allowed, not_found
  message: string; // English, for logs; the UI shows its own translation of `code`
  fields: FieldError[];
}
export interface FieldError {
  field: string; // dotted path as the form names it: "subject", "answers.q1", "location.lat", "amount"
  code: string; // required, negative, too_many_decimals, out_of_range, not_a_choice, ...
  message: string;
}

export interface GeoPoint { lat: number; lon: number; accuracy_m: number | null }
/** A place as a form sends it: a point (GPS, map), or latitude and longitude as typed, which the
 *  Rust side reads ("30.37", "३०.३७") and refuses by box (location.lat / location.lon). */
export type Place = GeoPoint | { lat: string; lon: string; accuracy_m?: null };
export interface PhotoRef { sha256: string; taken_at: number | null; location: GeoPoint | null }

export interface Town { id: string; name: string; name_hi: string; code: string }
/** `tasks`: the screens that start work this user may open, decided by the core
 *  (src/domain/access.rs TASKS): new_inspection, new_asset, collect_fee, fsm_jobs, new_fsm_job, trips, review. */
export interface UserView { id: string; name: string; roles: Role[]; wards: string[]; has_pin: boolean; tasks: string[] }
export interface AppState {
  enrolled: boolean;
  server: string | null;
  town: Town | null;
  user: UserView | null; // signed-in user, null on the sign-in screen
  lang: Lang;
}

export interface SyncStatus {
  online: boolean; // the last attempt reached the server
  syncing: boolean;
  last_sync_at: number | null; // unix millis of the last successful sync
  waiting: number; // records with changes the server has not confirmed
  photos_waiting: number;
  last_error: string | null; // code: unreachable, device_revoked, ...
}

export interface Ward { code: string; name: string; name_hi: string; boundary: [number, number][] } // [lon, lat]
export interface ChoiceOption { code: string; label: string; label_hi: string; points: number }
export interface Question {
  id: string; text: string; text_hi: string;
  answer_type: 'yes_no' | 'number' | 'text' | 'single_choice' | 'multi_choice' | 'photo';
  options: ChoiceOption[]; required: boolean; weight: number; min: number | null; max: number | null;
}
export interface Template { code: string; version: number; title: string; title_hi: string; questions: Question[] }
export interface FeeHead { code: string; name: string; name_hi: string; default_amount: number | null } // paise
export interface Vehicle { registration_number: string; model: string; vehicle_type: string; tank_capacity_litres: number }
export interface Fstp { code: string; name: string; location: GeoPoint; geofence: { type: 'radius'; centre: GeoPoint; metres: number } | { type: 'polygon'; ring: [number, number][] } }
export interface Reference {
  town: Town | null; wards: Ward[]; templates: Template[]; fee_heads: FeeHead[]; vehicles: Vehicle[]; fstps: Fstp[];
}

/** One line of a list. */
export interface RecordRow {
  id: string;
  kind: Kind;
  status: string; // DIGIT status, e.g. SUBMITTED, PENDING_APPL_FEE_PAYMENT, DISPOSED
  ward: string | null;
  title: string;
  updated_at: number;
  amount_paise: number | null;
  badge: Badge;
  photos_waiting: number;
  location: GeoPoint | null; // for the map
  rejection: Rejection | null; // why the server refused it (badge 'rejected'), else null
  author?: string | null; // who made the record (their name)
  work_at?: number; // when the work was done, by the record's own clock (not when it reached this device)
  note?: string | null; // the reason given with the step that put it in its status (a send-back's note)
  photo?: string | null; // the first photo's SHA-256, for api.photoThumbnail
}
/** One workflow step of a record, oldest first. */
export interface StepView { at: number; by: string; role: Role; from: string; to: string; note: string | null; settles: boolean }
/** A line of the supervisor's queue: the record and what she may do with it from the list. */
export interface QueueItem { row: RecordRow; actions: string[]; settle: string[] }
/** The server's answer to a refused change: `code` to translate (catalog `reject.<code>`),
 *  `reason` the server's sentence, shown when the code has no translation. */
export interface Rejection { code: string; reason: string }

export interface Conflict { record: string; title: string; field: string; values: string[] } // values as JSON text
export interface Warning { code: string; message: string } // poor_accuracy, accuracy_missing, far_from_asset, possible_duplicate, possible_illegal_dumping, volume_mismatch

export interface RecordView {
  row: RecordRow;
  record: unknown; // the domain record as JSON (see src/domain)
  conflicts: Conflict[];
  warnings: Warning[];
  actions: string[]; // statuses this user may move the record to now
  settle?: string[]; // statuses a supervisor may settle it to when it needs review
  history?: StepView[]; // its workflow steps with their notes
  editable?: boolean; // the user may open it in its form again (their draft, or sent back)
  forms: string[]; // forms this user may fill on it now: trip_pickup, trip_disposal, handover
}

export type Answer =
  | { type: 'yes_no'; value: boolean } | { type: 'number'; value: number } | { type: 'text'; value: string }
  | { type: 'single_choice'; value: string } | { type: 'multi_choice'; value: string[] } | { type: 'photo'; value: PhotoRef[] };

export interface InspectionDraft {
  template_code: string; template_version: number; subject: string;
  location: Place | null; answers: Record<string, Answer>; photos: PhotoRef[]; submit: boolean;
  /** Answers to number questions as typed ("1,250", "१२"), read by the Rust side. */
  numbers?: Record<string, string>;
  /** The ward chosen by a user of several wards, for an inspection without a place. */
  ward?: string | null;
}
export interface AssetDraft {
  /** null when none was chosen: refused as required, with the form's other problems. */
  asset_type: 'STREETLIGHT' | 'PUBLIC_TOILET' | 'DRAIN' | 'SEPTIC_TANK' | 'BIN' | 'WATER_CONNECTION' | 'PROPERTY' | null;
  asset_name: string; location: Place | null; condition: 'GOOD' | 'FAIR' | 'POOR' | 'NON_FUNCTIONAL' | null; photos: PhotoRef[];
}
export interface ReceiptDraft {
  fee_head: string; amount: string; // rupees as typed, "150" or "150.50"
  payment_mode: 'CASH' | 'UPI' | 'CHEQUE' | 'DD' | 'CARD';
  payer_name: string; mobile_number: string | null; instrument_number: string | null;
  /** The ward chosen by a collector of several wards (a receipt has no place). */
  ward?: string | null;
}
export interface FsmJobDraft {
  applicant_name: string; mobile_number: string | null; locality: string;
  /** Metres as typed ("1.5", "१.५"), read by the Rust side. */
  location: Place | null; pit_length: string | number | null; pit_width: string | number | null; pit_height: string | number | null;
  post_pay: boolean;
}
/** `volume_litres`: the text as typed ("2,400", "२४००"), read by the Rust side, or a number. */
export interface TripStepDraft { volume_litres: string | number | null; location: Place | null; photos: PhotoRef[] }

/** A code one device shows and another reads: as text, and as a QR code (inline SVG). */
export interface CodeView { code: string; qr_svg: string }
/** A crew's handover as the plant operator's phone read it, its signature checked there. */
export interface TripHandoverView { code: string; trip: string; vehicle: string; litres: number; at: number }

export interface Saved { id: string; badge: Badge; warnings: Warning[] }
export interface ReceiptIssued extends Saved { receipt_number: string; amount_paise: number }
/** The supervisor's review: `waiting` is her queue (needs review first, then records waiting for
 *  her approval, oldest work first), then what was refused or rejected, then conflicts. */
export interface ReviewList { waiting: QueueItem[]; rejected: RecordRow[]; conflicts: Conflict[] }
/** Home: work for the user's roles (their refused records first), then their own records in any
 *  ward or none: drafts, not yet confirmed by the server, confirmed with a last change today. */
export interface Home { todo: RecordRow[]; drafts: RecordRow[]; waiting: RecordRow[]; sent_today: RecordRow[] }

/** Day-end (src/field/dayend.rs). Amounts in paise; `day` is the IST day, `2026-11-25`. */
export type PaymentMode = 'CASH' | 'UPI' | 'CHEQUE' | 'DD' | 'ONLINE' | 'OFFLINE_NEFT' | 'OFFLINE_RTGS' | 'CARD' | 'POSTAL_ORDER';
export interface ModeTotal { mode: PaymentMode; count: number; amount_paise: number }
export interface HandoverView {
  id: string; collector: string; collector_name: string; day: string;
  expected_paise: number; handed_over_paise: number; note: string | null; created_at: number;
  acknowledged: boolean; // the supervisor acknowledged the cash received
  badge: Badge; rejection: Rejection | null;
}
export interface ReceiptLine {
  id: string; receipt_number: string; day: string; receipt_date: number; payer_name: string; fee_head: string;
  payment_mode: PaymentMode; amount_paise: number; badge: Badge; rejection: Rejection | null;
  cancellation: 'REQUESTED' | 'APPROVED' | 'REJECTED' | null; // APPROVED = cancelled (stays listed)
}
export interface DayEnd {
  day: string; by_mode: ModeTotal[]; receipts: number; cancelled: number; reversed_paise: number; total_paise: number;
  cash_expected_paise: number; handover: HandoverView | null; receipt_list: ReceiptLine[];
}
export interface HandoverDraft { day: string; amount: string; note: string | null } // amount in rupees as typed
export interface PrintView { receipt_number: string; html: string }
export interface CancellationView {
  id: string; receipt: string; receipt_number: string; amount_paise: number; reason: string;
  requested_by: string; requested_at: number; badge: Badge;
}
export interface CashQueue { handovers: HandoverView[]; cancellations: CancellationView[] }

export const api = {
  appState: () => invoke<AppState>('app_state'),
  enroll: (server: string, code: string, deviceName: string) => invoke<AppState>('enroll', { server, code, deviceName }),
  deviceUsers: () => invoke<UserView[]>('device_users'),
  /** The first sign-in of a user on this device sets the PIN (4 to 6 digits). */
  signIn: (userId: string, pin: string) => invoke<AppState>('sign_in', { userId, pin }),
  signOut: () => invoke<AppState>('sign_out'),
  setLanguage: (lang: Lang) => invoke<AppState>('set_language', { lang }),
  reference: () => invoke<Reference>('reference'),
  home: () => invoke<Home>('home'),
  listRecords: (kind: Kind | null) => invoke<RecordRow[]>('list_records', { kind }),
  record: (id: string) => invoke<RecordView>('record', { id }),
  saveInspection: (draft: InspectionDraft) => invoke<Saved>('save_inspection', { draft }),
  saveAsset: (draft: AssetDraft) => invoke<Saved>('save_asset', { draft }),
  /** An amount as typed (`1,250`, ` 150 `, `१५०`) in paise, read as `collectFee` reads it; errors
   *  name `amount` (not_a_number, too_many_decimals, too_large, zero). */
  readAmount: (text: string) => invoke<number>('read_amount', { text }),
  collectFee: (draft: ReceiptDraft) => invoke<ReceiptIssued>('collect_fee', { draft }),
  /** The checks `collectFee` makes, issuing nothing: the amount in paise for the preview, or
   *  every problem of the draft at once. */
  checkReceipt: (draft: ReceiptDraft) => invoke<number>('check_receipt', { draft }),
  createFsmJob: (draft: FsmJobDraft) => invoke<Saved>('create_fsm_job', { draft }),
  /** A workflow step (`to` is a status from RecordView.actions). SENT_BACK, PENDINGFORMODIFICATION
   *  and REJECTED need a reason: refused `invalid` on field `note` without one. */
  step: (id: string, to: string, note: string | null) => invoke<Saved>('step', { id, to, note }),
  /** Start a trip for a job with the pickup (crew). */
  tripPickup: (jobId: string, step: TripStepDraft) => invoke<Saved>('trip_pickup', { jobId, step }),
  /** Record the disposal at the plant (FSTP operator); the geofence is checked on the device. */
  tripDisposal: (tripId: string, step: TripStepDraft) => invoke<Saved>('trip_disposal', { tripId, step }),
  /** Crew at the plant gate: the signed handover of a trip, shown to the plant's operator. */
  handoverCode: (tripId: string) => invoke<CodeView>('handover_code', { tripId }),
  /** Operator: countersigns a crew's code for the litres received (offline); returns the code
   *  to show back to the crew. Errors name `custody`, `volume_litres` or `location`. */
  countersign: (code: string, volumeLitres: string | number | null, location: GeoPoint | null) =>
    invoke<CodeView>('countersign', { code, volumeLitres, location }),
  /** Crew: reads the operator's code back; the countersigned disposal is recorded in the trip. */
  recordCountersigned: (tripId: string, code: string, location: GeoPoint | null) =>
    invoke<Saved>('record_countersigned', { tripId, code, location }),
  /** The author's changes to their draft or sent-back inspection; `submit` sends it again.
   *  Refused `not_editable` when it is not with them. */
  editInspection: (id: string, draft: InspectionDraft) => invoke<Saved>('edit_inspection', { id, draft }),
  /** The surveyor's corrections to a survey sent back for modification (sent for approval again). */
  editAsset: (id: string, draft: AssetDraft) => invoke<Saved>('edit_asset', { id, draft }),
  /** A supervisor settles a record in review to one of RecordView.settle; the note is required. */
  settle: (id: string, to: string, note: string | null) => invoke<Saved>('settle', { id, to, note }),
  /** A photo's thumbnail as a data: URL, or null when its bytes are not on this device. */
  photoThumbnail: (sha256: string) => invoke<string | null>('photo_thumbnail', { sha256 }),
  /** The text of the QR code in a photo (base64) of the other phone's screen. Errors name
   *  `custody`: no_code_found, not_an_image. */
  readCode: (base64: string) => invoke<string>('read_code', { base64 }),
  /** Operator: reads a crew's code and checks its signature on this phone before countersigning.
   *  Errors name `custody`: bad_code, bad_handover_signature, unknown_key, custody_mismatch. */
  checkHandover: (code: string) => invoke<TripHandoverView>('check_handover', { code }),
  reviewList: () => invoke<ReviewList>('review_list'),
  /** Keep one of the conflicting values (JSON text as given in Conflict.values). */
  resolveConflict: (recordId: string, field: string, value: string) =>
    invoke<Saved>('resolve_conflict', { recordId, field, value }),
  /** A photo taken or picked: bytes as base64; kept on the device by SHA-256. */
  addPhoto: (base64: string) => invoke<PhotoRef>('add_photo', { base64 }),
  syncStatus: () => invoke<SyncStatus>('sync_status'),
  syncNow: () => invoke<SyncStatus>('sync_now'),
  /** Collector: the day's totals by mode, the cash to hand over, the handover, their receipts. */
  dayEnd: (day: string | null) => invoke<DayEnd>('day_end', { day }),
  /** Collector: hands the day's cash over. Errors: `amount` more_than_collected / not_a_number,
   *  `note` required (less than expected), code handover_exists (once a day). */
  handOverCash: (draft: HandoverDraft) => invoke<HandoverView>('hand_over_cash', { draft }),
  /** A duplicate copy of a receipt this device issued (HTML marked DUPLICATE), to print. */
  reprintReceipt: (id: string) => invoke<PrintView>('reprint_receipt', { id }),
  /** Asks the supervisor to cancel a receipt. Errors: `reason` required; code bad_reversal
   *  (a cancellation is already waiting or approved), not_allowed (another's receipt). */
  requestCancellation: (id: string, reason: string) => invoke<ReceiptLine>('request_cancellation', { id, reason }),
  /** Supervisor: handovers to acknowledge, cancellations to decide. */
  cashQueue: () => invoke<CashQueue>('cash_queue'),
  acknowledgeHandover: (id: string, note: string | null) => invoke<HandoverView>('acknowledge_handover', { id, note }),
  /** Supervisor: approve, or reject with a `note` (required). */
  decideCancellation: (id: string, approve: boolean, note: string | null) =>
    invoke<Saved>('decide_cancellation', { id, approve, note }),
};
