//! A fee receipt: what a collector hands the citizen. This module holds the type and its field
//! checks; numbering, immutability and the ledger come with the fee-collection work.

use autosurgeon::{Hydrate, Reconcile};

use super::reference::ReferenceData;
use super::validate::Checker;
use super::{GeoPoint, UnixMillis};

/// An amount of money in paise (1 rupee = 100 paise). Money is never a float.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(transparent)]
pub struct Paise(pub i64);

// Written by hand: autosurgeon's derived newtype cannot be read back inside an `Option`.
impl Reconcile for Paise {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
        self.0.reconcile(reconciler)
    }
}

impl Hydrate for Paise {
    fn hydrate_int(i: i64) -> Result<Self, autosurgeon::HydrateError> {
        Ok(Paise(i))
    }
}

impl Paise {
    /// Parses rupees as a person types them (`"150"`, `"150.50"`, `" 1,250 "`, `"१५०"`: read by
    /// [`number::plain_number`](super::number::plain_number), as litres are).
    ///
    /// Refuses more than two decimal places, signs, and anything that is not a number, naming
    /// `field` in the error.
    pub fn parse_rupees(field: &str, text: &str) -> crate::Result<Paise> {
        use super::validate::field_error;
        let plain = super::number::plain_number(text).unwrap_or_default();
        parse_rupees(&plain).map_err(|e| match e {
            RupeeError::TooManyDecimals => {
                field_error(field, "too_many_decimals", "must have at most 2 decimal places")
            }
            RupeeError::NotANumber => field_error(field, "not_a_number", "must be an amount like 150 or 150.50"),
            RupeeError::TooLarge => field_error(field, "too_large", "is too large"),
        })
    }

    /// `1234.50` style text.
    pub fn rupees_text(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", self.0.unsigned_abs() / 100, self.0.unsigned_abs() % 100)
    }
}

enum RupeeError {
    TooManyDecimals,
    NotANumber,
    TooLarge,
}

fn parse_rupees(text: &str) -> Result<Paise, RupeeError> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || (text.contains('.') && frac.is_empty()) {
        return Err(RupeeError::NotANumber);
    }
    if frac.len() > 2 {
        return Err(RupeeError::TooManyDecimals);
    }
    let rupees: i64 = whole.parse().map_err(|_| RupeeError::TooLarge)?;
    let paise: i64 = format!("{frac:0<2}").parse().map_err(|_| RupeeError::NotANumber)?;
    rupees.checked_mul(100).and_then(|r| r.checked_add(paise)).map(Paise).ok_or(RupeeError::TooLarge)
}

string_enum!(
    /// How the citizen paid (DIGIT's payment modes, plus UPI).
    PaymentMode {
        Cash => "CASH",
        Upi => "UPI",
        Cheque => "CHEQUE",
        Dd => "DD",
        Online => "ONLINE",
        OfflineNeft => "OFFLINE_NEFT",
        OfflineRtgs => "OFFLINE_RTGS",
        Card => "CARD",
        PostalOrder => "POSTAL_ORDER",
    }
);

/// One amount line by tax head.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct AmountLine {
    #[key]
    pub tax_head: String,
    pub amount: Paise,
}

/// A receipt (DIGIT: Payment + Receipt).
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    pub receipt_number: String,
    pub receipt_date: UnixMillis,
    /// The head of account (DIGIT `businessService`), a fee head code of the town.
    pub business_service: String,
    pub bill_id: Option<String>,
    pub lines: Vec<AmountLine>,
    pub payment_mode: PaymentMode,
    pub instrument_number: Option<String>,
    pub transaction_number: Option<String>,
    pub payer_name: String,
    pub mobile_number: Option<String>,
    pub location: Option<GeoPoint>,
    /// The issuing device's ed25519 signature over the receipt (base64url), and its key id.
    /// Set once, when the receipt is issued; not itself part of what is signed.
    pub signature: Option<String>,
    pub key_id: Option<String>,
}

impl Receipt {
    /// The receipt's total: the sum of its lines.
    pub fn total(&self) -> Paise {
        Paise(self.lines.iter().map(|l| l.amount.0).sum())
    }

    pub(crate) fn check(&self, c: &mut Checker, refs: &ReferenceData) {
        c.required_text("receipt_number", &self.receipt_number);
        c.required_text("payer_name", &self.payer_name);
        if self.business_service.trim().is_empty() {
            c.error("business_service", "required", "choose the fee head");
        } else if !refs.fee_heads.is_empty() && !refs.fee_heads.iter().any(|h| h.code == self.business_service) {
            c.error("business_service", "unknown", format!("{} is not a fee head of this town", self.business_service));
        }
        if self.lines.is_empty() {
            c.error("lines", "required", "a receipt needs at least one amount");
        }
        for (i, line) in self.lines.iter().enumerate() {
            c.nested(&format!("lines.{i}"), |c| c.non_negative_paise("amount", line.amount.0));
        }
        if matches!(self.payment_mode, PaymentMode::Cheque | PaymentMode::Dd)
            && self.instrument_number.as_deref().unwrap_or("").trim().is_empty()
        {
            c.error("instrument_number", "required", "a cheque or DD needs its number");
        }
        if let Some(mobile) = &self.mobile_number
            && (mobile.len() != 10 || !mobile.bytes().all(|b| b.is_ascii_digit()))
        {
            c.error("mobile_number", "invalid", "must be 10 digits");
        }
        if let Some(p) = &self.location {
            c.geo_point("location", p);
        }
    }
}

/// The cancellation of an issued receipt: a new entry that reverses it, with a reason, which
/// a supervisor approves (or rejects). The receipt itself never changes.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct Reversal {
    pub receipt: crate::ids::RecordId,
    pub receipt_number: String,
    /// The whole amount of the receipt (receipts are reversed whole).
    pub amount: Paise,
    pub reason: String,
}

impl Reversal {
    pub(crate) fn check(&self, c: &mut Checker) {
        c.required_text("receipt_number", &self.receipt_number);
        c.required_text("reason", &self.reason);
        if self.amount.0 <= 0 {
            c.error("amount", "out_of_range", "must be more than zero");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn parse(text: &str) -> Result<i64, String> {
        match Paise::parse_rupees("amount", text) {
            Ok(p) => Ok(p.0),
            Err(Error::Invalid(e)) => Err(format!("{}:{}", e.0[0].field, e.0[0].code)),
            Err(other) => Err(other.to_string()),
        }
    }

    #[test]
    fn rupees_as_people_type_them() {
        assert_eq!(parse("150"), Ok(15000));
        assert_eq!(parse("150.5"), Ok(15050));
        assert_eq!(parse("150.05"), Ok(15005));
        assert_eq!(parse(" 0.99 "), Ok(99));
    }

    #[test]
    fn more_than_two_decimals_is_refused_naming_the_field() {
        assert_eq!(parse("10.005"), Err("amount:too_many_decimals".into()));
    }

    #[test]
    fn signs_letters_and_empty_are_not_amounts() {
        // "1,000" is an amount now (digit grouping, `number::plain_number`); a comma that is not
        // grouping is still refused.
        for bad in ["", "-5", "+5", "5.", ".5", "12,50", "1 000", "abc", "1e3"] {
            assert_eq!(parse(bad), Err("amount:not_a_number".into()), "input {bad:?}");
        }
        assert_eq!(parse("99999999999999999999"), Err("amount:too_large".into()));
    }

    #[test]
    fn paise_print_as_rupees() {
        assert_eq!(Paise(15005).rupees_text(), "150.05");
        assert_eq!(Paise(-250).rupees_text(), "-2.50");
    }
}
