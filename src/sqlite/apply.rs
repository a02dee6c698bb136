//! Steps -> a connection, in one transaction: foreign keys switched off around rebuilds,
//! preflight checks before each step's writes, `foreign_key_check` before COMMIT, and rollback
//! on any failure so the database is left exactly as it was.

use super::plan::{Path, Plan};
use crate::error::{Error, Refusal, Result};
use crate::sql::quote_ident;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::collections::BTreeSet;
use std::path::Path as FsPath;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long to wait for another connection's lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// The table, if the step was about one.
    pub table: Option<String>,
    /// How it was changed.
    pub path: Path,
    /// Rows copied (rebuilds only).
    pub rows_copied: u64,
    /// Time taken.
    pub elapsed: Duration,
}

/// What a whole apply did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// One report per step.
    pub steps: Vec<StepReport>,
    /// Total time, including checks and COMMIT.
    pub elapsed: Duration,
}

impl Summary {
    /// Total rows copied.
    pub fn rows_copied(&self) -> u64 {
        self.steps.iter().map(|s| s.rows_copied).sum()
    }

    /// Number of table rebuilds.
    pub fn rebuilds(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.path == Path::Rebuild)
            .count()
    }
}

/// Opens an existing database file for changes, with a bounded busy timeout, and verifies that
/// it is a SQLite database.
pub fn open(path: &FsPath) -> Result<Connection> {
    open_with(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// Opens an existing database file for reading only (for `--dry-run`): writes are refused by
/// `PRAGMA query_only`. The connection is read-write underneath when the file allows it, so a
/// WAL database's `-wal`/`-shm` files are removed again on close, as after any reader.
pub fn open_read_only(path: &FsPath) -> Result<Connection> {
    let conn = open_with(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .or_else(|_| {
        open_with(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
    })?;
    conn.execute_batch("PRAGMA query_only = ON")
        .map_err(|e| Error::sqlite("setting query_only", e))?;
    Ok(conn)
}

fn open_with(path: &FsPath, flags: OpenFlags) -> Result<Connection> {
    let shown = path.display().to_string();
    if !path.is_file() {
        return Err(Error::Database {
            path: shown,
            message: "no such database file (kit does not create one; check the path)".into(),
        });
    }
    let conn = Connection::open_with_flags(path, flags).map_err(|e| Error::Database {
        path: shown.clone(),
        message: format!("cannot open: {e}"),
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| Error::sqlite("setting the busy timeout", e))?;
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| database_error(&shown, e))?;
    register_functions(&conn)?;
    Ok(conn)
}

/// Turns an open/lock failure into a message that says what to do.
fn database_error(path: &str, e: rusqlite::Error) -> Error {
    let msg = e.to_string();
    let message = if msg.contains("not a database") {
        "file is not a SQLite database (or is encrypted or corrupt)".to_string()
    } else if msg.contains("locked") || msg.contains("busy") {
        format!(
            "database is locked by another process; waited {} s. Close the other connection and retry",
            BUSY_TIMEOUT.as_secs()
        )
    } else if msg.contains("malformed") || msg.contains("corrupt") {
        format!("database is corrupt: {msg}. Restore it from a backup; kit changes nothing")
    } else {
        msg
    };
    Error::Database {
        path: path.to_string(),
        message,
    }
}

/// Registers `kit_strict_ok(value, type)` and `kit_numeric_changes(value)`, used by preflight
/// checks on STRICT tables.
pub fn register_functions(conn: &Connection) -> Result<()> {
    conn.create_scalar_function(
        "kit_strict_ok",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let ty: String = ctx.get(1)?;
            Ok(strict_ok(ctx.get_raw(0), &ty))
        },
    )
    .map_err(|e| Error::sqlite("registering kit_strict_ok", e))?;
    conn.create_scalar_function(
        "kit_numeric_changes",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(super::affinity::numeric_changes(ctx.get_raw(0))),
    )
    .map_err(|e| Error::sqlite("registering kit_numeric_changes", e))
}

/// True when a STRICT column of type `ty` can hold `v` (after SQLite's affinity conversion).
pub fn strict_ok(v: ValueRef<'_>, ty: &str) -> bool {
    let ty = ty.trim().to_ascii_uppercase();
    // What SQLite's affinity makes of a text: an exact integer, a real, or neither.
    let as_integer = |t: &[u8]| {
        std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
    };
    let as_real = |t: &[u8]| -> Option<f64> {
        let s = std::str::from_utf8(t).ok()?.trim();
        if s.is_empty() || s.contains(['x', 'X', 'i', 'I', 'n', 'N']) {
            return None;
        }
        s.parse::<f64>().ok().filter(|f| f.is_finite())
    };
    let integral = |f: f64| {
        f.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f)
    };
    match v {
        ValueRef::Null => true,
        _ if ty == "ANY" => true,
        ValueRef::Integer(_) => ty == "INT" || ty == "INTEGER" || ty == "REAL" || ty == "TEXT",
        ValueRef::Real(f) => match ty.as_str() {
            "REAL" | "TEXT" => true,
            "INT" | "INTEGER" => integral(f),
            _ => false,
        },
        ValueRef::Text(t) => match ty.as_str() {
            "TEXT" => true,
            "INT" | "INTEGER" => as_integer(t).is_some() || as_real(t).is_some_and(integral),
            "REAL" => as_integer(t).is_some() || as_real(t).is_some(),
            _ => false,
        },
        ValueRef::Blob(_) => ty == "BLOB",
    }
}

/// One foreign-key violation: (child table, rowid, parent table, fk id).
type Violation = (String, Option<i64>, String, i64);

/// Progress of one table copy, reported while the rows are being copied.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// The table being copied.
    pub table: String,
    /// Rows copied so far.
    pub copied: u64,
    /// Rows to copy in all.
    pub total: u64,
    /// Time since the copy started.
    pub elapsed: Duration,
    /// True on the last report of this copy.
    pub done: bool,
}

/// A progress callback; it runs on the applying thread, from inside SQLite's progress handler.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Ways to watch an apply. The library never prints; these callbacks let a caller do it.
#[derive(Default)]
pub struct Observer<'a> {
    /// Called with each statement just before it runs (SQL echo).
    pub on_statement: Option<&'a mut dyn FnMut(&str)>,
    /// Called about every few hundred thousand SQLite VM steps during a table copy.
    pub on_progress: Option<ProgressFn>,
}

/// Applies a plan in one transaction. On any error the transaction is rolled back and the
/// database is unchanged.
pub fn apply(conn: &mut Connection, plan: &Plan) -> Result<Summary> {
    apply_observed(conn, plan, &mut Observer::default())
}

/// Like [`apply`], reporting statements and copy progress to `observer`.
pub fn apply_observed(
    conn: &mut Connection,
    plan: &Plan,
    observer: &mut Observer,
) -> Result<Summary> {
    register_functions(conn)?;
    let started = Instant::now();
    let fk_on: bool = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .map_err(|e| Error::sqlite("reading PRAGMA foreign_keys", e))?;
    let legacy: bool = conn
        .query_row("PRAGMA legacy_alter_table", [], |r| r.get(0))
        .map_err(|e| Error::sqlite("reading PRAGMA legacy_alter_table", e))?;
    let fk_off = fk_on && plan.needs_foreign_keys_off();
    // Editing a stored definition needs writable_schema, which defensive mode forbids.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, false)
        .map_err(|e| Error::sqlite("turning off defensive mode", e))?;
    let set = |conn: &Connection, sql: &str| {
        conn.execute_batch(sql)
            .map_err(|e| Error::sqlite(format!("running {sql}"), e))
    };
    if fk_off {
        set(conn, "PRAGMA foreign_keys = OFF")?;
    }
    set(conn, "PRAGMA legacy_alter_table = OFF")?;
    let copying: Arc<Mutex<Option<(Progress, Instant)>>> = Arc::new(Mutex::new(None));
    if let Some(report) = observer.on_progress.clone() {
        install_progress_handler(conn, copying.clone(), report)?;
    }
    let mut result = run(conn, plan, None, observer, &copying);
    if let Err(Error::Refused(r)) = &result {
        if r.reason.starts_with(FK_REASON) {
            // Were these violations there before? Compare with the untouched database.
            let before = fk_violations(conn, &plan.fk_check_tables)?;
            result = run(conn, plan, Some(before), observer, &copying);
        }
    }
    if observer.on_progress.is_some() {
        conn.progress_handler(0, None::<fn() -> bool>)
            .map_err(|e| Error::sqlite("removing the progress handler", e))?;
    }
    if fk_off {
        set(conn, "PRAGMA foreign_keys = ON")?;
    }
    set(
        conn,
        if legacy {
            "PRAGMA legacy_alter_table = ON"
        } else {
            "PRAGMA legacy_alter_table = OFF"
        },
    )?;
    let mut summary = result?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

const FK_REASON: &str = "the change would break foreign keys";

fn run(
    conn: &mut Connection,
    plan: &Plan,
    tolerated: Option<BTreeSet<Violation>>,
    observer: &mut Observer,
    copying: &Arc<Mutex<Option<(Progress, Instant)>>>,
) -> Result<Summary> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| database_error("database", e))?;
    let version: i64 = tx
        .query_row("PRAGMA schema_version", [], |r| r.get(0))
        .map_err(|e| Error::sqlite("reading schema_version", e))?;
    if version != plan.schema_version {
        return Err(Error::Database {
            path: "database".into(),
            message: "the schema changed after the plan was made (another process altered it); plan again".into(),
        });
    }
    let mut summary = Summary::default();
    for step in &plan.steps {
        let t0 = Instant::now();
        for c in &step.checks {
            c.run(&tx)?;
        }
        let mut rows = 0u64;
        for (i, q) in step.sql.iter().enumerate() {
            let text = q.clone();
            log::debug!(target: "kit::sql", "{text};");
            if let Some(f) = observer.on_statement.as_mut() {
                f(&text);
            }
            if step.copy_statement == Some(i) {
                let table = step.table.clone().unwrap_or_default();
                if let Some(report) = &observer.on_progress {
                    let count =
                        format!("SELECT count(*) FROM {}", quote_ident(&copy_source(&text)));
                    let total = tx
                        .query_row(&count, [], |r| r.get::<_, i64>(0))
                        .unwrap_or(0) as u64;
                    let p = Progress {
                        table,
                        copied: 0,
                        total,
                        elapsed: Duration::ZERO,
                        done: false,
                    };
                    report(&p);
                    *copying.lock().unwrap_or_else(|e| e.into_inner()) = Some((p, Instant::now()));
                }
                let started = Instant::now();
                let res = tx.execute(&text, []);
                let last = copying.lock().unwrap_or_else(|e| e.into_inner()).take();
                rows = res.map_err(|e| step_error(step, &text, e))? as u64;
                if let (Some(report), Some((mut p, _))) = (&observer.on_progress, last) {
                    p.copied = rows;
                    p.elapsed = started.elapsed();
                    p.done = true;
                    report(&p);
                }
            } else {
                tx.execute_batch(&text)
                    .map_err(|e| step_error(step, &text, e))?;
            }
        }
        summary.steps.push(StepReport {
            table: step.table.clone(),
            path: step.path,
            rows_copied: rows,
            elapsed: t0.elapsed(),
        });
    }
    for q in &plan.finish {
        log::debug!(target: "kit::sql", "{q};");
        if let Some(f) = observer.on_statement.as_mut() {
            f(q);
        }
        tx.execute_batch(q)
            .map_err(|e| Error::sqlite(format!("running `{}`", short(q)), e))?;
    }
    let after = fk_violations(&tx, &plan.fk_check_tables)?;
    let new: Vec<&Violation> = after
        .iter()
        .filter(|v| tolerated.as_ref().is_none_or(|t| !t.contains(v)))
        .collect();
    if !new.is_empty() {
        let first = new[0];
        let examples = new
            .iter()
            .take(5)
            .map(|(t, r, p, _)| {
                format!(
                    "\"{t}\" rowid {} -> \"{p}\"",
                    r.map_or("?".into(), |r| r.to_string())
                )
            })
            .collect();
        return Err(Error::Refused(Refusal {
            table: first.0.clone(),
            reason: format!("{FK_REASON}: rows would reference missing parents"),
            count: new.len() as u64,
            examples,
            hint: if plan.needs_foreign_keys_off() {
                "this change rebuilds tables, so foreign keys are off while it runs (SQLite cannot switch them inside a transaction) and ON DELETE/UPDATE actions do not fire: delete or fix the child rows explicitly, or run that statement as a separate change"
            } else {
                "delete or fix the child rows in the same change, or keep the parent rows"
            }
            .into(),
        }));
    }
    tx.commit().map_err(|e| Error::sqlite("committing", e))?;
    Ok(summary)
}

/// The table a copy statement reads from (`... FROM "x"` at its end).
fn copy_source(sql: &str) -> String {
    let toks = crate::sql::lex(sql).unwrap_or_default();
    toks.last().and_then(|t| t.ident(sql)).unwrap_or_default()
}

/// Reports copy progress from SQLite's progress handler: the number of rows the running
/// statement has read from the old table (`SQLITE_STMTSTATUS_FULLSCAN_STEP`) is the number of
/// rows copied, so progress costs nothing per row.
fn install_progress_handler(
    conn: &mut Connection,
    copying: Arc<Mutex<Option<(Progress, Instant)>>>,
    report: ProgressFn,
) -> Result<()> {
    // SAFETY: the handle is only used from inside SQLite's own callback on this connection,
    // which runs on the thread executing the statement while the connection is alive.
    let db = unsafe { conn.handle() } as usize;
    let handler = move || {
        let mut guard = copying.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((p, started)) = guard.as_mut() {
            let db = db as *mut rusqlite::ffi::sqlite3;
            let mut copied = 0i64;
            // SAFETY: iterating this connection's statements and reading a counter, from its callback.
            unsafe {
                let mut stmt = rusqlite::ffi::sqlite3_next_stmt(db, std::ptr::null_mut());
                while !stmt.is_null() {
                    if rusqlite::ffi::sqlite3_stmt_busy(stmt) != 0 {
                        let n = rusqlite::ffi::sqlite3_stmt_status(
                            stmt,
                            rusqlite::ffi::SQLITE_STMTSTATUS_FULLSCAN_STEP,
                            0,
                        );
                        copied = copied.max(i64::from(n));
                    }
                    stmt = rusqlite::ffi::sqlite3_next_stmt(db, stmt);
                }
            }
            p.copied = copied as u64;
            p.elapsed = started.elapsed();
            report(p);
        }
        false // never interrupt
    };
    conn.progress_handler(200_000, Some(handler))
        .map_err(|e| Error::sqlite("installing the progress handler", e))
}

fn step_error(step: &super::plan::Step, sql: &str, e: rusqlite::Error) -> Error {
    let t = step
        .table
        .as_deref()
        .map(|t| format!("table \"{t}\": "))
        .unwrap_or_default();
    let msg = e.to_string();
    if msg.contains("constraint failed") || msg.contains("cannot store") {
        return Error::Refused(Refusal {
            table: step.table.clone().unwrap_or_default(),
            reason: format!("existing rows break the new definition: {msg}"),
            count: 0,
            examples: vec![],
            hint: "fix the rows (UPDATE/DELETE) before this change, in the same file".into(),
        });
    }
    Error::sqlite(
        format!("{t}{} failed at `{}`", step.description, short(sql)),
        e,
    )
}

fn short(s: &str) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 120 {
        format!("{}...", one.chars().take(117).collect::<String>())
    } else {
        one
    }
}

fn fk_violations(conn: &Connection, tables: &[String]) -> Result<BTreeSet<Violation>> {
    let mut out = BTreeSet::new();
    for t in tables {
        let exists: bool = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [t],
                |r| r.get(0),
            )
            .map_err(|e| Error::sqlite("checking foreign keys", e))?;
        if !exists {
            continue;
        }
        let sql = format!("PRAGMA foreign_key_check({})", quote_ident(t));
        let mut stmt = conn
            .prepare(&sql)
            .map_err(|e| Error::sqlite(format!("checking foreign keys of \"{t}\""), e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| Error::sqlite(format!("checking foreign keys of \"{t}\""), e))?;
        out.extend(rows);
    }
    Ok(out)
}
