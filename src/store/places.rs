//! Places on the device: a record without a ward gets the ward its point falls in, GPS fixes
//! are judged against the town's rules, a disposal is checked against the plants' geofences
//! when it is recorded, and a new asset is compared with the ones already surveyed.

use super::Store;
use crate::domain::fsm::{GeofenceCheck, TripStep};
use crate::domain::{Body, Record, RecordKind, UnixMillis};
use crate::geo::{self, GeoRules, GeoWarning};
use crate::ids::RecordId;
use crate::{Error, Result};

impl Store {
    /// The ward a record belongs in, from its point, when it names none.
    pub(crate) fn place(&self, record: &mut Record) {
        geo::place(self.reference(), record);
    }

    /// What a person should know about a record's fix: missing or poor accuracy.
    pub fn geo_warnings(&self, record: &Record, rules: &GeoRules) -> Vec<GeoWarning> {
        record.location().map(|p| geo::check_fix(p, rules)).unwrap_or_default()
    }

    /// Assets of the same type already surveyed within the rules' radius of `asset`.
    pub fn possible_duplicate_assets(&self, asset: &Record, rules: &GeoRules) -> Result<Vec<(RecordId, f64)>> {
        let Body::AssetSurvey(survey) = &asset.body else { return Ok(vec![]) };
        let rows = self.list(&super::Query { kind: Some(RecordKind::AssetSurvey), ..Default::default() })?;
        let mut existing = Vec::new();
        for row in rows.iter().filter(|r| r.id != asset.id) {
            if let Body::AssetSurvey(other) = self.get(row.id)?.body {
                existing.push((row.id, other.asset_type, other.location));
            }
        }
        Ok(geo::possible_duplicates(survey.asset_type, &survey.location, &existing, rules))
    }

    /// Where a disposal fix is relative to the town's plants, as a trip keeps it.
    pub fn geofence_check(&self, point: &crate::domain::GeoPoint) -> GeofenceCheck {
        geo::disposal_site(self.reference(), point).as_kept()
    }

    /// Records a trip's disposal at the plant, with the geofence check of its fix kept in the
    /// trip. A disposal outside every plant's fence is kept too, and flagged for the supervisor.
    pub fn record_disposal(&mut self, trip: RecordId, mut step: TripStep, now: UnixMillis) -> Result<Record> {
        let mut c = crate::domain::validate::Checker::new();
        crate::domain::fsm::check_disposal(&mut c, &step);
        c.finish()?;
        let Some(point) = step.location.clone() else { unreachable!("check_disposal requires the place") };
        step.geofence = Some(self.geofence_check(&point));
        self.update(trip, now, |record| match &mut record.body {
            Body::Trip(t) => {
                t.disposal = Some(step);
                Ok(())
            }
            _ => Err(Error::UnknownValue { vocabulary: "trip", value: record.kind().to_string() }),
        })
    }
}
