//! The core's modules form layers: no module reaches, through `crate::…` paths in its own code,
//! a module that reaches it back. Read from the source files (comments and `#[cfg(test)]`
//! modules aside, since tests may reach anywhere): a cycle fails with the paths that make it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::rust_files;

/// The module a source file belongs to: `src/<module>.rs` or `src/<module>/…`.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "bin" | "macros")).then(|| name.to_string())
}

/// The modules `code` names as `crate::<module>`, outside comments and test modules.
fn named_modules(code: &str) -> BTreeSet<String> {
    let code = code.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        for (at, _) in line.match_indices("crate::") {
            let name: String =
                line[at + "crate::".len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                out.insert(name);
            }
        }
    }
    out
}

/// Module → the modules it names, and for each edge the first file that names it.
fn graph() -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut graph: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else { continue };
        let code = std::fs::read_to_string(file).unwrap();
        let edges = graph.entry(module.clone()).or_default();
        for other in named_modules(&code) {
            if other != module {
                edges.entry(other).or_insert_with(|| file.clone());
            }
        }
    }
    graph
}

/// A path from `from` back to itself, if there is one.
fn cycle_through(graph: &BTreeMap<String, BTreeMap<String, PathBuf>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in graph.get(last).into_iter().flat_map(|e| e.keys()) {
            if next == from {
                let mut cycle = path.clone();
                cycle.push(next.clone());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_module_of_the_core_reaches_a_module_that_reaches_it_back() {
    let graph = graph();
    for layer in ["domain", "ledger", "geo", "store", "sync", "wire", "keys", "calendar", "photo", "field"] {
        assert!(graph.contains_key(layer), "src/{layer} is read (modules: {:?})", graph.keys().collect::<Vec<_>>());
    }
    let mut cycles = Vec::new();
    for module in graph.keys() {
        if let Some(cycle) = cycle_through(&graph, module) {
            let how: Vec<String> =
                cycle.windows(2).map(|w| format!("{} -> {} ({})", w[0], w[1], graph[&w[0]][&w[1]].display())).collect();
            cycles.push(how.join(", "));
        }
    }
    assert!(cycles.is_empty(), "import circles:\n{}", cycles.join("\n"));
}

#[test]
fn the_reader_sees_a_circle_when_there_is_one() {
    // The check itself: two modules naming each other are a circle, comments and tests aside.
    assert_eq!(
        named_modules("use crate::store::Store;\n// crate::field\n#[cfg(test)]\nuse crate::sync;"),
        ["store".to_string()].into()
    );
    let mut graph: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    graph.entry("a".into()).or_default().insert("b".into(), "a.rs".into());
    graph.entry("b".into()).or_default().insert("a".into(), "b.rs".into());
    graph.entry("c".into()).or_default().insert("a".into(), "c.rs".into());
    assert_eq!(cycle_through(&graph, "a"), Some(vec!["a".into(), "b".into(), "a".into()]));
    assert_eq!(cycle_through(&graph, "c"), None);
}
