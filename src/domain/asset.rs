//! A geo-tagged survey of a municipal asset (DIGIT Asset: assetName, classification, location).

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};

use super::validate::Checker;
use super::{Address, GeoPoint, PhotoRef};

string_enum!(
    /// What kind of asset was surveyed.
    AssetType {
        Streetlight => "STREETLIGHT",
        PublicToilet => "PUBLIC_TOILET",
        Drain => "DRAIN",
        SepticTank => "SEPTIC_TANK",
        Bin => "BIN",
        WaterConnection => "WATER_CONNECTION",
        Property => "PROPERTY",
    }
);

string_enum!(
    /// The state the surveyor found the asset in.
    Condition {
        Good => "GOOD",
        Fair => "FAIR",
        Poor => "POOR",
        NonFunctional => "NON_FUNCTIONAL",
    }
);

/// One surveyed asset.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct AssetSurvey {
    pub asset_type: AssetType,
    pub asset_name: String,
    /// Type-specific attributes (pole height, seats, connection size...), keyed by name.
    pub attributes: BTreeMap<String, String>,
    pub location: GeoPoint,
    pub condition: Condition,
    pub address: Address,
    pub photos: Vec<PhotoRef>,
}

impl AssetSurvey {
    pub(crate) fn check(&self, c: &mut Checker) {
        c.required_text("asset_name", &self.asset_name);
        c.geo_point("location", &self.location);
        if self.location.accuracy_m.is_none() {
            c.error("location.accuracy_m", "required", "a survey must record the GPS accuracy");
        }
    }
}
