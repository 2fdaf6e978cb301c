//! Typed identifiers. Record, user and device ids are UUIDv7; towns (tenants), wards and
//! reference codes use the town's own readable codes (`pb.amritsar`, `W03`).

id_type!(
    /// One field record (inspection, asset survey, receipt, desludging job, trip).
    RecordId
);
id_type!(
    /// One step in a record's workflow history.
    TransitionId
);
id_type!(
    /// A member of staff.
    UserId
);
id_type!(
    /// One installed device.
    DeviceId
);

/// A town (ULB) as DIGIT writes it: `state.city`, e.g. `pb.amritsar`.
pub type TenantId = String;
/// A ward code within a town, e.g. `W03`.
pub type WardCode = String;

/// Milliseconds since the Unix epoch, as the caller's clock gave them.
pub type UnixMillis = i64;
