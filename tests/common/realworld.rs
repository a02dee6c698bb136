//! Where the real-world material lives (schemas, databases, migrations from public projects,
//! shared by the worktrees; see `../shared/realworld/README.md`) and listing its files.
//!
//! Include it from a test file with `#[path = "common/realworld.rs"] mod realworld;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The real-world material's directory.
pub const REALWORLD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realworld");

/// The files under `dir`, in it and in its subdirectories, whose extension is `ext` (every
/// file when `ext` is empty), sorted by path. `dir` must exist.
pub fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    assert!(
        dir.is_dir(),
        "the real-world material is missing: {} (see ../shared/realworld/README.md)",
        dir.display()
    );
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p, ext));
        } else if ext.is_empty() || p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    out.sort();
    out
}
