//! Concurrent migration runs on one database (issue 8, item 11): `kit upgrade` and
//! `kit downgrade` processes started at once must leave a history without gaps, every migration
//! applied at most once, and a schema that matches the history; a loser either waits and then
//! sees the new history or fails saying another kit or process holds the database.
//!
//! `KIT_RACE_ROUNDS=n` runs more rounds (default 30, 2-4 processes each); `KIT_RACE_SEED` fixes
//! the choice of commands.

mod common;

use common::{kit, query};
use rusqlite::types::Value;
use rusqlite::Connection;
use std::path::Path;
use std::process::Stdio;

/// (file, up, down): schema changes (native and rebuilds) and pure DML, each leaving a mark
/// in `log` so a migration applied twice shows up as a duplicate row.
const MIGRATIONS: [(&str, &str, &str); 6] = [
    (
        "0001_base.sql",
        "CREATE TABLE log (tag TEXT NOT NULL);\nCREATE TABLE counter (n INTEGER NOT NULL);\nINSERT INTO counter VALUES (0);",
        "DROP TABLE counter;\nDROP TABLE log;",
    ),
    (
        "0002_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);\nINSERT INTO users (email, age) VALUES ('a', 1), ('b', 2);\nINSERT INTO log VALUES ('0002');",
        "DROP TABLE users;\nDELETE FROM log WHERE tag = '0002';",
    ),
    (
        "0003_count.sql",
        "UPDATE counter SET n = n + 1;\nINSERT INTO log VALUES ('0003');",
        "UPDATE counter SET n = n - 1;\nDELETE FROM log WHERE tag = '0003';",
    ),
    (
        "0004_age_text.sql",
        "ALTER TABLE users ALTER COLUMN age TYPE TEXT;\nINSERT INTO log VALUES ('0004');",
        "ALTER TABLE users ALTER COLUMN age TYPE INTEGER;\nDELETE FROM log WHERE tag = '0004';",
    ),
    (
        "0005_nick.sql",
        "ALTER TABLE users ADD COLUMN nick TEXT;\nCREATE INDEX users_nick ON users(nick);\nINSERT INTO log VALUES ('0005');",
        "DROP INDEX users_nick;\nALTER TABLE users DROP COLUMN nick;\nDELETE FROM log WHERE tag = '0005';",
    ),
    (
        "0006_count.sql",
        "UPDATE counter SET n = n + 10;\nINSERT INTO log VALUES ('0006');",
        "UPDATE counter SET n = n - 10;\nDELETE FROM log WHERE tag = '0006';",
    ),
];

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kit.toml"), "database = \"app.db\"\n").unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir(&m).unwrap();
    for (f, up, down) in MIGRATIONS {
        std::fs::write(m.join(f), format!("-- kit:up\n{up}\n-- kit:down\n{down}\n")).unwrap();
    }
    dir
}

fn strings(c: &Connection, sql: &str) -> Vec<String> {
    query(c, sql)
        .into_iter()
        .map(|r| match &r[0] {
            Value::Text(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Checks that the history is a gap-free prefix and that the schema and rows are exactly what
/// that prefix gives; returns how many migrations are applied.
fn consistent(db: &Path, context: &str) -> usize {
    let c = Connection::open(db).unwrap();
    let ic = strings(&c, "PRAGMA integrity_check");
    assert_eq!(ic, ["ok"], "{context}");
    let has = |name: &str| {
        !query(
            &c,
            &format!("SELECT 1 FROM sqlite_schema WHERE name = '{name}'"),
        )
        .is_empty()
    };
    let versions = if has("kit_migrations") {
        strings(&c, "SELECT version FROM kit_migrations ORDER BY version")
    } else {
        vec![]
    };
    let k = versions.len();
    let expected: Vec<String> = MIGRATIONS[..k]
        .iter()
        .map(|m| m.0[..4].to_string())
        .collect();
    assert_eq!(versions, expected, "{context}: the history has a gap");
    let tags = if has("log") {
        strings(&c, "SELECT tag FROM log ORDER BY tag")
    } else {
        vec![]
    };
    let want: Vec<String> = expected.iter().skip(1).cloned().collect();
    assert_eq!(
        tags, want,
        "{context}: each applied migration's mark exactly once"
    );
    assert_eq!(has("log"), k >= 1, "{context}: log");
    if k >= 1 {
        let n = query(&c, "SELECT n FROM counter");
        let want = i64::from(k >= 3) + 10 * i64::from(k >= 6);
        assert_eq!(n, [[Value::Integer(want)]], "{context}: counter");
    }
    assert_eq!(has("users"), k >= 2, "{context}: users");
    if k >= 2 {
        let cols = query(
            &c,
            "SELECT name, type FROM pragma_table_info('users') ORDER BY cid",
        );
        let mut want = vec![
            vec![Value::Text("id".into()), Value::Text("INTEGER".into())],
            vec![Value::Text("email".into()), Value::Text("TEXT".into())],
            vec![
                Value::Text("age".into()),
                Value::Text(if k >= 4 { "TEXT" } else { "INTEGER" }.into()),
            ],
        ];
        if k >= 5 {
            want.push(vec![Value::Text("nick".into()), Value::Text("TEXT".into())]);
        }
        assert_eq!(cols, want, "{context}: users columns");
        assert_eq!(has("users_nick"), k >= 5, "{context}: users_nick");
        let rows = query(
            &c,
            "SELECT id, email, CAST(age AS INTEGER) FROM users ORDER BY id",
        );
        assert_eq!(rows.len(), 2, "{context}: users rows");
    }
    k
}

/// A reproducible generator for the choice of commands.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

#[test]
fn concurrent_upgrades_and_downgrades_keep_the_history_whole() {
    let rounds = env_u64("KIT_RACE_ROUNDS").unwrap_or(30);
    let seed = env_u64("KIT_RACE_SEED").unwrap_or(0x5eed_1234_abcd);
    let mut rng = Rng(seed | 1);
    let p = project();
    let db = p.path().join("app.db");
    common::run(
        kit()
            .current_dir(p.path())
            .args(["upgrade", "-c", "kit.toml", "0002"]),
    )
    .assert_ok();
    let mut processes = 0;
    let mut waited_and_succeeded = 0;
    let mut lock_timeouts = 0;
    let mut history_changed = 0;
    for round in 0..rounds {
        let n = 2 + rng.below(3);
        let cmds: Vec<Vec<String>> = (0..n)
            .map(|_| match rng.below(5) {
                0 | 1 => vec!["upgrade".into()],
                2 => vec!["upgrade".into(), format!("{:04}", 1 + rng.below(6))],
                3 => vec!["downgrade".into(), "-1".into()],
                _ => vec!["downgrade".into(), "-2".into()],
            })
            .collect();
        let children: Vec<_> = cmds
            .iter()
            .map(|a| {
                let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_kit"));
                c.current_dir(p.path())
                    .args(a)
                    .args(["-c", "kit.toml"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                c.spawn().unwrap()
            })
            .collect();
        for (a, child) in cmds.iter().zip(children) {
            let o = child.wait_with_output().unwrap();
            processes += 1;
            let err = String::from_utf8_lossy(&o.stderr).into_owned();
            let context = format!("round {round} (seed {seed}), kit {a:?}:\n{err}");
            assert!(!err.contains("panicked"), "{context}");
            match o.status.code() {
                Some(0) => {
                    if err.contains("nothing to") {
                        waited_and_succeeded += 1;
                    }
                }
                Some(1) => {
                    // A lock timeout, or the history changed while a run switched foreign keys
                    // between two transactions, or a downgrade found too few migrations.
                    let fine = err.contains("another kit or process holds the database")
                        || err.contains("another kit or process changed the migration history")
                        || err.contains("cannot go down");
                    assert!(fine, "{context}: an unexpected failure");
                    if err.contains("holds the database") {
                        lock_timeouts += 1;
                    } else if err.contains("changed the migration history") {
                        history_changed += 1;
                    }
                }
                other => panic!("{context}: exit {other:?}"),
            }
        }
        consistent(&db, &format!("after round {round} (seed {seed}): {cmds:?}"));
    }
    // Whatever the races left, a last upgrade reaches head and a downgrade to base undoes all.
    common::run(
        kit()
            .current_dir(p.path())
            .args(["upgrade", "-c", "kit.toml"]),
    )
    .assert_ok();
    assert_eq!(consistent(&db, "at head"), MIGRATIONS.len());
    common::run(
        kit()
            .current_dir(p.path())
            .args(["downgrade", "-c", "kit.toml", "base"]),
    )
    .assert_ok();
    assert_eq!(consistent(&db, "at base"), 0);
    eprintln!(
        "races: {rounds} rounds, {processes} concurrent kit processes; {waited_and_succeeded} found nothing left to do, {lock_timeouts} timed out on the lock, {history_changed} stopped as the history changed while they switched foreign keys"
    );
}

/// A run that must commit to switch foreign keys (before a rebuild) reads the history again
/// under the new lock, and stops, applying nothing more, when another process changed it.
#[test]
fn a_run_stops_when_the_history_changes_while_it_switches_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(
        m.join("0001_a.sql"),
        "-- kit:up\nCREATE TABLE a (id INTEGER PRIMARY KEY, v INTEGER);\nINSERT INTO a (v) VALUES (1);\n-- kit:down\nDROP TABLE a;\n",
    )
    .unwrap();
    std::fs::write(
        m.join("0002_v_text.sql"),
        "-- kit:up\nALTER TABLE a ALTER COLUMN v TYPE TEXT;\n-- kit:down\nALTER TABLE a ALTER COLUMN v TYPE INTEGER;\n",
    )
    .unwrap();
    let db = dir.path().join("app.db");
    Connection::open(&db).unwrap();
    let migrations = kit::migrate::load(&m).unwrap();
    let mut conn = kit::open(&db).unwrap();
    let mut seen = Vec::new();
    let other = db.clone();
    let mut on_statement = |s: &str| {
        seen.push(s.to_string());
        if s == "PRAGMA foreign_keys = OFF" {
            // Between the two transactions: another process records a migration.
            Connection::open(&other)
                .unwrap()
                .execute_batch("INSERT INTO kit_migrations (version, name, checksum, applied_at) VALUES ('0099', '0099_x', 'c', 'now')")
                .unwrap();
        }
    };
    let mut observer = kit::Observer {
        on_statement: Some(&mut on_statement),
        on_progress: None,
        on_note: None,
    };
    let e = kit::migrate::run(
        &mut conn,
        &migrations,
        kit::migrate::Direction::Up,
        "head",
        &mut observer,
        |_| {},
    )
    .unwrap_err();
    drop(observer);
    let msg = e.to_string();
    assert!(
        msg.contains("another kit or process changed the migration history"),
        "{msg}"
    );
    assert!(msg.contains("nothing of 0002_v_text was applied"), "{msg}");
    assert!(seen.iter().any(|s| s == "BEGIN IMMEDIATE"), "{seen:?}");
    drop(conn);
    let c = Connection::open(&db).unwrap();
    let versions = strings(&c, "SELECT version FROM kit_migrations ORDER BY version");
    assert_eq!(versions, ["0001", "0099"]);
    let ty = strings(
        &c,
        "SELECT type FROM pragma_table_info('a') WHERE name = 'v'",
    );
    assert_eq!(ty, ["INTEGER"], "0002 was not applied");
}

/// Migrations of one run share a transaction, so a migration that leaves a deferred
/// foreign-key violation (which would fail the final COMMIT) is refused and rolled back alone.
#[test]
fn a_deferred_foreign_key_violation_rolls_back_only_its_migration() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(
        m.join("0001_p.sql"),
        "-- kit:up\nCREATE TABLE p (id INTEGER PRIMARY KEY);\nINSERT INTO p VALUES (1);\n-- kit:down\nDROP TABLE p;\n",
    )
    .unwrap();
    std::fs::write(
        m.join("0002_c.sql"),
        "-- kit:up\nCREATE TABLE c (pid INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO c VALUES (5);\n-- kit:down\nDROP TABLE c;\n",
    )
    .unwrap();
    let db = dir.path().join("app.db");
    Connection::open(&db).unwrap();
    let mut conn = kit::open(&db).unwrap();
    let e = kit::migrate::upgrade(&mut conn, &m, "head").unwrap_err();
    assert!(e.to_string().contains("foreign key"), "{e}");
    drop(conn);
    let c = Connection::open(&db).unwrap();
    let versions = strings(&c, "SELECT version FROM kit_migrations ORDER BY version");
    assert_eq!(versions, ["0001"]);
    assert!(query(&c, "SELECT 1 FROM sqlite_schema WHERE name = 'c'").is_empty());
    assert_eq!(query(&c, "SELECT id FROM p"), [[Value::Integer(1)]]);
}
