//! Where the suite's files are. The data lives beside the code, in
//! `conformance/` (as rustls keeps `bogo/`); messages spell every path
//! relative to the workspace root, as a reader of the checkout sees it.

use std::env;
use std::path::{Path, PathBuf};

/// The committed captures, one per peer and scenario.
pub(crate) const CAPTURES_DIR: &str = "conformance/captures";
/// What every cell of the matrix is expected to do.
pub(crate) const EXPECTATIONS_FILE: &str = "conformance/expectations.txt";
/// The server on pyserial's `PortManager`.
pub(crate) const PYSERIAL_SERVER_SCRIPT: &str = "conformance/peers/pyserial_server.py";
/// pyserial's client, driven over a line protocol.
pub(crate) const PYSERIAL_CLIENT_SCRIPT: &str = "conformance/peers/pyserial_client.py";
/// The tracked report, rewritten only with `--write-report`.
pub(crate) const REPORT_FILE: &str = "docs/conformance.md";
/// The untracked record of a run's timings, below the target directory.
pub(crate) const TIMINGS_FILE: &str = "conformance/timings.txt";

/// The workspace root: this crate lives one level below it.
pub(crate) fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}

/// `relative` (spelt from the workspace root) as a path.
pub(crate) fn in_workspace(relative: &str) -> PathBuf {
    workspace_root().join(relative)
}

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative to the root if
/// relative), else `target/` in the workspace.
pub(crate) fn target_dir() -> PathBuf {
    let root = workspace_root();
    // An absolute CARGO_TARGET_DIR replaces the root in `join`.
    env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), |dir| root.join(dir))
}
