//! Input hygiene: what a name or id from outside may look like, how a stored one is shown on
//! an operator's terminal, and the throttle on failed enrollments per client address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::AppError;

/// The longest device name kept, in characters.
pub const MAX_DEVICE_NAME: usize = 64;

/// Checks a town id (`tenant add`): 2–64 of lowercase ASCII letters, digits, `.`, `_`, `-`,
/// not starting with `.` and without `..` (the id names the town's blob directory).
pub fn check_tenant_id(id: &str) -> Result<(), AppError> {
    let bad = |why: &str| Err(AppError::InvalidTenantId(format!("{:?}: {why}", escape(id))));
    if id.len() < 2 || id.len() > 64 {
        return bad("a town id has 2 to 64 characters");
    }
    if !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')) {
        return bad("a town id has only lowercase letters a-z, digits, '.', '_' and '-' (e.g. pb.nabha)");
    }
    if id.starts_with('.') || id.contains("..") {
        return bad("a town id does not start with '.' nor contain '..'");
    }
    Ok(())
}

/// Characters that change how a terminal or a page shows the text around them: control
/// characters (terminal escapes start with one) and the bidirectional overrides.
fn unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// A device name as sent at enrollment, trimmed; refused if empty, longer than 64 characters
/// or holding a control character.
pub fn clean_device_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::InvalidDeviceName("the device name is empty".into()));
    }
    if name.chars().count() > MAX_DEVICE_NAME {
        return Err(AppError::InvalidDeviceName(format!("a device name has at most {MAX_DEVICE_NAME} characters")));
    }
    if name.chars().any(unprintable) {
        return Err(AppError::InvalidDeviceName("a device name may not hold control or direction characters".into()));
    }
    Ok(name.to_string())
}

/// Text for an operator's terminal: every control or direction character escaped (`\u{1b}`),
/// so a stored name can never move the cursor, recolour or hide the rest of a line.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if unprintable(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// Failed enrollments per client address in a sliding window; past the limit, an address is
/// refused (`429 too_many_attempts`) until its oldest failure leaves the window.
#[derive(Debug)]
pub struct EnrollThrottle {
    limit: usize,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, Vec<Instant>>>,
}

/// Addresses remembered at most; beyond it the quietest are forgotten first.
const MAX_ADDRESSES: usize = 10_000;

impl EnrollThrottle {
    pub fn new(limit: u32, window: Duration) -> EnrollThrottle {
        EnrollThrottle { limit: limit.max(1) as usize, window, failures: Mutex::new(HashMap::new()) }
    }

    /// Refuses an address that failed `limit` times within the window.
    pub fn check(&self, addr: Option<IpAddr>) -> Result<(), AppError> {
        let Some(addr) = addr else { return Ok(()) };
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = failures.get_mut(&addr) else { return Ok(()) };
        times.retain(|t| now.duration_since(*t) < self.window);
        if times.len() < self.limit {
            return Ok(());
        }
        let oldest = times[0];
        let retry_after = self.window.saturating_sub(now.duration_since(oldest)).as_secs().max(1);
        Err(AppError::TooManyAttempts { retry_after })
    }

    /// Counts one failed enrollment of `addr`.
    pub fn failed(&self, addr: Option<IpAddr>) {
        let Some(addr) = addr else { return };
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_ADDRESSES && !failures.contains_key(&addr) {
            failures.retain(|_, times| times.last().is_some_and(|t| now.duration_since(*t) < self.window));
            if failures.len() >= MAX_ADDRESSES
                && let Some(quietest) = failures.iter().min_by_key(|(_, t)| t.last().copied()).map(|(a, _)| *a)
            {
                failures.remove(&quietest);
            }
        }
        let times = failures.entry(addr).or_default();
        times.push(now);
        if times.len() > self.limit {
            times.remove(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn town_ids_and_device_names() {
        for good in ["pb.nabha", "up.agra-2", "k_1"] {
            assert!(check_tenant_id(good).is_ok(), "{good}");
        }
        for bad in ["", "a", "PB.Nabha", ".hidden", "pb..nabha", "a/b", "pb nabha", &"x".repeat(65), "ब.नाभा"]
        {
            assert!(check_tenant_id(bad).is_err(), "{bad}");
        }
        assert_eq!(clean_device_name("  Asha's phone ").unwrap(), "Asha's phone");
        assert_eq!(clean_device_name("आशा का फ़ोन").unwrap(), "आशा का फ़ोन");
        for bad in ["", "   ", "a\u{1b}[2J", "tab\there", "rtl\u{202E}txt", &"x".repeat(65)] {
            assert!(clean_device_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(escape("a\u{1b}[31mred"), "a\\u{1b}[31mred");
    }

    #[test]
    fn the_throttle_refuses_after_the_limit_within_the_window() {
        let throttle = EnrollThrottle::new(2, Duration::from_secs(60));
        let addr: Option<IpAddr> = Some("10.0.0.1".parse().unwrap());
        throttle.failed(addr);
        assert!(throttle.check(addr).is_ok());
        throttle.failed(addr);
        assert!(matches!(throttle.check(addr), Err(AppError::TooManyAttempts { .. })));
        assert!(throttle.check(Some("10.0.0.2".parse().unwrap())).is_ok());
        assert!(throttle.check(None).is_ok());
    }
}
