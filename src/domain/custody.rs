//! The chain of custody of a trip's sludge, offline: the crew hands the load over at the plant
//! gate with a signed statement, the plant operator countersigns what was received, and both
//! statements travel in the trip's document for the server to check as a pair. Then the day's
//! volumes per vehicle are reconciled.
//!
//! # The exchange (no network at the plant)
//!
//! 1. The crew's device signs a **handover** — town, trip id, vehicle, litres estimated at the
//!    pit, time — with its ed25519 device key, keeps it in the trip and shows it as a code (QR,
//!    or typed): `WBH1|tenant|trip id|vehicle|litres|at ms|key id|signature`.
//! 2. The operator's device reads the code, the operator enters the litres received, and the
//!    device signs a **countersignature** over the received litres, the time, the plant and the
//!    crew's whole signature (so it names exactly that handover). The operator's device keeps
//!    it (and writes it into the trip when the trip is on that device) and shows it back as a
//!    code: `WBC1|trip id|litres|at ms|plant or -|key id|signature`.
//! 3. The crew's device reads that code and records the disposal in the trip with the
//!    countersignature. Either device syncing brings the pair to the server.
//!
//! The server ([`check_pair`]) verifies both signatures against the keys the two devices
//! registered at enrollment (a crew member's device and a plant operator's device, not the same
//! one), that the handover is about this trip's vehicle and pickup estimate, that the disposal
//! is the one countersigned (same litres and time), and that the countersignature came after
//! the handover and within [`MAX_HANDOVER_TO_COUNTERSIGN_MS`]. A pair that does not match is
//! refused with the reason.
//!
//! # Signed bytes (version 1)
//!
//! Length-prefixed fields as in [`crate::ledger::signing`] (`str`: u64 big-endian length, then
//! UTF-8; integers: 8 bytes big-endian). Handover: `wardbook/handover/v1`, tenant, trip id,
//! vehicle, litres (u64), at (i64). Countersignature: `wardbook/countersign/v1`, tenant, trip id,
//! received litres (u64), at (i64), plant code (empty for none), the handover's 64-byte
//! signature (as a `str` of its base64url text). Volumes are whole litres.

use autosurgeon::{Hydrate, Reconcile};

use super::fsm::{Trip, VOLUME_TOLERANCE};
use super::{Body, Record, UnixMillis};
use crate::ids::RecordId;
use crate::keys::{DeviceKey, PublicKey, decode_signature, encode_signature, sign_statement, verify_statement};

/// The first field of a handover code.
pub const HANDOVER_PREFIX: &str = "WBH1";
/// The first field of a countersignature code.
pub const COUNTERSIGN_PREFIX: &str = "WBC1";
/// A countersignature more than this after its handover does not match it (12 hours).
pub const MAX_HANDOVER_TO_COUNTERSIGN_MS: i64 = 12 * 3600 * 1000;
/// Codes longer than this are refused before they are split.
pub const CODE_MAX_LEN: usize = 400;

const HANDOVER_CONTEXT: &str = "wardbook/handover/v1";
const COUNTERSIGN_CONTEXT: &str = "wardbook/countersign/v1";

/// The crew's signed statement at the plant gate.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct Handover {
    pub vehicle: String,
    /// Litres estimated at the pit, whole.
    pub litres: u64,
    pub at: UnixMillis,
    pub key_id: String,
    /// ed25519, base64url without padding.
    pub signature: String,
}

/// The plant operator's countersignature of a handover.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct Countersign {
    /// Litres received at the plant, whole.
    pub received_litres: u64,
    pub at: UnixMillis,
    /// The plant whose geofence the operator's device was in, when it was in one.
    pub fstp: Option<String>,
    pub key_id: String,
    pub signature: String,
}

/// Both halves as the trip keeps them.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct Custody {
    pub handover: Handover,
    pub countersign: Option<Countersign>,
}

/// A handover code as read from the crew's screen.
#[derive(Clone, Debug, PartialEq)]
pub struct HandoverCode {
    pub tenant: String,
    pub trip: RecordId,
    pub handover: Handover,
}

/// A countersignature code as read from the operator's screen.
#[derive(Clone, Debug, PartialEq)]
pub struct CountersignCode {
    pub trip: RecordId,
    pub countersign: Countersign,
}

/// Why a code could not be read, or a pair does not match: a stable code and a sentence.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {reason}")]
pub struct CustodyError {
    pub code: &'static str,
    pub reason: String,
}

fn fail<T>(code: &'static str, reason: impl Into<String>) -> Result<T, CustodyError> {
    Err(CustodyError { code, reason: reason.into() })
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Whole litres of a volume (negative and non-finite volumes have none).
pub fn whole_litres(volume: f64) -> Option<u64> {
    (0.0..1e12).contains(&volume).then(|| volume.round() as u64)
}

/// The bytes a handover's signature covers.
pub fn handover_bytes(tenant: &str, trip: RecordId, vehicle: &str, litres: u64, at: UnixMillis) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    put_str(&mut out, HANDOVER_CONTEXT);
    put_str(&mut out, tenant);
    put_str(&mut out, &trip.to_string());
    put_str(&mut out, vehicle);
    out.extend_from_slice(&litres.to_be_bytes());
    out.extend_from_slice(&at.to_be_bytes());
    out
}

/// The bytes a countersignature covers.
pub fn countersign_bytes(
    tenant: &str,
    trip: RecordId,
    received_litres: u64,
    at: UnixMillis,
    fstp: Option<&str>,
    handover_signature: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(192);
    put_str(&mut out, COUNTERSIGN_CONTEXT);
    put_str(&mut out, tenant);
    put_str(&mut out, &trip.to_string());
    out.extend_from_slice(&received_litres.to_be_bytes());
    out.extend_from_slice(&at.to_be_bytes());
    put_str(&mut out, fstp.unwrap_or(""));
    put_str(&mut out, handover_signature);
    out
}

/// The crew's handover of `trip` (a trip record with a pickup volume), signed by `key`.
pub fn sign_handover(key: &DeviceKey, record: &Record, at: UnixMillis) -> Result<Handover, CustodyError> {
    let trip = trip_of(record)?;
    let Some(litres) = trip.pickup.as_ref().and_then(|p| p.volume_litres).and_then(whole_litres) else {
        return fail("no_pickup_volume", "a handover needs the volume estimated at the pit");
    };
    if code_text_problem(&trip.vehicle).is_some() || code_text_problem(&record.tenant).is_some() {
        return fail("not_code_safe", "the vehicle or town cannot be written in a code");
    }
    let bytes = handover_bytes(&record.tenant, record.id, &trip.vehicle, litres, at);
    Ok(Handover {
        vehicle: trip.vehicle.clone(),
        litres,
        at,
        key_id: key.public_key().key_id(),
        signature: encode_signature(&sign_statement(key, &bytes)),
    })
}

/// The operator's countersignature of a handover read from the crew's code.
pub fn sign_countersign(
    key: &DeviceKey,
    handover: &HandoverCode,
    received_litres: f64,
    fstp: Option<&str>,
    at: UnixMillis,
) -> Result<Countersign, CustodyError> {
    let Some(received) = whole_litres(received_litres) else {
        return fail("bad_volume", "the received volume must be a non-negative number of litres");
    };
    if fstp.is_some_and(|f| code_text_problem(f).is_some()) {
        return fail("not_code_safe", "the plant code cannot be written in a code");
    }
    let bytes = countersign_bytes(&handover.tenant, handover.trip, received, at, fstp, &handover.handover.signature);
    Ok(Countersign {
        received_litres: received,
        at,
        fstp: fstp.map(String::from),
        key_id: key.public_key().key_id(),
        signature: encode_signature(&sign_statement(key, &bytes)),
    })
}

/// The code the crew's device shows.
pub fn handover_code(tenant: &str, trip: RecordId, h: &Handover) -> String {
    format!("{HANDOVER_PREFIX}|{tenant}|{trip}|{}|{}|{}|{}|{}", h.vehicle, h.litres, h.at, h.key_id, h.signature)
}

/// The code the operator's device shows back.
pub fn countersign_code(trip: RecordId, c: &Countersign) -> String {
    format!(
        "{COUNTERSIGN_PREFIX}|{trip}|{}|{}|{}|{}|{}",
        c.received_litres,
        c.at,
        c.fstp.as_deref().unwrap_or("-"),
        c.key_id,
        c.signature
    )
}

fn split_code<'a, const N: usize>(text: &'a str, prefix: &str) -> Result<[&'a str; N], CustodyError> {
    if text.len() > CODE_MAX_LEN {
        return fail("bad_code", format!("the code is {} bytes long; at most {CODE_MAX_LEN}", text.len()));
    }
    let fields: Vec<&str> = text.trim().split('|').collect();
    if fields.first() != Some(&prefix) {
        return fail("bad_code", format!("not a Wardbook {prefix} code"));
    }
    fields.try_into().map_err(|f: Vec<&str>| CustodyError {
        code: "bad_code",
        reason: format!("a {prefix} code has {N} fields, this one has {}", f.len()),
    })
}

fn parse_field<T: std::str::FromStr>(field: &'static str, text: &str) -> Result<T, CustodyError> {
    text.parse().map_err(|_| CustodyError { code: "bad_code", reason: format!("the {field} field is unreadable") })
}

fn check_key_and_signature(key_id: &str, signature: &str) -> Result<(), CustodyError> {
    if !(key_id.len() == 8 && key_id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))) {
        return fail("bad_code", "the key id field is not 8 lowercase hex digits");
    }
    if decode_signature(signature).is_none() {
        return fail("bad_code", "the signature field is not 64 bytes of base64url");
    }
    Ok(())
}

/// Reads a handover code, refusing anything malformed with the reason (never panics).
pub fn parse_handover_code(text: &str) -> Result<HandoverCode, CustodyError> {
    let [_, tenant, trip, vehicle, litres, at, key_id, signature] = split_code::<8>(text, HANDOVER_PREFIX)?;
    for (field, value) in [("tenant", tenant), ("vehicle", vehicle)] {
        if let Some(problem) = code_text_problem(value) {
            return fail("bad_code", format!("the {field} field {problem}"));
        }
    }
    check_key_and_signature(key_id, signature)?;
    let read = HandoverCode {
        tenant: tenant.to_string(),
        trip: parse_field("trip", trip)?,
        handover: Handover {
            vehicle: vehicle.to_string(),
            litres: parse_field("litres", litres)?,
            at: parse_field("time", at)?,
            key_id: key_id.to_string(),
            signature: signature.to_string(),
        },
    };
    canonical(text, &handover_code(&read.tenant, read.trip, &read.handover))?;
    Ok(read)
}

/// A code reads only as a phone writes it: the same fields written another way (`02500`,
/// capital hex) are a changed code, refused like any other change.
fn canonical(text: &str, written: &str) -> Result<(), CustodyError> {
    if text.trim() == written {
        Ok(())
    } else {
        fail("bad_code", "the code is not written the way a Wardbook phone writes it: a character was changed")
    }
}

/// Reads a countersignature code, refusing anything malformed with the reason.
pub fn parse_countersign_code(text: &str) -> Result<CountersignCode, CustodyError> {
    let [_, trip, litres, at, fstp, key_id, signature] = split_code::<7>(text, COUNTERSIGN_PREFIX)?;
    if let Some(problem) = code_text_problem(fstp) {
        return fail("bad_code", format!("the plant field {problem}"));
    }
    check_key_and_signature(key_id, signature)?;
    let read = CountersignCode {
        trip: parse_field("trip", trip)?,
        countersign: Countersign {
            received_litres: parse_field("litres", litres)?,
            at: parse_field("time", at)?,
            fstp: (fstp != "-").then(|| fstp.to_string()),
            key_id: key_id.to_string(),
            signature: signature.to_string(),
        },
    };
    canonical(text, &countersign_code(read.trip, &read.countersign))?;
    Ok(read)
}

fn handover_signed_by(tenant: &str, trip: RecordId, h: &Handover, key: &PublicKey) -> bool {
    let signed = handover_bytes(tenant, trip, &h.vehicle, h.litres, h.at);
    decode_signature(&h.signature).is_some_and(|s| verify_statement(key, &signed, &s))
}

/// The plant operator's phone, before it countersigns, with no network: is this handover signed
/// by one of the town's crew devices? `crew` holds the crew devices' keys with the code's key
/// id, as this phone's reference data lists them. A code with one character changed fails here
/// (`bad_handover_signature`); a key the phone does not know (a device enrolled after the
/// phone last synced) is `unknown_key`.
pub fn verify_handover(code: &HandoverCode, crew: &[PublicKey]) -> Result<(), CustodyError> {
    if crew.is_empty() {
        return fail(
            "unknown_key",
            format!(
                "this phone knows no crew device with key {}; sync it to learn the devices enrolled since",
                code.handover.key_id
            ),
        );
    }
    if !crew.iter().any(|k| handover_signed_by(&code.tenant, code.trip, &code.handover, k)) {
        return fail("bad_handover_signature", "the code does not match its crew device's signature");
    }
    Ok(())
}

/// [`check_pair`] against every candidate key: key ids are short, so more than one device may
/// share one. The pair matches if any crew key and any operator key sign it; otherwise the
/// answer for the first candidates is the reason (`unknown_key` when a list is empty).
pub fn check_pair_any(record: &Record, crew: &[PublicKey], operator: &[PublicKey]) -> Result<(), CustodyError> {
    let options = |keys: &'_ [PublicKey]| -> Vec<Option<PublicKey>> {
        if keys.is_empty() { vec![None] } else { keys.iter().copied().map(Some).collect() }
    };
    let mut first = None;
    for c in &options(crew) {
        for o in &options(operator) {
            match check_pair(record, c.as_ref(), o.as_ref()) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
    }
    first.map_or(Ok(()), Err)
}

fn code_text_problem(text: &str) -> Option<&'static str> {
    if text.is_empty() {
        Some("is empty")
    } else if text.len() > 64 {
        Some("is too long")
    } else if !text.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'|') {
        Some("has characters other than printable ASCII without spaces (or a '|')")
    } else {
        None
    }
}

fn trip_of(record: &Record) -> Result<&Trip, CustodyError> {
    match &record.body {
        Body::Trip(t) => Ok(t),
        _ => fail("not_a_trip", format!("a {} record has no chain of custody", record.kind())),
    }
}

/// Checks a trip's custody pair (see the module docs). `crew` is the public key of the device
/// named by the handover's key id, `operator` the one named by the countersignature's: the
/// caller looks them up among the devices registered by a crew member and by a plant operator,
/// and passes `None` when there is no such device. A trip with a handover only has its
/// handover checked.
pub fn check_pair(record: &Record, crew: Option<&PublicKey>, operator: Option<&PublicKey>) -> Result<(), CustodyError> {
    let trip = trip_of(record)?;
    let Some(custody) = &trip.custody else { return Ok(()) };
    let h = &custody.handover;
    let Some(crew) = crew else {
        return fail("unknown_key", format!("no crew device of this town has key {}", h.key_id));
    };
    if !handover_signed_by(&record.tenant, record.id, h, crew) {
        return fail("bad_handover_signature", "the handover is not signed by the crew device it names");
    }
    if h.vehicle != trip.vehicle {
        return fail(
            "custody_mismatch",
            format!("the handover is for vehicle {}, the trip is {}", h.vehicle, trip.vehicle),
        );
    }
    let picked = trip.pickup.as_ref().and_then(|p| p.volume_litres).and_then(whole_litres);
    if picked != Some(h.litres) {
        return fail(
            "custody_mismatch",
            format!("the handover says {} l, the trip's pickup says {}", h.litres, litres_text(picked)),
        );
    }
    let Some(c) = &custody.countersign else { return Ok(()) };
    let Some(operator) = operator else {
        return fail("unknown_key", format!("no plant operator device of this town has key {}", c.key_id));
    };
    if operator == crew {
        return fail("custody_mismatch", "the handover and the countersignature are signed by the same device");
    }
    let signed = countersign_bytes(&record.tenant, record.id, c.received_litres, c.at, c.fstp.as_deref(), &h.signature);
    if !decode_signature(&c.signature).is_some_and(|s| verify_statement(operator, &signed, &s)) {
        return fail(
            "bad_countersign_signature",
            "the countersignature is not the plant operator's signature of this handover and volume",
        );
    }
    if c.at < h.at || c.at - h.at > MAX_HANDOVER_TO_COUNTERSIGN_MS {
        return fail(
            "custody_mismatch",
            format!(
                "the countersignature is {} min after the handover; it must be between 0 and {} min",
                (c.at - h.at) / 60_000,
                MAX_HANDOVER_TO_COUNTERSIGN_MS / 60_000
            ),
        );
    }
    let Some(disposal) = &trip.disposal else {
        return fail("custody_mismatch", "the trip is countersigned but records no disposal");
    };
    let received = disposal.volume_litres.and_then(whole_litres);
    if received != Some(c.received_litres) || disposal.at != c.at {
        return fail(
            "custody_mismatch",
            format!(
                "the disposal records {} at {}, the operator countersigned {} l at {}",
                litres_text(received),
                disposal.at,
                c.received_litres,
                c.at
            ),
        );
    }
    Ok(())
}

fn litres_text(l: Option<u64>) -> String {
    l.map_or_else(|| "no volume".into(), |l| format!("{l} l"))
}

/// One vehicle's day: litres estimated at the pits against litres received at the plants.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DayVolume {
    pub vehicle: String,
    /// IST `yyyy-mm-dd` of the pickups.
    pub day: String,
    /// Trips picked up that day.
    pub trips: u32,
    /// Of those, trips with a received volume.
    pub disposed: u32,
    /// Litres estimated at the pits, all trips.
    pub estimated_litres: f64,
    /// Litres received at the plants.
    pub received_litres: f64,
    /// Estimated minus received over the disposed trips (positive: less arrived than left).
    pub gap_litres: f64,
    /// The gap is more than [`VOLUME_TOLERANCE`] of the disposed trips' estimate.
    pub flagged: bool,
}

/// One trip as the day's reconciliation sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct TripVolume {
    pub vehicle: String,
    pub picked_litres: Option<f64>,
    pub received_litres: Option<f64>,
}

/// Reconciles one day's trips per vehicle (sorted by vehicle). A trip not yet disposed counts
/// in `trips` and `estimated_litres` but not in the gap: it is waiting, not missing.
pub fn reconcile_day(day: &str, trips: &[TripVolume]) -> Vec<DayVolume> {
    let mut by_vehicle: std::collections::BTreeMap<&str, DayVolume> = std::collections::BTreeMap::new();
    let mut disposed_estimate: std::collections::BTreeMap<&str, f64> = std::collections::BTreeMap::new();
    for t in trips {
        let v = by_vehicle.entry(&t.vehicle).or_insert_with(|| DayVolume {
            vehicle: t.vehicle.clone(),
            day: day.to_string(),
            trips: 0,
            disposed: 0,
            estimated_litres: 0.0,
            received_litres: 0.0,
            gap_litres: 0.0,
            flagged: false,
        });
        v.trips += 1;
        let picked = t.picked_litres.unwrap_or(0.0);
        v.estimated_litres += picked;
        if let Some(received) = t.received_litres {
            v.disposed += 1;
            v.received_litres += received;
            v.gap_litres += picked - received;
            *disposed_estimate.entry(&t.vehicle).or_default() += picked;
        }
    }
    by_vehicle
        .into_iter()
        .map(|(vehicle, mut v)| {
            let base = disposed_estimate.get(vehicle).copied().unwrap_or(0.0);
            v.flagged = v.disposed > 0 && v.gap_litres.abs() > base * VOLUME_TOLERANCE;
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;

    const T: UnixMillis = 1_767_238_200_000;

    fn keys() -> (DeviceKey, DeviceKey) {
        (DeviceKey::from_seed([1; 32]), DeviceKey::from_seed([2; 32]))
    }

    /// A demo trip (2,500 l picked up) handed over, countersigned at `received` litres and
    /// disposed with what the countersignature says.
    fn exchanged(received: f64) -> Record {
        let (crew, operator) = keys();
        let mut record = demo::trip(RecordId::new(), T, "W01", 1);
        let handover = sign_handover(&crew, &record, T + 3_600_000).unwrap();
        let code = parse_handover_code(&handover_code(&record.tenant, record.id, &handover)).unwrap();
        assert_eq!(code.handover, handover);
        let countersign = sign_countersign(&operator, &code, received, Some("FSTP-NBH-1"), T + 3_900_000).unwrap();
        let read = parse_countersign_code(&countersign_code(record.id, &countersign)).unwrap();
        assert_eq!((read.trip, &read.countersign), (record.id, &countersign));
        if let Body::Trip(t) = &mut record.body {
            t.disposal = Some(super::super::fsm::TripStep {
                at: countersign.at,
                location: Some(crate::domain::GeoPoint { lat: 30.36, lon: 76.16, accuracy_m: Some(5.0) }),
                volume_litres: Some(received),
                photos: vec![],
                geofence: None,
            });
            t.custody = Some(Custody { handover, countersign: Some(countersign) });
        }
        record
    }

    fn trip_mut(record: &mut Record) -> &mut Trip {
        match &mut record.body {
            Body::Trip(t) => t,
            _ => unreachable!(),
        }
    }

    fn check(record: &Record) -> Result<(), &'static str> {
        let (crew, operator) = keys();
        check_pair(record, Some(&crew.public_key()), Some(&operator.public_key())).map_err(|e| e.code)
    }

    #[test]
    fn a_matched_pair_passes() {
        assert_eq!(check(&exchanged(2400.0)), Ok(()));
    }

    #[test]
    fn each_kind_of_tampering_is_named() {
        let mut more = exchanged(2400.0);
        trip_mut(&mut more).disposal.as_mut().unwrap().volume_litres = Some(2500.0);
        assert_eq!(check(&more), Err("custody_mismatch"));

        let mut bigger = exchanged(2400.0);
        trip_mut(&mut bigger).custody.as_mut().unwrap().countersign.as_mut().unwrap().received_litres = 2500;
        assert_eq!(check(&bigger), Err("bad_countersign_signature"));

        let mut other_truck = exchanged(2400.0);
        trip_mut(&mut other_truck).vehicle = "PB11ZZ9999".into();
        assert_eq!(check(&other_truck), Err("custody_mismatch"));

        let mut rewritten = exchanged(2400.0);
        trip_mut(&mut rewritten).custody.as_mut().unwrap().handover.litres = 3000;
        assert_eq!(check(&rewritten), Err("bad_handover_signature"));

        let (crew, operator) = keys();
        let pair = exchanged(2400.0);
        let swapped = check_pair(&pair, Some(&operator.public_key()), Some(&crew.public_key()));
        assert_eq!(swapped.unwrap_err().code, "bad_handover_signature");
        let same = check_pair(&pair, Some(&crew.public_key()), Some(&crew.public_key()));
        assert_eq!(same.unwrap_err().code, "custody_mismatch");
        assert_eq!(check_pair(&pair, Some(&crew.public_key()), None).unwrap_err().code, "unknown_key");
    }

    #[test]
    fn a_countersignature_before_the_handover_or_half_a_day_later_does_not_match() {
        let (crew, operator) = keys();
        let record = demo::trip(RecordId::new(), T, "W01", 1);
        let handover = sign_handover(&crew, &record, T).unwrap();
        let code = HandoverCode { tenant: record.tenant.clone(), trip: record.id, handover: handover.clone() };
        for (at, ok) in [(T - 60_000, false), (T + 60_000, true), (T + MAX_HANDOVER_TO_COUNTERSIGN_MS + 1, false)] {
            let mut r = record.clone();
            let c = sign_countersign(&operator, &code, 2500.0, None, at).unwrap();
            let t = trip_mut(&mut r);
            t.disposal = Some(super::super::fsm::TripStep {
                at,
                location: None,
                volume_litres: Some(2500.0),
                photos: vec![],
                geofence: None,
            });
            t.custody = Some(Custody { handover: handover.clone(), countersign: Some(c) });
            assert_eq!(check(&r).is_ok(), ok, "countersigned at {}", at - T);
        }
    }

    #[test]
    fn malformed_codes_are_refused_with_a_reason() {
        for text in ["", "WBH1|x", "WBR1|a|b|c|d|e|f|g", &"WBH1|".repeat(100)] {
            assert_eq!(parse_handover_code(text).unwrap_err().code, "bad_code", "{text}");
        }
        let pair = exchanged(2400.0);
        let Body::Trip(t) = &pair.body else { unreachable!() };
        let good = handover_code(&pair.tenant, pair.id, &t.custody.as_ref().unwrap().handover);
        let bad_trip = good.replacen(&pair.id.to_string(), "not-a-uuid", 1);
        assert!(parse_handover_code(&bad_trip).unwrap_err().reason.contains("trip"));
        assert!(parse_countersign_code(&good).is_err());
    }

    #[test]
    fn a_day_is_reconciled_per_vehicle_and_waiting_trips_are_not_a_gap() {
        let t = |vehicle: &str, picked, received| TripVolume {
            vehicle: vehicle.into(),
            picked_litres: Some(picked),
            received_litres: received,
        };
        let day = reconcile_day(
            "2026-01-01",
            &[
                t("PB11AB1234", 2500.0, Some(2450.0)),
                t("PB11AB1234", 2000.0, Some(1950.0)),
                t("PB11AB1234", 3000.0, None),
                t("PB11CD5678", 3000.0, Some(2000.0)),
            ],
        );
        assert_eq!(day.len(), 2);
        let a = &day[0];
        assert_eq!((a.vehicle.as_str(), a.trips, a.disposed), ("PB11AB1234", 3, 2));
        assert_eq!((a.estimated_litres, a.received_litres, a.gap_litres, a.flagged), (7500.0, 4400.0, 100.0, false));
        let b = &day[1];
        assert_eq!((b.gap_litres, b.flagged), (1000.0, true));
    }
}
