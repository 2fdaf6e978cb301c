//! Desludging: an FSM application (DIGIT `fsm`) and the vehicle trips that carry its sludge
//! to a treatment plant (DIGIT `vehicle trip`). Volumes are in litres, pit sizes in metres.

use autosurgeon::{Hydrate, Reconcile};

use super::validate::Checker;
use super::{Address, GeoPoint, Paise, PhotoRef, UnixMillis};

string_enum!(
    /// Whether the citizen pays before the service or after it.
    PaymentPreference {
        PrePay => "PRE_PAY",
        PostPay => "POST_PAY",
    }
);

string_enum!(
    /// How the application reached the town.
    ApplicationSource {
        Online => "ONLINE",
        Telephone => "TELEPHONE",
        WalkIn => "WALK_IN",
        FieldOfficer => "FIELD_OFFICER",
    }
);

string_enum!(
    /// One-off or scheduled emptying.
    ApplicationType {
        Adhoc => "ADHOC",
        Periodic => "PERIODIC",
    }
);

/// Pit or tank dimensions, in metres.
#[derive(Clone, Debug, Default, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct PitDetail {
    pub length: Option<f64>,
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub diameter: Option<f64>,
    pub distance_from_road: Option<f64>,
}

/// A desludging application.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct FsmJob {
    pub application_no: String,
    pub source: ApplicationSource,
    pub sanitation_type: String,
    pub property_usage: String,
    pub application_type: ApplicationType,
    pub payment_preference: PaymentPreference,
    pub no_of_trips: u32,
    pub vehicle_type: Option<String>,
    pub vehicle_capacity_litres: Option<f64>,
    pub applicant_name: String,
    pub mobile_number: Option<String>,
    pub pit: PitDetail,
    pub address: Address,
    pub advance_amount: Option<Paise>,
    pub trip_amount: Option<Paise>,
    pub possible_service_date: Option<UnixMillis>,
    pub dso: Option<String>,
    pub vehicle: Option<String>,
}

/// What a supervisor registers in the field for a desludging request (the rest is the town's
/// defaults: a field officer's ad hoc request for one trip of a residential septic tank).
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRequest {
    pub applicant_name: String,
    pub mobile_number: Option<String>,
    pub locality: String,
    pub location: Option<GeoPoint>,
    pub pit: PitDetail,
    pub post_pay: bool,
}

/// A request's application number: `FSM-<town>-<8 characters of its record id>`, unique per
/// record and short enough to read out on the phone.
pub fn application_no(town_code: &str, id: crate::ids::RecordId) -> String {
    format!("FSM-{town_code}-{}", &id.to_string().replace('-', "")[20..28].to_uppercase())
}

impl FsmJob {
    /// A field request as the town's job: its number, the town's FSM fee for a trip, the town's
    /// first vehicle.
    pub fn from_field_request(refs: &super::ReferenceData, id: crate::ids::RecordId, r: FieldRequest) -> FsmJob {
        let town = refs.tenant.as_ref().map(|t| t.code.clone()).unwrap_or_else(|| "ULB".into());
        FsmJob {
            application_no: application_no(&town, id),
            source: ApplicationSource::FieldOfficer,
            sanitation_type: "SEPTIC_TANK".into(),
            property_usage: "RESIDENTIAL".into(),
            application_type: ApplicationType::Adhoc,
            payment_preference: if r.post_pay { PaymentPreference::PostPay } else { PaymentPreference::PrePay },
            no_of_trips: 1,
            vehicle_type: None,
            vehicle_capacity_litres: None,
            applicant_name: r.applicant_name.trim().to_string(),
            mobile_number: r.mobile_number.map(|m| m.trim().to_string()).filter(|m| !m.is_empty()),
            pit: r.pit,
            address: Address {
                locality: Some(r.locality.trim().to_string()),
                location: r.location,
                ..Address::default()
            },
            advance_amount: None,
            trip_amount: refs.fee_heads.iter().find(|h| h.code == "FSM").and_then(|h| h.default_amount),
            possible_service_date: None,
            dso: None,
            vehicle: refs.vehicles.first().map(|v| v.registration_number.clone()),
        }
    }
}

impl FsmJob {
    pub(crate) fn check(&self, c: &mut Checker) {
        c.required_text("application_no", &self.application_no);
        c.required_text("applicant_name", &self.applicant_name);
        if let Some(mobile) = &self.mobile_number
            && (mobile.len() != 10 || !mobile.bytes().all(|b| b.is_ascii_digit()))
        {
            c.error("mobile_number", "invalid", "must be 10 digits");
        }
        c.required_text("address.locality", self.address.locality.as_deref().unwrap_or(""));
        if self.no_of_trips == 0 {
            c.error("no_of_trips", "out_of_range", "needs at least one trip");
        }
        c.non_negative("vehicle_capacity_litres", self.vehicle_capacity_litres);
        c.nested("pit", |c| {
            for (name, value) in [
                ("length", self.pit.length),
                ("width", self.pit.width),
                ("height", self.pit.height),
                ("diameter", self.pit.diameter),
                ("distance_from_road", self.pit.distance_from_road),
            ] {
                c.non_negative(name, value);
            }
        });
        for (name, amount) in [("advance_amount", self.advance_amount), ("trip_amount", self.trip_amount)] {
            if let Some(a) = amount {
                c.non_negative_paise(name, a.0);
            }
        }
        if let Some(p) = &self.address.location {
            c.geo_point("address.location", p);
        }
    }
}

/// One step of a trip: the pickup at the pit or the disposal at the plant.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct TripStep {
    pub at: UnixMillis,
    pub location: Option<GeoPoint>,
    pub volume_litres: Option<f64>,
    pub photos: Vec<PhotoRef>,
    /// For a disposal: the geofence check made on the device when it was recorded, kept as
    /// evidence with the fix it was made from.
    pub geofence: Option<GeofenceCheck>,
}

/// Where a disposal happened relative to the town's treatment plants.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct GeofenceCheck {
    /// The plant whose geofence holds the point, or the nearest plant when none does.
    pub fstp: Option<String>,
    pub inside: bool,
    /// 0 inside; metres to the nearest fence outside (rounded to the metre); -1 when the town
    /// has no usable geofence at all.
    pub distance_m: f64,
}

/// Why `litres` cannot be in `vehicle`: more than its tank holds (a typing mistake, or a
/// tampered figure). `None` when it fits or the town does not know the vehicle.
pub fn over_tank(refs: &super::ReferenceData, vehicle: &str, litres: Option<f64>) -> Option<String> {
    let tank = refs.vehicles.iter().find(|v| v.registration_number == vehicle)?.tank_capacity_litres;
    let litres = litres?;
    (litres > tank).then(|| format!("{litres} L is more than the {tank} L tank of {vehicle}"))
}

/// A disposal is recorded where it happened (its place is checked against the plants'
/// geofences): without a place it is refused, naming `disposal.location`.
pub fn check_disposal(c: &mut Checker, step: &TripStep) {
    if step.location.is_none() {
        c.error("disposal.location", "required", "a disposal needs a GPS fix");
    }
}

/// Received volume may differ from the pickup estimate by this share before it is flagged.
pub const VOLUME_TOLERANCE: f64 = 0.10;

/// A vehicle trip carrying one application's sludge to a plant.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct Trip {
    pub application_no: String,
    pub vehicle: String,
    pub driver: String,
    pub fstp_code: Option<String>,
    /// Estimated at the pit.
    pub pickup: Option<TripStep>,
    /// Received at the plant, recorded by the operator.
    pub disposal: Option<TripStep>,
    /// The crew's signed handover at the plant and the operator's countersignature
    /// ([`super::custody`]).
    pub custody: Option<super::custody::Custody>,
}

impl Trip {
    /// A job's trip as its crew picks the sludge up: the job's vehicle (else the town's first)
    /// on its way to the town's first plant.
    pub fn picked_up(refs: &super::ReferenceData, job: &FsmJob, driver: &str, pickup: TripStep) -> Trip {
        Trip {
            application_no: job.application_no.clone(),
            vehicle: job
                .vehicle
                .clone()
                .or_else(|| refs.vehicles.first().map(|v| v.registration_number.clone()))
                .unwrap_or_default(),
            driver: driver.to_string(),
            fstp_code: refs.fstps.first().map(|f| f.code.clone()),
            pickup: Some(pickup),
            disposal: None,
            custody: None,
        }
    }
}

impl Trip {
    /// Litres estimated at the pit minus litres received at the plant, when both are known.
    pub fn volume_gap(&self) -> Option<f64> {
        let picked = self.pickup.as_ref()?.volume_litres?;
        let received = self.disposal.as_ref()?.volume_litres?;
        Some(picked - received)
    }

    /// What a supervisor should look at: a disposal outside every plant's geofence (possible
    /// illegal dumping), or a received volume off the estimate by more than the tolerance.
    pub fn concerns(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.disposal.as_ref().and_then(|d| d.geofence.as_ref()).is_some_and(|g| !g.inside) {
            out.push("possible_illegal_dumping");
        }
        let picked = self.pickup.as_ref().and_then(|p| p.volume_litres).unwrap_or(0.0);
        if self.volume_gap().is_some_and(|gap| gap.abs() > picked * VOLUME_TOLERANCE) {
            out.push("volume_mismatch");
        }
        out
    }

    pub(crate) fn check(&self, c: &mut Checker, refs: &super::ReferenceData) {
        c.required_text("application_no", &self.application_no);
        c.required_text("vehicle", &self.vehicle);
        for (name, step) in [("pickup", &self.pickup), ("disposal", &self.disposal)] {
            if let Some(step) = step {
                c.nested(name, |c| {
                    // The litres a step measured are what the plant-gate handover signs and the
                    // office reconciles: a step without them is not recorded.
                    if step.volume_litres.is_none() {
                        c.error("volume_litres", "required", "the litres of this step are needed");
                    }
                    c.non_negative("volume_litres", step.volume_litres);
                    if let Some(reason) = over_tank(refs, &self.vehicle, step.volume_litres) {
                        c.error("volume_litres", "too_large", reason);
                    }
                    if let Some(p) = &step.location {
                        c.geo_point("location", p);
                    }
                });
            }
        }
    }
}
