//! Reading the README's shell blocks and running them with the kit binary on `PATH`, for
//! `tests/readme.rs` and `tests/readme_pg.rs`.
//!
//! Include it from a test file with `#[path = "common/readme.rs"] mod readme;`.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// The README's text.
pub fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The first ```sh block after `heading` in the README.
pub fn block_after(readme: &str, heading: &str) -> String {
    let at = readme.find(heading).expect("heading in README");
    let rest = &readme[at..];
    let start = rest.find("```sh\n").expect("an sh block") + "```sh\n".len();
    let len = rest[start..].find("```").expect("end of the block");
    rest[start..start + len].to_string()
}

/// `bash -c script`, with the directory of the kit binary first on `PATH`.
pub fn kit_shell(script: &str) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_kit")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(script).env("PATH", path);
    cmd
}
