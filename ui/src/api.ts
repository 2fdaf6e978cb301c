// The contract between the UI and the app's Rust side (src-tauri/src/commands.rs).
// Every call goes through `invoke`; the Rust side answers with the types of `./contract` (generated
// from the Rust types by tests/it/contract.rs: never edited by hand) or throws an `ApiError`.
// Names of arguments are camelCase here (Tauri converts them to snake_case).
// Tests mock this boundary with `mockIPC` from `@tauri-apps/api/mocks` (ui/test-app/fake.ts, typed
// by the same contract); the end-to-end test runs the real thing.
import { invoke } from '@tauri-apps/api/core';
import type {
  AppState, AssetDraft, CashQueue, CodeView, DayEnd, FsmJobDraft, GeoPoint, HandoverDraft, HandoverView, Home,
  InspectionDraft, Lang, PhotoRef, PrintView, ReceiptDraft, ReceiptIssued, ReceiptLine, RecordKind, RecordView,
  ReferenceView, ReviewList, RowView, Saved, SyncStatus, TripHandoverView, TripStepDraft, Typed, UserView,
} from './contract';

export type * from './contract';
/** Names the screens use for contract types. */
export type Kind = RecordKind;
export type RecordRow = RowView;
export type Reference = ReferenceView;
export type Town = import('./contract').Tenant;
export type Template = import('./contract').ChecklistTemplate;
export type Conflict = import('./contract').ConflictView;
export type Warning = import('./contract').WarningView;
export type Place = import('./contract').PlaceDraft;

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
  countersign: (code: string, volumeLitres: Typed | null, location: GeoPoint | null) =>
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
