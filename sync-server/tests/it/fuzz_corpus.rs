//! Every saved input of the fuzz targets (`fuzz/corpus/<target>/*`) and every crash the fuzzer
//! ever found (`fuzz/artifacts/<target>/*`, kept as regressions once fixed), replayed through
//! the same entry functions the fuzzer runs (`wardbook_server::fuzz`), on stable Rust.

use std::path::{Path, PathBuf};

use wardbook_server::fuzz::{TARGETS, seeds};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn the_saved_corpus_and_every_saved_crash_replay_without_a_failure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    for (target, entry) in TARGETS {
        let corpus = files(&root.join("corpus").join(target));
        assert!(corpus.len() >= 4, "{target}: the saved corpus is missing ({} files)", corpus.len());
        let crashes = files(&root.join("artifacts").join(target));
        for path in corpus.iter().chain(&crashes) {
            let bytes = std::fs::read(path).unwrap();
            let replay = std::panic::catch_unwind(|| entry(&bytes));
            assert!(replay.is_ok(), "{target}: {} fails again", path.display());
        }
        for seed in seeds(target) {
            entry(&seed);
        }
        println!("{target}: {} corpus files, {} saved crashes replayed", corpus.len(), crashes.len());
    }
}
