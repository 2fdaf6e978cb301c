//! The town's records as DIGIT's create requests: a payment (`collection-services`
//! `payments/_create`), an FSM application (`fsm/v1/_create`) and a vehicle trip
//! (`vehicle/trip/v1/_create`), each `{"RequestInfo": ..., <body>}` with the `RequestInfo`
//! the caller's template gives.
//!
//! What DIGIT's validators would refuse is refused here first, with a reason a person can act
//! on ([`Refusal`]), never dropped and never "fixed" silently: a UPI payment for DIGIT-OSS (it
//! has no UPI mode; UPYOG takes it as `QR_CODE`), a fractional amount (DIGIT takes whole rupees
//! and Wardbook does not round money), a cheque without its date, a card payment without its
//! numbers, a payer name outside Latin letters for DIGIT-OSS, a mobile number DIGIT's pattern
//! refuses, a trip over its vehicle's tank or not yet disposed at the plant.
//! `docs/digit/schemas/` holds the JSON Schemas the requests are checked against and
//! `docs/digit/README.md` the DIGIT sources of every rule.
//!
//! A receipt without a bill id goes out as a manual receipt: no `billId`, its Wardbook number
//! as `manualReceiptNumber`, so the office matches it to the bill DIGIT raises.
//!
//! No I/O: records, reference data and the template come in, JSON values go out.

use std::fmt;

use serde_json::{Map, Value, json};

use super::checked_total;
use super::export::{Payment, payment_body};
use crate::calendar::{CivilDate, ist_date};
use crate::domain::fsm::{FsmJob, over_tank};
use crate::domain::receipt::PaymentMode;
use crate::domain::{Body, Paise, Record, ReferenceData, Status, UnixMillis};
use crate::ids::RecordId;

/// The DIGIT a town feeds: eGov's DIGIT-OSS or the national UPYOG built on it. They differ in
/// payment modes (UPYOG adds `QR_CODE`) and payer names (DIGIT-OSS allows Latin letters only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    DigitOss,
    Upyog,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::DigitOss => "digit-oss",
            Platform::Upyog => "upyog",
        }
    }
}

impl std::str::FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Platform, String> {
        match s {
            "digit-oss" => Ok(Platform::DigitOss),
            "upyog" => Ok(Platform::Upyog),
            _ => Err(format!("the platform is digit-oss or upyog, not {s:?}")),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record the export did not write, and every reason why.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub record: RecordId,
    /// What a person calls it: the receipt or application number.
    pub reference: String,
    pub reasons: Vec<String>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reference, self.reasons.join("; "))
    }
}

/// What an export of many records gives: the requests written, in order, and the refusals.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Export {
    pub requests: Vec<Value>,
    pub refused: Vec<Refusal>,
}

/// Each item written or refused, in order.
impl FromIterator<Result<Value, Refusal>> for Export {
    fn from_iter<I: IntoIterator<Item = Result<Value, Refusal>>>(items: I) -> Export {
        let mut out = Export::default();
        for item in items {
            match item {
                Ok(request) => out.requests.push(request),
                Err(refusal) => out.refused.push(refusal),
            }
        }
        out
    }
}

/// The payment mode a receipt's mode is on `platform`, or why it has none.
pub fn payment_mode(mode: PaymentMode, platform: Platform) -> Result<&'static str, String> {
    Ok(match mode {
        PaymentMode::Upi => match platform {
            Platform::Upyog => "QR_CODE",
            Platform::DigitOss => {
                return Err("DIGIT-OSS has no payment mode for UPI (UPYOG takes it as QR_CODE); \
                            record it in DIGIT-OSS by hand or export for UPYOG"
                    .into());
            }
        },
        PaymentMode::Cash => "CASH",
        PaymentMode::Cheque => "CHEQUE",
        PaymentMode::Dd => "DD",
        PaymentMode::Online => "ONLINE",
        PaymentMode::OfflineNeft => "OFFLINE_NEFT",
        PaymentMode::OfflineRtgs => "OFFLINE_RTGS",
        PaymentMode::Card => "CARD",
        PaymentMode::PostalOrder => "POSTAL_ORDER",
    })
}

/// The `RequestInfo` template's problems for a create request: DIGIT's collection service
/// needs `userInfo.uuid` (`INVALID_USER_ID`) and FSM reads `userInfo.type`. Empty when usable.
pub fn request_info_problems(template: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if !template.is_object() {
        return vec!["RequestInfo must be a JSON object".into()];
    }
    let blank = |v: &Value| v.as_str().is_none_or(|s| s.trim().is_empty());
    let user = &template["userInfo"];
    if blank(&user["uuid"]) {
        out.push("RequestInfo.userInfo.uuid is missing: DIGIT refuses the request (INVALID_USER_ID)".into());
    }
    if !matches!(user["type"].as_str(), Some("EMPLOYEE" | "CITIZEN" | "SYSTEM")) {
        out.push("RequestInfo.userInfo.type must be EMPLOYEE (the office), CITIZEN or SYSTEM".into());
    }
    if blank(&template["apiId"]) {
        out.push("RequestInfo.apiId is missing".into());
    }
    out
}

/// The instant an export's date range is read against: a receipt's date, an application's
/// creation, a trip's pickup (else its creation).
pub fn export_instant(record: &Record) -> UnixMillis {
    match &record.body {
        Body::Receipt(r) => r.receipt_date,
        Body::Trip(t) => t.pickup.as_ref().map_or(record.created_at, |p| p.at),
        _ => record.created_at,
    }
}

/// Whether `record`'s [`export_instant`] falls on an IST day from `from` to `to`, inclusive.
pub fn in_range(record: &Record, from: CivilDate, to: CivilDate) -> bool {
    (from..=to).contains(&ist_date(export_instant(record)))
}

/// Payments as create requests for `platform`.
pub fn payment_requests(payments: &[Payment], platform: Platform, request_info: &Value) -> Export {
    payments.iter().map(|p| payment_request(p, platform, request_info)).collect()
}

/// Modes whose instrument DIGIT dates (`INVALID_INST_DATE`, `INVALID_INST_NUMBER`).
const DATED_INSTRUMENTS: [PaymentMode; 5] = [
    PaymentMode::Cheque,
    PaymentMode::Dd,
    PaymentMode::OfflineNeft,
    PaymentMode::OfflineRtgs,
    PaymentMode::PostalOrder,
];

/// One payment's create request for `platform`.
pub fn payment_request(payment: &Payment, platform: Platform, request_info: &Value) -> Result<Value, Refusal> {
    let (record, r) = (payment.record(), payment.receipt());
    let mut reasons = Vec::new();
    match payment.status() {
        Status::Cancelled => reasons.push("it is cancelled by an approved reversal".to_string()),
        Status::Dishonoured => reasons.push("its cheque was dishonoured".to_string()),
        _ => {}
    }
    let mode = payment_mode(r.payment_mode, platform).map_err(|e| reasons.push(e)).ok();
    let total = match checked_total(r) {
        Ok(total) => whole_rupees("the amount", total).map_err(|e| reasons.push(e)).ok(),
        Err(e) => {
            reasons.push(e.to_string());
            None
        }
    };
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let mode_name = r.payment_mode.as_str();
    if DATED_INSTRUMENTS.contains(&r.payment_mode) {
        // Wardbook's receipt does not record an instrument date yet.
        reasons.push(format!(
            "a {mode_name} payment needs its instrument date, which DIGIT requires (INVALID_INST_DATE) and \
             this receipt does not record"
        ));
        if !given(&r.instrument_number) {
            reasons.push(format!("a {mode_name} payment needs its instrument number (INVALID_INST_NUMBER)"));
        }
    }
    if matches!(r.payment_mode, PaymentMode::Card | PaymentMode::Online) {
        if !given(&r.transaction_number) {
            reasons.push(format!("a {mode_name} payment needs its transaction number (INVALID_TXN_NUMBER)"));
        }
        if !given(&r.instrument_number) {
            reasons.push(format!("a {mode_name} payment needs its instrument number (INVALID_INSTRUMENT_NUMBER)"));
        }
    }
    if r.payer_name.trim().is_empty() {
        reasons.push("the payer's name is empty (DIGIT requires paidBy)".into());
    } else if r.payer_name.chars().count() > 128 {
        reasons.push("the payer's name is longer than the 128 characters DIGIT keeps".into());
    } else if platform == Platform::DigitOss && !latin_payer_name(&r.payer_name) {
        reasons.push(format!(
            "the payer's name \"{}\" is not written in Latin letters: DIGIT-OSS accepts only A-Z and a-z, \
             with - ' ` . _ or a space between letters (\"Invalid name\")",
            r.payer_name
        ));
    }
    if let Some(mobile) = &r.mobile_number
        && !digit_mobile(mobile)
    {
        reasons.push(mobile_reason(mobile));
    }
    check_tenant(&record.tenant, &mut reasons);
    let (Some(mode), Some(total), true) = (mode, total, reasons.is_empty()) else {
        return Err(refusal(record, &r.receipt_number, reasons));
    };
    let body = payment_body(payment, mode, json!(total))
        .map_err(|e| refusal(record, &r.receipt_number, vec![e.to_string()]))?;
    let mut body = without_nulls(body);
    body["transactionDate"] = json!(r.receipt_date);
    let manual = !given(&r.bill_id);
    body["additionalDetails"]["manualReceipt"] = json!(manual);
    if manual {
        // A blank bill id is no bill: a manual receipt names none.
        let detail = &mut body["paymentDetails"][0];
        if let Some(bill) = detail["bill"].as_object_mut() {
            bill.remove("id");
        }
        if let Some(detail) = detail.as_object_mut() {
            detail.remove("billId");
        }
    }
    Ok(request(request_info, "Payment", body))
}

/// FSM applications as create requests (the same on both platforms).
pub fn fsm_requests(records: &[Record], refs: &ReferenceData, request_info: &Value) -> Export {
    records.iter().map(|r| fsm_request(r, refs, request_info)).collect()
}

/// One FSM application's create request, as the town's office (an EMPLOYEE) files it.
pub fn fsm_request(record: &Record, refs: &ReferenceData, request_info: &Value) -> Result<Value, Refusal> {
    let Body::FsmJob(job) = &record.body else {
        return Err(refusal(
            record,
            &record.id.to_string(),
            vec![format!("a {} is not an FSM application", record.kind())],
        ));
    };
    let mut reasons = Vec::new();
    let workflow = record.workflow();
    if matches!(workflow.status, Status::Cancelled | Status::Rejected) {
        reasons.push(format!("the application is {}", workflow.status));
    }
    if workflow.needs_review {
        reasons.push("the application's history needs a supervisor's review first".into());
    }
    if !citizen_name(&job.applicant_name) {
        reasons.push(format!(
            "the applicant's name \"{}\" is not written in Latin letters: DIGIT's FSM accepts only A-Z, a-z, \
             spaces and - ' ` . (at most 64)",
            job.applicant_name
        ));
    }
    match &job.mobile_number {
        None => {
            reasons.push("the applicant's mobile number is missing; DIGIT requires it (INVALID_APPLICANT_ERROR)".into())
        }
        Some(m) if !digit_mobile(m) => reasons.push(mobile_reason(m)),
        Some(_) => {}
    }
    let capacity = vehicle_capacity(job, refs);
    if capacity.is_none() {
        reasons.push(
            "the vehicle capacity asked for is unknown (no capacity on the application and no known vehicle); \
             DIGIT needs it to find a desludging operator (NO_VEHICLE_VEHICLE_TYPE)"
                .into(),
        );
    }
    for (name, size) in [
        ("length", job.pit.length),
        ("width", job.pit.width),
        ("height", job.pit.height),
        ("diameter", job.pit.diameter),
    ] {
        if size.is_some_and(|s| s > 99.9) {
            reasons.push(format!("the pit's {name} is over 99.9 m, which DIGIT refuses"));
        }
    }
    let mut money = |what: &str, amount: Option<Paise>| {
        amount.and_then(|a| whole_rupees(what, a).map_err(|e| reasons.push(e)).ok())
    };
    let advance = money("the advance amount", job.advance_amount);
    let trip_amount = money("the trip amount", job.trip_amount);
    if let Some(pin) = &job.address.pincode
        && !(pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) && !pin.starts_with('0'))
    {
        reasons.push(format!("the pincode \"{pin}\" is not six digits starting 1-9"));
    }
    let locality = job.address.locality.as_deref().unwrap_or("").trim();
    if locality.is_empty() {
        reasons.push("the address has no locality, which DIGIT requires".into());
    }
    check_tenant(&record.tenant, &mut reasons);
    if !reasons.is_empty() {
        return Err(refusal(record, &job.application_no, reasons));
    }
    let a = &job.address;
    let geo = a.location.as_ref().map(|p| json!({ "latitude": p.lat, "longitude": p.lon }));
    let fsm = json!({
        "tenantId": record.tenant,
        "citizen": { "name": job.applicant_name, "mobileNumber": job.mobile_number, "tenantId": record.tenant },
        "applicationType": job.application_type.as_str(),
        "source": job.source.as_str(),
        "sanitationtype": job.sanitation_type,
        "propertyUsage": job.property_usage,
        "vehicleType": job.vehicle_type,
        "vehicleCapacity": capacity.map(|c| c.to_string()),
        "noOfTrips": job.no_of_trips,
        "possibleServiceDate": job.possible_service_date,
        "advanceAmount": advance,
        "pitDetail": {
            "length": job.pit.length,
            "width": job.pit.width,
            "height": job.pit.height,
            "diameter": job.pit.diameter,
            "distanceFromRoad": job.pit.distance_from_road,
        },
        "address": {
            "tenantId": record.tenant,
            "doorNo": a.door_no,
            "plotNo": a.plot_no,
            "street": a.street,
            "slumName": a.slum_name,
            "pincode": a.pincode,
            "locality": { "code": locality, "name": locality },
            "geoLocation": geo,
        },
        "additionalDetails": {
            "tripAmount": trip_amount,
            "wardbookApplicationNo": job.application_no,
            "wardbookPaymentPreference": job.payment_preference.as_str(),
            "wardbookRecordId": record.id.to_string(),
            "ward": record.ward,
        },
    });
    Ok(request(request_info, "fsm", without_nulls(fsm)))
}

/// Vehicle trips as create requests (the same on both platforms).
pub fn trip_requests(records: &[Record], refs: &ReferenceData, request_info: &Value) -> Export {
    records.iter().map(|r| trip_request(r, refs, request_info)).collect()
}

/// One disposed trip's create request: picked up at the pit, received at the plant.
pub fn trip_request(record: &Record, refs: &ReferenceData, request_info: &Value) -> Result<Value, Refusal> {
    let Body::Trip(trip) = &record.body else {
        return Err(refusal(
            record,
            &record.id.to_string(),
            vec![format!("a {} is not a vehicle trip", record.kind())],
        ));
    };
    let reference = format!("trip of {}", trip.application_no);
    let mut reasons = Vec::new();
    // The workflow lets only the plant's FSTP operator dispose, or the crew with the operator's
    // countersignature (which the server checked against the operator's key): DIGIT's rule.
    let workflow = record.workflow();
    let status = workflow.status;
    if status != Status::Disposed {
        reasons.push(format!(
            "the trip is {status}, not DISPOSED: DIGIT's trip needs the time and volume of its disposal at the plant, \
             which only the FSTP operator confirms"
        ));
    }
    if workflow.needs_review {
        reasons.push("the trip's history needs a supervisor's review first".into());
    }
    let tank = refs.vehicles.iter().find(|v| v.registration_number == trip.vehicle).map(|v| v.tank_capacity_litres);
    if tank.is_none() {
        reasons.push(format!(
            "the vehicle \"{}\" is not one of the town's vehicles, so its tank capacity is unknown",
            trip.vehicle
        ));
    }
    let picked = trip.pickup.as_ref().and_then(|p| p.volume_litres);
    let carried = trip
        .custody
        .as_ref()
        .and_then(|c| c.countersign.as_ref())
        .map(|c| c.received_litres as f64)
        .or_else(|| trip.disposal.as_ref().and_then(|d| d.volume_litres));
    for (what, litres) in [("picked up", picked), ("received at the plant", carried)] {
        match litres {
            Some(l) if l > 0.0 => {
                if let Some(over) = over_tank(refs, &trip.vehicle, Some(l)) {
                    reasons.push(format!("the volume {what} is too large: {over} (VOLUME_GRT_CAPACITY)"));
                }
            }
            _ if status == Status::Disposed => {
                reasons.push(format!("the volume {what} is missing or not above zero (INVALID_VOLUME)"));
            }
            _ => {}
        }
    }
    let start = trip.pickup.as_ref().map(|p| p.at);
    let end = trip.disposal.as_ref().map(|d| d.at);
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        reasons.push("the disposal is recorded before the pickup (INVALID_TRIDETAIL_ERROR)".into());
    }
    check_tenant(&record.tenant, &mut reasons);
    let (Some(start), Some(end), Some(picked), Some(carried), true) = (start, end, picked, carried, reasons.is_empty())
    else {
        if reasons.is_empty() {
            reasons.push("the trip has no pickup or no disposal".into());
        }
        return Err(refusal(record, &reference, reasons));
    };
    let body = json!({
        "tenantId": record.tenant,
        "businessService": "FSM_VEHICLE_TRIP",
        "vehicle": { "registrationNumber": trip.vehicle, "tankCapacity": tank },
        "tripStartTime": start,
        "tripEndTime": end,
        "volumeCarried": carried,
        "tripDetails": [{
            "tenantId": record.tenant,
            "referenceNo": trip.application_no,
            "itemStartTime": start,
            "itemEndTime": end,
            "volume": picked,
        }],
        "additionalDetails": {
            // A `driver` DIGIT looks up among its users ("Invalid Trip driver"): Wardbook has
            // only the name, so it travels here.
            "wardbookDriver": trip.driver,
            "fstpCode": trip.fstp_code,
            "wardbookRecordId": record.id.to_string(),
            "ward": record.ward,
        },
    });
    Ok(request(request_info, "vehicleTrip", json!([without_nulls(body)])))
}

/// DIGIT-OSS `Payment.payerName`'s pattern, `^[a-zA-Z]+(([_\-'`. ][a-zA-Z ])?[a-zA-Z]*)*$`:
/// Latin letters, where each of `_ - ' ` .` and space is followed by a letter or a space.
pub fn latin_payer_name(name: &str) -> bool {
    let mut chars = name.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    while let Some(c) = chars.next() {
        if c.is_ascii_alphabetic() {
            continue;
        }
        if !"_-'`. ".contains(c) || !chars.next().is_some_and(|n| n.is_ascii_alphabetic() || n == ' ') {
            return false;
        }
    }
    true
}

/// DIGIT's FSM `User.name`: 1 to 64 of Latin letters, spaces and - ' ` .
pub fn citizen_name(name: &str) -> bool {
    (1..=64).contains(&name.chars().count())
        && name.chars().all(|c| c.is_ascii_alphabetic() || " -'`.".contains(c))
        && name.chars().any(|c| c.is_ascii_alphabetic())
}

/// DIGIT's mobile number pattern `^[6-9][0-9]{9}$`.
pub fn digit_mobile(mobile: &str) -> bool {
    mobile.len() == 10 && mobile.bytes().all(|b| b.is_ascii_digit()) && matches!(mobile.as_bytes()[0], b'6'..=b'9')
}

fn mobile_reason(mobile: &str) -> String {
    format!("the mobile number \"{mobile}\" is not one DIGIT accepts: 10 digits starting 6, 7, 8 or 9")
}

/// Whole rupees, or why not: DIGIT refuses fractional amounts and Wardbook does not round.
fn whole_rupees(what: &str, amount: Paise) -> Result<i64, String> {
    if amount.0 < 0 {
        return Err(format!("{what} Rs. {} is negative", amount.rupees_text()));
    }
    if amount.0 % 100 != 0 {
        return Err(format!(
            "{what} Rs. {} is not a whole number of rupees: DIGIT refuses fractional amounts (\"The amount paid \
             cannot be fractional\") and Wardbook does not round money",
            amount.rupees_text()
        ));
    }
    Ok(amount.0 / 100)
}

fn check_tenant(tenant: &str, reasons: &mut Vec<String>) {
    let ok = tenant.split_once('.').is_some_and(|(state, city)| {
        !state.is_empty() && !city.is_empty() && tenant.len() <= 64 && !city.contains('.')
    });
    if !ok {
        reasons.push(format!("the town id \"{tenant}\" is not DIGIT's state.city"));
    }
}

/// The job's vehicle capacity, else its vehicle's tank from the town's vehicles.
fn vehicle_capacity(job: &FsmJob, refs: &ReferenceData) -> Option<f64> {
    job.vehicle_capacity_litres.filter(|c| *c > 0.0).or_else(|| {
        let vehicle = job.vehicle.as_deref()?;
        refs.vehicles.iter().find(|v| v.registration_number == vehicle).map(|v| v.tank_capacity_litres)
    })
}

fn refusal(record: &Record, reference: &str, reasons: Vec<String>) -> Refusal {
    Refusal { record: record.id, reference: reference.to_string(), reasons }
}

fn request(request_info: &Value, key: &str, body: Value) -> Value {
    let mut out = Map::new();
    out.insert("RequestInfo".into(), request_info.clone());
    out.insert(key.into(), body);
    Value::Object(out)
}

/// The value without its `null` members, at every depth (DIGIT's patterns are for present
/// values; an absent one is left out rather than sent as `null`). Only for the values this
/// module builds, a few levels deep.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, without_nulls(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::demo;
    use crate::domain::Role;
    use crate::domain::custody::{Countersign, Custody, Handover};
    use crate::domain::fsm::TripStep;
    use crate::domain::receipt::Receipt;
    use crate::ids::TransitionId;

    /// 2026-05-14 10:30 IST.
    const NOW: i64 = 1_778_734_800_000;

    fn template() -> Value {
        json!({
            "apiId": "Rainmaker",
            "ver": "1.0",
            "action": "_create",
            "msgId": "wardbook",
            "userInfo": { "uuid": "11111111-2222-3333-4444-555555555555", "type": "EMPLOYEE", "tenantId": "pb.nabha" },
        })
    }

    /// Demo receipt `n` (n = 4: Baldev Singh, Rs. 154.00 cash; n = 3: सुरेश कुमार, Rs. 153.00).
    fn receipt(n: u32, change: impl FnOnce(&mut Receipt)) -> Record {
        let mut record = demo::receipt(RecordId(Uuid::from_u128(u128::from(n))), NOW, "W02", n);
        let Body::Receipt(r) = &mut record.body else { unreachable!("a receipt") };
        change(r);
        record
    }

    fn export(record: &Record, platform: Platform) -> Result<Value, Refusal> {
        payment_request(&Payment::new(record, false).unwrap(), platform, &template())
    }

    fn reasons(result: Result<Value, Refusal>) -> String {
        result.expect_err("refused").reasons.join("\n")
    }

    fn has_null(value: &Value) -> bool {
        match value {
            Value::Null => true,
            Value::Object(m) => m.values().any(has_null),
            Value::Array(a) => a.iter().any(has_null),
            _ => false,
        }
    }

    #[test]
    fn a_cash_receipt_without_a_bill_is_a_manual_receipt_in_whole_rupees() {
        let request = export(&receipt(4, |_| {}), Platform::DigitOss).unwrap();
        assert_eq!(request["RequestInfo"], template());
        let p = &request["Payment"];
        assert_eq!(p["tenantId"], "pb.nabha");
        assert_eq!(p["paymentMode"], "CASH");
        assert_eq!(p["paidBy"], "Baldev Singh");
        assert_eq!(p["mobileNumber"], "9800000004");
        assert_eq!(serde_json::to_string(&p["totalAmountPaid"]).unwrap(), "154");
        assert_eq!(p["transactionDate"], NOW);
        assert_eq!(p["additionalDetails"]["manualReceipt"], true);
        let detail = &p["paymentDetails"][0];
        assert_eq!(detail["manualReceiptNumber"], "NBH/2026-27/D1/000004");
        assert_eq!(detail["manualReceiptDate"], NOW);
        assert_eq!(detail["businessService"], "WS");
        assert_eq!(detail["bill"]["totalAmount"], 154);
        assert_eq!(
            detail["bill"]["billDetails"][0]["billAccountDetails"][0],
            json!({ "taxHeadCode": "WS_CHARGE", "amount": 154.0 })
        );
        for absent in ["billId", "receiptNumber"] {
            assert!(detail.get(absent).is_none(), "{absent}: {detail:#}");
        }
        assert!(p.get("paymentStatus").is_none() && p.get("instrumentNumber").is_none(), "{p:#}");
        assert!(!has_null(&request), "{request:#}");
    }

    #[test]
    fn a_receipt_with_a_bill_names_it() {
        let request = export(&receipt(4, |r| r.bill_id = Some("WS-BILL-9".into())), Platform::Upyog).unwrap();
        let detail = &request["Payment"]["paymentDetails"][0];
        assert_eq!(detail["billId"], "WS-BILL-9");
        assert_eq!(detail["bill"]["id"], "WS-BILL-9");
        assert_eq!(request["Payment"]["additionalDetails"]["manualReceipt"], false);
    }

    #[test]
    fn a_blank_bill_id_is_no_bill() {
        let request = export(&receipt(4, |r| r.bill_id = Some("  ".into())), Platform::DigitOss).unwrap();
        let detail = &request["Payment"]["paymentDetails"][0];
        assert!(detail.get("billId").is_none() && detail["bill"].get("id").is_none(), "{detail:#}");
        assert_eq!(request["Payment"]["additionalDetails"]["manualReceipt"], true);
    }

    #[test]
    fn a_hindi_payer_is_refused_for_digit_oss_and_taken_by_upyog() {
        let suresh = receipt(3, |_| {});
        let refusal = export(&suresh, Platform::DigitOss).unwrap_err();
        assert_eq!(refusal.reference, "NBH/2026-27/D1/000003");
        assert_eq!(
            refusal.to_string(),
            "NBH/2026-27/D1/000003: the payer's name \"सुरेश कुमार\" is not written in Latin letters: DIGIT-OSS \
             accepts only A-Z and a-z, with - ' ` . _ or a space between letters (\"Invalid name\")"
        );
        let upyog = export(&suresh, Platform::Upyog).unwrap();
        assert_eq!(upyog["Payment"]["payerName"], "सुरेश कुमार");
    }

    #[test]
    fn upi_is_qr_code_on_upyog_and_refused_on_digit_oss() {
        let upi = receipt(4, |r| {
            r.payment_mode = PaymentMode::Upi;
            r.transaction_number = Some("412345678901".into());
        });
        let upyog = export(&upi, Platform::Upyog).unwrap();
        assert_eq!(upyog["Payment"]["paymentMode"], "QR_CODE");
        assert_eq!(upyog["Payment"]["transactionNumber"], "412345678901");
        assert!(reasons(export(&upi, Platform::DigitOss)).starts_with("DIGIT-OSS has no payment mode for UPI"));
        assert_eq!(payment_mode(PaymentMode::Upi, Platform::Upyog), Ok("QR_CODE"));
        for mode in PaymentMode::ALL.iter().filter(|m| **m != PaymentMode::Upi) {
            assert_eq!(payment_mode(*mode, Platform::DigitOss), Ok(mode.as_str()), "{mode}");
            assert_eq!(payment_mode(*mode, Platform::Upyog), Ok(mode.as_str()), "{mode}");
        }
    }

    #[test]
    fn a_cheque_without_its_date_is_refused_on_both_platforms() {
        let cheque = receipt(4, |r| {
            r.payment_mode = PaymentMode::Cheque;
            r.instrument_number = Some("004512".into());
        });
        for platform in [Platform::DigitOss, Platform::Upyog] {
            assert_eq!(
                reasons(export(&cheque, platform)),
                "a CHEQUE payment needs its instrument date, which DIGIT requires (INVALID_INST_DATE) and this \
                 receipt does not record"
            );
        }
        let dd = receipt(4, |r| r.payment_mode = PaymentMode::Dd);
        let why = reasons(export(&dd, Platform::Upyog));
        assert!(why.contains("instrument date") && why.contains("INVALID_INST_NUMBER"), "{why}");
    }

    #[test]
    fn a_card_payment_needs_both_its_numbers() {
        let card = receipt(4, |r| {
            r.payment_mode = PaymentMode::Card;
            r.instrument_number = Some("XXXX-1234".into());
        });
        assert_eq!(
            reasons(export(&card, Platform::DigitOss)),
            "a CARD payment needs its transaction number (INVALID_TXN_NUMBER)"
        );
        let complete = receipt(4, |r| {
            r.payment_mode = PaymentMode::Card;
            r.instrument_number = Some("XXXX-1234".into());
            r.transaction_number = Some("AUTH889".into());
        });
        let request = export(&complete, Platform::DigitOss).unwrap();
        assert_eq!(request["Payment"]["instrumentNumber"], "XXXX-1234");
        assert_eq!(request["Payment"]["transactionNumber"], "AUTH889");
    }

    #[test]
    fn a_fractional_amount_is_refused_never_rounded() {
        let fractional = receipt(4, |r| r.lines[0].amount = Paise(15_450));
        for platform in [Platform::DigitOss, Platform::Upyog] {
            assert_eq!(
                reasons(export(&fractional, platform)),
                "the amount Rs. 154.50 is not a whole number of rupees: DIGIT refuses fractional amounts (\"The amount \
                 paid cannot be fractional\") and Wardbook does not round money"
            );
        }
    }

    #[test]
    fn a_mobile_number_digit_refuses_and_a_cancelled_receipt_are_refused_with_every_reason() {
        let record = receipt(3, |r| r.mobile_number = Some("5800000003".into()));
        let refusal =
            payment_request(&Payment::new(&record, true).unwrap(), Platform::DigitOss, &template()).unwrap_err();
        assert_eq!(refusal.reasons.len(), 3, "{refusal}");
        assert_eq!(refusal.reasons[0], "it is cancelled by an approved reversal");
        assert_eq!(
            refusal.reasons[2],
            "the mobile number \"5800000003\" is not one DIGIT accepts: 10 digits starting 6, 7, 8 or 9"
        );
    }

    #[test]
    fn many_payments_are_each_written_or_refused_none_dropped() {
        let records = [receipt(4, |_| {}), receipt(3, |_| {}), receipt(5, |r| r.lines[0].amount = Paise(15_501))];
        let payments: Vec<Payment> = records.iter().map(|r| Payment::new(r, false).unwrap()).collect();
        let out = payment_requests(&payments, Platform::DigitOss, &template());
        assert_eq!(out.requests.len(), 1);
        let refused: Vec<&str> = out.refused.iter().map(|r| r.reference.as_str()).collect();
        assert_eq!(refused, ["NBH/2026-27/D1/000003", "NBH/2026-27/D1/000005"]);
        assert_eq!(payment_requests(&payments, Platform::Upyog, &template()).requests.len(), 2);
    }

    #[test]
    fn payer_names_are_read_as_digit_oss_pattern_reads_them() {
        for good in ["Baldev Singh", "O'Brien", "D. K. Sharma", "Mohammad-Iqbal", "A  B", "Ram_Lal", "x"] {
            assert!(latin_payer_name(good), "{good}");
        }
        for bad in ["", " Baldev", "Jr.", "Ramesh-", "सुरेश कुमार", "Suresh कुमार", "R2D2", "Sharma, Ramesh", "a .b"]
        {
            assert!(!latin_payer_name(bad), "{bad}");
        }
        assert!(
            citizen_name("Kamla Devi") && !citizen_name("Applicant 1") && !citizen_name("कमला") && !citizen_name("")
        );
        assert!(digit_mobile("9800000004") && digit_mobile("6000000000"));
        assert!(!digit_mobile("5800000004") && !digit_mobile("980000000") && !digit_mobile("98000000041"));
    }

    #[test]
    fn the_request_info_template_must_name_the_employee() {
        assert!(request_info_problems(&template()).is_empty());
        assert_eq!(
            request_info_problems(&json!({ "apiId": "Rainmaker", "userInfo": { "type": "EMPLOYEE" } })),
            ["RequestInfo.userInfo.uuid is missing: DIGIT refuses the request (INVALID_USER_ID)"]
        );
        assert_eq!(request_info_problems(&json!([])), ["RequestInfo must be a JSON object"]);
    }

    fn job(n: u32, change: impl FnOnce(&mut FsmJob)) -> Record {
        let mut record = demo::fsm_job(RecordId(Uuid::from_u128(100 + u128::from(n))), NOW, "W01", n);
        let Body::FsmJob(j) = &mut record.body else { unreachable!("a job") };
        j.applicant_name = "Kamla Devi".into();
        change(j);
        record
    }

    #[test]
    fn an_fsm_application_is_an_employees_create_request() {
        let refs = demo::reference();
        let request = fsm_request(&job(1, |_| {}), &refs, &template()).unwrap();
        let fsm = &request["fsm"];
        assert_eq!(fsm["tenantId"], "pb.nabha");
        assert_eq!(
            fsm["citizen"],
            json!({ "name": "Kamla Devi", "mobileNumber": "9700000001", "tenantId": "pb.nabha" })
        );
        assert_eq!(fsm["vehicleCapacity"], "3000");
        assert_eq!(fsm["advanceAmount"], 1200);
        assert_eq!(fsm["additionalDetails"]["tripAmount"], 1200);
        assert_eq!(fsm["additionalDetails"]["wardbookApplicationNo"], "FSM-NBH-000001");
        assert_eq!(fsm["additionalDetails"]["wardbookPaymentPreference"], "PRE_PAY");
        assert!(fsm.get("paymentPreference").is_none(), "DIGIT refuses any payment preference on create");
        assert_eq!(fsm["pitDetail"], json!({ "length": 2.0, "width": 1.5, "height": 1.8 }));
        assert!(fsm["address"]["locality"]["code"].as_str().is_some_and(|c| !c.is_empty()), "{fsm:#}");
        assert!(!has_null(&request), "{request:#}");
    }

    #[test]
    fn an_fsm_application_digit_would_refuse_is_refused_with_its_reasons() {
        let refs = demo::reference();
        let hindi = job(2, |j| j.applicant_name = "कमला देवी".into());
        assert!(reasons(fsm_request(&hindi, &refs, &template())).contains("is not written in Latin letters"));
        let bare = job(3, |j| {
            j.mobile_number = None;
            j.vehicle_capacity_litres = None;
            j.trip_amount = Some(Paise(120_050));
            j.pit.length = Some(120.0);
        });
        let why = fsm_request(&bare, &refs, &template()).unwrap_err();
        assert_eq!(why.reference, "FSM-NBH-000003");
        assert_eq!(why.reasons.len(), 4, "{why}");
        assert!(why.reasons[0].contains("mobile number is missing"));
        assert!(why.reasons[1].contains("vehicle capacity"));
        assert!(why.reasons[2].contains("length is over 99.9"));
        assert!(why.reasons[3].starts_with("the trip amount Rs. 1200.50 is not a whole number of rupees"));
        // The town's vehicle gives the capacity when the application has none.
        let from_vehicle = job(4, |j| {
            j.vehicle_capacity_litres = None;
            j.vehicle = Some("PB11AB1234".into());
        });
        assert_eq!(fsm_request(&from_vehicle, &refs, &template()).unwrap()["fsm"]["vehicleCapacity"], "3000");
    }

    fn step(record: &mut Record, role: Role, from: Status, to: Status, at: i64) {
        record.transitions.push(demo::step(TransitionId(Uuid::from_u128(at as u128)), at, role, from, to));
    }

    /// Demo trip 1 (2,500 l picked up in PB11AB1234, a 3,000 l tank), received at the plant
    /// with `received` litres and disposed by the plant operator.
    fn disposed_trip(received: u64) -> Record {
        let mut record = demo::trip(RecordId(Uuid::from_u128(200)), NOW, "W01", 1);
        let Body::Trip(t) = &mut record.body else { unreachable!("a trip") };
        let at = NOW + 40 * 60_000;
        t.disposal =
            Some(TripStep { at, location: None, volume_litres: Some(received as f64), photos: vec![], geofence: None });
        let handover = Handover {
            vehicle: t.vehicle.clone(),
            litres: 2500,
            at: at - 60_000,
            key_id: "k".into(),
            signature: "s".into(),
        };
        let countersign = Countersign {
            received_litres: received,
            at,
            fstp: t.fstp_code.clone(),
            key_id: "o".into(),
            signature: "s".into(),
        };
        t.custody = Some(Custody { handover, countersign: Some(countersign) });
        step(&mut record, Role::SanitationCrew, Status::Scheduled, Status::WaitingForDisposal, NOW + 1);
        step(&mut record, Role::FstpOperator, Status::WaitingForDisposal, Status::Disposed, at);
        record
    }

    #[test]
    fn a_disposed_trip_is_a_vehicle_trip_create_request() {
        let refs = demo::reference();
        let request = trip_request(&disposed_trip(2400), &refs, &template()).unwrap();
        let trips = request["vehicleTrip"].as_array().unwrap();
        assert_eq!(trips.len(), 1);
        let trip = &trips[0];
        assert_eq!(trip["businessService"], "FSM_VEHICLE_TRIP");
        assert_eq!(trip["vehicle"], json!({ "registrationNumber": "PB11AB1234", "tankCapacity": 3000.0 }));
        assert_eq!(trip["volumeCarried"], 2400.0);
        assert_eq!(trip["tripStartTime"], NOW);
        assert_eq!(trip["tripEndTime"], NOW + 40 * 60_000);
        assert_eq!(trip["tripDetails"][0]["referenceNo"], "FSM-NBH-000001");
        assert_eq!(trip["tripDetails"][0]["volume"], 2500.0);
        assert_eq!(trip["additionalDetails"]["wardbookDriver"], "Gurpreet Singh");
        assert!(trip.get("driver").is_none(), "DIGIT would look the driver up among its users");
        assert!(!has_null(&request), "{request:#}");
    }

    #[test]
    fn a_trip_not_disposed_or_over_its_tank_is_refused() {
        let refs = demo::reference();
        let picked_up = demo::trip(RecordId(Uuid::from_u128(201)), NOW, "W01", 2);
        let why = trip_request(&picked_up, &refs, &template()).unwrap_err();
        assert_eq!(why.reference, "trip of FSM-NBH-000002");
        assert!(why.reasons[0].starts_with("the trip is SCHEDULED, not DISPOSED"), "{why}");
        let over = trip_request(&disposed_trip(3200), &refs, &template()).unwrap_err();
        assert_eq!(
            over.reasons,
            [
                "the volume received at the plant is too large: 3200 L is more than the 3000 L tank of PB11AB1234 (VOLUME_GRT_CAPACITY)"
            ]
        );
        let crew_alone = {
            let mut r = disposed_trip(2400);
            r.transitions.pop();
            step(&mut r, Role::SanitationCrew, Status::WaitingForDisposal, Status::Disposed, NOW + 50 * 60_000);
            if let Body::Trip(t) = &mut r.body {
                t.custody.as_mut().unwrap().countersign = None;
            }
            r
        };
        let why = reasons(trip_request(&crew_alone, &refs, &template()));
        assert!(why.contains("not DISPOSED") && why.contains("supervisor's review"), "{why}");
    }

    #[test]
    fn the_date_range_is_read_in_ist_days() {
        let r = receipt(4, |_| {});
        let day = CivilDate::new(2026, 5, 14).unwrap();
        assert!(in_range(&r, day, day));
        assert!(!in_range(&r, CivilDate::new(2026, 5, 15).unwrap(), CivilDate::new(2026, 5, 31).unwrap()));
        assert_eq!(export_instant(&disposed_trip(2400)), NOW);
    }
}
