//! Every code the Rust side can send a field worker has words in every message catalog: the
//! codes of whole-call errors (`err.<code>`: `ApiError::new` and `Error::code`), of field errors
//! (`ferr.<code>`: `ApiError::field`, `Checker::error`, `field_error`) and of the server's
//! refusals (`reject.<code>`: `refuse` / `reject` in the server and the scope rules, and every
//! code of the hostile-device attack table). Read from the sources, comments and test modules
//! aside: a new code without its words in English and Hindi fails here, naming it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::rust_files;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The code of the files under `dirs`, without comments and test modules.
fn sources(dirs: &[&str]) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for dir in dirs {
        rust_files(&root().join(dir), &mut files);
    }
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let code: Vec<&str> = code.lines().map(|l| l.split("//").next().unwrap_or("")).collect();
            (f, code.join("\n"))
        })
        .collect()
}

/// The string literal that follows each occurrence of `call` in `code` after skipping `skip`
/// earlier arguments: `literals(code, "ApiError::field(", 1)` gives each field error's code.
fn literals(code: &str, call: &str, skip: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices(call) {
        let mut rest = &code[at + call.len()..];
        let mut ok = true;
        for _ in 0..skip {
            // An earlier argument: up to the next comma outside parentheses.
            let mut depth = 0;
            let Some(end) = rest.char_indices().find_map(|(i, c)| match c {
                '(' => {
                    depth += 1;
                    None
                }
                ')' if depth == 0 => Some(usize::MAX),
                ')' => {
                    depth -= 1;
                    None
                }
                ',' if depth == 0 => Some(i),
                _ => None,
            }) else {
                ok = false;
                break;
            };
            if end == usize::MAX {
                ok = false;
                break;
            }
            rest = &rest[end + 1..];
        }
        let rest = rest.trim_start();
        if !ok || !rest.starts_with('"') {
            continue;
        }
        let literal: String = rest[1..].chars().take_while(|c| *c != '"').collect();
        if !literal.is_empty() && literal.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            out.push(literal);
        }
    }
    out
}

fn catalog(lang: &str) -> BTreeMap<String, serde_json::Value> {
    let path = root().join(format!("ui/src/i18n/{lang}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Codes by catalog prefix, each with the first file that sends it.
pub(crate) fn codes() -> BTreeMap<&'static str, BTreeMap<String, PathBuf>> {
    let mut out: BTreeMap<&'static str, BTreeMap<String, PathBuf>> = BTreeMap::new();
    let mut add = |prefix: &'static str, found: Vec<String>, file: &Path| {
        for code in found {
            out.entry(prefix).or_default().entry(code).or_insert_with(|| file.to_path_buf());
        }
    };
    for (file, code) in sources(&["src", "src-tauri/src"]) {
        add("err", literals(&code, "ApiError::new(", 0), &file);
        add("ferr", literals(&code, "ApiError::field(", 1), &file);
        add("ferr", literals(&code, ".error(", 1), &file);
        add("ferr", literals(&code, "field_error(", 1), &file);
        if file.ends_with("src/error.rs") {
            add("err", literals(&code, "=> ", 0), &file);
        }
        if file.ends_with("src/domain/access.rs") {
            add("reject", literals(&code, "refuse(", 0), &file);
            add("ferr", literals(&code, "(error(", 0), &file);
        }
        // The enroll screen's address and connection codes, said of its fields.
        if file.ends_with("src/field/session.rs") {
            add("ferr", literals(&code, "bad(", 0), &file);
            add("ferr", literals(&code, " field(", 1), &file);
        }
        // The plant gate's custody codes: a field error on the phone, a refusal on the server.
        if file.ends_with("src/domain/custody.rs") {
            add("ferr", literals(&code, "fail(", 0), &file);
            add("reject", literals(&code, "fail(", 0), &file);
        }
        add("ferr", literals(&code, "CustodyError {\n                code: ", 0), &file);
        if file.ends_with("src/scan.rs") {
            add("ferr", literals(&code, "=> ", 0), &file);
        }
    }
    for (file, code) in sources(&["sync-server/src"]) {
        add("reject", literals(&code, "refuse(", 0), &file);
        add("reject", literals(&code, "reject(", 0), &file);
    }
    let hostile = root().join("sync-server/tests/it/hostile.rs");
    let text = std::fs::read_to_string(&hostile).unwrap();
    let table = &text[text.find("const ATTACKS").expect("the attack table")..];
    let table = &table[..table.find("];").unwrap()];
    add("reject", literals(table, ", ", 0), &hostile);
    out
}

#[test]
fn every_code_the_rust_side_sends_has_words_in_every_catalog() {
    let codes = codes();
    // The reader finds what it must (so an empty scan cannot pass).
    assert!(codes["err"].contains_key("not_allowed") && codes["err"].contains_key("storage"), "{:?}", codes["err"]);
    assert!(codes["ferr"].contains_key("required") && codes["ferr"].contains_key("not_a_number"));
    assert!(codes["reject"].contains_key("reversal_not_yours") && codes["reject"].contains_key("malformed_change"));
    let mut missing = Vec::new();
    for lang in ["en", "hi"] {
        let words = catalog(lang);
        for (prefix, found) in &codes {
            for (code, file) in found {
                let key = format!("{prefix}.{code}");
                if words.get(&key).is_none_or(|v| v.as_str().is_none_or(|s| s.trim().is_empty())) {
                    missing.push(format!("{lang}: {key} (sent by {})", file.strip_prefix(root()).unwrap().display()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "codes without words:\n{}", missing.join("\n"));
}

#[test]
fn the_reader_takes_the_code_argument_of_each_call() {
    let code = r#"ApiError::field("pin", "wrong_pin", "x"); c.error(&format!("a{}", 1), "too_large", m); ApiError::new("not_found", x)"#;
    assert_eq!(literals(code, "ApiError::field(", 1), ["wrong_pin"]);
    assert_eq!(literals(code, ".error(", 1), ["too_large"]);
    assert_eq!(literals(code, "ApiError::new(", 0), ["not_found"]);
}

/// Keys under the code prefixes that are the UI's own words, not a code the Rust side sends:
/// the fallbacks, the rejection box's title and advice, and the code field's "cannot be read".
const UI_OWN: &[&str] = &[
    "err.generic",
    "err.sync_failed",
    "ferr.generic",
    "ferr.code_unreadable",
    "reject.title",
    "reject.what_now",
    "reject.unknown",
];

#[test]
fn every_code_a_catalog_translates_is_one_the_rust_side_sends() {
    let codes = codes();
    for lang in ["en", "hi"] {
        let dead: Vec<String> = catalog(lang)
            .into_keys()
            .filter(|key| {
                let Some((prefix, code)) = key.split_once('.') else { return false };
                codes.get(prefix).is_some_and(|sent| !sent.contains_key(code)) && !UI_OWN.contains(&key.as_str())
            })
            .collect();
        assert!(dead.is_empty(), "{lang}: words for codes nothing sends: {dead:?}");
    }
}
