// GENERATED from the Rust types by tests/it/contract.rs: do not edit.
// Regenerate with `scripts/contract`; CI fails when this file differs from what Rust generates.

export type Role = "inspector" | "surveyor" | "collector" | "sanitation_crew" | "fstp_operator" | "supervisor" | "admin";

export type RecordKind = "inspection" | "asset_survey" | "receipt" | "reversal" | "handover" | "fsm_job" | "trip";

/**
 * An amount of money in paise (1 rupee = 100 paise). Money is never a float.
 */
export type Paise = number;

/**
 * A GPS fix. `accuracy_m` is the radius (metres) the receiver reported, when it did.
 */
export type GeoPoint = { lat: number, lon: number, accuracy_m: number | null, };

/**
 * A photo kept on the device by its SHA-256 (hex); the bytes travel on their own channel.
 */
export type PhotoRef = { sha256: string, taken_at: number | null, location: GeoPoint | null, };

/**
 * An answer to one checklist question.
 */
export type Answer = { "type": "yes_no", "value": boolean } | { "type": "number", "value": number } | { "type": "text", "value": string } | { "type": "single_choice", "value": string } | { "type": "multi_choice", "value": Array<string> } | { "type": "photo", "value": Array<PhotoRef> };

export type AnswerType = "yes_no" | "number" | "text" | "single_choice" | "multi_choice" | "photo";

export type AssetType = "STREETLIGHT" | "PUBLIC_TOILET" | "DRAIN" | "SEPTIC_TANK" | "BIN" | "WATER_CONNECTION" | "PROPERTY";

export type Condition = "GOOD" | "FAIR" | "POOR" | "NON_FUNCTIONAL";

export type PaymentMode = "CASH" | "UPI" | "CHEQUE" | "DD" | "ONLINE" | "OFFLINE_NEFT" | "OFFLINE_RTGS" | "CARD" | "POSTAL_ORDER";

/**
 * A town (ULB).
 */
export type Tenant = { id: string, name: string, name_hi: string, 
/**
 * Short code printed on receipts, e.g. `ASR`.
 */
code: string, };

/**
 * A ward with its boundary: one closed ring of `[lon, lat]` points (GeoJSON order).
 */
export type Ward = { code: string, name: string, name_hi: string, boundary: Array<[number, number]>, };

/**
 * One allowed choice of a choice question.
 */
export type ChoiceOption = { code: string, label: string, label_hi: string, 
/**
 * Points this choice earns towards the score.
 */
points: number, };

/**
 * One checklist question.
 */
export type Question = { id: string, text: string, text_hi: string, answer_type: AnswerType, options: Array<ChoiceOption>, required: boolean, 
/**
 * Points a "yes" earns (yes/no questions).
 */
weight: number, min: number | null, max: number | null, };

/**
 * A versioned checklist. An inspection names the code and the version it was filled from;
 * a new version never changes how an old inspection reads.
 */
export type ChecklistTemplate = { code: string, version: number, title: string, title_hi: string, questions: Array<Question>, };

/**
 * A head of account the town collects for (DIGIT `businessService`).
 */
export type FeeHead = { code: string, name: string, name_hi: string, default_amount: Paise | null, };

/**
 * A desludging vehicle.
 */
export type Vehicle = { registration_number: string, model: string, vehicle_type: string, tank_capacity_litres: number, suction_type: string, };

/**
 * Where a plant accepts sludge: a radius around a point, or a polygon (`[lon, lat]` ring).
 */
export type Geofence = { "type": "radius", centre: GeoPoint, metres: number, } | { "type": "polygon", ring: Array<[number, number]>, };

/**
 * A faecal sludge treatment plant.
 */
export type Fstp = { code: string, name: string, location: GeoPoint, geofence: Geofence, };

/**
 * One problem with one field.
 */
export type FieldError = { 
/**
 * Dotted path of the field, as the form names it.
 */
field: string, 
/**
 * Stable machine-readable code (`negative`, `too_many_decimals`, `out_of_range`...).
 */
code: string, 
/**
 * A human message in English; the UI translates by `code`.
 */
message: string, };

/**
 * A failed use case, as the UI sees it (`ui/src/api.ts`, `ApiError`).
 */
export type ApiError = { 
/**
 * One of the contract's `ErrorCode`s (every code this build's Rust side sends).
 */
code: ErrorCode, message: string, fields: Array<FieldError>, };

/**
 * The language of the screens.
 */
export type Lang = "en" | "hi";

/**
 * A member of staff who may sign in on this device.
 */
export type UserView = { id: string, name: string, roles: Array<Role>, wards: Array<string>, has_pin: boolean, 
/**
 * The screens that start work this user may open (`domain::access::tasks`): the app
 * offers no other.
 */
tasks: Array<string>, };

/**
 * Where the app is: enrolled or not, who is signed in, which language.
 */
export type AppState = { enrolled: boolean, server: string | null, town: Tenant | null, user: UserView | null, lang: Lang, };

/**
 * The sync bar.
 */
export type SyncStatus = { online: boolean, syncing: boolean, last_sync_at: number | null, waiting: number, photos_waiting: number, last_error: string | null, };

/**
 * The town's reference data as the forms need it (users are in `device_users`).
 */
export type ReferenceView = { town: Tenant | null, wards: Array<Ward>, templates: Array<ChecklistTemplate>, fee_heads: Array<FeeHead>, vehicles: Array<Vehicle>, fstps: Array<Fstp>, };

/**
 * A record's state as one badge.
 */
export type Badge = "saved" | "waiting" | "on_server" | "needs_review" | "rejected";

/**
 * The server's answer to a refused change: a stable code the UI translates (`ward_out_of_scope`,
 * `record_final`...) and the server's own sentence, shown when the code has no translation.
 */
export type Rejection = { code: string, reason: string, };

/**
 * One line of a list.
 */
export type RowView = { id: string, kind: RecordKind, status: string, ward: string | null, title: string, updated_at: number, amount_paise: number | null, badge: Badge, photos_waiting: number, location: GeoPoint | null, 
/**
 * Why the server refused the record (only when `badge` is `rejected` and it said why).
 */
rejection: Rejection | null, 
/**
 * The name of the person who made the record, when the town's list on this device has it.
 */
author: string | null, 
/**
 * When the work was done, by the record's own clock ([`crate::domain::Record::work_at`]):
 * not when the record reached this device (`updated_at`).
 */
work_at: number, 
/**
 * The reason given with the step that put the record in its status (a supervisor's note
 * when she sent it back or rejected it).
 */
note: string | null, 
/**
 * The first photo the record names (its SHA-256), for a thumbnail ([`PhotoThumb`]).
 */
photo: string | null, };

/**
 * One workflow step as the record's screen shows it.
 */
export type StepView = { at: number, 
/**
 * The name of who took it (their id when this device does not know them).
 */
by: string, role: Role, from: string, to: string, note: string | null, 
/**
 * A supervisor's step settling a record in review.
 */
settles: boolean, };

/**
 * A line of the supervisor's queue: the record and what she may do with it from the list.
 */
export type QueueItem = { row: RowView, 
/**
 * Statuses she may move it to ([`RecordView::actions`]).
 */
actions: Array<string>, 
/**
 * Statuses she may settle it to when it needs review ([`RecordView::settle`]).
 */
settle: Array<string>, };

/**
 * A conflicted field with every value, as JSON text.
 */
export type ConflictView = { record: string, title: string, field: string, values: Array<string>, };

/**
 * A warning about a record (a poor GPS fix, a possible duplicate, possible dumping...).
 */
export type WarningView = { code: string, message: string, };

/**
 * What a line is about: one of the record's fields (translated as `field.<key>`), or a
 * checklist question in both languages.
 */
export type DetailLabel = { "type": "field", key: string, } | { "type": "question", text: string, text_hi: string, };

/**
 * A value as the screen formats it.
 */
export type DetailValue = { "type": "text", text: string, } | { "type": "number", value: number, } | { "type": "yes_no", value: boolean, } | { "type": "money", paise: number, } | { "type": "time", at: number, } | { "type": "code", vocabulary: string, code: string, } | { "type": "named", name: string, name_hi: string, } | { "type": "photos", count: number, };

/**
 * One line of a record's content.
 */
export type DetailLine = { label: DetailLabel, value: DetailValue, };

/**
 * One record with what its screen needs.
 */
export type RecordView = { row: RowView, 
/**
 * Its content as label/value lines ([`super::detail::lines`]).
 */
details: Array<DetailLine>, 
/**
 * Every photo it names ([`crate::domain::Record::photos`]).
 */
photos: Array<PhotoRef>, 
/**
 * What its form opens with, when the signed-in user may edit it (`editable`).
 */
draft: FormDraft | null, conflicts: Array<ConflictView>, warnings: Array<WarningView>, 
/**
 * Statuses the signed-in user may move the record to now.
 */
actions: Array<string>, 
/**
 * Statuses a supervisor may settle the record to, when it needs review (competing steps,
 * a flagged trip): empty otherwise.
 */
settle: Array<string>, 
/**
 * The record's workflow steps, oldest first, with their notes.
 */
history: Array<StepView>, 
/**
 * The signed-in user may open it in its form again (their draft, or sent back to them).
 */
editable: boolean, 
/**
 * Forms the signed-in user may fill on this record now (`domain::access::record_forms`):
 * `trip_pickup`, `trip_disposal`, `handover`.
 */
forms: Array<string>, };

/**
 * The home screen: work for the user's roles, then the user's own records in every ward (or
 * none): drafts, those the server has not confirmed yet, and those it confirmed today (IST).
 */
export type Home = { todo: Array<RowView>, drafts: Array<RowView>, waiting: Array<RowView>, sent_today: Array<RowView>, };

/**
 * The supervisor's review screen.
 */
export type ReviewList = { 
/**
 * Waiting for her: records to approve, send back or reject (submitted inspections,
 * surveys pending for approval, requested reversals, handovers to count) and records that
 * need review (competing steps, a flagged trip), these first; oldest work first within each.
 */
waiting: Array<QueueItem>, rejected: Array<RowView>, conflicts: Array<ConflictView>, };

/**
 * What a save returns.
 */
export type Saved = { id: string, badge: Badge, warnings: Array<WarningView>, };

export type ReceiptIssued = { id: string, badge: Badge, warnings: Array<WarningView>, receipt_number: string, amount_paise: number, };

/**
 * A code one device shows and another reads (typed, or scanned from the QR code).
 */
export type CodeView = { code: string, 
/**
 * The code as a QR code, an inline SVG element.
 */
qr_svg: string, };

/**
 * A crew's handover as the plant operator's phone read and checked it, before countersigning.
 */
export type TripHandoverView = { 
/**
 * The code as read (what `countersign` takes).
 */
code: string, trip: string, vehicle: string, 
/**
 * Litres estimated at the pit.
 */
litres: number, 
/**
 * When the crew's phone signed it.
 */
at: number, };

/**
 * A quantity as the form sends it: the text as typed (`"1,250"`, `" 150 "`, `"१५०"`), read by
 * [`crate::domain::number`], or a number.
 */
export type Typed = number | string;

/**
 * A place as a form sends it: a point (from GPS or the map), or latitude and longitude as the
 * person typed them (`"30.37"`, `"३०.३७"`), read here so a slip is named on its own box.
 */
export type PlaceDraft = GeoPoint | { lat: Typed, lon: Typed, };

export type InspectionDraft = { template_code: string, template_version: number, subject: string, location: PlaceDraft | null, answers: { [key in string]: Answer }, 
/**
 * Answers to number questions as typed (`"1,250"`, `"१२"`), by question id, read by
 * [`crate::domain::number`]; an answer here replaces one of the same id in `answers`.
 */
numbers: { [key in string]: Typed }, photos: Array<PhotoRef>, 
/**
 * Submit for review now (else keep as a draft).
 */
submit: boolean, 
/**
 * The ward chosen by a user of several wards, for an inspection without a place.
 */
ward: string | null, };

export type AssetDraft = { 
/**
 * `None` when none was chosen yet (refused as `required`, with the form's other problems).
 */
asset_type: AssetType | null, asset_name: string, location: PlaceDraft | null, condition: Condition | null, photos: Array<PhotoRef>, };

export type ReceiptDraft = { fee_head: string, 
/**
 * Rupees as typed: `150` or `150.50`.
 */
amount: string, payment_mode: PaymentMode, payer_name: string, mobile_number: string | null, instrument_number: string | null, 
/**
 * The ward chosen by a collector of several wards (a receipt has no place).
 */
ward: string | null, };

export type FsmJobDraft = { applicant_name: string, mobile_number: string | null, locality: string, location: PlaceDraft | null, 
/**
 * Metres as typed (`"1.5"`, `"१.५"`) or numbers.
 */
pit_length: Typed | null, pit_width: Typed | null, pit_height: Typed | null, post_pay: boolean, };

export type TripStepDraft = { 
/**
 * Litres as typed, or a number.
 */
volume_litres: Typed | null, location: PlaceDraft | null, photos: Array<PhotoRef>, };

/**
 * What a form needs to open a record again (its author's draft, or one sent back).
 */
export type FormDraft = { "form": "inspection" } & InspectionDraft | { "form": "asset" } & AssetDraft;

/**
 * One payment mode of a day: receipts that stand and their amount (cancelled ones left out).
 */
export type ModeTotal = { mode: PaymentMode, count: number, amount_paise: number, };

/**
 * A handover of one collector's cash for one day.
 */
export type HandoverView = { id: string, collector: string, collector_name: string, day: string, 
/**
 * What the receipts said when it was made (cash, minus approved reversals).
 */
expected_paise: number, handed_over_paise: number, note: string | null, created_at: number, 
/**
 * The supervisor acknowledged receiving it (status `RECONCILED`).
 */
acknowledged: boolean, badge: Badge, rejection: Rejection | null, };

/**
 * One of the collector's receipts, with the state of its cancellation.
 */
export type ReceiptLine = { id: string, receipt_number: string, 
/**
 * The IST day it was issued (`2026-11-25`).
 */
day: string, receipt_date: number, payer_name: string, fee_head: string, payment_mode: PaymentMode, amount_paise: number, badge: Badge, rejection: Rejection | null, 
/**
 * Its reversal's status: `REQUESTED` (waiting for the supervisor), `APPROVED` (cancelled)
 * or `REJECTED` (the receipt stands); none when no cancellation was asked for.
 */
cancellation: string | null, };

/**
 * The collector's day-end screen.
 */
export type DayEnd = { day: string, 
/**
 * Payment modes with a receipt that day, in the order of [`PaymentMode::ALL`].
 */
by_mode: Array<ModeTotal>, receipts: number, cancelled: number, reversed_paise: number, total_paise: number, 
/**
 * The cash to hand over (cash receipts minus approved reversals).
 */
cash_expected_paise: number, handover: HandoverView | null, 
/**
 * The collector's receipts, newest first (this day and earlier).
 */
receipt_list: Array<ReceiptLine>, };

/**
 * The collector's handover form: the day, and the cash handed over as typed.
 */
export type HandoverDraft = { day: string, 
/**
 * Rupees as typed (`1,250`, `1250.50`, `१२५०`).
 */
amount: string, note: string | null, };

/**
 * A page to print (the receipt's bilingual HTML, marked duplicate for a reprint).
 */
export type PrintView = { receipt_number: string, html: string, };

/**
 * A cancellation request waiting for the supervisor.
 */
export type CancellationView = { id: string, receipt: string, receipt_number: string, amount_paise: number, reason: string, requested_by: string, requested_at: number, badge: Badge, };

/**
 * What waits for the supervisor's hand on money: handovers to acknowledge, cancellations to
 * approve or reject.
 */
export type CashQueue = { handovers: Array<HandoverView>, cancellations: Array<CancellationView>, };

/** Codes of whole-call errors (`ApiError.code`; catalog `err.<code>`). */
export const ERROR_CODES = [
  'bad_code',
  'bad_file',
  'bad_reference',
  'bad_reversal',
  'bad_value',
  'damaged_record',
  'device_revoked',
  'handover_exists',
  'immutable',
  'internal',
  'invalid',
  'ledger',
  'newer_database',
  'not_a_job',
  'not_a_receipt',
  'not_allowed',
  'not_editable',
  'not_enrolled',
  'not_found',
  'not_issued_here',
  'protocol',
  'record_final',
  'server_error',
  'signed_out',
  'storage',
  'unknown_template',
  'unknown_user',
  'unknown_value',
  'unreachable',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes of a form field's error (`FieldError.code`; catalog `ferr.<code>`). */
export const FIELD_ERROR_CODES = [
  'address_host',
  'address_port',
  'address_scheme',
  'bad_code',
  'bad_countersign_signature',
  'bad_handover_signature',
  'bad_server',
  'bad_volume',
  'custody_mismatch',
  'invalid',
  'mismatch',
  'more_than_collected',
  'negative',
  'no_code_found',
  'no_handover',
  'no_pickup_volume',
  'not_a_choice',
  'not_a_number',
  'not_a_trip',
  'not_an_image',
  'not_code_safe',
  'out_of_range',
  'pin_format',
  'refused',
  'required',
  'timeout',
  'too_large',
  'too_long',
  'too_many_decimals',
  'unknown',
  'unknown_choice',
  'unknown_host',
  'unknown_key',
  'unknown_question',
  'unreachable',
  'wrong_pin',
  'wrong_type',
  'zero',
] as const;
export type FieldErrorCode = (typeof FIELD_ERROR_CODES)[number];

/** Codes of the server's refusals (`Rejection.code`; catalog `reject.<code>`). */
export const REJECT_CODES = [
  'actor_not_yours',
  'bad_code',
  'bad_countersign_signature',
  'bad_handover_signature',
  'bad_receipt_number',
  'bad_signature',
  'bad_step_signature',
  'bad_volume',
  'change_too_large',
  'custody_immutable',
  'custody_mismatch',
  'duplicate_receipt_number',
  'handover_exists',
  'handover_expected_mismatch',
  'handover_not_yours',
  'history_rewritten',
  'identity_changed',
  'invalid_document',
  'invalid_record',
  'kind_not_allowed',
  'malformed_change',
  'no_pickup_volume',
  'not_a_trip',
  'not_code_safe',
  'note_too_long',
  'number_not_granted',
  'number_not_yours',
  'reason_required',
  'receipt_date_out_of_range',
  'receipt_date_outside_fy',
  'receipt_immutable',
  'record_final',
  'record_too_large',
  'reversal_exists',
  'reversal_mismatch',
  'reversal_not_yours',
  'reversal_unknown_receipt',
  'tenant_mismatch',
  'time_in_future',
  'transition_not_allowed',
  'transition_not_yours',
  'unknown_key',
  'unsigned_receipt',
  'unsigned_step',
  'ward_out_of_scope',
  'ward_required',
] as const;
export type RejectCode = (typeof REJECT_CODES)[number];
