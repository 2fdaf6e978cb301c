//! Validation that names the field: every problem is a [`FieldError`] with a dotted path
//! (`pit.length`, `answers.q3`, `location.lat`) so a form can show it next to the field.

use std::fmt;

use super::{GeoPoint, Record};
use crate::Error;
use crate::domain::reference::ReferenceData;

/// One problem with one field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct FieldError {
    /// Dotted path of the field, as the form names it.
    pub field: String,
    /// Stable machine-readable code (`negative`, `too_many_decimals`, `out_of_range`...).
    pub code: String,
    /// A human message in English; the UI translates by `code`.
    pub message: String,
}

/// Every problem found in one record.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        f.write_str(&parts.join("; "))
    }
}

impl FieldErrors {
    /// The fields named, in order (handy in tests and for focusing the first bad field).
    pub fn fields(&self) -> Vec<&str> {
        self.0.iter().map(|e| e.field.as_str()).collect()
    }
}

/// One problem with one field, as the error a caller returns.
pub fn field_error(field: &str, code: &str, message: impl Into<String>) -> Error {
    Error::Invalid(FieldErrors(vec![FieldError { field: field.into(), code: code.into(), message: message.into() }]))
}

/// Collects field errors under a path prefix.
#[derive(Debug, Default)]
pub struct Checker {
    prefix: Vec<String>,
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Check the fields of a nested value under `name`.
    pub fn nested(&mut self, name: &str, f: impl FnOnce(&mut Checker)) {
        self.prefix.push(name.to_string());
        f(self);
        self.prefix.pop();
    }

    fn path(&self, field: &str) -> String {
        let mut parts = self.prefix.clone();
        if !field.is_empty() {
            parts.push(field.to_string());
        }
        parts.join(".")
    }

    /// Record a problem with `field` (relative to the current prefix).
    pub fn error(&mut self, field: &str, code: &str, message: impl Into<String>) {
        let field = self.path(field);
        self.errors.push(FieldError { field, code: code.to_string(), message: message.into() });
    }

    pub fn required_text(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.error(field, "required", "is required");
        }
    }

    /// A measured quantity (volume, length): finite and not negative.
    pub fn non_negative(&mut self, field: &str, value: Option<f64>) {
        match value {
            Some(v) if !v.is_finite() => self.error(field, "not_a_number", "must be a number"),
            Some(v) if v < 0.0 => self.error(field, "negative", "must not be negative"),
            _ => {}
        }
    }

    /// An amount in paise: not negative.
    pub fn non_negative_paise(&mut self, field: &str, value: i64) {
        if value < 0 {
            self.error(field, "negative", "must not be negative");
        }
    }

    pub fn geo_point(&mut self, field: &str, point: &GeoPoint) {
        self.nested(field, |c| {
            if !(point.lat.is_finite() && (-90.0..=90.0).contains(&point.lat)) {
                c.error("lat", "out_of_range", "latitude must be between -90 and 90");
            }
            if !(point.lon.is_finite() && (-180.0..=180.0).contains(&point.lon)) {
                c.error("lon", "out_of_range", "longitude must be between -180 and 180");
            }
            c.non_negative("accuracy_m", point.accuracy_m);
        });
    }

    /// Adds problems found elsewhere (a draft's own fields), keeping their names.
    pub fn extend(&mut self, errors: FieldErrors) {
        self.errors.extend(errors.0);
    }

    /// Every problem found, in the order found.
    pub fn into_errors(self) -> FieldErrors {
        FieldErrors(self.errors)
    }

    pub fn finish(self) -> crate::Result<()> {
        if self.errors.is_empty() { Ok(()) } else { Err(Error::Invalid(FieldErrors(self.errors))) }
    }
}

impl FieldErrors {
    /// The field errors of `e`, or `e` itself when it is not about fields.
    pub fn of(e: Error) -> crate::Result<FieldErrors> {
        match e {
            Error::Invalid(errors) => Ok(errors),
            other => Err(other),
        }
    }
}

/// Checks a whole record against the town's reference data.
pub fn validate(record: &Record, refs: &ReferenceData) -> crate::Result<()> {
    let mut c = Checker::new();
    check_record(&mut c, record, refs)?;
    c.finish()
}

/// A record a form is about to create, in one round: every problem of its fields, those of the
/// workflow step it is about to take (`to`: the required answers of an inspection to submit),
/// and `draft`, the problems the use case found reading what was typed (an amount or a size
/// that is not a number, a place not given). A receipt not yet numbered is not refused for its
/// number: the store numbers it as it issues it. An error that is not about a field (an
/// unknown checklist template) is returned as is.
pub fn check_draft(
    record: &Record,
    refs: &ReferenceData,
    to: Option<super::Status>,
    draft: FieldErrors,
) -> crate::Result<()> {
    let mut own = Checker::new();
    check_record(&mut own, record, refs)?;
    // A value the draft's reading found wrong (litres typed as "abc") is left out of the record,
    // which then lacks it: say what is wrong with it, not also that it is missing.
    let read_wrong = |e: &FieldError| {
        e.code == "required"
            && draft.0.iter().any(|d| e.field == d.field || e.field.ends_with(&format!(".{}", d.field)))
    };
    let own: Vec<FieldError> = own.into_errors().0.into_iter().filter(|e| !read_wrong(e)).collect();
    let mut c = Checker::new();
    c.extend(draft);
    c.extend(FieldErrors(own));
    if let Some(to) = to {
        c.extend(super::workflow::step_problems(record, refs, to)?);
    }
    if let super::Body::Receipt(r) = &record.body
        && r.receipt_number.is_empty()
    {
        c.errors.retain(|e| e.field != "receipt_number");
    }
    c.finish()
}

fn check_record(c: &mut Checker, record: &Record, refs: &ReferenceData) -> crate::Result<()> {
    c.required_text("tenant", &record.tenant);
    if let Some(ward) = &record.ward
        && !refs.wards.is_empty()
        && !refs.wards.iter().any(|w| &w.code == ward)
    {
        c.error("ward", "unknown", format!("ward {ward} is not a ward of this town"));
    }
    match &record.body {
        super::Body::Inspection(i) => i.check(c, refs)?,
        super::Body::AssetSurvey(a) => a.check(c),
        super::Body::Receipt(r) => r.check(c, refs),
        super::Body::Reversal(r) => r.check(c),
        super::Body::Handover(h) => h.check(c),
        super::Body::FsmJob(j) => j.check(c),
        super::Body::Trip(t) => t.check(c, refs),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_of(f: impl FnOnce(&mut Checker)) -> Vec<(String, String)> {
        let mut c = Checker::new();
        f(&mut c);
        match c.finish() {
            Ok(()) => vec![],
            Err(Error::Invalid(errs)) => errs.0.into_iter().map(|e| (e.field, e.code)).collect(),
            Err(other) => panic!("unexpected error {other}"),
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn a_negative_volume_names_its_field() {
        let errs = errors_of(|c| c.nested("pickup", |c| c.non_negative("volume_litres", Some(-5.0))));
        assert_eq!(errs, pairs(&[("pickup.volume_litres", "negative")]));
    }

    #[test]
    fn coordinates_outside_the_globe_are_refused_per_axis() {
        let p = GeoPoint { lat: 91.0, lon: -181.0, accuracy_m: Some(-1.0) };
        let errs = errors_of(|c| c.geo_point("location", &p));
        assert_eq!(
            errs,
            pairs(&[
                ("location.lat", "out_of_range"),
                ("location.lon", "out_of_range"),
                ("location.accuracy_m", "negative"),
            ])
        );
    }

    #[test]
    fn a_point_in_amritsar_is_fine() {
        let p = GeoPoint { lat: 31.634, lon: 74.8723, accuracy_m: Some(8.0) };
        assert_eq!(errors_of(|c| c.geo_point("location", &p)), vec![]);
    }

    #[test]
    fn not_a_number_is_not_a_volume() {
        let errs = errors_of(|c| c.non_negative("volume", Some(f64::NAN)));
        assert_eq!(errs, pairs(&[("volume", "not_a_number")]));
    }
}
