//! Numbers as field staff type them: ` 150 `, `1,250`, `1,25,000` (Indian grouping), Devanagari
//! digits `१५०`. One reading for money ([`Paise::parse_rupees`](super::Paise::parse_rupees)) and
//! for quantities ([`parse_litres`]), so a form and the core never disagree on what was typed.

use super::validate::field_error;

/// `text` as a plain ASCII number (`-`, digits, `.`, digits), or `None` when it is not a number.
///
/// Spaces around it are dropped and Devanagari digits (०–९) read as 0–9. A comma is read only as
/// digit grouping, Indian (`1,25,000`) or international (`1,250,000`): the group before the
/// point has three digits, the first one to three, the others two or three. So `12,50` — a
/// decimal comma, or a slip — is refused rather than read as 1250 or as 12.5.
pub fn plain_number(text: &str) -> Option<String> {
    let mapped: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '\u{0966}'..='\u{096F}' => char::from(b'0' + (c as u32 - 0x0966) as u8),
            c => c,
        })
        .collect();
    let (sign, body) = match mapped.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mapped.as_str()),
    };
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let groups: Vec<&str> = whole.split(',').collect();
    let grouped = match groups.as_slice() {
        [one] => digits(one),
        [first, middle @ .., last] => {
            digits(first)
                && first.len() <= 3
                && digits(last)
                && last.len() == 3
                && middle.iter().all(|g| digits(g) && (2..=3).contains(&g.len()))
        }
        [] => false,
    };
    if !grouped || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    Some(format!("{sign}{}{}", groups.concat(), frac.map(|f| format!(".{f}")).unwrap_or_default()))
}

/// Litres as typed into `field`: `None` when nothing was typed; refused, naming `field`, when it
/// is not a number or is negative.
pub fn parse_litres(field: &str, text: &str) -> crate::Result<Option<f64>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let litres: f64 = plain_number(text)
        .and_then(|p| p.parse().ok())
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| field_error(field, "not_a_number", "must be litres like 1500 or 1,500"))?;
    if litres < 0.0 {
        return Err(field_error(field, "negative", "must not be negative"));
    }
    Ok(Some(litres))
}

/// A number as typed into `field` (an answer, a pit size): `None` when nothing was typed;
/// refused, naming `field`, when it is not a number. Its range is the record's rule.
pub fn parse_number(field: &str, text: &str) -> crate::Result<Option<f64>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    plain_number(text)
        .and_then(|p| p.parse().ok())
        .filter(|v: &f64| v.is_finite())
        .map(Some)
        .ok_or_else(|| field_error(field, "not_a_number", "must be a number like 2 or 1.5"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::domain::Paise;

    fn code(e: Error) -> String {
        match e {
            Error::Invalid(f) => format!("{}:{}", f.0[0].field, f.0[0].code),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn spaces_grouping_commas_and_devanagari_digits_are_read_as_typed() {
        for (typed, plain) in [
            ("150", "150"),
            (" 150 ", "150"),
            ("1,250", "1250"),
            ("1,25,000", "125000"),
            ("1,250,000", "1250000"),
            ("१५०", "150"),
            ("१,२५०.५०", "1250.50"),
            ("-5", "-5"),
            ("0.5", "0.5"),
        ] {
            assert_eq!(plain_number(typed).as_deref(), Some(plain), "{typed:?}");
        }
    }

    #[test]
    fn a_comma_that_is_not_grouping_or_anything_else_is_not_a_number() {
        for typed in
            ["12,50", "1,2,3", ",150", "150,", "1,2500", "1 250", "150.", ".5", "1.2.3", "abc", "", "१५o", "+5"]
        {
            assert_eq!(plain_number(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn answers_and_sizes_are_read_the_same_way_and_name_their_field() {
        assert_eq!(parse_number("answers.seats", "१२").unwrap(), Some(12.0));
        assert_eq!(parse_number("pit_length", " 1.5 ").unwrap(), Some(1.5));
        assert_eq!(parse_number("pit_length", "1,250").unwrap(), Some(1250.0));
        assert_eq!(parse_number("answers.seats", "-2").unwrap(), Some(-2.0), "the range is the record's rule");
        assert_eq!(parse_number("pit_length", "  ").unwrap(), None);
        assert_eq!(code(parse_number("pit_length", "2 m").unwrap_err()), "pit_length:not_a_number");
        assert_eq!(code(parse_number("answers.seats", "1,5").unwrap_err()), "answers.seats:not_a_number");
    }

    #[test]
    fn rupees_go_through_the_same_reading() {
        let paise = |t: &str| Paise::parse_rupees("amount", t).map(|p| p.0);
        assert_eq!(paise("1,250").unwrap(), 125_000);
        assert_eq!(paise(" 150 ").unwrap(), 15_000);
        assert_eq!(paise("१५०").unwrap(), 15_000);
        assert_eq!(paise("1,25,000.50").unwrap(), 12_500_050);
        assert_eq!(code(paise("12,50").unwrap_err()), "amount:not_a_number");
        assert_eq!(code(paise("150.555").unwrap_err()), "amount:too_many_decimals");
        assert_eq!(code(paise("-150").unwrap_err()), "amount:not_a_number");
    }

    #[test]
    fn litres_are_read_the_same_way_and_a_negative_volume_is_named() {
        let litres = |t: &str| parse_litres("volume_litres", t);
        assert_eq!(litres("2,400").unwrap(), Some(2400.0));
        assert_eq!(litres(" 150 ").unwrap(), Some(150.0));
        assert_eq!(litres("१५०").unwrap(), Some(150.0));
        assert_eq!(litres("1500.5").unwrap(), Some(1500.5));
        assert_eq!(litres("  ").unwrap(), None);
        assert_eq!(code(litres("-5").unwrap_err()), "volume_litres:negative");
        assert_eq!(code(litres("lots").unwrap_err()), "volume_litres:not_a_number");
        assert_eq!(code(litres("12,50").unwrap_err()), "volume_litres:not_a_number");
    }
}
