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
}
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

export interface Saved { id: string; badge: Badge; warnings: Warning[] }
export interface ReceiptIssued extends Saved { receipt_number: string; amount_paise: number }
export interface ReviewList { needs_review: RecordRow[]; rejected: RecordRow[]; conflicts: Conflict[] }
/** Home: work for the user's roles (their refused records first), then their own records in any
 *  ward or none: drafts, not yet confirmed by the server, confirmed with a last change today. */
export interface Home { todo: RecordRow[]; drafts: RecordRow[]; waiting: RecordRow[]; sent_today: RecordRow[] }

/** Thumbnails already asked for, by SHA-256 (a stored photo never changes). */
const thumbnails = new Map<string, Promise<string>>();

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
  /** A workflow step (`to` is a status from RecordView.actions). */
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
  reviewList: () => invoke<ReviewList>('review_list'),
  /** Keep one of the conflicting values (JSON text as given in Conflict.values). */
  resolveConflict: (recordId: string, field: string, value: string) =>
    invoke<Saved>('resolve_conflict', { recordId, field, value }),
  /** A photo taken or picked: bytes as base64; kept on the device by SHA-256. */
  addPhoto: (base64: string) => invoke<PhotoRef>('add_photo', { base64 }),
  /** A photo kept on this device as a small JPEG `data:` URL (its stored 256 px thumbnail);
   *  `not_found` for a photo this device does not hold. Cached per SHA-256 for the session. */
  photoThumbnail: (sha256: string): Promise<string> => {
    let hit = thumbnails.get(sha256);
    if (!hit) {
      hit = invoke<string>('photo_thumbnail', { sha256 });
      thumbnails.set(sha256, hit);
      hit.catch(() => thumbnails.delete(sha256));
    }
    return hit;
  },
  syncStatus: () => invoke<SyncStatus>('sync_status'),
  syncNow: () => invoke<SyncStatus>('sync_now'),
};
