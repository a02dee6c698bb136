//! Issue 12, big tables: a rebuild keeps the b-trees of the indexes whose content the copy cannot
//! change (explicit plain indexes and the automatic indexes of UNIQUE constraints on columns
//! copied unchanged, with the rowids kept) instead of building them again. These tests check that
//! the result is the database a full rebuild gives (same schema text, every index holding exactly
//! its table's rows, constraints still enforced), that indexes which can change are built again,
//! and that a failure anywhere leaves the database and the connection's settings as they were.

mod common;

use common::{query, snapshot, Snapshot};
use rusqlite::types::Value;
use rusqlite::Connection;

fn db(setup: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(setup).unwrap();
    (dir, path)
}

/// Every kind of index a table can have, and 2,000 rows (with NULLs, duplicates in the
/// non-unique keys, mixed case for the NOCASE column, and gaps in the rowids).
const PEOPLE: &str = "
CREATE TABLE people (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  handle TEXT COLLATE NOCASE,
  city TEXT,
  age INTEGER,
  score REAL,
  legacy TEXT,
  UNIQUE (city, handle)
);
CREATE INDEX people_city ON people (city);
CREATE INDEX people_city_age ON people (city, age DESC);
CREATE UNIQUE INDEX people_handle ON people (handle);
CREATE INDEX people_age ON people (age);
CREATE INDEX people_old ON people (age) WHERE age > 60;
CREATE INDEX people_lower ON people (lower(city));
CREATE INDEX people_legacy ON people (legacy);
CREATE TRIGGER people_touch AFTER UPDATE OF email ON people BEGIN UPDATE people SET score = 0 WHERE id = NEW.id; END;
CREATE VIEW adults AS SELECT email, age FROM people WHERE age >= 18;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO people (id, email, handle, city, age, score, legacy)
  SELECT i * 3, 'p' || i || '@x', CASE WHEN i % 2 = 0 THEN 'H' ELSE 'h' END || i,
         CASE WHEN i % 17 = 0 THEN NULL ELSE 'city' || (i % 23) END, i % 97, i / 7.0, 'old' || i FROM n;
";

fn integrity(c: &Connection) -> Vec<Value> {
    query(c, "PRAGMA integrity_check")
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

fn index_sql(c: &Connection) -> Vec<Vec<Value>> {
    query(
        c,
        "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' ORDER BY name",
    )
}

fn dry_run(path: &std::path::Path, sql: &str) -> String {
    let conn = kit::open(path).unwrap();
    let plan = kit::plan_sql(&conn, sql).unwrap();
    plan.steps
        .iter()
        .flat_map(|s| s.sql.clone())
        .collect::<Vec<_>>()
        .join(";\n")
}

/// True when the plan builds index `name` with `CREATE [UNIQUE] INDEX` (not: moves it).
fn builds(plan: &str, name: &str) -> bool {
    plan.split(";\n").any(|s| {
        s.starts_with(&format!("CREATE INDEX {name} "))
            || s.starts_with(&format!("CREATE UNIQUE INDEX {name} "))
    })
}

/// Each index answers a query over its keys as a full scan of the table does.
fn indexes_agree(c: &Connection) {
    for (index, cond) in [
        ("sqlite_autoindex_people_1", "email > 'p5'"),
        ("sqlite_autoindex_people_2", "city > 'city1'"),
        ("people_city", "city > 'city1'"),
        ("people_city_age", "city = 'city3' AND age < 50"),
        ("people_handle", "handle > 'h1'"),
        ("people_age", "age BETWEEN 10 AND 40"),
        ("people_old", "age > 60"),
        ("people_lower", "lower(city) > 'city2'"),
    ] {
        let by_index = query(
            c,
            &format!("SELECT count(*), total(id) FROM people INDEXED BY {index} WHERE {cond}"),
        );
        let by_scan = query(
            c,
            &format!("SELECT count(*), total(id) FROM people NOT INDEXED WHERE {cond}"),
        );
        assert_eq!(by_index, by_scan, "{index}");
    }
}

#[test]
fn unchanged_indexes_are_kept_and_changed_ones_rebuilt() {
    let (_d, path) = db(PEOPLE);
    let change = "ALTER TABLE people DROP COLUMN legacy; ALTER TABLE people ALTER COLUMN age TYPE TEXT; ALTER TABLE people ALTER COLUMN email SET NOT NULL";
    let sql = dry_run(&path, change);
    // Kept: the two automatic indexes and the indexes on unchanged columns.
    assert!(
        sql.contains("'sqlite_autoindex_people_1', 'people', rootpage"),
        "{sql}"
    );
    assert!(
        sql.contains("'sqlite_autoindex_people_2', 'people', rootpage"),
        "{sql}"
    );
    for kept in ["people_city", "people_handle"] {
        assert!(!builds(&sql, kept), "{kept} rebuilt:\n{sql}");
    }
    // Built again: the ones on `age` (its type changes), the expression index.
    for rebuilt in [
        "people_city_age",
        "people_age",
        "people_old",
        "people_lower",
    ] {
        assert!(builds(&sql, rebuilt), "{rebuilt}:\n{sql}");
    }
    assert!(!sql.contains("people_legacy"), "{sql}");
    // The copy runs on a table without its UNIQUE constraints: no index maintained row by row.
    assert!(sql.contains("email TEXT NOT NULL,"), "{sql}");

    let before = index_sql(&Connection::open(&path).unwrap());
    let mut conn = kit::open(&path).unwrap();
    kit::run_sql(&mut conn, change).unwrap();
    drop(conn);
    let c = Connection::open(&path).unwrap();
    assert_eq!(integrity(&c), [Value::Text("ok".into())]);
    let after = index_sql(&c);
    let expected: Vec<Vec<Value>> = before
        .into_iter()
        .filter(|r| r[0] != Value::Text("people_legacy".into()))
        .collect();
    assert_eq!(after, expected, "index definitions changed");
    let table: String = c
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'people'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(table.contains("email TEXT NOT NULL UNIQUE"), "{table}");
    assert!(table.contains("UNIQUE (city, handle)"), "{table}");
    assert!(!table.contains("legacy"), "{table}");
    indexes_agree(&c);
    // The constraints still hold.
    for dup in [
        "INSERT INTO people (email) VALUES ('p5@x')",
        "INSERT INTO people (email, handle) VALUES ('new@x', 'H2')",
        "INSERT INTO people (email, handle, city) VALUES ('new@x', 'h1', 'city1')",
    ] {
        let e = c.execute(dup, []).unwrap_err();
        assert!(e.to_string().contains("UNIQUE"), "{dup}: {e}");
    }
    c.execute(
        "INSERT INTO people (email, handle, city) VALUES ('new@x', 'zz', 'cityX')",
        [],
    )
    .unwrap();
    let seq: i64 = c
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'people'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(seq, 6001);
    assert_eq!(integrity(&c), [Value::Text("ok".into())]);
}

#[test]
fn a_changed_unique_column_copies_through_its_constraint() {
    // `email` changes type: its automatic index cannot be kept, and then none is (the copy runs
    // on the real definition, which enforces every UNIQUE constraint).
    let (_d, path) = db(PEOPLE);
    let change = "ALTER TABLE people ALTER COLUMN email TYPE VARCHAR(200)";
    let sql = dry_run(&path, change);
    assert!(!sql.contains("sqlite_autoindex"), "{sql}");
    assert!(sql.contains("email VARCHAR(200) NOT NULL UNIQUE"), "{sql}");
    // The explicit indexes on other columns are still kept.
    assert!(!builds(&sql, "people_city"), "{sql}");
    let mut conn = kit::open(&path).unwrap();
    kit::run_sql(&mut conn, change).unwrap();
    drop(conn);
    let c = Connection::open(&path).unwrap();
    assert_eq!(integrity(&c), [Value::Text("ok".into())]);
    indexes_agree(&c);
}

#[test]
fn a_new_unique_constraint_is_checked_by_the_copy() {
    let (_d, path) = db(&format!(
        "{PEOPLE} UPDATE people SET score = 1 WHERE id IN (3, 6);"
    ));
    let mut conn = kit::open(&path).unwrap();
    let before = snapshot(&conn);
    let err = kit::run_sql(
        &mut conn,
        "ALTER TABLE people ADD CONSTRAINT people_score_key UNIQUE (score)",
    )
    .unwrap_err();
    assert!(err.to_string().contains("UNIQUE"), "{err}");
    assert_eq!(snapshot(&conn), before);
}

#[test]
fn primary_key_and_without_rowid_tables_rebuild_their_indexes() {
    let (_d, path) = db("
        CREATE TABLE k (code TEXT PRIMARY KEY, name TEXT UNIQUE, n INTEGER, legacy TEXT);
        CREATE INDEX k_name ON k (name);
        CREATE TABLE w (a INTEGER, b TEXT, c TEXT, legacy TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;
        CREATE INDEX w_c ON w (c);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
        INSERT INTO k SELECT 'c' || i, 'n' || i, i, 'x' FROM n;
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
        INSERT INTO w SELECT i % 50, 'b' || i, 'c' || (i % 7), 'x' FROM n;
    ");
    let change = "ALTER TABLE k DROP COLUMN legacy; ALTER TABLE k ALTER COLUMN n TYPE TEXT; ALTER TABLE w DROP COLUMN legacy; ALTER TABLE w ALTER COLUMN c TYPE VARCHAR(9)";
    let sql = dry_run(&path, change);
    // `k` has a PRIMARY KEY index of its own: its automatic indexes are rebuilt by the copy,
    // its plain index on an unchanged column is kept. `w` has no rowids to keep.
    assert!(!sql.contains("sqlite_autoindex"), "{sql}");
    assert!(!builds(&sql, "k_name"), "{sql}");
    assert!(builds(&sql, "w_c"), "{sql}");
    let mut conn = kit::open(&path).unwrap();
    kit::run_sql(&mut conn, change).unwrap();
    drop(conn);
    let c = Connection::open(&path).unwrap();
    assert_eq!(integrity(&c), [Value::Text("ok".into())]);
    assert_eq!(
        query(
            &c,
            "SELECT count(*) FROM k INDEXED BY k_name WHERE name > 'n3'"
        ),
        query(&c, "SELECT count(*) FROM k NOT INDEXED WHERE name > 'n3'")
    );
}

/// The settings a rebuild changes while it copies, read back.
fn settings(c: &Connection) -> (i64, i64, i64) {
    let get = |p: &str| {
        c.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    (
        get("foreign_keys"),
        get("legacy_alter_table"),
        get("writable_schema"),
    )
}

fn assert_untouched(conn: &Connection, before: &Snapshot) {
    assert_eq!(&snapshot(conn), before);
    assert_eq!(integrity(conn), [Value::Text("ok".into())]);
    indexes_agree(conn);
}

#[test]
fn settings_are_restored_after_a_rebuild_that_keeps_indexes() {
    let (_d, path) = db(PEOPLE);
    let mut conn = kit::open(&path).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA legacy_alter_table = OFF")
        .unwrap();
    kit::run_sql(&mut conn, "ALTER TABLE people DROP COLUMN legacy").unwrap();
    assert_eq!(settings(&conn), (1, 0, 0));
    conn.execute_batch("PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON")
        .unwrap();
    kit::run_sql(&mut conn, "ALTER TABLE people ALTER COLUMN age TYPE TEXT").unwrap();
    assert_eq!(settings(&conn), (0, 1, 0));
}

#[test]
fn a_failure_while_the_schema_is_writable_leaves_everything_as_it_was() {
    let (_d, path) = db(PEOPLE);
    let mut conn = kit::open(&path).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let before = snapshot(&conn);
    let mut plan = kit::plan_sql(
        &conn,
        "ALTER TABLE people DROP COLUMN legacy; ALTER TABLE people ALTER COLUMN age TYPE TEXT",
    )
    .unwrap();
    // Make the rebuild fail at each point of the index move: right after writable_schema is
    // switched on, between the moved rows, and after the schema is reloaded.
    let step = &plan.steps[0];
    let marks: Vec<usize> = step
        .sql
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.starts_with("PRAGMA writable_schema")
                || s.starts_with("INSERT INTO sqlite_schema")
                || s.starts_with("DELETE FROM sqlite_schema")
        })
        .map(|(i, _)| i + 1)
        .collect();
    assert!(marks.len() >= 5, "{:?}", step.sql);
    let original = step.sql.clone();
    for at in marks {
        let mut sql = original.clone();
        sql.insert(at, "SELECT * FROM no_such_table".to_string());
        plan.steps[0].sql = sql;
        let err = kit::apply(&mut conn, &plan).unwrap_err();
        assert!(err.to_string().contains("no_such_table"), "{err}");
        assert_eq!(settings(&conn), (1, 0, 0), "after a failure at {at}");
        assert_untouched(&conn, &before);
    }
    // And the unchanged plan still applies on the same connection.
    plan.steps[0].sql = original;
    kit::apply(&mut conn, &plan).unwrap();
    assert_eq!(settings(&conn), (1, 0, 0));
    assert_eq!(integrity(&conn), [Value::Text("ok".into())]);
    indexes_agree(&conn);
}

#[test]
fn a_later_refusal_rolls_back_the_moved_indexes() {
    // The first rebuild keeps indexes, the second one's preflight check refuses: nothing stays.
    let (_d, path) = db(&format!(
        "{PEOPLE} CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('a'), (NULL);"
    ));
    let mut conn = kit::open(&path).unwrap();
    let before = snapshot(&conn);
    let err = kit::run_sql(
        &mut conn,
        "ALTER TABLE people DROP COLUMN legacy; ALTER TABLE notes ALTER COLUMN body SET NOT NULL, ALTER COLUMN body TYPE VARCHAR(5)",
    )
    .unwrap_err();
    assert!(matches!(err, kit::Error::Refused(_)), "{err}");
    assert_eq!(settings(&conn).2, 0);
    assert_untouched(&conn, &before);
}

#[test]
fn tolerated_foreign_key_violations_rerun_the_rebuild_with_kept_indexes() {
    // A child that already breaks its foreign key: the rebuild changes the key's column type, so
    // the check runs, finds the old violation, rolls back to the savepoint, compares, and runs
    // the plan again. Its unchanged index is kept both times.
    let (_d, path) = db("
        PRAGMA foreign_keys = OFF;
        CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id), tag TEXT, legacy TEXT);
        CREATE INDEX child_tag ON child (tag);
        INSERT INTO parent VALUES (1, 'a');
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
        INSERT INTO child SELECT i, CASE WHEN i = 7 THEN 99 ELSE 1 END, 't' || (i % 13), 'x' FROM n;
    ");
    let change = "ALTER TABLE child DROP COLUMN legacy; ALTER TABLE child ALTER COLUMN parent_id TYPE BIGINT";
    let sql = dry_run(&path, change);
    assert!(!builds(&sql, "child_tag"), "{sql}");
    let mut conn = kit::open(&path).unwrap();
    kit::run_sql(&mut conn, change).unwrap();
    assert_eq!(settings(&conn).2, 0);
    drop(conn);
    let c = Connection::open(&path).unwrap();
    assert_eq!(integrity(&c), [Value::Text("ok".into())]);
    assert_eq!(
        query(
            &c,
            "SELECT count(*) FROM child INDEXED BY child_tag WHERE tag > 't3'"
        ),
        query(
            &c,
            "SELECT count(*) FROM child NOT INDEXED WHERE tag > 't3'"
        )
    );
    assert_eq!(
        query(&c, "SELECT count(*) FROM pragma_foreign_key_check"),
        [[Value::Integer(1)]]
    );
}
