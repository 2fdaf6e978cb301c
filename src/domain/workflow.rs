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

/// One allowed step.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub from: Status,
    pub to: Status,
    pub roles: &'static [Role],
    pub path: Path,
}

const fn rule(from: Status, to: Status, roles: &'static [Role]) -> Rule {
    Rule { from, to, roles, path: Path::Any }
}

const fn on(path: Path, from: Status, to: Status, roles: &'static [Role]) -> Rule {
    Rule { from, to, roles, path }
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

const RECEIPT: &[Rule] = &[
    rule(New, Deposited, &[Collector, Supervisor]),
    rule(Deposited, Reconciled, &[Supervisor]),
    rule(New, Cancelled, &[Supervisor]),
    rule(Deposited, Dishonoured, &[Supervisor]),
];

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

/// DIGIT's vehicle trip: only the plant operator disposes or declines.
const TRIP: &[Rule] = &[
    rule(Scheduled, WaitingForDisposal, &[SanitationCrew]),
    rule(WaitingForDisposal, Disposed, &[FstpOperator]),
    rule(WaitingForDisposal, Declined, &[FstpOperator]),
    rule(Declined, WaitingForDisposal, &[SanitationCrew]),
];

/// The table of a kind.
pub fn rules(kind: RecordKind) -> &'static [Rule] {
    match kind {
        RecordKind::Inspection => INSPECTION,
        RecordKind::AssetSurvey => ASSET_SURVEY,
        RecordKind::Receipt => RECEIPT,
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

/// Is this step in the kind's table for this role (and this job's payment path)?
pub fn allows(record: &Record, from: Status, to: Status, role: Role) -> bool {
    let path = path_of(record);
    rules(record.kind()).iter().any(|r| {
        r.from == from
            && r.to == to
            && r.roles.contains(&role)
            && (r.path == Path::Any || Some(r.path) == path)
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
                state.problems.push(ReviewProblem::NotAllowed { transition: t.id, from: t.from, to: t.to, role: t.role });
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
    if let (Body::Inspection(inspection), Submitted) = (&record.body, to) {
        let template = refs.template(&inspection.template_code, inspection.template_version)?;
        let mut c = super::validate::Checker::new();
        c.nested("answers", |c| {
            for q in inspection.unanswered_required(template) {
                c.error(&q, "required", "must be answered before submitting");
            }
        });
        c.finish()?;
    }
    record.transitions.push(Transition { id, at: now, by: actor.user, role: actor.role, from, to, note, resolves_review: false });
    Ok(())
}

/// A supervisor settles a record in review by choosing the status it should have.
pub fn resolve_review(
    record: &mut Record,
    id: TransitionId,
    actor: Actor,
    to: Status,
    now: UnixMillis,
    note: Option<String>,
) -> crate::Result<()> {
    let state = record.workflow();
    if actor.role != Supervisor || !state.needs_review || !statuses(record.kind()).contains(&to) {
        return Err(Error::InvalidTransition { from: state.status, to, role: actor.role });
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
    });
    Ok(())
}
