//! The limits a server keeps against devices that misbehave, with their defaults; `serve` and
//! `gc` take each as a flag (durations as `500ms`, `30s`, `15m`, `24h`, `7d`).

use std::time::Duration;

/// Limits and housekeeping of one server process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// A parked change older than this is deleted by gc (its dependencies never came).
    pub parked_max_age: Duration,
    /// A device may have at most this many parked changes; beyond, `parked_limit`.
    pub parked_per_device: u64,
    /// A complete blob no stored record names is kept this long after its upload.
    pub blob_grace: Duration,
    /// A partial upload untouched this long is deleted.
    pub partial_max_age: Duration,
    /// How often `serve` runs gc.
    pub gc_interval: Duration,
    /// A connection that has not sent a request's whole header in this time is closed.
    pub header_read_timeout: Duration,
    /// Failed enrollments an address may make within `enroll_window` before `429`.
    pub enroll_failures: u32,
    pub enroll_window: Duration,
    /// Behind a reverse proxy on the same machine: the header (e.g. `X-Real-IP`) that carries
    /// the client's address, believed only when the connection comes from a loopback address.
    pub client_address_header: Option<String>,
    /// Office sign-in: wrong passwords a login may give before it is locked, and the first
    /// lockout's length (doubled by each further failure, at most an hour).
    pub office_free_failures: u32,
    pub office_lockout_base: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            parked_max_age: Duration::from_secs(7 * 24 * 3600),
            parked_per_device: 1000,
            blob_grace: Duration::from_secs(24 * 3600),
            partial_max_age: Duration::from_secs(3 * 24 * 3600),
            gc_interval: Duration::from_secs(3600),
            header_read_timeout: Duration::from_secs(10),
            enroll_failures: 10,
            enroll_window: Duration::from_secs(15 * 60),
            client_address_header: None,
            office_free_failures: 5,
            office_lockout_base: Duration::from_secs(30),
        }
    }
}

/// `500ms`, `30s`, `15m`, `24h`, `7d` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration like 30s, 15m, 24h or 7d"))?;
    let ms = match unit.trim() {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        other => return Err(format!("unknown unit {other:?} in {text:?}; use ms, s, m, h or d")),
    };
    n.checked_mul(ms).map(Duration::from_millis).ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_operators_write_them() {
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86400)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3w").is_err());
    }
}
