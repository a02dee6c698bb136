//! The `kit` binary on malformed SQL input (issue 8, items 6, 8 and 9): a syntax error is exit 1
//! with the line and column of the offending token, never a panic; a NUL byte or bytes that are
//! not UTF-8, in any file kit reads SQL from, is exit 1 naming the file, line and column; the
//! database is left byte for byte as it was.

mod common;

use common::*;
use std::path::Path;

const SETUP: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT);
                     INSERT INTO t(a) VALUES ('x'), ('y');";

/// `kit rebuild --db app.db --file <path>`.
fn rebuild_file(db: &Db, path: &Path) -> Out {
    run(kit()
        .arg("rebuild")
        .arg("--db")
        .arg(&db.path)
        .arg("--file")
        .arg(path))
}

#[test]
fn column_definition_ending_in_not_is_a_syntax_error() {
    let db = Db::new(SETUP);
    let before = db.bytes();
    let out = db.kit("ALTER TABLE t ADD COLUMN n NOT");
    out.assert_code(1);
    out.assert_stderr_has(&[
        "syntax error at line 1, column 31",
        "expected NULL after NOT",
    ]);
    db.assert_untouched(&before);
    // Also as one of several actions, and in a CREATE TABLE the same script runs.
    let out = db.kit("ALTER TABLE t ADD COLUMN n NOT, ADD COLUMN m INT");
    out.assert_code(1);
    out.assert_stderr_has(&["column 31", "expected NULL after NOT"]);
    db.assert_untouched(&before);
}

#[test]
fn syntax_error_deep_in_a_script_names_its_own_line_and_column() {
    let db = Db::new(SETUP);
    let before = db.bytes();
    let script = "-- a change\r\nALTER TABLE t ADD COLUMN b INT;\r\n\r\nALTER TABLE t\r\n\tADD COLUMN c TEXT,\r\n\tADD COLUMN \"é\" TEXT NOT\r\n;\r\n";
    let out = db.kit_file(script, &[]);
    out.assert_code(1);
    out.assert_stderr_has(&[
        "syntax error at line 6, column 25",
        "expected NULL after NOT",
    ]);
    db.assert_untouched(&before);
}

#[test]
fn nul_byte_in_a_file_is_refused_with_its_position() {
    let db = Db::new(SETUP);
    let before = db.bytes();
    let out = db.kit_file(
        "ALTER TABLE t ADD COLUMN c INT\0EGER NOT NULL DEFAULT 5;",
        &[],
    );
    out.assert_code(1);
    out.assert_stderr_has(&["change.sql:1:31", "NUL byte"]);
    db.assert_untouched(&before);
    // Inside a string literal or a comment too: SQLite would stop reading there as well.
    let out = db.kit_file("ALTER TABLE t ADD COLUMN c TEXT;\n-- x\0y\n", &[]);
    out.assert_code(1);
    out.assert_stderr_has(&["change.sql:2:5", "NUL byte"]);
    let out = db.kit_file("INSERT INTO t(a) VALUES ('a\0b');", &[]);
    out.assert_code(1);
    out.assert_stderr_has(&["change.sql:1:28", "NUL byte"]);
    db.assert_untouched(&before);
}

#[test]
fn invalid_utf8_in_a_file_is_refused_with_its_position() {
    let db = Db::new(SETUP);
    let before = db.bytes();
    let f = db.file("change.sql");
    std::fs::write(
        &f,
        b"ALTER TABLE t ADD COLUMN b TEXT;\nINSERT INTO t(a) VALUES ('caf\xe9');\n",
    )
    .unwrap();
    let out = rebuild_file(&db, &f);
    out.assert_code(1);
    out.assert_stderr_has(&["change.sql:2:30", "invalid UTF-8", "0xE9", "byte offset 62"]);
    db.assert_untouched(&before);
}

#[cfg(unix)]
#[test]
fn sql_argument_that_is_not_utf8_is_bad_usage() {
    use std::os::unix::ffi::OsStrExt;
    let db = Db::new(SETUP);
    let before = db.bytes();
    let arg = std::ffi::OsStr::from_bytes(b"ALTER TABLE t ADD COLUMN \xff TEXT");
    let out = run(kit()
        .arg("rebuild")
        .arg("--db")
        .arg(&db.path)
        .arg("--sql")
        .arg(arg));
    out.assert_code(2);
    out.assert_stderr_has(&["UTF-8"]);
    db.assert_untouched(&before);
}

#[test]
fn nul_byte_in_a_schema_file_is_refused_with_its_position() {
    let db = Db::new(SETUP);
    let before = db.bytes();
    let schema = db.file("schema.sql");
    std::fs::write(
        &schema,
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT,\n  b TEXT DEFAULT 'x\0');\n",
    )
    .unwrap();
    for cmd in ["diff", "rebuild"] {
        let out = run(kit()
            .arg(cmd)
            .arg("--db")
            .arg(&db.path)
            .arg("--to")
            .arg(&schema));
        out.assert_code(1);
        out.assert_stderr_has(&["schema.sql:2:20", "NUL byte"]);
    }
    db.assert_untouched(&before);
}

#[test]
fn bad_bytes_in_migration_and_seed_files_are_refused_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let p = |rel: &str| dir.path().join(rel);
    let kit_in = |args: &[&str]| run(kit().current_dir(dir.path()).args(args));
    kit_in(&["config-create", "kit.toml", "--db", "app.db"]).assert_ok();
    std::fs::write(p("schema.sql"), "CREATE TABLE t(a TEXT);\n").unwrap();
    std::fs::create_dir_all(p("migrations")).unwrap();
    std::fs::write(
        p("migrations/0001_start.sql"),
        b"-- kit:up\nCREATE TABLE t(a TEXT);\nINSERT INTO t VALUES ('\xff');\n-- kit:down\nDROP TABLE t;\n",
    )
    .unwrap();
    let out = kit_in(&["upgrade", "-c", "kit.toml"]);
    out.assert_code(1);
    out.assert_stderr_has(&["0001_start.sql:3:24", "invalid UTF-8"]);

    // A seed file with a NUL, for a throwaway database built from the schema.
    std::fs::remove_file(p("migrations/0001_start.sql")).unwrap();
    let toml = std::fs::read_to_string(p("kit.toml")).unwrap();
    std::fs::write(
        p("kit.toml"),
        toml.replace("seed = []", "seed = [\"seed.sql\"]"),
    )
    .unwrap();
    std::fs::write(
        p("seed.sql"),
        "INSERT INTO t VALUES ('a');\nINSERT INTO t VALUES ('\0');\n",
    )
    .unwrap();
    let out = kit_in(&["throwaway-reset", "-c", "kit.toml", "--db", "temp.db"]);
    out.assert_code(1);
    out.assert_stderr_has(&["seed.sql:2:24", "NUL byte"]);
}
