//! Workflow tables and the status derived from a record's history.
//!
//! Each record kind has a table of allowed steps `(from, to, roles)`; desludging jobs add the
//! payment path (pre-pay or post-pay) a step belongs to. A record never stores its status: the
//! status is what its list of [`Transition`]s leads to, replayed against the table. After a
//! merge that list may hold steps two devices took from the same status, or a step the table
//! never allowed. Those steps stay in the document; the record is marked *needs review* and
//! keeps the status of the first consistent history, until a supervisor settles it with a
//! `resolves_review` step.

use super::fsm::PaymentPreference;
use super::reference::ReferenceData;
use super::{Body, Record, RecordKind, Role, Status, Transition, UnixMillis};
use crate::Error;
use crate::ids::{TransitionId, UserId};

use Role::*;
use Status::*;

/// Which payment path a desludging step belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    Any,
    PrePay,
    PostPay,
}

/// What a record must hold for a step, beyond its status and the actor's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    None,
    /// A trip with the plant operator's countersignature and the disposal it signs: the crew
    /// closes a trip the operator countersigned at the gate (the signature itself is checked by
    /// [`super::custody::check_pair`], on the crew's phone and on the server).
    Countersigned,
}

impl Guard {
    fn holds(self, record: &Record) -> bool {
        match self {
            Guard::None => true,
            Guard::Countersigned => matches!(
                &record.body,
                Body::Trip(t) if t.disposal.is_some()
                    && t.custody.as_ref().is_some_and(|c| c.countersign.is_some())
            ),
        }
    }
}

/// One allowed step.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub from: Status,
    pub to: Status,
    pub roles: &'static [Role],
    pub path: Path,
    pub guard: Guard,
}

const fn rule(from: Status, to: Status, roles: &'static [Role]) -> Rule {
    Rule { from, to, roles, path: Path::Any, guard: Guard::None }
}

const fn on(path: Path, from: Status, to: Status, roles: &'static [Role]) -> Rule {
    Rule { from, to, roles, path, guard: Guard::None }
}

const fn guarded(from: Status, to: Status, roles: &'static [Role], guard: Guard) -> Rule {
    Rule { from, to, roles, path: Path::Any, guard }
}

const INSPECTION: &[Rule] = &[
    rule(Draft, Submitted, &[Inspector]),
    rule(SentBack, Submitted, &[Inspector]),
    rule(Submitted, Approved, &[Supervisor]),
    rule(Submitted, SentBack, &[Supervisor]),
    rule(Submitted, Rejected, &[Supervisor]),
];

const ASSET_SURVEY: &[Rule] = &[
    rule(Initiated, PendingForApproval, &[Surveyor]),
    rule(PendingForModification, PendingForApproval, &[Surveyor]),
    rule(PendingForApproval, Approved, &[Supervisor]),
    rule(PendingForApproval, PendingForModification, &[Supervisor]),
    rule(PendingForApproval, Rejected, &[Supervisor]),
];

/// A receipt is never cancelled by a step of its own: a `Reversal` record does that.
const RECEIPT: &[Rule] = &[
    rule(New, Deposited, &[Collector, Supervisor]),
    rule(Deposited, Reconciled, &[Supervisor]),
    rule(Deposited, Dishonoured, &[Supervisor]),
];

/// A supervisor counts a collector's cash and closes the day.
const HANDOVER: &[Rule] = &[rule(Draft, Reconciled, &[Supervisor])];

/// A collector asks to cancel a receipt; a supervisor approves or rejects.
const REVERSAL: &[Rule] = &[rule(Requested, Approved, &[Supervisor]), rule(Requested, Rejected, &[Supervisor])];

/// DIGIT's FSM workflow. Pre-pay: APPLY → fee → PAY → ASSIGN_DSO → ASSIGN → DSO accepts →
/// COMPLETE → citizen feedback → RATE. Post-pay: APPLY → ASSIGN_DSO … DSO_INPROGRESS →
/// SCHEDULE → fee → PAY → DISPOSAL_IN_PROGRESS → COMPLETED. CANCEL and REJECT before work starts.
const FSM_JOB: &[Rule] = &[
    on(Path::PrePay, Created, PendingApplFeePayment, &[Supervisor]),
    on(Path::PrePay, PendingApplFeePayment, AssignDso, &[Collector, Supervisor]),
    on(Path::PostPay, Created, AssignDso, &[Supervisor]),
    rule(AssignDso, PendingDsoApproval, &[Supervisor]),
    rule(PendingDsoApproval, DsoInProgress, &[SanitationCrew]),
    rule(PendingDsoApproval, DsoRejected, &[SanitationCrew]),
    rule(DsoRejected, PendingDsoApproval, &[Supervisor]),
    on(Path::PrePay, DsoInProgress, CitizenFeedbackPending, &[SanitationCrew]),
    on(Path::PrePay, CitizenFeedbackPending, Completed, &[Supervisor]),
    on(Path::PostPay, DsoInProgress, PendingApplFeePayment, &[SanitationCrew]),
    on(Path::PostPay, PendingApplFeePayment, DisposalInProgress, &[Collector, Supervisor]),
    on(Path::PostPay, DisposalInProgress, Completed, &[SanitationCrew, Supervisor]),
    rule(Created, Cancelled, &[Supervisor]),
    rule(PendingApplFeePayment, Cancelled, &[Supervisor]),
    rule(AssignDso, Cancelled, &[Supervisor]),
    rule(PendingDsoApproval, Cancelled, &[Supervisor]),
    rule(DsoRejected, Cancelled, &[Supervisor]),
    rule(Created, Rejected, &[Supervisor]),
    rule(PendingApplFeePayment, Rejected, &[Supervisor]),
    rule(AssignDso, Rejected, &[Supervisor]),
];

/// DIGIT's vehicle trip: the plant operator disposes or declines; the crew closes a trip the
/// operator countersigned at the gate (the operator's phone usually never has the trip).
const TRIP: &[Rule] = &[
    rule(Scheduled, WaitingForDisposal, &[SanitationCrew]),
    rule(WaitingForDisposal, Disposed, &[FstpOperator]),
    guarded(WaitingForDisposal, Disposed, &[SanitationCrew], Guard::Countersigned),
    rule(WaitingForDisposal, Declined, &[FstpOperator]),
    rule(Declined, WaitingForDisposal, &[SanitationCrew]),
];

/// The table of a kind.
pub fn rules(kind: RecordKind) -> &'static [Rule] {
    match kind {
        RecordKind::Inspection => INSPECTION,
        RecordKind::AssetSurvey => ASSET_SURVEY,
        RecordKind::Receipt => RECEIPT,
        RecordKind::Reversal => REVERSAL,
        RecordKind::Handover => HANDOVER,
        RecordKind::FsmJob => FSM_JOB,
        RecordKind::Trip => TRIP,
    }
}

/// Where a new record of a kind starts.
pub fn initial(kind: RecordKind) -> Status {
    match kind {
        RecordKind::Inspection => Draft,
        RecordKind::AssetSurvey => Initiated,
        RecordKind::Receipt => New,
        RecordKind::Reversal => Requested,
        RecordKind::Handover => Draft,
        RecordKind::FsmJob => Created,
        RecordKind::Trip => Scheduled,
    }
}

/// Every status a record of this kind can be in.
pub fn statuses(kind: RecordKind) -> Vec<Status> {
    let mut all = vec![initial(kind)];
    for r in rules(kind) {
        for s in [r.from, r.to] {
            if !all.contains(&s) {
                all.push(s);
            }
        }
    }
    all
}

/// Statuses from which no step leads anywhere: the record's work is over.
pub fn is_final(kind: RecordKind, status: Status) -> bool {
    !rules(kind).iter().any(|r| r.from == status)
}

fn path_of(record: &Record) -> Option<Path> {
    match &record.body {
        Body::FsmJob(job) => Some(match job.payment_preference {
            PaymentPreference::PrePay => Path::PrePay,
            PaymentPreference::PostPay => Path::PostPay,
        }),
        _ => None,
    }
}

/// Steps that turn a record back to its author or down for good (sent back, pending for
/// modification, rejected) carry the reason in words: the author must learn what to change. The
/// device refuses such a step without one and so does the server (`reason_required`); the note
/// is part of the step's signed bytes ([`crate::ledger::step_bytes`]).
pub fn needs_reason(to: Status) -> bool {
    matches!(to, SentBack | PendingForModification | Rejected)
}

/// The longest reason a step carries, in characters.
pub const MAX_NOTE_CHARS: usize = 1000;

/// Whether a step's note gives a reason: some text that is not only spaces.
pub fn has_reason(note: Option<&str>) -> bool {
    note.is_some_and(|n| !n.trim().is_empty())
}

/// Kinds an author writes and a supervisor then reviews (inspections, asset surveys): the app
/// offers their form again while the record is with its author (a draft, or sent back for
/// changes). Other kinds: `true`. (The server does not lock content by status: an edit made
/// offline before a close is kept and flagged, see [`super::access::final_edit`].)
pub fn content_open(kind: RecordKind, status: Status) -> bool {
    match kind {
        RecordKind::Inspection => matches!(status, Draft | SentBack),
        RecordKind::AssetSurvey => matches!(status, Initiated | PendingForModification),
        _ => true,
    }
}

/// Whether a record in `status` waits for a supervisor's decision (a submitted inspection, a
/// survey pending for approval, a requested reversal to approve; a cash handover to reconcile).
pub fn awaits_approval(kind: RecordKind, status: Status) -> bool {
    let decision = |to: Status| to == Approved || (kind == RecordKind::Handover && to == Reconciled);
    rules(kind).iter().any(|r| r.from == status && decision(r.to) && r.roles.contains(&Supervisor))
}

/// The last note a step gave the record (the supervisor's reason when it was sent back), with
/// the step's status and time.
pub fn last_note(record: &Record) -> Option<&Transition> {
    record.transitions.iter().rev().find(|t| has_reason(t.note.as_deref()))
}

/// Is this step in the kind's table for this role (and this job's payment path), and does the
/// record hold what the step's guard asks for?
pub fn allows(record: &Record, from: Status, to: Status, role: Role) -> bool {
    let path = path_of(record);
    rules(record.kind()).iter().any(|r| {
        r.from == from
            && r.to == to
            && r.roles.contains(&role)
            && (r.path == Path::Any || Some(r.path) == path)
            && r.guard.holds(record)
    })
}

/// Why a record needs a person to look at its history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ReviewProblem {
    /// A step taken from a status the record had already left: another device moved it first.
    Competing { transition: TransitionId, from: Status, to: Status, current: Status },
    /// A step the table does not allow for its role.
    NotAllowed { transition: TransitionId, from: Status, to: Status, role: Role },
}

/// A record's status and review state, derived from its transitions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowState {
    pub status: Status,
    pub needs_review: bool,
    pub problems: Vec<ReviewProblem>,
}

impl WorkflowState {
    /// Replays the history against the table. Steps that do not fit are kept in the record and
    /// listed as problems; a supervisor's `resolves_review` step settles everything before it.
    pub fn derive(record: &Record) -> WorkflowState {
        let mut state = WorkflowState { status: initial(record.kind()), needs_review: false, problems: vec![] };
        for t in &record.transitions {
            if t.resolves_review && t.role == Supervisor && statuses(record.kind()).contains(&t.to) {
                state = WorkflowState { status: t.to, needs_review: false, problems: vec![] };
            } else if t.from != state.status {
                state.problems.push(ReviewProblem::Competing {
                    transition: t.id,
                    from: t.from,
                    to: t.to,
                    current: state.status,
                });
            } else if t.resolves_review || !allows(record, t.from, t.to, t.role) {
                state.problems.push(ReviewProblem::NotAllowed {
                    transition: t.id,
                    from: t.from,
                    to: t.to,
                    role: t.role,
                });
            } else {
                state.status = t.to;
            }
        }
        state.needs_review = !state.problems.is_empty();
        state
    }
}

/// Who is acting: the signed-in user and the role they act in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user: UserId,
    pub role: Role,
}

/// Moves a record one step, if the table allows it for the actor's role from the record's
/// current status. Submitting an inspection also needs every required question answered.
pub fn step(
    record: &mut Record,
    refs: &ReferenceData,
    id: TransitionId,
    actor: Actor,
    to: Status,
    now: UnixMillis,
    note: Option<String>,
) -> crate::Result<()> {
    let from = record.workflow().status;
    if !allows(record, from, to, actor.role) {
        return Err(Error::InvalidTransition { from, to, role: actor.role });
    }
    check_note(to, note.as_deref())?;
    let problems = step_problems(record, refs, to)?;
    if !problems.0.is_empty() {
        return Err(Error::Invalid(problems));
    }
    record.transitions.push(Transition {
        id,
        at: now,
        by: actor.user,
        role: actor.role,
        from,
        to,
        note,
        resolves_review: false,
        signature: None,
    });
    Ok(())
}

/// What a record lacks for the step to `to`, every field at once: submitting an inspection needs
/// every required question answered.
pub fn step_problems(record: &Record, refs: &ReferenceData, to: Status) -> crate::Result<super::validate::FieldErrors> {
    let mut c = super::validate::Checker::new();
    if let (Body::Inspection(inspection), Submitted) = (&record.body, to) {
        let template = refs.template(&inspection.template_code, inspection.template_version)?;
        c.nested("answers", |c| {
            for q in inspection.unanswered_required(template) {
                c.error(&q, "required", "must be answered before submitting");
            }
        });
    }
    Ok(c.into_errors())
}

/// A step's note: a reason when the step needs one, never longer than [`MAX_NOTE_CHARS`].
fn check_note(to: Status, note: Option<&str>) -> crate::Result<()> {
    let mut c = super::validate::Checker::new();
    if needs_reason(to) && !has_reason(note) {
        c.error("note", "required", format!("say why the record goes to {to}"));
    }
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        c.error("note", "too_long", format!("at most {MAX_NOTE_CHARS} characters"));
    }
    c.finish()
}

/// A supervisor settles a record in review by choosing the status it should have (a trip or
/// handover flagged for her attention is settled by keeping its status, with her note).
pub fn resolve_review(
    record: &mut Record,
    id: TransitionId,
    actor: Actor,
    to: Status,
    now: UnixMillis,
    note: Option<String>,
) -> crate::Result<()> {
    let state = record.workflow();
    if actor.role != Supervisor || !record.needs_attention() || !statuses(record.kind()).contains(&to) {
        return Err(Error::InvalidTransition { from: state.status, to, role: actor.role });
    }
    if note.as_deref().is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        check_note(to, note.as_deref())?;
    }
    record.transitions.push(Transition {
        id,
        at: now,
        by: actor.user,
        role: actor.role,
        from: state.status,
        to,
        note,
        resolves_review: true,
        signature: None,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::ids::RecordId;

    fn actor(role: Role) -> Actor {
        Actor { user: demo::user_id(role), role }
    }

    fn inspection() -> Record {
        demo::inspection(RecordId::new(), 1_000, "W01", 2)
    }

    /// Takes `steps` in order and returns the derived status after each, or the refusal.
    fn walk(mut record: Record, steps: &[(Role, Status)]) -> Vec<String> {
        let refs = demo::reference();
        steps
            .iter()
            .enumerate()
            .map(|(i, (role, to))| {
                let note = needs_reason(*to).then(|| "see the photo".to_string());
                match step(&mut record, &refs, TransitionId::new(), actor(*role), *to, 1_000 + i as i64, note) {
                    Ok(()) => record.workflow().status.to_string(),
                    Err(e) => e.to_string(),
                }
            })
            .collect()
    }

    #[test]
    fn an_inspection_goes_draft_submitted_approved() {
        let trail = walk(inspection(), &[(Inspector, Submitted), (Supervisor, Approved)]);
        assert_eq!(trail, ["SUBMITTED", "APPROVED"]);
    }

    #[test]
    fn a_sent_back_inspection_can_be_submitted_again() {
        let trail = walk(
            inspection(),
            &[(Inspector, Submitted), (Supervisor, SentBack), (Inspector, Submitted), (Supervisor, Rejected)],
        );
        assert_eq!(trail, ["SUBMITTED", "SENT_BACK", "SUBMITTED", "REJECTED"]);
    }

    #[test]
    fn an_inspector_cannot_approve_their_own_inspection() {
        let mut record = inspection();
        let refs = demo::reference();
        step(&mut record, &refs, TransitionId::new(), actor(Inspector), Submitted, 1, None).unwrap();
        let err = step(&mut record, &refs, TransitionId::new(), actor(Inspector), Approved, 2, None).unwrap_err();
        assert!(
            matches!(err, Error::InvalidTransition { from: Submitted, to: Approved, role: Inspector }),
            "got {err:?}"
        );
        assert_eq!(err.to_string(), "transition from SUBMITTED to APPROVED is not allowed for role inspector");
        assert_eq!(record.transitions.len(), 1, "a refused step leaves no trace");
    }

    #[test]
    fn sending_back_or_rejecting_needs_a_reason_in_words_and_the_reason_reaches_the_record() {
        let refs = demo::reference();
        let mut record = inspection();
        step(&mut record, &refs, TransitionId::new(), actor(Inspector), Submitted, 1, None).unwrap();
        for (to, note) in [(SentBack, None), (SentBack, Some("   ")), (Rejected, Some(""))] {
            let err = step(&mut record, &refs, TransitionId::new(), actor(Supervisor), to, 2, note.map(String::from))
                .unwrap_err();
            assert_eq!(err.to_string(), format!("invalid record: note: say why the record goes to {to}"));
        }
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        let err =
            step(&mut record, &refs, TransitionId::new(), actor(Supervisor), SentBack, 2, Some(long)).unwrap_err();
        assert!(err.to_string().contains("at most 1000 characters"), "{err}");
        assert_eq!(record.transitions.len(), 1, "a refused step leaves no trace");
        step(&mut record, &refs, TransitionId::new(), actor(Supervisor), SentBack, 3, Some("water tap photo".into()))
            .unwrap();
        assert_eq!(last_note(&record).and_then(|t| t.note.as_deref()), Some("water tap photo"));
        assert!(content_open(RecordKind::Inspection, record.workflow().status));
        step(&mut record, &refs, TransitionId::new(), actor(Inspector), Submitted, 4_000, None).unwrap();
        assert!(!content_open(RecordKind::Inspection, record.workflow().status));
        assert!(awaits_approval(RecordKind::Inspection, record.workflow().status));
        assert_eq!(record.work_at(), 4_000, "the resubmission's own time (the record was made at 1,000)");
        step(&mut record, &refs, TransitionId::new(), actor(Supervisor), Approved, 5, None).unwrap();
        assert!(!awaits_approval(RecordKind::Inspection, Approved));
    }

    #[test]
    fn a_flagged_trip_needs_attention_until_a_supervisor_settles_it_with_a_note() {
        let mut trip = demo::trip(RecordId::new(), 1, "W01", 1);
        if let Body::Trip(t) = &mut trip.body {
            t.disposal = Some(crate::domain::fsm::TripStep {
                at: 5,
                location: None,
                volume_litres: Some(100.0),
                photos: vec![],
                geofence: None,
            });
        }
        assert!(trip.has_discrepancy() && trip.needs_attention());
        let err = resolve_review(&mut trip, TransitionId::new(), actor(Inspector), Scheduled, 9, None).unwrap_err();
        assert!(matches!(err, Error::InvalidTransition { role: Inspector, .. }));
        resolve_review(
            &mut trip,
            TransitionId::new(),
            actor(Supervisor),
            Scheduled,
            9,
            Some("tank was half full".into()),
        )
        .unwrap();
        assert!(trip.has_discrepancy(), "the evidence stays as it was");
        assert!(!trip.needs_attention());
        let again = resolve_review(&mut trip, TransitionId::new(), actor(Supervisor), Scheduled, 10, None);
        assert!(again.is_err(), "nothing left to settle");
    }

    #[test]
    fn submitting_needs_every_required_answer() {
        let mut record = inspection();
        if let Body::Inspection(i) = &mut record.body {
            i.answers.remove("water");
        }
        let trail = walk(record, &[(Inspector, Submitted)]);
        assert_eq!(trail, ["invalid record: answers.water: must be answered before submitting"]);
    }

    #[test]
    fn the_crew_disposes_a_trip_only_with_the_operators_countersignature() {
        let trip = demo::trip(RecordId::new(), 1, "W01", 1);
        let trail =
            walk(trip, &[(SanitationCrew, WaitingForDisposal), (SanitationCrew, Disposed), (FstpOperator, Disposed)]);
        assert_eq!(
            trail,
            [
                "WAITING_FOR_DISPOSAL",
                "transition from WAITING_FOR_DISPOSAL to DISPOSED is not allowed for role sanitation_crew",
                "DISPOSED"
            ]
        );

        let mut countersigned = demo::trip(RecordId::new(), 1, "W01", 1);
        let crew_key = crate::keys::DeviceKey::from_seed([1; 32]);
        let operator_key = crate::keys::DeviceKey::from_seed([2; 32]);
        let handover = super::super::custody::sign_handover(&crew_key, &countersigned, 10).unwrap();
        let code = super::super::custody::HandoverCode {
            tenant: countersigned.tenant.clone(),
            trip: countersigned.id,
            handover: handover.clone(),
        };
        let countersign = super::super::custody::sign_countersign(&operator_key, &code, 2400.0, None, 20).unwrap();
        if let Body::Trip(t) = &mut countersigned.body {
            t.custody = Some(super::super::custody::Custody { handover, countersign: Some(countersign) });
        }
        // A countersignature without the disposal it signs is not enough either.
        let mut half = countersigned.clone();
        let trail = walk(half.clone(), &[(SanitationCrew, WaitingForDisposal), (SanitationCrew, Disposed)]);
        assert_eq!(
            trail[1],
            "transition from WAITING_FOR_DISPOSAL to DISPOSED is not allowed for role sanitation_crew"
        );
        if let Body::Trip(t) = &mut half.body {
            t.disposal = Some(super::super::fsm::TripStep {
                at: 20,
                location: None,
                volume_litres: Some(2400.0),
                photos: vec![],
                geofence: None,
            });
        }
        let trail = walk(half, &[(SanitationCrew, WaitingForDisposal), (SanitationCrew, Disposed)]);
        assert_eq!(trail, ["WAITING_FOR_DISPOSAL", "DISPOSED"]);
    }

    #[test]
    fn a_pre_pay_job_is_paid_before_a_dso_is_assigned() {
        let job = demo::fsm_job(RecordId::new(), 1, "W01", 1);
        let trail = walk(
            job,
            &[
                (Supervisor, AssignDso),
                (Supervisor, PendingApplFeePayment),
                (Collector, AssignDso),
                (Supervisor, PendingDsoApproval),
                (SanitationCrew, DsoInProgress),
                (SanitationCrew, CitizenFeedbackPending),
                (Supervisor, Completed),
            ],
        );
        assert_eq!(
            trail,
            [
                "transition from CREATED to ASSIGN_DSO is not allowed for role supervisor",
                "PENDING_APPL_FEE_PAYMENT",
                "ASSIGN_DSO",
                "PENDING_DSO_APPROVAL",
                "DSO_INPROGRESS",
                "CITIZEN_FEEDBACK_PENDING",
                "COMPLETED"
            ]
        );
    }

    #[test]
    fn a_post_pay_job_is_paid_after_the_pit_is_emptied() {
        let mut job = demo::fsm_job(RecordId::new(), 1, "W01", 1);
        if let Body::FsmJob(j) = &mut job.body {
            j.payment_preference = PaymentPreference::PostPay;
        }
        let trail = walk(
            job,
            &[
                (Supervisor, AssignDso),
                (Supervisor, PendingDsoApproval),
                (SanitationCrew, DsoRejected),
                (Supervisor, PendingDsoApproval),
                (SanitationCrew, DsoInProgress),
                (SanitationCrew, PendingApplFeePayment),
                (Collector, DisposalInProgress),
                (SanitationCrew, Completed),
            ],
        );
        assert_eq!(
            trail,
            [
                "ASSIGN_DSO",
                "PENDING_DSO_APPROVAL",
                "DSO_REJECTED",
                "PENDING_DSO_APPROVAL",
                "DSO_INPROGRESS",
                "PENDING_APPL_FEE_PAYMENT",
                "DISPOSAL_IN_PROGRESS",
                "COMPLETED"
            ]
        );
    }

    #[test]
    fn every_table_only_names_roles_that_exist_and_reaches_a_final_status() {
        for kind in RecordKind::ALL {
            let statuses = statuses(*kind);
            assert!(statuses.iter().any(|s| is_final(*kind, *s)), "{kind} never ends");
            assert!(!is_final(*kind, initial(*kind)), "{kind} starts finished");
            for r in rules(*kind) {
                assert!(!r.roles.is_empty(), "{kind}: {} -> {} has no role", r.from, r.to);
                assert_ne!(r.from, r.to, "{kind}: a step that goes nowhere");
            }
        }
    }

    fn transition(from: Status, to: Status, role: Role) -> Transition {
        demo::step(TransitionId::new(), 5, role, from, to)
    }

    #[test]
    fn competing_steps_from_the_same_status_put_the_record_in_review_and_keep_both() {
        let mut record = inspection();
        record.transitions = vec![
            transition(Draft, Submitted, Inspector),
            transition(Submitted, Approved, Supervisor),
            transition(Submitted, SentBack, Supervisor),
        ];
        let state = record.workflow();
        assert_eq!(state.status, Approved, "the first consistent history decides the status");
        assert!(state.needs_review);
        assert_eq!(
            state.problems,
            vec![ReviewProblem::Competing {
                transition: record.transitions[2].id,
                from: Submitted,
                to: SentBack,
                current: Approved
            }]
        );
        assert_eq!(record.transitions.len(), 3);
    }

    #[test]
    fn a_merged_step_the_table_forbids_is_kept_and_flagged() {
        let mut record = inspection();
        record.transitions = vec![transition(Draft, Approved, Inspector)];
        let state = record.workflow();
        assert_eq!(state.status, Draft);
        assert!(matches!(
            state.problems[..],
            [ReviewProblem::NotAllowed { from: Draft, to: Approved, role: Inspector, .. }]
        ));
    }

    #[test]
    fn a_supervisor_settles_a_review_and_later_steps_follow_the_table_again() {
        let mut record = inspection();
        record.transitions = vec![
            transition(Draft, Submitted, Inspector),
            transition(Submitted, Approved, Supervisor),
            transition(Submitted, SentBack, Supervisor),
        ];
        let refs = demo::reference();
        let err = resolve_review(&mut record, TransitionId::new(), actor(Inspector), SentBack, 9, None).unwrap_err();
        assert!(matches!(err, Error::InvalidTransition { role: Inspector, .. }));
        resolve_review(&mut record, TransitionId::new(), actor(Supervisor), SentBack, 9, Some("re-inspect".into()))
            .unwrap();
        assert_eq!(record.workflow(), WorkflowState { status: SentBack, needs_review: false, problems: vec![] });
        step(&mut record, &refs, TransitionId::new(), actor(Inspector), Submitted, 10, None).unwrap();
        assert_eq!(record.workflow().status, Submitted);
        assert_eq!(record.transitions.len(), 5, "nothing was dropped");
    }

    #[test]
    fn a_record_not_in_review_cannot_be_resolved() {
        let mut record = inspection();
        let err = resolve_review(&mut record, TransitionId::new(), actor(Supervisor), Approved, 1, None).unwrap_err();
        assert!(matches!(err, Error::InvalidTransition { from: Draft, to: Approved, role: Supervisor }));
    }
}
