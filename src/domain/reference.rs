//! Reference data a device needs offline: the town, its wards, its staff, checklist templates,
//! fee heads, vehicles and treatment plants. It arrives from the server and changes rarely, so
//! it is plain data (JSON in the store), not Automerge documents.

use serde::{Deserialize, Serialize};

use super::{GeoPoint, Paise, Role};
use crate::ids::{TenantId, UserId, WardCode};

/// A town (ULB).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub name_hi: String,
    /// Short code printed on receipts, e.g. `ASR`.
    pub code: String,
}

/// A ward with its boundary: one closed ring of `[lon, lat]` points (GeoJSON order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Ward {
    pub code: WardCode,
    pub name: String,
    pub name_hi: String,
    pub boundary: Vec<[f64; 2]>,
}

/// A member of staff and where they work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub roles: Vec<Role>,
    /// Wards this user works in; empty means the whole town.
    pub wards: Vec<WardCode>,
}

string_enum!(
    /// The type of answer a checklist question takes.
    AnswerType {
        YesNo => "yes_no",
        Number => "number",
        Text => "text",
        SingleChoice => "single_choice",
        MultiChoice => "multi_choice",
        Photo => "photo",
    }
);

/// One allowed choice of a choice question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ChoiceOption {
    pub code: String,
    pub label: String,
    pub label_hi: String,
    /// Points this choice earns towards the score.
    pub points: u32,
}

/// One checklist question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub text_hi: String,
    pub answer_type: AnswerType,
    #[serde(default)]
    pub options: Vec<ChoiceOption>,
    pub required: bool,
    /// Points a "yes" earns (yes/no questions).
    #[serde(default)]
    pub weight: u32,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
}

/// A versioned checklist. An inspection names the code and the version it was filled from;
/// a new version never changes how an old inspection reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ChecklistTemplate {
    pub code: String,
    pub version: u32,
    pub title: String,
    pub title_hi: String,
    pub questions: Vec<Question>,
}

impl ChecklistTemplate {
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
}

/// A head of account the town collects for (DIGIT `businessService`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct FeeHead {
    pub code: String,
    pub name: String,
    pub name_hi: String,
    pub default_amount: Option<Paise>,
}

/// A desludging vehicle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Vehicle {
    pub registration_number: String,
    pub model: String,
    pub vehicle_type: String,
    pub tank_capacity_litres: f64,
    pub suction_type: String,
}

/// Where a plant accepts sludge: a radius around a point, or a polygon (`[lon, lat]` ring).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Geofence {
    Radius { centre: GeoPoint, metres: f64 },
    Polygon { ring: Vec<[f64; 2]> },
}

/// A faecal sludge treatment plant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Fstp {
    pub code: String,
    pub name: String,
    pub location: GeoPoint,
    pub geofence: Geofence,
}

/// The public signing key of one of the town's devices, as the server lists it for the plant
/// gate: a phone checks the other phone's signature with no network. Nothing secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceKeyRef {
    /// The first 4 bytes of the key's SHA-256, hex (what a signed code names).
    pub key_id: String,
    /// ed25519, base64url without padding.
    pub public_key: String,
}

/// Everything a device knows about its town, kept together.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferenceData {
    pub tenant: Option<Tenant>,
    pub wards: Vec<Ward>,
    pub users: Vec<User>,
    pub templates: Vec<ChecklistTemplate>,
    pub fee_heads: Vec<FeeHead>,
    pub vehicles: Vec<Vehicle>,
    pub fstps: Vec<Fstp>,
    /// Keys of the devices of sanitation crew members (whose handovers an operator checks).
    #[serde(default)]
    pub crew_keys: Vec<DeviceKeyRef>,
    /// Keys of the devices of plant operators (whose countersignatures a crew checks).
    #[serde(default)]
    pub operator_keys: Vec<DeviceKeyRef>,
}

impl ReferenceData {
    /// The template an inspection was filled from, or `UnknownTemplate`.
    pub fn template(&self, code: &str, version: u32) -> crate::Result<&ChecklistTemplate> {
        self.templates
            .iter()
            .find(|t| t.code == code && t.version == version)
            .ok_or_else(|| crate::Error::UnknownTemplate { code: code.to_string(), version })
    }

    /// The newest version of a template, for a new inspection.
    pub fn latest_template(&self, code: &str) -> Option<&ChecklistTemplate> {
        self.templates.iter().filter(|t| t.code == code).max_by_key(|t| t.version)
    }

    pub fn user(&self, id: UserId) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The crew devices' keys with this key id (ids are short: more than one may share one).
    pub fn crew_keys(&self, key_id: &str) -> Vec<crate::keys::PublicKey> {
        keys_with(&self.crew_keys, key_id)
    }

    /// The plant operator devices' keys with this key id.
    pub fn operator_keys(&self, key_id: &str) -> Vec<crate::keys::PublicKey> {
        keys_with(&self.operator_keys, key_id)
    }
}

fn keys_with(keys: &[DeviceKeyRef], key_id: &str) -> Vec<crate::keys::PublicKey> {
    keys.iter().filter(|k| k.key_id == key_id).filter_map(|k| crate::keys::decode_public_key(&k.public_key)).collect()
}
