//! A record's content as its screen shows it: label/value lines built from the typed record,
//! each value in a shape the UI formats without knowing the record (a date, an amount, a code
//! of a named vocabulary, a name in both languages), and what its forms need to open it again.
//! Ids, signatures, custody proofs and raw places stay out (the screen shows places and photos
//! on their own).

use super::views::{AssetDraft, InspectionDraft, PlaceDraft};
use crate::domain::asset::AssetSurvey;
use crate::domain::cash::Handover;
use crate::domain::fsm::{FsmJob, Trip, TripStep};
use crate::domain::inspection::{Answer, Inspection};
use crate::domain::receipt::{Receipt, Reversal};
use crate::domain::reference::{ChecklistTemplate, ReferenceData};
use crate::domain::{Address, Body, Paise, Record, UnixMillis};

/// What a line is about: one of the record's fields (translated as `field.<key>`), or a
/// checklist question in both languages.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DetailLabel {
    Field { key: String },
    Question { text: String, text_hi: String },
}

/// A value as the screen formats it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DetailValue {
    Text {
        text: String,
    },
    Number {
        value: f64,
    },
    YesNo {
        value: bool,
    },
    Money {
        paise: i64,
    },
    Time {
        at: UnixMillis,
    },
    /// A code of a closed vocabulary, translated as `<vocabulary>.<code>` (`mode.UPI`,
    /// `asset_type.STREETLIGHT`), shown as the code when the catalog has no words for it.
    Code {
        vocabulary: String,
        code: String,
    },
    /// A name from the town's reference data (a fee head, a plant, chosen options).
    Named {
        name: String,
        name_hi: String,
    },
    Photos {
        count: u32,
    },
}

/// One line of a record's content.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct DetailLine {
    pub label: DetailLabel,
    pub value: DetailValue,
}

/// What a form needs to open a record again (its author's draft, or one sent back).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum FormDraft {
    Inspection(InspectionDraft),
    Asset(AssetDraft),
}

/// The lines of a record's content, in the order the screen lists them.
pub fn lines(record: &Record, refs: &ReferenceData) -> Vec<DetailLine> {
    let mut out = Lines(Vec::new());
    match &record.body {
        Body::Inspection(i) => inspection(&mut out, i, refs),
        Body::AssetSurvey(a) => asset(&mut out, a),
        Body::Receipt(r) => receipt(&mut out, r, refs),
        Body::Reversal(r) => reversal(&mut out, r),
        Body::Handover(h) => handover(&mut out, h, refs),
        Body::FsmJob(j) => job(&mut out, j),
        Body::Trip(t) => trip(&mut out, t, refs),
    }
    out.0
}

/// The draft a form opens with, for the kinds a form edits.
pub fn form_draft(record: &Record) -> Option<FormDraft> {
    let place = |p: &Option<crate::domain::GeoPoint>| p.clone().map(PlaceDraft::Point);
    match &record.body {
        Body::Inspection(i) => Some(FormDraft::Inspection(InspectionDraft {
            template_code: i.template_code.clone(),
            template_version: i.template_version,
            subject: i.subject.clone(),
            location: place(&i.location),
            answers: i.answers.clone(),
            numbers: Default::default(),
            photos: i.photos.clone(),
            submit: false,
            ward: record.ward.clone(),
        })),
        Body::AssetSurvey(a) => Some(FormDraft::Asset(AssetDraft {
            asset_type: Some(a.asset_type),
            asset_name: a.asset_name.clone(),
            location: Some(PlaceDraft::Point(a.location.clone())),
            condition: Some(a.condition),
            photos: a.photos.clone(),
        })),
        _ => None,
    }
}

struct Lines(Vec<DetailLine>);

impl Lines {
    fn push(&mut self, key: &str, value: DetailValue) {
        self.0.push(DetailLine { label: DetailLabel::Field { key: key.into() }, value });
    }

    /// Text, when there is some.
    fn text(&mut self, key: &str, text: Option<&str>) {
        if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) {
            self.push(key, DetailValue::Text { text: text.into() });
        }
    }

    fn number(&mut self, key: &str, value: Option<f64>) {
        if let Some(value) = value {
            self.push(key, DetailValue::Number { value });
        }
    }

    fn money(&mut self, key: &str, value: Option<Paise>) {
        if let Some(p) = value {
            self.push(key, DetailValue::Money { paise: p.0 });
        }
    }

    fn time(&mut self, key: &str, at: Option<UnixMillis>) {
        if let Some(at) = at {
            self.push(key, DetailValue::Time { at });
        }
    }

    fn code(&mut self, key: &str, vocabulary: &str, code: Option<&str>) {
        if let Some(code) = code.filter(|c| !c.is_empty()) {
            self.push(key, DetailValue::Code { vocabulary: vocabulary.into(), code: code.into() });
        }
    }

    /// A name from the reference data, else the code as it is.
    fn named(&mut self, key: &str, code: &str, found: Option<(&str, &str)>) {
        match found {
            Some((name, name_hi)) => self.push(key, DetailValue::Named { name: name.into(), name_hi: name_hi.into() }),
            None => self.text(key, Some(code)),
        }
    }

    fn address(&mut self, a: &Address) {
        self.text("address.door_no", a.door_no.as_deref());
        self.text("address.plot_no", a.plot_no.as_deref());
        self.text("address.street", a.street.as_deref());
        self.text("address.locality", a.locality.as_deref());
        self.text("address.slum_name", a.slum_name.as_deref());
        self.text("address.pincode", a.pincode.as_deref());
    }
}

fn inspection(out: &mut Lines, i: &Inspection, refs: &ReferenceData) {
    let template: Option<&ChecklistTemplate> =
        refs.templates.iter().find(|t| t.code == i.template_code && t.version == i.template_version);
    // Answers under their questions, in the checklist's order; answers to questions this
    // device's checklist does not have stay out (their text is not known here).
    for q in template.map(|t| t.questions.as_slice()).unwrap_or_default() {
        let Some(answer) = i.answers.get(&q.id) else { continue };
        let value = match answer {
            Answer::YesNo(v) => DetailValue::YesNo { value: *v },
            Answer::Number(v) => DetailValue::Number { value: *v },
            Answer::Text(t) => DetailValue::Text { text: t.clone() },
            Answer::SingleChoice(c) => choices(q, std::slice::from_ref(c)),
            Answer::MultiChoice(cs) => choices(q, cs),
            Answer::Photo(p) => DetailValue::Photos { count: p.len() as u32 },
        };
        out.0.push(DetailLine {
            label: DetailLabel::Question { text: q.text.clone(), text_hi: q.text_hi.clone() },
            value,
        });
    }
    out.text("subject", Some(&i.subject));
    out.address(&i.address);
}

/// Chosen options by their labels, in both languages (a code the checklist lacks as itself).
fn choices(q: &crate::domain::reference::Question, codes: &[String]) -> DetailValue {
    let label = |code: &String| {
        q.options
            .iter()
            .find(|o| &o.code == code)
            .map_or((code.clone(), code.clone()), |o| (o.label.clone(), o.label_hi.clone()))
    };
    let (en, hi): (Vec<String>, Vec<String>) = codes.iter().map(label).unzip();
    DetailValue::Named { name: en.join(", "), name_hi: hi.join(", ") }
}

fn asset(out: &mut Lines, a: &AssetSurvey) {
    out.code("asset_type", "asset_type", Some(a.asset_type.as_str()));
    out.text("asset_name", Some(&a.asset_name));
    out.code("condition", "condition", Some(a.condition.as_str()));
    out.address(&a.address);
}

fn fee_head<'a>(refs: &'a ReferenceData, code: &str) -> Option<(&'a str, &'a str)> {
    refs.fee_heads.iter().find(|h| h.code == code).map(|h| (h.name.as_str(), h.name_hi.as_str()))
}

fn receipt(out: &mut Lines, r: &Receipt, refs: &ReferenceData) {
    out.text("receipt_number", Some(&r.receipt_number));
    out.time("receipt_date", Some(r.receipt_date));
    out.named("business_service", &r.business_service, fee_head(refs, &r.business_service));
    out.code("payment_mode", "mode", Some(r.payment_mode.as_str()));
    out.text("instrument_number", r.instrument_number.as_deref());
    out.text("transaction_number", r.transaction_number.as_deref());
    out.text("payer_name", Some(&r.payer_name));
    out.text("mobile_number", r.mobile_number.as_deref());
}

fn reversal(out: &mut Lines, r: &Reversal) {
    out.text("receipt_number", Some(&r.receipt_number));
    out.money("amount", Some(r.amount));
    out.text("reason", Some(&r.reason));
}

fn handover(out: &mut Lines, h: &Handover, refs: &ReferenceData) {
    let collector = refs.users.iter().find(|u| u.id == h.collector).map(|u| u.name.clone());
    out.text("collector", Some(&collector.unwrap_or_else(|| h.collector.to_string())));
    out.text("day", Some(&h.day));
    out.money("expected_cash", Some(h.expected_cash));
    out.money("counted_cash", Some(h.counted_cash));
    out.text("note", h.note.as_deref());
}

fn job(out: &mut Lines, j: &FsmJob) {
    out.text("application_no", Some(&j.application_no));
    out.code("source", "source", Some(j.source.as_str()));
    out.code("application_type", "app_type", Some(j.application_type.as_str()));
    out.code("payment_preference", "pay_pref", Some(j.payment_preference.as_str()));
    out.code("sanitation_type", "sanitation", Some(&j.sanitation_type));
    out.code("property_usage", "usage", Some(&j.property_usage));
    out.text("applicant_name", Some(&j.applicant_name));
    out.text("mobile_number", j.mobile_number.as_deref());
    out.number("no_of_trips", Some(f64::from(j.no_of_trips)));
    out.code("vehicle_type", "vehicle_type", j.vehicle_type.as_deref());
    out.number("vehicle_capacity_litres", j.vehicle_capacity_litres);
    out.number("pit.length", j.pit.length);
    out.number("pit.width", j.pit.width);
    out.number("pit.height", j.pit.height);
    out.number("pit.diameter", j.pit.diameter);
    out.address(&j.address);
    out.money("advance_amount", j.advance_amount);
    out.money("trip_amount", j.trip_amount);
    out.time("possible_service_date", j.possible_service_date);
    out.text("dso", j.dso.as_deref());
    out.text("vehicle", j.vehicle.as_deref());
}

fn trip(out: &mut Lines, t: &Trip, refs: &ReferenceData) {
    out.text("application_no", Some(&t.application_no));
    out.text("vehicle", Some(&t.vehicle));
    out.text("driver", Some(&t.driver));
    if let Some(code) = &t.fstp_code {
        let plant = refs.fstps.iter().find(|f| &f.code == code).map(|f| (f.name.as_str(), f.name.as_str()));
        out.named("fstp_code", code, plant);
    }
    let mut step = |name: &str, s: &Option<TripStep>| {
        if let Some(s) = s {
            out.time(&format!("{name}.at"), Some(s.at));
            out.number(&format!("{name}.volume_litres"), s.volume_litres);
        }
    };
    step("pickup", &t.pickup);
    step("disposal", &t.disposal);
    // The plant gate's signed pair: what the crew handed over and the operator countersigned.
    if let Some(c) = &t.custody {
        out.number("custody.handed_over_litres", Some(c.handover.litres as f64));
        if let Some(cs) = &c.countersign {
            out.number("custody.received_litres", Some(cs.received_litres as f64));
            out.time("custody.countersigned_at", Some(cs.at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::ids::RecordId;

    fn keys(lines: &[DetailLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| match &l.label {
                DetailLabel::Field { key } => key.clone(),
                DetailLabel::Question { text, .. } => format!("? {text}"),
            })
            .collect()
    }

    #[test]
    fn an_inspection_lists_its_answers_under_their_questions_then_its_own_fields() {
        let refs = demo::reference();
        let record = demo::inspection(RecordId::new(), 1_767_238_200_000, "W02", 3);
        let lines = lines(&record, &refs);
        let Body::Inspection(i) = &record.body else { unreachable!() };
        let template = refs.templates.iter().find(|t| t.code == i.template_code).unwrap();
        let answered: Vec<String> = template
            .questions
            .iter()
            .filter(|q| i.answers.contains_key(&q.id))
            .map(|q| format!("? {}", q.text))
            .collect();
        assert!(!answered.is_empty(), "the demo inspection answers questions");
        assert_eq!(keys(&lines)[..answered.len()], answered[..]);
        assert!(keys(&lines).contains(&"subject".to_string()));
        assert!(lines.iter().all(|l| !matches!(&l.value, DetailValue::Text { text } if text.is_empty())));
    }

    #[test]
    fn a_receipt_names_its_fee_head_and_codes_its_payment_mode() {
        let refs = demo::reference();
        let record = demo::receipt(RecordId::new(), 1_767_238_200_000, "W02", 7);
        let Body::Receipt(r) = &record.body else { unreachable!() };
        let lines = lines(&record, &refs);
        let head = refs.fee_heads.iter().find(|h| h.code == r.business_service).unwrap();
        let value =
            |key: &str| lines.iter().find(|l| l.label == DetailLabel::Field { key: key.into() }).map(|l| &l.value);
        assert_eq!(
            value("business_service"),
            Some(&DetailValue::Named { name: head.name.clone(), name_hi: head.name_hi.clone() })
        );
        assert_eq!(
            value("payment_mode"),
            Some(&DetailValue::Code { vocabulary: "mode".into(), code: r.payment_mode.as_str().into() })
        );
        assert_eq!(value("receipt_date"), Some(&DetailValue::Time { at: r.receipt_date }));
        assert!(value("signature").is_none() && value("key_id").is_none(), "no signatures on the screen");
    }

    /// Every field key a line can carry (read from this file: the first argument of each
    /// `out.<kind>("...")` / `self.<kind>("...")` call, and the trip steps' keys) has its name
    /// in both catalogs, so no line shows a raw key.
    #[test]
    fn every_field_a_line_names_has_words_in_every_catalog() {
        let source = include_str!("detail.rs");
        let source = &source[..source.find("#[cfg(test)]").unwrap()];
        let mut keys: Vec<String> =
            ["pickup.at", "pickup.volume_litres", "disposal.at", "disposal.volume_litres"].map(String::from).to_vec();
        for call in ["out.", "self."] {
            for (at, _) in source.match_indices(call) {
                let rest = &source[at + call.len()..];
                let Some(open) = rest.find("(\"") else { continue };
                let name = &rest[..open];
                if !["text", "number", "money", "time", "code", "named"].contains(&name) {
                    continue;
                }
                let key: String = rest[open + 2..].chars().take_while(|c| *c != '"').collect();
                keys.push(key);
            }
        }
        assert!(keys.len() > 40 && keys.contains(&"custody.received_litres".to_string()), "{keys:?}");
        for (lang, catalog) in
            [("en", include_str!("../../ui/src/i18n/en.json")), ("hi", include_str!("../../ui/src/i18n/hi.json"))]
        {
            let words: std::collections::BTreeMap<String, serde_json::Value> = serde_json::from_str(catalog).unwrap();
            let missing: Vec<&String> = keys.iter().filter(|k| !words.contains_key(&format!("field.{k}"))).collect();
            assert!(missing.is_empty(), "{lang}: fields without words: {missing:?}");
        }
    }

    #[test]
    fn an_inspection_and_a_survey_open_in_their_forms_as_saved() {
        let record = demo::inspection(RecordId::new(), 1_767_238_200_000, "W02", 3);
        let Some(FormDraft::Inspection(draft)) = form_draft(&record) else { panic!("an inspection draft") };
        let Body::Inspection(i) = &record.body else { unreachable!() };
        assert_eq!((&draft.subject, &draft.answers, &draft.photos), (&i.subject, &i.answers, &i.photos));
        let receipt = demo::receipt(RecordId::new(), 1_767_238_200_000, "W02", 7);
        assert_eq!(form_draft(&receipt), None, "a receipt is never opened in a form");
    }
}
