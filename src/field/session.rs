//! The device and who uses it: opening the store, enrollment (its address checked before any
//! connection), the users of this device, sign-in with a PIN, the language.

use super::*;

impl Field {
    /// Opens the device store at `path` (created on first start).
    pub fn open(path: impl AsRef<Path>) -> ApiResult<Field> {
        Self::with_store(Store::open(path)?)
    }

    pub fn with_store(store: Store) -> ApiResult<Field> {
        let lang = match store.setting(LANG)?.as_deref() {
            Some("hi") => Lang::Hi,
            _ => Lang::En,
        };
        Ok(Field { store, user: None, lang, rules: GeoRules::default() })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The server address and this device's token, once enrolled.
    pub fn enrollment(&self) -> ApiResult<Option<(String, String)>> {
        Ok(self.store.setting(SERVER)?.zip(self.store.setting(TOKEN)?))
    }

    /// The public half of this install's signing key, registered at enrollment.
    pub fn public_key(&self) -> ApiResult<crate::ledger::PublicKey> {
        Ok(self.store.device_key()?.public_key())
    }

    pub fn state(&self) -> ApiResult<AppState> {
        let enrollment = self.enrollment()?;
        let user = match self.user {
            Some(id) => Some(self.user_view(self.town_user(id)?)?),
            None => None,
        };
        Ok(AppState {
            enrolled: enrollment.is_some(),
            server: enrollment.map(|(server, _)| server),
            town: self.store.reference().tenant.clone(),
            user,
            lang: self.lang,
        })
    }

    /// Keeps what enrollment returned and the town's reference data.
    pub fn finish_enroll(
        &mut self,
        server: &str,
        device_name: &str,
        enrollment: &Enrollment,
        refs: &ReferenceData,
    ) -> ApiResult<AppState> {
        self.store.put_reference(refs)?;
        self.store.set_setting(SERVER, server.trim_end_matches('/'))?;
        self.store.set_setting(TOKEN, &enrollment.token)?;
        self.store.set_setting(DEVICE_NAME, device_name)?;
        self.state()
    }

    /// Newer reference data from the server (wards, templates...).
    pub fn put_reference(&mut self, refs: &ReferenceData) -> ApiResult<()> {
        Ok(self.store.put_reference(refs)?)
    }

    /// The town's staff who work in the field (everyone but admins), for the sign-in screen.
    pub fn device_users(&self) -> ApiResult<Vec<UserView>> {
        self.store
            .reference()
            .users
            .iter()
            .filter(|u| u.roles.iter().any(|r| *r != Role::Admin))
            .map(|u| self.user_view(u))
            .collect()
    }

    /// Signs a user in; their first sign-in on this device sets the PIN (4 to 6 digits).
    pub fn sign_in(&mut self, user: &str, pin_text: &str) -> ApiResult<AppState> {
        let attempt = self.pin_attempt(user, pin_text)?;
        let checked = attempt.check()?;
        self.finish_sign_in(checked)
    }

    /// A sign-in's first part, quick: who, and the PIN hash kept for them. Its check
    /// ([`PinAttempt::check`], the slow Argon2 part) needs no session, so the app runs it while
    /// other commands go on; [`Field::finish_sign_in`] then signs the user in.
    pub fn pin_attempt(&self, user: &str, pin_text: &str) -> ApiResult<PinAttempt> {
        let id: UserId = user.parse().map_err(|_| ApiError::new("unknown_user", "no such user"))?;
        self.town_user(id)?;
        pin::check_format(pin_text)?;
        Ok(PinAttempt { user: id, pin: pin_text.to_string(), stored: self.store.setting(&pin::key(id))? })
    }

    /// Signs in the user of a PIN checked right; their first sign-in keeps the PIN's hash.
    pub fn finish_sign_in(&mut self, checked: CheckedPin) -> ApiResult<AppState> {
        if let Some(hash) = &checked.new_hash {
            self.store.set_setting(&pin::key(checked.user), hash)?;
        }
        self.user = Some(checked.user);
        self.state()
    }

    pub fn sign_out(&mut self) -> ApiResult<AppState> {
        self.user = None;
        self.state()
    }

    pub fn set_language(&mut self, lang: Lang) -> ApiResult<AppState> {
        self.store.set_setting(LANG, lang.as_str())?;
        self.lang = lang;
        self.state()
    }

    pub fn reference(&self) -> ReferenceView {
        let r = self.store.reference();
        ReferenceView {
            town: r.tenant.clone(),
            wards: r.wards.clone(),
            templates: r.templates.clone(),
            fee_heads: r.fee_heads.clone(),
            vehicles: r.vehicles.clone(),
            fstps: r.fstps.clone(),
        }
    }
}

/// The sync server's address as typed on the enroll screen, checked before any connection is
/// tried, so a malformed address says what is wrong with it rather than "cannot reach": it needs
/// `http://` or `https://` (`address_scheme`), a host name or IP address (`address_host`), and a
/// port that is a number up to 65535 (`address_port`). Returned without a trailing `/`.
pub fn server_address(text: &str) -> ApiResult<String> {
    let text = text.trim();
    let bad = |code: &str, message: &str| ApiError::field("server", code, message);
    if text.is_empty() {
        return Err(bad("required", "is required"));
    }
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(bad("address_scheme", "start the address with http:// or https://"));
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return Err(bad("address_scheme", "start the address with http:// or https://"));
    }
    let rest = rest.trim_end_matches('/');
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (host, port) = match authority.strip_prefix('[').and_then(|a| a.split_once(']')) {
        Some((inside, rest)) => (&authority[..inside.len() + 2], rest.strip_prefix(':')),
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let host_ok = !host.is_empty()
        && (host.starts_with('[') && host.ends_with(']')
            || host.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-') && !label.starts_with('-')
            }));
    if !host_ok {
        return Err(bad("address_host", "the server's name or IP address is not valid"));
    }
    if let Some(port) = port
        && (port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().map_or(true, |p| p == 0))
    {
        return Err(bad("address_port", "the port after ':' must be a number from 1 to 65535"));
    }
    Ok(format!("{scheme}://{rest}"))
}

/// The enroll screen's fields checked in one round before any connection: the server address
/// ([`server_address`]) and the one-time code (`required`). The address to use, or every problem.
pub fn check_enroll(server: &str, code: &str) -> ApiResult<String> {
    let address = server_address(server);
    let mut fields = address.as_ref().err().map(|e| e.fields.clone()).unwrap_or_default();
    if code.trim().is_empty() {
        fields.extend(ApiError::field("code", "required", "is required").fields);
    }
    match address {
        Ok(address) if fields.is_empty() => Ok(address),
        _ => Err(Error::Invalid(FieldErrors(fields)).into()),
    }
}

/// What went wrong enrolling at a well-formed address, said of the address field: no server of
/// that name (`unknown_host`), nothing answering there (`refused`), no answer in time
/// (`timeout`), an answer that is not a Wardbook server's (`bad_server`), a wrong code
/// (`bad_code`, on the code field), else `unreachable`.
pub fn enroll_error(e: Error) -> ApiError {
    let message = e.to_string();
    let field = |name: &str, code: &str| ApiError::field(name, code, &message);
    match &e {
        Error::Offline(reason) => {
            let reason = reason.to_ascii_lowercase();
            if reason.contains("dns") || reason.contains("lookup") || reason.contains("name or service not known") {
                field("server", "unknown_host")
            } else if reason.contains("refused") {
                field("server", "refused")
            } else if reason.contains("timed out") || reason.contains("timeout") {
                field("server", "timeout")
            } else {
                field("server", "unreachable")
            }
        }
        Error::Unauthorized { .. } if e.code() == "bad_code" => field("code", "bad_code"),
        Error::Server { status, code, .. }
            if *status == 404 || *status == 405 || code == "bad_response" || code == "unknown" =>
        {
            field("server", "bad_server")
        }
        _ => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> String {
        match server_address(text) {
            Ok(ok) => format!("ok {ok}"),
            Err(e) => format!("{} {}", e.fields[0].field, e.fields[0].code),
        }
    }

    #[test]
    fn a_malformed_server_address_says_what_is_wrong_with_it() {
        assert_eq!(code(" http://192.168.1.10:8480/ "), "ok http://192.168.1.10:8480");
        assert_eq!(code("https://wardbook.pb.gov.in"), "ok https://wardbook.pb.gov.in");
        assert_eq!(code("http://[::1]:8480"), "ok http://[::1]:8480");
        assert_eq!(code(""), "server required");
        assert_eq!(code("192.168.1.10:8480"), "server address_scheme");
        assert_eq!(code("ftp://wardbook.in"), "server address_scheme");
        assert_eq!(code("http://"), "server address_host");
        assert_eq!(code("http://ward book.in"), "server address_host");
        assert_eq!(code("http://wardbook..in"), "server address_host");
        assert_eq!(code("http://192.168.1.10:84a0"), "server address_port");
        assert_eq!(code("http://192.168.1.10:70000"), "server address_port");
        assert_eq!(code("http://192.168.1.10:"), "server address_port");
    }

    #[test]
    fn the_enroll_form_is_checked_in_one_round() {
        let e = check_enroll("wardbook.in", " ").unwrap_err();
        let fields: Vec<_> = e.fields.iter().map(|f| (f.field.as_str(), f.code.as_str())).collect();
        assert_eq!(fields, [("server", "address_scheme"), ("code", "required")]);
        assert_eq!(check_enroll("http://10.0.0.2:8480/", "123456").unwrap(), "http://10.0.0.2:8480");
    }

    #[test]
    fn a_failed_enrollment_names_the_field_and_the_cause() {
        let of = |e: Error| {
            let a = enroll_error(e);
            format!("{} {}", a.fields[0].field, a.fields[0].code)
        };
        let offline = |m: &str| Error::Offline(m.into());
        assert_eq!(
            of(offline(
                "error sending request: client error (Connect): dns error: failed to lookup address information"
            )),
            "server unknown_host"
        );
        assert_eq!(
            of(offline("error sending request: tcp connect error: Connection refused (os error 111)")),
            "server refused"
        );
        assert_eq!(of(offline("error sending request: operation timed out")), "server timeout");
        assert_eq!(
            of(Error::Server { status: 404, code: "unknown".into(), message: "<html>".into() }),
            "server bad_server"
        );
        assert_eq!(
            of(Error::Unauthorized { code: "invalid_enrollment_code".into(), message: "no".into() }),
            "code bad_code"
        );
    }
}
