//! kit: SQLite schema changes that lose nothing.
//!
//! SQLite's `ALTER TABLE` can rename and add columns and little else; every other change needs a
//! table rebuild (create the new shape, copy the rows, drop the old table, rename). kit plans
//! those rebuilds so that rowids, `AUTOINCREMENT` counters, indexes, triggers, views, foreign
//! keys, CHECKs, collations, defaults and generated columns all survive, batches every change to
//! one table into a single copy, and does natively (without a copy) what SQLite can do in place.
//!
//! The data flow is one way: text -> [`statements`] -> [`ops`] -> [`plan`] -> [`mod@apply`].
//! Around that engine sits the schema-as-code workflow: [`diff`] (schema x schema -> portable
//! statements), [`migrate`] (migration files, the version table, upgrade and downgrade),
//! [`throwaway`] (the recreate-in-one-command database) and [`config`] (the TOML file).
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("app.db");
//! let conn = rusqlite::Connection::open(&path).unwrap();
//! conn.execute_batch(
//!     "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER, legacy TEXT);
//!      INSERT INTO users (email, age, legacy) VALUES ('a@x', 30, 'old');",
//! ).unwrap();
//! drop(conn);
//!
//! let mut conn = kit::open(&path).unwrap();
//! let plan = kit::plan_sql(&conn, "ALTER TABLE users ALTER COLUMN age TYPE TEXT; ALTER TABLE users DROP COLUMN legacy").unwrap();
//! assert_eq!(plan.rebuilt_tables(), ["users"]);   // both changes, one copy
//! let summary = kit::apply(&mut conn, &plan).unwrap();
//! assert_eq!(summary.rows_copied(), 1);
//! let age: String = conn.query_row("SELECT age FROM users", [], |r| r.get(0)).unwrap();
//! assert_eq!(age, "30");
//! ```

#![deny(missing_docs)]

pub mod components;
pub mod config;
pub mod db;
pub mod dialect;
pub mod diff;
pub mod error;
pub mod judge;
pub mod migrate;
pub mod ops;
pub mod parity;
pub mod phased;
pub mod postgres;
pub mod report;
pub mod schema;
pub mod sql;
pub mod sqlite;
pub mod statements;
pub mod throwaway;

pub use sqlite::{apply, plan};

pub use apply::{
    apply, apply_observed, open, open_read_only, Observer, Progress, ProgressFn, Summary,
};
pub use error::{Error, Refusal, Result};
pub use ops::{AlterTable, Op};
pub use plan::{Path, Plan, Step};
pub use schema::Schema;
pub use sqlite::read::read_schema;
pub use statements::{parse_script, Statement};

/// Parses `sql` and plans it against the database on `conn` (nothing is written).
pub fn plan_sql(conn: &rusqlite::Connection, sql: &str) -> Result<Plan> {
    let statements = parse_script(sql)?;
    plan::plan(conn, &statements)
}

/// Parses, plans and applies `sql` in one transaction.
pub fn run_sql(conn: &mut rusqlite::Connection, sql: &str) -> Result<Summary> {
    let plan = plan_sql(conn, sql)?;
    apply(conn, &plan)
}
