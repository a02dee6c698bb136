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
