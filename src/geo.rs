//! Offline geo checks over a record's GPS fixes and the town's synced reference data: which
//! ward a point is in, whether a fix is precise enough, whether an inspection was made near its
//! asset, which surveyed assets may be the same one twice, and whether sludge was dumped inside
//! a treatment plant's geofence.
//!
//! Everything here is a pure function: no I/O, no clock. Points are [`GeoPoint`]s (`lat`,
//! `lon` in degrees, WGS 84); rings from the reference data are `[lon, lat]` (GeoJSON order).
//! Distances are great-circle distances in metres on a sphere of the Earth's mean radius
//! ([`distance_m`], the haversine formula): within a town the difference from the ellipsoid
//! is a fraction of a percent, far below a phone's GPS error.
//!
//! Nothing here refuses a record: the checks return warnings and flags a caller stores with
//! the record and shows to the person who reviews it. Coordinates are expected to have passed
//! [`Checker::geo_point`](crate::domain::validate::Checker::geo_point); a point with a
//! non-finite coordinate is in no ward, inside no geofence and "far" from everything.

use ::geo::coordinate_position::CoordPos;
use ::geo::{Closest, CoordinatePosition, Distance, Haversine, HaversineClosestPoint, LineString, Point, Polygon};

use crate::domain::GeoPoint;
use crate::domain::asset::AssetType;
use crate::domain::reference::{Geofence, ReferenceData};
use crate::ids::{RecordId, WardCode};

/// The thresholds of the geo checks, in metres.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GeoRules {
    /// A fix whose reported accuracy radius is larger than this is warned about.
    pub max_accuracy_m: f64,
    /// An inspection recorded farther than this from its asset is warned about.
    pub max_inspection_distance_m: f64,
    /// An asset of the same type surveyed within this distance may be a duplicate.
    pub duplicate_asset_radius_m: f64,
}

impl Default for GeoRules {
    fn default() -> Self {
        GeoRules { max_accuracy_m: 30.0, max_inspection_distance_m: 50.0, duplicate_asset_radius_m: 5.0 }
    }
}

/// Something about a fix a reviewer should know. Warned, never refused.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum GeoWarning {
    /// The receiver reported no accuracy, so nobody knows how good the fix is.
    AccuracyMissing,
    /// The reported accuracy radius is larger than [`GeoRules::max_accuracy_m`].
    PoorAccuracy { accuracy_m: f64 },
    /// The inspection was recorded `metres` from its asset, more than
    /// [`GeoRules::max_inspection_distance_m`].
    FarFromAsset { metres: f64 },
}

impl GeoWarning {
    /// Stable machine-readable code; the UI translates by it.
    pub fn code(&self) -> &'static str {
        match self {
            GeoWarning::AccuracyMissing => "accuracy_missing",
            GeoWarning::PoorAccuracy { .. } => "poor_accuracy",
            GeoWarning::FarFromAsset { .. } => "far_from_asset",
        }
    }
}

/// The great-circle (haversine) distance between two fixes, in metres.
pub fn distance_m(a: &GeoPoint, b: &GeoPoint) -> f64 {
    Haversine.distance(point(a), point(b))
}

fn point(p: &GeoPoint) -> Point<f64> {
    Point::new(p.lon, p.lat)
}

/// `value` is over `limit`, or either is NaN (unknown counts as over: warn rather than stay
/// silent).
fn exceeds(value: f64, limit: f64) -> bool {
    !matches!(value.partial_cmp(&limit), Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal))
}

fn finite(p: &GeoPoint) -> bool {
    p.lat.is_finite() && p.lon.is_finite()
}

/// A `[lon, lat]` ring as a polygon, or `None` when it cannot enclose anything (fewer than
/// three points, or a non-finite coordinate). An unclosed ring is closed.
fn polygon(ring: &[[f64; 2]]) -> Option<Polygon<f64>> {
    if ring.len() < 3 || ring.iter().flatten().any(|v| !v.is_finite()) {
        return None;
    }
    let exterior: LineString<f64> = ring.iter().map(|&[lon, lat]| (lon, lat)).collect();
    Some(Polygon::new(exterior, vec![]))
}

// ---------------------------------------------------------------------------------------------
// Wards

/// Which ward a point falls in.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WardAssignment {
    /// The ward the record belongs to; `None` when the point is outside every ward (outside the
    /// town, or in a gap between ward boundaries).
    pub ward: Option<WardCode>,
    /// The point lies on the boundary of the chosen ward, not strictly inside it.
    pub on_boundary: bool,
    /// Every ward whose closed boundary (interior or edge) holds the point, by code. More than
    /// one means the point is on a shared edge or corner, or the boundaries overlap.
    pub candidates: Vec<WardCode>,
}

/// The ward of a point, by point-in-polygon over the town's synced ward boundaries.
///
/// Boundary rule: a ward's boundary belongs to it (the polygon is closed), so a point on the
/// edge two wards share, or on a corner three share, is in all of them. Exactly one is chosen,
/// the same on every device:
///
/// 1. a ward that holds the point strictly inside wins (this only matters where boundaries
///    overlap);
/// 2. otherwise the lowest ward code among the wards whose edge the point is on.
///
/// A point outside every ward gets `None`. Wards whose boundary has fewer than three points are
/// skipped.
pub fn assign_ward(refs: &ReferenceData, at: &GeoPoint) -> WardAssignment {
    let mut inside: Vec<&WardCode> = Vec::new();
    let mut edge: Vec<&WardCode> = Vec::new();
    if finite(at) {
        let coord = point(at).0;
        for ward in &refs.wards {
            let Some(poly) = polygon(&ward.boundary) else { continue };
            match poly.coordinate_position(&coord) {
                CoordPos::Inside => inside.push(&ward.code),
                CoordPos::OnBoundary => edge.push(&ward.code),
                CoordPos::Outside => {}
            }
        }
    }
    inside.sort();
    edge.sort();
    let (ward, on_boundary) = match (inside.first(), edge.first()) {
        (Some(w), _) => (Some((*w).clone()), false),
        (None, Some(w)) => (Some((*w).clone()), true),
        (None, None) => (None, false),
    };
    let mut candidates: Vec<WardCode> = inside.into_iter().chain(edge).cloned().collect();
    candidates.sort();
    candidates.dedup();
    WardAssignment { ward, on_boundary, candidates }
}

impl DisposalCheck {
    /// The check as a trip keeps it ([`crate::domain::fsm::GeofenceCheck`]): metres rounded,
    /// `-1` when the town has no usable fence.
    pub fn as_kept(&self) -> crate::domain::fsm::GeofenceCheck {
        crate::domain::fsm::GeofenceCheck {
            fstp: self.fstp.clone(),
            inside: self.inside,
            distance_m: if self.distance_to_nearest_m.is_finite() { self.distance_to_nearest_m.round() } else { -1.0 },
        }
    }
}

/// Gives a record without a ward the ward of its place, if it has one inside a ward. The device
/// does this when a record is created; the server does it to every record it judges, so a
/// record that names no ward is still held to the wards of the user who sends it.
pub fn place(refs: &ReferenceData, record: &mut crate::domain::Record) {
    if record.ward.is_none()
        && let Some(point) = record.location()
    {
        record.ward = assign_ward(refs, point).ward;
    }
}

// ---------------------------------------------------------------------------------------------
// Fixes, inspections, duplicates

/// Warnings about one GPS fix: its accuracy is missing, or its radius is larger than
/// [`GeoRules::max_accuracy_m`] (a radius exactly at the threshold is fine).
pub fn check_fix(fix: &GeoPoint, rules: &GeoRules) -> Vec<GeoWarning> {
    match fix.accuracy_m {
        None => vec![GeoWarning::AccuracyMissing],
        Some(a) if exceeds(a, rules.max_accuracy_m) => vec![GeoWarning::PoorAccuracy { accuracy_m: a }],
        Some(_) => vec![],
    }
}

/// A warning when an inspection was recorded farther than
/// [`GeoRules::max_inspection_distance_m`] from the asset it inspects (exactly at the limit is
/// fine). An unknown (non-finite) distance is warned about too.
pub fn inspection_too_far(inspection: &GeoPoint, asset: &GeoPoint, rules: &GeoRules) -> Option<GeoWarning> {
    let metres = distance_m(inspection, asset);
    exceeds(metres, rules.max_inspection_distance_m).then_some(GeoWarning::FarFromAsset { metres })
}

/// Already-surveyed assets that may be the one being surveyed now: the same type, within
/// [`GeoRules::duplicate_asset_radius_m`] (inclusive). Nearest first, then by id.
pub fn possible_duplicates(
    asset_type: AssetType,
    at: &GeoPoint,
    existing: &[(RecordId, AssetType, GeoPoint)],
    rules: &GeoRules,
) -> Vec<(RecordId, f64)> {
    let mut found: Vec<(RecordId, f64)> = existing
        .iter()
        .filter(|(_, t, _)| *t == asset_type)
        .map(|(id, _, p)| (*id, distance_m(at, p)))
        .filter(|(_, metres)| *metres <= rules.duplicate_asset_radius_m)
        .collect();
    found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    found
}

// ---------------------------------------------------------------------------------------------
// FSTP geofences

/// Where a disposal happened relative to the town's treatment plants.
#[derive(Clone, Debug, PartialEq)]
pub struct DisposalCheck {
    /// The plant whose geofence holds the point (the lowest code if several do); when none
    /// does, the plant whose geofence is nearest. `None` only when the town has no plant with a
    /// usable geofence.
    pub fstp: Option<String>,
    /// The point is inside that plant's geofence (its edge counts as inside).
    pub inside: bool,
    /// Metres from the point to the nearest geofence's edge: `0.0` inside,
    /// `f64::INFINITY` when there is no usable geofence.
    pub distance_to_nearest_m: f64,
}

impl DisposalCheck {
    /// A disposal outside every FSTP geofence: possible illegal dumping. The caller stores
    /// this flag with the trip; it does not stop the trip.
    pub fn possible_illegal_dumping(&self) -> bool {
        !self.inside
    }
}

/// Metres from `at` to the geofence (`0.0` inside or on its edge), or `None` when the geofence
/// cannot hold anything (negative or non-finite radius, ring of fewer than three points).
fn distance_to_geofence(fence: &Geofence, at: &GeoPoint) -> Option<f64> {
    match fence {
        Geofence::Radius { centre, metres } => {
            if !(metres.is_finite() && *metres >= 0.0 && finite(centre)) {
                return None;
            }
            let d = distance_m(at, centre);
            // The circle is closed: exactly `metres` away is on the edge, so inside.
            Some(if d <= *metres { 0.0 } else { d - metres })
        }
        Geofence::Polygon { ring } => {
            let poly = polygon(ring)?;
            let p = point(at);
            match poly.coordinate_position(&p.0) {
                CoordPos::Inside | CoordPos::OnBoundary => Some(0.0),
                CoordPos::Outside => match poly.exterior().haversine_closest_point(&p) {
                    Closest::SinglePoint(q) | Closest::Intersection(q) => Some(Haversine.distance(p, q)),
                    Closest::Indeterminate => None,
                },
            }
        }
    }
}

/// Which plant a disposal was made at. A point on a geofence's edge (a polygon's ring, or
/// exactly the radius from the centre) counts as inside. A non-finite point is inside nothing.
pub fn disposal_site(refs: &ReferenceData, at: &GeoPoint) -> DisposalCheck {
    let mut best: Option<(f64, &str)> = None;
    if finite(at) {
        for fstp in &refs.fstps {
            let Some(d) = distance_to_geofence(&fstp.geofence, at) else { continue };
            if d.is_nan() {
                continue;
            }
            let better = match best {
                None => true,
                Some((bd, bcode)) => d < bd || (d == bd && fstp.code.as_str() < bcode),
            };
            if better {
                best = Some((d, &fstp.code));
            }
        }
    }
    match best {
        Some((d, code)) => DisposalCheck { fstp: Some(code.to_string()), inside: d == 0.0, distance_to_nearest_m: d },
        None => DisposalCheck { fstp: None, inside: false, distance_to_nearest_m: f64::INFINITY },
    }
}

#[cfg(test)]
mod tests {
    use ::geo::Destination;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::demo;
    use crate::domain::reference::Fstp;

    fn at(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint { lat, lon, accuracy_m: Some(5.0) }
    }

    /// The point `metres` from `from` on `bearing` (degrees), on the same sphere as `distance_m`.
    fn offset(from: &GeoPoint, bearing: f64, metres: f64) -> GeoPoint {
        let p = Haversine.destination(point(from), bearing, metres);
        GeoPoint { lat: p.y(), lon: p.x(), accuracy_m: from.accuracy_m }
    }

    fn ward_of(p: &GeoPoint) -> Option<String> {
        assign_ward(&demo::reference(), p).ward
    }

    /// The demo town plus a second plant fenced by a polygon (a five-sided yard south-east of
    /// the first plant, along the Bhadson road).
    fn town_with_polygon_fstp() -> ReferenceData {
        let mut refs = demo::reference();
        refs.fstps.push(Fstp {
            code: "FSTP-NBH-2".into(),
            name: "Nabha FSTP (Bhadson Road)".into(),
            location: at(30.351, 76.171),
            geofence: Geofence::Polygon {
                ring: vec![
                    [76.170, 30.350],
                    [76.172, 30.350],
                    [76.172, 30.352],
                    [76.171, 30.353],
                    [76.170, 30.352],
                    [76.170, 30.350],
                ],
            },
        });
        refs
    }

    // --- wards -------------------------------------------------------------------------------

    #[test]
    fn a_point_strictly_inside_a_ward_gets_that_ward() {
        for code in ["W01", "W02", "W03"] {
            for n in [0, 13, 50, 96] {
                let a = assign_ward(&demo::reference(), &demo::point_in(code, n));
                assert_eq!(a.ward.as_deref(), Some(code), "point_in({code}, {n})");
                assert!(!a.on_boundary);
                assert_eq!(a.candidates, vec![code.to_string()]);
            }
        }
        assert_eq!(ward_of(&at(30.375, 76.135)).as_deref(), Some("W01"));
        assert_eq!(ward_of(&at(30.375, 76.145)).as_deref(), Some("W02"));
        assert_eq!(ward_of(&at(30.385, 76.135)).as_deref(), Some("W03"));
    }

    #[test]
    fn a_point_on_the_edge_w01_and_w02_share_gets_the_lowest_code_and_says_so() {
        // W01's east edge and W02's west edge are both lon 76.14.
        let a = assign_ward(&demo::reference(), &at(30.375, 76.14));
        assert_eq!(a.ward.as_deref(), Some("W01"));
        assert!(a.on_boundary);
        assert_eq!(a.candidates, vec!["W01".to_string(), "W02".to_string()]);
    }

    #[test]
    fn the_edge_rule_does_not_depend_on_the_order_wards_were_synced_in() {
        let mut refs = demo::reference();
        refs.wards.reverse();
        let a = assign_ward(&refs, &at(30.375, 76.14));
        assert_eq!(a.ward.as_deref(), Some("W01"));
        assert_eq!(a.candidates, vec!["W01".to_string(), "W02".to_string()]);
    }

    #[test]
    fn a_point_on_the_corner_three_wards_share_gets_the_lowest_code() {
        let a = assign_ward(&demo::reference(), &at(30.38, 76.14));
        assert_eq!(a.ward.as_deref(), Some("W01"));
        assert!(a.on_boundary);
        assert_eq!(a.candidates, vec!["W01".to_string(), "W02".to_string(), "W03".to_string()]);
    }

    #[test]
    fn a_ward_holding_the_point_inside_beats_one_it_only_touches() {
        // An overlapping ward W00 whose edge runs through W02's interior: W02 wins, though W00
        // has the lower code.
        let mut refs = demo::reference();
        refs.wards.push(crate::domain::reference::Ward {
            code: "W00".into(),
            name: "Overlap".into(),
            name_hi: "Overlap".into(),
            boundary: vec![[76.145, 30.37], [76.16, 30.37], [76.16, 30.38], [76.145, 30.38], [76.145, 30.37]],
        });
        let a = assign_ward(&refs, &at(30.375, 76.145));
        assert_eq!(a.ward.as_deref(), Some("W02"));
        assert!(!a.on_boundary);
        assert_eq!(a.candidates, vec!["W00".to_string(), "W02".to_string()]);
    }

    #[test]
    fn a_point_outside_every_ward_is_outside_the_town() {
        for p in [
            at(30.375, 76.1299), // 10 m west of W01
            at(30.3699, 76.145), // just south of W02
            at(30.3901, 76.135), // just north of W03
            at(30.385, 76.145),  // the empty quarter north of W02, east of W03
            at(30.36, 76.16),    // the FSTP, outside the town
        ] {
            let a = assign_ward(&demo::reference(), &p);
            assert_eq!(a, WardAssignment { ward: None, on_boundary: false, candidates: vec![] }, "{p:?}");
        }
    }

    #[test]
    fn no_wards_bad_boundaries_or_bad_points_give_no_ward() {
        assert_eq!(assign_ward(&ReferenceData::default(), &at(30.375, 76.135)).ward, None);
        let mut refs = demo::reference();
        for w in &mut refs.wards {
            w.boundary.truncate(2);
        }
        assert_eq!(assign_ward(&refs, &at(30.375, 76.135)).ward, None);
        assert_eq!(ward_of(&at(f64::NAN, 76.135)), None);
    }

    #[test]
    fn an_unclosed_ring_is_closed() {
        let mut refs = demo::reference();
        for w in &mut refs.wards {
            w.boundary.pop();
        }
        assert_eq!(assign_ward(&refs, &at(30.375, 76.135)).ward.as_deref(), Some("W01"));
        assert_eq!(assign_ward(&refs, &at(30.375, 76.13)).ward.as_deref(), Some("W01"));
    }

    #[test]
    fn random_points_in_the_towns_bounding_box_get_the_ward_whose_rectangle_holds_them() {
        let refs = demo::reference();
        // Each demo ward is an axis-aligned rectangle: its [west, east] x [south, north].
        let rects: Vec<(&str, [f64; 4])> = refs
            .wards
            .iter()
            .map(|w| {
                let lons = w.boundary.iter().map(|c| c[0]);
                let lats = w.boundary.iter().map(|c| c[1]);
                let bounds = [
                    lons.clone().fold(f64::INFINITY, f64::min),
                    lons.fold(f64::NEG_INFINITY, f64::max),
                    lats.clone().fold(f64::INFINITY, f64::min),
                    lats.fold(f64::NEG_INFINITY, f64::max),
                ];
                (w.code.as_str(), bounds)
            })
            .collect();
        let (west, east) = (76.13, 76.15);
        let (south, north) = (30.37, 30.39);
        let mut rng = StdRng::seed_from_u64(0x0A11_BA5E);
        let mut counts = std::collections::BTreeMap::<Option<String>, u32>::new();
        for _ in 0..5000 {
            let p = at(rng.random_range(south..north), rng.random_range(west..east));
            let expected = rects
                .iter()
                .filter(|(_, [w, e, s, n])| (*w..=*e).contains(&p.lon) && (*s..=*n).contains(&p.lat))
                .map(|(code, _)| code.to_string())
                .min();
            let got = assign_ward(&refs, &p).ward;
            assert_eq!(got, expected, "{p:?}");
            *counts.entry(got).or_default() += 1;
        }
        // Every ward and the empty quarter were hit.
        assert_eq!(counts.len(), 4, "{counts:?}");
    }

    // --- fixes, inspections, duplicates ------------------------------------------------------

    #[test]
    fn default_rules_are_30_m_accuracy_50_m_from_the_asset_5_m_for_duplicates() {
        let r = GeoRules::default();
        assert_eq!((r.max_accuracy_m, r.max_inspection_distance_m, r.duplicate_asset_radius_m), (30.0, 50.0, 5.0));
    }

    #[test]
    fn a_fix_is_warned_about_when_its_accuracy_is_missing_or_worse_than_the_threshold() {
        let rules = GeoRules::default();
        let fix = |accuracy_m| GeoPoint { lat: 30.375, lon: 76.135, accuracy_m };
        assert_eq!(check_fix(&fix(Some(6.0)), &rules), vec![]);
        assert_eq!(check_fix(&fix(Some(30.0)), &rules), vec![], "exactly at the threshold is fine");
        assert_eq!(check_fix(&fix(Some(30.5)), &rules), vec![GeoWarning::PoorAccuracy { accuracy_m: 30.5 }]);
        assert_eq!(check_fix(&fix(None), &rules), vec![GeoWarning::AccuracyMissing]);
        assert_eq!(check_fix(&fix(Some(f64::NAN)), &rules).len(), 1);
        let strict = GeoRules { max_accuracy_m: 5.0, ..GeoRules::default() };
        assert_eq!(check_fix(&fix(Some(6.0)), &strict), vec![GeoWarning::PoorAccuracy { accuracy_m: 6.0 }]);
    }

    #[test]
    fn an_inspection_40_m_from_its_asset_is_fine_and_60_m_is_warned() {
        let rules = GeoRules::default();
        let toilet = demo::point_in("W02", 7);
        assert_eq!(inspection_too_far(&offset(&toilet, 30.0, 40.0), &toilet, &rules), None);
        assert_eq!(inspection_too_far(&toilet, &toilet, &rules), None);
        match inspection_too_far(&offset(&toilet, 210.0, 60.0), &toilet, &rules) {
            Some(GeoWarning::FarFromAsset { metres }) => assert!((metres - 60.0).abs() < 0.01, "{metres}"),
            other => panic!("expected FarFromAsset, got {other:?}"),
        }
    }

    #[test]
    fn distances_are_haversine_metres() {
        // 0.001° of latitude is about 111.2 m anywhere; 0.001° of longitude at Nabha's 30.37° N
        // is about 96.0 m.
        let a = at(30.375, 76.135);
        assert!((distance_m(&a, &at(30.376, 76.135)) - 111.19).abs() < 0.01);
        assert!((distance_m(&a, &at(30.375, 76.136)) - 95.94).abs() < 0.01);
        assert_eq!(distance_m(&a, &a), 0.0);
    }

    #[test]
    fn an_asset_of_the_same_type_3_m_away_is_a_possible_duplicate_and_8_m_is_not() {
        let rules = GeoRules::default();
        let here = demo::point_in("W01", 3);
        let (near, far, other_type, nearer) = (RecordId::new(), RecordId::new(), RecordId::new(), RecordId::new());
        let existing = vec![
            (near, AssetType::Streetlight, offset(&here, 90.0, 3.0)),
            (far, AssetType::Streetlight, offset(&here, 180.0, 8.0)),
            (other_type, AssetType::Bin, offset(&here, 0.0, 1.0)),
            (nearer, AssetType::Streetlight, offset(&here, 270.0, 1.5)),
        ];
        let found = possible_duplicates(AssetType::Streetlight, &here, &existing, &rules);
        let ids: Vec<RecordId> = found.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, vec![nearer, near], "nearest first; other types and 8 m away left out");
        assert!((found[0].1 - 1.5).abs() < 0.01 && (found[1].1 - 3.0).abs() < 0.01, "{found:?}");
        assert_eq!(possible_duplicates(AssetType::Drain, &here, &existing, &rules), vec![]);
        let wide = GeoRules { duplicate_asset_radius_m: 10.0, ..rules };
        assert_eq!(possible_duplicates(AssetType::Streetlight, &here, &existing, &wide).len(), 3);
    }

    #[test]
    fn warnings_serialize_with_their_code() {
        let w = GeoWarning::FarFromAsset { metres: 61.5 };
        assert_eq!(w.code(), "far_from_asset");
        assert_eq!(serde_json::to_value(&w).unwrap(), serde_json::json!({"code": "far_from_asset", "metres": 61.5}));
        assert_eq!(
            serde_json::to_value(GeoWarning::AccuracyMissing).unwrap(),
            serde_json::json!({"code": "accuracy_missing"})
        );
        for w in [GeoWarning::AccuracyMissing, GeoWarning::PoorAccuracy { accuracy_m: 40.0 }, w] {
            let json = serde_json::to_value(&w).unwrap();
            assert_eq!(json["code"], w.code());
            assert_eq!(serde_json::from_value::<GeoWarning>(json).unwrap(), w);
        }
    }

    // --- FSTP geofences ----------------------------------------------------------------------

    const PLANT: (f64, f64) = (30.36, 76.16); // FSTP-NBH-1, radius 150 m

    #[test]
    fn a_disposal_149_m_from_the_plant_is_inside_its_150_m_radius_and_151_m_is_not() {
        let refs = demo::reference();
        let centre = at(PLANT.0, PLANT.1);
        for bearing in [0.0, 45.0, 135.0, 270.0] {
            let p149 = offset(&centre, bearing, 149.0);
            let p151 = offset(&centre, bearing, 151.0);
            assert!((distance_m(&centre, &p149) - 149.0).abs() < 1e-6);
            let inside = disposal_site(&refs, &p149);
            assert_eq!(
                inside,
                DisposalCheck { fstp: Some("FSTP-NBH-1".into()), inside: true, distance_to_nearest_m: 0.0 }
            );
            assert!(!inside.possible_illegal_dumping());
            let outside = disposal_site(&refs, &p151);
            assert_eq!(outside.fstp.as_deref(), Some("FSTP-NBH-1"), "the nearest plant is named");
            assert!(!outside.inside && outside.possible_illegal_dumping());
            assert!((outside.distance_to_nearest_m - 1.0).abs() < 1e-6, "{outside:?}");
        }
        assert!(disposal_site(&refs, &centre).inside);
    }

    #[test]
    fn a_disposal_exactly_on_the_radius_counts_as_inside() {
        let mut refs = demo::reference();
        let centre = at(PLANT.0, PLANT.1);
        let gate = offset(&centre, 100.0, 150.0);
        // The radius is exactly the distance to the gate, as the same function measures it.
        refs.fstps[0].geofence = Geofence::Radius { centre: centre.clone(), metres: distance_m(&centre, &gate) };
        let check = disposal_site(&refs, &gate);
        assert!(check.inside, "{check:?}");
        assert_eq!(check.distance_to_nearest_m, 0.0);
    }

    #[test]
    fn a_disposal_inside_on_or_outside_a_polygon_geofence() {
        let refs = town_with_polygon_fstp();
        let check = |lat, lon| disposal_site(&refs, &at(lat, lon));
        let named = |c: &DisposalCheck| c.fstp.clone().unwrap_or_default();

        let inside = check(30.351, 76.171);
        assert_eq!((named(&inside).as_str(), inside.inside, inside.distance_to_nearest_m), ("FSTP-NBH-2", true, 0.0));
        // On an edge, and on a vertex: inside.
        for (lat, lon) in [(30.350, 76.171), (30.351, 76.170), (30.352, 76.172), (30.353, 76.171)] {
            let c = check(lat, lon);
            assert!(c.inside && named(&c) == "FSTP-NBH-2", "({lat}, {lon}): {c:?}");
        }
        // Just outside the south edge: about 11 m (0.0001° of latitude).
        let south = check(30.3499, 76.171);
        assert!(!south.inside && south.possible_illegal_dumping());
        assert_eq!(named(&south), "FSTP-NBH-2");
        assert!((south.distance_to_nearest_m - 11.12).abs() < 0.05, "{south:?}");
        // Outside the sloping north-east edge, near its middle.
        let ne = check(30.3526, 76.1716);
        assert!(!ne.inside && ne.distance_to_nearest_m > 5.0 && ne.distance_to_nearest_m < 20.0, "{ne:?}");
    }

    #[test]
    fn a_disposal_far_from_every_plant_is_possible_illegal_dumping_near_the_nearest() {
        let refs = town_with_polygon_fstp();
        // In ward W02, about 2 km from either plant.
        let c = disposal_site(&refs, &demo::point_in("W02", 40));
        assert!(c.possible_illegal_dumping());
        assert_eq!(c.fstp.as_deref(), Some("FSTP-NBH-1"));
        assert!(c.distance_to_nearest_m > 1500.0 && c.distance_to_nearest_m < 3000.0, "{c:?}");
        // Closer to the polygon plant than to the edge of the radius plant.
        let c = disposal_site(&refs, &at(30.349, 76.174));
        assert_eq!((c.fstp.as_deref(), c.inside), (Some("FSTP-NBH-2"), false));
    }

    #[test]
    fn overlapping_geofences_name_the_lowest_code() {
        let mut refs = town_with_polygon_fstp();
        refs.fstps[1].geofence = Geofence::Radius { centre: at(PLANT.0, PLANT.1 + 0.001), metres: 150.0 };
        refs.fstps.reverse();
        let c = disposal_site(&refs, &at(PLANT.0, PLANT.1 + 0.0005));
        assert_eq!((c.fstp.as_deref(), c.inside), (Some("FSTP-NBH-1"), true));
    }

    #[test]
    fn a_town_without_usable_geofences_flags_every_disposal() {
        let none = disposal_site(&ReferenceData::default(), &at(PLANT.0, PLANT.1));
        assert_eq!(none.fstp, None);
        assert!(none.possible_illegal_dumping());
        assert_eq!(none.distance_to_nearest_m, f64::INFINITY);

        let mut refs = demo::reference();
        refs.fstps[0].geofence = Geofence::Polygon { ring: vec![[76.16, 30.36], [76.161, 30.36]] };
        assert_eq!(disposal_site(&refs, &at(PLANT.0, PLANT.1)).fstp, None);
        refs.fstps[0].geofence = Geofence::Radius { centre: at(PLANT.0, PLANT.1), metres: f64::NAN };
        assert!(disposal_site(&refs, &at(PLANT.0, PLANT.1)).possible_illegal_dumping());
        assert!(disposal_site(&demo::reference(), &at(f64::NAN, PLANT.1)).possible_illegal_dumping());
    }
}
