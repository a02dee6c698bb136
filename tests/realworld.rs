//! kit on real-world material: the databases and schemas other projects made, kept in
//! `../shared/realworld/` (see its README). Nothing here is copied into the project; every
//! database is copied to a temporary directory first, and schema files are loaded into fresh
//! temporary databases.
//!
//! For every chosen table two runs are made, each checked against an oracle:
//!
//! 1. a native run (`RENAME COLUMN`, `ADD COLUMN kit_n TEXT`): the plan must have no rebuild,
//!    and the result must be exactly what SQLite itself gives for the same statements on a
//!    copy (every object's SQL text, every row, every view's rows);
//! 2. a rebuild run (an optional native `RENAME COLUMN`, `ALTER COLUMN c TYPE t`,
//!    `ADD COLUMN kit_x INTEGER DEFAULT (1+1)`): exactly one rebuild of that table; the oracle
//!    is SQLite doing the native part on a copy, and the result must equal it except for the
//!    intended change: the rebuilt table's definition (checked piece by piece), the retyped
//!    column's values (converted by the new type's affinity, as SQLite stores them) and the new
//!    column `kit_x` (2 in every row). Every other object keeps its SQL text byte for byte,
//!    every row of every table (with its rowid), `sqlite_sequence`, every view's rows, the FTS
//!    tables, and `integrity_check`; `foreign_key_check` shows no new violations.
//!
//! Timings of each rebuild are printed (run with `--nocapture` to see them).

#[path = "common/realworld.rs"]
mod realworld;

use kit::plan::Path as StepPath;
use kit::schema::parse_create_table;
use realworld::REALWORLD;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn realworld() -> PathBuf {
    let p = PathBuf::from(REALWORLD);
    assert!(
        p.join("dbs").is_dir() && p.join("schemas").is_dir(),
        "the real-world material is missing: expected {0}/dbs and {0}/schemas \
         (see ../shared/realworld/README.md). This test never skips.",
        p.display()
    );
    p
}

fn q(id: &str) -> String {
    format!("\"{}\"", id.replace('"', "\"\""))
}

// ---------------------------------------------------------------------------------------------
// Values and dumps

/// A stored value, comparable and orderable (reals by bit pattern, text as bytes).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum V {
    Null,
    Int(i64),
    Real(u64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
}

impl V {
    fn of(r: ValueRef<'_>) -> V {
        match r {
            ValueRef::Null => V::Null,
            ValueRef::Integer(i) => V::Int(i),
            ValueRef::Real(f) => V::Real(f.to_bits()),
            ValueRef::Text(t) => V::Text(t.to_vec()),
            ValueRef::Blob(b) => V::Blob(b.to_vec()),
        }
    }
    fn text(s: &str) -> V {
        V::Text(s.as_bytes().to_vec())
    }
    fn as_str(&self) -> String {
        match self {
            V::Text(t) => String::from_utf8_lossy(t).into_owned(),
            other => format!("{other:?}"),
        }
    }
}

impl fmt::Debug for V {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            V::Null => write!(f, "NULL"),
            V::Int(i) => write!(f, "{i}"),
            V::Real(b) => write!(f, "{:?}", f64::from_bits(*b)),
            V::Text(t) => write!(f, "{:?}", String::from_utf8_lossy(t)),
            V::Blob(b) => {
                write!(f, "x'")?;
                for x in b.iter().take(16) {
                    write!(f, "{x:02x}")?;
                }
                if b.len() > 16 {
                    write!(f, "...({} bytes)", b.len())?;
                }
                write!(f, "'")
            }
        }
    }
}

impl ToSql for V {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            V::Null => ValueRef::Null,
            V::Int(i) => ValueRef::Integer(*i),
            V::Real(b) => ValueRef::Real(f64::from_bits(*b)),
            V::Text(t) => ValueRef::Text(t),
            V::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// A query's result: column names and rows, rows sorted (compared as multisets).
#[derive(Clone, PartialEq, Debug)]
struct Dump {
    columns: Vec<String>,
    rows: Vec<Vec<V>>,
}

fn query(conn: &Connection, sql: &str, params: &[&dyn ToSql]) -> Result<Dump, String> {
    let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
    let columns: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let n = columns.len();
    let mut rows = Vec::new();
    let mut rs = stmt.query(params).map_err(|e| e.to_string())?;
    while let Some(r) = rs.next().map_err(|e| e.to_string())? {
        rows.push((0..n).map(|i| V::of(r.get_ref(i).unwrap())).collect());
    }
    rows.sort();
    Ok(Dump { columns, rows })
}

fn rows(conn: &Connection, sql: &str, params: &[&dyn ToSql]) -> Vec<Vec<V>> {
    query(conn, sql, params)
        .unwrap_or_else(|e| panic!("test query failed: {sql}: {e}"))
        .rows
}

/// Says how two dumps differ (a few rows each way).
fn dump_diff(got: &Dump, want: &Dump) -> String {
    if got.columns != want.columns {
        return format!("columns {:?}, expected {:?}", got.columns, want.columns);
    }
    let mut want_left: BTreeMap<&Vec<V>, usize> = BTreeMap::new();
    for r in &want.rows {
        *want_left.entry(r).or_default() += 1;
    }
    let mut extra = Vec::new();
    for r in &got.rows {
        match want_left.get_mut(r) {
            Some(n) if *n > 0 => *n -= 1,
            _ => extra.push(r),
        }
    }
    let missing: Vec<&Vec<V>> = want_left
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(r, _)| *r)
        .collect();
    format!(
        "{} rows (expected {}); {} unexpected, e.g. {:?}; {} missing, e.g. {:?}",
        got.rows.len(),
        want.rows.len(),
        extra.len(),
        extra.iter().take(3).collect::<Vec<_>>(),
        missing.len(),
        missing.iter().take(3).collect::<Vec<_>>()
    )
}

// ---------------------------------------------------------------------------------------------
// Snapshots

#[derive(Clone, PartialEq, Debug)]
struct TableMeta {
    /// (type, ncol, wr, strict) from `pragma_table_list`.
    list: Vec<V>,
    xinfo: Vec<Vec<V>>,
    fks: Vec<Vec<V>>,
    /// index name -> (unique, origin, partial), index_xinfo rows.
    indexes: BTreeMap<String, (Vec<V>, Vec<Vec<V>>)>,
}

/// Everything observable about a database that a change must keep.
#[derive(Clone, Debug)]
struct Snap {
    /// (type, name) -> (tbl_name, sql) for every row of sqlite_schema.
    objects: BTreeMap<(String, String), (String, Option<String>)>,
    /// Every ordinary and shadow table (and sqlite_sequence): all rows, rowid first.
    tables: BTreeMap<String, Dump>,
    meta: BTreeMap<String, TableMeta>,
    views: BTreeMap<String, Result<Dump, String>>,
    /// Virtual tables: their rows, and FTS5 integrity-check results.
    virtuals: BTreeMap<String, Result<Dump, String>>,
    probes: Vec<(String, Result<Dump, String>)>,
    fk: BTreeSet<Vec<V>>,
    integrity: Vec<String>,
}

fn snapshot(path: &Path, probes: &[&str]) -> Snap {
    let conn = Connection::open(path).unwrap();
    let mut objects = BTreeMap::new();
    for r in rows(
        &conn,
        "SELECT type, name, tbl_name, sql FROM main.sqlite_schema",
        &[],
    ) {
        let sql = match &r[3] {
            V::Null => None,
            v => Some(v.as_str()),
        };
        objects.insert((r[0].as_str(), r[1].as_str()), (r[2].as_str(), sql));
    }
    let list = rows(
        &conn,
        "SELECT name, type, ncol, wr, strict FROM pragma_table_list WHERE schema = 'main'",
        &[],
    );
    let mut tables = BTreeMap::new();
    let mut meta = BTreeMap::new();
    let mut views = BTreeMap::new();
    let mut virtuals = BTreeMap::new();
    for r in &list {
        let name = r[0].as_str();
        let kind = r[1].as_str();
        if name == "sqlite_schema" || name == "sqlite_master" {
            continue;
        }
        match kind.as_str() {
            "table" | "shadow" => {
                let xinfo = rows(
                    &conn,
                    "SELECT * FROM pragma_table_xinfo(?1, 'main')",
                    &[&name],
                );
                let cols: Vec<String> = xinfo.iter().map(|c| c[1].as_str()).collect();
                let rowid = if r[3] == V::Int(1) || name == "sqlite_sequence" {
                    None
                } else {
                    ["rowid", "_rowid_", "oid"]
                        .into_iter()
                        .find(|n| !cols.iter().any(|c| c.eq_ignore_ascii_case(n)))
                };
                let sql = match rowid {
                    Some(rid) => format!("SELECT {rid} AS \"(rowid)\", * FROM {}", q(&name)),
                    None => format!("SELECT * FROM {}", q(&name)),
                };
                let dump = query(&conn, &sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
                tables.insert(name.clone(), dump);
                let fks = rows(
                    &conn,
                    "SELECT * FROM pragma_foreign_key_list(?1, 'main') ORDER BY id, seq",
                    &[&name],
                );
                let mut indexes = BTreeMap::new();
                for ix in rows(
                    &conn,
                    "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1, 'main')",
                    &[&name],
                ) {
                    let iname = ix[0].as_str();
                    let info = rows(
                        &conn,
                        "SELECT * FROM pragma_index_xinfo(?1, 'main') ORDER BY seqno",
                        &[&iname],
                    );
                    indexes.insert(iname, (ix[1..].to_vec(), info));
                }
                meta.insert(
                    name,
                    TableMeta {
                        list: r[1..].to_vec(),
                        xinfo,
                        fks,
                        indexes,
                    },
                );
            }
            "view" => {
                views.insert(
                    name.clone(),
                    query(&conn, &format!("SELECT * FROM {}", q(&name)), &[]),
                );
            }
            "virtual" => {
                virtuals.insert(
                    name.clone(),
                    query(&conn, &format!("SELECT rowid, * FROM {}", q(&name)), &[]),
                );
                let sql = objects
                    .get(&("table".to_string(), name.clone()))
                    .and_then(|o| o.1.clone())
                    .unwrap_or_default();
                if sql.to_ascii_lowercase().contains("fts5") {
                    let check = conn
                        .execute(
                            &format!("INSERT INTO {0}({0}) VALUES ('integrity-check')", q(&name)),
                            [],
                        )
                        .map(|_| Dump {
                            columns: vec![],
                            rows: vec![],
                        })
                        .map_err(|e| e.to_string());
                    virtuals.insert(format!("{name} (fts5 integrity-check)"), check);
                }
            }
            _ => {}
        }
    }
    let probes = probes
        .iter()
        .map(|p| (p.to_string(), query(&conn, p, &[])))
        .collect();
    let fk = rows(&conn, "PRAGMA foreign_key_check", &[])
        .into_iter()
        .collect();
    let integrity = rows(&conn, "PRAGMA integrity_check", &[])
        .into_iter()
        .map(|r| r[0].as_str())
        .collect();
    Snap {
        objects,
        tables,
        meta,
        views,
        virtuals,
        probes,
        fk,
        integrity,
    }
}

// ---------------------------------------------------------------------------------------------
// Checks collected, so one run reports every problem

#[derive(Default)]
struct Checks {
    failures: Vec<String>,
}

impl Checks {
    fn fail(&mut self, msg: String) {
        eprintln!("FAIL: {msg}");
        self.failures.push(msg);
    }
    fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.fail(msg());
        }
    }
    fn finish(self, what: &str) {
        if !self.failures.is_empty() {
            panic!(
                "{what}: {} check(s) failed:\n- {}",
                self.failures.len(),
                self.failures.join("\n- ")
            );
        }
    }
}

/// Compares two snapshots key by key. `skip_table_sql` names a table whose own CREATE TABLE
/// text is checked elsewhere.
fn compare(ck: &mut Checks, label: &str, got: &Snap, want: &Snap, skip_table_sql: Option<&str>) {
    // sqlite_schema: every object, byte for byte.
    let keys: BTreeSet<&(String, String)> = got.objects.keys().chain(want.objects.keys()).collect();
    for k in keys {
        if skip_table_sql.is_some_and(|t| k.0 == "table" && k.1 == t) {
            ck.check(got.objects.contains_key(k), || {
                format!("{label}: table {} is gone", k.1)
            });
            continue;
        }
        match (got.objects.get(k), want.objects.get(k)) {
            (Some(g), Some(w)) => ck.check(g == w, || {
                format!(
                    "{label}: {} {:?} changed:\n    got:      {:?}\n    expected: {:?}",
                    k.0, k.1, g, w
                )
            }),
            (None, Some(_)) => ck.fail(format!("{label}: {} {:?} is missing", k.0, k.1)),
            (Some(g), None) => ck.fail(format!("{label}: unexpected {} {:?}: {:?}", k.0, k.1, g)),
            (None, None) => unreachable!(),
        }
    }
    // Rows of every table.
    let names: BTreeSet<&String> = got.tables.keys().chain(want.tables.keys()).collect();
    for t in names {
        match (got.tables.get(t), want.tables.get(t)) {
            (Some(g), Some(w)) => ck.check(g == w, || {
                format!("{label}: rows of table {t:?} differ: {}", dump_diff(g, w))
            }),
            (g, _) => ck.fail(format!(
                "{label}: table {t:?} {}",
                if g.is_some() { "unexpected" } else { "missing" }
            )),
        }
    }
    // Table structure as SQLite reports it.
    for (t, w) in &want.meta {
        // A missing table is reported above.
        if let Some(g) = got.meta.get(t) {
            {
                ck.check(g.list == w.list, || {
                    format!(
                        "{label}: table {t:?} table_list {:?}, expected {:?}",
                        g.list, w.list
                    )
                });
                ck.check(g.xinfo == w.xinfo, || {
                    format!(
                        "{label}: table {t:?} columns {:?}, expected {:?}",
                        g.xinfo, w.xinfo
                    )
                });
                ck.check(g.fks == w.fks, || {
                    format!(
                        "{label}: table {t:?} foreign keys {:?}, expected {:?}",
                        g.fks, w.fks
                    )
                });
                ck.check(g.indexes == w.indexes, || {
                    format!(
                        "{label}: table {t:?} indexes {:?}, expected {:?}",
                        g.indexes, w.indexes
                    )
                });
            }
        }
    }
    // Views: compile and return the same rows.
    let names: BTreeSet<&String> = got.views.keys().chain(want.views.keys()).collect();
    for v in names {
        let (g, w) = (got.views.get(v), want.views.get(v));
        ck.check(g == w, || match (g, w) {
            (Some(Ok(g)), Some(Ok(w))) => {
                format!(
                    "{label}: view {v:?} returns other rows: {}",
                    dump_diff(g, w)
                )
            }
            _ => format!("{label}: view {v:?}: {g:?}, expected {w:?}"),
        });
    }
    for (k, w) in &want.virtuals {
        let g = got.virtuals.get(k);
        ck.check(g == Some(w), || match (g, w) {
            (Some(Ok(g)), Ok(w)) => {
                format!("{label}: virtual table {k:?} differs: {}", dump_diff(g, w))
            }
            _ => format!("{label}: virtual table {k:?}: {g:?}, expected {w:?}"),
        });
    }
    for ((p, g), (_, w)) in got.probes.iter().zip(&want.probes) {
        ck.check(g == w, || {
            format!("{label}: probe `{p}`: {g:?}, expected {w:?}")
        });
    }
    let new: Vec<&Vec<V>> = got.fk.difference(&want.fk).collect();
    ck.check(new.is_empty(), || {
        format!("{label}: new foreign key violations: {new:?}")
    });
    ck.check(got.integrity == ["ok"], || {
        format!("{label}: integrity_check: {:?}", got.integrity)
    });
}

// ---------------------------------------------------------------------------------------------
// Changes

#[derive(Clone, Copy, Debug)]
struct Change {
    table: &'static str,
    /// Native rename in run 1.
    rename1: Option<(&'static str, &'static str)>,
    /// Native rename in run 2 (planned together with the rebuild).
    rename2: Option<(&'static str, &'static str)>,
    /// `ALTER COLUMN c TYPE t` in run 2.
    retype: Option<(&'static str, &'static str)>,
}

fn ch(table: &'static str) -> Change {
    Change {
        table,
        rename1: None,
        rename2: None,
        retype: None,
    }
}

impl Change {
    fn r1(mut self, from: &'static str, to: &'static str) -> Self {
        self.rename1 = Some((from, to));
        self
    }
    fn r2(mut self, from: &'static str, to: &'static str) -> Self {
        self.rename2 = Some((from, to));
        self
    }
    fn ty(mut self, col: &'static str, ty: &'static str) -> Self {
        self.retype = Some((col, ty));
        self
    }
}

fn rename_sql(t: &str, (a, b): (&str, &str)) -> String {
    format!("ALTER TABLE {} RENAME COLUMN {} TO {};\n", q(t), q(a), q(b))
}

/// A database under test: its file (a temporary copy) and how to look at it.
struct Target<'a> {
    label: &'a str,
    dir: &'a Path,
    path: PathBuf,
    probes: &'a [&'a str],
    /// Every view must compile (false where views call app-defined functions).
    views_compile: bool,
}

fn copy_db(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
    let mut perm = std::fs::metadata(to).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(to, perm).unwrap();
}

/// SQLite itself, on a copy of the target: the oracle for native statements.
fn oracle(t: &Target, native_sql: &str) -> Snap {
    let path = t.dir.join("oracle.db");
    let _ = std::fs::remove_file(&path);
    copy_db(&t.path, &path);
    if !native_sql.is_empty() {
        let conn = Connection::open(&path).unwrap();
        let before = view_columns(&conn);
        conn.execute_batch(native_sql).unwrap_or_else(|e| {
            panic!(
                "{}: SQLite itself rejects the native statements (test expectation wrong): {e}\n{native_sql}",
                t.label
            )
        });
        keep_view_names(&conn, &before);
    }
    snapshot(&path, t.probes)
}

/// Each view's output column names.
fn view_columns(conn: &Connection) -> Vec<(String, Vec<String>)> {
    let names = |sql: &str, arg: Option<&str>| -> Vec<String> {
        let mut st = conn.prepare(sql).unwrap();
        let mapped: rusqlite::Result<Vec<String>> = match arg {
            Some(a) => st.query_map([a], |r| r.get(0)).unwrap().collect(),
            None => st.query_map([], |r| r.get(0)).unwrap().collect(),
        };
        mapped.unwrap_or_default() // a view that does not compile has no columns
    };
    names(
        "SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY rowid",
        None,
    )
    .into_iter()
    .map(|v| {
        let cols = names("SELECT name FROM pragma_table_info(?1)", Some(&v));
        (v, cols)
    })
    .collect()
}

/// What kit documents for a RENAME COLUMN (quirk 87): views keep their column names, as on
/// PostgreSQL. Applied to the oracle after SQLite's own rename: a view whose names changed is
/// made again with its old names as a column list (the rewritten SELECT kept).
fn keep_view_names(conn: &Connection, before: &[(String, Vec<String>)]) {
    for (v, (name, cols)) in view_columns(conn).into_iter().zip(before) {
        if v.1 == *cols || v.0 != *name || v.1.len() != cols.len() {
            continue;
        }
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE name = ?1",
                [&v.0],
                |r| r.get(0),
            )
            .unwrap();
        let toks = kit::sql::lex(&sql).unwrap();
        let at = toks.iter().position(|t| t.is_kw(&sql, "as")).unwrap();
        let select = sql[toks[at + 1].start..].trim();
        let sel = kit::sql::lex(select).unwrap();
        let from = sel.iter().position(|t| t.is_kw(select, "from"));
        let list_toks = &sel[1..from.unwrap_or(sel.len())];
        let create = if list_toks.len() == 1 && list_toks[0].is_punct(select, "*") {
            // `SELECT * FROM t`: the star written out, new names aliased to the old.
            let table = sel[from.unwrap() + 1].ident(select).unwrap();
            let now: Vec<String> = view_columns(conn)
                .into_iter()
                .find(|(n, _)| *n == v.0)
                .map(|(_, c)| c)
                .unwrap();
            let _ = table;
            let items: Vec<String> = now
                .iter()
                .zip(cols)
                .map(|(n, o)| {
                    if n == o {
                        q(n)
                    } else {
                        format!("{} AS {}", q(n), q(o))
                    }
                })
                .collect();
            let star = list_toks[0];
            format!(
                "CREATE VIEW {} AS {}{}{}",
                q(&v.0),
                &select[..star.start],
                items.join(", "),
                &select[star.end..]
            )
        } else if list_toks
            .windows(2)
            .any(|w| w[1].is_punct(select, "*") && w[0].is_punct(select, "."))
        {
            continue; // `t.*` in a join: kit leaves it as SQLite has it
        } else {
            let list: Vec<String> = cols.iter().map(|c| q(c)).collect();
            format!("CREATE VIEW {}({}) AS {select}", q(&v.0), list.join(", "))
        };
        conn.execute_batch(&format!("DROP VIEW {}; {create}", q(&v.0)))
            .unwrap();
    }
}

/// Plans and applies `sql` with kit. `rebuild`: the one table that must be rebuilt, or `None`
/// for a plan without rebuilds.
fn kit_run(ck: &mut Checks, label: &str, path: &Path, sql: &str, rebuild: Option<&str>) -> bool {
    let mut conn = match kit::open(path) {
        Ok(c) => c,
        Err(e) => {
            ck.fail(format!("{label}: kit::open: {e}"));
            return false;
        }
    };
    let plan = match kit::plan_sql(&conn, sql) {
        Ok(p) => p,
        Err(e) => {
            ck.fail(format!(
                "{label}: kit refuses to plan:\n{sql}\n  error: {e}"
            ));
            return false;
        }
    };
    match rebuild {
        None => ck.check(
            plan.steps.iter().all(|s| s.path != StepPath::Rebuild),
            || {
                format!(
                    "{label}: expected a plan without rebuilds:\n{}",
                    plan.script().join("\n")
                )
            },
        ),
        Some(t) => ck.check(plan.rebuilt_tables() == [t], || {
            format!(
                "{label}: expected exactly one rebuild, of {t:?}; plan:\n{}",
                plan.script().join("\n")
            )
        }),
    }
    let t0 = Instant::now();
    match kit::apply(&mut conn, &plan) {
        Ok(summary) => {
            if let Some(t) = rebuild {
                let step = summary
                    .steps
                    .iter()
                    .find(|s| s.path == StepPath::Rebuild)
                    .map(|s| format!("{:?}, {} rows copied", s.elapsed, s.rows_copied))
                    .unwrap_or_default();
                eprintln!(
                    "timing: {label}: rebuild of {t:?}: step {step}; apply {:?} (wall {:?})",
                    summary.elapsed,
                    t0.elapsed()
                );
            }
        }
        Err(e) => {
            ck.fail(format!("{label}: kit fails to apply:\n{sql}\n  error: {e}"));
            return false;
        }
    }
    drop(conn);
    let conn = Connection::open(path).unwrap();
    if let Err(e) = kit::read_schema(&conn) {
        ck.fail(format!("{label}: kit cannot read the schema it left: {e}"));
    }
    true
}

/// Values as the new declared type stores them (SQLite's affinity, or STRICT coercion).
fn with_affinity(ty: &str, strict: bool, vals: &[V]) -> Vec<V> {
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch(&format!(
        "CREATE TABLE a(x {ty}){}",
        if strict { " STRICT" } else { "" }
    ))
    .unwrap();
    vals.iter()
        .map(|v| {
            c.execute("DELETE FROM a", []).unwrap();
            c.execute("INSERT INTO a VALUES (?1)", [v]).unwrap();
            c.query_row("SELECT x FROM a", [], |r| Ok(V::of(r.get_ref(0)?)))
                .unwrap()
        })
        .collect()
}

/// Comments (`--` and `/* */`) of a SQL text, in order, skipping quoted text.
fn comments(sql: &str) -> Vec<&str> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'[' => {
                while i < b.len() && b[i] != b']' {
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                let s = i;
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                out.push(&sql[s..i]);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let s = i;
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i = (i + 2).min(b.len());
                out.push(&sql[s..i]);
            }
            _ => i += 1,
        }
    }
    out
}

/// Checks the rebuilt table's CREATE TABLE text against the one it replaced: every piece the
/// change does not touch keeps its text; the retyped column has the new type; `kit_x` is last.
fn check_table_sql(
    ck: &mut Checks,
    label: &str,
    old_sql: &str,
    new_sql: &str,
    retype: Option<(&str, &str)>,
) {
    let ctx = || format!("\n    old: {old_sql}\n    new: {new_sql}");
    let (old, new) = match (parse_create_table(old_sql), parse_create_table(new_sql)) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => {
            ck.fail(format!(
                "{label}: kit cannot parse a definition: old {:?}, new {:?}{}",
                o.err().map(|e| e.message),
                n.err().map(|e| e.message),
                ctx()
            ));
            return;
        }
    };
    ck.check(old.head == new.head, || {
        format!("{label}: table head changed{}", ctx())
    });
    ck.check(old.tail == new.tail, || {
        format!("{label}: table tail changed{}", ctx())
    });
    ck.check(old.trailing == new.trailing, || {
        format!("{label}: text before ')' changed{}", ctx())
    });
    let texts = |t: &kit::schema::Table| -> Vec<(String, String)> {
        t.constraints
            .iter()
            .map(|c| (c.leading.clone(), c.text.clone()))
            .collect()
    };
    ck.check(texts(&old) == texts(&new), || {
        format!("{label}: table constraints changed{}", ctx())
    });
    if new.columns.len() != old.columns.len() + 1 {
        ck.fail(format!("{label}: expected one more column{}", ctx()));
        return;
    }
    for (o, n) in old.columns.iter().zip(&new.columns) {
        ck.check(o.leading == n.leading, || {
            format!("{label}: text before column {:?} changed{}", o.name, ctx())
        });
        if retype.is_some_and(|(c, _)| c.eq_ignore_ascii_case(&o.name)) {
            let ty = retype.unwrap().1;
            let ctexts = |c: &kit::schema::Column| -> Vec<String> {
                c.constraints.iter().map(|k| k.text.clone()).collect()
            };
            ck.check(
                n.name == o.name && n.type_text == ty && ctexts(o) == ctexts(n),
                || {
                    format!(
                        "{label}: retyped column {:?} is not as intended{}",
                        o.name,
                        ctx()
                    )
                },
            );
        } else {
            ck.check(o.render() == n.render(), || {
                format!(
                    "{label}: untouched column {:?} changed: {:?} -> {:?}{}",
                    o.name,
                    o.render(),
                    n.render(),
                    ctx()
                )
            });
        }
    }
    let last = new.columns.last().unwrap();
    ck.check(
        last.name == "kit_x" && last.type_text == "INTEGER" && last.default() == Some("(1+1)"),
        || format!("{label}: added column is not as written{}", ctx()),
    );
    ck.check(comments(old_sql) == comments(new_sql), || {
        format!(
            "{label}: comments changed: {:?} -> {:?}{}",
            comments(old_sql),
            comments(new_sql),
            ctx()
        )
    });
}

/// The expected state after run 2: the oracle (native part done by SQLite) plus the retype and
/// the new column. Views of `got` lose their `kit_x` columns (from `SELECT *`).
fn expect_rebuilt(
    oracle: &Snap,
    got: &Snap,
    table: &str,
    retype: Option<(&str, &str)>,
) -> (Snap, Snap) {
    let mut want = oracle.clone();
    let strict = want.meta.get(table).is_some_and(|m| m.list[3] == V::Int(1));
    if let Some(d) = want.tables.get_mut(table) {
        if let Some((col, ty)) = retype {
            match d.columns.iter().position(|c| c.eq_ignore_ascii_case(col)) {
                Some(i) => {
                    let vals: Vec<V> = d.rows.iter().map(|r| r[i].clone()).collect();
                    for (r, v) in d.rows.iter_mut().zip(with_affinity(ty, strict, &vals)) {
                        r[i] = v;
                    }
                }
                None => panic!("test expectation wrong: {table} has no column {col}"),
            }
        }
        d.columns.push("kit_x".into());
        for r in &mut d.rows {
            r.push(V::Int(2));
        }
        d.rows.sort();
    }
    if let Some(m) = want.meta.get_mut(table) {
        if let V::Int(n) = m.list[1] {
            m.list[1] = V::Int(n + 1);
        }
        if let Some((col, ty)) = retype {
            for c in &mut m.xinfo {
                if c[1].as_str().eq_ignore_ascii_case(col) {
                    c[2] = V::text(ty);
                }
            }
        }
        let cid = m.xinfo.len() as i64;
        // A WITHOUT ROWID table's primary key index holds every column.
        if m.list[2] == V::Int(1) {
            for (_, (list, info)) in m.indexes.iter_mut() {
                if list[1] == V::text("pk") {
                    let seq = info.len() as i64;
                    info.push(vec![
                        V::Int(seq),
                        V::Int(cid),
                        V::text("kit_x"),
                        V::Int(0),
                        V::text("BINARY"),
                        V::Int(0),
                    ]);
                }
            }
        }
        m.xinfo.push(vec![
            V::Int(cid),
            V::text("kit_x"),
            V::text("INTEGER"),
            V::Int(0),
            V::text("1+1"),
            V::Int(0),
            V::Int(0),
        ]);
    }
    let mut got = got.clone();
    strip_kit_x(&mut got);
    strip_kit_x(&mut want);
    (want, got)
}

/// Drops `kit_x` columns from view results (views with `SELECT *` gain them).
fn strip_kit_x(s: &mut Snap) {
    for d in s.views.values_mut().flatten() {
        let keep: Vec<usize> = (0..d.columns.len())
            .filter(|&i| d.columns[i] != "kit_x")
            .collect();
        if keep.len() != d.columns.len() {
            d.columns = keep.iter().map(|&i| d.columns[i].clone()).collect();
            for r in &mut d.rows {
                *r = keep.iter().map(|&i| r[i].clone()).collect();
            }
            d.rows.sort();
        }
    }
}

/// Runs both runs of one change on the target, checking each against its oracle.
fn run_change(ck: &mut Checks, t: &Target, c: Change) {
    let table = c.table;
    // Run 1: native only.
    let label = format!("{} / {table} / native", t.label);
    let mut sql1 = String::new();
    if let Some(r) = c.rename1 {
        sql1.push_str(&rename_sql(table, r));
    }
    sql1.push_str(&format!(
        "ALTER TABLE {} ADD COLUMN kit_n TEXT;\n",
        q(table)
    ));
    let want = oracle(t, &sql1);
    if kit_run(ck, &label, &t.path, &sql1, None) {
        let got = snapshot(&t.path, t.probes);
        compare(ck, &label, &got, &want, None);
        if t.views_compile {
            for (v, r) in &got.views {
                ck.check(r.is_ok(), || {
                    format!("{label}: view {v:?} does not work: {r:?}")
                });
            }
        }
    }

    // Run 2: rebuild (with an optional native rename planned in the same run).
    let label = format!("{} / {table} / rebuild", t.label);
    let mut native = String::new();
    if let Some(r) = c.rename2 {
        native.push_str(&rename_sql(table, r));
    }
    let mut sql2 = native.clone();
    if let Some((col, ty)) = c.retype {
        sql2.push_str(&format!(
            "ALTER TABLE {} ALTER COLUMN {} TYPE {ty};\n",
            q(table),
            q(col)
        ));
    }
    sql2.push_str(&format!(
        "ALTER TABLE {} ADD COLUMN kit_x INTEGER DEFAULT (1+1);\n",
        q(table)
    ));
    let oracle_snap = oracle(t, &native);
    if kit_run(ck, &label, &t.path, &sql2, Some(table)) {
        let got = snapshot(&t.path, t.probes);
        let (want, got_cmp) = expect_rebuilt(&oracle_snap, &got, table, c.retype);
        compare(ck, &label, &got_cmp, &want, Some(table));
        let key = ("table".to_string(), table.to_string());
        match (
            oracle_snap.objects.get(&key).and_then(|o| o.1.as_deref()),
            got.objects.get(&key).and_then(|o| o.1.as_deref()),
        ) {
            (Some(old), Some(new)) => check_table_sql(ck, &label, old, new, c.retype),
            other => ck.fail(format!("{label}: table definition missing: {other:?}")),
        }
        if t.views_compile {
            for (v, r) in &got.views {
                ck.check(r.is_ok(), || {
                    format!("{label}: view {v:?} does not work: {r:?}")
                });
            }
        }
    }
}

/// kit reads the whole schema, and sees every ordinary table SQLite lists.
fn check_read_schema(ck: &mut Checks, label: &str, path: &Path) {
    let conn = Connection::open(path).unwrap();
    let schema = match kit::read_schema(&conn) {
        Ok(s) => s,
        Err(e) => {
            ck.fail(format!("{label}: kit::read_schema fails: {e}"));
            return;
        }
    };
    let tables: BTreeSet<String> = rows(
        &conn,
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'",
        &[],
    )
    .into_iter()
    .map(|r| r[0].as_str())
    .collect();
    let ours: BTreeSet<String> = schema.tables.keys().cloned().collect();
    ck.check(tables == ours, || {
        format!("{label}: kit read tables {ours:?}, SQLite lists {tables:?}")
    });
    let views: BTreeSet<String> = rows(
        &conn,
        "SELECT name FROM sqlite_schema WHERE type = 'view'",
        &[],
    )
    .into_iter()
    .map(|r| r[0].as_str())
    .collect();
    ck.check(
        schema.views.keys().cloned().collect::<BTreeSet<_>>() == views,
        || {
            format!(
                "{label}: kit read views {:?}, SQLite lists {views:?}",
                schema.views.keys()
            )
        },
    );
    let triggers = rows(
        &conn,
        "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'",
        &[],
    );
    ck.check(
        V::Int(schema.triggers.len() as i64) == triggers[0][0],
        || {
            format!(
                "{label}: kit read {} triggers, SQLite has {:?}",
                schema.triggers.len(),
                triggers
            )
        },
    );
}

/// Statements that must still fail with a trigger's RAISE message, run and rolled back.
fn check_raises(ck: &mut Checks, label: &str, path: &Path, raises: &[(&str, &str)]) {
    let conn = Connection::open(path).unwrap();
    for (sql, msg) in raises {
        conn.execute_batch("SAVEPOINT probe").unwrap();
        let r = conn.execute_batch(sql);
        conn.execute_batch("ROLLBACK TO probe; RELEASE probe")
            .unwrap();
        ck.check(matches!(&r, Err(e) if e.to_string().contains(msg)), || {
            format!("{label}: `{sql}` should fail with {msg:?}, got {r:?}")
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Databases

fn run_db(file: &str, changes: &[Change], probes: &[&str]) {
    let src = realworld().join("dbs").join(file);
    assert!(src.is_file(), "missing {}", src.display());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    copy_db(&src, &path);
    let mut ck = Checks::default();
    check_read_schema(&mut ck, file, &path);
    let t = Target {
        label: file,
        dir: dir.path(),
        path: path.clone(),
        probes,
        views_compile: true,
    };
    let before = snapshot(&path, probes);
    for (v, r) in &before.views {
        assert!(
            r.is_ok(),
            "{file}: view {v:?} does not work before any change: {r:?}"
        );
    }
    for c in changes {
        run_change(&mut ck, &t, *c);
    }
    // Over all changes: nothing new among foreign key violations, and every row of every
    // table that was not changed is still there.
    let after = snapshot(&path, probes);
    let new: Vec<&Vec<V>> = after.fk.difference(&before.fk).collect();
    ck.check(new.is_empty(), || {
        format!("{file}: new foreign key violations overall: {new:?}")
    });
    let changed: BTreeSet<&str> = changes.iter().map(|c| c.table).collect();
    for (name, d) in &before.tables {
        if changed.contains(name.as_str()) {
            continue;
        }
        ck.check(after.tables.get(name) == Some(d), || {
            format!("{file}: table {name:?} changed overall")
        });
    }
    ck.finish(file);
}

#[test]
fn db_chinook() {
    run_db(
        "Chinook_Sqlite_AutoIncrementPKs.sqlite",
        &[
            // AUTOINCREMENT, child of three parents, parent of two children.
            ch("Track")
                .r1("Composer", "kit_Composer")
                .ty("UnitPrice", "TEXT"),
            // Parent table (Album.ArtistId references it).
            ch("Artist").ty("Name", "TEXT"),
            ch("Invoice")
                .r2("BillingCity", "kit_BillingCity")
                .ty("Total", "TEXT"),
            // Self-referencing foreign key.
            ch("Employee").ty("Title", "TEXT"),
            // Composite primary key, no rowid alias: rowids must survive.
            ch("PlaylistTrack"),
        ],
        &[],
    );
}

#[test]
fn db_northwind() {
    run_db(
        "northwind.db",
        &[
            // Spaced name, CHECKs, composite key, used by several views.
            ch("Order Details")
                .r1("Discount", "kit_Discount")
                .ty("UnitPrice", "DECIMAL(10,2)"),
            // AUTOINCREMENT, used by many views.
            ch("Orders")
                .r2("ShipName", "kit_ShipName")
                .ty("ShipCity", "VARCHAR(60)"),
            // Views with `Products.*` and `p.*`.
            ch("Products").ty("QuantityPerUnit", "VARCHAR(20)"),
            // Parent of Products, BLOB column, renamed column used by a view.
            ch("Categories")
                .r1("Description", "kit_Description")
                .ty("CategoryName", "NVARCHAR(15)"),
            // Text primary key referenced by Orders and CustomerCustomerDemo.
            ch("Customers").ty("Fax", "VARCHAR(24)"),
        ],
        &[],
    );
}

#[test]
fn db_sakila() {
    run_db(
        "sakila.db",
        &[
            // Named CHECKs, triggers, view film_list, parent of three tables.
            ch("film")
                .r1("release_year", "kit_release_year")
                .ty("description", "TEXT"),
            // Triggers, view customer_list (renamed column used in it).
            ch("customer")
                .r2("first_name", "kit_first_name")
                .ty("email", "TEXT"),
            // 16k rows, ON DELETE SET NULL / ON UPDATE CASCADE foreign keys.
            ch("payment").ty("payment_date", "TEXT"),
            // 16k rows, multi-column unique index, parent of payment.
            ch("rental").ty("return_date", "TEXT"),
            // Composite key, triggers.
            ch("film_actor"),
            // staff and store reference each other.
            ch("staff").ty("picture", "LONGBLOB"),
        ],
        &[],
    );
}

const DATASETTE_PROBES: &[&str] = &[
    "SELECT rowid, * FROM searchable_fts WHERE searchable_fts MATCH 'dog'",
    "SELECT rowid FROM searchable_fts WHERE searchable_fts MATCH 'weasel OR panther'",
    "SELECT s.pk, snippet(searchable_fts, 0, '[', ']', '...', 5) FROM searchable_fts \
     JOIN searchable s ON s.pk = searchable_fts.rowid WHERE searchable_fts MATCH 'cat'",
];

#[test]
fn db_datasette_fixtures() {
    run_db(
        "datasette-fixtures.db",
        &[
            // External content of an FTS5 table, `SELECT *` views, child searchable_tags.
            ch("searchable").ty("text2", "TEXT"),
            // Keyword names; no rowid alias.
            ch("select")
                .r1("and", "kit_and")
                .ty("having", "VARCHAR(10)"),
            ch("Table With Space In Name").ty("content", "TEXT"),
            ch("table/with/slashes.csv").ty("content", "TEXT"),
            // Untyped column: its values change affinity; foreign key to facet_cities.
            ch("facetable")
                .r2("n", "kit_rn")
                .ty("distinct_some_null", "TEXT"),
            // Parent of complex_foreign_keys (three FKs); renamed column used by simple_view.
            ch("simple_primary_key")
                .r1("content", "kit_content")
                .ty("kit_content", "TEXT"),
            // Infinity values.
            ch("infinity").ty("value", "TEXT"),
            // Blobs under TEXT affinity stay blobs.
            ch("binary_data").ty("data", "TEXT"),
            ch("123_starts_with_digits").ty("content", "TEXT"),
            ch("compound_three_primary_keys").ty("content", "VARCHAR(100)"),
            ch("roadside_attraction_characteristics"),
            ch("tags"),
        ],
        DATASETTE_PROBES,
    );
}

#[test]
fn db_vaultwarden() {
    run_db(
        "vaultwarden-migrated.db",
        &[
            // Parent of most tables; columns added natively over the years.
            ch("users")
                .r1("avatar_color", "kit_avatar_color")
                .ty("name", "VARCHAR(255)"),
            ch("ciphers").r2("key", "kit_key").ty("notes", "TEXT"),
            // Tab-indented, composite key.
            ch("devices").ty("name", "VARCHAR(100)"),
            ch("twofactor").ty("data", "TEXT"),
            // DEFAULT CURRENT_TIMESTAMP, ON UPDATE CASCADE.
            ch("sso_users").ty("created_at", "DATETIME"),
            ch("archives"),
        ],
        &[],
    );
}

// ---------------------------------------------------------------------------------------------
// Schemas

struct SchemaGroup {
    label: &'static str,
    /// Files loaded in order into one database (paths under schemas/).
    files: &'static [&'static str],
    /// Files that cannot be loaded in bundled SQLite, with the reason.
    skip: &'static [(&'static str, &'static str)],
    /// Attach a scratch database under this name before loading (for files written for one).
    attach: Option<&'static str>,
    /// Rows inserted afterwards on a fresh connection (temp triggers gone).
    seed: &'static str,
    changes: Vec<Change>,
    probes: &'static [&'static str],
    /// Statements that must keep failing with a trigger's RAISE message.
    raises: &'static [(&'static str, &'static str)],
    views_compile: bool,
}

const fn c(table: &'static str) -> Change {
    Change {
        table,
        rename1: None,
        rename2: None,
        retype: None,
    }
}
const fn c1(
    table: &'static str,
    r1: (&'static str, &'static str),
    ty: (&'static str, &'static str),
) -> Change {
    Change {
        table,
        rename1: Some(r1),
        rename2: None,
        retype: Some(ty),
    }
}
const fn c2(
    table: &'static str,
    r2: (&'static str, &'static str),
    ty: (&'static str, &'static str),
) -> Change {
    Change {
        table,
        rename1: None,
        rename2: Some(r2),
        retype: Some(ty),
    }
}
const fn ct(table: &'static str, ty: (&'static str, &'static str)) -> Change {
    Change {
        table,
        rename1: None,
        rename2: None,
        retype: Some(ty),
    }
}

fn schema_groups() -> Vec<SchemaGroup> {
    vec![
        SchemaGroup {
            label: "syncthing_folder",
            files: &["syncthing_folder_schema.sql"],
            skip: &[],
            attach: None,
            seed: "INSERT INTO devices (device_id) VALUES ('LOCAL'), ('REMOTE');
                   INSERT INTO file_names (idx, name) VALUES (1, 'a.txt'), (2, 'b/c.txt');
                   INSERT INTO file_versions (idx, version) VALUES (1, 'v1'), (2, 'v2');
                   INSERT INTO files (device_idx, remote_sequence, name_idx, type, modified, size,
                                      version_idx, deleted, local_flags, blocklist_hash)
                     VALUES (1, NULL, 1, 0, 1700000000000000000, 10, 1, 0, 0, x'00ff'),
                            (2, 7, 2, 0, 1700000000000000001, 20, 2, 0, 1, NULL),
                            (2, 8, 1, 0, 1700000000000000002, 30, 1, 1, 0, NULL);
                   DELETE FROM files WHERE sequence = 2;
                   INSERT INTO fileinfos (sequence, fiprotobuf) VALUES (1, x'0a01'), (3, x'0a02');
                   INSERT INTO mtimes (name, ondisk, virtual) VALUES ('a.txt', 1, 2);
                   INSERT INTO kv (key, value) VALUES ('k', x'01');",
            changes: vec![
                // STRICT, AUTOINCREMENT, partial unique index and triggers using the renamed
                // column, triggers that write to other tables.
                c1("files", ("remote_sequence", "kit_remote_sequence"), ("blocklist_hash", "ANY")),
                // STRICT, WITHOUT ROWID.
                ct("indexids", ("index_id", "ANY")),
                ct("counts", ("size", "INT")),
                // A column named `virtual`.
                ct("mtimes", ("ondisk", "INT")),
                ct("kv", ("value", "ANY")),
            ],
            probes: &[],
            raises: &[],
            views_compile: true,
        },
        SchemaGroup {
            label: "syncthing_main",
            files: &["syncthing_main_schema.sql"],
            skip: &[],
            attach: None,
            seed: "INSERT INTO folders (folder_id, database_name) VALUES ('default', 'folder.0001.db'), ('other', NULL);
                   INSERT INTO schemamigrations VALUES (1, 1700000000, 'v2.0.0');
                   INSERT INTO kv (key, value) VALUES ('k', x'01');",
            changes: vec![
                // A `-- comment` after the last column; a partial index on the renamed column.
                c1("folders", ("database_name", "dbname"), ("dbname", "ANY")),
                // `-- comment` after a comma.
                ct("schemamigrations", ("syncthing_version", "TEXT")),
                // STRICT, WITHOUT ROWID.
                ct("kv", ("value", "ANY")),
            ],
            probes: &[],
            raises: &[],
            views_compile: true,
        },
        SchemaGroup {
            label: "firefox_places",
            files: &[
                "firefox-appservices/places_create_shared_schema.sql",
                "firefox-appservices/places_create_shared_temp_tables.sql",
                "firefox-appservices/places_create_shared_triggers.sql",
                "firefox-appservices/places_create_main_triggers.sql",
            ],
            skip: &[(
                "firefox-appservices/places_create_shared_triggers.sql",
                "it is a Rust format! template: `{decrease_frecency_stats}` and \
                 `{increase_frecency_stats}` are filled in by application-services at runtime",
            )],
            attach: None,
            seed: "INSERT INTO moz_origins (id, prefix, host, rev_host, frecency) VALUES (1, 'https://', 'example.com', 'moc.elpmaxe.', 1);
                   INSERT INTO moz_places (id, url, title, guid, origin_id, url_hash, frecency)
                     VALUES (1, 'https://example.com/', 'Example', 'guid_place_1', 1, 123, 50),
                            (2, 'https://example.com/b', NULL, 'guid_place_2', 1, 456, 10);
                   INSERT INTO moz_bookmarks (id, fk, type, parent, position, title, guid)
                     VALUES (1, NULL, 2, NULL, 0, 'root', 'root________'),
                            (2, 1, 1, 1, 0, 'Ex', 'bookmark_001');
                   INSERT INTO moz_bookmarks_deleted VALUES ('gone________', 5);
                   INSERT INTO moz_tags (id, tag, lastModified) VALUES (1, 'news', 3);
                   INSERT INTO moz_tags_relation VALUES (1, 1);
                   INSERT INTO moz_meta VALUES ('version', 17), ('sync', 'abc');",
            changes: vec![
                // Parent of CASCADE, SET NULL and RESTRICT foreign keys; partial indexes on
                // the renamed column; comments between columns.
                c1("moz_places", ("hidden", "kit_hidden"), ("title", "TEXT")),
                ct("moz_bookmarks", ("title", "VARCHAR(255)")),
                // WITHOUT ROWID.
                c("moz_tags_relation"),
                ct("moz_bookmarks_deleted", ("dateRemoved", "INT")),
                // WITHOUT ROWID, untyped column whose values change affinity.
                ct("moz_meta", ("value", "TEXT")),
            ],
            probes: &[],
            raises: &[],
            views_compile: true,
        },
        SchemaGroup {
            label: "firefox_autofill",
            files: &[
                "firefox-appservices/autofill_create_shared_schema.sql",
                "firefox-appservices/autofill_create_shared_triggers.sql",
            ],
            skip: &[],
            attach: None,
            seed: "INSERT INTO addresses_data VALUES ('g1', 'n', 'o', 's', 'a3', 'a2', 'a1', 'p', 'c', '+15551234', 'e@x', 1, 2, 3, 4, 5);
                   INSERT INTO addresses_tombstones VALUES ('g2', 7);
                   INSERT INTO addresses_mirror VALUES ('g3', '{}');",
            changes: vec![
                // Comments after the commas.
                c1("addresses_data", ("email", "kit_email"), ("tel", "VARCHAR(20)")),
                // WITHOUT ROWID, CHECK on the key column.
                ct("addresses_tombstones", ("time_deleted", "INT")),
                // Comments after the last column.
                ct("addresses_mirror", ("payload", "TEXT")),
            ],
            probes: &[],
            raises: &[],
            views_compile: true,
        },
        SchemaGroup {
            label: "firefox_push",
            files: &["firefox-appservices/push_src_internal_storage_schema.sql"],
            skip: &[],
            attach: None,
            seed: "INSERT INTO push_record VALUES ('ch1', 'https://push/1', 'scope1', 'k', 1, NULL);
                   INSERT INTO meta_data VALUES ('uaid', 'x');",
            changes: vec![
                // `CREATE TABLE\nIF NOT EXISTS`, comments between columns, table CHECK.
                ct("push_record", ("app_server_key", "TEXT")),
                // Lower-case `without ROWID`, untyped column.
                c("meta_data"),
            ],
            probes: &[],
            raises: &[],
            views_compile: true,
        },
        SchemaGroup {
            label: "firefox_ios",
            files: &["firefox-appservices/testing_separated_places-tests_src_ios_schema.sql"],
            skip: &[],
            attach: None,
            seed: "INSERT INTO bookmarksBuffer (guid, type, server_modified, parentid, parentName, title)
                     VALUES ('b1', 1, 5, 'root', 'Root', 'One');
                   INSERT INTO bookmarksBufferStructure VALUES ('b1', 'c1', 0);
                   INSERT INTO bookmarksLocal (guid, type, parentid, parentName, title, faviconID)
                     VALUES ('l1', 1, 'root', 'Root', 'Local', 3);",
            changes: vec![
                // Quoted name, AUTOINCREMENT, named CHECKs, parent of an ON DELETE CASCADE.
                ct("bookmarksBuffer", ("title", "VARCHAR(255)")),
                // A comment that reads like a REFERENCES clause.
                c1("bookmarksLocal", ("faviconID", "kit_faviconID"), ("title", "VARCHAR(255)")),
            ],
            probes: &[],
            raises: &[],
            views_compile: true,
        },
        SchemaGroup {
            label: "firefox_webext",
            files: &["firefox-appservices/webext-storage_create_schema.sql"],
            skip: &[],
            attach: None,
            seed: "INSERT INTO storage_sync_data VALUES ('ext1', '{\"a\":1}', 1);
                   INSERT INTO storage_sync_mirror VALUES ('guid1', 'ext1', '{}'), ('guid2', NULL, NULL);
                   INSERT INTO meta VALUES ('k', 1);",
            changes: vec![
                ct("storage_sync_data", ("data", "TEXT")),
                // A CHECK after a comment and no comma: a constraint of column `data`.
                ct("storage_sync_mirror", ("data", "TEXT")),
                c("meta"),
            ],
            probes: &[],
            raises: &[],
            views_compile: true,
        },
        SchemaGroup {
            label: "zotero",
            files: &["zotero_schema.sql"],
            skip: &[],
            attach: None,
            seed: "INSERT INTO libraries (libraryID, type, editable, filesEditable) VALUES (1, 'user', 1, 1);
                   INSERT INTO items (itemID, itemTypeID, libraryID, key) VALUES (1, 1, 1, 'AAAA1111'), (2, 1, 1, 'BBBB2222');
                   INSERT INTO creators (creatorID, firstName, lastName, fieldMode) VALUES (1, 'Ada', 'Lovelace', 0), (2, '', 'Plato', 1);
                   INSERT INTO tags (tagID, name) VALUES (1, 'history'), (2, 'math');
                   INSERT INTO collections (collectionID, collectionName, libraryID, key) VALUES (1, 'Reading', 1, 'CCCC3333');
                   INSERT INTO collections (collectionID, collectionName, parentCollectionID, libraryID, key) VALUES (2, 'Sub', 1, 1, 'DDDD4444');
                   INSERT INTO collectionItems (collectionID, itemID, orderIndex) VALUES (1, 1, 0), (2, 2, 1);",
            changes: vec![
                // RAISE triggers on the table.
                ct("creators", ("lastNameNormalized", "VARCHAR(255)")),
                c1("tags", ("nameNormalized", "kit_nameNormalized"), ("name", "VARCHAR(255)")),
                // Self-referencing foreign key, RAISE triggers that read the table itself.
                ct("collections", ("collectionName", "VARCHAR(255)")),
                // RAISE triggers reading other tables.
                ct("collectionItems", ("orderIndex", "INTEGER")),
                // Parent of many tables; named by other tables' triggers.
                ct("items", ("synced", "INTEGER")),
            ],
            probes: &[],
            raises: &[
                ("INSERT INTO tags (tagID, name) VALUES (99, ' ')", "Tag cannot be blank"),
                ("UPDATE tags SET name = '' WHERE tagID = 1", "Tag cannot be blank"),
                (
                    "INSERT INTO creators (creatorID, firstName, lastName) VALUES (99, '', '')",
                    "Creator names cannot be empty",
                ),
                (
                    "INSERT INTO libraries (libraryID, type, editable, filesEditable) VALUES (2, 'group', 1, 1);
                     INSERT INTO collections (collectionID, collectionName, parentCollectionID, libraryID, key) VALUES (9, 'X', 1, 2, 'EEEE5555')",
                    "violates foreign key constraint \"fki_collections_parentCollectionID_libraryID\"",
                ),
            ],
            views_compile: true,
        },
        SchemaGroup {
            label: "gravity",
            files: &["gravity.db.sql"],
            skip: &[],
            attach: None,
            seed: "INSERT INTO domainlist (domain, type, comment) VALUES ('example.com', 0, 'allow'), ('ads.example', 1, NULL), ('^ad', 3, 'regex');
                   INSERT INTO adlist (address, comment) VALUES ('https://list.example/hosts', 'main');
                   INSERT INTO gravity (domain, adlist_id) VALUES ('tracker.example', 1);
                   INSERT INTO client (ip) VALUES ('10.0.0.2');",
            changes: vec![
                // A table named "group", with triggers; used by every view.
                c1("group", ("description", "kit_description"), ("enabled", "INTEGER")),
                ct("domainlist", ("comment", "VARCHAR(255)")),
                // `AFTER UPDATE OF address,enabled,comment`: the renamed column is in the list.
                c2("adlist", ("comment", "kit_comment"), ("address", "VARCHAR(255)")),
            ],
            probes: &[],
            raises: &[],
            views_compile: true,
        },
        SchemaGroup {
            label: "calibre",
            files: &[
                "calibre-6.13.0/metadata_sqlite.sql",
                "calibre-6.13.0/fts_sqlite.sql",
                "calibre-6.13.0/fts_triggers.sql",
            ],
            skip: &[(
                "calibre-6.13.0/fts_sqlite.sql",
                "its FTS5 tables use the tokenizer 'calibre', which only the calibre application registers",
            )],
            attach: Some("fts_db"),
            seed: "INSERT INTO books (title, isbn, lccn) VALUES ('A Book', '123', 'x'), ('Another', NULL, NULL);
                   INSERT INTO tags (name) VALUES ('fiction'), ('History');
                   INSERT INTO books_tags_link (book, tag) VALUES (1, 1), (2, 2);
                   INSERT INTO annotations (book, format, user_type, user, timestamp, annot_id, annot_type, annot_data, searchable_text)
                     VALUES (1, 'EPUB', 'local', 'me', 1.5, 'a1', 'highlight', '{}', 'hello world');",
            changes: vec![
                // Triggers calling app-defined functions; COLLATE NOCASE; DEFAULT \"\".
                c1("books", ("lccn", "kit_lccn"), ("isbn", "VARCHAR(32)")),
                // Index with COLLATE NOCASE on the retyped column.
                ct("tags", ("name", "VARCHAR(100)")),
                // External content of two FTS5 tables, kept in sync by triggers.
                ct("annotations", ("annot_data", "VARCHAR(1000)")),
            ],
            probes: &[
                "SELECT rowid FROM annotations_fts WHERE annotations_fts MATCH 'hello'",
                "SELECT rowid FROM annotations_fts_stemmed WHERE annotations_fts_stemmed MATCH 'worlds'",
            ],
            raises: &[],
            // Its views call app-defined functions (title_sort, concat, ...).
            views_compile: false,
        },
        SchemaGroup {
            label: "mediawiki",
            files: &["mediawiki-1.39.17_sqlite_tables.sql"],
            skip: &[],
            attach: None,
            seed: "INSERT INTO page (page_namespace, page_title, page_random, page_touched, page_latest, page_len)
                     VALUES (0, 'Main_Page', 0.5, '20240101000000', 1, 10);
                   INSERT INTO searchindex (rowid, si_title, si_text) VALUES (1, 'main page', 'welcome text');",
            changes: vec![
                // `/*_*/` in index definitions; AUTOINCREMENT; DOUBLE PRECISION.
                c1("page", ("page_lang", "kit_page_lang"), ("page_touched", "TEXT")),
                // Text primary key, row from the file itself.
                ct("updatelog", ("ul_value", "TEXT")),
            ],
            probes: &["SELECT rowid FROM searchindex WHERE searchindex MATCH 'welcome'"],
            raises: &[],
            views_compile: true,
        },
        SchemaGroup {
            label: "datasette_schema",
            files: &["datasette-fixtures_schema.sql"],
            skip: &[],
            attach: None,
            seed: "",
            changes: vec![
                ct("searchable", ("text2", "TEXT")),
                c1("select", ("and", "kit_and"), ("having", "VARCHAR(10)")),
            ],
            probes: &[],
            raises: &[],
            views_compile: true,
        },
        SchemaGroup {
            label: "vaultwarden_schema",
            files: &["vaultwarden_final_schema.sql"],
            skip: &[],
            attach: None,
            seed: "",
            changes: vec![
                ct("users", ("name", "VARCHAR(255)")),
                ct("devices", ("name", "VARCHAR(100)")),
            ],
            probes: &[],
            raises: &[],
            views_compile: true,
        },
    ]
}

fn run_schema_group(label: &str) {
    let groups = schema_groups();
    let g = groups
        .iter()
        .find(|g| g.label == label)
        .unwrap_or_else(|| panic!("no schema group {label}"));
    let root = realworld().join("schemas");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{label}.db"));
    let mut ck = Checks::default();
    {
        let conn = Connection::open(&path).unwrap();
        if let Some(name) = g.attach {
            let scratch = dir.path().join(format!("{name}.db"));
            conn.execute(
                &format!("ATTACH DATABASE ?1 AS {}", q(name)),
                [scratch.to_str().unwrap()],
            )
            .unwrap();
        }
        for f in g.files {
            let text = std::fs::read_to_string(root.join(f))
                .unwrap_or_else(|e| panic!("reading {f}: {e}"));
            let r = conn.execute_batch(&text);
            let skip = g.skip.iter().find(|(s, _)| s == f);
            match (r, skip) {
                (Ok(()), _) => {}
                (Err(e), Some((_, why))) => {
                    eprintln!(
                        "skipping {f}: it cannot load in bundled SQLite: {why} (SQLite: {e})"
                    );
                }
                (Err(e), None) => panic!("{label}: {f} does not load: {e}"),
            }
        }
    }
    {
        let conn = Connection::open(&path).unwrap();
        // The application's own functions, for triggers that the seed rows fire.
        let f = rusqlite::functions::FunctionFlags::SQLITE_UTF8;
        conn.create_scalar_function("title_sort", 1, f, |c| c.get::<Option<String>>(0))
            .unwrap();
        conn.create_scalar_function("uuid4", 0, f, |_| Ok("00000000-uuid".to_string()))
            .unwrap();
        if !g.seed.is_empty() {
            conn.execute_batch(g.seed)
                .unwrap_or_else(|e| panic!("{label}: seed rows: {e}"));
        }
    }
    check_read_schema(&mut ck, label, &path);
    check_raises(&mut ck, &format!("{label} (before)"), &path, g.raises);
    let t = Target {
        label,
        dir: dir.path(),
        path: path.clone(),
        probes: g.probes,
        views_compile: g.views_compile,
    };
    let before = snapshot(&path, g.probes);
    for c in &g.changes {
        run_change(&mut ck, &t, *c);
    }
    check_raises(&mut ck, label, &path, g.raises);
    let after = snapshot(&path, g.probes);
    let new: Vec<&Vec<V>> = after.fk.difference(&before.fk).collect();
    ck.check(new.is_empty(), || {
        format!("{label}: new foreign key violations overall: {new:?}")
    });
    ck.finish(label);
}

#[test]
fn every_schema_file_is_covered() {
    let root = realworld().join("schemas");
    let found: BTreeSet<String> = realworld::files_under(&root, "sql")
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let covered: BTreeSet<String> = schema_groups()
        .iter()
        .flat_map(|g| g.files.iter().map(|f| f.to_string()))
        .collect();
    let missing: Vec<&String> = found.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "schema files not covered by this test: {missing:?}"
    );
    let dbs: BTreeSet<String> = std::fs::read_dir(realworld().join("dbs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let tested: BTreeSet<String> = [
        "Chinook_Sqlite_AutoIncrementPKs.sqlite",
        "northwind.db",
        "sakila.db",
        "datasette-fixtures.db",
        "vaultwarden-migrated.db",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(dbs, tested, "databases in dbs/ and databases tested differ");
}

#[test]
fn schema_syncthing_folder() {
    run_schema_group("syncthing_folder");
}
#[test]
fn schema_syncthing_main() {
    run_schema_group("syncthing_main");
}
#[test]
fn schema_firefox_places() {
    run_schema_group("firefox_places");
}
#[test]
fn schema_firefox_autofill() {
    run_schema_group("firefox_autofill");
}
#[test]
fn schema_firefox_push() {
    run_schema_group("firefox_push");
}
#[test]
fn schema_firefox_ios() {
    run_schema_group("firefox_ios");
}
#[test]
fn schema_firefox_webext() {
    run_schema_group("firefox_webext");
}
#[test]
fn schema_zotero() {
    run_schema_group("zotero");
}
#[test]
fn schema_gravity() {
    run_schema_group("gravity");
}
#[test]
fn schema_calibre() {
    run_schema_group("calibre");
}
#[test]
fn schema_mediawiki() {
    run_schema_group("mediawiki");
}
#[test]
fn schema_datasette() {
    run_schema_group("datasette_schema");
}
#[test]
fn schema_vaultwarden() {
    run_schema_group("vaultwarden_schema");
}
