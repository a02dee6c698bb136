//! Loading SQL text into a SQLite database: a schema file into a scratch in-memory database
//! (where SQLite itself judges it and kit reads it back), and schema or seed scripts statement
//! by statement, with the file and line of a statement SQLite refuses.

use super::read::read_schema;
use crate::error::{Error, Result};
use crate::schema::Schema;
use crate::sql::split_statements;
use rusqlite::Connection;

/// Loads schema SQL into a fresh in-memory database, one statement at a time so an error names
/// its statement, and reads it back. `origin` names the text in errors (e.g. the file).
pub fn load_schema(sql: &str, origin: &str) -> Result<(Connection, Schema)> {
    let conn = Connection::open_in_memory().map_err(|e| Error::sqlite("opening memory", e))?;
    run_script(&conn, sql, origin)?;
    let schema = read_schema(&conn)?;
    Ok((conn, schema))
}

/// Runs a script statement by statement; a failure reports SQLite's message, the statement and
/// its line in `origin`.
pub fn run_script(conn: &Connection, sql: &str, origin: &str) -> Result<()> {
    let pieces = split_statements(sql).map_err(|e| Error::Script {
        origin: origin.to_string(),
        line: crate::sql::line_col(sql, e.offset).0,
        message: e.message,
        statement: String::new(),
    })?;
    for p in pieces {
        log::debug!(target: "kit::sql", "{};", p.text);
        conn.execute_batch(&p.text).map_err(|e| Error::Script {
            origin: origin.to_string(),
            line: crate::sql::line_col(sql, p.offset).0,
            message: sqlite_message(&e),
            statement: p.text.clone(),
        })?;
    }
    Ok(())
}

/// SQLite's own message for an error.
fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
        other => other.to_string(),
    }
}
