//! Day-end on the device: a collector's day summed up from the stored receipts, the handover of
//! its cash recorded as a record of its own (declared by the collector, or counted by the
//! supervisor), the collector's receipts with their cancellation state, and the QR code a
//! receipt is reprinted with.

use super::Store;
use crate::domain::cash::{DaySummary, Handover, already_handed_over, day_summary};
use crate::domain::{Body, Record, Status, UnixMillis};
use crate::ids::{RecordId, UserId};
use crate::ledger::QrReceipt;
use crate::{Error, Result};

impl Store {
    fn ids(&self, sql: &str, arg: Option<String>) -> Result<Vec<RecordId>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows = match arg {
            Some(a) => stmt.query_map([a], |r| super::query::parse(r.get(0)?))?.collect::<rusqlite::Result<_>>()?,
            None => stmt.query_map([], |r| super::query::parse(r.get(0)?))?.collect::<rusqlite::Result<_>>()?,
        };
        Ok(rows)
    }

    fn load_all(&self, ids: Vec<RecordId>) -> Result<Vec<Record>> {
        ids.into_iter().map(|id| self.get(id)).collect()
    }

    /// `collector`'s receipts dated `day` (in India), minus approved reversals, by mode.
    pub fn day_summary(&self, collector: UserId, day: &str) -> Result<DaySummary> {
        let who = Some(collector.to_string());
        let receipts =
            self.load_all(self.ids("SELECT id FROM records WHERE kind = 'receipt' AND created_by = ?1", who.clone())?)?;
        let reversals = self.load_all(self.ids(
            "SELECT id FROM records WHERE kind = 'reversal' AND status = 'APPROVED'
             AND reverses IN (SELECT id FROM records WHERE kind = 'receipt' AND created_by = ?1)",
            who,
        )?)?;
        Ok(day_summary(collector, day, &receipts, &reversals))
    }

    /// Every cash handover on this device.
    pub fn handovers(&self) -> Result<Vec<Record>> {
        self.load_all(self.ids("SELECT id FROM records WHERE kind = 'handover'", None)?)
    }

    /// A new handover of `collector`'s cash for `day`, made by `by` (the collector declaring
    /// it, or a supervisor counting it), against what the receipts say. Not saved: the caller
    /// places it and saves it with [`Store::create`], which checks it again.
    pub fn new_handover(
        &self,
        by: UserId,
        collector: UserId,
        day: &str,
        counted_cash: crate::domain::Paise,
        note: Option<String>,
        now: UnixMillis,
    ) -> Result<Record> {
        let expected_cash = self.day_summary(collector, day)?.cash();
        let tenant = self.reference().tenant.as_ref().map(|t| t.id.clone()).ok_or_else(|| Error::UnknownValue {
            vocabulary: "tenant",
            value: "no town is set up on this device".into(),
        })?;
        let body = Body::Handover(Handover { collector, day: day.to_string(), expected_cash, counted_cash, note });
        Ok(Record::new(RecordId::new(), &tenant, by, now, body))
    }

    /// Records a count of a collector's cash for a day, against what the receipts say. A count
    /// that differs needs a note and is flagged for attention; it stays as counted.
    pub fn record_handover(
        &mut self,
        by: UserId,
        collector: UserId,
        day: &str,
        counted_cash: crate::domain::Paise,
        note: Option<String>,
        now: UnixMillis,
    ) -> Result<Record> {
        let record = self.new_handover(by, collector, day, counted_cash, note, now)?;
        self.create(&record, now)?;
        Ok(record)
    }

    /// A handover names what this device's receipts say for its day, and a day is handed over
    /// once.
    pub(super) fn check_cash_handover(&self, handover: &Handover) -> Result<()> {
        let stored = self.handovers()?;
        let bodies = stored.iter().filter_map(|r| match &r.body {
            Body::Handover(h) => Some(h),
            _ => None,
        });
        if already_handed_over(bodies, handover.collector, &handover.day) {
            return Err(Error::HandedOver { day: handover.day.clone() });
        }
        let expected = self.day_summary(handover.collector, &handover.day)?.cash();
        if handover.expected_cash != expected {
            return Err(crate::domain::validate::field_error(
                "expected_cash",
                "mismatch",
                format!("the receipts on this device say ₹{}", expected.rupees_text()),
            ));
        }
        Ok(())
    }

    /// `collector`'s receipts, newest first, each with the status of its latest reversal (if
    /// one was asked for).
    pub fn receipts_of(&self, collector: UserId) -> Result<Vec<(Record, Option<Status>)>> {
        let receipts = self.load_all(self.ids(
            "SELECT id FROM records WHERE kind = 'receipt' AND created_by = ?1 ORDER BY created_at DESC, id",
            Some(collector.to_string()),
        )?)?;
        receipts.into_iter().map(|r| Ok((r.clone(), self.reversal_status(r.id)?))).collect()
    }

    /// The status of a receipt's reversal: an approved or open one first, else a rejected one.
    pub fn reversal_status(&self, receipt: RecordId) -> Result<Option<Status>> {
        let mut stmt =
            self.conn().prepare_cached("SELECT status FROM records WHERE kind = 'reversal' AND reverses = ?1")?;
        let statuses: Vec<String> =
            stmt.query_map([receipt.to_string()], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        let mut statuses: Vec<Status> = statuses.iter().filter_map(|s| s.parse().ok()).collect();
        statuses.sort_by_key(|s| match s {
            Status::Approved => 0,
            Status::Requested => 1,
            _ => 2,
        });
        Ok(statuses.first().copied())
    }

    /// The QR code of a receipt this install issued, from the signature stored with it,
    /// checked against the install's key (only the issuer holds the key the QR code names).
    pub fn receipt_qr(&self, record: &Record) -> Result<QrReceipt> {
        let Body::Receipt(receipt) = &record.body else {
            return Err(crate::ledger::LedgerError::NotAReceipt { kind: record.kind() }.into());
        };
        let (Some(signature), Some(key_id)) = (&receipt.signature, &receipt.key_id) else {
            return Err(crate::ledger::LedgerError::BadSignature.into());
        };
        let key = self.device_key()?.public_key();
        if key.key_id() != *key_id {
            return Err(Error::NotIssuedHere {
                receipt_number: receipt.receipt_number.clone(),
                key_id: key_id.clone(),
                this_key: key.key_id(),
            });
        }
        let signature = crate::ledger::decode_signature(signature)
            .filter(|s| crate::ledger::verify(&key, record, s))
            .ok_or(crate::ledger::LedgerError::BadSignature)?;
        Ok(QrReceipt::new(record, signature, &key)?)
    }
}
