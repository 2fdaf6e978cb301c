//! Who may see and write which records: the scope of a device's user (town, roles, wards).
//!
//! The server applies these rules to every change a device pushes and to every record it
//! sends; the app can use them to hide what a user could not save anyway.

use super::workflow;
use super::{Record, RecordKind, Role, UnixMillis, WardCode};
use crate::ids::{TenantId, UserId};

/// The town, user, roles and wards a device acts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub tenant: TenantId,
    pub user: UserId,
    pub roles: Vec<Role>,
    /// Wards the user works in; empty means the whole town.
    pub wards: Vec<WardCode>,
}

/// Why a change was refused, with a stable code for machines and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub reason: String,
}

fn refuse(code: &'static str, reason: impl Into<String>) -> Result<(), Refusal> {
    Err(Refusal { code, reason: reason.into() })
}

/// The kinds a role works with: it receives them and may write them.
pub fn kinds_of(role: Role) -> &'static [RecordKind] {
    use RecordKind::*;
    match role {
        Role::Inspector => &[Inspection],
        Role::Surveyor => &[AssetSurvey],
        Role::Collector => &[Receipt, Reversal, Handover, FsmJob],
        Role::SanitationCrew => &[FsmJob, Trip],
        Role::FstpOperator => &[Trip],
        Role::Supervisor => &[Inspection, AssetSurvey, Receipt, Reversal, Handover, FsmJob, Trip],
        Role::Admin => &[],
    }
}

/// The ward of a new record of a user working in `wards` (empty: the whole town): the ward of
/// its place when it has one, else the user's only ward, else the one they `chose` among theirs.
/// A user of several wards must choose for a record without a place (`ward`, `required`); a
/// ward not theirs is refused (`ward`, `not_a_choice`), as the server would.
pub fn ward_of_new(
    wards: &[WardCode],
    placed: Option<&str>,
    chosen: Option<&str>,
) -> Result<Option<WardCode>, super::validate::FieldError> {
    let error = |code: &str, message: &str| super::validate::FieldError {
        field: "ward".into(),
        code: code.into(),
        message: message.into(),
    };
    if let Some(ward) = placed {
        return Ok(Some(ward.to_string()));
    }
    let chosen = chosen.map(str::trim).filter(|w| !w.is_empty());
    match (wards, chosen) {
        (_, Some(ward)) if wards.is_empty() || wards.iter().any(|w| w == ward) => Ok(Some(ward.to_string())),
        (_, Some(_)) => Err(error("not_a_choice", "is not one of your wards")),
        ([only], None) => Ok(Some(only.clone())),
        ([], None) => Ok(None),
        (_, None) => Err(error("required", "choose the ward: you work in several")),
    }
}

/// The screens of the app that start work, and the role each needs: the app offers a user only
/// those of their roles, and the use case behind each refuses anyone else (`not_allowed`).
pub const TASKS: &[(&str, Role)] = &[
    ("new_inspection", Role::Inspector),
    ("new_asset", Role::Surveyor),
    ("collect_fee", Role::Collector),
    ("day_end", Role::Collector),
    ("fsm_jobs", Role::SanitationCrew),
    ("fsm_jobs", Role::Supervisor),
    ("new_fsm_job", Role::Supervisor),
    ("trips", Role::FstpOperator),
    ("review", Role::Supervisor),
];

/// The tasks `roles` may start, each once, in [`TASKS`] order.
pub fn tasks(roles: &[Role]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (task, role) in TASKS {
        if roles.contains(role) && !out.contains(task) {
            out.push(task);
        }
    }
    out
}

/// The forms `roles` may fill on `record` now, beyond its workflow steps: the crew's pickup on a
/// job in progress (`trip_pickup`), the operator's disposal on a trip waiting at the plant
/// (`trip_disposal`), the crew's handover code at the gate (`handover`).
pub fn record_forms(record: &Record, roles: &[Role]) -> Vec<&'static str> {
    use super::{Body, Status};
    let status = record.workflow().status;
    let mut out = Vec::new();
    match &record.body {
        Body::FsmJob(_)
            if roles.contains(&Role::SanitationCrew)
                && matches!(status, Status::DsoInProgress | Status::DisposalInProgress) =>
        {
            out.push("trip_pickup")
        }
        Body::Trip(trip) if status == Status::WaitingForDisposal => {
            if roles.contains(&Role::FstpOperator) {
                out.push("trip_disposal");
            }
            if roles.contains(&Role::SanitationCrew) && trip.disposal.is_none() {
                out.push("handover");
            }
        }
        _ => {}
    }
    out
}

impl Scope {
    fn works_with(&self, kind: RecordKind) -> bool {
        self.roles.iter().any(|r| kinds_of(*r).contains(&kind))
    }

    /// A record without a ward belongs to the whole town: only whole-town users cover it.
    /// (Also what the office console asks of a device's user and its wards.)
    pub fn covers_ward(&self, ward: Option<&str>) -> bool {
        self.wards.is_empty() || ward.is_some_and(|w| self.wards.iter().any(|mine| mine == w))
    }

    /// Refuses a ward the user does not work in, or no ward at all for a ward-scoped user.
    fn check_ward(&self, ward: Option<&str>) -> Result<(), Refusal> {
        match ward {
            _ if self.covers_ward(ward) => Ok(()),
            Some(w) => refuse("ward_out_of_scope", format!("ward {w} is not yours")),
            None => refuse("ward_required", "the record has neither a ward nor a place inside one of your wards"),
        }
    }

    /// Does this device receive records of `kind` in `ward`?
    pub fn can_see(&self, kind: RecordKind, ward: Option<&str>) -> bool {
        self.works_with(kind) && self.covers_ward(ward)
    }

    /// May this device turn `before` (absent for a new record) into `after`, at `now` by the
    /// judge's clock? These are the rules a record keeps whoever sends it: identity, scope,
    /// money that never changes, a history that only grows (a step that sends a record back or
    /// rejects it says why),
    /// custody evidence that never changes, and no time more than [`MAX_CLOCK_AHEAD_MS`] ahead.
    /// Final states are judged apart, by [`final_edit`].
    pub fn check_write(&self, before: Option<&Record>, after: &Record, now: UnixMillis) -> Result<(), Refusal> {
        if after.tenant != self.tenant {
            return refuse(
                "tenant_mismatch",
                format!("the record belongs to {}, not to {}", after.tenant, self.tenant),
            );
        }
        if let Some(before) = before {
            if before.tenant != after.tenant || before.kind() != after.kind() || before.id != after.id {
                return refuse("identity_changed", "a record's town, kind and id never change");
            }
            self.check_ward(before.ward.as_deref())?;
            if before.created_by != after.created_by || before.created_at != after.created_at {
                return refuse("identity_changed", "who created a record, and when, never changes");
            }
        }
        if !self.works_with(after.kind()) {
            return refuse("kind_not_allowed", format!("your role does not work with {} records", after.kind()));
        }
        self.check_ward(after.ward.as_deref())?;
        if let Some(field) = before.and_then(|b| b.changed_money_field(after)) {
            return refuse(
                "receipt_immutable",
                format!("an issued {} never changes ({field} was changed)", after.kind()),
            );
        }
        let old: &[super::Transition] = before.map_or(&[], |b| &b.transitions);
        for t in old {
            match after.transitions.iter().find(|n| n.id == t.id) {
                None => return refuse("history_rewritten", "a workflow step was removed"),
                Some(n) if n != t => {
                    return refuse(
                        "history_rewritten",
                        format!("the stored step {} → {} was changed; a step never changes once taken", t.from, t.to),
                    );
                }
                Some(_) => {}
            }
        }
        if after.transitions.iter().enumerate().any(|(i, t)| after.transitions[..i].iter().any(|o| o.id == t.id)) {
            return refuse("history_rewritten", "two workflow steps share one id");
        }
        let new_steps: Vec<&super::Transition> =
            after.transitions.iter().filter(|t| !old.iter().any(|o| o.id == t.id)).collect();
        for t in &new_steps {
            if t.by != self.user || !self.roles.contains(&t.role) {
                return refuse(
                    "transition_not_yours",
                    format!("a step {} → {} was signed as someone else", t.from, t.to),
                );
            }
            let settles = t.resolves_review && t.role == Role::Supervisor;
            if !settles && !workflow::allows(after, t.from, t.to, t.role) {
                return refuse(
                    "transition_not_allowed",
                    format!("role {} may not move a {} from {} to {}", t.role, after.kind(), t.from, t.to),
                );
            }
            if !t.resolves_review && workflow::needs_reason(t.to) && !workflow::has_reason(t.note.as_deref()) {
                return refuse("reason_required", format!("a step {} → {} must say why, in its note", t.from, t.to));
            }
            if t.note.as_deref().is_some_and(|n| n.chars().count() > workflow::MAX_NOTE_CHARS) {
                return refuse(
                    "note_too_long",
                    format!("a step's note has at most {} characters", workflow::MAX_NOTE_CHARS),
                );
            }
            if t.at > now + MAX_CLOCK_AHEAD_MS {
                return refuse("time_in_future", format!("the step {} → {} is dated in the future", t.from, t.to));
            }
        }
        if before.is_none() && after.created_at > now + MAX_CLOCK_AHEAD_MS {
            return refuse("time_in_future", "the record is dated in the future");
        }
        if let Some(part) = before.and_then(|b| changed_custody(b, after)) {
            return refuse("custody_immutable", format!("stored custody evidence never changes ({part} was changed)"));
        }
        Ok(())
    }
}

/// Final means final: a record whose work is over (approved, rejected, disposed, completed...)
/// refuses every edit of its content unless the same change reopens it with a supervisor's
/// settling step. `seen` is the record as the writer saw it when making the change (the
/// server judges a change by the state it was made from: an edit made offline while another
/// device closed the record is not refused, but flagged for review by the caller).
pub fn final_edit(seen: &Record, after: &Record) -> Result<(), Refusal> {
    let status = seen.workflow().status;
    let reopened = after
        .transitions
        .iter()
        .filter(|t| !seen.transitions.iter().any(|o| o.id == t.id))
        .any(|t| t.resolves_review && t.role == Role::Supervisor);
    if workflow::is_final(seen.kind(), status) && !reopened && !same_content(seen, after) {
        return refuse(
            "record_final",
            format!("a {} that is {status} never changes; a supervisor must reopen it first", after.kind()),
        );
    }
    Ok(())
}

/// A device's clock may run ahead of the server's by at most this much (a day).
pub const MAX_CLOCK_AHEAD_MS: UnixMillis = 24 * 60 * 60 * 1000;

/// Everything but the history is the same.
fn same_content(a: &Record, b: &Record) -> bool {
    a.body == b.body && a.ward == b.ward && a.assignee == b.assignee
}

/// The part of a trip's custody evidence that a change altered or removed, if any. A
/// countersignature may be added to a handover once; neither changes after it is stored.
fn changed_custody(before: &Record, after: &Record) -> Option<&'static str> {
    let (super::Body::Trip(b), super::Body::Trip(a)) = (&before.body, &after.body) else { return None };
    let stored = b.custody.as_ref()?;
    let Some(now) = a.custody.as_ref() else { return Some("custody") };
    if now.handover != stored.handover {
        return Some("handover");
    }
    match (&stored.countersign, &now.countersign) {
        (Some(x), Some(y)) if x != y => Some("countersign"),
        (Some(_), None) => Some("countersign"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::domain::Status;
    use crate::domain::workflow::{Actor, step};
    use crate::ids::{RecordId, TransitionId};

    #[test]
    fn a_record_without_a_place_takes_the_only_ward_or_the_chosen_one() {
        let two = ["W01".to_string(), "W02".to_string()];
        assert_eq!(ward_of_new(&two, Some("W03"), None), Ok(Some("W03".into())), "its place decides");
        assert_eq!(ward_of_new(&two[..1], None, None), Ok(Some("W01".into())));
        assert_eq!(ward_of_new(&two, None, Some("W02")), Ok(Some("W02".into())));
        assert_eq!(ward_of_new(&two, None, None).unwrap_err().code, "required");
        assert_eq!(ward_of_new(&two, None, Some("W03")).unwrap_err().code, "not_a_choice");
        assert_eq!(ward_of_new(&[], None, None), Ok(None), "a whole-town user's record belongs to the town");
        assert_eq!(ward_of_new(&[], None, Some("W03")), Ok(Some("W03".into())));
    }

    #[test]
    fn each_role_is_offered_only_the_work_it_may_do() {
        assert_eq!(tasks(&[Role::SanitationCrew]), ["fsm_jobs"], "the crew takes jobs but never registers one");
        assert_eq!(tasks(&[Role::Supervisor]), ["fsm_jobs", "new_fsm_job", "review"]);
        assert_eq!(tasks(&[Role::Inspector, Role::Surveyor]), ["new_inspection", "new_asset"]);
        assert_eq!(tasks(&[Role::Admin]), Vec::<&str>::new());
        let mut job = demo::fsm_job(RecordId::new(), 1, "W01", 1);
        assert_eq!(record_forms(&job, &[Role::SanitationCrew]), Vec::<&str>::new(), "not yet assigned");
        for (to, role) in [
            (Status::PendingApplFeePayment, Role::Supervisor),
            (Status::AssignDso, Role::Supervisor),
            (Status::PendingDsoApproval, Role::Supervisor),
            (Status::DsoInProgress, Role::SanitationCrew),
        ] {
            let actor = Actor { user: demo::user_id(role), role };
            step(&mut job, &demo::reference(), TransitionId::new(), actor, to, 2, None).unwrap();
        }
        assert_eq!(record_forms(&job, &[Role::SanitationCrew]), ["trip_pickup"]);
        assert_eq!(record_forms(&job, &[Role::Supervisor]), Vec::<&str>::new());
        let mut trip = demo::trip(RecordId::new(), 1, "W01", 1);
        let crew = Actor { user: demo::user_id(Role::SanitationCrew), role: Role::SanitationCrew };
        step(&mut trip, &demo::reference(), TransitionId::new(), crew, Status::WaitingForDisposal, 2, None).unwrap();
        assert_eq!(record_forms(&trip, &[Role::FstpOperator]), ["trip_disposal"]);
        assert_eq!(record_forms(&trip, &[Role::SanitationCrew]), ["handover"]);
    }

    fn scope(role: Role, wards: &[&str]) -> Scope {
        Scope {
            tenant: demo::TENANT.into(),
            user: demo::user_id(role),
            roles: vec![role],
            wards: wards.iter().map(|w| w.to_string()).collect(),
        }
    }

    const NOW: UnixMillis = 1_000_000;

    fn code(r: Result<(), Refusal>) -> &'static str {
        r.err().map_or("ok", |r| r.code)
    }

    #[test]
    fn each_role_sees_its_own_kinds_in_its_own_wards() {
        let inspector = scope(Role::Inspector, &["W01"]);
        assert!(inspector.can_see(RecordKind::Inspection, Some("W01")));
        assert!(!inspector.can_see(RecordKind::Inspection, Some("W02")));
        assert!(!inspector.can_see(RecordKind::Receipt, Some("W01")));
        let supervisor = scope(Role::Supervisor, &[]);
        assert!(RecordKind::ALL.iter().all(|k| supervisor.can_see(*k, Some("W03"))));
        assert!(!scope(Role::Admin, &[]).can_see(RecordKind::Inspection, None));
    }

    #[test]
    fn writing_is_refused_outside_the_town_the_kind_or_the_ward() {
        let inspector = scope(Role::Inspector, &["W01"]);
        let mine = demo::inspection(RecordId::new(), 1, "W01", 1);
        assert_eq!(code(inspector.check_write(None, &mine, NOW)), "ok");
        let elsewhere = demo::inspection(RecordId::new(), 1, "W02", 1);
        assert_eq!(code(inspector.check_write(None, &elsewhere, NOW)), "ward_out_of_scope");
        let receipt = demo::receipt(RecordId::new(), 1, "W01", 1);
        assert_eq!(code(inspector.check_write(None, &receipt, NOW)), "kind_not_allowed");
        let mut other_town = mine.clone();
        other_town.tenant = "pb.patiala".into();
        assert_eq!(code(inspector.check_write(None, &other_town, NOW)), "tenant_mismatch");
        let mut moved = mine.clone();
        moved.ward = Some("W03".into());
        assert_eq!(code(inspector.check_write(Some(&mine), &moved, NOW)), "ward_out_of_scope");
    }

    #[test]
    fn a_step_must_be_signed_by_the_user_in_a_role_they_hold() {
        let refs = demo::reference();
        let before = demo::inspection(RecordId::new(), 1, "W01", 2);
        let mut after = before.clone();
        let supervisor = Actor { user: demo::user_id(Role::Supervisor), role: Role::Supervisor };
        let inspector = Actor { user: demo::user_id(Role::Inspector), role: Role::Inspector };
        step(&mut after, &refs, TransitionId::new(), inspector, Status::Submitted, 2, None).unwrap();
        assert_eq!(code(scope(Role::Inspector, &["W01"]).check_write(Some(&before), &after, NOW)), "ok");
        assert_eq!(code(scope(Role::Supervisor, &[]).check_write(Some(&before), &after, NOW)), "transition_not_yours");
        let mut approved = after.clone();
        step(&mut approved, &refs, TransitionId::new(), supervisor, Status::Approved, 3, None).unwrap();
        let mut forged = approved.clone();
        forged.transitions[1].role = Role::Inspector;
        forged.transitions[1].by = inspector.user;
        assert_eq!(
            code(scope(Role::Inspector, &["W01"]).check_write(Some(&after), &forged, NOW)),
            "transition_not_allowed"
        );
        let mut erased = approved.clone();
        erased.transitions.clear();
        assert_eq!(code(scope(Role::Supervisor, &[]).check_write(Some(&approved), &erased, NOW)), "history_rewritten");
    }

    #[test]
    fn a_send_back_without_a_reason_is_refused_and_an_edited_resubmission_is_accepted() {
        let refs = demo::reference();
        let supervisor = Actor { user: demo::user_id(Role::Supervisor), role: Role::Supervisor };
        let inspector = Actor { user: demo::user_id(Role::Inspector), role: Role::Inspector };
        let mut submitted = demo::inspection(RecordId::new(), 1, "W01", 2);
        step(&mut submitted, &refs, TransitionId::new(), inspector, Status::Submitted, 2, None).unwrap();
        let office = scope(Role::Supervisor, &[]);
        // A tampered device skips the domain's check: a bare step to SENT_BACK.
        let mut bare = submitted.clone();
        let mut forged = bare.transitions[0].clone();
        (forged.id, forged.by, forged.role, forged.from, forged.to, forged.note) = (
            TransitionId::new(),
            supervisor.user,
            Role::Supervisor,
            Status::Submitted,
            Status::SentBack,
            Some(" ".into()),
        );
        bare.transitions.push(forged);
        assert_eq!(code(office.check_write(Some(&submitted), &bare, NOW)), "reason_required");
        let mut sent_back = submitted.clone();
        step(&mut sent_back, &refs, TransitionId::new(), supervisor, Status::SentBack, 3, Some("no photo".into()))
            .unwrap();
        assert_eq!(code(office.check_write(Some(&submitted), &sent_back, NOW)), "ok");
        // The inspector edits the answers and submits again: a new step, the old ones kept.
        let mut again = sent_back.clone();
        if let crate::domain::Body::Inspection(i) = &mut again.body {
            i.subject = "Community toilet, Ward 1 (rear block)".into();
        }
        step(&mut again, &refs, TransitionId::new(), inspector, Status::Submitted, 4, None).unwrap();
        let field = scope(Role::Inspector, &["W01"]);
        assert_eq!(code(field.check_write(Some(&sent_back), &again, NOW)), "ok");
        // Rewriting the supervisor's note on the way is still a rewritten history.
        let mut quiet = again.clone();
        quiet.transitions[1].note = Some("fine".into());
        assert_eq!(code(field.check_write(Some(&sent_back), &quiet, NOW)), "history_rewritten");
    }

    #[test]
    fn an_issued_receipt_is_refused_any_change_but_a_new_workflow_step() {
        let collector = scope(Role::Collector, &["W02"]);
        let issued = demo::receipt(RecordId::new(), 1, "W02", 4);
        let mut altered = issued.clone();
        if let crate::domain::Body::Receipt(r) = &mut altered.body {
            r.lines[0].amount.0 += 1;
        }
        assert_eq!(code(collector.check_write(Some(&issued), &altered, NOW)), "receipt_immutable");
        let mut deposited = issued.clone();
        let refs = demo::reference();
        let actor = Actor { user: demo::user_id(Role::Collector), role: Role::Collector };
        step(&mut deposited, &refs, TransitionId::new(), actor, Status::Deposited, 2, None).unwrap();
        assert_eq!(code(collector.check_write(Some(&issued), &deposited, NOW)), "ok");
    }
}
