//! Day-end: what a collector took in, by payment mode, and the cash handed over: declared by
//! the collector (the supervisor acknowledges it with a step) or counted by the supervisor.
//! Never more than the receipts say was collected; once per collector and day. A count that differs from the receipts is kept as it was made and flagged; it
//! is never corrected in place.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};

use super::receipt::PaymentMode;
use super::validate::Checker;
use super::{Body, Paise, Record, Status};
use crate::ids::UserId;

/// One collector's day, from their receipts and the approved reversals of those receipts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaySummary {
    pub collector: UserId,
    /// The day, in India (`2026-11-25`).
    pub day: String,
    /// Receipts issued that day, cancelled ones included.
    pub receipts: u32,
    /// Receipts minus approved reversals, per payment mode.
    pub by_mode: BTreeMap<PaymentMode, Paise>,
    /// Receipts that stand (not cancelled by an approved reversal), per payment mode.
    pub counts: BTreeMap<PaymentMode, u32>,
    /// How many receipts an approved reversal cancelled, and their amount.
    pub cancelled: u32,
    pub reversed: Paise,
    pub total: Paise,
}

/// One receipt as the day-end counts it: who took it, when, how, how much, and whether an
/// approved reversal cancelled it. The device reads it from its records, the server from its
/// ledger, so both add up a day the same way ([`DaySummary::add`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taken {
    pub collector: UserId,
    pub receipt_date: super::UnixMillis,
    pub mode: PaymentMode,
    pub amount: Paise,
    pub cancelled: bool,
}

impl DaySummary {
    /// An empty day.
    pub fn new(collector: UserId, day: &str) -> DaySummary {
        DaySummary {
            collector,
            day: day.to_string(),
            receipts: 0,
            by_mode: BTreeMap::new(),
            counts: BTreeMap::new(),
            cancelled: 0,
            reversed: Paise(0),
            total: Paise(0),
        }
    }

    /// Counts `taken` when it is this collector's, dated this day (in India).
    pub fn add(&mut self, taken: &Taken) {
        if taken.collector != self.collector || crate::calendar::ist_date(taken.receipt_date).to_string() != self.day {
            return;
        }
        self.receipts += 1;
        if taken.cancelled {
            self.cancelled += 1;
            self.reversed.0 += taken.amount.0;
            self.by_mode.entry(taken.mode).or_default();
            return;
        }
        self.by_mode.entry(taken.mode).or_default().0 += taken.amount.0;
        *self.counts.entry(taken.mode).or_default() += 1;
        self.total.0 += taken.amount.0;
    }

    /// The cash the collector should hand over.
    pub fn cash(&self) -> Paise {
        self.by_mode.get(&PaymentMode::Cash).copied().unwrap_or_default()
    }
}

/// Adds up `collector`'s receipts dated `day` (in India) and subtracts the approved
/// reversals among `reversals` that cancel them.
pub fn day_summary(collector: UserId, day: &str, receipts: &[Record], reversals: &[Record]) -> DaySummary {
    let mut summary = DaySummary::new(collector, day);
    for record in receipts {
        let Body::Receipt(receipt) = &record.body else { continue };
        let cancelled = reversals.iter().any(|rev| {
            matches!(&rev.body, Body::Reversal(r) if r.receipt == record.id)
                && rev.workflow().status == Status::Approved
        });
        summary.add(&Taken {
            collector: record.created_by,
            receipt_date: receipt.receipt_date,
            mode: receipt.payment_mode,
            amount: receipt.total(),
            cancelled,
        });
    }
    summary
}

/// A collector hands over one day's cash once: a second handover of the same collector and
/// day among `handovers` is refused (on the device and by the server).
pub fn already_handed_over<'a>(
    handovers: impl IntoIterator<Item = &'a Handover>,
    collector: UserId,
    day: &str,
) -> bool {
    handovers.into_iter().any(|h| h.collector == collector && h.day == day)
}

/// The supervisor's count of one collector's cash for one day.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct Handover {
    pub collector: UserId,
    pub day: String,
    /// What the receipts say (receipts minus approved reversals, cash only).
    pub expected_cash: Paise,
    /// What was counted.
    pub counted_cash: Paise,
    pub note: Option<String>,
}

impl Handover {
    /// Counted minus expected: negative when cash is short.
    pub fn discrepancy(&self) -> Paise {
        Paise(self.counted_cash.0 - self.expected_cash.0)
    }

    pub(crate) fn check(&self, c: &mut Checker) {
        c.required_text("day", &self.day);
        c.non_negative_paise("counted_cash", self.counted_cash.0);
        c.non_negative_paise("expected_cash", self.expected_cash.0);
        if self.counted_cash.0 > self.expected_cash.0 {
            c.error("counted_cash", "more_than_collected", "is more than the cash the receipts say was collected");
        } else if self.discrepancy().0 != 0 && self.note.as_deref().unwrap_or("").trim().is_empty() {
            c.error("note", "required", "a count that differs from the receipts needs a note");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::domain::receipt::Reversal;
    use crate::domain::{Role, Transition};
    use crate::ids::{RecordId, TransitionId};

    const NOV_25_NOON_IST: i64 = 1_795_584_600_000;

    fn receipt(mode: PaymentMode, paise: i64, at: i64) -> Record {
        let mut r = demo::receipt(RecordId::new(), at, "W02", 1);
        if let Body::Receipt(b) = &mut r.body {
            b.payment_mode = mode;
            b.lines[0].amount = Paise(paise);
            b.instrument_number = Some("000123".into());
        }
        r
    }

    fn approved_reversal_of(receipt: &Record) -> Record {
        let Body::Receipt(b) = &receipt.body else { unreachable!() };
        let body = Body::Reversal(Reversal {
            receipt: receipt.id,
            receipt_number: b.receipt_number.clone(),
            amount: b.total(),
            reason: "duplicate".into(),
        });
        let mut r = Record::new(RecordId::new(), demo::TENANT, receipt.created_by, 0, body);
        r.transitions.push(Transition {
            id: TransitionId::new(),
            at: 1,
            by: demo::user_id(Role::Supervisor),
            role: Role::Supervisor,
            from: Status::Requested,
            to: Status::Approved,
            note: None,
            resolves_review: false,
            signature: None,
        });
        r
    }

    #[test]
    fn a_day_adds_up_by_mode_without_what_was_reversed_or_other_days() {
        let collector = demo::user_id(Role::Collector);
        let cash = receipt(PaymentMode::Cash, 15_000, NOV_25_NOON_IST);
        let reversed = receipt(PaymentMode::Cash, 20_000, NOV_25_NOON_IST);
        let upi = receipt(PaymentMode::Upi, 5_050, NOV_25_NOON_IST);
        let yesterday = receipt(PaymentMode::Cash, 99_900, NOV_25_NOON_IST - 86_400_000);
        let mut someone_else = receipt(PaymentMode::Cash, 1_000, NOV_25_NOON_IST);
        someone_else.created_by = demo::user_id(Role::Supervisor);
        let receipts = [cash, reversed.clone(), upi, yesterday, someone_else];
        let summary = day_summary(collector, "2026-11-25", &receipts, &[approved_reversal_of(&reversed)]);
        assert_eq!(summary.receipts, 3);
        assert_eq!(summary.cash(), Paise(15_000));
        assert_eq!(summary.by_mode.get(&PaymentMode::Upi), Some(&Paise(5_050)));
        assert_eq!((summary.reversed, summary.total), (Paise(20_000), Paise(20_050)));
    }

    #[test]
    fn counts_by_mode_leave_out_cancelled_receipts() {
        let collector = demo::user_id(Role::Collector);
        let a = receipt(PaymentMode::Cash, 15_000, NOV_25_NOON_IST);
        let b = receipt(PaymentMode::Cash, 20_000, NOV_25_NOON_IST);
        let c = receipt(PaymentMode::Upi, 5_050, NOV_25_NOON_IST);
        let summary = day_summary(collector, "2026-11-25", &[a, b.clone(), c], &[approved_reversal_of(&b)]);
        assert_eq!(summary.counts.get(&PaymentMode::Cash), Some(&1));
        assert_eq!(summary.counts.get(&PaymentMode::Upi), Some(&1));
        assert_eq!(summary.cancelled, 1);
    }

    #[test]
    fn a_handover_of_more_than_was_collected_is_refused_and_a_day_is_handed_over_once() {
        let h = Handover {
            collector: demo::user_id(Role::Collector),
            day: "2026-11-25".into(),
            expected_cash: Paise(15_000),
            counted_cash: Paise(15_001),
            note: Some("found extra".into()),
        };
        let mut c = Checker::new();
        h.check(&mut c);
        assert!(matches!(c.finish(), Err(crate::Error::Invalid(e)) if e.fields() == ["counted_cash"]));
        assert!(already_handed_over([&h], h.collector, "2026-11-25"));
        assert!(!already_handed_over([&h], h.collector, "2026-11-26"));
        assert!(!already_handed_over([&h], demo::user_id(Role::Supervisor), "2026-11-25"));
    }

    #[test]
    fn a_short_count_is_a_discrepancy_that_needs_a_note() {
        let mut h = Handover {
            collector: demo::user_id(Role::Collector),
            day: "2026-11-25".into(),
            expected_cash: Paise(15_000),
            counted_cash: Paise(14_500),
            note: None,
        };
        assert_eq!(h.discrepancy(), Paise(-500));
        let mut c = Checker::new();
        h.check(&mut c);
        assert!(matches!(c.finish(), Err(crate::Error::Invalid(e)) if e.fields() == ["note"]));
        h.note = Some("₹5 coin short, collector to repay".into());
        let mut c = Checker::new();
        h.check(&mut c);
        assert!(c.finish().is_ok());
    }
}
