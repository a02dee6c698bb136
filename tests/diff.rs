//! The schema diff (`kit::diff`) end to end, through the library.
//!
//! The core harness, [`roundtrip`], builds a database from a `before` schema and rows, diffs it
//! against an `after` schema text (with its `kit:renamed-from` markers), applies the up script
//! with `kit::run_sql`, and checks the outcome: a second diff is empty, `integrity_check` is ok,
//! `foreign_key_check` is empty and every row of every surviving column is unchanged (rowids
//! included). It then runs the down script (the inverses in reverse order, as
//! `kit::migrate::revision_text` writes them) and checks that the database diffs empty against
//! `before` again and that the rows of columns that were not dropped are back.

#[path = "common/diff_cases.rs"]
mod diff_cases;
#[path = "common/realworld.rs"]
mod realworld;

use diff_cases::{stmts, FK_PARENT, FK_ROWS, IDX_ROWS, IDX_TABLE, USERS, USER_ROWS};
use kit::diff::{diff, Diff, Renames};
use kit::sqlite::load::load_schema;
use realworld::REALWORLD;
use rusqlite::types::Value;
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// Harness

/// A database file in its own temporary directory.
struct Db {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

/// A database made from `before` and then `rows`.
fn db(before: &str, rows: &str) -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(before)
        .unwrap_or_else(|e| panic!("the before schema does not load: {e}\n{before}"));
    c.execute_batch(rows)
        .unwrap_or_else(|e| panic!("the rows do not load: {e}\n{rows}"));
    Db { _dir: dir, path }
}

/// The diff from the database at `path` to the schema text `target` and its rename markers.
fn diff_db(path: &Path, target: &str) -> kit::Result<Diff> {
    diff_db_with(path, target, &Renames::from_sql(target)?)
}

fn diff_db_with(path: &Path, target: &str, renames: &Renames) -> kit::Result<Diff> {
    let conn = Connection::open(path).unwrap();
    let live = kit::read_schema(&conn)?;
    let (_mem, schema) = load_schema(target, "schema.sql")?;
    diff(&live, &schema, renames)
}

/// The diff from a database made of `before` to `after`.
fn diff_text(before: &str, after: &str) -> kit::Result<Diff> {
    let d = db(before, "");
    diff_db(&d.path, after)
}

fn q(id: &str) -> String {
    format!("\"{}\"", id.replace('"', "\"\""))
}

/// One table's rows: its (non-generated) columns and its rows keyed by rowid when it has one.
struct TableRows {
    cols: Vec<String>,
    has_rowid: bool,
    /// (rowid, values in `cols` order)
    rows: Vec<(Option<i64>, Vec<Value>)>,
}

/// Every table's rows, keyed by lowercase name.
type Snapshot = BTreeMap<String, (String, TableRows)>;

fn snapshot(path: &Path) -> Snapshot {
    let c = Connection::open(path).unwrap();
    let names: Vec<String> = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Snapshot::new();
    for name in names {
        // table_info leaves out generated columns, which hold no data of their own.
        let cols: Vec<String> = c
            .prepare(&format!(
                "SELECT name FROM pragma_table_info({})",
                lit(&name)
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let has_rowid = c
            .prepare(&format!("SELECT _rowid_ FROM {} LIMIT 0", q(&name)))
            .is_ok()
            && !cols.iter().any(|c| c.eq_ignore_ascii_case("_rowid_"));
        let list: Vec<String> = cols.iter().map(|c| q(c)).collect();
        let sel = format!(
            "SELECT {}{} FROM {}",
            if has_rowid { "_rowid_, " } else { "NULL, " },
            if list.is_empty() {
                "NULL".to_string()
            } else {
                list.join(", ")
            },
            q(&name)
        );
        let n = cols.len().max(1);
        let mut rows: Vec<(Option<i64>, Vec<Value>)> = c
            .prepare(&sel)
            .unwrap()
            .query_map([], |r| {
                let id: Option<i64> = r.get(0)?;
                let vals = (1..=n)
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<Result<_, _>>()?;
                Ok((id, vals))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort_by_key(|r| format!("{r:?}"));
        out.insert(
            name.to_lowercase(),
            (
                name,
                TableRows {
                    cols,
                    has_rowid,
                    rows,
                },
            ),
        );
    }
    out
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A value as text, for columns whose type changes (so `'30'` and `30` compare equal).
fn loosen(v: &Value) -> Value {
    match v {
        Value::Integer(i) => Value::Text(i.to_string()),
        Value::Real(f) => Value::Text(f.to_string()),
        other => other.clone(),
    }
}

/// Compares the rows of `from` with those of `to`: every table of `from` that `table` maps to a
/// table of `to`, on every column that `col` maps to a column there. `loose` lists
/// `table.column` (names in `from`, lowercase) compared as text.
fn compare_rows(
    label: &str,
    from: &Snapshot,
    to: &Snapshot,
    table: &dyn Fn(&str) -> Option<String>,
    col: &dyn Fn(&str, &str, &str) -> Option<String>,
    loose: &[&str],
) {
    for (name, rows) in from.values() {
        let Some(new) = table(name) else { continue };
        let Some((new_name, other)) = to.get(&new.to_lowercase()) else {
            panic!("{label}: table {name} (now {new}) is missing");
        };
        let pairs: Vec<(usize, usize, bool)> = rows
            .cols
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let n = col(name, new_name, c)?;
                let j = other.cols.iter().position(|o| o.eq_ignore_ascii_case(&n))?;
                let is_loose = loose.contains(&format!("{name}.{c}").to_lowercase().as_str());
                Some((i, j, is_loose))
            })
            .collect();
        let project = |t: &TableRows, side: usize| -> Vec<(Option<i64>, Vec<Value>)> {
            let mut v: Vec<(Option<i64>, Vec<Value>)> = t
                .rows
                .iter()
                .map(|(id, vals)| {
                    let vals = pairs
                        .iter()
                        .map(|&(i, j, l)| {
                            let v = &vals[if side == 0 { i } else { j }];
                            if l {
                                loosen(v)
                            } else {
                                v.clone()
                            }
                        })
                        .collect();
                    (
                        if rows.has_rowid && other.has_rowid {
                            *id
                        } else {
                            None
                        },
                        vals,
                    )
                })
                .collect();
            v.sort_by_key(|r| format!("{r:?}"));
            v
        };
        let (a, b) = (project(rows, 0), project(other, 1));
        assert_eq!(
            a,
            b,
            "{label}: rows of {name} -> {new_name} differ on columns {:?}",
            pairs
                .iter()
                .map(|&(i, _, _)| rows.cols[i].clone())
                .collect::<Vec<_>>()
        );
    }
}

fn integrity(path: &Path, label: &str) {
    let c = Connection::open(path).unwrap();
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok", "{label}: integrity_check");
    let fk: Vec<(String, Option<i64>, String)> = c
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(fk.is_empty(), "{label}: foreign_key_check: {fk:?}");
}

/// The full round trip (see the module doc); returns the diff for further assertions.
fn roundtrip(before: &str, after: &str, rows: &str) -> Diff {
    roundtrip_loose(before, after, rows, &[])
}

/// [`roundtrip`] with `loose` columns (`table.column`, before names) compared as text after the
/// up script, for type changes that convert values.
fn roundtrip_loose(before: &str, after: &str, rows: &str, loose: &[&str]) -> Diff {
    let db = db(before, rows);
    let path = &db.path;
    let start = snapshot(path);
    let renames = Renames::from_sql(after).expect("rename markers");
    let d = diff_db_with(path, after, &renames).unwrap_or_else(|e| panic!("diff failed: {e}"));
    assert!(
        !d.is_empty(),
        "expected a difference between\n{before}\nand\n{after}"
    );
    let up = d.script();
    let down = diff_cases::down_script(&d);
    let ctx = format!("\n--- up:\n{up}--- down:\n{down}--- notes: {:?}", d.notes);

    // Up.
    kit::run_sql(&mut kit::open(path).unwrap(), &up)
        .unwrap_or_else(|e| panic!("the up script fails: {e}{ctx}"));
    let again = diff_db_with(path, after, &renames).unwrap();
    assert!(
        again.is_empty(),
        "after the up script the diff is not empty: {:?}{ctx}",
        stmts(&again)
    );
    integrity(path, &format!("after up{ctx}"));
    let upped = snapshot(path);
    let table_after =
        |t: &str| diff_cases::table_after(&renames, t, |n| upped.contains_key(&n.to_lowercase()));
    let col_after = |_t: &str, new_t: &str, c: &str| {
        let cols = &upped.get(&new_t.to_lowercase())?.1.cols;
        diff_cases::column_after(&renames, new_t, c, |n| {
            cols.iter().any(|x| x.eq_ignore_ascii_case(n))
        })
    };
    compare_rows(
        &format!("after up{ctx}"),
        &start,
        &upped,
        &table_after,
        &col_after,
        loose,
    );

    // Down.
    kit::run_sql(&mut kit::open(path).unwrap(), &down)
        .unwrap_or_else(|e| panic!("the down script fails: {e}{ctx}"));
    let back = diff_db_with(path, before, &Renames::default()).unwrap();
    assert!(
        back.is_empty(),
        "after the down script the database differs from before: {:?}{ctx}",
        stmts(&back)
    );
    integrity(path, &format!("after down{ctx}"));
    let downed = snapshot(path);
    compare_rows(
        &format!("after down{ctx}"),
        &start,
        &downed,
        &|t| table_after(t).map(|_| t.to_string()),
        &|t, _, c| {
            let new_t = table_after(t)?;
            col_after(t, &new_t, c).map(|_| c.to_string())
        },
        &[],
    );
    d
}

/// Asserts that the diff's statements do not differ but its notes hold one line.
fn assert_only_a_note(before: &str, after: &str) {
    let d = diff_text(before, after).unwrap();
    assert!(d.is_empty(), "{:?}", stmts(&d));
    assert_eq!(d.notes.len(), 1, "{:?}", d.notes);
}

/// Asserts that the up script from `before` (with `rows`) to `after` fails and leaves the
/// database at `before`.
fn assert_up_script_refused(before: &str, rows: &str, after: &str) {
    let db = db(before, rows);
    let d = diff_db(&db.path, after).unwrap();
    assert!(kit::run_sql(&mut kit::open(&db.path).unwrap(), &d.script()).is_err());
    assert!(diff_db(&db.path, before).unwrap().is_empty());
}

/// Round trips `table` (a CREATE TABLE without its `;`) to `table` with `option` after it and
/// back, the diffs being the one statement of `[on, off]` each.
fn assert_table_option_on_and_off(table: &str, option: &str, rows: &str, [on, off]: [&str; 2]) {
    let with = format!("{table} {option};");
    let without = format!("{table};");
    assert_eq!(stmts(&roundtrip(&without, &with, rows)), [on]);
    assert_eq!(stmts(&roundtrip(&with, &without, rows)), [off]);
}

/// Asserts that `before` and `after` do not differ.
fn assert_no_diff(before: &str, after: &str) {
    let d = diff_text(before, after).unwrap_or_else(|e| panic!("diff failed: {e}"));
    assert!(
        d.is_empty(),
        "expected no difference, got {:?}\nbefore:\n{before}\nafter:\n{after}",
        stmts(&d)
    );
}

// ---------------------------------------------------------------------------------------------
// Columns added

#[test]
fn add_column_plain() {
    let d = roundtrip(
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER, legacy TEXT, nickname TEXT);",
        USER_ROWS,
    );
    assert_eq!(
        stmts(&d),
        [r#"ALTER TABLE "users" ADD COLUMN "nickname" TEXT"#]
    );
    assert!(d.losses().is_empty());
}

#[test]
fn add_column_not_null_default() {
    let d = roundtrip(
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER, legacy TEXT,
            score INTEGER NOT NULL DEFAULT 0);",
        USER_ROWS,
    );
    assert_eq!(
        stmts(&d),
        [r#"ALTER TABLE "users" ADD COLUMN "score" INTEGER NOT NULL DEFAULT 0"#]
    );
}

#[test]
fn add_column_with_check() {
    let d = roundtrip(
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER, legacy TEXT,
            level INTEGER CHECK (level BETWEEN 0 AND 9));",
        USER_ROWS,
    );
    assert_eq!(d.changes.len(), 1, "{:?}", stmts(&d));
    assert!(d.changes[0].sql.contains("CHECK (level BETWEEN 0 AND 9)"));
}

#[test]
fn add_column_with_references() {
    diff_cases::ADD_COLUMN_WITH_REFERENCES.run(roundtrip_loose);
}

#[test]
fn add_column_with_collate() {
    let d = roundtrip(
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER, legacy TEXT,
            handle TEXT COLLATE NOCASE);",
        USER_ROWS,
    );
    assert_eq!(
        stmts(&d),
        [r#"ALTER TABLE "users" ADD COLUMN "handle" TEXT COLLATE NOCASE"#]
    );
}

// ---------------------------------------------------------------------------------------------
// Columns dropped and renamed

#[test]
fn drop_column() {
    let d = diff_cases::DROP_COLUMN.run(roundtrip_loose);
    assert_eq!(d.losses().len(), 1);
    assert!(d.losses()[0].contains("legacy"), "{:?}", d.losses());
    assert!(d.changes[0].inverse_note.is_some());
}

#[test]
fn drop_a_middle_column_with_an_index_and_a_check() {
    let d = diff_cases::DROP_A_MIDDLE_COLUMN_WITH_AN_INDEX_AND_A_CHECK.run(roundtrip_loose);
    diff_cases::assert_has_stmts(&d, &[r#"ALTER TABLE "items" DROP COLUMN "code""#]);
}

const RENAME_BEFORE: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);";
const RENAME_ROWS: &str = "INSERT INTO users VALUES (1, 'a@x', 30), (7, 'b@x', NULL);";

fn assert_only_column_rename(d: &Diff) {
    assert_eq!(
        stmts(d),
        [r#"ALTER TABLE "users" RENAME COLUMN "email" TO "mail""#]
    );
    assert!(d.losses().is_empty());
    assert!(!d.script().contains("DROP COLUMN"));
}

#[test]
fn rename_column_marker_before_the_comma() {
    let d = roundtrip(
        RENAME_BEFORE,
        "CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            mail TEXT, -- kit:renamed-from email
            age INTEGER
        );",
        RENAME_ROWS,
    );
    assert_only_column_rename(&d);
}

#[test]
fn rename_column_marker_with_the_comma_on_the_next_line() {
    let d = roundtrip(
        RENAME_BEFORE,
        "CREATE TABLE users (
            id INTEGER PRIMARY KEY
          , mail TEXT -- kit:renamed-from email
          , age INTEGER
        );",
        RENAME_ROWS,
    );
    assert_only_column_rename(&d);
}

#[test]
fn rename_column_marker_on_the_last_column() {
    let d = diff_cases::RENAME_COLUMN_MARKER_ON_THE_LAST_COLUMN.run(roundtrip_loose);
    assert_only_column_rename(&d);
}

#[test]
fn rename_column_marker_on_the_last_column_before_a_table_constraint() {
    let d = roundtrip(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, age INTEGER, email TEXT, UNIQUE (email));",
        "CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            age INTEGER,
            mail TEXT, -- kit:renamed-from email
            UNIQUE (mail)
        );",
        "INSERT INTO users VALUES (1, 30, 'a@x'), (7, NULL, 'b@x');",
    );
    assert_only_column_rename(&d);
}

#[test]
fn without_a_marker_a_renamed_column_is_a_drop_and_an_add() {
    let d = diff_text(
        RENAME_BEFORE,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, mail TEXT, age INTEGER);",
    )
    .unwrap();
    assert_eq!(
        stmts(&d),
        [
            r#"ALTER TABLE "users" DROP COLUMN "email""#,
            r#"ALTER TABLE "users" ADD COLUMN "mail" TEXT"#
        ]
    );
    assert_eq!(d.losses().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Tables renamed

#[test]
fn rename_table_marker_on_the_line_before() {
    diff_cases::RENAME_TABLE_MARKER_ON_THE_LINE_BEFORE.run(roundtrip_loose);
}

#[test]
fn rename_table_marker_on_the_create_line() {
    diff_cases::RENAME_TABLE_MARKER_ON_THE_CREATE_LINE.run(roundtrip_loose);
}

#[test]
fn rename_table_and_column_together() {
    diff_cases::RENAME_TABLE_AND_COLUMN_TOGETHER.run(roundtrip_loose);
}

#[test]
fn rename_of_a_referenced_column_with_a_table_rename_and_other_changes() {
    let d = diff_cases::REFERENCED_KEY_RENAMED_WITH_A_TABLE_RENAME_AND_OTHER_CHANGES
        .run(roundtrip_loose);
    diff_cases::assert_renames_of_the_referenced_key_case(&d);
    assert!(!d.script().contains("FOREIGN KEY"), "{:?}", stmts(&d));
}

// ---------------------------------------------------------------------------------------------
// Column changes

#[test]
fn type_change() {
    let d = roundtrip_loose(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age TEXT);",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);",
        "INSERT INTO users VALUES (1, 'a@x', '30'), (2, 'b@x', NULL), (3, 'c', 'n/a');",
        &["users.age"],
    );
    assert_eq!(
        stmts(&d),
        [r#"ALTER TABLE "users" ALTER COLUMN "age" TYPE INTEGER"#]
    );
}

#[test]
fn type_spelling_is_not_a_change() {
    assert_no_diff(
        "CREATE TABLE t (a VARCHAR(10), b DOUBLE PRECISION, c unsigned big int)",
        "CREATE TABLE t (a varchar ( 10 ), b double   precision, c UNSIGNED BIG INT)",
    );
}

#[test]
fn collation_added() {
    let d = diff_cases::COLLATION_ADDED.run(roundtrip_loose);
    assert_eq!(d.changes.len(), 1, "{:?}", stmts(&d));
    let s = d.changes[0].sql.to_lowercase();
    assert!(
        s.starts_with(r#"alter table "users" alter column "name" type text collate"#)
            && s.contains("nocase"),
        "{s}"
    );
}

#[test]
fn collation_changed_with_type() {
    let d = roundtrip_loose(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE, code INTEGER);",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20) COLLATE RTRIM, code TEXT COLLATE BINARY);",
        "INSERT INTO users VALUES (1, 'Ann', 7), (2, 'bob ', NULL);",
        &["users.code"],
    );
    assert_eq!(d.changes.len(), 2, "{:?}", stmts(&d));
}

#[test]
fn collation_removed() {
    let d = diff_cases::COLLATION_REMOVED.run(roundtrip_loose);
    assert_eq!(d.changes.len(), 1, "{:?}", stmts(&d));
    assert!(d.changes[0].sql.contains("TYPE TEXT"), "{:?}", stmts(&d));
}

#[test]
fn set_not_null() {
    let d = diff_cases::SET_NOT_NULL.run(roundtrip_loose);
    assert_eq!(
        d.changes[0].inverse,
        [r#"ALTER TABLE "users" ALTER COLUMN "email" DROP NOT NULL"#]
    );
}

#[test]
fn drop_not_null() {
    diff_cases::DROP_NOT_NULL.run(roundtrip_loose);
}

#[test]
fn set_not_null_over_nulls_is_refused_by_the_engine() {
    // The diff proposes it; applying it must refuse and leave the database as it was.
    let db = db(USERS, USER_ROWS);
    let after =
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER NOT NULL, legacy TEXT);";
    let d = diff_db(&db.path, after).unwrap();
    let before = snapshot(&db.path);
    let err = kit::run_sql(&mut kit::open(&db.path).unwrap(), &d.script()).unwrap_err();
    assert!(err.to_string().contains("age"), "{err}");
    assert_eq!(
        diff_db(&db.path, USERS).unwrap(),
        Diff::default(),
        "the database changed"
    );
    compare_rows(
        "refused",
        &before,
        &snapshot(&db.path),
        &|t| Some(t.to_string()),
        &|_, _, c| Some(c.to_string()),
        &[],
    );
}

#[test]
fn set_default() {
    let d = diff_cases::SET_DEFAULT.run(roundtrip_loose);
    assert_eq!(
        d.changes[0].inverse,
        [r#"ALTER TABLE "users" ALTER COLUMN "age" DROP DEFAULT"#]
    );
}

#[test]
fn drop_default() {
    let d = diff_cases::DROP_DEFAULT.run(roundtrip_loose);
    assert_eq!(
        stmts(&d),
        [r#"ALTER TABLE "users" ALTER COLUMN "email" DROP DEFAULT"#]
    );
    assert_eq!(
        d.changes[0].inverse,
        [r#"ALTER TABLE "users" ALTER COLUMN "email" SET DEFAULT 'none'"#]
    );
}

#[test]
fn change_default_to_an_expression() {
    let d = roundtrip(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT DEFAULT '1970-01-01', n INTEGER DEFAULT -1);",
        "CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT DEFAULT (datetime('now')), n INTEGER DEFAULT (1 + 1));",
        "INSERT INTO events VALUES (1, '2020-01-01', 5); INSERT INTO events (id) VALUES (2);",
    );
    assert_eq!(
        stmts(&d),
        [
            r#"ALTER TABLE "events" ALTER COLUMN "at" SET DEFAULT (datetime('now'))"#,
            r#"ALTER TABLE "events" ALTER COLUMN "n" SET DEFAULT (1 + 1)"#
        ]
    );
    // The new default works.
    let db = db(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT DEFAULT '1970-01-01', n INTEGER DEFAULT -1);",
        "",
    );
    kit::run_sql(&mut kit::open(&db.path).unwrap(), &d.script()).unwrap();
    let c = Connection::open(&db.path).unwrap();
    c.execute("INSERT INTO events (id) VALUES (3)", []).unwrap();
    let (at, n): (String, i64) = c
        .query_row("SELECT at, n FROM events WHERE id = 3", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_ne!(at, "1970-01-01");
    assert_eq!(n, 2);
}

#[test]
fn default_spelling_is_not_a_change() {
    assert_no_diff(
        "CREATE TABLE e (a TEXT DEFAULT (datetime('now')), b INTEGER DEFAULT 0, c DEFAULT CURRENT_TIMESTAMP)",
        "CREATE TABLE e (a TEXT DEFAULT (DATETIME( 'now' )), b INTEGER default 0, c default current_timestamp)",
    );
}

// ---------------------------------------------------------------------------------------------
// Constraints

#[test]
fn add_table_check() {
    diff_cases::ADD_TABLE_CHECK.run(roundtrip_loose);
}

#[test]
fn drop_named_table_check() {
    let d = diff_cases::DROP_NAMED_TABLE_CHECK.run(roundtrip_loose);
    assert_eq!(
        d.changes[0].inverse,
        [r#"ALTER TABLE "items" ADD CONSTRAINT "margin" CHECK (price >= cost)"#]
    );
}

#[test]
fn change_column_check() {
    diff_cases::CHANGE_COLUMN_CHECK.run(roundtrip_loose);
}

#[test]
fn add_and_drop_column_check() {
    diff_cases::ADD_AND_DROP_COLUMN_CHECK.run(roundtrip_loose);
}

#[test]
fn add_column_unique() {
    let d = diff_cases::ADD_COLUMN_UNIQUE.run(roundtrip_loose);
    assert_eq!(stmts(&d), [r#"ALTER TABLE "users" ADD UNIQUE ("email")"#]);
    assert_eq!(
        d.changes[0].inverse,
        [r#"ALTER TABLE "users" DROP CONSTRAINT "users_email_key""#]
    );
}

#[test]
fn drop_table_unique() {
    diff_cases::DROP_TABLE_UNIQUE.run(roundtrip_loose);
}

#[test]
fn unique_over_duplicates_is_refused() {
    assert_up_script_refused(
        "CREATE TABLE m (id INTEGER PRIMARY KEY, a TEXT);",
        "INSERT INTO m VALUES (1, 'x'), (2, 'x');",
        "CREATE TABLE m (id INTEGER PRIMARY KEY, a TEXT UNIQUE);",
    );
}

#[test]
fn composite_primary_key_change() {
    diff_cases::COMPOSITE_PRIMARY_KEY_CHANGE.run(roundtrip_loose);
}

#[test]
fn add_foreign_key() {
    diff_cases::ADD_FOREIGN_KEY.run(roundtrip_loose);
}

#[test]
fn drop_foreign_key() {
    diff_cases::DROP_FOREIGN_KEY.run(roundtrip_loose);
}

#[test]
fn foreign_key_action_changed() {
    let d = roundtrip(
        &format!(
            "{FK_PARENT} CREATE TABLE posts (id INTEGER PRIMARY KEY,
            user_id INTEGER REFERENCES users (id) ON DELETE CASCADE, body TEXT);"
        ),
        &format!(
            "{FK_PARENT} CREATE TABLE posts (id INTEGER PRIMARY KEY,
            user_id INTEGER REFERENCES users (id) ON DELETE SET NULL, body TEXT);"
        ),
        FK_ROWS,
    );
    assert_eq!(d.changes.len(), 2, "{:?}", stmts(&d));
    assert_eq!(
        d.changes[0].sql,
        r#"ALTER TABLE "posts" DROP CONSTRAINT "posts_user_id_fkey""#
    );
    assert!(
        d.changes[1].sql.contains("ON DELETE SET NULL"),
        "{:?}",
        stmts(&d)
    );
    // The new action is in force.
    let db = db(
        &format!(
            "{FK_PARENT} CREATE TABLE posts (id INTEGER PRIMARY KEY,
            user_id INTEGER REFERENCES users (id) ON DELETE CASCADE, body TEXT);"
        ),
        FK_ROWS,
    );
    kit::run_sql(&mut kit::open(&db.path).unwrap(), &d.script()).unwrap();
    let c = Connection::open(&db.path).unwrap();
    c.execute_batch("PRAGMA foreign_keys = ON; DELETE FROM users WHERE id = 1")
        .unwrap();
    let n: i64 = c
        .query_row(
            "SELECT count(*) FROM posts WHERE user_id IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 2);
}

#[test]
fn column_and_table_spellings_of_one_constraint_are_no_diff() {
    assert_no_diff(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
         CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE, b INTEGER CHECK (b > 0),
            u INTEGER REFERENCES users (id) ON DELETE CASCADE);",
        "CREATE TABLE users (id INTEGER, email TEXT, PRIMARY KEY (id));
         CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, u INTEGER,
            UNIQUE (a), CHECK (b > 0), FOREIGN KEY (u) REFERENCES users (id) ON DELETE CASCADE);",
    );
}

#[test]
fn formatting_quoting_case_and_comments_are_no_diff() {
    assert_no_diff(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL DEFAULT '', age INTEGER CHECK (age > 0));
         CREATE INDEX users_email ON users (email);
         CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18;
         CREATE TRIGGER users_ai AFTER INSERT ON users BEGIN UPDATE users SET age = 1 WHERE id = new.id AND age IS NULL; END;",
        "-- the users
         create table \"Users\" (
             \"ID\"    integer primary key,   -- rowid
             [email] text not null default '',
             `Age` INTEGER check (AGE > 0)
         );
         /* an index */ CREATE INDEX IF NOT EXISTS \"users_email\" ON USERS (\"EMAIL\");
         CREATE VIEW Adults AS
             SELECT ID, Email
             FROM Users
             WHERE Age >= 18;
         create trigger users_ai after insert on users
         begin
             update users set age = 1 where id = NEW.id and age is null;
         end;",
    );
}

#[test]
fn string_literals_keep_their_case() {
    let d = diff_text(
        "CREATE TABLE t (a TEXT DEFAULT 'x', b TEXT CHECK (b <> 'Y'))",
        "CREATE TABLE t (a TEXT DEFAULT 'X', b TEXT CHECK (b <> 'y'))",
    )
    .unwrap();
    assert_eq!(d.changes.len(), 3, "{:?}", stmts(&d));
}

// ---------------------------------------------------------------------------------------------
// Indexes, views, triggers

#[test]

fn index_added() {
    diff_cases::INDEX_ADDED.run(roundtrip_loose);
}

#[test]

fn index_dropped() {
    let d = diff_cases::INDEX_DROPPED.run(roundtrip_loose);
    assert_eq!(
        d.changes[0].inverse,
        ["CREATE UNIQUE INDEX users_email ON users (lower(email))"]
    );
}

#[test]
fn index_changed() {
    for (from, to) in diff_cases::INDEX_CHANGES {
        diff_cases::assert_index_change(roundtrip, from, to);
    }
}

#[test]
fn unique_index_and_plain_index_differ() {
    let d = roundtrip(
        &format!("{IDX_TABLE} CREATE INDEX users_email ON users (email);"),
        &format!("{IDX_TABLE} CREATE UNIQUE INDEX users_email ON users (email);"),
        IDX_ROWS,
    );
    assert_eq!(d.changes.len(), 2, "{:?}", stmts(&d));
}

#[test]
fn view_changed() {
    diff_cases::VIEW_CHANGED.run(roundtrip_loose);
}

#[test]
fn view_on_a_view_changed() {
    diff_cases::VIEW_ON_A_VIEW_CHANGED.run(roundtrip_loose);
}

#[test]
fn trigger_changed() {
    let trig = |body: &str| {
        format!(
            "{IDX_TABLE} CREATE TABLE log (msg TEXT);
             CREATE TRIGGER users_ai AFTER INSERT ON users BEGIN INSERT INTO log VALUES ({body}); END;"
        )
    };
    let d = roundtrip(
        &trig("'added ' || new.email"),
        &trig("'new user ' || new.name"),
        &format!("{IDX_ROWS} INSERT INTO log VALUES ('x');"),
    );
    assert_eq!(d.changes.len(), 2, "{:?}", stmts(&d));
    assert_eq!(d.changes[0].sql, r#"DROP TRIGGER "users_ai""#);
}

#[test]

fn trigger_dropped() {
    let d = roundtrip(
        &format!("{IDX_TABLE} CREATE TRIGGER t1 AFTER UPDATE ON users BEGIN SELECT 1; END;"),
        IDX_TABLE,
        IDX_ROWS,
    );
    assert_eq!(stmts(&d), [r#"DROP TRIGGER "t1""#]);
}

#[test]
fn view_dropped_and_added() {
    diff_cases::VIEW_DROPPED_AND_ADDED.run(roundtrip_loose);
}

#[test]
fn trigger_event_changed() {
    roundtrip(
        &format!("{IDX_TABLE} CREATE TRIGGER t1 AFTER UPDATE ON users BEGIN SELECT 1; END;"),
        &format!("{IDX_TABLE} CREATE TRIGGER t1 AFTER UPDATE OF age ON users BEGIN SELECT 1; END;"),
        IDX_ROWS,
    );
}

#[test]
fn objects_of_renamed_table_and_column_are_no_diff() {
    let before = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);
        CREATE TABLE log (msg TEXT);
        CREATE INDEX users_email ON users (email) WHERE email IS NOT NULL;
        CREATE INDEX users_lower ON users (lower(email) COLLATE NOCASE DESC);
        CREATE VIEW emails AS SELECT u.email FROM users AS u WHERE u.age > 1;
        CREATE TRIGGER users_au AFTER UPDATE OF email ON users
        BEGIN INSERT INTO log VALUES (old.email || ' -> ' || new.email); END;";
    let after = "-- kit:renamed-from users
        CREATE TABLE members (
            id INTEGER PRIMARY KEY,
            mail TEXT, -- kit:renamed-from email
            age INTEGER
        );
        CREATE TABLE log (msg TEXT);
        CREATE INDEX users_email ON members (mail) WHERE mail IS NOT NULL;
        CREATE INDEX users_lower ON members (lower(mail) COLLATE NOCASE DESC);
        CREATE VIEW emails AS SELECT u.mail FROM members AS u WHERE u.age > 1;
        CREATE TRIGGER users_au AFTER UPDATE OF mail ON members
        BEGIN INSERT INTO log VALUES (old.mail || ' -> ' || new.mail); END;";
    let d = roundtrip(
        before,
        after,
        "INSERT INTO users VALUES (1, 'a@x', 30), (2, NULL, 5); INSERT INTO log VALUES ('m');",
    );
    assert_eq!(
        stmts(&d),
        [
            r#"DROP VIEW "emails""#,
            r#"ALTER TABLE "users" RENAME TO "members""#,
            r#"ALTER TABLE "members" RENAME COLUMN "email" TO "mail""#,
            "CREATE VIEW emails AS SELECT u.mail FROM members AS u WHERE u.age > 1"
        ]
    );
}

#[test]
fn objects_of_a_renamed_column_are_no_diff() {
    let before = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
        CREATE INDEX users_email ON users (email);
        CREATE VIEW emails AS SELECT email FROM users;";
    let after = "CREATE TABLE users (id INTEGER PRIMARY KEY,
            mail TEXT -- kit:renamed-from email
        );
        CREATE INDEX users_email ON users (mail);
        CREATE VIEW emails AS SELECT mail FROM users;";
    let d = roundtrip(
        before,
        after,
        "INSERT INTO users VALUES (1, 'a'), (2, NULL);",
    );
    // A rename keeps the view's column name `email` (as PostgreSQL does), and the target's view
    // yields `mail`: the view is made again around the rename; no data moves.
    assert_eq!(
        stmts(&d),
        [
            r#"DROP VIEW "emails""#,
            r#"ALTER TABLE "users" RENAME COLUMN "email" TO "mail""#,
            "CREATE VIEW emails AS SELECT mail FROM users"
        ]
    );
    assert!(d.losses().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Tables added and dropped

#[test]
fn new_table() {
    let d = diff_cases::NEW_TABLE.run(roundtrip_loose);
    assert_eq!(
        stmts(&d),
        [
            diff_cases::NEW_TABLE_SQL,
            "CREATE INDEX tags_tag ON tags (tag)"
        ]
    );
}

#[test]
fn dropped_table_comes_back_empty_with_its_indexes_and_triggers() {
    let before = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
        CREATE TABLE sessions (id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER REFERENCES users (id), token TEXT);
        CREATE INDEX sessions_token ON sessions (token);
        CREATE TRIGGER sessions_ai AFTER INSERT ON sessions BEGIN SELECT 1; END;";
    let after = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);";
    let d = roundtrip(
        before,
        after,
        "INSERT INTO users VALUES (1, 'a'); INSERT INTO sessions (user_id, token) VALUES (1, 't'), (1, 'u');",
    );
    assert_eq!(stmts(&d), [r#"DROP TABLE "sessions""#]);
    assert_eq!(d.losses().len(), 1);
    assert_eq!(d.changes[0].inverse.len(), 3, "{:?}", d.changes[0].inverse);
}

#[test]
fn dropped_parent_and_child_go_child_first() {
    diff_cases::DROPPED_PARENT_AND_CHILD_GO_CHILD_FIRST.run(roundtrip_loose);
}

// ---------------------------------------------------------------------------------------------
// Generated columns, table options, virtual tables, kit's tables

#[test]
fn generated_column_expression_change() {
    let d = roundtrip(
        "CREATE TABLE p (id INTEGER PRIMARY KEY, w REAL, h REAL, area REAL GENERATED ALWAYS AS (w * h) VIRTUAL);",
        "CREATE TABLE p (id INTEGER PRIMARY KEY, w REAL, h REAL, area REAL GENERATED ALWAYS AS (w * h / 2) VIRTUAL);",
        "INSERT INTO p (id, w, h) VALUES (1, 2, 3), (2, NULL, 1);",
    );
    assert_eq!(
        stmts(&d),
        [
            r#"ALTER TABLE "p" DROP COLUMN "area""#,
            r#"ALTER TABLE "p" ADD COLUMN "area" REAL GENERATED ALWAYS AS (w * h / 2) VIRTUAL"#
        ]
    );
    assert!(d.losses().is_empty());
}

#[test]
fn stored_generated_column_expression_change() {
    roundtrip(
        "CREATE TABLE p (id INTEGER PRIMARY KEY, w REAL, h REAL, area REAL AS (w * h) STORED, note TEXT);",
        "CREATE TABLE p (id INTEGER PRIMARY KEY, w REAL, h REAL, area REAL AS (w + h) STORED, note TEXT);",
        "INSERT INTO p (id, w, h, note) VALUES (1, 2, 3, 'n'), (2, NULL, 1, NULL);",
    );
}

#[test]
fn strict_switched_on_and_off() {
    assert_table_option_on_and_off(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, n INTEGER)",
        "STRICT",
        "INSERT INTO t VALUES (1, 'x', 3), (2, NULL, NULL);",
        [
            r#"ALTER TABLE "t" SET STRICT"#,
            r#"ALTER TABLE "t" SET NOT STRICT"#,
        ],
    );
}

#[test]
fn strict_with_a_type_change() {
    // The column gets a type STRICT accepts before STRICT is switched on.
    let d = roundtrip(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a VARCHAR(10), n INTEGER);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, n INTEGER) STRICT;",
        "INSERT INTO t VALUES (1, 'x', 3), (2, NULL, NULL);",
    );
    assert_eq!(
        stmts(&d),
        [
            r#"ALTER TABLE "t" ALTER COLUMN "a" TYPE TEXT"#,
            r#"ALTER TABLE "t" SET STRICT"#
        ]
    );
}

#[test]
fn strict_over_rows_it_cannot_hold_is_refused() {
    assert_up_script_refused(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);",
        "INSERT INTO t VALUES (1, 'not a number');",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER) STRICT;",
    );
}

#[test]
fn without_rowid_switched_on_and_off() {
    assert_table_option_on_and_off(
        "CREATE TABLE kv (k TEXT PRIMARY KEY NOT NULL, v INTEGER)",
        "WITHOUT ROWID",
        "INSERT INTO kv VALUES ('a', 1), ('b', NULL);",
        [
            r#"ALTER TABLE "kv" SET WITHOUT ROWID"#,
            r#"ALTER TABLE "kv" SET WITH ROWID"#,
        ],
    );
}

#[test]
fn strict_without_rowid_table_changes_roundtrip() {
    roundtrip(
        "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER, note TEXT) STRICT, WITHOUT ROWID;",
        "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0, extra ANY) STRICT, WITHOUT ROWID;",
        "INSERT INTO kv VALUES ('a', 1, 'x'), ('b', 2, NULL);",
    );
}

#[test]

fn fts5_unchanged_is_no_diff() {
    let schema = "CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, body TEXT);
        CREATE VIRTUAL TABLE docs_fts USING fts5(title, body, content='docs', content_rowid='id');
        CREATE VIRTUAL TABLE notes USING fts5(text);";
    let db = db(
        schema,
        "INSERT INTO docs VALUES (1, 'a', 'b'); INSERT INTO notes VALUES ('hello');
         INSERT INTO docs_fts (docs_fts) VALUES ('rebuild');",
    );
    let d = diff_db(&db.path, schema).unwrap();
    assert!(d.is_empty(), "{:?}", stmts(&d));
    // Formatting of the virtual table's text does not count either.
    let d = diff_db(
        &db.path,
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, body TEXT);
        create virtual table DOCS_FTS using FTS5 ( title , body , content = 'docs' , content_rowid = 'id' );
        CREATE VIRTUAL TABLE \"notes\" USING fts5(text);",
    )
    .unwrap();
    assert!(d.is_empty(), "{:?}", stmts(&d));
}

#[test]

fn fts5_added_next_to_a_changed_table() {
    roundtrip(
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT);",
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, body TEXT);
         CREATE VIRTUAL TABLE docs_fts USING fts5(title, body, content='docs', content_rowid='id');",
        "INSERT INTO docs VALUES (1, 'a'), (2, 'b');",
    );
}

#[test]

fn fts5_dropped() {
    let d = roundtrip(
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT);
         CREATE VIRTUAL TABLE notes USING fts5(text);",
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT);",
        "INSERT INTO docs VALUES (1, 'a'); INSERT INTO notes VALUES ('hello');",
    );
    assert_eq!(stmts(&d), [r#"DROP TABLE "notes""#]);
}

#[test]
fn kit_tables_are_ignored() {
    let db = db(
        "CREATE TABLE users (id INTEGER PRIMARY KEY);
         CREATE TABLE kit_migrations (version TEXT PRIMARY KEY, applied TEXT);
         CREATE TABLE kit_throwaway (created TEXT);",
        "INSERT INTO kit_migrations VALUES ('0001', 'now');",
    );
    let d = diff_db(&db.path, "CREATE TABLE users (id INTEGER PRIMARY KEY);").unwrap();
    assert!(d.is_empty(), "{:?}", stmts(&d));
    // Nor does a schema file that mentions them ask for them.
    let d = diff_db(
        &db.path,
        "CREATE TABLE users (id INTEGER PRIMARY KEY);
         CREATE TABLE KIT_MIGRATIONS (other INTEGER);",
    )
    .unwrap();
    assert!(d.is_empty(), "{:?}", stmts(&d));
}

// ---------------------------------------------------------------------------------------------
// Awkward identifiers

#[test]
fn identifiers_with_spaces_quotes_keywords_and_non_ascii() {
    let d = diff_cases::IDENTIFIERS_WITH_SPACES_QUOTES_KEYWORDS_AND_NON_ASCII.run(roundtrip_loose);
    diff_cases::assert_awkward_identifiers_renamed(&d.script());
    assert!(
        d.script().contains(r#"ADD COLUMN "group" INTEGER"#),
        "{}",
        d.script()
    );
}

#[test]
fn identifier_case_and_quoting_is_no_diff() {
    assert_no_diff(
        r#"CREATE TABLE "order items" ("select" TEXT, "Naïve" INTEGER, "a""b" TEXT);"#,
        r#"CREATE TABLE [order items] ([SELECT] TEXT, `Naïve` INTEGER, "a""b" TEXT);"#,
    );
}

// ---------------------------------------------------------------------------------------------
// Real-world schemas

#[test]
fn realworld_schemas_diff_empty_against_themselves() {
    let root = PathBuf::from(REALWORLD).join("schemas");
    let files = realworld::files_under(&root, "sql");
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    let mut checked = 0;
    for f in &files {
        let name = f.strip_prefix(&root).unwrap().display().to_string();
        let text = std::fs::read_to_string(f).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rw.db");
        {
            let c = Connection::open(&path).unwrap();
            if let Err(e) = c.execute_batch(&text) {
                skipped.push(format!("{name}: {e}"));
                continue;
            }
        }
        checked += 1;
        match diff_db(&path, &text) {
            Ok(d) if d.is_empty() => {}
            Ok(d) => failures.push(format!("{name}: not empty: {:?}", stmts(&d))),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    for s in &skipped {
        eprintln!("skipped (SQLite cannot load it on its own): {s}");
    }
    eprintln!("{checked} real-world schema files diffed empty against themselves");
    assert!(checked > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Files that only load together (in this order), diffed as one schema text.
const REALWORLD_GROUPS: &[&[&str]] = &[
    &[
        "firefox-appservices/places_create_shared_schema.sql",
        "firefox-appservices/places_create_shared_temp_tables.sql",
        // (places_create_shared_triggers.sql is a Rust format! template: it never loads)
        "firefox-appservices/places_create_main_triggers.sql",
    ],
    &[
        "firefox-appservices/autofill_create_shared_schema.sql",
        "firefox-appservices/autofill_create_shared_triggers.sql",
    ],
    &[
        "calibre-6.13.0/metadata_sqlite.sql",
        "calibre-6.13.0/fts_triggers.sql",
    ],
];

#[test]
fn realworld_schema_groups_diff_empty_against_themselves() {
    let root = PathBuf::from(REALWORLD).join("schemas");
    let mut failures = Vec::new();
    for group in REALWORLD_GROUPS {
        let text: String = group
            .iter()
            .map(|f| std::fs::read_to_string(root.join(f)).unwrap() + "\n;\n")
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rw.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(&text)
            .unwrap_or_else(|e| panic!("{group:?} does not load: {e}"));
        match diff_db(&path, &text) {
            Ok(d) if d.is_empty() => {}
            Ok(d) => failures.push(format!("{group:?}: not empty: {:?}", stmts(&d))),
            Err(e) => failures.push(format!("{group:?}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn realworld_databases_diff_empty_against_their_own_schema_text() {
    let root = PathBuf::from(REALWORLD).join("dbs");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    let mut failures = Vec::new();
    for src in names {
        let c =
            Connection::open_with_flags(&src, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        // The schema as SQLite stores it, without the tables virtual tables make themselves.
        let rows: Vec<(String, String, String)> = c
            .prepare(
                "SELECT type, name, sql FROM sqlite_schema
                 WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let virtuals: Vec<String> = rows
            .iter()
            .filter(|(_, _, sql)| sql.to_lowercase().starts_with("create virtual"))
            .map(|(_, n, _)| n.to_lowercase() + "_")
            .collect();
        let text: String = rows
            .iter()
            .filter(|(ty, n, _)| {
                !(ty == "table" && virtuals.iter().any(|v| n.to_lowercase().starts_with(v)))
            })
            .map(|(_, _, sql)| format!("{sql};\n"))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("copy.db");
        std::fs::copy(&src, &path).unwrap();
        let mut perm = std::fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perm.set_readonly(false);
        std::fs::set_permissions(&path, perm).unwrap();
        let name = src.file_name().unwrap().to_string_lossy().into_owned();
        match diff_db(&path, &text) {
            Ok(d) if d.is_empty() => {}
            Ok(d) => failures.push(format!("{name}: not empty: {:?}", stmts(&d))),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Combinations

#[test]
fn renamed_table_with_a_changed_index_and_a_new_check_on_a_renamed_column() {
    let d = roundtrip(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);
         CREATE INDEX users_email ON users (email);",
        "CREATE TABLE members ( -- kit:renamed-from users
             id INTEGER PRIMARY KEY,
             mail TEXT CHECK (mail LIKE '%@%'), -- kit:renamed-from email
             age INTEGER
         );
         CREATE INDEX users_email ON members (mail DESC);",
        "INSERT INTO users VALUES (1, 'a@x', 3), (2, NULL, NULL);",
    );
    let s = stmts(&d);
    assert_eq!(s.first(), Some(&r#"DROP INDEX "users_email""#), "{s:?}");
    assert!(
        s.contains(&r#"ALTER TABLE "members" ADD CHECK (mail LIKE '%@%')"#),
        "{s:?}"
    );
}

#[test]
fn parent_key_renamed_under_views_and_triggers_of_other_tables() {
    let before = "CREATE TABLE users (uid INTEGER PRIMARY KEY, email TEXT);
        CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (uid), body TEXT);
        CREATE VIEW post_authors AS SELECT p.id, u.email FROM posts p JOIN users u ON u.uid = p.user_id;
        CREATE TRIGGER posts_ai AFTER INSERT ON posts
        BEGIN UPDATE users SET email = lower(email) WHERE uid = new.user_id; END;";
    let after = "CREATE TABLE users (id INTEGER PRIMARY KEY, -- kit:renamed-from uid
            email TEXT);
        CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), body TEXT);
        CREATE VIEW post_authors AS SELECT p.id, u.email FROM posts p JOIN users u ON u.id = p.user_id;
        CREATE TRIGGER posts_ai AFTER INSERT ON posts
        BEGIN UPDATE users SET email = lower(email) WHERE id = new.user_id; END;";
    let d = roundtrip(
        before,
        after,
        "INSERT INTO users VALUES (1, 'A@x'); INSERT INTO posts VALUES (1, 1, 'b'), (2, NULL, 'c');",
    );
    assert_eq!(
        stmts(&d),
        [r#"ALTER TABLE "users" RENAME COLUMN "uid" TO "id""#]
    );
}

#[test]
fn dropped_column_read_by_a_view_that_changes() {
    diff_cases::DROPPED_COLUMN_READ_BY_A_VIEW_THAT_CHANGES.run(roundtrip_loose);
}

#[test]
fn parent_key_type_change_with_children() {
    roundtrip_loose(
        "CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, email TEXT);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id TEXT REFERENCES users (id) ON UPDATE CASCADE);",
        "CREATE TABLE users (id VARCHAR(36) PRIMARY KEY NOT NULL, email TEXT NOT NULL DEFAULT '');
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id TEXT REFERENCES users (id) ON UPDATE CASCADE);",
        "INSERT INTO users VALUES ('u1', 'a'), ('u2', 'b'); INSERT INTO posts VALUES (1, 'u1'), (2, 'u2'), (3, NULL);",
        &[],
    );
}

#[test]
fn defaults_with_quotes_negatives_and_blobs() {
    roundtrip(
        "CREATE TABLE d (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c BLOB, e REAL);",
        "CREATE TABLE d (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'it''s', b INTEGER DEFAULT -5,
            c BLOB DEFAULT x'00ff', e REAL DEFAULT +1.5e3);",
        "INSERT INTO d VALUES (1, 'x', 2, x'01', 0.5);",
    );
}

#[test]
fn case_only_rename_is_no_diff() {
    assert_no_diff(
        "CREATE TABLE Users (Email TEXT)",
        "CREATE TABLE users (email TEXT)",
    );
}

#[test]
fn autoincrement_difference_is_a_note() {
    assert_only_a_note(
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT)",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)",
    );
}

#[test]
fn column_order_difference_is_a_note() {
    assert_only_a_note(
        "CREATE TABLE t (a TEXT, b TEXT)",
        "CREATE TABLE t (b TEXT, a TEXT)",
    );
}
