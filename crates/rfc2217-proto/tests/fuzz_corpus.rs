//! Replays the `peer_input` fuzz corpus (`fuzz/corpus/peer_input/`)
//! through the fuzz driver, so every input the fuzzer kept, and every
//! reproducer saved there, is checked on each `cargo test`.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

#[path = "../fuzz/fuzz_targets/driver.rs"]
mod driver;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/peer_input")
}

#[test]
fn every_corpus_input_keeps_the_invariants() {
    let dir = corpus_dir();
    let entries = fs::read_dir(&dir);
    assert!(
        entries.is_ok(),
        "the fuzz corpus {} cannot be read: {:?}",
        dir.display(),
        entries.err()
    );
    let mut files: Vec<PathBuf> = entries
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "the fuzz corpus {} is empty",
        dir.display()
    );
    let mut failed = Vec::new();
    for file in &files {
        let input = fs::read(file);
        assert!(input.is_ok(), "cannot read {}", file.display());
        let input = input.unwrap_or_default();
        if panic::catch_unwind(|| driver::run(&input)).is_err() {
            failed.push(file.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} corpus inputs break an invariant (see the panic messages above):\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
}
