//! The one small interface between the workflow (migrations, the throwaway database, the CLI)
//! and a database: what a migration run and an ad hoc change need, implemented by the SQLite
//! side ([`crate::sqlite`]) and the PostgreSQL side ([`crate::postgres`]).
//!
//! A migration run holds the database's write lock from reading the history through its last
//! migration ([`Database::begin_run`]): on SQLite `BEGIN IMMEDIATE`, on PostgreSQL a
//! transaction holding kit's advisory lock. Each migration then runs in a savepoint of that
//! transaction with its bookkeeping, so it is applied and recorded, or neither.

use crate::dialect::Dialect;
use crate::error::Result;
use crate::migrate::{Applied, Direction, Migration, Status};
use crate::report::{Observer, Summary};

/// What the workflow needs from a database.
pub trait Database {
    /// Which database this is.
    fn dialect(&self) -> Dialect;
    /// Where it is, as it may be printed (a path, or a URL without its password).
    fn location(&self) -> String;
    /// The version table's rows, oldest version first (none when it does not exist).
    fn applied(&mut self) -> Result<Vec<Applied>>;
    /// Starts a migration run: takes the write lock, held until the run commits or stops.
    fn begin_run<'a>(&'a mut self, observer: &Observer) -> Result<Box<dyn Run + 'a>>;
    /// Plans `sql` (written in `origin`) as one change: the exact statements that would run,
    /// as `--dry-run` prints them, after every check that can be made without writing.
    fn dry_run(&mut self, sql: &str, origin: &str) -> Result<DryRun>;
    /// Applies `sql` (written in `origin`) as one change, in one transaction.
    fn apply_change(&mut self, sql: &str, origin: &str, observer: &mut Observer)
        -> Result<Summary>;
}

/// One migration run, inside the run's transaction.
pub trait Run {
    /// The version table's rows as seen under the run's lock.
    fn applied(&mut self) -> Result<Vec<Applied>>;
    /// Runs `m` in direction `dir` with its bookkeeping, in a savepoint: on an error nothing
    /// of `m` stays. `start` is where the run began (every file, and the history then).
    fn apply(
        &mut self,
        m: &Migration,
        dir: Direction,
        start: &Status,
        observer: &mut Observer,
    ) -> Result<Summary>;
    /// Plans `todo` (every migration the run is about to apply, in order, in direction
    /// `dir`) before any of them runs, so what cannot be done is refused with the database
    /// unchanged. By default each migration is planned when it runs (SQLite plans against the
    /// live database, whose rows the checks read).
    fn prepare(&mut self, todo: &[Migration], dir: Direction, start: &Status) -> Result<()> {
        let _ = (todo, dir, start);
        Ok(())
    }
    /// A phased run ([`crate::phased`]): checks and plans every phase of `schedule` before
    /// the first one runs, so what cannot be done is refused with the database unchanged;
    /// returns what each phase will do.
    fn prepare_phases(
        &mut self,
        schedule: &crate::phased::Schedule,
        observer: &mut Observer,
    ) -> Result<Vec<crate::phased::PhasePlan>>;
    /// Runs phase `index` of `schedule` (after [`Run::prepare_phases`]), inside the run's
    /// transaction.
    fn apply_phase(
        &mut self,
        schedule: &crate::phased::Schedule,
        index: usize,
        observer: &mut Observer,
    ) -> Result<Summary>;
    /// Records (or, going down, forgets) every migration of `schedule` in the version table.
    fn record(&mut self, schedule: &crate::phased::Schedule) -> Result<()>;
    /// Rolls back everything the run did.
    fn rollback(self: Box<Self>) -> Result<()>;
    /// Rolls back everything after `e`; returns the error to report.
    fn abort(self: Box<Self>, e: crate::error::Error) -> crate::error::Error {
        match self.rollback() {
            Ok(()) => e,
            Err(r) => r,
        }
    }
    /// Commits what the run applied.
    fn commit(self: Box<Self>) -> Result<()>;
    /// Ends the run after `e`: commits the migrations before the failing one when the
    /// transaction is still sound, else rolls back; returns the error to report.
    fn stop(self: Box<Self>, e: crate::error::Error) -> crate::error::Error;
}

/// What a dry run shows: the statements, and what it could not check or had to change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DryRun {
    /// The exact statements, one per line, with `--` comments.
    pub script: Vec<String>,
    /// Notes for the user (checks not evaluated, translation notes).
    pub notes: Vec<String>,
}

use crate::config::Config;
use crate::error::Error;
use crate::postgres::migrate::{ModelFactory, ModelSeed, PgDatabase};
use crate::postgres::plan::Model;
use crate::schema::Schema;

/// Opens the config's database for changes: a SQLite file that must exist, or a PostgreSQL
/// server (connected to).
pub fn open(cfg: &Config) -> Result<Box<dyn Database>> {
    match cfg.database_url() {
        Some(url) => {
            let mut db = PgDatabase::connect(url, cfg.lock_timeout, sqlite_models())?;
            if let Some(schema) = &cfg.postgres_schema {
                crate::postgres::use_schema(db.client(), schema, url)?;
            }
            Ok(Box::new(db))
        }
        None => Ok(Box::new(crate::sqlite::apply::open(&cfg.database)?)),
    }
}

/// Opens the config's database for reading: a SQLite file read-only (`None` when it does not
/// exist), or a PostgreSQL server.
pub fn open_existing(cfg: &Config) -> Result<Option<Box<dyn Database>>> {
    match cfg.database_url() {
        Some(_) => open(cfg).map(Some),
        None if cfg.database.exists() => Ok(Some(Box::new(crate::sqlite::apply::open_read_only(
            &cfg.database,
        )?))),
        None => Ok(None),
    }
}

/// Builds PostgreSQL's translation models from the SQLite side of the migrations: their
/// schema statements are replayed into an in-memory SQLite database that moves along with the
/// run. The model holds no rows ([`SqliteModel`]): the rows are PostgreSQL's, and a check
/// against rows of a replay (a duplicate key, NULLs under SET NOT NULL) would judge data the
/// PostgreSQL database does not have.
pub fn sqlite_models() -> ModelFactory {
    Box::new(|seed: ModelSeed<'_>| {
        let mut model = SqliteModel::empty()?;
        match seed {
            // Schema only: the migrations' row statements are left out, so translation is
            // judged by PostgreSQL's rows, not a replay's.
            ModelSeed::Migrations(applied) => {
                for m in applied {
                    model.replay(&m.up).map_err(|e| Error::Database {
                        path: m.path.display().to_string(),
                        message: format!(
                            "kit translates a migration for PostgreSQL from the tables the migrations before it make, replayed on SQLite, and that replay failed: {e}"
                        ),
                    })?;
                }
            }
            ModelSeed::Tables(ddl) => {
                crate::sqlite::load::run_script(
                    &mut model.conn,
                    &ddl.join(";\n"),
                    "the PostgreSQL catalog",
                )?;
            }
        }
        Ok(Box::new(model) as Box<dyn Model>)
    })
}

/// An in-memory SQLite database holding the tables as they stand, for translation: schema
/// only, so statements that only read or write rows (`INSERT`, `UPDATE`, `DELETE`,
/// `SELECT`, `WITH ...`) do not move it.
pub struct SqliteModel {
    conn: rusqlite::Connection,
    /// The schema as last read, and whether a statement has run since.
    schema: Option<Schema>,
    stale: bool,
}

impl SqliteModel {
    /// A model of the tables on `conn`.
    pub fn new(conn: rusqlite::Connection) -> SqliteModel {
        SqliteModel {
            conn,
            schema: None,
            stale: true,
        }
    }

    /// An empty model (a fresh in-memory database).
    pub fn empty() -> Result<SqliteModel> {
        let conn = rusqlite::Connection::open_in_memory()
            .map_err(|e| Error::sqlite("opening memory", e))?;
        crate::sqlite::apply::register_functions(&conn)?;
        Ok(SqliteModel::new(conn))
    }

    /// The schema, read again only when a statement ran since the last read (unchanged tables
    /// are reused, not parsed again).
    fn current(&mut self) -> Result<&Schema> {
        if self.stale || self.schema.is_none() {
            let previous = self.schema.take().unwrap_or_default();
            self.schema = Some(crate::sqlite::read::refresh_schema(&self.conn, previous)?);
            self.stale = false;
        }
        Ok(self.schema.get_or_insert_with(Schema::default))
    }

    /// Moves the model past every statement SQLite runs of `text` (a migration part: its
    /// portable statements and its `-- kit:only sqlite` blocks).
    pub fn replay(&mut self, text: &str) -> Result<()> {
        for b in crate::dialect::blocks(text, Dialect::Sqlite)? {
            self.advance(&b.piece.text)?;
        }
        Ok(())
    }
}

/// True for a statement that reads or writes rows and changes no schema.
fn is_row_statement(statement: &str) -> bool {
    let Ok(toks) = crate::sql::lex(statement) else {
        return false;
    };
    toks.first().is_some_and(|t| {
        [
            "insert", "update", "delete", "replace", "select", "with", "values",
        ]
        .iter()
        .any(|kw| t.is_kw(statement, kw))
    })
}

impl Model for SqliteModel {
    fn schema(&mut self) -> Result<Schema> {
        self.current().cloned()
    }

    /// Only the tables `statement` names and the tables their foreign keys reference (which
    /// give an untyped key column its type).
    fn schema_for(&mut self, statement: &str) -> Result<Schema> {
        let names: Vec<String> = match crate::sql::lex(statement) {
            Ok(toks) => toks.iter().filter_map(|t| t.ident(statement)).collect(),
            Err(_) => return self.schema(),
        };
        let all = self.current()?;
        let mut out = Schema::default();
        let add = |name: &str, out: &mut Schema| {
            if let Some(t) = all.table(name) {
                if !out.tables.contains_key(&t.name) {
                    out.tables.insert(t.name.clone(), t.clone());
                }
            }
        };
        for n in &names {
            add(n, &mut out);
        }
        let parents: Vec<String> = out
            .tables
            .values()
            .flat_map(|t| t.foreign_keys().into_iter().map(|(_, r)| r.table.clone()))
            .collect();
        for p in parents {
            add(&p, &mut out);
        }
        Ok(out)
    }

    /// ALTER TABLE goes through kit's engine (SQLite cannot do most of them in place); every
    /// other statement runs as SQLite runs it, confined like a schema file.
    fn advance(&mut self, statement: &str) -> Result<()> {
        if is_row_statement(statement) {
            return Ok(()); // the model holds no rows
        }
        self.stale = true;
        let is_alter = crate::sql::lex(statement)
            .ok()
            .and_then(|t| t.first().map(|f| f.is_kw(statement, "alter")))
            .unwrap_or(true);
        if is_alter {
            return crate::run_sql(&mut self.conn, statement).map(|_| ());
        }
        crate::sqlite::load::run_script(&mut self.conn, statement, "the SQLite model")
    }
}

/// The SQL an offline (`--sql`) run on PostgreSQL prints: for each migration a header
/// comment and its statements in a transaction, each translated against the tables the
/// earlier migrations leave (`start`: those applied where the run starts).
///
/// Each transaction takes kit's migration lock and sets `lock_timeout` as a run does, so the
/// printed SQL, run with psql, waits for a kit run instead of interleaving with it and fails
/// instead of queueing behind a busy table.
pub fn postgres_offline_sql(
    start: &[&Migration],
    todo: &[&Migration],
    dir: Direction,
    lock_timeout: std::time::Duration,
) -> Result<String> {
    let mut model = (sqlite_models())(ModelSeed::Migrations(start))?;
    let mut out = String::new();
    for m in todo {
        let origin = m.path.display().to_string();
        let part = crate::postgres::migrate::part(m, dir)?;
        let plan = crate::postgres::plan::plan_text(part, &origin, model.as_mut())
            .map_err(|e| crate::migrate::in_file(e, m))?;
        let label = match dir {
            Direction::Up => "upgrade",
            Direction::Down => "downgrade",
        };
        out.push_str(&crate::sql::comment(&format!(
            "{label} {} ({})",
            m.name, m.message
        )));
        out.push_str("\nBEGIN;\n");
        for q in crate::postgres::migrate::run_preamble(lock_timeout) {
            out.push_str(&q);
            out.push_str(";\n");
        }
        for line in plan.script() {
            out.push_str(&line);
            out.push('\n');
        }
        if plan.inserts {
            out.push_str(crate::postgres::RESYNC_IDENTITIES);
            out.push_str(";\n");
        }
        for q in crate::postgres::migrate::bookkeeping(m, dir) {
            out.push_str(&q);
            out.push_str(";\n");
        }
        out.push_str("COMMIT;\n\n");
    }
    Ok(out)
}
