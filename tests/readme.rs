//! The README's walkthrough of the schema-as-code loop, run as written: every command of the
//! first `sh` block under "The schema-as-code loop" must succeed (the block uses `set -e`).

use std::path::Path;
use std::process::Command;

/// The first ```sh block after `heading` in the README.
fn block_after(readme: &str, heading: &str) -> String {
    let at = readme.find(heading).expect("heading in README");
    let rest = &readme[at..];
    let start = rest.find("```sh\n").expect("an sh block") + "```sh\n".len();
    let len = rest[start..].find("```").expect("end of the block");
    rest[start..start + len].to_string()
}

#[test]
fn readme_walkthrough_runs_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let script = block_after(&readme, "## The schema-as-code loop");
    assert!(script.contains("kit throwaway-reset"));
    let dir = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_kit")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -e\n{script}"))
        .current_dir(dir.path())
        .env("PATH", path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    // The loop ends at head with the check passing, and the renamed column kept its data.
    assert!(stdout.contains("check passed"), "{stdout}");
    let db = dir.path().join("myapp/dev.db");
    let conn = rusqlite::Connection::open(db).unwrap();
    let versions: Vec<String> = conn
        .prepare("SELECT version FROM kit_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(versions, ["0001", "0002"]);
    let temp = rusqlite::Connection::open(dir.path().join("myapp/temp.db")).unwrap();
    let mails: Vec<String> = temp
        .prepare("SELECT mail FROM users ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(mails, ["ada@example.com", "bob@example.com"]);
}
