//! Money on the device: an issued receipt never changes, cancellation is a reversal a
//! supervisor approves, and receipt numbers never repeat.

use wardbook::Error;
use wardbook::domain::{Body, RecordKind, Reversal, Role, Status};
use wardbook::ids::RecordId;

use crate::{Device, T0, as_role};

fn issue(device: &mut Device, n: u32) -> wardbook::domain::Record {
    let receipt = wardbook::demo::receipt(RecordId::new(), T0, "W02", n);
    device.store.create(&receipt, T0).unwrap();
    receipt
}

fn reversal_of(receipt: &wardbook::domain::Record, reason: &str) -> wardbook::domain::Record {
    let Body::Receipt(r) = &receipt.body else { unreachable!("a receipt") };
    let body = Body::Reversal(Reversal {
        receipt: receipt.id,
        receipt_number: r.receipt_number.clone(),
        amount: r.total(),
        reason: reason.into(),
    });
    let mut record =
        wardbook::domain::Record::new(RecordId::new(), wardbook::demo::TENANT, as_role(Role::Collector).user, T0, body);
    record.ward = receipt.ward.clone();
    record
}

#[test]
fn an_issued_receipt_cannot_be_edited_on_the_device() {
    let mut device = Device::new();
    let receipt = issue(&mut device, 1);
    for (what, edit) in [
        (
            "body",
            Box::new(|r: &mut wardbook::domain::Record| {
                if let Body::Receipt(b) = &mut r.body {
                    b.lines[0].amount.0 += 100;
                }
            }) as Box<dyn Fn(&mut wardbook::domain::Record)>,
        ),
        (
            "body",
            Box::new(|r: &mut wardbook::domain::Record| {
                if let Body::Receipt(b) = &mut r.body {
                    b.payer_name = "Someone Else".into();
                }
            }),
        ),
        ("ward", Box::new(|r: &mut wardbook::domain::Record| r.ward = Some("W01".into()))),
    ] {
        let err = device
            .store
            .update(receipt.id, T0 + 1, |r| {
                edit(r);
                Ok(())
            })
            .unwrap_err();
        assert!(matches!(err, Error::Immutable { field, kind: RecordKind::Receipt, .. } if field == what), "{err:?}");
    }
    assert_eq!(crate::as_created(device.store.get(receipt.id).unwrap()), receipt, "nothing changed");
    // Its workflow still moves: the cash is deposited.
    device.store.transition(receipt.id, as_role(Role::Collector), Status::Deposited, T0 + 2, None).unwrap();
    assert_eq!(device.store.get(receipt.id).unwrap().workflow().status, Status::Deposited);
    let err =
        device.store.resolve_conflict(receipt.id, "body.Receipt.payer_name", &serde_json::json!("x"), T0).unwrap_err();
    assert!(matches!(err, Error::Immutable { .. }), "{err:?}");
}

#[test]
fn a_receipt_is_cancelled_by_a_reversal_that_a_supervisor_approves() {
    let mut device = Device::new();
    let receipt = issue(&mut device, 2);
    // A reversal must match the receipt it cancels.
    let mut wrong = reversal_of(&receipt, "typed the wrong amount");
    if let Body::Reversal(r) = &mut wrong.body {
        r.amount.0 -= 1;
    }
    assert!(matches!(device.store.create(&wrong, T0), Err(Error::BadReversal { .. })));
    let mut nameless = reversal_of(&receipt, "");
    nameless.id = RecordId::new();
    assert!(matches!(device.store.create(&nameless, T0), Err(Error::Invalid(e)) if e.fields() == ["reason"]));

    let reversal = reversal_of(&receipt, "payer paid twice; refunded in cash");
    device.store.create(&reversal, T0 + 5).unwrap();
    assert_eq!(device.store.get(reversal.id).unwrap().workflow().status, Status::Requested);
    let again = reversal_of(&receipt, "asked again");
    let err = device.store.create(&again, T0 + 6).unwrap_err();
    assert!(matches!(&err, Error::BadReversal { reason, .. } if reason.contains("already")), "{err:?}");

    // The collector cannot approve their own cancellation; the supervisor can.
    let err =
        device.store.transition(reversal.id, as_role(Role::Collector), Status::Approved, T0 + 7, None).unwrap_err();
    assert!(matches!(err, Error::InvalidTransition { role: Role::Collector, .. }));
    device.store.transition(reversal.id, as_role(Role::Supervisor), Status::Approved, T0 + 8, None).unwrap();
    let row =
        device.store.list(&wardbook::store::Query { kind: Some(RecordKind::Reversal), ..Default::default() }).unwrap();
    assert_eq!(row[0].status, Status::Approved);
    assert_eq!(row[0].amount_paise, Some(-15200), "a reversal carries the receipt's amount, negative");
    // The approved reversal is as immutable as the receipt.
    let err = device
        .store
        .update(reversal.id, T0 + 9, |r| {
            if let Body::Reversal(b) = &mut r.body {
                b.reason = "changed my mind".into();
            }
            Ok(())
        })
        .unwrap_err();
    assert!(matches!(err, Error::Immutable { kind: RecordKind::Reversal, .. }));
    // A rejected reversal frees the receipt for another request.
    let receipt2 = issue(&mut device, 3);
    let first = reversal_of(&receipt2, "wrong head");
    device.store.create(&first, T0).unwrap();
    device
        .store
        .transition(first.id, as_role(Role::Supervisor), Status::Rejected, T0 + 1, Some("paid by cheque".into()))
        .unwrap();
    device.store.create(&reversal_of(&receipt2, "wrong head, with proof"), T0 + 2).unwrap();
}

#[test]
fn a_supervisor_counts_the_cash_and_a_short_count_is_flagged_and_kept() {
    let mut device = Device::new();
    let collector = as_role(Role::Collector).user;
    let supervisor = as_role(Role::Supervisor);
    let day = wardbook::ledger::ist_date(T0).to_string();
    let _cash = issue(&mut device, 10); // ₹160.00 cash
    let b = issue(&mut device, 20); // ₹170.00 cash, reversed below
    let reversal = reversal_of(&b, "entered twice");
    device.store.create(&reversal, T0).unwrap();
    device.store.transition(reversal.id, supervisor, Status::Approved, T0 + 1, None).unwrap();
    let summary = device.store.day_summary(collector, &day).unwrap();
    assert_eq!((summary.receipts, summary.cash().0, summary.reversed.0), (2, 16_000, 17_000));

    // Counted right: nothing to look at.
    let fine = device.store.record_handover(supervisor.user, collector, &day, summary.cash(), None, T0 + 2).unwrap();
    // Counted short without a word: refused; with a note: kept and flagged.
    let short = wardbook::domain::Paise(15_500);
    let err = device.store.record_handover(supervisor.user, collector, &day, short, None, T0 + 3).unwrap_err();
    assert!(matches!(err, Error::Invalid(e) if e.fields() == ["note"]));
    let flagged = device
        .store
        .record_handover(supervisor.user, collector, &day, short, Some("₹5 short, to be repaid".into()), T0 + 4)
        .unwrap();
    let attention = device.store.list(&wardbook::store::Query { needs_attention: true, ..Default::default() }).unwrap();
    assert_eq!(attention.iter().map(|r| r.id).collect::<Vec<_>>(), [flagged.id]);
    assert_eq!(attention[0].amount_paise, Some(-500), "the row shows the discrepancy");
    assert!(!attention.iter().any(|r| r.id == fine.id));
    // The count is never corrected in place.
    let err = device
        .store
        .update(flagged.id, T0 + 5, |r| {
            if let Body::Handover(h) = &mut r.body {
                h.counted_cash = wardbook::domain::Paise(16_000);
            }
            Ok(())
        })
        .unwrap_err();
    assert!(matches!(err, Error::Immutable { kind: RecordKind::Handover, .. }), "{err:?}");
    device.store.transition(flagged.id, supervisor, Status::Reconciled, T0 + 6, Some("repaid".into())).unwrap();
}
