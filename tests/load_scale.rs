//! Loading a schema in chunks (`kit::sqlite::load`, issue 12) gives exactly what running the
//! file statement by statement gives: the same `sqlite_schema` rows and schema cookie for a good
//! file, the same error (message, line, column, statement) for a broken one. Checked on the
//! real-world schemas in shared/realworld and on generated schemas large enough to be chunked.

use kit::error::Error;
use kit::sqlite::load::run_script;
use rusqlite::Connection;
use std::path::Path;

/// One `sqlite_schema` row without its `rootpage`: rowid, type, name, tbl_name, sql.
type Row = (i64, String, String, String, Option<String>);

/// What the load left: every `sqlite_schema` row but `rootpage` (a page number), in rowid
/// order, and the schema cookie.
fn outcome(conn: &Connection) -> (Vec<Row>, i64) {
    let mut st = conn
        .prepare("SELECT rowid, type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid")
        .unwrap();
    let rows = st
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let cookie = conn
        .query_row("PRAGMA schema_version", [], |r| r.get(0))
        .unwrap();
    (rows, cookie)
}

/// The reference: each statement through plain rusqlite, stopping at the first error, which is
/// reported as (line, column, message, statement) the way kit reports it.
fn reference(sql: &str) -> (Connection, Option<(usize, usize, String, String)>) {
    let conn = Connection::open_in_memory().unwrap();
    let pieces = kit::sql::split_statements(sql).unwrap();
    for p in pieces {
        if let Err(e) = conn.execute_batch(&p.text) {
            let (at, msg) = match &e {
                rusqlite::Error::SqlInputError { offset, msg, .. } => {
                    ((*offset).max(0) as usize, msg.clone())
                }
                rusqlite::Error::SqliteFailure(_, Some(m)) => (0, m.clone()),
                other => (0, other.to_string()),
            };
            let (line, column) = kit::sql::line_col(sql, p.offset + at);
            return (conn, Some((line, column, msg, p.text)));
        }
    }
    (conn, None)
}

fn kit_load(sql: &str) -> (Connection, Option<(usize, usize, String, String)>) {
    let mut conn = Connection::open_in_memory().unwrap();
    let err = match run_script(&mut conn, sql, "schema.sql") {
        Ok(()) => None,
        Err(Error::Script {
            origin,
            line,
            column,
            message,
            statement,
        }) => {
            assert_eq!(origin, "schema.sql");
            Some((line, column, message, statement))
        }
        Err(other) => panic!("unexpected error: {other}"),
    };
    (conn, err)
}

fn assert_same(sql: &str, what: &str) -> Option<(usize, usize, String, String)> {
    let (want_conn, want_err) = reference(sql);
    let (got_conn, got_err) = kit_load(sql);
    assert_eq!(got_err, want_err, "{what}: error");
    if want_err.is_none() {
        assert_eq!(
            outcome(&got_conn),
            outcome(&want_conn),
            "{what}: sqlite_schema"
        );
        let ok: String = got_conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok", "{what}");
    }
    want_err
}

/// A schema of `tables` tables, each with a UNIQUE, a CHECK, a DEFAULT, a COLLATE column, a
/// foreign key, two indexes (one partial and DESC), a trigger and a view; every 3rd table's
/// indexes are created at the end of the file, far from their table.
fn generated(tables: usize) -> String {
    let mut s = String::from(
        "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT UNIQUE);\n",
    );
    let mut late = String::new();
    for i in 1..=tables {
        let t = format!("t{i:04}");
        let parent = if i % 4 == 0 {
            "users".to_string()
        } else {
            format!("t{:04}", i.max(2) - 1)
        };
        s += &format!(
            "CREATE TABLE {t} (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES {parent}(id), code TEXT NOT NULL UNIQUE, qty INTEGER CHECK (qty >= 0), price REAL DEFAULT 0, note TEXT COLLATE NOCASE);\n"
        );
        let idx = format!(
            "CREATE INDEX {t}_parent ON {t} (parent_id);\nCREATE INDEX main.\"{t}_qty\" ON {t} (qty DESC, price) WHERE qty > 0;\n"
        );
        if i % 3 == 0 {
            late += &idx;
        } else {
            s += &idx;
        }
        s += &format!(
            "CREATE TRIGGER {t}_touch AFTER UPDATE OF qty ON {t} BEGIN UPDATE {t} SET note = 'x' WHERE id = NEW.id; END;\n-- a comment\nCREATE VIEW {t}_v AS SELECT id, code, qty * price AS total FROM {t};\n"
        );
    }
    s + &late
}

#[test]
fn generated_schema_loads_as_run() {
    let sql = generated(300);
    assert_eq!(assert_same(&sql, "generated"), None);
}

#[test]
fn realworld_schemas_load_as_run() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realworld/schemas");
    let mut files = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "sql") {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 10, "found {} schema files", files.len());
    for f in files {
        let sql = std::fs::read_to_string(&f).unwrap();
        assert_same(&sql, &f.display().to_string());
        // The same file repeated 40 times with renamed objects is long enough to be chunked.
        let big: String = (0..40)
            .map(|k| sql.replace("CREATE TABLE ", &format!("CREATE TABLE k{k}_")))
            .collect();
        assert_same(&big, &format!("{} x40", f.display()));
    }
}

#[test]
fn broken_schemas_fail_as_run() {
    let good = generated(200);
    let lines: Vec<&str> = good.lines().collect();
    let at = lines.len() / 2;
    // Each breaks the file at its middle in a way a chunk alone could not see, or plainly.
    let breaks = [
        "CREATE TABLE t0003 (id INTEGER PRIMARY KEY);",
        "CREATE TABLE IF NOT EXISTS t0003 (id INTEGER PRIMARY KEY);",
        "CREATE INDEX t0002_parent ON t0150 (qty);",
        "CREATE INDEX IF NOT EXISTS t0002_parent ON t0150 (qty);",
        "CREATE VIEW t0001 AS SELECT 1;",
        "CREATE TABLE t0001_v (a);",
        "CREATE INDEX users ON t0001 (qty);",
        "CREATE INDEX fine ON t0001 (no_such_column);",
        "CREATE INDEX fine ON no_such_table (a);",
        "CREATE TRIGGER trg AFTER INSERT ON no_such_table BEGIN SELECT 1; END;",
        "CREATE TRIGGER t0001_touch AFTER INSERT ON t0002 BEGIN SELECT 1; END;",
        "CREATE TRIGGER trg INSTEAD OF INSERT ON t0001_v BEGIN SELECT 1; END;",
        "CREATE TRIGGER trg BEFORE INSERT ON t0001_v BEGIN SELECT 1; END;",
        "CREATE TABLE broken (a INTEGER PRIMARY KEY, a TEXT);",
        "CREATE TABLE syntax (a INTEGER PRIMARY KEY,, b);",
        "CREATE UNIQUE INDEX u ON t0001 (code) WHERE nosuch > 0;",
        "ATTACH ':memory:' AS other;",
        "CREATE TABLE temp.tt (a); CREATE INDEX tt_a ON tt (a);",
    ];
    for b in breaks {
        let mut l = lines.clone();
        l.insert(at, b);
        let sql = l.join("\n");
        let (_, want) = reference(&sql);
        let (_, got) = kit_load(&sql);
        if b.starts_with("ATTACH") {
            // kit refuses it (the guard) where plain SQLite runs it: only the line must agree.
            assert_eq!(got.as_ref().map(|g| g.0), Some(at + 1), "{b}");
            continue;
        }
        assert_eq!(got, want, "{b}");
        if !b.contains("temp.") && !b.contains("INSTEAD OF") && !b.contains("IF NOT EXISTS") {
            assert!(got.is_some(), "{b} should break the file");
        }
    }
}

#[test]
fn load_continues_an_existing_schema() {
    // A second script on the same connection (a seed, a replay) sees what the first made.
    let mut conn = Connection::open_in_memory().unwrap();
    run_script(&mut conn, &generated(100), "a.sql").unwrap();
    let more: String = (0..100)
        .map(|i| format!("CREATE INDEX extra{i} ON t{:04} (note);\n", i + 1))
        .collect::<String>()
        + "INSERT INTO t0001 (code, qty) VALUES ('a', 1);";
    run_script(&mut conn, &more, "b.sql").unwrap();
    let mut plain = Connection::open_in_memory().unwrap();
    plain.execute_batch(&generated(100)).unwrap();
    plain.execute_batch(&more).unwrap();
    assert_eq!(outcome(&conn), outcome(&plain));
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM t0001", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);
    let _ = &mut plain;
}
