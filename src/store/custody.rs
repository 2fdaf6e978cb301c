//! The chain of custody on the device: the crew's handover code, the plant operator's
//! countersignature, the disposal recorded from it, and the day's volumes per vehicle. The
//! rules and the signed bytes are in [`crate::domain::custody`]; this is where they meet the
//! store.

use crate::store::exec;
use rusqlite::{Connection, params};

use super::Store;
use crate::domain::custody::{
    self, Custody, CustodyError, HandoverCode, TripVolume, countersign_code, handover_code, parse_countersign_code,
    parse_handover_code,
};
use crate::domain::fsm::{Trip, TripStep};
use crate::domain::workflow::{self, Actor};
use crate::domain::{Body, GeoPoint, PhotoRef, Record, Status, UnixMillis};
use crate::ids::{RecordId, TransitionId};
use crate::ledger::ist_date;
use crate::{Error, Result};

pub use crate::domain::custody::DayVolume;

/// A countersignature this device made, as the plant operator's device keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct KeptCountersign {
    pub trip: RecordId,
    pub handover_code: String,
    pub countersign_code: String,
    pub received_litres: f64,
    pub at: UnixMillis,
}

fn refused(e: CustodyError) -> Error {
    crate::domain::validate::field_error("custody", e.code, &e.reason)
}

fn trip_mut(record: &mut Record) -> Result<&mut Trip> {
    let kind = record.kind();
    match &mut record.body {
        Body::Trip(t) => Ok(t),
        _ => Err(Error::UnknownValue { vocabulary: "trip", value: kind.to_string() }),
    }
}

impl Store {
    /// The crew at the plant gate: signs the trip's handover (vehicle, litres estimated at the
    /// pit, now) with this device's key, keeps it in the trip and returns the code to show the
    /// operator. Asked again before the countersignature, it shows the same handover.
    pub fn handover_code(&mut self, trip: RecordId, now: UnixMillis) -> Result<String> {
        let record = self.get(trip)?;
        if let Body::Trip(Trip { custody: Some(c), .. }) = &record.body {
            return Ok(handover_code(&record.tenant, trip, &c.handover));
        }
        let handover = custody::sign_handover(&self.device_key()?, &record, now).map_err(refused)?;
        let code = handover_code(&record.tenant, trip, &handover);
        self.update(trip, now, |r| {
            trip_mut(r)?.custody = Some(Custody { handover, countersign: None });
            Ok(())
        })?;
        Ok(code)
    }

    /// The plant operator, before countersigning: reads the crew's code and checks, with no
    /// network, that it is from this town and signed by one of its crew devices (the keys come
    /// with the reference data, read afresh: the sync may have brought new ones). A code with
    /// a character changed is refused here, before anything is signed.
    pub fn check_handover(&mut self, code: &str) -> Result<HandoverCode> {
        let handover = parse_handover_code(code).map_err(refused)?;
        let refs = self.reload_reference()?;
        let town = refs.tenant.as_ref().map(|t| t.id.clone());
        if town.as_deref().is_some_and(|t| t != handover.tenant) {
            return Err(refused(CustodyError {
                code: "custody_mismatch",
                reason: format!(
                    "the code is from {}, this device works for {}",
                    handover.tenant,
                    town.unwrap_or_default()
                ),
            }));
        }
        let crew = refs.crew_keys(&handover.handover.key_id);
        custody::verify_handover(&handover, &crew).map_err(refused)?;
        Ok(handover)
    }

    /// The plant operator: reads the crew's code (checked by [`Store::check_handover`]),
    /// countersigns the litres received (at `fix`, which names the plant when it is inside
    /// one's geofence) and returns the code to show back to the crew. The countersignature is
    /// kept on this device; when the trip itself is here and not yet countersigned, the
    /// disposal is recorded in it too.
    pub fn countersign_handover(
        &mut self,
        code: &str,
        received_litres: f64,
        fix: &GeoPoint,
        now: UnixMillis,
    ) -> Result<String> {
        let handover = self.check_handover(code)?;
        let site = self.geofence_check(fix);
        let fstp = site.inside.then_some(site.fstp).flatten();
        let countersign =
            custody::sign_countersign(&self.device_key()?, &handover, received_litres, fstp.as_deref(), now)
                .map_err(refused)?;
        let back = countersign_code(handover.trip, &countersign);
        exec(
            &self.conn,
            "INSERT INTO countersigns (trip_id, handover_code, countersign_code, received_litres, at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (trip_id) DO UPDATE SET handover_code = excluded.handover_code,
                 countersign_code = excluded.countersign_code, received_litres = excluded.received_litres,
                 at = excluded.at",
            params![handover.trip.to_string(), code.trim(), back, received_litres, now, now],
        )?;
        let here = match self.get(handover.trip) {
            Ok(r) => Some(r),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        if let Some(Body::Trip(t)) = here.map(|r| r.body)
            && t.custody.as_ref().is_some_and(|c| c.handover == handover.handover && c.countersign.is_none())
        {
            self.record_countersigned(handover.trip, &back, fix.clone(), vec![], None, now)?;
        }
        Ok(back)
    }

    /// The crew: reads the operator's code back and records the disposal it countersigns — the
    /// litres and time the operator signed, this device's `fix` (checked against the plants'
    /// geofences) and `photos`. The pair is checked first as the server will check it
    /// ([`custody::check_pair_any`]), against the operator devices' keys in the reference data:
    /// a changed character or a code of another trip is refused here. With `dispose_as` (the
    /// crew member), the same save takes the trip to `DISPOSED`, which the workflow allows a
    /// crew only with the operator's countersignature in the trip.
    pub fn record_countersigned(
        &mut self,
        trip: RecordId,
        code: &str,
        fix: GeoPoint,
        photos: Vec<PhotoRef>,
        dispose_as: Option<Actor>,
        now: UnixMillis,
    ) -> Result<Record> {
        let read = parse_countersign_code(code).map_err(refused)?;
        if read.trip != trip {
            return Err(refused(CustodyError {
                code: "custody_mismatch",
                reason: format!("the code countersigns trip {}, not {trip}", read.trip),
            }));
        }
        let record = self.get(trip)?;
        let Body::Trip(Trip { custody: Some(_), .. }) = &record.body else {
            return Err(refused(CustodyError {
                code: "no_handover",
                reason: "this trip was not handed over from this device; show the handover code first".into(),
            }));
        };
        let c = read.countersign;
        let step = TripStep {
            at: c.at,
            geofence: Some(self.geofence_check(&fix)),
            location: Some(fix),
            volume_litres: Some(c.received_litres as f64),
            photos,
        };
        let refs = self.reload_reference()?.clone();
        let operator = refs.operator_keys(&c.key_id);
        if operator.is_empty() {
            return Err(refused(CustodyError {
                code: "unknown_key",
                reason: format!(
                    "this phone knows no plant operator device with key {}; sync it to learn the devices enrolled since",
                    c.key_id
                ),
            }));
        }
        let own = self.device_key()?.public_key();
        let record_disposal = |r: &mut Record| -> Result<()> {
            let t = trip_mut(r)?;
            t.disposal = Some(step.clone());
            if let Some(custody) = t.custody.as_mut() {
                custody.countersign = Some(c.clone());
            }
            Ok(())
        };
        let mut checked = record.clone();
        record_disposal(&mut checked)?;
        let Body::Trip(Trip { custody: Some(kept), .. }) = &checked.body else { unreachable!("checked above") };
        let mut crew = refs.crew_keys(&kept.handover.key_id);
        if own.key_id() == kept.handover.key_id {
            crew.insert(0, own);
        }
        custody::check_pair_any(&checked, &crew, &operator).map_err(refused)?;
        self.update(trip, now, |r| {
            record_disposal(r)?;
            if let Some(actor) = dispose_as
                && r.workflow().status == Status::WaitingForDisposal
            {
                workflow::step(r, &refs, TransitionId::new(), actor, Status::Disposed, now, None)?;
            }
            Ok(())
        })
    }

    /// Every countersignature this device made (the plant operator's own copy), newest first.
    pub fn countersigns(&self) -> Result<Vec<KeptCountersign>> {
        let mut stmt = self.conn.prepare(
            "SELECT trip_id, handover_code, countersign_code, received_litres, at FROM countersigns
             ORDER BY at DESC, trip_id",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
            .collect::<rusqlite::Result<Vec<(String, String, String, f64, i64)>>>()?;
        rows.into_iter()
            .map(|(trip, handover_code, countersign_code, received_litres, at)| {
                let trip =
                    trip.parse().map_err(|_| Error::UnknownValue { vocabulary: "record id", value: trip.clone() })?;
                Ok(KeptCountersign { trip, handover_code, countersign_code, received_litres, at })
            })
            .collect()
    }

    /// The day's volumes per vehicle: litres estimated at the pits on `day` (IST `yyyy-mm-dd`)
    /// against litres received at the plants, with the gap flagged beyond the tolerance.
    pub fn day_volumes(&self, day: &str) -> Result<Vec<DayVolume>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT vehicle, picked_litres, received_litres FROM trip_volumes WHERE day = ?1 ORDER BY vehicle",
        )?;
        let trips = stmt
            .query_map([day], |r| {
                Ok(TripVolume { vehicle: r.get(0)?, picked_litres: r.get(1)?, received_litres: r.get(2)? })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(custody::reconcile_day(day, &trips))
    }
}

/// Rewrites a trip's row of `trip_volumes` inside the transaction that writes its columns.
pub(crate) fn index_trip(conn: &Connection, key: &str, record: &Record) -> Result<()> {
    let Body::Trip(t) = &record.body else { return Ok(()) };
    let pickup = t.pickup.as_ref();
    exec(
        conn,
        "INSERT INTO trip_volumes (record_id, vehicle, day, picked_litres, received_litres)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (record_id) DO UPDATE SET vehicle = excluded.vehicle, day = excluded.day,
             picked_litres = excluded.picked_litres, received_litres = excluded.received_litres",
        params![
            key,
            t.vehicle,
            pickup.map(|p| ist_date(p.at).to_string()),
            pickup.and_then(|p| p.volume_litres),
            t.disposal.as_ref().and_then(|d| d.volume_litres)
        ],
    )?;
    Ok(())
}
