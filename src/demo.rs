//! A demo town — Nabha, Punjab (`pb.nabha`), with synthetic wards, staff of every role,
//! checklists, fee heads, a vehicle and an FSTP — and record builders. The CLI's `demo`
//! command, the tests and the benchmarks all start from here, so fixtures live in one place.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::domain::asset::{AssetType, Condition};
use crate::domain::fsm::{ApplicationSource, ApplicationType, PaymentPreference, PitDetail, TripStep};
use crate::domain::receipt::{AmountLine, PaymentMode};
use crate::domain::reference::{
    AnswerType, ChecklistTemplate, ChoiceOption, FeeHead, Fstp, Geofence, Question, Tenant, User, Vehicle, Ward,
};
use crate::domain::{
    Address, Answer, AssetSurvey, Body, FsmJob, GeoPoint, Inspection, Paise, Receipt, Record, ReferenceData, Role,
    Status, Transition, Trip, UnixMillis,
};
use crate::ids::{RecordId, UserId};

/// The demo town's id.
pub const TENANT: &str = "pb.nabha";

/// A fixed user id per role, so tests and the demo agree on who is who.
pub fn user_id(role: Role) -> UserId {
    let n = Role::ALL.iter().position(|r| *r == role).unwrap_or(0) as u128;
    UserId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n + 1))
}

/// A workflow step by the demo user of `role`, unsigned and without a note (tests sign or
/// annotate it where that matters).
pub fn step(id: crate::ids::TransitionId, at: UnixMillis, role: Role, from: Status, to: Status) -> Transition {
    Transition { id, at, by: user_id(role), role, from, to, note: None, resolves_review: false, signature: None }
}

fn ward(code: &str, name: &str, name_hi: &str, west: f64, south: f64) -> Ward {
    let (east, north) = (west + 0.01, south + 0.01);
    Ward {
        code: code.into(),
        name: name.into(),
        name_hi: name_hi.into(),
        boundary: vec![[west, south], [east, south], [east, north], [west, north], [west, south]],
    }
}

fn yes_no(id: &str, text: &str, text_hi: &str, weight: u32) -> Question {
    Question {
        id: id.into(),
        text: text.into(),
        text_hi: text_hi.into(),
        answer_type: AnswerType::YesNo,
        options: vec![],
        required: true,
        weight,
        min: None,
        max: None,
    }
}

/// The public toilet checklist, version 1 and version 2 (v2 adds a question).
pub fn toilet_templates() -> Vec<ChecklistTemplate> {
    let v1 = ChecklistTemplate {
        code: "PUBLIC_TOILET".into(),
        version: 1,
        title: "Public toilet inspection".into(),
        title_hi: "सार्वजनिक शौचालय निरीक्षण".into(),
        questions: vec![
            yes_no("water", "Is running water available?", "क्या पानी उपलब्ध है?", 2),
            yes_no("clean", "Is the floor clean?", "क्या फर्श साफ है?", 1),
            Question {
                id: "seats".into(),
                text: "Working seats".into(),
                text_hi: "चालू सीटें".into(),
                answer_type: AnswerType::Number,
                options: vec![],
                required: false,
                weight: 0,
                min: Some(0.0),
                max: Some(100.0),
            },
            Question {
                id: "smell".into(),
                text: "Smell".into(),
                text_hi: "गंध".into(),
                answer_type: AnswerType::SingleChoice,
                options: vec![
                    ChoiceOption {
                        code: "none".into(), label: "None".into(), label_hi: "नहीं".into(), points: 2
                    },
                    ChoiceOption {
                        code: "mild".into(), label: "Mild".into(), label_hi: "हल्की".into(), points: 1
                    },
                    ChoiceOption {
                        code: "strong".into(), label: "Strong".into(), label_hi: "तेज़".into(), points: 0
                    },
                ],
                required: false,
                weight: 0,
                min: None,
                max: None,
            },
            Question {
                id: "remarks".into(),
                text: "Remarks".into(),
                text_hi: "टिप्पणी".into(),
                answer_type: AnswerType::Text,
                options: vec![],
                required: false,
                weight: 0,
                min: None,
                max: None,
            },
        ],
    };
    let mut v2 = v1.clone();
    v2.version = 2;
    v2.questions.push(yes_no("light", "Is there working light?", "क्या रोशनी चालू है?", 1));
    vec![v1, v2]
}

/// The whole demo town.
pub fn reference() -> ReferenceData {
    let staff = [
        (Role::Inspector, "Harpreet Kaur", vec!["W01", "W02"]),
        (Role::Surveyor, "Amandeep Singh", vec!["W01", "W02", "W03"]),
        (Role::Collector, "Ravi Kumar", vec!["W02"]),
        (Role::SanitationCrew, "Gurpreet Singh", vec![]),
        (Role::FstpOperator, "Sunita Devi", vec![]),
        (Role::Supervisor, "Meena Sharma", vec![]),
        (Role::Admin, "Rajesh Gupta", vec![]),
    ];
    ReferenceData {
        tenant: Some(Tenant {
            id: TENANT.into(),
            name: "Nabha Municipal Council".into(),
            name_hi: "नाभा नगर परिषद".into(),
            code: "NBH".into(),
        }),
        wards: vec![
            ward("W01", "Ward 1 Hira Mahal", "वार्ड 1 हीरा महल", 76.13, 30.37),
            ward("W02", "Ward 2 Bouran Gate", "वार्ड 2 बौड़ां गेट", 76.14, 30.37),
            ward("W03", "Ward 3 Patiala Gate", "वार्ड 3 पटियाला गेट", 76.13, 30.38),
        ],
        users: staff
            .into_iter()
            .map(|(role, name, wards)| User {
                id: user_id(role),
                name: name.into(),
                roles: vec![role],
                wards: wards.into_iter().map(String::from).collect(),
            })
            .collect(),
        templates: toilet_templates(),
        fee_heads: vec![
            FeeHead {
                code: "PT".into(),
                name: "Property tax".into(),
                name_hi: "संपत्ति कर".into(),
                default_amount: None,
            },
            FeeHead {
                code: "WS".into(),
                name: "Water charges".into(),
                name_hi: "जल शुल्क".into(),
                default_amount: Some(Paise(15000)),
            },
            FeeHead {
                code: "FSM".into(),
                name: "Desludging fee".into(),
                name_hi: "सेप्टिक टैंक सफाई शुल्क".into(),
                default_amount: Some(Paise(120000)),
            },
        ],
        vehicles: vec![Vehicle {
            registration_number: "PB11AB1234".into(),
            model: "Tata 407 suction".into(),
            vehicle_type: "SUCTION_TANKER".into(),
            tank_capacity_litres: 3000.0,
            suction_type: "SEWER_SUCTION_MACHINE".into(),
        }],
        fstps: vec![Fstp {
            code: "FSTP-NBH-1".into(),
            name: "Nabha FSTP".into(),
            location: GeoPoint { lat: 30.36, lon: 76.16, accuracy_m: None },
            geofence: Geofence::Radius { centre: GeoPoint { lat: 30.36, lon: 76.16, accuracy_m: None }, metres: 150.0 },
        }],
        // Devices are enrolled on a server: it lists their keys.
        crew_keys: vec![],
        operator_keys: vec![],
    }
}

/// A point inside a demo ward (`n` spreads points around).
pub fn point_in(ward: &str, n: u32) -> GeoPoint {
    let (west, south) = match ward {
        "W02" => (76.14, 30.37),
        "W03" => (76.13, 30.38),
        _ => (76.13, 30.37),
    };
    let f = f64::from(n % 97) / 100.0;
    GeoPoint { lat: south + 0.001 + 0.008 * f, lon: west + 0.009 - 0.008 * f, accuracy_m: Some(6.0) }
}

fn address(n: u32, ward: &str) -> Address {
    Address {
        door_no: Some(format!("{}", 10 + n % 300)),
        street: Some(["Bouran Gate Road", "Hira Mahal Colony", "Patiala Gate Bazaar"][n as usize % 3].into()),
        locality: Some(ward.into()),
        pincode: Some("147201".into()),
        ..Address::default()
    }
}

fn record(id: RecordId, by: Role, now: UnixMillis, ward: &str, body: Body) -> Record {
    let mut r = Record::new(id, TENANT, user_id(by), now, body);
    r.ward = Some(ward.into());
    r.assignee = Some(user_id(by));
    r
}

/// A draft public toilet inspection (template v1) in `ward`.
pub fn inspection(id: RecordId, now: UnixMillis, ward: &str, n: u32) -> Record {
    let mut answers = BTreeMap::new();
    answers.insert("water".into(), Answer::YesNo(n.is_multiple_of(2)));
    answers.insert("clean".into(), Answer::YesNo(true));
    answers.insert("seats".into(), Answer::Number(f64::from(n % 8)));
    let body = Body::Inspection(Inspection {
        template_code: "PUBLIC_TOILET".into(),
        template_version: 1,
        subject: format!("Community toilet block {n}"),
        address: address(n, ward),
        location: Some(point_in(ward, n)),
        answers,
        findings: vec![],
        photos: vec![],
    });
    record(id, Role::Inspector, now, ward, body)
}

/// An asset survey of a streetlight in `ward`.
pub fn asset_survey(id: RecordId, now: UnixMillis, ward: &str, n: u32) -> Record {
    let body = Body::AssetSurvey(AssetSurvey {
        asset_type: AssetType::Streetlight,
        asset_name: format!("Streetlight pole SL-{n:05}"),
        attributes: BTreeMap::from([("pole_height_m".to_string(), "9".to_string())]),
        location: point_in(ward, n),
        condition: Condition::Good,
        address: address(n, ward),
        photos: vec![],
    });
    record(id, Role::Surveyor, now, ward, body)
}

/// A cash receipt for water charges in `ward`.
pub fn receipt(id: RecordId, now: UnixMillis, ward: &str, n: u32) -> Record {
    let payers = ["Baldev Singh", "Kamla Devi", "Mohammad Iqbal", "सुरेश कुमार"];
    let body = Body::Receipt(Receipt {
        receipt_number: format!("NBH/2026-27/D1/{n:06}"),
        receipt_date: now,
        business_service: "WS".into(),
        bill_id: None,
        lines: vec![AmountLine { tax_head: "WS_CHARGE".into(), amount: Paise(15000 + i64::from(n % 50) * 100) }],
        payment_mode: PaymentMode::Cash,
        instrument_number: None,
        transaction_number: None,
        payer_name: payers[n as usize % payers.len()].into(),
        mobile_number: Some(format!("98{:08}", n)),
        location: Some(point_in(ward, n)),
        signature: None,
        key_id: None,
    });
    record(id, Role::Collector, now, ward, body)
}

/// A pre-pay desludging application in `ward`.
pub fn fsm_job(id: RecordId, now: UnixMillis, ward: &str, n: u32) -> Record {
    let body = Body::FsmJob(FsmJob {
        application_no: format!("FSM-NBH-{n:06}"),
        source: ApplicationSource::WalkIn,
        sanitation_type: "SEPTIC_TANK".into(),
        property_usage: "RESIDENTIAL".into(),
        application_type: ApplicationType::Adhoc,
        payment_preference: PaymentPreference::PrePay,
        no_of_trips: 1,
        vehicle_type: Some("SUCTION_TANKER".into()),
        vehicle_capacity_litres: Some(3000.0),
        applicant_name: format!("Applicant {n}"),
        mobile_number: Some(format!("97{:08}", n)),
        pit: PitDetail { length: Some(2.0), width: Some(1.5), height: Some(1.8), ..PitDetail::default() },
        address: Address { location: Some(point_in(ward, n)), ..address(n, ward) },
        advance_amount: Some(Paise(120000)),
        trip_amount: Some(Paise(120000)),
        possible_service_date: None,
        dso: None,
        vehicle: None,
    });
    record(id, Role::Supervisor, now, ward, body)
}

/// A trip for an application, picked up but not yet disposed.
pub fn trip(id: RecordId, now: UnixMillis, ward: &str, n: u32) -> Record {
    let body = Body::Trip(Trip {
        application_no: format!("FSM-NBH-{n:06}"),
        vehicle: "PB11AB1234".into(),
        driver: "Gurpreet Singh".into(),
        fstp_code: Some("FSTP-NBH-1".into()),
        pickup: Some(TripStep {
            at: now,
            location: Some(point_in(ward, n)),
            volume_litres: Some(2500.0),
            photos: vec![],
            geofence: None,
        }),
        disposal: None,
        custody: None,
    });
    record(id, Role::SanitationCrew, now, ward, body)
}

/// The `n`th record of a realistic mix: mostly inspections and receipts.
pub fn mixed(id: RecordId, now: UnixMillis, n: u32) -> Record {
    let ward = ["W01", "W02", "W03"][n as usize % 3];
    match n % 10 {
        0..=3 => inspection(id, now, ward, n),
        4..=6 => receipt(id, now, ward, n),
        7 => asset_survey(id, now, ward, n),
        8 => fsm_job(id, now, ward, n),
        _ => trip(id, now, ward, n),
    }
}
