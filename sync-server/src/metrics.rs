//! Prometheus metrics of one server process, rendered at `/metrics`.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;

/// The counters the server keeps.
#[derive(Default)]
pub struct Metrics {
    registry: Registry,
    pub sync_requests: Counter,
    pub changes_stored: Counter,
    pub changes_duplicate: Counter,
    pub changes_parked: Counter,
    pub changes_rejected: Counter,
    pub items_sent: Counter,
    pub enrollments: Counter,
    pub auth_failures: Counter,
    pub enrollment_failures: Counter,
    pub parked_expired: Counter,
    pub blobs_collected: Counter,
    pub partials_collected: Counter,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut m = Metrics::default();
        let counters = [
            ("wardbook_sync_requests", "Sync requests answered", m.sync_requests.clone()),
            ("wardbook_changes_stored", "Changes appended to a change log", m.changes_stored.clone()),
            ("wardbook_changes_duplicate", "Pushed changes the server already had", m.changes_duplicate.clone()),
            ("wardbook_changes_parked", "Pushed changes waiting for their dependencies", m.changes_parked.clone()),
            ("wardbook_changes_rejected", "Pushed changes refused for the device's scope", m.changes_rejected.clone()),
            ("wardbook_items_sent", "Changes and documents sent to devices", m.items_sent.clone()),
            ("wardbook_enrollments", "Devices enrolled", m.enrollments.clone()),
            (
                "wardbook_auth_failures",
                "Requests refused for a missing, unknown or revoked token",
                m.auth_failures.clone(),
            ),
            (
                "wardbook_enrollment_failures",
                "Enrollments refused (unknown code, bad name or key, throttled)",
                m.enrollment_failures.clone(),
            ),
            ("wardbook_parked_expired", "Parked changes deleted by gc after the maximum age", m.parked_expired.clone()),
            (
                "wardbook_blobs_collected",
                "Complete blobs deleted by gc because no stored record named them",
                m.blobs_collected.clone(),
            ),
            (
                "wardbook_partial_uploads_collected",
                "Partial uploads deleted by gc after the maximum age",
                m.partials_collected.clone(),
            ),
        ];
        for (name, help, counter) in counters {
            m.registry.register(name, help, counter);
        }
        m
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("encoding metrics to a string cannot fail");
        out
    }
}
