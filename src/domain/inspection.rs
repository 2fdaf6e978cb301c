//! An inspection filled from a versioned checklist template: typed answers keyed by question
//! id (so two people answering different questions never collide), findings and a score.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};

use super::reference::{AnswerType, ChecklistTemplate, ReferenceData};
use super::validate::Checker;
use super::{Address, GeoPoint, PhotoRef};

/// An answer to one checklist question.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Answer {
    YesNo(bool),
    Number(f64),
    Text(String),
    SingleChoice(String),
    MultiChoice(Vec<String>),
    Photo(Vec<PhotoRef>),
}

impl Answer {
    pub fn answer_type(&self) -> AnswerType {
        match self {
            Answer::YesNo(_) => AnswerType::YesNo,
            Answer::Number(_) => AnswerType::Number,
            Answer::Text(_) => AnswerType::Text,
            Answer::SingleChoice(_) => AnswerType::SingleChoice,
            Answer::MultiChoice(_) => AnswerType::MultiChoice,
            Answer::Photo(_) => AnswerType::Photo,
        }
    }
}

/// A finding the inspector writes down (a violation, an observation).
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    #[key]
    pub id: String,
    pub text: String,
    pub severity: Option<String>,
}

/// An inspection of premises (trade licence, building, sanitation, public toilet, septic tank).
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct Inspection {
    pub template_code: String,
    pub template_version: u32,
    /// What is inspected: premises name, licence number.
    pub subject: String,
    pub address: Address,
    pub location: Option<GeoPoint>,
    pub answers: BTreeMap<String, Answer>,
    pub findings: Vec<Finding>,
    pub photos: Vec<PhotoRef>,
}

/// Points earned out of points possible.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Score {
    pub points: u32,
    pub max: u32,
}

impl Inspection {
    /// The score by the template's weights: a "yes" earns the question's weight, a choice its
    /// points; unanswered questions earn nothing.
    pub fn score(&self, template: &ChecklistTemplate) -> Score {
        let mut score = Score { points: 0, max: 0 };
        for q in &template.questions {
            let answer = self.answers.get(&q.id);
            match q.answer_type {
                AnswerType::YesNo => {
                    score.max += q.weight;
                    if answer == Some(&Answer::YesNo(true)) {
                        score.points += q.weight;
                    }
                }
                AnswerType::SingleChoice | AnswerType::MultiChoice => {
                    let points = |code: &String| q.options.iter().find(|o| &o.code == code).map_or(0, |o| o.points);
                    score.max += match q.answer_type {
                        AnswerType::SingleChoice => q.options.iter().map(|o| o.points).max().unwrap_or(0),
                        _ => q.options.iter().map(|o| o.points).sum(),
                    };
                    score.points += match answer {
                        Some(Answer::SingleChoice(c)) => points(c),
                        Some(Answer::MultiChoice(cs)) => cs.iter().map(points).sum(),
                        _ => 0,
                    };
                }
                _ => {}
            }
        }
        score
    }

    /// Questions the template requires that have no answer yet (checked on submit).
    pub fn unanswered_required(&self, template: &ChecklistTemplate) -> Vec<String> {
        template
            .questions
            .iter()
            .filter(|q| q.required && !self.answers.contains_key(&q.id))
            .map(|q| q.id.clone())
            .collect()
    }

    pub(crate) fn check(&self, c: &mut Checker, refs: &ReferenceData) -> crate::Result<()> {
        let template = refs.template(&self.template_code, self.template_version)?;
        c.required_text("subject", &self.subject);
        if let Some(p) = &self.location {
            c.geo_point("location", p);
        }
        c.nested("answers", |c| {
            for (id, answer) in &self.answers {
                check_answer(c, template, id, answer);
            }
        });
        Ok(())
    }
}

fn check_answer(c: &mut Checker, template: &ChecklistTemplate, id: &str, answer: &Answer) {
    let Some(q) = template.question(id) else {
        c.error(id, "unknown_question", format!("is not a question of {} v{}", template.code, template.version));
        return;
    };
    if answer.answer_type() != q.answer_type {
        c.error(id, "wrong_type", format!("expects a {} answer, got {}", q.answer_type, answer.answer_type()));
        return;
    }
    let known = |code: &String| q.options.iter().any(|o| &o.code == code);
    match answer {
        Answer::Number(n) => {
            if !n.is_finite() {
                c.error(id, "not_a_number", "must be a number");
            } else if q.min.is_some_and(|min| *n < min) || q.max.is_some_and(|max| *n > max) {
                c.error(id, "out_of_range", format!("must be between {:?} and {:?}", q.min, q.max));
            }
        }
        Answer::SingleChoice(code) if !known(code) => {
            c.error(id, "unknown_choice", format!("{code} is not one of the choices"));
        }
        Answer::MultiChoice(codes) => {
            for code in codes.iter().filter(|code| !known(code)) {
                c.error(id, "unknown_choice", format!("{code} is not one of the choices"));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::demo;
    use crate::domain::validate::validate;
    use crate::domain::{Body, Record};
    use crate::ids::RecordId;

    fn with_answer(q: &str, a: Answer) -> Record {
        let mut r = demo::inspection(RecordId::new(), 1, "W01", 1);
        if let Body::Inspection(i) = &mut r.body {
            i.answers.insert(q.into(), a);
        }
        r
    }

    fn problems(r: &Record) -> Vec<String> {
        match validate(r, &demo::reference()) {
            Ok(()) => vec![],
            Err(Error::Invalid(e)) => e.0.iter().map(|e| format!("{} {}", e.field, e.code)).collect(),
            Err(other) => vec![other.to_string()],
        }
    }

    #[test]
    fn answers_must_match_the_template() {
        let cases = [
            ("water", Answer::Text("yes".into()), "answers.water wrong_type"),
            ("seats", Answer::Number(-1.0), "answers.seats out_of_range"),
            ("seats", Answer::Number(f64::INFINITY), "answers.seats not_a_number"),
            ("smell", Answer::SingleChoice("rotten".into()), "answers.smell unknown_choice"),
            ("light", Answer::YesNo(true), "answers.light unknown_question"),
        ];
        for (q, answer, expected) in cases {
            assert_eq!(problems(&with_answer(q, answer)), [expected]);
        }
    }

    #[test]
    fn a_well_filled_inspection_passes() {
        assert_eq!(problems(&with_answer("smell", Answer::SingleChoice("none".into()))), Vec::<String>::new());
    }

    #[test]
    fn an_unknown_template_version_is_refused() {
        let mut r = demo::inspection(RecordId::new(), 1, "W01", 1);
        if let Body::Inspection(i) = &mut r.body {
            i.template_version = 9;
        }
        assert_eq!(problems(&r), ["unknown checklist template PUBLIC_TOILET version 9"]);
    }

    #[test]
    fn a_question_added_in_v2_is_fine_on_a_v2_inspection() {
        let mut r = with_answer("light", Answer::YesNo(true));
        if let Body::Inspection(i) = &mut r.body {
            i.template_version = 2;
        }
        assert_eq!(problems(&r), Vec::<String>::new());
    }

    #[test]
    fn the_score_follows_the_template_weights() {
        let template = &demo::toilet_templates()[0];
        let Body::Inspection(mut i) = demo::inspection(RecordId::new(), 1, "W01", 1).body else { unreachable!() };
        i.answers.insert("water".into(), Answer::YesNo(true));
        i.answers.insert("clean".into(), Answer::YesNo(false));
        i.answers.insert("smell".into(), Answer::SingleChoice("mild".into()));
        assert_eq!(i.score(template), Score { points: 3, max: 5 });
        i.answers.clear();
        assert_eq!(i.score(template), Score { points: 0, max: 5 });
        assert_eq!(i.unanswered_required(template), ["water", "clean"]);
    }
}
