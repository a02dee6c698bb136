//! The README's walkthrough of the schema-as-code loop, run as written: every command of the
//! first `sh` block under "The schema-as-code loop" must succeed (the block uses `set -e`).

#[path = "common/readme.rs"]
mod readme;

use readme::{block_after, kit_shell};

#[test]
fn readme_walkthrough_runs_as_written() {
    let script = block_after(&readme::readme(), "## The schema-as-code loop");
    assert!(script.contains("kit throwaway-reset"));
    let dir = tempfile::tempdir().unwrap();
    let out = kit_shell(&format!("set -e\n{script}"))
        .current_dir(dir.path())
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
