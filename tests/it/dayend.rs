//! The collector's day-end through the field app's use cases (`wardbook::field::dayend`) on a
//! real store file: totals by mode, the handover of the cash, the receipt list, a duplicate
//! print and a cancellation request, then the supervisor's acknowledgment and approval on the
//! same shared device.

use serde_json::json;
use tempfile::TempDir;
use wardbook::demo;
use wardbook::domain::Role;
use wardbook::field::{ApiError, Field, HandoverDraft, ReceiptDraft};
use wardbook::store::Store;

use crate::T0;

/// 1 January 2026, 10:00 IST.
const AT: i64 = T0 + 3_600_000;

fn field() -> (TempDir, Field) {
    let dir = TempDir::new().unwrap();
    let mut store = Store::open(dir.path().join("wardbook.sqlite3")).unwrap();
    store.put_reference(&demo::reference()).unwrap();
    (dir, Field::with_store(store).unwrap())
}

fn sign_in(field: &mut Field, role: Role) {
    field.sign_in(&demo::user_id(role).to_string(), "2468").unwrap();
}

fn collect(field: &mut Field, amount: &str, mode: &str, payer: &str) -> wardbook::field::ReceiptIssued {
    let draft: ReceiptDraft = serde_json::from_value(json!({
        "fee_head": "WS", "amount": amount, "payment_mode": mode, "payer_name": payer,
        "mobile_number": null, "instrument_number": null
    }))
    .unwrap();
    field.collect_fee(draft, AT).unwrap()
}

fn hand_over(field: &mut Field, amount: &str, note: Option<&str>) -> Result<wardbook::field::HandoverView, ApiError> {
    let day = wardbook::ledger::ist_date(AT).to_string();
    field.hand_over_cash(HandoverDraft { day, amount: amount.into(), note: note.map(Into::into) }, AT + 60_000)
}

fn field_code(e: &ApiError) -> (String, String) {
    let f = e.fields.first().unwrap_or_else(|| panic!("no field in {e:?}"));
    (f.field.clone(), f.code.clone())
}

#[test]
fn the_days_totals_by_mode_and_a_cash_handover_that_never_exceeds_the_cash() {
    let (_dir, mut field) = field();
    sign_in(&mut field, Role::Collector);
    collect(&mut field, "1,250", "CASH", "Kamla Devi");
    collect(&mut field, "300.50", "UPI", "Mohan Lal");
    collect(&mut field, "१००", "CASH", "Baldev Singh");

    let day = field.day_end(None, AT + 1000).unwrap();
    assert_eq!(day.day, "2026-01-01");
    let modes: Vec<(String, u32, i64)> =
        day.by_mode.iter().map(|m| (m.mode.to_string(), m.count, m.amount_paise)).collect();
    assert_eq!(modes, [("CASH".into(), 2, 135_000), ("UPI".into(), 1, 30_050)]);
    assert_eq!((day.total_paise, day.cash_expected_paise, day.receipts), (165_050, 135_000, 3));
    assert_eq!(day.receipt_list.len(), 3);
    assert!(day.handover.is_none());
    // Another day has nothing.
    let tomorrow = field.day_end(None, AT + 86_400_000).unwrap();
    assert!(tomorrow.by_mode.is_empty() && tomorrow.cash_expected_paise == 0);
    assert_eq!(tomorrow.receipt_list.len(), 3, "the list keeps earlier days' receipts");

    // More than was collected: refused beside the amount, nothing saved.
    let err = hand_over(&mut field, "1,350.01", None).unwrap_err();
    assert_eq!(field_code(&err), ("amount".into(), "more_than_collected".into()));
    // Less needs a note.
    let err = hand_over(&mut field, "1,300", None).unwrap_err();
    assert_eq!(field_code(&err), ("note".into(), "required".into()));
    let err = hand_over(&mut field, "thirteen", None).unwrap_err();
    assert_eq!(field_code(&err), ("amount".into(), "not_a_number".into()));
    assert!(field.day_end(None, AT + 1000).unwrap().handover.is_none());

    let handed = hand_over(&mut field, "1,350", None).unwrap();
    assert_eq!((handed.expected_paise, handed.handed_over_paise, handed.acknowledged), (135_000, 135_000, false));
    assert_eq!(handed.collector_name, "Ravi Kumar");
    assert_eq!(field.day_end(None, AT + 1000).unwrap().handover, Some(handed.clone()));
    // A day is handed over once.
    let err = hand_over(&mut field, "1,350", None).unwrap_err();
    assert_eq!(err.code, "handover_exists");
    // Only a collector has a day-end.
    sign_in(&mut field, Role::Inspector);
    assert_eq!(field.day_end(None, AT).unwrap_err().code, "not_allowed");
    assert_eq!(hand_over(&mut field, "1", None).unwrap_err().code, "not_allowed");

    // The supervisor sees it waiting and acknowledges the cash received.
    sign_in(&mut field, Role::Supervisor);
    let queue = field.cash_queue().unwrap();
    assert_eq!(queue.handovers.iter().map(|h| h.id).collect::<Vec<_>>(), [handed.id]);
    let ack = field.acknowledge_handover(handed.id, Some("counted, correct".into()), AT + 120_000).unwrap();
    assert!(ack.acknowledged);
    assert!(field.cash_queue().unwrap().handovers.is_empty());
}

#[test]
fn a_handover_short_with_a_note_is_kept_as_declared() {
    let (_dir, mut field) = field();
    sign_in(&mut field, Role::Collector);
    collect(&mut field, "500", "CASH", "Kamla Devi");
    let handed = hand_over(&mut field, "450", Some("₹50 given back as change, to repay")).unwrap();
    assert_eq!((handed.expected_paise, handed.handed_over_paise), (50_000, 45_000));
    assert_eq!(handed.note.as_deref(), Some("₹50 given back as change, to repay"));
}

#[test]
fn a_reprint_is_marked_duplicate() {
    let (_dir, mut field) = field();
    sign_in(&mut field, Role::Collector);
    let issued = collect(&mut field, "150", "CASH", "Kamla Devi");
    let print = field.reprint_receipt(issued.id, AT + 86_400_000).unwrap();
    assert_eq!(print.receipt_number, issued.receipt_number);
    assert!(print.html.contains("DUPLICATE"), "the copy says it is a duplicate");
    assert!(print.html.contains("02/01/2026 10:00 IST"), "and when it was reprinted");
    assert!(print.html.contains(&issued.receipt_number));
    assert!(print.html.contains("<svg"), "with the receipt's QR code");
}

#[test]
fn a_cancellation_needs_a_reason_and_the_cancelled_receipt_stays_in_the_list_marked() {
    let (_dir, mut field) = field();
    sign_in(&mut field, Role::Collector);
    let keep = collect(&mut field, "200", "CASH", "Kamla Devi");
    let wrong = collect(&mut field, "2,000", "CASH", "Mohan Lal");

    let err = field.request_cancellation(wrong.id, "   ", AT + 1000).unwrap_err();
    assert_eq!(field_code(&err), ("reason".into(), "required".into()));
    let line = field.request_cancellation(wrong.id, "typed 2,000 for 200", AT + 1000).unwrap();
    assert_eq!(line.cancellation.as_deref(), Some("REQUESTED"));
    let err = field.request_cancellation(wrong.id, "again", AT + 2000).unwrap_err();
    assert_eq!(err.code, "bad_reversal", "one cancellation waiting at a time");
    // Waiting for approval, the receipt still counts.
    assert_eq!(field.day_end(None, AT + 3000).unwrap().cash_expected_paise, 220_000);

    sign_in(&mut field, Role::Supervisor);
    let queue = field.cash_queue().unwrap();
    assert_eq!(queue.cancellations.len(), 1);
    let c = &queue.cancellations[0];
    assert_eq!((c.receipt, c.amount_paise, c.reason.as_str()), (wrong.id, 200_000, "typed 2,000 for 200"));
    assert_eq!(c.requested_by, "Ravi Kumar");
    let err = field.decide_cancellation(c.id, false, Some(" ".into()), AT + 4000).unwrap_err();
    assert_eq!(field_code(&err), ("note".into(), "required".into()), "a rejection says why");
    field.decide_cancellation(c.id, true, None, AT + 4000).unwrap();
    assert!(field.cash_queue().unwrap().cancellations.is_empty());

    sign_in(&mut field, Role::Collector);
    let day = field.day_end(None, AT + 5000).unwrap();
    let marks: Vec<(String, Option<String>)> =
        day.receipt_list.iter().map(|r| (r.receipt_number.clone(), r.cancellation.clone())).collect();
    assert!(marks.contains(&(wrong.receipt_number.clone(), Some("APPROVED".into()))), "{marks:?}");
    assert!(marks.contains(&(keep.receipt_number.clone(), None)));
    assert_eq!((day.cash_expected_paise, day.cancelled, day.reversed_paise), (20_000, 1, 200_000));
    assert_eq!(day.by_mode[0].count, 1, "the cancelled receipt leaves the count");
}
