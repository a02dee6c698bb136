//! One `ALTER TABLE` with many `ADD COLUMN` actions (issue 12): kit runs the first natively and
//! writes the rest as one edit of the stored definition. The result must be exactly what
//! SQLite's own statements give, one per column: the same `sqlite_schema` rows, the same rows,
//! and the same refusals, with the database untouched when they refuse.

use rusqlite::Connection;

/// The tables the columns are added to: plain, with table constraints (where SQLite inserts
/// new columns before them), STRICT, WITHOUT ROWID, with a CHECK, and with a view and trigger.
const TABLES: &[(&str, &str)] = &[
    ("plain", "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT);"),
    (
        "table constraints",
        "CREATE TABLE t (\n  id INTEGER,\n  a INT , -- the last column\n  PRIMARY KEY (id),\n  CHECK (a IS NULL OR a > -1)\n);",
    ),
    ("strict", "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT) STRICT;"),
    ("without rowid", "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT) WITHOUT ROWID;"),
    ("check", "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT CHECK (a >= 0));"),
    (
        "dependents",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT);
         CREATE VIEW v AS SELECT * FROM t;
         CREATE TRIGGER tr AFTER UPDATE OF a ON t BEGIN UPDATE t SET a = a WHERE id = -1; END;",
    ),
];

/// Column definitions (`{c}` is the column's name), some of which SQLite refuses on rows.
const KINDS: &[&str] = &[
    "{c} TEXT",
    "{c} INT DEFAULT 7",
    "{c} TEXT DEFAULT 'ab' CHECK (length({c}) < 5)",
    "{c} INT GENERATED ALWAYS AS (a * 2)",
    "{c} INT DEFAULT 5 CHECK ({c} > a)",
    "{c} INT DEFAULT 0 CHECK ({c} > a)",
    "{c} INT GENERATED ALWAYS AS (NULL) NOT NULL",
    "\"{c} q\"\"x\" INTEGER COLLATE NOCASE",
    "{c} INT GENERATED ALWAYS AS ('x')",
];

fn make(path: &std::path::Path, table: &str) {
    let c = Connection::open(path).unwrap();
    c.execute_batch(table).unwrap();
    c.execute_batch("INSERT INTO t (id, a) VALUES (1, 0), (2, 1), (3, 2)")
        .unwrap();
}

fn schema_and_rows(path: &std::path::Path) -> (Vec<Vec<Option<String>>>, Vec<String>) {
    let c = Connection::open(path).unwrap();
    let schema = c
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid")
        .unwrap()
        .query_map([], |r| {
            (0..4)
                .map(|i| r.get::<_, Option<String>>(i))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap();
    let rows = c
        .prepare("SELECT * FROM t ORDER BY id")
        .unwrap()
        .query_map([], |r| {
            let n = r.as_ref().column_count();
            let vals: Vec<String> = (0..n)
                .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                .collect();
            Ok(vals.join("|"))
        })
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap();
    (schema, rows)
}

#[test]
fn many_add_columns_equal_the_native_statements() {
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for (shape, table) in TABLES {
        for kind in KINDS {
            for n in [1usize, 2, 5, 60] {
                for mixed in [false, true] {
                    // All columns of the kind, or plain ones and the kind last (then only the edit
                    // part of kit's run meets it).
                    let cols: Vec<String> = (0..n)
                        .map(|i| {
                            let k = if mixed && i + 1 < n { "{c} TEXT" } else { kind };
                            k.replace("{c}", &format!("c{i}"))
                        })
                        .collect();
                    let native = dir.path().join("native.db");
                    let kit_db = dir.path().join("kit.db");
                    let _ = std::fs::remove_file(&native);
                    let _ = std::fs::remove_file(&kit_db);
                    make(&native, table);
                    make(&kit_db, table);
                    let before = std::fs::read(&kit_db).unwrap();
                    // SQLite's own statements, one per column, in one transaction.
                    let mut c = Connection::open(&native).unwrap();
                    let tx = c.transaction().unwrap();
                    let native_result = cols.iter().try_for_each(|col| {
                        tx.execute_batch(&format!("ALTER TABLE t ADD COLUMN {col}"))
                    });
                    match native_result {
                        Ok(()) => tx.commit().unwrap(),
                        Err(_) => tx.rollback().unwrap(),
                    }
                    drop(c);
                    let sql = format!(
                        "ALTER TABLE t {}",
                        cols.iter()
                            .map(|c| format!("ADD COLUMN {c}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    let mut conn = kit::open(&kit_db).unwrap();
                    let kit_result = kit::run_sql(&mut conn, &sql);
                    drop(conn);
                    let case = format!("{shape}, {n} x `{kind}` (mixed: {mixed})");
                    assert_eq!(
                        kit_result.is_ok(),
                        native_result.is_ok(),
                        "{case}: kit {kit_result:?}, SQLite {native_result:?}"
                    );
                    if kit_result.is_err() {
                        assert_eq!(
                            std::fs::read(&kit_db).unwrap(),
                            before,
                            "{case}: a refused change left the file changed"
                        );
                    }
                    assert_eq!(
                        schema_and_rows(&kit_db),
                        schema_and_rows(&native),
                        "{case}: kit's result differs from SQLite's statements"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, TABLES.len() * KINDS.len() * 4 * 2);
}

#[test]
fn a_run_of_add_columns_is_one_native_statement_and_one_edit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    make(
        &path,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT CHECK (a >= 0));",
    );
    let conn = kit::open(&path).unwrap();
    let adds: Vec<String> = (0..500)
        .map(|i| format!("ADD COLUMN c{i} INT DEFAULT {i}"))
        .collect();
    let plan = kit::plan_sql(&conn, &format!("ALTER TABLE t {}", adds.join(", "))).unwrap();
    let paths: Vec<kit::Path> = plan.steps.iter().map(|s| s.path).collect();
    // The native ADD COLUMN, the edit, and (the table has a CHECK) the verification of the rows.
    assert_eq!(
        paths,
        vec![kit::Path::Native, kit::Path::Edit, kit::Path::Edit],
        "{:#?}",
        plan.steps
    );
    assert_eq!(plan.steps[2].checks.len(), 1);
    assert!(plan.steps[2].checks[0]
        .count_sql
        .contains("pragma_quick_check"));
    let statements: usize = plan.steps.iter().map(|s| s.sql.len()).sum();
    assert!(statements <= 6, "{statements} statements");
}

#[test]
fn past_sqlites_column_limit_sqlite_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    make(&path, "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT);");
    let before = std::fs::read(&path).unwrap();
    let mut conn = kit::open(&path).unwrap();
    let adds: Vec<String> = (0..1999).map(|i| format!("ADD COLUMN c{i} INT")).collect();
    let err = kit::run_sql(&mut conn, &format!("ALTER TABLE t {}", adds.join(", ")))
        .unwrap_err()
        .to_string();
    drop(conn);
    assert!(err.contains("too many columns"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
