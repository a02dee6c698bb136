//! What applying a change did, and how a caller watches it happen: the same reports whichever
//! database ran the change. The library never prints; [`Observer`] callbacks let a caller do it.

use std::sync::Arc;
use std::time::Duration;

/// How a step changes its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// A native `ALTER TABLE` (or `DROP INDEX`): no copy.
    Native,
    /// An edit of the stored `CREATE TABLE` text (constraint-only change): no copy.
    Edit,
    /// Create new, copy rows, drop old, rename: one copy.
    Rebuild,
    /// A user statement run as written.
    Statement,
}

impl Path {
    /// A short word for summaries.
    pub fn label(self) -> &'static str {
        match self {
            Path::Native => "native",
            Path::Edit => "edit of stored definition (no copy)",
            Path::Rebuild => "rebuild (one copy)",
            Path::Statement => "statement",
        }
    }
}

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
    /// Called with each note a change gives on the way (what a translation to PostgreSQL
    /// changed or skipped).
    pub on_note: Option<&'a mut dyn FnMut(&str)>,
}
