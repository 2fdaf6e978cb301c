//! Text for a thermal printer's ASCII code page: Devanagari transliterated to Latin letters
//! (a plain Hindi romanisation, good enough for a payer's name on a slip, not a scholarly one),
//! `₹` as `Rs.`, typographic punctuation and accented Latin letters as their ASCII cousins,
//! anything else as `?`.
//!
//! Hindi drops the inherent vowel "a" of a word's last consonant and of a consonant between
//! two vowel-carrying syllables ("बलदेव" is Baldev, not Baladev; "कमला" is Kamla); a final
//! consonant closing a conjunct keeps it ("चन्द्र" is Chandra). Long ī and ū are `ee`/`oo`
//! inside a word and `i`/`u` at its end (Preet, Devi).

/// The text as printable ASCII (bytes 0x20..=0x7e only). Control characters become spaces.
pub fn printable_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word: Vec<Unit> = Vec::new();
    for c in text.chars() {
        if push_devanagari(&mut word, c) {
            continue;
        }
        render_word(&mut out, &mut word);
        push_other(&mut out, c);
    }
    render_word(&mut out, &mut word);
    out
}

/// One sound of a Devanagari word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Consonant {
        letter: char,
        roman: &'static str,
        vowel: Vowel,
    },
    /// An independent vowel (or a vowel sign with no consonant before it).
    Vowel(&'static str),
    /// Anusvara or chandrabindu (`n`), visarga (`h`).
    Nasal(char),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vowel {
    /// The inherent "a".
    Inherent,
    /// A vowel sign (matra).
    Sign(char),
    /// A virama: the consonant joins the next one.
    Virama,
    /// The inherent "a", silent (schwa deletion).
    Silent,
}

const NUKTA: char = '\u{093c}';
const VIRAMA: char = '\u{094d}';
const ANUSVARA: char = '\u{0902}';
const CHANDRABINDU: char = '\u{0901}';
const VISARGA: char = '\u{0903}';

/// Adds `c` to the word if it is part of a Devanagari word; false otherwise.
fn push_devanagari(word: &mut Vec<Unit>, c: char) -> bool {
    if let Some(roman) = consonant(c) {
        word.push(Unit::Consonant { letter: c, roman, vowel: Vowel::Inherent });
        return true;
    }
    let last = word.last_mut();
    match (c, last) {
        (NUKTA, Some(Unit::Consonant { letter, roman, .. })) => {
            if let Some(r) = with_nukta(*letter) {
                *roman = r;
            }
        }
        (NUKTA, _) => {}
        (VIRAMA, Some(Unit::Consonant { vowel: vowel @ Vowel::Inherent, .. })) => *vowel = Vowel::Virama,
        (VIRAMA, _) => {}
        (ANUSVARA | CHANDRABINDU | VISARGA, _) => word.push(Unit::Nasal(c)),
        (c, last) if vowel_sign(c, false).is_some() => match last {
            Some(Unit::Consonant { vowel: vowel @ Vowel::Inherent, .. }) => *vowel = Vowel::Sign(c),
            _ => word.push(Unit::Vowel(vowel_sign(c, true).unwrap_or("?"))),
        },
        (c, _) => match vowel(c) {
            Some(v) => word.push(Unit::Vowel(v)),
            None => return false,
        },
    }
    true
}

fn has_vowel(unit: &Unit) -> bool {
    matches!(unit, Unit::Vowel(_) | Unit::Consonant { vowel: Vowel::Inherent | Vowel::Sign(_), .. })
}

fn is_virama(unit: &Unit) -> bool {
    matches!(unit, Unit::Consonant { vowel: Vowel::Virama, .. })
}

/// Schwa deletion, right to left: the last consonant's inherent "a" (unless the word is one
/// letter or the consonant closes a conjunct), then any inherent "a" between a syllable with
/// a vowel and a single consonant with one.
fn delete_schwas(word: &mut [Unit]) {
    let n = word.len();
    if n > 1
        && !is_virama(&word[n - 2])
        && let Unit::Consonant { vowel: vowel @ Vowel::Inherent, .. } = &mut word[n - 1]
    {
        *vowel = Vowel::Silent;
    }
    for i in (1..n.saturating_sub(1)).rev() {
        let next_is_cv = matches!(word[i + 1], Unit::Consonant { vowel: Vowel::Inherent | Vowel::Sign(_), .. });
        if has_vowel(&word[i - 1])
            && next_is_cv
            && let Unit::Consonant { vowel: vowel @ Vowel::Inherent, .. } = &mut word[i]
        {
            *vowel = Vowel::Silent;
        }
    }
}

/// Writes the pending Devanagari word (capitalised) and empties it.
fn render_word(out: &mut String, word: &mut Vec<Unit>) {
    if word.is_empty() {
        return;
    }
    delete_schwas(word);
    let starts_word = !out.chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric() || c == '\'');
    let start = out.len();
    for (i, unit) in word.iter().enumerate() {
        let at_end = word[i + 1..].iter().all(|u| matches!(u, Unit::Nasal(_)));
        match *unit {
            Unit::Consonant { roman, vowel, .. } => {
                out.push_str(roman);
                match vowel {
                    Vowel::Inherent => out.push('a'),
                    Vowel::Sign(sign) => out.push_str(vowel_sign(sign, at_end).unwrap_or("")),
                    Vowel::Virama | Vowel::Silent => {}
                }
            }
            Unit::Vowel(v) => out.push_str(v),
            Unit::Nasal(VISARGA) => out.push('h'),
            Unit::Nasal(_) => {
                let before_h = matches!(word.get(i + 1), Some(Unit::Consonant { letter: 'ह', .. }));
                out.push_str(if before_h { "ng" } else { "n" });
            }
        }
    }
    if starts_word && let Some(first) = out[start..].chars().next() {
        out.replace_range(start..start + first.len_utf8(), &first.to_ascii_uppercase().to_string());
    }
    word.clear();
}

fn push_other(out: &mut String, c: char) {
    let ascii = match c {
        ' '..='~' => {
            out.push(c);
            return;
        }
        '०'..='९' => {
            out.push(char::from(b'0' + (u32::from(c) - u32::from('०')) as u8));
            return;
        }
        c if c.is_control() || c.is_whitespace() => " ",
        '₹' => "Rs.",
        '‘' | '’' | '′' => "'",
        '“' | '”' | '″' => "\"",
        '‐' | '‑' | '‒' | '–' | '—' | '−' => "-",
        '…' => "...",
        '·' | '•' => "*",
        '।' | '॥' => ".",
        'ॐ' => "Om",
        'À'..='Å' => "A",
        'à'..='å' => "a",
        'Ç' => "C",
        'ç' => "c",
        'È'..='Ë' => "E",
        'è'..='ë' => "e",
        'Ì'..='Ï' => "I",
        'ì'..='ï' => "i",
        'Ñ' => "N",
        'ñ' => "n",
        'Ò'..='Ö' | 'Ø' => "O",
        'ò'..='ö' | 'ø' => "o",
        'Ù'..='Ü' => "U",
        'ù'..='ü' => "u",
        'Ý' => "Y",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        _ => "?",
    };
    out.push_str(ascii);
}

fn consonant(c: char) -> Option<&'static str> {
    Some(match c {
        'क' => "k",
        'ख' => "kh",
        'ग' => "g",
        'घ' => "gh",
        'ङ' => "n",
        'च' => "ch",
        'छ' => "chh",
        'ज' => "j",
        'झ' => "jh",
        'ञ' => "n",
        'ट' => "t",
        'ठ' => "th",
        'ड' => "d",
        'ढ' => "dh",
        'ण' => "n",
        'त' => "t",
        'थ' => "th",
        'द' => "d",
        'ध' => "dh",
        'न' => "n",
        'प' => "p",
        'फ' => "ph",
        'ब' => "b",
        'भ' => "bh",
        'म' => "m",
        'य' => "y",
        'र' => "r",
        'ल' => "l",
        'ळ' => "l",
        'व' => "v",
        'श' => "sh",
        'ष' => "sh",
        'स' => "s",
        'ह' => "h",
        // The precomposed nukta letters (U+0958..U+095F).
        '\u{0958}' => "q",
        '\u{0959}' => "kh",
        '\u{095a}' => "g",
        '\u{095b}' => "z",
        '\u{095c}' => "r",
        '\u{095d}' => "rh",
        '\u{095e}' => "f",
        '\u{095f}' => "y",
        _ => return None,
    })
}

/// A consonant followed by a separate nukta sign (how NFC text spells क़, ज़, ड़...).
fn with_nukta(c: char) -> Option<&'static str> {
    Some(match c {
        'क' => "q",
        'ख' => "kh",
        'ग' => "g",
        'ज' => "z",
        'ड' => "r",
        'ढ' => "rh",
        'फ' => "f",
        'य' => "y",
        _ => return None,
    })
}

/// Vowel signs (matras); long ī and ū depend on whether they end the word.
fn vowel_sign(c: char, at_end: bool) -> Option<&'static str> {
    Some(match c {
        'ा' => "a",
        'ि' => "i",
        'ी' if at_end => "i",
        'ी' => "ee",
        'ु' => "u",
        'ू' if at_end => "u",
        'ू' => "oo",
        'ृ' => "ri",
        'े' => "e",
        'ै' => "ai",
        'ो' => "o",
        'ौ' => "au",
        'ॅ' => "e",
        'ॉ' => "o",
        _ => return None,
    })
}

/// Independent vowels.
fn vowel(c: char) -> Option<&'static str> {
    Some(match c {
        'अ' => "a",
        'आ' => "aa",
        'इ' => "i",
        'ई' => "i",
        'उ' => "u",
        'ऊ' => "u",
        'ऋ' => "ri",
        'ए' => "e",
        'ऐ' => "ai",
        'ओ' => "o",
        'औ' => "au",
        'ऑ' => "o",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hindi_names_read_the_way_they_are_usually_written() {
        let cases = [
            ("सुरेश कुमार", "Suresh Kumar"),
            ("बलदेव सिंह", "Baldev Singh"),
            ("कमला देवी", "Kamla Devi"),
            ("मोहम्मद इक़बाल", "Mohammad Iqbal"),
            ("मोहम्मद इकबाल", "Mohammad Ikbal"),
            ("राम चन्द्र शर्मा", "Ram Chandra Sharma"),
            ("गुरप्रीत कौर", "Gurapreet Kaur"),
            ("पूजा", "Pooja"),
            ("श्री राम", "Shri Ram"),
            ("संजय", "Sanjay"),
            ("अमित", "Amit"),
        ];
        for (hindi, latin) in cases {
            assert_eq!(printable_text(hindi), latin, "for {hindi}");
        }
    }

    #[test]
    fn nukta_letters_read_the_same_precomposed_or_decomposed() {
        assert_eq!(printable_text("\u{091c}\u{093c}\u{094b}\u{092f}\u{093e}"), "Zoya");
        assert_eq!(printable_text("\u{095b}\u{094b}\u{092f}\u{093e}"), "Zoya");
    }

    #[test]
    fn hindi_inside_latin_text_keeps_its_place() {
        assert_eq!(printable_text("Smt. कमला (W02), मकान १२"), "Smt. Kamla (W02), Makan 12");
        assert_eq!(printable_text("राम।"), "Ram.");
    }

    #[test]
    fn stray_signs_do_not_panic_or_vanish_silently() {
        assert_eq!(printable_text("ि"), "I");
        assert_eq!(printable_text("्"), "");
        assert_eq!(printable_text("ं"), "N");
        assert_eq!(printable_text("ॠ"), "?");
    }

    #[test]
    fn printers_get_ascii_for_what_they_cannot_print() {
        assert_eq!(printable_text("Baldev Singh, H.No. 12/3"), "Baldev Singh, H.No. 12/3");
        assert_eq!(printable_text("₹150"), "Rs.150");
        assert_eq!(printable_text("“Sharma’s” – shop…"), "\"Sharma's\" - shop...");
        assert_eq!(printable_text("José Müller"), "Jose Muller");
        assert_eq!(printable_text("ਗੁਰਪ੍ਰੀਤ"), "????????", "Gurmukhi is not transliterated");
        assert_eq!(printable_text("a\tb\nc\u{0}d"), "a b c d");
        assert_eq!(printable_text("🙂"), "?");
    }

    #[test]
    fn the_output_is_always_printable_ascii() {
        let all: String = ('\u{0}'..='\u{0a00}').chain(['₹', '🙂', '\u{ffff}']).collect();
        let out = printable_text(&all);
        assert!(out.bytes().all(|b| (0x20..=0x7e).contains(&b)), "{out:?}");
    }
}
