//! Steps -> a connection, in one transaction: foreign keys switched off around rebuilds,
//! preflight checks before each step's writes, `foreign_key_check` before COMMIT, and rollback
//! on any failure so the database is left exactly as it was.
//!
//! [`Writer`] owns the transaction: `BEGIN IMMEDIATE` (waiting for another writer up to the
//! busy timeout), `PRAGMA quick_check` before anything is written, each plan in a savepoint (so
//! a migration run can hold one lock across many plans), and, after a failure, a rollback that
//! is verified: a hot journal left by a rollback SQLite could not finish is rolled back by
//! reading again, and when the old state cannot be confirmed (or an I/O error hit COMMIT in WAL
//! mode) the error is [`Error::Uncertain`], saying what to run.

use super::plan::Plan;
use crate::error::{Error, Refusal, Result};
use crate::report::Path;
pub use crate::report::{Observer, Progress, ProgressFn, StepReport, Summary};
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
            "database is locked: another kit or process holds the database (its write lock); waited {} s. Retry when it has finished, or close the other connection",
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

/// Applies a plan in one transaction. On any error the transaction is rolled back and the
/// database is unchanged (or the error says that this could not be confirmed).
pub fn apply(conn: &mut Connection, plan: &Plan) -> Result<Summary> {
    apply_observed(conn, plan, &mut Observer::default())
}

/// Like [`apply`], reporting statements and copy progress to `observer`.
pub fn apply_observed(
    conn: &mut Connection,
    plan: &Plan,
    observer: &mut Observer,
) -> Result<Summary> {
    let started = Instant::now();
    let mut writer = Writer::begin(conn, observer, plan.needs_foreign_keys_off())?;
    let mut summary = match writer.apply(plan, observer) {
        Ok(s) => s,
        Err(e) => return Err(writer.fail(e)),
    };
    writer.commit()?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The connection settings an apply changes, as they were, for restoring at the end.
struct Settings {
    foreign_keys: bool,
    legacy_alter_table: bool,
    /// A rebuild that keeps a table's unchanged indexes moves their schema rows with
    /// `writable_schema` on; a failure in between must not leave it on.
    writable_schema: bool,
    progress: bool,
}

/// What the database was at `BEGIN`, to verify a rollback against.
struct Before {
    schema_version: i64,
    /// The file change counter (header bytes 24-27) in rollback-journal mode.
    change_counter: Option<[u8; 4]>,
    wal: bool,
}

/// A write transaction held across one or more plans (a migration run): `BEGIN IMMEDIATE`
/// taken once, waiting up to [`BUSY_TIMEOUT`] for another writer, the database's integrity
/// checked, then each plan applied in a savepoint of its own. Foreign keys can only be switched
/// between transactions, so [`Writer::set_foreign_keys_off`] commits and begins again.
///
/// Dropping a writer rolls back what it has not committed.
pub struct Writer<'c> {
    conn: &'c mut Connection,
    settings: Settings,
    fk_off: bool,
    open: bool,
    before: Before,
    path: String,
    copying: Arc<Mutex<Option<(Progress, Instant)>>>,
}

const SAVEPOINT: &str = "kit_apply";

impl<'c> Writer<'c> {
    /// Prepares the connection, switches foreign keys off when `fk_off` (and they are on),
    /// takes the write lock and checks the database (`PRAGMA quick_check`).
    pub fn begin(
        conn: &'c mut Connection,
        observer: &Observer,
        fk_off: bool,
    ) -> Result<Writer<'c>> {
        register_functions(conn)?;
        let settings = Settings {
            foreign_keys: pragma_bool(conn, "foreign_keys")?,
            legacy_alter_table: pragma_bool(conn, "legacy_alter_table")?,
            writable_schema: pragma_bool(conn, "writable_schema")?,
            progress: observer.on_progress.is_some(),
        };
        let path = conn
            .path()
            .filter(|p| !p.is_empty())
            .unwrap_or("database")
            .to_string();
        let mut w = Writer {
            conn,
            fk_off: false,
            open: false,
            before: Before {
                schema_version: 0,
                change_counter: None,
                wal: false,
            },
            path,
            copying: Arc::new(Mutex::new(None)),
            settings,
        };
        // Editing a stored definition needs writable_schema, which defensive mode forbids.
        w.conn
            .set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, false)
            .map_err(|e| Error::sqlite("turning off defensive mode", e))?;
        exec(w.conn, "PRAGMA legacy_alter_table = OFF")?;
        if let Some(report) = observer.on_progress.clone() {
            install_progress_handler(w.conn, w.copying.clone(), report)?;
        }
        w.switch_foreign_keys(fk_off)?;
        w.lock()?;
        if let Err(e) = quick_check(w.conn, &w.path) {
            w.rollback_quietly();
            return Err(e);
        }
        Ok(w)
    }

    /// The connection, inside the transaction (for reading, planning).
    pub fn conn(&self) -> &Connection {
        self.conn
    }

    /// True when a plan needing foreign keys `off` (or not) can run in the current transaction.
    pub fn fits(&self, off: bool) -> bool {
        self.fk_off == (off && self.settings.foreign_keys)
    }

    /// Commits, switches foreign keys as a plan needing them `off` (or not) requires, and takes
    /// the write lock again. Between the two transactions another process can write: the
    /// caller must read again what it relies on.
    pub fn set_foreign_keys_off(&mut self, off: bool, observer: &mut Observer) -> Result<()> {
        let pragma = if off && self.settings.foreign_keys {
            "PRAGMA foreign_keys = OFF"
        } else {
            "PRAGMA foreign_keys = ON"
        };
        echo(observer, "COMMIT");
        self.commit_now()?;
        echo(observer, pragma);
        self.switch_foreign_keys(off)?;
        echo(observer, "BEGIN IMMEDIATE");
        self.lock()
    }

    fn switch_foreign_keys(&mut self, off: bool) -> Result<()> {
        let off = off && self.settings.foreign_keys;
        if off != self.fk_off {
            exec(
                self.conn,
                if off {
                    "PRAGMA foreign_keys = OFF"
                } else {
                    "PRAGMA foreign_keys = ON"
                },
            )?;
            self.fk_off = off;
        }
        Ok(())
    }

    /// `BEGIN IMMEDIATE`, and what the database is at that point.
    fn lock(&mut self) -> Result<()> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| database_error(&self.path, e))?;
        self.open = true;
        let before = self.read_before();
        match before {
            Ok(b) => {
                self.before = b;
                Ok(())
            }
            Err(e) => {
                self.rollback_quietly();
                Err(e)
            }
        }
    }

    fn read_before(&self) -> Result<Before> {
        let schema_version: i64 = self
            .conn
            .query_row("PRAGMA schema_version", [], |r| r.get(0))
            .map_err(|e| Error::sqlite("reading schema_version", e))?;
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .map_err(|e| Error::sqlite("reading journal_mode", e))?;
        let wal = mode.eq_ignore_ascii_case("wal");
        Ok(Before {
            schema_version,
            change_counter: if wal { None } else { change_counter(self.conn) },
            wal,
        })
    }

    /// Applies `plan` in a savepoint of the open transaction: on an error the savepoint is
    /// rolled back (the plan leaves nothing) and the error returned; what earlier plans did
    /// stays, to be committed or rolled back by the caller (see [`Writer::fail`]).
    pub fn apply(&mut self, plan: &Plan, observer: &mut Observer) -> Result<Summary> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA schema_version", [], |r| r.get(0))
            .map_err(|e| Error::sqlite("reading schema_version", e))?;
        if version != plan.schema_version {
            return Err(Error::Database {
                path: self.path.clone(),
                message: "the schema changed after the plan was made (another process altered it); plan again".into(),
            });
        }
        exec(self.conn, &format!("SAVEPOINT {SAVEPOINT}"))?;
        let mut result = run(self.conn, plan, None, observer, &self.copying);
        if let Err(Error::Refused(r)) = &result {
            if r.reason.starts_with(FK_REASON) {
                // Were these violations there before? Compare with the untouched database.
                result = exec(self.conn, &format!("ROLLBACK TO {SAVEPOINT}"))
                    .and_then(|()| fk_violations(self.conn, &plan.fk_check_tables))
                    .and_then(|before| run(self.conn, plan, Some(before), observer, &self.copying));
            }
        }
        let result = result.and_then(|s| deferred_fk_check(self.conn).map(|()| s));
        match result {
            Ok(s) => {
                exec(self.conn, &format!("RELEASE {SAVEPOINT}"))?;
                Ok(s)
            }
            Err(e) if !self.conn.is_autocommit() && !io_class(&e) => {
                exec(self.conn, &format!("ROLLBACK TO {SAVEPOINT}"))?;
                exec(self.conn, &format!("RELEASE {SAVEPOINT}"))?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// True when the transaction is still open and sound after `e`, so what earlier plans did
    /// can be committed (after an I/O error or a full disk SQLite may have rolled it back).
    pub fn can_commit_after(&self, e: &Error) -> bool {
        self.open && !self.conn.is_autocommit() && !io_class(e)
    }

    /// Commits the transaction and restores the connection's settings.
    pub fn commit(mut self) -> Result<()> {
        self.commit_now()?;
        self.restore();
        Ok(())
    }

    fn commit_now(&mut self) -> Result<()> {
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => {
                self.open = false;
                Ok(())
            }
            Err(e) => Err(self.recover(Error::sqlite("committing", e), true)),
        }
    }

    /// Rolls back after `e`, makes sure the database is back to the state at `BEGIN`, restores
    /// the connection's settings, and returns the error to report: `e` itself when the old
    /// state is confirmed, else [`Error::Uncertain`] saying what to run.
    pub fn fail(mut self, e: Error) -> Error {
        let e = self.recover(e, false);
        self.restore();
        e
    }

    /// The heart of [`Writer::fail`]; `at_commit` when `e` came from COMMIT.
    fn recover(&mut self, e: Error, at_commit: bool) -> Error {
        let auto_rolled_back = self.open && self.conn.is_autocommit();
        let mut trouble = io_class(&e) || auto_rolled_back;
        if self.open && !self.conn.is_autocommit() {
            if let Err(r) = self.conn.execute_batch("ROLLBACK") {
                trouble = true;
                log::debug!(target: "kit::sql", "ROLLBACK failed: {r}");
            }
        }
        self.open = false;
        if !trouble {
            return e;
        }
        if self.before.wal && at_commit {
            return Error::Uncertain {
                path: self.path.clone(),
                message: format!(
                    "{e}\n  the outcome is unknown: SQLite reported the error while committing in WAL mode, so the change may or may not be in the database (and may not be durable). Find out with `kit current` or `kit history` (migrations), `kit check`, or by reading the schema; `sqlite3 {p} \"PRAGMA quick_check\"` checks the file",
                    p = self.path
                ),
            };
        }
        match verify(self.conn, &self.before) {
            Ok(()) => e,
            Err(why) => Error::Uncertain {
                path: self.path.clone(),
                message: format!(
                    "{e}\n  the database may not be unchanged: SQLite could not confirm the rollback ({why}). {}",
                    if self.before.wal {
                        format!("Once the disk problem is fixed, run `sqlite3 {p} \"PRAGMA quick_check\"`, then `kit current` / `kit check` to see where it stands", p = self.path)
                    } else {
                        format!("A hot journal ({p}-journal) holds the old pages: do not delete it. Once the disk problem is fixed, run `sqlite3 {p} \"PRAGMA quick_check\"` (opening the file for writing rolls the journal back), then `kit current` / `kit check`", p = self.path)
                    }
                ),
            },
        }
    }

    fn rollback_quietly(&mut self) {
        if self.open && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.open = false;
    }

    /// Puts back the foreign-key, legacy_alter_table and writable_schema settings and removes
    /// the progress handler. Errors are ignored: none of these touch the file.
    fn restore(&mut self) {
        // Left on by a failure between `writable_schema = ON` and its RESET: RESET also makes
        // SQLite read the schema again, as the file now has it.
        if pragma_bool(self.conn, "writable_schema").unwrap_or(true)
            != self.settings.writable_schema
        {
            let _ = self.conn.execute_batch(if self.settings.writable_schema {
                "PRAGMA writable_schema = ON"
            } else {
                "PRAGMA writable_schema = RESET"
            });
        }
        if self.settings.progress {
            let _ = self.conn.progress_handler(0, None::<fn() -> bool>);
            self.settings.progress = false;
        }
        if self.fk_off {
            let _ = self.conn.execute_batch("PRAGMA foreign_keys = ON");
            self.fk_off = false;
        }
        let _ = self
            .conn
            .execute_batch(if self.settings.legacy_alter_table {
                "PRAGMA legacy_alter_table = ON"
            } else {
                "PRAGMA legacy_alter_table = OFF"
            });
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        self.rollback_quietly();
        self.restore();
    }
}

fn exec(conn: &Connection, sql: &str) -> Result<()> {
    conn.execute_batch(sql)
        .map_err(|e| Error::sqlite(format!("running {sql}"), e))
}

fn pragma_bool(conn: &Connection, name: &str) -> Result<bool> {
    conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        .map_err(|e| Error::sqlite(format!("reading PRAGMA {name}"), e))
}

fn echo(observer: &mut Observer, sql: &str) {
    log::debug!(target: "kit::sql", "{sql};");
    if let Some(f) = observer.on_statement.as_mut() {
        f(sql);
    }
}

/// True for errors after which SQLite may have rolled the transaction back itself, or the
/// file may hold part of the change: I/O errors, a full disk, corruption, no memory.
fn io_class(e: &Error) -> bool {
    match e {
        Error::Sqlite { source, .. } => io_code(source.sqlite_error_code()),
        _ => false,
    }
}

fn io_code(code: Option<rusqlite::ErrorCode>) -> bool {
    use rusqlite::ErrorCode as C;
    matches!(
        code,
        Some(
            C::SystemIoFailure
                | C::DiskFull
                | C::DatabaseCorrupt
                | C::NotADatabase
                | C::CannotOpen
                | C::OutOfMemory
        )
    )
}

/// The file change counter of the main database (header bytes 24-27; rollback-journal mode
/// increments it on every commit), read through SQLite's own open file: opening the file a
/// second time and closing it would drop SQLite's POSIX locks on it.
fn change_counter(conn: &Connection) -> Option<[u8; 4]> {
    use rusqlite::ffi;
    let mut file: *mut ffi::sqlite3_file = std::ptr::null_mut();
    // SAFETY: SQLITE_FCNTL_FILE_POINTER writes the main database's `sqlite3_file` pointer; we
    // only call its xRead, on the thread that owns the connection.
    unsafe {
        let rc = ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_FILE_POINTER,
            (&mut file as *mut *mut ffi::sqlite3_file).cast(),
        );
        if rc != ffi::SQLITE_OK || file.is_null() || (*file).pMethods.is_null() {
            return None;
        }
        let read = (*(*file).pMethods).xRead?;
        let mut b = [0u8; 4];
        (read(file, b.as_mut_ptr().cast(), 4, 24) == ffi::SQLITE_OK).then_some(b)
    }
}

/// After a failed transaction: reads the schema (which makes SQLite roll back a hot journal
/// left by a rollback that failed), runs `quick_check`, and compares with the state at `BEGIN`.
fn verify(conn: &Connection, before: &Before) -> std::result::Result<(), String> {
    let version: i64 = conn
        .query_row("PRAGMA schema_version", [], |r| r.get(0))
        .map_err(|e| format!("reading the database fails: {e}"))?;
    let findings = quick_check_findings(conn).map_err(|e| format!("quick_check fails: {e}"))?;
    if findings != ["ok"] {
        return Err(format!("quick_check reports: {}", findings.join("; ")));
    }
    if version != before.schema_version {
        return Err(format!(
            "schema_version is {version}, was {}",
            before.schema_version
        ));
    }
    if let Some(was) = before.change_counter {
        if change_counter(conn) != Some(was) {
            return Err("the file's change counter moved".into());
        }
    }
    Ok(())
}

fn quick_check_findings(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare("PRAGMA quick_check(6)")?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// Refuses a database whose `PRAGMA quick_check` finds problems, listing SQLite's findings.
fn quick_check(conn: &Connection, path: &str) -> Result<()> {
    let findings = match quick_check_findings(conn) {
        Ok(f) if f == ["ok"] => return Ok(()),
        Ok(f) => f,
        Err(e) if io_code(e.sqlite_error_code()) => vec![format!("it fails: {e}")],
        Err(e) => return Err(database_error(path, e)),
    };
    Err(Error::Database {
        path: path.to_string(),
        message: format!(
            "database is corrupt; PRAGMA quick_check reports:\n    {}\n  kit changes nothing in a corrupt database. Restore it from a backup, or try `sqlite3 {path} .recover`",
            findings.join("\n    ")
        ),
    })
}

/// Refuses a change that leaves deferred foreign-key violations (they would fail COMMIT, and
/// with it the earlier migrations of a run), naming the rows.
fn deferred_fk_check(conn: &Connection) -> Result<()> {
    let (mut cur, mut high) = (0, 0);
    // SAFETY: reading a status counter of this open connection.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_db_status(
            conn.handle(),
            rusqlite::ffi::SQLITE_DBSTATUS_DEFERRED_FKS,
            &mut cur,
            &mut high,
            0,
        )
    };
    if rc != rusqlite::ffi::SQLITE_OK || cur == 0 {
        return Ok(());
    }
    let rows: Vec<(String, Option<i64>, String)> = conn
        .prepare("PRAGMA foreign_key_check")
        .and_then(|mut st| {
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(|e| Error::sqlite("checking deferred foreign keys", e))?;
    Err(Error::Refused(Refusal {
        table: rows.first().map(|r| r.0.clone()).unwrap_or_default(),
        reason: format!(
            "{FK_REASON}: rows violate a DEFERRABLE INITIALLY DEFERRED foreign key (checked at COMMIT)"
        ),
        count: rows.len() as u64,
        examples: rows
            .iter()
            .take(5)
            .map(|(t, r, p)| {
                format!(
                    "\"{t}\" rowid {} -> \"{p}\"",
                    r.map_or("?".into(), |r| r.to_string())
                )
            })
            .collect(),
        hint: "delete or fix the child rows in the same change, or keep the parent rows".into(),
    }))
}

const FK_REASON: &str = "the change would break foreign keys";

/// Runs a plan's steps, its finishing statements and the foreign-key check on the open
/// transaction; `tolerated` holds violations that were there before.
fn run(
    tx: &mut Connection,
    plan: &Plan,
    tolerated: Option<BTreeSet<Violation>>,
    observer: &mut Observer,
    copying: &Arc<Mutex<Option<(Progress, Instant)>>>,
) -> Result<Summary> {
    let mut summary = Summary::default();
    for step in &plan.steps {
        let t0 = Instant::now();
        for c in &step.checks {
            c.run(tx)?;
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
            } else if step.path == Path::Statement {
                // A user's statement: confined to this database, as it was when planned.
                let denial = super::guard::confine(tx);
                let res = tx.execute_batch(&text);
                super::guard::release(tx);
                if let Some(why) = super::guard::take(&denial) {
                    return Err(Error::Unsupported {
                        what: super::guard::message(&why),
                        statement: text,
                        hint: "remove the statement".into(),
                    });
                }
                res.map_err(|e| step_error(step, &text, e))?;
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
    let after = fk_violations(tx, &plan.fk_check_tables)?;
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
