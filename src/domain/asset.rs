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
    /// The asset's name and place. A place picked on the map or typed has no accuracy: it is
    /// kept, and warned about (`geo::GeoWarning::AccuracyMissing`), never refused.
    pub(crate) fn check(&self, c: &mut Checker) {
        Self::check_fields(c, Some(self.asset_type), &self.asset_name, Some(self.condition), Some(&self.location));
    }

    /// The survey's own fields as a form gives them, every problem at once: a type, a name, a
    /// condition, and a place on the globe (required: picked on the map, typed, or from GPS).
    pub fn check_fields(
        c: &mut Checker,
        asset_type: Option<AssetType>,
        asset_name: &str,
        condition: Option<Condition>,
        location: Option<&GeoPoint>,
    ) {
        if asset_type.is_none() {
            c.error("asset_type", "required", "choose what kind of asset it is");
        }
        c.required_text("asset_name", asset_name);
        if condition.is_none() {
            c.error("condition", "required", "choose the asset's condition");
        }
        match location {
            Some(p) => c.geo_point("location", p),
            None => c.error("location", "required", "pick the asset's place"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn survey(lat: f64, lon: f64, accuracy_m: Option<f64>) -> AssetSurvey {
        let location = GeoPoint { lat, lon, accuracy_m };
        AssetSurvey {
            asset_type: AssetType::Streetlight,
            asset_name: "SL-115".into(),
            attributes: BTreeMap::new(),
            location: location.clone(),
            condition: Condition::Poor,
            address: Address { location: Some(location), ..Address::default() },
            photos: vec![],
        }
    }

    fn errors(s: &AssetSurvey) -> Vec<(String, String)> {
        let mut c = Checker::new();
        s.check(&mut c);
        match c.finish() {
            Ok(()) => vec![],
            Err(Error::Invalid(e)) => e.0.into_iter().map(|e| (e.field, e.code)).collect(),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn a_place_picked_on_the_map_without_accuracy_is_a_valid_survey() {
        assert_eq!(errors(&survey(30.375, 76.145, None)), vec![]);
        assert_eq!(errors(&survey(30.375, 76.145, Some(6.0))), vec![]);
        let warned = crate::geo::check_fix(&survey(30.375, 76.145, None).location, &crate::geo::GeoRules::default());
        assert_eq!(warned, vec![crate::geo::GeoWarning::AccuracyMissing]);
    }

    #[test]
    fn an_empty_survey_form_names_every_missing_field_at_once() {
        let mut c = Checker::new();
        AssetSurvey::check_fields(&mut c, None, " ", None, None);
        let fields: Vec<_> = c.into_errors().0.into_iter().map(|e| (e.field, e.code)).collect();
        let expected = [
            ("asset_type", "required"),
            ("asset_name", "required"),
            ("condition", "required"),
            ("location", "required"),
        ];
        assert_eq!(fields, expected.map(|(f, c)| (f.to_string(), c.to_string())));
        let mut c = Checker::new();
        let off = GeoPoint { lat: 95.0, lon: 76.0, accuracy_m: None };
        AssetSurvey::check_fields(&mut c, Some(AssetType::Drain), "", Some(Condition::Good), Some(&off));
        assert_eq!(c.into_errors().fields(), ["asset_name", "location.lat"]);
    }

    #[test]
    fn a_typed_place_off_the_globe_is_still_refused_by_axis() {
        let e = errors(&survey(91.0, 181.0, None));
        assert_eq!(
            e,
            vec![
                ("location.lat".to_string(), "out_of_range".to_string()),
                ("location.lon".to_string(), "out_of_range".to_string())
            ]
        );
        assert_eq!(errors(&survey(30.0, 76.0, Some(-2.0))), vec![("location.accuracy_m".into(), "negative".into())]);
    }
}
