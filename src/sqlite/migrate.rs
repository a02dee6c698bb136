//! The SQLite side of migrations: the version table on a connection, a migration planned by
//! the engine with its bookkeeping, a migration run under one write lock ([`Database`] for
//! `rusqlite::Connection`), replays into memory (for `--sql` and `kit check`), and diffs
//! against a schema file, which SQLite judges by loading it into memory.
//!
//! A run holds the write lock from reading the history through its last migration:
//! `BEGIN IMMEDIATE` waits up to the busy timeout for another kit or process, the history is
//! read inside the transaction, and each migration is planned and applied (with its
//! bookkeeping) in a savepoint. Where a migration needs foreign keys switched (rebuilds need
//! them off, and SQLite cannot switch them inside a transaction) the run commits, switches,
//! locks again and refuses to go on unless the history is exactly what it left.

use super::apply::{apply_observed, register_functions, Observer, Summary, Writer};
use super::load::load_schema;
use super::plan::{plan, plan_with, Plan, PlanCache};
use super::read::read_schema;
use crate::db::{Database, DryRun, Run};
use crate::dialect::Dialect;
use crate::diff::{diff, Diff, Renames};
use crate::error::{Error, Result};
use crate::migrate::{
    in_file, Applied, Direction, Migration, Status, CREATE_VERSION_TABLE, VERSION_TABLE,
};
use crate::phased::{PhasePlan, Schedule};
use crate::schema::Schema;
use crate::sql::quote_str;
use crate::statements::parse_script;
use rusqlite::Connection;
use std::collections::BTreeSet;
use std::path::Path;

/// The rows of the version table, oldest version first (empty when the table is missing).
pub fn applied(conn: &Connection) -> Result<Vec<Applied>> {
    if !version_table_exists(conn)? {
        return Ok(Vec::new());
    }
    let component = if has_component_column(conn)? {
        "component"
    } else {
        "''"
    };
    let mut st = conn
        .prepare(&format!(
            "SELECT {component}, version, name, checksum, applied_at FROM kit_migrations"
        ))
        .map_err(|e| Error::sqlite("reading the version table", e))?;
    let mut rows: Vec<Applied> = st
        .query_map([], |r| {
            Ok(Applied {
                component: r.get(0)?,
                version: r.get(1)?,
                name: r.get(2)?,
                checksum: r.get(3)?,
                applied_at: r.get(4)?,
            })
        })
        .and_then(|r| r.collect())
        .map_err(|e| Error::sqlite("reading the version table", e))?;
    rows.sort_by_key(|a| {
        (
            a.version.parse::<u64>().unwrap_or(u64::MAX),
            a.version.clone(),
        )
    });
    Ok(rows)
}

/// True when the version table exists.
fn version_table_exists(conn: &Connection) -> Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
        [VERSION_TABLE],
        |r| r.get(0),
    )
    .map_err(|e| Error::sqlite("reading the version table", e))
}

/// True when the version table has kit's `component` column (kit before components made it
/// without).
fn has_component_column(conn: &Connection) -> Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM pragma_table_info('kit_migrations') WHERE name = 'component'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(|e| Error::sqlite("reading the version table", e))
}

/// Brings a version table made before components to today's shape (a `component` column, the
/// key over component and version), inside the caller's transaction; rows keep their values
/// and get the implicit component `''`.
pub fn upgrade_version_table(conn: &Connection) -> Result<()> {
    if !version_table_exists(conn)? || has_component_column(conn)? {
        return Ok(());
    }
    let sql = format!(
        "ALTER TABLE kit_migrations RENAME TO kit_migrations_old;\n{CREATE_VERSION_TABLE};\nINSERT INTO kit_migrations (component, version, name, checksum, applied_at) SELECT '', version, name, checksum, applied_at FROM kit_migrations_old;\nDROP TABLE kit_migrations_old;"
    );
    conn.execute_batch(&sql)
        .map_err(|e| Error::sqlite("bringing the version table to the shape with components", e))
}

/// The statements that record (or, going down, forget) `m` in the version table.
pub fn bookkeeping(m: &Migration, dir: Direction) -> Vec<String> {
    match dir {
        Direction::Up => vec![
            CREATE_VERSION_TABLE.to_string(),
            format!(
                "INSERT INTO kit_migrations (component, version, name, checksum, applied_at) VALUES ({}, {}, {}, {}, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                quote_str(&m.component),
                quote_str(&m.version),
                quote_str(&m.name),
                quote_str(&m.checksum)
            ),
        ],
        Direction::Down => vec![format!(
            "DELETE FROM kit_migrations WHERE component = {} AND version = {}",
            quote_str(&m.component),
            quote_str(&m.version)
        )],
    }
}

/// The statements of `text` (a migration part, or a phase of one) that SQLite runs.
pub fn statements_of(text: &str) -> Result<Vec<crate::statements::Statement>> {
    let text = crate::dialect::select(text, Dialect::Sqlite)?;
    parse_script(&text)
}

/// Plans one migration on `conn` with its bookkeeping in the same transaction.
pub fn plan_migration(conn: &Connection, m: &Migration, dir: Direction) -> Result<Plan> {
    plan_migration_with(conn, m, dir, &mut PlanCache::default())
}

/// [`plan_migration`] with what earlier plans on the same database left in `cache`.
pub fn plan_migration_with(
    conn: &Connection,
    m: &Migration,
    dir: Direction,
    cache: &mut PlanCache,
) -> Result<Plan> {
    let text = match dir {
        Direction::Up => m.up.as_str(),
        Direction::Down => m.down.as_deref().ok_or_else(|| Error::Database {
            path: m.path.display().to_string(),
            message: "the migration says `-- kit:no-down`, so it cannot be downgraded".into(),
        })?,
    };
    // A part's phases run in phase order (statements before the first phase line: `alter`).
    let origin = m.path.display().to_string();
    let mut statements = Vec::new();
    for phase in crate::components::split_phases(text, &origin)? {
        statements.extend(statements_of(&phase.text).map_err(|e| in_file(e, m))?);
    }
    let mut p = plan_with(conn, &statements, cache).map_err(|e| in_file(e, m))?;
    p.finish = bookkeeping(m, dir);
    Ok(p)
}

/// A migration run on SQLite: the write transaction and the history it has left so far.
struct SqliteRun<'c> {
    writer: Option<Writer<'c>>,
    history: Option<BTreeSet<(u64, String)>>,
    /// In a phased run with foreign keys off: the violations before it ran.
    fk_before: Option<BTreeSet<super::phased::Violation>>,
    /// What each migration's plan leaves for the next one's.
    cache: PlanCache,
}

impl<'c> SqliteRun<'c> {
    fn writer(&mut self) -> &mut Writer<'c> {
        self.writer.as_mut().expect("the run's transaction is open")
    }
}

impl Run for SqliteRun<'_> {
    fn applied(&mut self) -> Result<Vec<Applied>> {
        applied(
            self.writer
                .as_ref()
                .expect("the run's transaction is open")
                .conn(),
        )
    }

    fn apply(
        &mut self,
        m: &Migration,
        dir: Direction,
        start: &Status,
        observer: &mut Observer,
    ) -> Result<Summary> {
        let mut history = self
            .history
            .take()
            .unwrap_or_else(|| history_key(&start.applied));
        let w = self.writer.as_mut().expect("the run's transaction is open");
        let p = plan_on(w, m, dir, &history, &mut self.cache, observer);
        let result = p.and_then(|p| w.apply(&p, observer));
        if result.is_ok() {
            match dir {
                Direction::Up => {
                    history.insert((m.number, m.checksum.clone()));
                }
                Direction::Down => history.retain(|(n, _)| *n != m.number),
            }
        }
        self.history = Some(history);
        result
    }

    fn prepare_phases(
        &mut self,
        schedule: &Schedule,
        observer: &mut Observer,
    ) -> Result<Vec<PhasePlan>> {
        let w = self.writer();
        let (plans, off) = super::phased::rehearse(w.conn(), schedule)?;
        if off && !w.fits(true) {
            // SQLite switches foreign keys only between transactions: before anything runs.
            let before = applied(w.conn())?;
            w.set_foreign_keys_off(true, observer)?;
            if applied(w.conn())? != before {
                return Err(Error::Database {
                    path: w.conn().location(),
                    message: "another kit or process changed the migration history while this run switched foreign keys off (SQLite can switch them only between transactions); nothing was applied. Run `kit history`, then retry".into(),
                });
            }
        }
        if !w.fits(false) {
            self.fk_before = Some(super::phased::violations(w.conn())?);
        }
        Ok(plans)
    }

    fn apply_phase(
        &mut self,
        schedule: &Schedule,
        index: usize,
        observer: &mut Observer,
    ) -> Result<Summary> {
        let ps = super::phased::phase_statements(schedule, index)?;
        let w = self.writer();
        let p = super::phased::plan_phase(w.conn(), schedule, index, &ps)?;
        if p.needs_foreign_keys_off() && !w.fits(true) {
            return Err(Error::Database {
                path: w.conn().location(),
                message: format!(
                    "phase {} needs foreign keys off, which the run's rehearsal did not foresee; nothing was applied. Report this with the migrations",
                    crate::components::PHASES[schedule.phases[index].phase]
                ),
            });
        }
        w.apply(&p, observer)
            .map_err(|e| super::phased::phase_error(schedule, index, &ps, e))
    }

    fn record(&mut self, schedule: &Schedule) -> Result<()> {
        let before = self.fk_before.take();
        let w = self.writer();
        for m in &schedule.migrations {
            for q in bookkeeping(m, schedule.dir) {
                w.conn()
                    .execute_batch(&q)
                    .map_err(|e| Error::sqlite("recording the run in the version table", e))?;
            }
        }
        match before {
            Some(b) => super::phased::refuse_new_violations(w.conn(), &b),
            None => Ok(()),
        }
    }

    fn rollback(mut self: Box<Self>) -> Result<()> {
        let Some(w) = self.writer.take() else {
            return Ok(());
        };
        match w.fail(Error::Database {
            path: String::new(),
            message: "rolled back".into(),
        }) {
            e @ Error::Uncertain { .. } => Err(e),
            _ => Ok(()),
        }
    }

    fn abort(mut self: Box<Self>, e: Error) -> Error {
        match self.writer.take() {
            Some(w) => w.fail(e),
            None => e,
        }
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        match self.writer.take() {
            Some(w) => w.commit(),
            None => Ok(()),
        }
    }

    fn stop(mut self: Box<Self>, e: Error) -> Error {
        match self.writer.take() {
            Some(w) => stop(w, e),
            None => e,
        }
    }
}

impl Database for Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn location(&self) -> String {
        self.path()
            .filter(|p| !p.is_empty())
            .unwrap_or(":memory:")
            .to_string()
    }

    fn applied(&mut self) -> Result<Vec<Applied>> {
        applied(self)
    }

    fn begin_run<'a>(&'a mut self, observer: &Observer) -> Result<Box<dyn Run + 'a>> {
        let w = Writer::begin(self, observer, false)?;
        if let Err(e) = upgrade_version_table(w.conn()) {
            return Err(w.fail(e));
        }
        Ok(Box::new(SqliteRun {
            writer: Some(w),
            history: None,
            fk_before: None,
            cache: PlanCache::default(),
        }))
    }

    fn dry_run(&mut self, sql: &str, origin: &str) -> Result<DryRun> {
        let plan = plan_text(self, sql, origin)?;
        let preview = plan.dry_run(self, DRY_RUN_COPY_LIMIT)?;
        let mut notes = Vec::new();
        if !preview.not_run.is_empty() {
            if preview.on_copy {
                notes.push(format!(
                    "{} check(s) depend on statements of this change; they were evaluated on an in-memory copy of the database with the whole change applied, and pass",
                    preview.not_run.len()
                ));
            } else {
                notes.push(format!(
                    "{} check(s) NOT evaluated (the database is larger than {} MiB, too large to copy into memory); the real run may still refuse:",
                    preview.not_run.len(),
                    DRY_RUN_COPY_LIMIT >> 20
                ));
                for (c, why) in &preview.not_run {
                    notes.push(format!("  {} ({why})", c.reason));
                }
            }
        }
        Ok(DryRun {
            script: plan.script(),
            notes,
        })
    }

    fn apply_change(
        &mut self,
        sql: &str,
        origin: &str,
        observer: &mut Observer,
    ) -> Result<Summary> {
        let plan = plan_text(self, sql, origin)?;
        apply_observed(self, &plan, observer)
    }
}

/// The largest database a dry run copies into memory to evaluate checks that depend on the
/// change's own statements.
pub const DRY_RUN_COPY_LIMIT: u64 = 512 << 20;

/// Plans `sql` (written in `origin`; its `-- kit:only sqlite` blocks included, PostgreSQL's
/// left out) against the database on `conn`.
pub fn plan_text(conn: &Connection, sql: &str, origin: &str) -> Result<Plan> {
    let text = crate::dialect::select(sql, Dialect::Sqlite)?;
    let statements = parse_script(&text).map_err(|e| in_origin(e, origin))?;
    plan(conn, &statements).map_err(|e| in_origin(e, origin))
}

/// Names `origin` in a syntax error (other errors name their statement).
fn in_origin(e: Error, origin: &str) -> Error {
    match e {
        Error::Syntax {
            message,
            line,
            column,
            statement,
        } if !origin.is_empty() => Error::Syntax {
            message: format!("{origin}: {message}"),
            line,
            column,
            statement,
        },
        other => other,
    }
}

/// (version number, checksum) of each applied migration: what a run compares after it had to
/// let go of the lock.
fn history_key(applied: &[Applied]) -> std::collections::BTreeSet<(u64, String)> {
    applied
        .iter()
        .map(|a| (a.version.parse().unwrap_or(u64::MAX), a.checksum.clone()))
        .collect()
}

/// Plans `m` inside the run's transaction. When its plan needs foreign keys switched, commits,
/// switches, locks again, checks that the history is still `history`, and plans again.
fn plan_on(
    w: &mut Writer,
    m: &Migration,
    dir: Direction,
    history: &std::collections::BTreeSet<(u64, String)>,
    cache: &mut PlanCache,
    observer: &mut Observer,
) -> Result<Plan> {
    let p = plan_migration_with(w.conn(), m, dir, cache)?;
    let off = p.needs_foreign_keys_off();
    if w.fits(off) {
        return Ok(p);
    }
    w.set_foreign_keys_off(off, observer)?;
    let now = history_key(&applied(w.conn())?);
    if &now != history {
        let list = |h: &std::collections::BTreeSet<(u64, String)>| {
            let v: Vec<String> = h.iter().map(|(n, _)| n.to_string()).collect();
            format!("[{}]", v.join(", "))
        };
        return Err(Error::Database {
            path: m.path.display().to_string(),
            message: format!(
                "another kit or process changed the migration history while this run switched foreign keys before {} (SQLite can switch them only between transactions, so the run had to commit): it left versions {}, found {}. The migrations before {} are committed; nothing of {} was applied. Run `kit history`, then retry",
                m.name,
                list(history),
                list(&now),
                m.name,
                m.name
            ),
        });
    }
    plan_migration_with(w.conn(), m, dir, cache)
}

/// Ends a run after `e`: commits the migrations before the failing one when the transaction is
/// still sound, else rolls back and verifies (see [`Writer::fail`]).
fn stop(w: Writer, e: Error) -> Error {
    if w.can_commit_after(&e) {
        match w.commit() {
            Ok(()) => e,
            Err(c) => c,
        }
    } else {
        w.fail(e)
    }
}

/// A fresh in-memory database with `migrations`' up parts applied, in order.
pub fn replay(migrations: &[&Migration]) -> Result<Connection> {
    let mut conn = Connection::open_in_memory().map_err(|e| Error::sqlite("opening memory", e))?;
    register_functions(&conn)?;
    let all: Vec<Migration> = migrations.iter().map(|m| (*m).clone()).collect();
    crate::migrate::run(
        &mut conn,
        &all,
        Direction::Up,
        "head",
        &mut Observer::default(),
        |_| {},
    )?;
    Ok(conn)
}

/// The SQL an offline (`--sql`) run prints: for each migration, a header comment and its
/// plan's script, each planned against the schema the earlier ones leave. `start` holds the
/// migrations already applied where the run starts.
pub fn offline_sql(
    start: &[&Migration],
    migrations: &[&Migration],
    dir: Direction,
) -> Result<String> {
    let mut conn = replay(start)?;
    let mut out = String::new();
    let mut cache = PlanCache::default();
    for m in migrations {
        let p = plan_migration_with(&conn, m, dir, &mut cache)?;
        out.push_str(&format!(
            "{}\n",
            crate::sql::comment(&format!(
                "{} {} ({})",
                match dir {
                    Direction::Up => "upgrade",
                    Direction::Down => "downgrade",
                },
                m.name,
                m.message
            ))
        ));
        for line in p.script() {
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
        apply_observed(&mut conn, &p, &mut Observer::default()).map_err(|e| in_file(e, m))?;
    }
    Ok(out)
}

/// Reads a schema file and loads it into memory: (schema, rename markers).
pub fn load_schema_file(path: &Path) -> Result<(Schema, Renames)> {
    let bytes = std::fs::read(path).map_err(|e| Error::Database {
        path: path.display().to_string(),
        message: if e.kind() == std::io::ErrorKind::NotFound {
            "no such schema file".into()
        } else {
            format!("cannot read the schema file: {e}")
        },
    })?;
    let origin = path.display().to_string();
    let text = crate::sql::decode(&bytes, &origin)?;
    let text = crate::dialect::select(&text, Dialect::Sqlite)?;
    let (_conn, schema) = load_schema(&text, &origin)?;
    Ok((schema, Renames::from_sql(&text)?))
}

/// The diff from the database on `conn` to the schema file `path`.
pub fn diff_to_file(conn: &Connection, path: &Path) -> Result<Diff> {
    // The file is loaded (into its own in-memory database) while the live schema is read: on a
    // large schema both take a while, and they share nothing.
    let (live, loaded) = std::thread::scope(|s| {
        let loading = s.spawn(|| load_schema_file(path));
        let live = read_schema(conn);
        let loaded = loading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (live, loaded)
    });
    let live = live?;
    let (target, renames) = loaded?;
    diff(&live, &target, &renames)
}

/// `kit check` on SQLite ([`crate::migrate::check`]): the database on `conn` (`None` when the
/// file does not exist; with `unchecked`, a missing database is not a problem) against the
/// migrations of `dir`, which are replayed into memory and diffed against `schema_file`,
/// SQLite judging both.
pub fn check(
    conn: Option<&Connection>,
    unchecked: bool,
    dir: &Path,
    schema_file: &Path,
) -> Result<Vec<crate::migrate::Problem>> {
    let history = match conn {
        Some(c) => crate::migrate::History::Rows(applied(c)?),
        None if unchecked => crate::migrate::History::Unchecked,
        None => crate::migrate::History::Missing,
    };
    let judge = |all: &[&Migration]| -> Result<std::result::Result<Diff, Error>> {
        match replay(all) {
            Err(e) => Ok(Err(e)),
            Ok(mem) => diff_to_file(&mem, schema_file).map(Ok),
        }
    };
    crate::migrate::check(history, dir, schema_file, &judge)
}
