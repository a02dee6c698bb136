//! End-to-end tests of the `kit` binary (issue 2): every acceptance item, checked by reading
//! the database back through SQLite.

mod common;

use common::*;
use rusqlite::types::Value;
use rusqlite::Connection;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The users/orders schema of the issue's workloads. Rows: users 1..=4 (5 was deleted, so the
/// AUTOINCREMENT counter is 5), orders of users 1, 2 and 4.
const APP: &str = r#"
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  age INTEGER CHECK (age >= 0),
  legacy TEXT,
  created_at TEXT DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX users_name ON users(name);
CREATE INDEX users_senior ON users(age) WHERE age > 60;
CREATE TABLE audit (id INTEGER PRIMARY KEY, user_id INTEGER, old_email TEXT, new_email TEXT);
CREATE TRIGGER users_email_audit AFTER UPDATE OF email ON users BEGIN
  INSERT INTO audit (user_id, old_email, new_email) VALUES (old.id, old.email, new.email);
END;
CREATE VIEW adults AS SELECT id, email, name, age FROM users WHERE age >= 18;
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  total REAL
);
CREATE INDEX orders_user ON orders(user_id);
INSERT INTO users (email, name, age, legacy, created_at) VALUES
  ('ann@x.org', 'Ann', 30, 'l1', '2024-01-01 10:00:00'),
  ('bob@x.org', 'Bob', 70, NULL, '2024-01-02 10:00:00'),
  ('cy@x.org', 'Cy', 12, 'l3', '2024-01-03 10:00:00'),
  ('dee@x.org', 'Dee', NULL, NULL, '2024-01-04 10:00:00'),
  ('eve@x.org', 'Eve', 40, NULL, '2024-01-05 10:00:00');
DELETE FROM users WHERE id = 5;
INSERT INTO orders (id, user_id, total) VALUES (10, 1, 9.5), (11, 1, 20.0), (12, 2, 5.25), (13, 4, 1.0);
"#;

const W1: &str = "ALTER TABLE users DROP COLUMN legacy; ALTER TABLE users ALTER COLUMN age TYPE TEXT; ALTER TABLE users ALTER COLUMN name SET NOT NULL";
const W2: &str =
    "ALTER TABLE users ALTER COLUMN name SET NOT NULL; ALTER TABLE users DROP COLUMN legacy";

fn app() -> Db {
    Db::new(APP)
}

/// Objects the W1/W2 changes do not touch: their SQL must be byte-identical afterwards.
const UNTOUCHED: &[&str] = &[
    "users_name",
    "users_senior",
    "audit",
    "users_email_audit",
    "adults",
    "orders",
    "orders_user",
];

fn untouched_sql(db: &Db) -> Vec<Option<String>> {
    UNTOUCHED.iter().map(|n| db.sql_of(n)).collect()
}

/// Everything that must still work on the users/orders database after W1 or W2.
fn assert_app_works(db: &Db, users_before: &[Vec<Value>], orders_before: &[Vec<Value>]) {
    db.assert_healthy();
    // Orders: every row kept.
    assert_eq!(
        db.query("SELECT id, user_id, total FROM orders ORDER BY id"),
        orders_before
    );
    // sqlite_sequence kept: the deleted top id 5 is never reused.
    assert_eq!(
        db.query("SELECT seq FROM sqlite_sequence WHERE name = 'users'"),
        [[int(5)]]
    );
    let c = db.conn();
    c.execute(
        "INSERT INTO users (email, name) VALUES ('new@x.org', 'New')",
        [],
    )
    .unwrap();
    assert_eq!(c.last_insert_rowid(), 6);
    // UNIQUE still enforced.
    assert!(c
        .execute(
            "INSERT INTO users (email, name) VALUES ('ann@x.org', 'X')",
            []
        )
        .is_err());
    // Indexes present, the partial one still partial.
    let idx = db.query("SELECT name, partial FROM pragma_index_list('users') ORDER BY name");
    assert!(idx.contains(&vec![text("users_name"), int(0)]), "{idx:?}");
    assert!(idx.contains(&vec![text("users_senior"), int(1)]), "{idx:?}");
    assert!(
        idx.iter().any(|r| r[0] == text("sqlite_autoindex_users_1")),
        "{idx:?}"
    );
    // The trigger fires.
    c.execute("UPDATE users SET email = 'bobby@x.org' WHERE id = 2", [])
        .unwrap();
    assert_eq!(
        query(&c, "SELECT user_id, old_email, new_email FROM audit"),
        [[int(2), text("bob@x.org"), text("bobby@x.org")]]
    );
    // The view works.
    let adults = query(&c, "SELECT id, email FROM adults ORDER BY id");
    assert!(
        adults.contains(&vec![int(1), text("ann@x.org")]),
        "{adults:?}"
    );
    assert!(!adults.iter().any(|r| r[0] == int(3)), "{adults:?}");
    // The foreign key into users still cascades.
    c.execute("DELETE FROM users WHERE id = 1", []).unwrap();
    assert_eq!(
        query(&c, "SELECT id FROM orders ORDER BY id"),
        [[int(12)], [int(13)]]
    );
    let fks = query(
        &c,
        "SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('orders')",
    );
    assert_eq!(
        fks,
        [[text("users"), text("user_id"), text("id"), text("CASCADE")]]
    );
    let _ = users_before;
}

// ---------------------------------------------------------------------------------------------
// W1 and W2, --sql / --file / --dry-run, the summary

#[test]
fn w1_rebuilds_users_once_and_keeps_everything() {
    let db = app();
    let untouched = untouched_sql(&db);
    let users_before =
        db.query("SELECT id, email, name, age, legacy, created_at FROM users ORDER BY id");
    let orders_before = db.query("SELECT id, user_id, total FROM orders ORDER BY id");

    let out = db.ok(W1);

    // Schema: legacy gone, age TEXT, name NOT NULL, column order and everything else kept.
    let cols: Vec<_> = db
        .columns("users")
        .into_iter()
        .map(|(n, t, nn, d, pk, _)| (n, t, nn, d, pk))
        .collect();
    assert_eq!(
        cols,
        [
            ("id".into(), "INTEGER".into(), false, None, 1),
            ("email".into(), "TEXT".into(), true, None, 0),
            ("name".into(), "TEXT".into(), true, None, 0),
            ("age".into(), "TEXT".into(), false, None, 0),
            (
                "created_at".into(),
                "TEXT".into(),
                false,
                Some("CURRENT_TIMESTAMP".into()),
                0
            ),
        ]
    );
    let sql = db.sql_of("users").unwrap();
    assert!(sql.contains("AUTOINCREMENT"), "{sql}");
    assert!(sql.contains("UNIQUE"), "{sql}");
    assert!(sql.contains("CHECK (age >= 0)"), "{sql}");
    assert!(!sql.contains("legacy"), "{sql}");
    assert_eq!(
        untouched_sql(&db),
        untouched,
        "untouched objects keep their SQL text"
    );

    // Every row, with its rowid; age values as SQLite stores them in a TEXT column.
    let expected: Vec<Vec<Value>> = users_before
        .iter()
        .map(|r| {
            let age = match &r[3] {
                Value::Integer(i) => text(&i.to_string()),
                v => v.clone(),
            };
            vec![r[0].clone(), r[1].clone(), r[2].clone(), age, r[5].clone()]
        })
        .collect();
    assert_eq!(
        db.query("SELECT id, email, name, age, created_at FROM users ORDER BY id"),
        expected
    );
    // Summary on stderr: the table, its path, rows copied, time.
    let users_lines: Vec<&str> = out.stderr.lines().filter(|l| l.contains("users")).collect();
    assert_eq!(
        users_lines.len(),
        1,
        "one line about users:\n{}",
        out.show()
    );
    assert!(users_lines[0].contains("rebuild"), "{}", out.show());
    assert!(
        out.stderr_words().contains("4"),
        "4 rows copied:\n{}",
        out.show()
    );
    assert!(
        has_duration(&out.stderr),
        "time in summary:\n{}",
        out.show()
    );
    assert_app_works(&db, &users_before, &orders_before);
}

#[test]
fn w1_dry_run_shows_exactly_one_rebuild_and_changes_nothing() {
    let db = app();
    let before = db.bytes();
    let out = db.dry_run(W1);
    out.assert_ok();
    db.assert_untouched(&before);
    assert_eq!(
        paths(&out.stdout),
        [("users".to_string(), "rebuild")],
        "{}",
        out.show()
    );
    // Every statement is there: the new table, the copy, the drop, the recreated objects.
    let s = &out.stdout;
    assert!(s.contains("CREATE TABLE"), "{s}");
    assert!(s.contains("INSERT INTO"), "{s}");
    assert!(s.contains("DROP TABLE"), "{s}");
    assert!(s.contains("CREATE INDEX users_name ON users(name)"), "{s}");
    assert!(
        s.contains("CREATE INDEX users_senior ON users(age) WHERE age > 60"),
        "{s}"
    );
    assert!(s.contains("CREATE TRIGGER users_email_audit"), "{s}");
    // (The index on the unchanged `name` keeps its b-tree: its text is in the moved schema row,
    // and the table's full definition is written over the one the copy ran on.)
    assert_eq!(
        s.lines().filter(|l| l.starts_with("CREATE TABLE")).count(),
        1,
        "one copy of one table:\n{s}"
    );
    assert_eq!(s.matches("INSERT INTO \"users\"").count(), 1, "{s}");
}

/// Asserts that replaying the `--dry-run` output of `sql` with SQLite gives the database that
/// running kit gives.
fn assert_dry_run_replays(db: &Db, sql: &str) {
    let out = db.dry_run(sql);
    out.assert_ok();
    let replay = db.file("replay.db");
    std::fs::copy(&db.path, &replay).unwrap();
    let c = Connection::open(&replay).unwrap();
    c.execute_batch(&out.stdout)
        .unwrap_or_else(|e| panic!("dry-run output is not executable: {e}\n{}", out.stdout));
    let replayed = snapshot(&c);
    drop(c);
    db.ok(sql);
    assert_eq!(replayed, db.snapshot());
}

/// `--dry-run` prints the exact SQL: replaying its output with SQLite gives the same database
/// as running kit.
#[test]
fn w1_dry_run_output_replays_to_the_same_database() {
    let db = app();
    assert_dry_run_replays(&db, W1);
}

#[test]
fn w2_set_not_null_and_drop_column_need_no_rebuild() {
    let db = app();
    db.conn()
        .execute("UPDATE users SET name = 'Dee' WHERE name IS NULL", [])
        .unwrap();
    let untouched = untouched_sql(&db);
    let before = db.bytes();
    let users_before = db.query("SELECT id, email, name, age, created_at FROM users ORDER BY id");
    let orders_before = db.query("SELECT id, user_id, total FROM orders ORDER BY id");

    let dry = db.dry_run(W2);
    dry.assert_ok();
    db.assert_untouched(&before);
    let p = paths(&dry.stdout);
    assert!(!p.is_empty(), "dry-run names the path:\n{}", dry.show());
    assert!(
        p.iter().all(|(t, path)| t == "users" && *path != "rebuild"),
        "no rebuild: {p:?}\n{}",
        dry.stdout
    );
    assert!(
        !dry.stdout.contains("INSERT INTO"),
        "no copy:\n{}",
        dry.stdout
    );

    let out = db.ok(W2);
    assert!(
        !out.stderr
            .lines()
            .any(|l| l.contains("users") && l.contains("rebuild")),
        "{}",
        out.show()
    );
    assert_eq!(
        db.query("SELECT id, email, name, age, created_at FROM users ORDER BY id"),
        users_before
    );
    let cols: Vec<(String, bool)> = db
        .columns("users")
        .into_iter()
        .map(|c| (c.0, c.2))
        .collect();
    assert_eq!(
        cols,
        [
            ("id".to_string(), false),
            ("email".to_string(), true),
            ("name".to_string(), true),
            ("age".to_string(), false),
            ("created_at".to_string(), false)
        ]
    );
    assert!(db
        .conn()
        .execute("INSERT INTO users (email) VALUES ('nameless@x.org')", [])
        .is_err());
    assert_eq!(untouched_sql(&db), untouched);
    assert_app_works(&db, &users_before, &orders_before);
}

/// The same replay for a plan without a rebuild (edit of the stored definition).
#[test]
fn w2_dry_run_output_replays_to_the_same_database() {
    let db = app();
    db.conn()
        .execute("UPDATE users SET name = 'Dee' WHERE name IS NULL", [])
        .unwrap();
    assert_dry_run_replays(&db, W2);
}

#[test]
fn file_input_multiline_with_comments() {
    let db = app();
    let out = db.kit_file(
        "-- drop the old column\nALTER TABLE users\n  DROP COLUMN legacy;\n\n/* and widen age */\nALTER TABLE users ALTER COLUMN age TYPE TEXT;\n",
        &[],
    );
    out.assert_ok();
    assert!(db.columns("users").iter().all(|c| c.0 != "legacy"));
    assert_eq!(
        db.query("SELECT age, typeof(age) FROM users WHERE id = 1"),
        [[text("30"), text("text")]]
    );
    db.assert_healthy();
}

#[test]
fn file_dry_run_changes_nothing() {
    let db = app();
    let before = db.bytes();
    let out = db.kit_file(W1, &["--dry-run"]);
    out.assert_ok();
    assert!(out.stdout.contains("CREATE TABLE"), "{}", out.show());
    db.assert_untouched(&before);
}

#[test]
fn missing_change_file_is_an_error() {
    let db = app();
    let before = db.bytes();
    let out = run(kit()
        .arg("rebuild")
        .arg("--db")
        .arg(&db.path)
        .arg("--file")
        .arg(db.file("nope.sql")));
    out.assert_code(1);
    out.assert_stderr_has(&["nope.sql"]);
    db.assert_untouched(&before);
}

#[test]
fn success_summary_names_tables_rows_and_time() {
    let db = app();
    let out = db.ok("ALTER TABLE users ALTER COLUMN age TYPE TEXT; ALTER TABLE orders ALTER COLUMN total TYPE NUMERIC; ALTER TABLE audit RENAME COLUMN new_email TO email_after");
    assert!(out.stdout.is_empty(), "nothing on stdout:\n{}", out.show());
    out.assert_stderr_has(&["users", "orders", "audit"]);
    // 4 users + 4 orders copied.
    assert!(
        out.stderr_words().contains("8"),
        "total rows copied:\n{}",
        out.show()
    );
    assert!(has_duration(&out.stderr), "{}", out.show());
    db.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Item 1: everything the table had, it keeps

const ITEMS: &str = r#"
CREATE TABLE items (
  -- no INTEGER PRIMARY KEY: rowids are implicit
  sku TEXT NOT NULL COLLATE NOCASE,
  qty INTEGER DEFAULT (1 + 1) CHECK (qty IS NOT 13),
  price REAL DEFAULT 0x10,
  label TEXT DEFAULT 'it''s',
  total REAL GENERATED ALWAYS AS (qty * price) STORED,
  shout TEXT AS (upper(label)) VIRTUAL,
  legacy TEXT,
  CONSTRAINT qty_cap CHECK (qty < 1000)
);
CREATE INDEX items_sku_desc ON items(sku COLLATE BINARY DESC);
CREATE INDEX items_lower ON items(lower(sku));
CREATE INDEX items_noqty ON items(sku) WHERE qty ISNULL;
CREATE TABLE log (id INTEGER PRIMARY KEY, msg TEXT);
CREATE TRIGGER log_touches_items AFTER INSERT ON log BEGIN
  UPDATE items SET label = label WHERE sku = new.msg;
END;
CREATE TRIGGER items_ins AFTER INSERT ON items BEGIN
  INSERT INTO log (msg) VALUES ('item ' || new.sku);
END;
CREATE VIEW item_totals AS SELECT sku, total FROM items;
CREATE VIEW big_items AS SELECT sku FROM item_totals WHERE total > 20;
INSERT INTO items (sku, qty, price, label, legacy) VALUES
  ('a', 1, 2.5, 'x', 'l'), ('B', 2, 30, 'y', NULL), ('c', NULL, 1, NULL, 'z'),
  ('d', 4, 10, 'w', NULL), ('e', 5, 5, 'v', 'q');
DELETE FROM items WHERE sku IN ('B', 'd');
INSERT INTO items (sku, qty, price) VALUES ('f', 6, 7);
DELETE FROM log;
"#;

#[test]
fn rebuild_keeps_rowids_defaults_generated_collations_indexes_triggers_views() {
    let db = Db::new(ITEMS);
    let objects = [
        "items_sku_desc",
        "items_lower",
        "items_noqty",
        "log",
        "log_touches_items",
        "items_ins",
        "item_totals",
        "big_items",
    ];
    let sql_before: Vec<_> = objects.iter().map(|n| db.sql_of(n)).collect();
    let rows_before =
        db.query("SELECT rowid, sku, qty, price, label, total, shout FROM items ORDER BY rowid");
    let cols_before = db.columns("items");

    // A type change forces a rebuild.
    let dry = db.dry_run("ALTER TABLE items ALTER COLUMN legacy TYPE BLOB");
    dry.assert_ok();
    assert_eq!(
        paths(&dry.stdout),
        [("items".to_string(), "rebuild")],
        "{}",
        dry.stdout
    );
    db.ok("ALTER TABLE items ALTER COLUMN legacy TYPE BLOB");

    assert_eq!(
        db.query("SELECT rowid, sku, qty, price, label, total, shout FROM items ORDER BY rowid"),
        rows_before,
        "rowids (with gaps) and values kept"
    );
    let mut cols_expected = cols_before;
    for c in &mut cols_expected {
        if c.0 == "legacy" {
            c.1 = "BLOB".into();
        }
    }
    assert_eq!(
        db.columns("items"),
        cols_expected,
        "column order, defaults, generated columns"
    );
    let sql = db.sql_of("items").unwrap();
    for piece in [
        "COLLATE NOCASE",
        "DEFAULT (1 + 1)",
        "CHECK (qty IS NOT 13)",
        "DEFAULT 0x10",
        "DEFAULT 'it''s'",
        "GENERATED ALWAYS AS (qty * price) STORED",
        "AS (upper(label)) VIRTUAL",
        "CONSTRAINT qty_cap CHECK (qty < 1000)",
    ] {
        assert!(sql.contains(piece), "{piece:?} kept as written in:\n{sql}");
    }
    let sql_after: Vec<_> = objects.iter().map(|n| db.sql_of(n)).collect();
    assert_eq!(
        sql_after, sql_before,
        "indexes, triggers, views byte-identical"
    );
    db.assert_healthy();

    // They all still work.
    let c = db.conn();
    c.execute(
        "INSERT INTO items (sku, qty, price) VALUES ('g', 3, 10)",
        [],
    )
    .unwrap();
    assert_eq!(
        query(
            &c,
            "SELECT qty, price, label, total, shout FROM items WHERE sku = 'g'"
        ),
        [[int(3), real(10.0), text("it's"), real(30.0), text("IT'S")]]
    );
    assert_eq!(query(&c, "SELECT msg FROM log"), [[text("item g")]]);
    assert_eq!(
        query(&c, "SELECT sku FROM big_items ORDER BY sku"),
        [[text("e")], [text("f")], [text("g")]]
    );
    assert_eq!(
        query(&c, "SELECT count(*) FROM items WHERE sku = 'A'"),
        [[int(1)]],
        "NOCASE"
    );
    assert!(c
        .execute("INSERT INTO items (sku, qty) VALUES ('h', 13)", [])
        .is_err());
    assert!(c
        .execute("INSERT INTO items (sku, qty) VALUES ('h', 1000)", [])
        .is_err());
    let defaults = query(
        &c,
        "INSERT INTO items (sku) VALUES ('i') RETURNING qty, price",
    );
    assert_eq!(defaults, [[int(2), real(16.0)]]);
    let idx = query(
        &c,
        "SELECT name, partial FROM pragma_index_list('items') ORDER BY name",
    );
    assert_eq!(
        idx,
        [
            [text("items_lower"), int(0)],
            [text("items_noqty"), int(1)],
            [text("items_sku_desc"), int(0)]
        ]
    );
    let desc = query(
        &c,
        "SELECT desc, coll FROM pragma_index_xinfo('items_sku_desc') WHERE cid >= 0",
    );
    assert_eq!(desc, [[int(1), text("BINARY")]]);
}

#[test]
fn strict_without_rowid_table_survives_a_rebuild() {
    let db = Db::new(
        "CREATE TABLE kv (k TEXT PRIMARY KEY, v ANY, n INT, old TEXT) STRICT, WITHOUT ROWID;
         INSERT INTO kv VALUES ('a', 1, 10, 'x'), ('b', 'two', 20, NULL), ('c', x'00ff', NULL, 'z');",
    );
    db.ok("ALTER TABLE kv ALTER COLUMN n TYPE TEXT; ALTER TABLE kv DROP COLUMN old");
    assert_eq!(
        db.query("SELECT strict, wr FROM pragma_table_list WHERE name = 'kv'"),
        [[int(1), int(1)]]
    );
    assert_eq!(
        db.query("SELECT k, v, n, typeof(n) FROM kv ORDER BY k"),
        [
            vec![text("a"), int(1), text("10"), text("text")],
            vec![text("b"), text("two"), text("20"), text("text")],
            vec![text("c"), Value::Blob(vec![0, 255]), null(), text("null")],
        ]
    );
    db.assert_healthy();
}

#[test]
fn add_column_with_expression_default_fills_existing_rows() {
    let db = app();
    db.ok("ALTER TABLE users ADD COLUMN score INTEGER DEFAULT (abs(-5) * 2)");
    assert_eq!(
        db.query("SELECT id, score FROM users ORDER BY id"),
        [
            [int(1), int(10)],
            [int(2), int(10)],
            [int(3), int(10)],
            [int(4), int(10)]
        ]
    );
    let c = db.conn();
    c.execute("INSERT INTO users (email) VALUES ('z@x.org')", [])
        .unwrap();
    assert_eq!(
        query(&c, "SELECT score FROM users WHERE email = 'z@x.org'"),
        [[int(10)]]
    );
    db.assert_healthy();
}

#[test]
fn alter_type_using_applies_the_expression() {
    let db = app();
    db.ok("ALTER TABLE users ALTER COLUMN age TYPE TEXT USING 'age ' || age");
    assert_eq!(
        db.query("SELECT id, age FROM users ORDER BY id"),
        [
            [int(1), text("age 30")],
            [int(2), text("age 70")],
            [int(3), text("age 12")],
            [int(4), null()]
        ]
    );
    db.assert_healthy();
}

/// Values are copied as SQLite stores them in the new column (its affinity), never through a
/// lossy CAST: 'abc' stays 'abc' rather than becoming 0.
#[test]
fn alter_type_keeps_values_as_stored_without_lossy_cast() {
    let db = Db::new(
        "CREATE TABLE m (id INTEGER PRIMARY KEY, v TEXT);
         INSERT INTO m VALUES (1, '007'), (2, '1e3'), (3, 'abc'), (4, '12'), (5, '1.5'), (6, NULL);",
    );
    db.ok("ALTER TABLE m ALTER COLUMN v TYPE INTEGER");
    assert_eq!(
        db.query("SELECT id, v FROM m ORDER BY id"),
        [
            [int(1), int(7)],
            [int(2), int(1000)],
            [int(3), text("abc")],
            [int(4), int(12)],
            [int(5), real(1.5)],
            [int(6), null()]
        ]
    );
}

#[test]
fn dropping_an_indexed_column_drops_its_indexes() {
    let db = app();
    db.conn()
        .execute_batch(
            "CREATE INDEX users_legacy ON users(legacy);
             CREATE INDEX users_email_legacy ON users(email, legacy DESC);
             CREATE INDEX users_legacy_expr ON users(lower(legacy)) WHERE legacy IS NOT NULL;",
        )
        .unwrap();
    let users_before = db.query("SELECT id, email, name, age FROM users ORDER BY id");
    db.ok("ALTER TABLE users DROP COLUMN legacy");
    for idx in ["users_legacy", "users_email_legacy", "users_legacy_expr"] {
        assert!(
            db.sql_of(idx).is_none(),
            "index {idx} on the dropped column is gone"
        );
    }
    assert!(db.sql_of("users_name").is_some(), "other indexes stay");
    assert!(db.sql_of("users_senior").is_some(), "other indexes stay");
    assert_eq!(
        db.query("SELECT id, email, name, age FROM users ORDER BY id"),
        users_before
    );
    db.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Item 2: child rows survive; foreign key violations introduced by the change are refused

#[test]
fn rebuilding_a_parent_keeps_child_rows_and_actions() {
    let db = app();
    let orders_before = db.query("SELECT * FROM orders ORDER BY id");
    db.ok("ALTER TABLE users ALTER COLUMN email TYPE VARCHAR(200)");
    assert_eq!(db.query("SELECT * FROM orders ORDER BY id"), orders_before);
    db.assert_healthy();
    let c = db.conn();
    c.execute("DELETE FROM users WHERE id = 2", []).unwrap();
    assert_eq!(
        query(&c, "SELECT count(*) FROM orders WHERE user_id = 2"),
        [[int(0)]]
    );
    assert!(
        c.execute("INSERT INTO orders (user_id) VALUES (99)", [])
            .is_err(),
        "FK still enforced"
    );
}

#[test]
fn orphan_inserted_while_foreign_keys_are_off_is_refused() {
    let db = app();
    db.assert_refused("ALTER TABLE orders ALTER COLUMN total TYPE TEXT; INSERT INTO orders (id, user_id) VALUES (77, 999)", &["orders", "foreign key"]);
}

#[test]
fn existing_fk_violations_do_not_block_an_unrelated_change() {
    let db = app();
    {
        let c = Connection::open(&db.path).unwrap();
        c.execute_batch(
            "PRAGMA foreign_keys = OFF; INSERT INTO orders (id, user_id) VALUES (50, 404);",
        )
        .unwrap();
    }
    db.ok("ALTER TABLE users ALTER COLUMN age TYPE TEXT");
    assert_eq!(
        db.query("SELECT user_id FROM orders WHERE id = 50"),
        [[int(404)]]
    );
}

/// Foreign keys are off while a rebuild runs, so a DELETE in the same run does not cascade by
/// itself: kit must never commit the orphans this leaves.
#[test]
fn delete_after_a_rebuild_never_commits_orphans() {
    let db = app();
    let before = db.bytes();
    let out =
        db.kit("ALTER TABLE users ALTER COLUMN age TYPE TEXT; DELETE FROM users WHERE id = 1");
    assert!(out.code == 0 || out.code == 1, "{}", out.show());
    if out.code == 1 {
        db.assert_untouched(&before);
    }
    db.assert_healthy();
}

/// PostgreSQL cascades a DELETE that follows an ALTER in the same migration; so must kit.
#[test]
fn delete_needing_a_cascade_in_a_run_that_rebuilds_is_refused_with_the_reason() {
    // Foreign keys must be off around a rebuild and cannot be switched inside the transaction,
    // so ON DELETE CASCADE cannot fire: kit refuses rather than commit orphans, and says why.
    let db = app();
    let before = db.bytes();
    let out =
        db.kit("ALTER TABLE users ALTER COLUMN age TYPE TEXT; DELETE FROM users WHERE id = 1");
    out.assert_code(1);
    out.assert_stderr_has(&[
        "orders",
        "2 rows",
        "foreign keys are off",
        "separate change",
    ]);
    db.assert_untouched(&before);
}

#[test]
fn delete_in_a_run_without_rebuild_cascades() {
    let db = app();
    let out =
        db.kit("ALTER TABLE users RENAME COLUMN name TO full_name; DELETE FROM users WHERE id = 1");
    out.assert_ok();
    assert_eq!(
        db.query("SELECT id FROM orders ORDER BY id"),
        [[int(12)], [int(13)]]
    );
    db.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Item 3: one copy per table

#[test]
fn all_changes_to_a_table_share_one_copy() {
    let db = app();
    let sql = "ALTER TABLE users ALTER COLUMN age TYPE TEXT;
               ALTER TABLE orders ALTER COLUMN total TYPE NUMERIC;
               INSERT INTO audit (user_id) VALUES (0);
               ALTER TABLE users ALTER COLUMN email TYPE VARCHAR(320);
               ALTER TABLE users DROP CONSTRAINT users_age_check;
               ALTER TABLE orders ALTER COLUMN user_id TYPE BIGINT";
    let dry = db.dry_run(sql);
    dry.assert_ok();
    let p = paths(&dry.stdout);
    assert_eq!(
        p.iter()
            .filter(|(t, p)| t == "users" && *p == "rebuild")
            .count(),
        1,
        "{}",
        dry.stdout
    );
    assert_eq!(
        p.iter()
            .filter(|(t, p)| t == "orders" && *p == "rebuild")
            .count(),
        1,
        "{}",
        dry.stdout
    );
    db.ok(sql);
    assert_eq!(
        db.columns("users")
            .iter()
            .map(|c| c.1.as_str())
            .collect::<Vec<_>>(),
        ["INTEGER", "VARCHAR(320)", "TEXT", "TEXT", "TEXT", "TEXT"]
    );
    assert!(!db.sql_of("users").unwrap().contains("CHECK"));
    assert_eq!(db.query("SELECT count(*) FROM audit"), [[int(1)]]);
    db.assert_healthy();
}

#[test]
fn a_statement_reading_the_table_separates_batches() {
    let db = app();
    db.conn()
        .execute("UPDATE users SET name = NULL WHERE id = 4", [])
        .unwrap();
    let sql = "ALTER TABLE users ALTER COLUMN age TYPE TEXT;
               UPDATE users SET name = 'Nobody' WHERE name IS NULL;
               ALTER TABLE users ALTER COLUMN name SET NOT NULL";
    let dry = db.dry_run(sql);
    dry.assert_ok();
    let p = paths(&dry.stdout);
    assert_eq!(
        p.first(),
        Some(&("users".to_string(), "rebuild")),
        "{}",
        dry.stdout
    );
    db.ok(sql);
    assert_eq!(
        db.query("SELECT name FROM users WHERE id = 4"),
        [[text("Nobody")]]
    );
    db.assert_healthy();
}

#[test]
fn drop_unused_columns_natively() {
    let db = Db::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);
         INSERT INTO t VALUES (1, 10, 'x'), (2, NULL, 'y');",
    );
    let dry = db.dry_run("ALTER TABLE t DROP COLUMN b");
    dry.assert_ok();
    assert_eq!(
        paths(&dry.stdout),
        [("t".to_string(), "native")],
        "{}",
        dry.stdout
    );
    db.ok("ALTER TABLE t DROP COLUMN b");
    db.ok("ALTER TABLE t DROP COLUMN a");
    assert_eq!(
        db.query("SELECT * FROM t ORDER BY id"),
        [[int(1)], [int(2)]]
    );
    assert_eq!(
        db.sql_of("t").as_deref(),
        Some("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    );
}

#[test]
fn renames_and_plain_add_column_run_natively() {
    let db = app();
    let sql = "ALTER TABLE users RENAME COLUMN name TO full_name;
               ALTER TABLE users ADD COLUMN nick TEXT;
               ALTER TABLE users RENAME TO people";
    let dry = db.dry_run(sql);
    dry.assert_ok();
    let p = paths(&dry.stdout);
    assert!(!p.is_empty(), "{}", dry.stdout);
    assert!(
        p.iter().all(|(_, p)| *p == "native"),
        "{p:?}\n{}",
        dry.stdout
    );
    assert!(!dry.stdout.contains("INSERT INTO"), "{}", dry.stdout);
    db.ok(sql);
    assert!(db.sql_of("users").is_none());
    assert_eq!(
        db.query("SELECT id, full_name, nick FROM people ORDER BY id"),
        [
            [int(1), text("Ann"), null()],
            [int(2), text("Bob"), null()],
            [int(3), text("Cy"), null()],
            [int(4), text("Dee"), null()]
        ]
    );
    assert_eq!(
        db.query("SELECT \"table\" FROM pragma_foreign_key_list('orders')"),
        [[text("people")]]
    );
    assert_eq!(db.query("SELECT count(*) FROM adults"), [[int(2)]]);
    db.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Item 4: refusals, each before anything is written

/// Runs `sql`, expects a refusal: exit 1, the names, the count, 1..=5 example keys taken from
/// `offending` and none from `innocent`, and the file byte-identical.
fn assert_refused(
    db: &Db,
    sql: &str,
    names: &[&str],
    count: Option<&[&str]>,
    offending: &[i64],
    innocent: &[i64],
) -> Out {
    let before = db.bytes();
    let out = db.kit(sql);
    out.assert_code(1);
    out.assert_stderr_has(names);
    let w = out.stderr_words();
    if let Some(counts) = count {
        assert!(
            counts.iter().any(|c| w.contains(*c)),
            "stderr should give the count of offending rows ({counts:?}):\n{}",
            out.show()
        );
    }
    if !offending.is_empty() {
        let shown = offending
            .iter()
            .filter(|k| w.contains(&k.to_string()))
            .count();
        assert!(
            (1..=5).contains(&shown),
            "stderr should give 1 to 5 example keys of {offending:?}, gives {shown}:\n{}",
            out.show()
        );
    }
    for k in innocent {
        assert!(
            !w.contains(&k.to_string()),
            "row {k} is not in the way:\n{}",
            out.show()
        );
    }
    db.assert_untouched(&before);
    // A dry run changes nothing either.
    db.dry_run(sql);
    db.assert_untouched(&before);
    out
}

#[test]
fn refuse_set_not_null_over_nulls() {
    let db = Db::new(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO people VALUES (2001, 'a'), (2002, 'b'), (1001, NULL), (1002, NULL), (1003, NULL),
           (1004, NULL), (1005, NULL), (1006, NULL), (1007, NULL);",
    );
    assert_refused(
        &db,
        "ALTER TABLE people ALTER COLUMN name SET NOT NULL",
        &["people", "name"],
        Some(&["7"]),
        &[1001, 1002, 1003, 1004, 1005, 1006, 1007],
        &[2001, 2002],
    );
}

#[test]
fn refuse_set_not_null_in_a_batch_with_a_rebuild() {
    let db = app();
    // Dee (id 4) has no age; the batch would rebuild users.
    assert_refused(
        &db,
        "ALTER TABLE users DROP COLUMN legacy; ALTER TABLE users ALTER COLUMN name TYPE VARCHAR(50); ALTER TABLE users ALTER COLUMN age SET NOT NULL",
        &["users", "age"],
        Some(&["1"]),
        &[4],
        &[],
    );
}

#[test]
fn refuse_add_unique_over_duplicates() {
    let db = Db::new(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT);
         INSERT INTO items VALUES (1001, 'dup-a'), (1002, 'dup-a'), (1003, 'dup-a'), (1004, 'dup-b'),
           (1005, 'dup-b'), (2001, 'one'), (2002, 'two'), (2003, NULL), (2004, NULL);",
    );
    // 5 rows share a value (3 of them would have to go); NULLs are not duplicates.
    assert_refused(
        &db,
        "ALTER TABLE items ADD CONSTRAINT items_sku_key UNIQUE (sku)",
        &["items", "sku"],
        Some(&["5", "3"]),
        &[1001, 1002, 1003, 1004, 1005],
        &[2001, 2002, 2003, 2004],
    );
}

#[test]
fn refuse_add_check_broken_by_rows() {
    let db = Db::new(
        "CREATE TABLE stock (id INTEGER PRIMARY KEY, qty INTEGER);
         INSERT INTO stock VALUES (2001, 5), (2002, NULL), (1001, 0), (1002, -1), (1003, -2),
           (1004, -3), (1005, -4), (1006, -5);",
    );
    // NULL satisfies a CHECK.
    assert_refused(
        &db,
        "ALTER TABLE stock ADD CONSTRAINT stock_qty_positive CHECK (qty > 0)",
        &["stock", "stock_qty_positive"],
        Some(&["6"]),
        &[1001, 1002, 1003, 1004, 1005, 1006],
        &[2001, 2002],
    );
}

#[test]
fn refuse_add_foreign_key_with_orphans() {
    let db = Db::new(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY);
         INSERT INTO customers VALUES (1), (2);
         CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER);
         INSERT INTO invoices VALUES (2001, 1), (2002, 2), (2003, NULL), (1001, 3), (1002, 4), (1003, 4);",
    );
    assert_refused(
        &db,
        "ALTER TABLE invoices ADD CONSTRAINT invoices_customer_fk FOREIGN KEY (customer_id) REFERENCES customers(id)",
        &["invoices", "customer_id", "customers"],
        Some(&["3"]),
        &[1001, 1002, 1003],
        &[2001, 2002, 2003],
    );
}

#[test]
fn refuse_add_not_null_column_without_default_on_rows() {
    let db = Db::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
         INSERT INTO t VALUES (1001, 'x'), (1002, 'y'), (1003, 'z');",
    );
    assert_refused(
        &db,
        "ALTER TABLE t ADD COLUMN b TEXT NOT NULL",
        &["\"t\"", "b", "default"],
        Some(&["3"]),
        &[1001, 1002, 1003],
        &[],
    );
}

#[test]
fn add_not_null_column_is_fine_on_an_empty_table_or_with_a_default() {
    let db = Db::new(
        "CREATE TABLE empty (id INTEGER PRIMARY KEY);
         CREATE TABLE full (id INTEGER PRIMARY KEY); INSERT INTO full VALUES (1), (2);",
    );
    db.ok("ALTER TABLE empty ADD COLUMN b TEXT NOT NULL; ALTER TABLE full ADD COLUMN b TEXT NOT NULL DEFAULT 'none'");
    assert!(db.columns("empty")[1].2);
    assert_eq!(
        db.query("SELECT id, b FROM full ORDER BY id"),
        [[int(1), text("none")], [int(2), text("none")]]
    );
}

#[test]
fn refuse_drop_column_used_by_a_view() {
    let db = app();
    assert_refused(
        &db,
        "ALTER TABLE users DROP COLUMN age",
        &["users", "age", "adults"],
        None,
        &[],
        &[],
    );
}

#[test]
fn drop_column_used_by_a_view_is_fine_when_the_view_is_dropped_first() {
    let db = app();
    db.ok("DROP VIEW adults; ALTER TABLE users DROP COLUMN age; CREATE VIEW adults AS SELECT id, email FROM users");
    assert!(db.columns("users").iter().all(|c| c.0 != "age"));
    assert!(db.sql_of("users_senior").is_none());
    assert_eq!(db.query("SELECT count(*) FROM adults"), [[int(4)]]);
    db.assert_healthy();
}

#[test]
fn refuse_drop_column_referenced_by_another_tables_foreign_key() {
    let db = Db::new(
        "CREATE TABLE countries (id INTEGER PRIMARY KEY, code TEXT UNIQUE, legacy TEXT);
         CREATE TABLE cities (id INTEGER PRIMARY KEY, country_code TEXT REFERENCES countries(code));
         INSERT INTO countries VALUES (1, 'de', NULL); INSERT INTO cities VALUES (1, 'de');",
    );
    assert_refused(
        &db,
        "ALTER TABLE countries DROP COLUMN code",
        &["countries", "code", "cities"],
        None,
        &[],
        &[],
    );
}

#[test]
fn refuse_strict_type_change_values_cannot_satisfy() {
    let db = Db::new(
        "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT) STRICT;
         INSERT INTO s VALUES (2001, '12'), (2002, '-3'), (1001, 'abc'), (1002, '1.5x'), (2003, NULL);",
    );
    assert_refused(
        &db,
        "ALTER TABLE s ALTER COLUMN v TYPE INTEGER",
        &["\"s\"", "v", "integer"],
        Some(&["2"]),
        &[1001, 1002],
        &[2001, 2002, 2003],
    );
}

#[test]
fn strict_type_change_converts_when_every_value_fits() {
    let db = Db::new(
        "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT) STRICT;
         INSERT INTO s VALUES (1, '12'), (2, '-3'), (3, NULL);",
    );
    db.ok("ALTER TABLE s ALTER COLUMN v TYPE INTEGER");
    assert_eq!(
        db.query("SELECT id, v, typeof(v) FROM s ORDER BY id"),
        [
            [int(1), int(12), text("integer")],
            [int(2), int(-3), text("integer")],
            [int(3), null(), text("null")]
        ]
    );
    assert_eq!(
        db.query("SELECT strict FROM pragma_table_list WHERE name = 's'"),
        [[int(1)]]
    );
    db.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Item 5: unnamed constraints have PostgreSQL's default names; ADD CONSTRAINT edits the table

#[test]
fn drop_unnamed_check_by_default_name() {
    let db = app();
    db.ok("ALTER TABLE users DROP CONSTRAINT users_age_check");
    assert!(
        !db.sql_of("users").unwrap().contains("CHECK"),
        "{:?}",
        db.sql_of("users")
    );
    db.conn()
        .execute(
            "INSERT INTO users (email, age) VALUES ('neg@x.org', -1)",
            [],
        )
        .unwrap();
    assert_eq!(db.query("SELECT count(*) FROM users"), [[int(5)]]);
    db.assert_healthy();
}

#[test]
fn drop_unnamed_multi_column_unique_by_default_name() {
    let db = Db::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b INT, UNIQUE (a, b));
         INSERT INTO t VALUES (1, 1, 1), (2, 1, 2);",
    );
    db.ok("ALTER TABLE t DROP CONSTRAINT t_a_b_key");
    assert!(!db.sql_of("t").unwrap().contains("UNIQUE"));
    db.conn()
        .execute("INSERT INTO t VALUES (3, 1, 1)", [])
        .unwrap();
    assert_eq!(
        db.query("SELECT count(*) FROM pragma_index_list('t')"),
        [[int(0)]]
    );
    assert_eq!(
        db.query("SELECT id, a, b FROM t WHERE id < 3 ORDER BY id"),
        [[int(1), int(1), int(1)], [int(2), int(1), int(2)]]
    );
}

#[test]
fn drop_unnamed_foreign_key_by_default_name() {
    let db = Db::new(
        "CREATE TABLE p (id INTEGER PRIMARY KEY);
         CREATE TABLE t (id INTEGER PRIMARY KEY, c INTEGER REFERENCES p(id), d TEXT);
         INSERT INTO p VALUES (1); INSERT INTO t VALUES (1, 1, 'x');",
    );
    db.ok("ALTER TABLE t DROP CONSTRAINT t_c_fkey");
    assert_eq!(
        db.query("SELECT count(*) FROM pragma_foreign_key_list('t')"),
        [[int(0)]]
    );
    db.conn()
        .execute("INSERT INTO t VALUES (2, 99, 'y')", [])
        .unwrap();
    assert_eq!(
        db.query("SELECT id, c, d FROM t WHERE id = 1"),
        [[int(1), int(1), text("x")]]
    );
}

#[test]
fn drop_multi_column_check_and_suffixed_names() {
    let db = Db::new(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT CHECK (a > 0) CHECK (a < 100), b INT, CHECK (a < b));
         INSERT INTO t VALUES (1, 5, 10);",
    );
    db.ok("ALTER TABLE t DROP CONSTRAINT t_check; ALTER TABLE t DROP CONSTRAINT t_a_check1");
    let sql = db.sql_of("t").unwrap();
    assert!(sql.contains("a > 0"), "{sql}");
    assert!(!sql.contains("a < 100"), "{sql}");
    assert!(!sql.contains("a < b"), "{sql}");
    let c = db.conn();
    c.execute("INSERT INTO t VALUES (2, 500, 1)", []).unwrap();
    assert!(c.execute("INSERT INTO t VALUES (3, -1, 1)", []).is_err());
}

#[test]
fn add_constraint_goes_into_the_table_definition() {
    let db = Db::new(
        "CREATE TABLE p (id INTEGER PRIMARY KEY);
         CREATE TABLE t (id INTEGER PRIMARY KEY, x INT, code TEXT, p_id INT);
         INSERT INTO p VALUES (1); INSERT INTO t VALUES (1, 5, 'a', 1), (2, 6, 'b', NULL);",
    );
    db.ok("ALTER TABLE t ADD CONSTRAINT t_x_positive CHECK (x > 0);
           ALTER TABLE t ADD CONSTRAINT t_code_unique UNIQUE (code);
           ALTER TABLE t ADD CONSTRAINT t_parent FOREIGN KEY (p_id) REFERENCES p(id) ON DELETE SET NULL");
    let sql = db.sql_of("t").unwrap();
    for piece in [
        "CONSTRAINT t_x_positive CHECK (x > 0)",
        "CONSTRAINT t_code_unique UNIQUE (code)",
        "CONSTRAINT t_parent FOREIGN KEY (p_id) REFERENCES p(id) ON DELETE SET NULL",
    ] {
        assert!(sql.contains(piece), "{piece:?} in\n{sql}");
    }
    let c = db.conn();
    assert!(c
        .execute("INSERT INTO t VALUES (3, -1, 'c', NULL)", [])
        .is_err());
    assert!(c
        .execute("INSERT INTO t VALUES (3, 1, 'a', NULL)", [])
        .is_err());
    assert!(c
        .execute("INSERT INTO t VALUES (3, 1, 'c', 42)", [])
        .is_err());
    c.execute("DELETE FROM p WHERE id = 1", []).unwrap();
    assert_eq!(
        query(&c, "SELECT id, p_id FROM t ORDER BY id"),
        [[int(1), null()], [int(2), null()]]
    );
    drop(c);
    // And the names work for DROP CONSTRAINT later.
    db.ok("ALTER TABLE t DROP CONSTRAINT t_x_positive; ALTER TABLE t DROP CONSTRAINT t_code_unique; ALTER TABLE t DROP CONSTRAINT t_parent");
    let sql = db.sql_of("t").unwrap();
    assert!(!sql.contains("CONSTRAINT"), "{sql}");
    db.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Item 6: bad input

#[test]
fn malformed_alter_reports_line_and_column() {
    let db = app();
    db.assert_file_refused(
        "ALTER TABLE users DROP COLUMN legacy;\n\nALTER TABLE users ALTER COLUMN age TYPO TEXT;\n",
        &["line 3", "column"],
    );
}

#[test]
fn malformed_other_statement_reports_its_own_line() {
    let db = app();
    db.assert_file_refused("CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);\nINSERT INTO tags VALUES (1, 'a' 'b');\n", &["line 2", "column"]);
}

#[test]
fn unterminated_string_is_a_syntax_error() {
    let db = app();
    db.assert_refused(
        "ALTER TABLE users ADD COLUMN x TEXT DEFAULT 'oops",
        &["line 1", "column"],
    );
}

#[test]
fn unknown_table_column_and_constraint() {
    let db = app();
    let before = db.bytes();
    for (sql, names) in [
        ("ALTER TABLE nosuch ADD COLUMN x INT", &["nosuch"][..]),
        (
            "ALTER TABLE users DROP COLUMN nosuchcol",
            &["users", "nosuchcol"][..],
        ),
        (
            "ALTER TABLE users ALTER COLUMN nosuchcol TYPE TEXT",
            &["users", "nosuchcol"][..],
        ),
        (
            "ALTER TABLE users RENAME COLUMN nosuchcol TO y",
            &["users", "nosuchcol"][..],
        ),
        (
            "ALTER TABLE users DROP CONSTRAINT users_nosuch_check",
            &["users", "users_nosuch_check"][..],
        ),
        ("ALTER TABLE adults ADD COLUMN x INT", &["adults"][..]),
    ] {
        let out = db.kit(sql);
        out.assert_code(1);
        out.assert_stderr_has(names);
        db.assert_untouched(&before);
    }
}

#[test]
fn drop_column_if_exists_on_a_missing_column_is_a_no_op() {
    let db = app();
    let out = db.kit("ALTER TABLE users DROP COLUMN IF EXISTS nosuchcol");
    out.assert_ok();
    assert_eq!(db.query("SELECT count(*) FROM users"), [[int(4)]]);
    // And on a column that exists, it drops it.
    db.ok("ALTER TABLE users DROP COLUMN IF EXISTS legacy");
    assert!(db.columns("users").iter().all(|c| c.0 != "legacy"));
    assert_eq!(db.query("SELECT count(*) FROM users"), [[int(4)]]);
}

#[test]
fn a_file_that_is_not_a_database() {
    let db = app();
    let junk: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&db.path, &junk).unwrap();
    for dry in [false, true] {
        let out = if dry { db.dry_run(W1) } else { db.kit(W1) };
        out.assert_code(1);
        out.assert_stderr_has(&["app.db", "not a", "database"]);
        db.assert_untouched(&junk);
    }
}

#[test]
fn a_missing_database_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.db");
    for dry in [false, true] {
        let mut cmd = kit();
        cmd.arg("rebuild")
            .arg("--db")
            .arg(&path)
            .arg("--sql")
            .arg(W1);
        if dry {
            cmd.arg("--dry-run");
        }
        let out = run(&mut cmd);
        out.assert_code(1);
        out.assert_stderr_has(&["missing.db"]);
        assert!(!path.exists(), "kit created the database file");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "nothing created"
        );
    }
}

/// `kit rebuild --sql W1` and `extra` arguments, with a minute before the harness gives up.
fn rebuild_w1(db: &Db, extra: &[&str]) -> Out {
    run(kit()
        .timeout(Duration::from_secs(60))
        .arg("rebuild")
        .arg("--db")
        .arg(&db.path)
        .arg("--sql")
        .arg(W1)
        .args(extra))
}

/// Holds an exclusive lock from another connection while kit runs.
fn with_exclusive_lock<T>(db: &Db, release_after: Option<Duration>, f: impl FnOnce() -> T) -> T {
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let path = db.path.clone();
    let h = std::thread::spawn(move || {
        let c = Connection::open(&path).unwrap();
        c.execute_batch("BEGIN EXCLUSIVE").unwrap();
        ready_tx.send(()).unwrap();
        match release_after {
            Some(d) => std::thread::sleep(d),
            None => {
                let _ = done_rx.recv();
            }
        }
        c.execute_batch("ROLLBACK").unwrap();
    });
    ready_rx.recv().unwrap();
    let r = f();
    let _ = done_tx.send(());
    h.join().unwrap();
    r
}

#[test]
fn a_locked_database_fails_after_a_bounded_wait() {
    let db = app();
    let before = db.bytes();
    let t0 = Instant::now();
    let out = with_exclusive_lock(&db, None, || rebuild_w1(&db, &[]));
    let waited = t0.elapsed();
    out.assert_code(1);
    out.assert_stderr_has(&["locked"]);
    assert!(
        waited < Duration::from_secs(30),
        "bounded wait, took {waited:?}"
    );
    assert!(
        waited >= Duration::from_millis(500),
        "kit should wait for the lock, gave up after {waited:?}"
    );
    db.assert_untouched(&before);
}

#[test]
fn a_briefly_locked_database_is_waited_for() {
    let db = app();
    let out = with_exclusive_lock(&db, Some(Duration::from_millis(700)), || db.kit(W1));
    out.assert_ok();
    assert!(db.columns("users").iter().all(|c| c.0 != "legacy"));
    db.assert_healthy();
}

#[test]
fn a_locked_database_also_stops_a_dry_run() {
    let db = app();
    let before = db.bytes();
    let out = with_exclusive_lock(&db, None, || rebuild_w1(&db, &["--dry-run"]));
    out.assert_code(1);
    out.assert_stderr_has(&["locked"]);
    db.assert_untouched(&before);
}

/// A database in WAL mode: refusals and dry runs leave the file as it was and no -wal/-shm
/// behind; a change is fully checkpointed into the file.
#[test]
fn wal_mode_database() {
    let db = app();
    {
        let c = Connection::open(&db.path).unwrap();
        let mode: String = c
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
    db.assert_no_sidecars();
    let before = db.bytes();
    db.dry_run(W1).assert_ok();
    db.assert_untouched(&before);
    let out = db.kit("ALTER TABLE users ALTER COLUMN age SET NOT NULL");
    out.assert_code(1);
    db.assert_untouched(&before);
    db.ok(W2.replace("name", "email").as_str());
    db.assert_no_sidecars();
    assert!(db.columns("users").iter().all(|c| c.0 != "legacy"));
    db.assert_healthy();
}

#[test]
fn unsupported_statements_are_refused() {
    let db = app();
    let before = db.bytes();
    for sql in [
        "PRAGMA foreign_keys = OFF",
        "PRAGMA journal_mode = WAL",
        "BEGIN",
        "COMMIT",
        "VACUUM",
        "ATTACH DATABASE 'other.db' AS other",
        "ALTER TABLE users DROP COLUMN legacy; VACUUM",
        "ANALYZE",
        "REINDEX",
    ] {
        let out = db.kit(sql);
        out.assert_code(1);
        out.assert_stderr_has(&["unsupported"]);
        db.assert_untouched(&before);
    }
    assert!(!db.file("other.db").exists());
}

#[test]
fn empty_input_is_harmless() {
    let db = app();
    let before = db.bytes();
    let out = db.kit("  ;  -- nothing\n");
    assert!(out.code == 0 || out.code == 1, "{}", out.show());
    db.assert_untouched(&before);
}

// ---------------------------------------------------------------------------------------------
// Other statements: in order, one transaction

const MIXED: &str = r#"
CREATE TABLE log (id INTEGER PRIMARY KEY, msg TEXT);
CREATE TABLE projects (id INTEGER PRIMARY KEY, title TEXT, owner TEXT);
INSERT INTO projects (title, owner) VALUES ('alpha', 'ann'), ('beta', NULL);
UPDATE projects SET owner = 'nobody' WHERE owner IS NULL;
CREATE INDEX projects_owner ON projects(owner);
CREATE VIEW project_titles AS SELECT title FROM projects;
CREATE TRIGGER projects_log AFTER INSERT ON projects BEGIN
  INSERT INTO log (msg) VALUES ('new ' || new.title);
  UPDATE log SET msg = msg || '!' WHERE id = last_insert_rowid();
END;
ALTER TABLE projects ALTER COLUMN owner SET NOT NULL;
ALTER TABLE projects ALTER COLUMN title TYPE VARCHAR(100);
INSERT INTO projects (title, owner) VALUES ('gamma', 'cy');
ALTER TABLE users DROP COLUMN legacy;
DELETE FROM users WHERE id = 3;
"#;

#[test]
fn other_statements_run_in_order_in_one_transaction() {
    let db = app();
    let out = db.kit_file(MIXED, &[]);
    out.assert_ok();
    assert_eq!(
        db.query("SELECT id, title, owner FROM projects ORDER BY id"),
        [
            [int(1), text("alpha"), text("ann")],
            [int(2), text("beta"), text("nobody")],
            [int(3), text("gamma"), text("cy")]
        ]
    );
    assert_eq!(db.query("SELECT msg FROM log"), [[text("new gamma!")]]);
    let cols: Vec<(String, String, bool)> = db
        .columns("projects")
        .into_iter()
        .map(|c| (c.0, c.1, c.2))
        .collect();
    assert_eq!(
        cols,
        [
            ("id".to_string(), "INTEGER".to_string(), false),
            ("title".to_string(), "VARCHAR(100)".to_string(), false),
            ("owner".to_string(), "TEXT".to_string(), true)
        ]
    );
    assert_eq!(
        db.sql_of("projects_owner").as_deref(),
        Some("CREATE INDEX projects_owner ON projects(owner)")
    );
    assert!(db
        .sql_of("projects_log")
        .unwrap()
        .contains("last_insert_rowid()"));
    assert_eq!(
        db.query("SELECT title FROM project_titles ORDER BY title"),
        [[text("alpha")], [text("beta")], [text("gamma")]]
    );
    assert_eq!(
        db.query("SELECT id FROM users ORDER BY id"),
        [[int(1)], [int(2)], [int(4)]]
    );
    db.assert_healthy();
}

#[test]
fn mixed_script_dry_run_changes_nothing() {
    let db = app();
    let before = db.bytes();
    let out = db.kit_file(MIXED, &["--dry-run"]);
    out.assert_ok();
    assert!(
        out.stdout
            .contains("UPDATE projects SET owner = 'nobody' WHERE owner IS NULL"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("CREATE TRIGGER projects_log"),
        "{}",
        out.stdout
    );
    // The statements appear in the order written.
    let pos = |s: &str| {
        out.stdout
            .find(s)
            .unwrap_or_else(|| panic!("{s:?} missing:\n{}", out.stdout))
    };
    assert!(pos("CREATE TABLE log") < pos("INSERT INTO projects (title, owner) VALUES ('alpha'"));
    assert!(pos("UPDATE projects SET owner") < pos("CREATE INDEX projects_owner"));
    assert!(
        pos("CREATE TRIGGER projects_log")
            < pos("INSERT INTO projects (title, owner) VALUES ('gamma'")
    );
    db.assert_untouched(&before);
}

#[test]
fn a_late_refusal_rolls_back_earlier_statements() {
    let db = app();
    let before = db.bytes();
    // Dee has no age: the last statement is refused after everything before it was planned.
    let out = db.kit(
        "CREATE TABLE z (a INT); INSERT INTO z VALUES (1); ALTER TABLE users DROP COLUMN legacy;
         ALTER TABLE orders ALTER COLUMN total TYPE TEXT; UPDATE users SET name = 'x';
         ALTER TABLE users ALTER COLUMN age SET NOT NULL",
    );
    out.assert_code(1);
    out.assert_stderr_has(&["users", "age"]);
    db.assert_untouched(&before);
}

#[test]
fn a_late_failure_at_apply_time_rolls_back_earlier_statements() {
    let db = app();
    let before = db.bytes();
    // The duplicate email only shows with the real rows.
    let out = db.kit(
        "ALTER TABLE users ALTER COLUMN age TYPE TEXT; CREATE TABLE z (a INT); INSERT INTO z VALUES (1);
         INSERT INTO users (email, name) VALUES ('ann@x.org', 'Dup')",
    );
    out.assert_code(1);
    out.assert_stderr_has(&["users"]);
    db.assert_untouched(&before);
}

#[test]
fn a_statement_sqlite_rejects_rolls_back_everything() {
    let db = app();
    db.assert_refused("CREATE TABLE z (a INT); ALTER TABLE users DROP COLUMN legacy; INSERT INTO nosuch VALUES (1)", &["nosuch"]);
}

// ---------------------------------------------------------------------------------------------
// Awkward identifiers

#[test]
fn identifiers_with_spaces_quotes_keywords_and_non_ascii() {
    let db = Db::new(
        r#"CREATE TABLE "order items" (
             "select" INTEGER PRIMARY KEY,
             "we""ird" TEXT,
             "naïve café" TEXT,
             "日本" INTEGER CHECK ("日本" >= 0),
             "group" TEXT
           );
           CREATE INDEX "idx ü" ON "order items"("naïve café");
           CREATE VIEW "view ""q""" AS SELECT "select", "naïve café" FROM "order items";
           INSERT INTO "order items" VALUES (1, 'a', 'crème', 1, 'g1'), (2, NULL, 'brûlée', 2, 'g2');"#,
    );
    let sql = r#"ALTER TABLE "order items" ALTER COLUMN "日本" TYPE TEXT;
                 ALTER TABLE "order items" DROP COLUMN "group";
                 ALTER TABLE "order items" ALTER COLUMN "naïve café" SET NOT NULL;
                 ALTER TABLE "order items" RENAME COLUMN "we""ird" TO "new ""name""";
                 ALTER TABLE "order items" RENAME TO "Bestellung ü""""#;
    let before = db.bytes();
    let dry = db.dry_run(sql);
    dry.assert_ok();
    db.assert_untouched(&before);
    let out = db.kit(sql);
    out.assert_ok();
    let t = "Bestellung ü\"";
    let cols: Vec<(String, String, bool)> =
        db.columns(t).into_iter().map(|c| (c.0, c.1, c.2)).collect();
    assert_eq!(
        cols,
        [
            ("select".to_string(), "INTEGER".to_string(), false),
            ("new \"name\"".to_string(), "TEXT".to_string(), false),
            ("naïve café".to_string(), "TEXT".to_string(), true),
            ("日本".to_string(), "TEXT".to_string(), false)
        ]
    );
    assert_eq!(
        db.query(r#"SELECT "select", "new ""name""", "naïve café", "日本" FROM "Bestellung ü""" ORDER BY 1"#),
        [
            [int(1), text("a"), text("crème"), text("1")],
            [int(2), null(), text("brûlée"), text("2")]
        ]
    );
    assert!(db.sql_of("idx ü").is_some());
    assert_eq!(
        db.query(r#"SELECT * FROM "view ""q""" ORDER BY 1"#),
        [[int(1), text("crème")], [int(2), text("brûlée")]]
    );
    assert!(db.sql_of(t).unwrap().contains("CHECK"));
    db.assert_healthy();
}

#[test]
fn unnamed_constraint_names_with_awkward_identifiers() {
    let db = Db::new(
        r#"CREATE TABLE "my table" (id INTEGER PRIMARY KEY, "the value" INT CHECK ("the value" > 0));
           INSERT INTO "my table" VALUES (1, 5);"#,
    );
    db.ok(r#"ALTER TABLE "my table" DROP CONSTRAINT "my table_the value_check""#);
    assert!(!db.sql_of("my table").unwrap().contains("CHECK"));
    db.conn()
        .execute(r#"INSERT INTO "my table" VALUES (2, -5)"#, [])
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Item 7: user expressions are never reprinted

#[test]
fn expressions_survive_byte_for_byte() {
    let db = Db::new(
        "CREATE TABLE e (
           id INTEGER PRIMARY KEY,
           flags INTEGER DEFAULT 0x10 CHECK (flags IS NOT 1),
           a TEXT CHECK (a ISNULL OR length(a) > 0),
           b TEXT
         );
         CREATE INDEX e_a ON e(a) WHERE a NOTNULL;
         INSERT INTO e (id, a, b) VALUES (1, 'x', 'y'), (2, NULL, 'z');",
    );
    db.ok("ALTER TABLE e ALTER COLUMN b TYPE BLOB; ALTER TABLE e ADD CONSTRAINT e_b CHECK (b IS NOT 'bad' AND flags <> 0x11)");
    let sql = db.sql_of("e").unwrap();
    for piece in [
        "DEFAULT 0x10",
        "CHECK (flags IS NOT 1)",
        "CHECK (a ISNULL OR length(a) > 0)",
        "CONSTRAINT e_b CHECK (b IS NOT 'bad' AND flags <> 0x11)",
    ] {
        assert!(sql.contains(piece), "{piece:?} in\n{sql}");
    }
    assert_eq!(
        db.sql_of("e_a").as_deref(),
        Some("CREATE INDEX e_a ON e(a) WHERE a NOTNULL")
    );
    assert_eq!(
        db.query("SELECT id, flags, a, b FROM e ORDER BY id"),
        [
            [int(1), int(16), text("x"), text("y")],
            [int(2), int(16), null(), text("z")]
        ]
    );
    let c = db.conn();
    assert!(c
        .execute("INSERT INTO e (id, flags) VALUES (3, 1)", [])
        .is_err());
    assert!(c
        .execute("INSERT INTO e (id, a) VALUES (3, '')", [])
        .is_err());
}

// ---------------------------------------------------------------------------------------------
// Usage

#[test]
fn help_works() {
    let out = run(kit().arg("--help"));
    out.assert_ok();
    assert!(out.stdout.contains("rebuild"), "{}", out.show());
    let out = run(kit().args(["rebuild", "--help"]));
    out.assert_ok();
    for flag in ["--db", "--sql", "--file", "--dry-run"] {
        assert!(out.stdout.contains(flag), "{flag} in\n{}", out.show());
    }
}

#[test]
fn bad_usage_exits_2() {
    let db = app();
    let before = db.bytes();
    let p = db.path.to_str().unwrap();
    for args in [
        vec!["rebuild", "--sql", "ALTER TABLE users DROP COLUMN legacy"],
        vec!["rebuild", "--db", p],
        vec!["rebuild", "--db", p, "--sql", "x", "--file", "y.sql"],
        vec![
            "rebuild",
            "--db",
            p,
            "--sql",
            "ALTER TABLE users DROP COLUMN legacy",
            "--bogus",
        ],
        vec!["frobnicate"],
        vec![],
    ] {
        let out = run(kit().args(&args));
        out.assert_code(2);
        assert!(!out.stderr.is_empty(), "{args:?}: usage error explained");
    }
    db.assert_untouched(&before);
}
