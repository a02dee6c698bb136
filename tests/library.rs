//! The library API: planning, applying with observers, and the guards around them.

use rusqlite::Connection;
use std::sync::{Arc, Mutex};

fn db(setup: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(setup).unwrap();
    (dir, path)
}

const USERS: &str =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER, legacy TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
    INSERT INTO users SELECT i, 'u' || i || '@x', i % 90, 'old' FROM n;";

#[test]
fn observer_sees_every_statement_and_the_copy_progress() {
    let (_d, path) = db(USERS);
    let mut conn = kit::open(&path).unwrap();
    let plan = kit::plan_sql(&conn, "ALTER TABLE users ALTER COLUMN age TYPE TEXT").unwrap();
    let mut seen = Vec::new();
    let mut echo = |s: &str| seen.push(s.to_string());
    let reports: Arc<Mutex<Vec<kit::Progress>>> = Arc::default();
    let sink = reports.clone();
    let mut observer = kit::Observer {
        on_statement: Some(&mut echo),
        on_progress: Some(Arc::new(move |p: &kit::Progress| {
            sink.lock().unwrap().push(p.clone())
        })),
        on_note: None,
    };
    let summary = kit::apply_observed(&mut conn, &plan, &mut observer).unwrap();
    assert_eq!(summary.rows_copied(), 3000);
    // Every statement of the plan was reported, in order.
    let planned: Vec<String> = plan.steps.iter().flat_map(|s| s.sql.clone()).collect();
    assert_eq!(seen, planned);
    let reports = reports.lock().unwrap();
    let first = reports.first().unwrap();
    assert_eq!(
        (first.table.as_str(), first.copied, first.total, first.done),
        ("users", 0, 3000, false)
    );
    let last = reports.last().unwrap();
    assert_eq!((last.copied, last.total, last.done), (3000, 3000, true));
    assert!(reports.windows(2).all(|w| w[0].copied <= w[1].copied));
}

#[test]
fn a_plan_made_before_another_schema_change_is_refused() {
    let (_d, path) = db(USERS);
    let mut conn = kit::open(&path).unwrap();
    let plan = kit::plan_sql(&conn, "ALTER TABLE users DROP COLUMN legacy").unwrap();
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE other (x)")
        .unwrap();
    let err = kit::apply(&mut conn, &plan).unwrap_err();
    assert!(err.to_string().contains("schema changed"), "{err}");
    let cols: i64 = conn
        .query_row("SELECT count(*) FROM pragma_table_info('users')", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(cols, 4);
}

#[test]
fn connection_settings_are_restored() {
    let (_d, path) = db(USERS);
    let mut conn = kit::open(&path).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA legacy_alter_table = ON")
        .unwrap();
    kit::run_sql(&mut conn, "ALTER TABLE users ALTER COLUMN age TYPE TEXT").unwrap();
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    let legacy: i64 = conn
        .query_row("PRAGMA legacy_alter_table", [], |r| r.get(0))
        .unwrap();
    assert_eq!((fk, legacy), (1, 1));
}

#[test]
fn refusal_carries_table_count_and_keys() {
    let (_d, path) = db(&format!(
        "{USERS} UPDATE users SET email = NULL WHERE id IN (7, 8, 9);"
    ));
    let mut conn = kit::open(&path).unwrap();
    let err = kit::run_sql(
        &mut conn,
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
    )
    .unwrap_err();
    match err {
        kit::Error::Refused(r) => {
            assert_eq!(r.table, "users");
            assert_eq!(r.count, 3);
            assert_eq!(r.examples, ["id=7", "id=8", "id=9"]);
            assert!(r.reason.contains("email"));
        }
        other => panic!("expected a refusal, got {other}"),
    }
}

#[test]
fn native_paths_need_no_copy() {
    let (_d, path) = db(USERS);
    let conn = kit::open(&path).unwrap();
    let plan = kit::plan_sql(
        &conn,
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL; ALTER TABLE users DROP COLUMN legacy; \
         ALTER TABLE users RENAME COLUMN age TO years; ALTER TABLE users ADD COLUMN note TEXT DEFAULT 'n'",
    )
    .unwrap();
    let paths: Vec<kit::Path> = plan.steps.iter().map(|s| s.path).collect();
    assert_eq!(
        paths,
        [
            kit::Path::Native,
            kit::Path::Edit,
            kit::Path::Native,
            kit::Path::Native
        ]
    );
    assert!(plan.rebuilt_tables().is_empty());
}

#[test]
fn migrations_through_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    std::fs::write(
        migrations.join("0001_users.sql"),
        "-- kit:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, legacy TEXT);\nINSERT INTO users (email, legacy) VALUES ('a@x', 'l');\n-- kit:down\nDROP TABLE users;\n",
    )
    .unwrap();
    std::fs::write(
        migrations.join("0002_drop_legacy.sql"),
        "-- kit:up\nALTER TABLE users DROP COLUMN legacy, ALTER COLUMN email SET NOT NULL;\n-- kit:down\nALTER TABLE users ALTER COLUMN email DROP NOT NULL, ADD COLUMN legacy TEXT;\n",
    )
    .unwrap();
    let path = dir.path().join("app.db");
    rusqlite::Connection::open(&path).unwrap();
    let mut conn = kit::open(&path).unwrap();
    let done = kit::migrate::upgrade(&mut conn, &migrations, "head").unwrap();
    assert_eq!(done.len(), 2);
    let versions: Vec<String> = kit::sqlite::migrate::applied(&conn)
        .unwrap()
        .into_iter()
        .map(|a| a.version)
        .collect();
    assert_eq!(versions, ["0001", "0002"]);
    let cols: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('users')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(cols, ["id", "email"]);
    let email: String = conn
        .query_row("SELECT email FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(email, "a@x");
    kit::migrate::downgrade(&mut conn, &migrations, "-1").unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM pragma_table_info('users') WHERE name = 'legacy'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(kit::sqlite::migrate::applied(&conn).unwrap().len(), 1);
    // Unknown targets are errors naming the revision, and change nothing.
    let e = kit::migrate::upgrade(&mut conn, &migrations, "0009").unwrap_err();
    assert!(e.to_string().contains("0009"), "{e}");
    assert_eq!(kit::sqlite::migrate::applied(&conn).unwrap().len(), 1);
}

#[test]
fn read_schema_cross_checks_names_with_any_characters() {
    // The pragma cross-checks pass table and index names to SQLite as a JSON array: names with
    // quotes, backslashes, control characters and non-ASCII must arrive intact.
    let names = [
        "plain",
        "with \"quotes\"",
        "back\\slash",
        "new\nline\ttab\u{1}",
        "ünï 名前",
        "json \\u0041 text",
    ];
    let mut sql = String::new();
    for (i, n) in names.iter().enumerate() {
        let q = kit::sql::quote_ident(n);
        let idx = kit::sql::quote_ident(&format!("{n} idx"));
        sql.push_str(&format!(
            "CREATE TABLE {q} (id INTEGER PRIMARY KEY, \"c {i}\" TEXT, p INT REFERENCES {q}(id));\
             CREATE INDEX {idx} ON {q} (\"c {i}\");"
        ));
    }
    let (_d, path) = db(&sql);
    let conn = kit::open(&path).unwrap();
    let schema = kit::read_schema(&conn).unwrap();
    for (i, n) in names.iter().enumerate() {
        let t = schema
            .table(n)
            .unwrap_or_else(|| panic!("table {n:?} missing"));
        let cols: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(cols, vec!["id", &format!("c {i}"), "p"], "{n:?}");
        assert_eq!(t.foreign_keys().len(), 1, "{n:?}");
        let idx = &schema.indexes[&format!("{n} idx")];
        assert_eq!(idx.columns, vec![Some(format!("c {i}"))], "{n:?}");
    }
}
