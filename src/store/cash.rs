//! Day-end on the device: a collector's day summed up from the stored receipts, and the
//! supervisor's handover count recorded as a record of its own.

use super::Store;
use crate::domain::cash::{DaySummary, Handover, day_summary};
use crate::domain::{Body, Record, UnixMillis};
use crate::ids::{RecordId, UserId};
use crate::{Error, Result};

impl Store {
    /// `collector`'s receipts dated `day` (in India), minus approved reversals, by mode.
    pub fn day_summary(&self, collector: UserId, day: &str) -> Result<DaySummary> {
        let ids = |sql: &str| -> Result<Vec<RecordId>> {
            let mut stmt = self.conn().prepare_cached(sql)?;
            let rows = stmt.query_map([collector.to_string()], |r| super::query::parse(r.get(0)?))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        let load = |ids: Vec<RecordId>| -> Result<Vec<Record>> { ids.into_iter().map(|id| self.get(id)).collect() };
        let receipts = load(ids("SELECT id FROM records WHERE kind = 'receipt' AND created_by = ?1")?)?;
        let reversals = load(ids("SELECT id FROM records WHERE kind = 'reversal' AND status = 'APPROVED'
             AND reverses IN (SELECT id FROM records WHERE kind = 'receipt' AND created_by = ?1)")?)?;
        Ok(day_summary(collector, day, &receipts, &reversals))
    }

    /// Records a supervisor's count of a collector's cash for a day, against what the receipts
    /// say. A count that differs needs a note and is flagged for attention; it stays as counted.
    pub fn record_handover(
        &mut self,
        supervisor: UserId,
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
        let record = Record::new(RecordId::new(), &tenant, supervisor, now, body);
        self.create(&record, now)?;
        Ok(record)
    }
}
