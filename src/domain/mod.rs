//! The records field staff keep, in DIGIT's vocabulary where it fits, and the rules over them.
//!
//! A [`Record`] is one document: a header (town, ward, assignee, who created it), the list of
//! workflow [`Transition`]s, and a [`Body`] for its kind. Its status is never stored: it is
//! derived from the transitions by [`workflow::WorkflowState::derive`], so two devices that
//! moved the same record concurrently end with both steps kept and the record in review.
//!
//! Architecture invariant: nothing here does I/O. Clocks, ids and reference data are passed in.

pub mod access;
pub mod asset;
pub mod cash;
pub mod custody;
pub mod fsm;
pub mod inspection;
pub mod number;
pub mod receipt;
pub mod reference;
pub mod validate;
pub mod workflow;

use autosurgeon::{Hydrate, Reconcile};

use crate::ids::{RecordId, TenantId, TransitionId, UserId, WardCode};

pub use asset::AssetSurvey;
pub use cash::Handover;
pub use fsm::{FsmJob, Trip};
pub use inspection::{Answer, Inspection};
pub use receipt::{Paise, Receipt, Reversal};
pub use reference::ReferenceData;
pub use workflow::WorkflowState;

string_enum!(
    /// What a member of staff may do; a user can hold several roles.
    Role {
        Inspector => "inspector",
        Surveyor => "surveyor",
        Collector => "collector",
        SanitationCrew => "sanitation_crew",
        FstpOperator => "fstp_operator",
        Supervisor => "supervisor",
        Admin => "admin",
    }
);

string_enum!(
    /// The kinds of field record.
    RecordKind {
        Inspection => "inspection",
        AssetSurvey => "asset_survey",
        Receipt => "receipt",
        Reversal => "reversal",
        Handover => "handover",
        FsmJob => "fsm_job",
        Trip => "trip",
    }
);

string_enum!(
    /// Workflow states of every record kind, spelt as DIGIT spells them where DIGIT has them.
    /// Which states belong to which kind is in [`workflow`]'s tables.
    Status {
        Draft => "DRAFT",
        Submitted => "SUBMITTED",
        SentBack => "SENT_BACK",
        Approved => "APPROVED",
        Rejected => "REJECTED",
        Initiated => "INITIATED",
        PendingForApproval => "PENDINGFORAPPROVAL",
        PendingForModification => "PENDINGFORMODIFICATION",
        New => "NEW",
        Deposited => "DEPOSITED",
        Reconciled => "RECONCILED",
        Cancelled => "CANCELLED",
        Requested => "REQUESTED",
        Dishonoured => "DISHONOURED",
        Created => "CREATED",
        PendingApplFeePayment => "PENDING_APPL_FEE_PAYMENT",
        AssignDso => "ASSIGN_DSO",
        PendingDsoApproval => "PENDING_DSO_APPROVAL",
        DsoRejected => "DSO_REJECTED",
        DsoInProgress => "DSO_INPROGRESS",
        DisposalInProgress => "DISPOSAL_IN_PROGRESS",
        CitizenFeedbackPending => "CITIZEN_FEEDBACK_PENDING",
        Completed => "COMPLETED",
        Scheduled => "SCHEDULED",
        WaitingForDisposal => "WAITING_FOR_DISPOSAL",
        Disposed => "DISPOSED",
        Declined => "DECLINED",
    }
);

pub use crate::ids::UnixMillis;

/// A GPS fix. `accuracy_m` is the radius (metres) the receiver reported, when it did.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
}

/// An address in DIGIT's shape.
#[derive(Clone, Debug, Default, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct Address {
    pub door_no: Option<String>,
    pub plot_no: Option<String>,
    pub street: Option<String>,
    pub locality: Option<String>,
    pub slum_name: Option<String>,
    pub pincode: Option<String>,
    pub location: Option<GeoPoint>,
}

impl Address {
    /// The address as one line of text, for lists and search.
    pub fn one_line(&self) -> String {
        [&self.door_no, &self.plot_no, &self.street, &self.locality, &self.slum_name, &self.pincode]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A photo kept on the device by its SHA-256 (hex); the bytes travel on their own channel.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct PhotoRef {
    #[key]
    pub sha256: String,
    pub taken_at: Option<UnixMillis>,
    pub location: Option<GeoPoint>,
}

/// One workflow step: who, in which role, when, from which status to which.
///
/// A supervisor's `resolves_review` step settles a record in review: every step before it is
/// kept but no longer questioned.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct Transition {
    #[key]
    pub id: TransitionId,
    pub at: UnixMillis,
    pub by: UserId,
    pub role: Role,
    pub from: Status,
    pub to: Status,
    pub note: Option<String>,
    pub resolves_review: bool,
    /// The ed25519 signature of the device that took the step, over the step and its record
    /// ([`crate::ledger::step_bytes`]; base64url). The server refuses a new step its device
    /// did not sign. Steps stored before steps were signed have none.
    #[serde(default)]
    pub signature: Option<String>,
}

/// The kind-specific part of a record.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    Inspection(Inspection),
    AssetSurvey(AssetSurvey),
    Receipt(Receipt),
    Reversal(Reversal),
    Handover(Handover),
    FsmJob(FsmJob),
    Trip(Trip),
}

impl Body {
    pub fn kind(&self) -> RecordKind {
        match self {
            Body::Inspection(_) => RecordKind::Inspection,
            Body::AssetSurvey(_) => RecordKind::AssetSurvey,
            Body::Receipt(_) => RecordKind::Receipt,
            Body::Reversal(_) => RecordKind::Reversal,
            Body::Handover(_) => RecordKind::Handover,
            Body::FsmJob(_) => RecordKind::FsmJob,
            Body::Trip(_) => RecordKind::Trip,
        }
    }
}

/// One field record: the content of one Automerge document.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub id: RecordId,
    pub tenant: TenantId,
    pub ward: Option<WardCode>,
    pub assignee: Option<UserId>,
    pub created_by: UserId,
    pub created_at: UnixMillis,
    pub transitions: Vec<Transition>,
    pub body: Body,
}

impl Record {
    /// A new record with no workflow history (its status is the kind's initial status).
    pub fn new(id: RecordId, tenant: &str, created_by: UserId, now: UnixMillis, body: Body) -> Self {
        Record {
            id,
            tenant: tenant.to_string(),
            ward: None,
            assignee: None,
            created_by,
            created_at: now,
            transitions: Vec::new(),
            body,
        }
    }

    pub fn kind(&self) -> RecordKind {
        self.body.kind()
    }

    /// Status and review state, derived from the transitions.
    pub fn workflow(&self) -> WorkflowState {
        WorkflowState::derive(self)
    }

    /// A short human title for lists: the premises, asset, payer or applicant.
    pub fn title(&self) -> String {
        match &self.body {
            Body::Inspection(i) => i.subject.clone(),
            Body::AssetSurvey(a) => a.asset_name.clone(),
            Body::Receipt(r) => format!("{} {}", r.receipt_number, r.payer_name),
            Body::Reversal(r) => format!("Reversal of {}", r.receipt_number),
            Body::Handover(h) => format!("Cash handover {}", h.day),
            Body::FsmJob(j) => format!("{} {}", j.application_no, j.applicant_name),
            Body::Trip(t) => format!("{} {}", t.application_no, t.vehicle),
        }
    }

    /// Text a search box should find this record by: names, addresses, numbers.
    pub fn search_text(&self) -> String {
        let extra = match &self.body {
            Body::Inspection(i) => i.address.one_line(),
            Body::AssetSurvey(a) => a.address.one_line(),
            Body::Reversal(r) => r.reason.clone(),
            Body::Handover(h) => h.note.clone().unwrap_or_default(),
            Body::Receipt(r) => {
                format!("{} {}", r.business_service, r.mobile_number.clone().unwrap_or_default())
            }
            Body::FsmJob(j) => {
                format!("{} {}", j.address.one_line(), j.mobile_number.clone().unwrap_or_default())
            }
            Body::Trip(t) => t.driver.clone(),
        };
        format!("{} {}", self.title(), extra)
    }

    /// Money records (receipts and their reversals) never change once issued: only their
    /// workflow history grows. Returns the first part that differs, if any.
    pub fn changed_money_field(&self, after: &Record) -> Option<&'static str> {
        if !matches!(self.kind(), RecordKind::Receipt | RecordKind::Reversal | RecordKind::Handover) {
            return None;
        }
        let history_kept = after.transitions.len() >= self.transitions.len()
            && self.transitions.iter().zip(&after.transitions).all(|(a, b)| a == b);
        [
            ("body", self.body == after.body),
            ("tenant", self.tenant == after.tenant),
            ("ward", self.ward == after.ward),
            ("assignee", self.assignee == after.assignee),
            ("created_by", self.created_by == after.created_by),
            ("created_at", self.created_at == after.created_at),
            ("transitions", history_kept),
        ]
        .into_iter()
        .find_map(|(field, same)| (!same).then_some(field))
    }

    /// A cash handover whose count differs from what the receipts say: kept, and flagged for
    /// the supervisor's attention.
    pub fn has_discrepancy(&self) -> bool {
        match &self.body {
            Body::Handover(h) => h.discrepancy().0 != 0,
            Body::Trip(t) => !t.concerns().is_empty(),
            _ => false,
        }
    }

    /// Whether a supervisor must look at it: its history has competing or forbidden steps, or
    /// it is flagged (a trip's possible dumping or volume mismatch, a handover's discrepancy)
    /// and no supervisor has settled it since (her settling step is the record's last).
    pub fn needs_attention(&self) -> bool {
        let settled = self.transitions.last().is_some_and(|t| t.resolves_review && t.role == Role::Supervisor);
        self.workflow().needs_review || (self.has_discrepancy() && !settled)
    }

    /// When the work was done, by the record's own clock: its last workflow step (a submission,
    /// a disposal), or its creation. Not when it reached this device.
    pub fn work_at(&self) -> UnixMillis {
        self.transitions.iter().map(|t| t.at).max().unwrap_or(self.created_at).max(self.created_at)
    }

    /// Where the record was taken, if it carries a place.
    pub fn location(&self) -> Option<&GeoPoint> {
        match &self.body {
            Body::Inspection(i) => i.location.as_ref().or(i.address.location.as_ref()),
            Body::AssetSurvey(a) => Some(&a.location),
            Body::Receipt(r) => r.location.as_ref(),
            Body::FsmJob(j) => j.address.location.as_ref(),
            Body::Trip(t) => t.pickup.as_ref().and_then(|p| p.location.as_ref()),
            Body::Reversal(_) | Body::Handover(_) => None,
        }
    }

    /// Where a list's map shows the record: its place, and a trip where it last was (the
    /// plant once disposed, else the pit).
    pub fn map_place(&self) -> Option<&GeoPoint> {
        match &self.body {
            Body::Trip(t) => t.disposal.as_ref().and_then(|d| d.location.as_ref()).or_else(|| self.location()),
            _ => self.location(),
        }
    }

    /// The reason given with the step that put the record in its status (a supervisor's note
    /// when she sent it back or rejected it); none once another step followed, or for a
    /// supervisor's step settling a review.
    pub fn status_note(&self) -> Option<&str> {
        workflow::last_note(self)
            .filter(|t| t.to == self.workflow().status && !t.resolves_review)
            .and_then(|t| t.note.as_deref())
    }

    /// Every photo the record names (checklist answers, survey, pickup and disposal), each
    /// once, in the order they appear.
    pub fn photos(&self) -> Vec<&PhotoRef> {
        let mut all: Vec<&PhotoRef> = match &self.body {
            Body::Inspection(i) => i
                .photos
                .iter()
                .chain(i.answers.values().flat_map(|a| match a {
                    Answer::Photo(p) => p.as_slice(),
                    _ => &[],
                }))
                .collect(),
            Body::AssetSurvey(a) => a.photos.iter().collect(),
            Body::Trip(t) => t.pickup.iter().chain(t.disposal.iter()).flat_map(|s| &s.photos).collect(),
            Body::Receipt(_) | Body::Reversal(_) | Body::Handover(_) | Body::FsmJob(_) => vec![],
        };
        let mut seen = std::collections::HashSet::new();
        all.retain(|p| seen.insert(p.sha256.as_str()));
        all
    }

    /// The money this record carries, in paise: a receipt's total, a reversal's negative
    /// amount, a handover's discrepancy (counted minus expected).
    pub fn amount(&self) -> Option<Paise> {
        match &self.body {
            Body::Receipt(r) => Some(r.total()),
            Body::Reversal(r) => Some(Paise(-r.amount.0)),
            Body::Handover(h) => Some(h.discrepancy()),
            _ => None,
        }
    }
}
