//! The collector's day-end and the supervisor's side of it: the day's totals by payment mode
//! (IST day), the handover of the day's cash (never more than the receipts say was collected,
//! once a day), the collector's receipts with their cancellation state (a cancelled receipt
//! stays in the list, marked), a duplicate print of a receipt, and a cancellation request (a
//! `Reversal` the supervisor approves or rejects). The supervisor acknowledges a handover with
//! a `RECONCILED` step.
//!
//! The shapes exchanged live here too (the contract with `ui/src/api.ts`, like [`super::views`]).

use super::{ApiError, ApiResult, Badge, Field, LIST_LIMIT, Rejection, as_draft, badge};
use crate::domain::receipt::PaymentMode;
use crate::domain::workflow::Actor;
use crate::domain::{Body, Paise, Record, RecordKind, Reversal, Role, Status, UnixMillis};
use crate::ids::{RecordId, UserId};
use crate::ledger::{PaperSize, PrintCopy};
use crate::store::SyncState;

/// One payment mode of a day: receipts that stand and their amount (cancelled ones left out).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ModeTotal {
    pub mode: PaymentMode,
    pub count: u32,
    pub amount_paise: i64,
}

/// A handover of one collector's cash for one day.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct HandoverView {
    pub id: RecordId,
    pub collector: UserId,
    pub collector_name: String,
    pub day: String,
    /// What the receipts said when it was made (cash, minus approved reversals).
    pub expected_paise: i64,
    pub handed_over_paise: i64,
    pub note: Option<String>,
    pub created_at: UnixMillis,
    /// The supervisor acknowledged receiving it (status `RECONCILED`).
    pub acknowledged: bool,
    pub badge: Badge,
    pub rejection: Option<Rejection>,
}

/// One of the collector's receipts, with the state of its cancellation.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ReceiptLine {
    pub id: RecordId,
    pub receipt_number: String,
    /// The IST day it was issued (`2026-11-25`).
    pub day: String,
    pub receipt_date: UnixMillis,
    pub payer_name: String,
    pub fee_head: String,
    pub payment_mode: PaymentMode,
    pub amount_paise: i64,
    pub badge: Badge,
    pub rejection: Option<Rejection>,
    /// Its reversal's status: `REQUESTED` (waiting for the supervisor), `APPROVED` (cancelled)
    /// or `REJECTED` (the receipt stands); none when no cancellation was asked for.
    pub cancellation: Option<String>,
}

/// The collector's day-end screen.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct DayEnd {
    pub day: String,
    /// Payment modes with a receipt that day, in the order of [`PaymentMode::ALL`].
    pub by_mode: Vec<ModeTotal>,
    pub receipts: u32,
    pub cancelled: u32,
    pub reversed_paise: i64,
    pub total_paise: i64,
    /// The cash to hand over (cash receipts minus approved reversals).
    pub cash_expected_paise: i64,
    pub handover: Option<HandoverView>,
    /// The collector's receipts, newest first (this day and earlier).
    pub receipt_list: Vec<ReceiptLine>,
}

/// The collector's handover form: the day, and the cash handed over as typed.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct HandoverDraft {
    pub day: String,
    /// Rupees as typed (`1,250`, `1250.50`, `१२५०`).
    pub amount: String,
    pub note: Option<String>,
}

/// A page to print (the receipt's bilingual HTML, marked duplicate for a reprint).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct PrintView {
    pub receipt_number: String,
    pub html: String,
}

/// A cancellation request waiting for the supervisor.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct CancellationView {
    pub id: RecordId,
    pub receipt: RecordId,
    pub receipt_number: String,
    pub amount_paise: i64,
    pub reason: String,
    pub requested_by: String,
    pub requested_at: UnixMillis,
    pub badge: Badge,
}

/// What waits for the supervisor's hand on money: handovers to acknowledge, cancellations to
/// approve or reject.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct CashQueue {
    pub handovers: Vec<HandoverView>,
    pub cancellations: Vec<CancellationView>,
}

impl Field {
    /// The signed-in collector's day (`day`, or today in India at `now`): totals by mode, the
    /// cash to hand over, the handover if made, and their receipts.
    pub fn day_end(&self, day: Option<String>, now: UnixMillis) -> ApiResult<DayEnd> {
        let me = self.actor(Role::Collector)?;
        let day = day.filter(|d| !d.trim().is_empty()).unwrap_or_else(|| crate::ledger::ist_date(now).to_string());
        let summary = self.store.day_summary(me.user, &day)?;
        let by_mode = PaymentMode::ALL
            .iter()
            .filter_map(|mode| {
                let amount = summary.by_mode.get(mode)?;
                Some(ModeTotal {
                    mode: *mode,
                    count: summary.counts.get(mode).copied().unwrap_or(0),
                    amount_paise: amount.0,
                })
            })
            .collect();
        let handover = self
            .store
            .handovers()?
            .iter()
            .find(|r| matches!(&r.body, Body::Handover(h) if h.collector == me.user && h.day == day))
            .map(|r| self.handover_view(r))
            .transpose()?;
        let receipt_list = self
            .store
            .receipts_of(me.user)?
            .into_iter()
            .take(LIST_LIMIT as usize)
            .map(|(record, reversal)| self.receipt_line(&record, reversal))
            .collect::<ApiResult<_>>()?;
        Ok(DayEnd {
            cash_expected_paise: summary.cash().0,
            day,
            by_mode,
            receipts: summary.receipts,
            cancelled: summary.cancelled,
            reversed_paise: summary.reversed.0,
            total_paise: summary.total.0,
            handover,
            receipt_list,
        })
    }

    /// The collector hands the day's cash to the supervisor: what the receipts say is
    /// expected, what is handed over is as typed; less needs a note, more is refused
    /// (`amount`, `more_than_collected`), and a day is handed over once (`handover_exists`).
    pub fn hand_over_cash(&mut self, draft: HandoverDraft, now: UnixMillis) -> ApiResult<HandoverView> {
        let me = self.actor(Role::Collector)?;
        let counted = Paise::parse_rupees("amount", &draft.amount)?;
        let note = draft.note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        let mut record = self.store.new_handover(me.user, me.user, draft.day.trim(), counted, note, now)?;
        self.place_for_me(&mut record, None)?;
        self.store.create(&record, now).map_err(|e| as_draft(e.into(), &[("counted_cash", "amount")]))?;
        self.handover_view(&self.store.get(record.id)?)
    }

    /// A duplicate of one of this install's receipts, to print: the receipt page with
    /// "DUPLICATE" and the time of the reprint on it.
    pub fn reprint_receipt(&self, id: RecordId, now: UnixMillis) -> ApiResult<PrintView> {
        self.money_actor()?;
        let record = self.store.get(id)?;
        let Body::Receipt(receipt) = &record.body else {
            return Err(ApiError::new("not_a_receipt", format!("{id} is not a receipt")));
        };
        let qr = self.store.receipt_qr(&record)?;
        let copy = PrintCopy::Duplicate { reprinted_at: now };
        let html = crate::ledger::receipt_html_copy(&record, self.store.reference(), &qr, PaperSize::Roll80mm, copy)
            .map_err(crate::Error::from)?;
        Ok(PrintView { receipt_number: receipt.receipt_number.clone(), html })
    }

    /// Asks the supervisor to cancel a receipt: a reversal of its whole amount with the
    /// reason (`reason`, `required`). A collector asks only for receipts they issued; a
    /// receipt with a cancellation waiting or approved is refused (`bad_reversal`).
    pub fn request_cancellation(&mut self, receipt: RecordId, reason: &str, now: UnixMillis) -> ApiResult<ReceiptLine> {
        let actor = self.money_actor()?;
        let record = self.store.get(receipt)?;
        let Body::Receipt(issued) = &record.body else {
            return Err(ApiError::new("not_a_receipt", format!("{receipt} is not a receipt")));
        };
        if actor.role == Role::Collector && record.created_by != actor.user {
            return Err(ApiError::new("not_allowed", "a collector asks to cancel only the receipts they issued"));
        }
        let body = Body::Reversal(Reversal {
            receipt,
            receipt_number: issued.receipt_number.clone(),
            amount: issued.total(),
            reason: reason.trim().to_string(),
        });
        let (mut reversal, _) = self.new_record_in(now, body, None)?;
        reversal.ward = record.ward.clone();
        self.store.create(&reversal, now)?;
        self.receipt_line(&record, self.store.reversal_status(receipt)?)
    }

    /// The supervisor's money queue: handovers not yet acknowledged, cancellations waiting.
    pub fn cash_queue(&self) -> ApiResult<CashQueue> {
        self.actor(Role::Supervisor)?;
        let handovers = self
            .store
            .handovers()?
            .iter()
            .filter(|r| r.workflow().status == Status::Draft)
            .map(|r| self.handover_view(r))
            .collect::<ApiResult<Vec<_>>>()?;
        let waiting = self.store.list(&crate::store::Query {
            kind: Some(RecordKind::Reversal),
            statuses: vec![Status::Requested],
            limit: Some(LIST_LIMIT),
            ..Default::default()
        })?;
        let mut cancellations = Vec::new();
        for row in waiting {
            let record = self.store.get(row.id)?;
            let Body::Reversal(rev) = &record.body else { continue };
            cancellations.push(CancellationView {
                id: record.id,
                receipt: rev.receipt,
                receipt_number: rev.receipt_number.clone(),
                amount_paise: rev.amount.0,
                reason: rev.reason.clone(),
                requested_by: self.name_of(record.created_by),
                requested_at: record.created_at,
                badge: badge(&row),
            });
        }
        Ok(CashQueue { handovers, cancellations })
    }

    /// The supervisor acknowledges the cash of a handover received (`note`: optional).
    pub fn acknowledge_handover(
        &mut self,
        id: RecordId,
        note: Option<String>,
        now: UnixMillis,
    ) -> ApiResult<HandoverView> {
        let actor = self.actor(Role::Supervisor)?;
        if self.store.row(id)?.kind != RecordKind::Handover {
            return Err(ApiError::new("not_found", format!("{id} is not a cash handover")));
        }
        self.store.transition(id, actor, Status::Reconciled, now, note.filter(|n| !n.trim().is_empty()))?;
        self.handover_view(&self.store.get(id)?)
    }

    /// The supervisor approves a cancellation (the receipt is cancelled, and leaves the day's
    /// totals) or rejects it, saying why (`note`, `required`).
    pub fn decide_cancellation(
        &mut self,
        id: RecordId,
        approve: bool,
        note: Option<String>,
        now: UnixMillis,
    ) -> ApiResult<crate::field::Saved> {
        let actor = self.actor(Role::Supervisor)?;
        if self.store.row(id)?.kind != RecordKind::Reversal {
            return Err(ApiError::new("not_found", format!("{id} is not a cancellation request")));
        }
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        if !approve && note.is_none() {
            return Err(ApiError::field("note", "required", "say why the cancellation is rejected"));
        }
        let to = if approve { Status::Approved } else { Status::Rejected };
        self.store.transition(id, actor, to, now, note)?;
        self.saved(id)
    }

    /// The signed-in user as a collector, or else as a supervisor.
    fn money_actor(&self) -> ApiResult<Actor> {
        self.actor(Role::Collector).or_else(|_| self.actor(Role::Supervisor))
    }

    /// Why the server refused a record, when it did.
    pub(super) fn rejection(&self, id: RecordId, state: SyncState) -> ApiResult<Option<Rejection>> {
        Ok(match state {
            SyncState::Rejected => self.store.sync_state(id)?.1.as_deref().map(Rejection::parse),
            _ => None,
        })
    }

    fn handover_view(&self, record: &Record) -> ApiResult<HandoverView> {
        let Body::Handover(h) = &record.body else {
            return Err(ApiError::new("not_found", format!("{} is not a cash handover", record.id)));
        };
        let row = self.store.row(record.id)?;
        Ok(HandoverView {
            id: record.id,
            collector: h.collector,
            collector_name: self.name_of(h.collector),
            day: h.day.clone(),
            expected_paise: h.expected_cash.0,
            handed_over_paise: h.counted_cash.0,
            note: h.note.clone(),
            created_at: record.created_at,
            acknowledged: record.workflow().status == Status::Reconciled,
            badge: badge(&row),
            rejection: self.rejection(record.id, row.sync_state)?,
        })
    }

    fn receipt_line(&self, record: &Record, reversal: Option<Status>) -> ApiResult<ReceiptLine> {
        let Body::Receipt(r) = &record.body else {
            return Err(ApiError::new("not_a_receipt", format!("{} is not a receipt", record.id)));
        };
        let row = self.store.row(record.id)?;
        Ok(ReceiptLine {
            id: record.id,
            receipt_number: r.receipt_number.clone(),
            day: crate::ledger::ist_date(r.receipt_date).to_string(),
            receipt_date: r.receipt_date,
            payer_name: r.payer_name.clone(),
            fee_head: r.business_service.clone(),
            payment_mode: r.payment_mode,
            amount_paise: r.total().0,
            badge: badge(&row),
            rejection: self.rejection(record.id, row.sync_state)?,
            cancellation: reversal.map(|s| s.to_string()),
        })
    }
}
