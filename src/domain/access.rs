//! Who may see and write which records: the scope of a device's user (town, roles, wards).
//!
//! The server applies these rules to every change a device pushes and to every record it
//! sends; the app can use them to hide what a user could not save anyway.

use super::workflow;
use super::{Record, RecordKind, Role, WardCode};
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
        Role::Collector => &[Receipt, Reversal, FsmJob],
        Role::SanitationCrew => &[FsmJob, Trip],
        Role::FstpOperator => &[Trip],
        Role::Supervisor => &[Inspection, AssetSurvey, Receipt, Reversal, Handover, FsmJob, Trip],
        Role::Admin => &[],
    }
}

impl Scope {
    fn works_with(&self, kind: RecordKind) -> bool {
        self.roles.iter().any(|r| kinds_of(*r).contains(&kind))
    }

    fn covers_ward(&self, ward: Option<&str>) -> bool {
        match ward {
            Some(w) => self.wards.is_empty() || self.wards.iter().any(|mine| mine == w),
            None => true,
        }
    }

    /// Does this device receive records of `kind` in `ward`?
    pub fn can_see(&self, kind: RecordKind, ward: Option<&str>) -> bool {
        self.works_with(kind) && self.covers_ward(ward)
    }

    /// May this device turn `before` (absent for a new record) into `after`?
    pub fn check_write(&self, before: Option<&Record>, after: &Record) -> Result<(), Refusal> {
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
            if !self.covers_ward(before.ward.as_deref()) {
                return refuse(
                    "ward_out_of_scope",
                    format!("ward {} is not yours", before.ward.clone().unwrap_or_default()),
                );
            }
        }
        if !self.works_with(after.kind()) {
            return refuse("kind_not_allowed", format!("your role does not work with {} records", after.kind()));
        }
        if !self.covers_ward(after.ward.as_deref()) {
            return refuse(
                "ward_out_of_scope",
                format!("ward {} is not yours", after.ward.clone().unwrap_or_default()),
            );
        }
        if let Some(field) = before.and_then(|b| b.changed_money_field(after)) {
            return refuse(
                "receipt_immutable",
                format!("an issued {} never changes ({field} was changed)", after.kind()),
            );
        }
        let old: &[super::Transition] = before.map_or(&[], |b| &b.transitions);
        if old.iter().any(|t| !after.transitions.iter().any(|n| n.id == t.id)) {
            return refuse("history_rewritten", "a workflow step was removed");
        }
        for t in after.transitions.iter().filter(|t| !old.iter().any(|o| o.id == t.id)) {
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
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::domain::Status;
    use crate::domain::workflow::{Actor, step};
    use crate::ids::{RecordId, TransitionId};

    fn scope(role: Role, wards: &[&str]) -> Scope {
        Scope {
            tenant: demo::TENANT.into(),
            user: demo::user_id(role),
            roles: vec![role],
            wards: wards.iter().map(|w| w.to_string()).collect(),
        }
    }

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
        assert_eq!(code(inspector.check_write(None, &mine)), "ok");
        let elsewhere = demo::inspection(RecordId::new(), 1, "W02", 1);
        assert_eq!(code(inspector.check_write(None, &elsewhere)), "ward_out_of_scope");
        let receipt = demo::receipt(RecordId::new(), 1, "W01", 1);
        assert_eq!(code(inspector.check_write(None, &receipt)), "kind_not_allowed");
        let mut other_town = mine.clone();
        other_town.tenant = "pb.patiala".into();
        assert_eq!(code(inspector.check_write(None, &other_town)), "tenant_mismatch");
        let mut moved = mine.clone();
        moved.ward = Some("W03".into());
        assert_eq!(code(inspector.check_write(Some(&mine), &moved)), "ward_out_of_scope");
    }

    #[test]
    fn a_step_must_be_signed_by_the_user_in_a_role_they_hold() {
        let refs = demo::reference();
        let before = demo::inspection(RecordId::new(), 1, "W01", 2);
        let mut after = before.clone();
        let supervisor = Actor { user: demo::user_id(Role::Supervisor), role: Role::Supervisor };
        let inspector = Actor { user: demo::user_id(Role::Inspector), role: Role::Inspector };
        step(&mut after, &refs, TransitionId::new(), inspector, Status::Submitted, 2, None).unwrap();
        assert_eq!(code(scope(Role::Inspector, &["W01"]).check_write(Some(&before), &after)), "ok");
        assert_eq!(code(scope(Role::Supervisor, &[]).check_write(Some(&before), &after)), "transition_not_yours");
        let mut approved = after.clone();
        step(&mut approved, &refs, TransitionId::new(), supervisor, Status::Approved, 3, None).unwrap();
        let mut forged = approved.clone();
        forged.transitions[1].role = Role::Inspector;
        forged.transitions[1].by = inspector.user;
        assert_eq!(code(scope(Role::Inspector, &["W01"]).check_write(Some(&after), &forged)), "transition_not_allowed");
        let mut erased = approved.clone();
        erased.transitions.clear();
        assert_eq!(code(scope(Role::Supervisor, &[]).check_write(Some(&approved), &erased)), "history_rewritten");
    }

    #[test]
    fn an_issued_receipt_is_refused_any_change_but_a_new_workflow_step() {
        let collector = scope(Role::Collector, &["W02"]);
        let issued = demo::receipt(RecordId::new(), 1, "W02", 4);
        let mut altered = issued.clone();
        if let crate::domain::Body::Receipt(r) = &mut altered.body {
            r.lines[0].amount.0 += 1;
        }
        assert_eq!(code(collector.check_write(Some(&issued), &altered)), "receipt_immutable");
        let mut deposited = issued.clone();
        let refs = demo::reference();
        let actor = Actor { user: demo::user_id(Role::Collector), role: Role::Collector };
        step(&mut deposited, &refs, TransitionId::new(), actor, Status::Deposited, 2, None).unwrap();
        assert_eq!(code(collector.check_write(Some(&issued), &deposited)), "ok");
    }
}
