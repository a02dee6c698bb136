//! Loading SQL text into a SQLite database: a schema file into a scratch in-memory database
//! (where SQLite itself judges it and kit reads it back), and schema or seed scripts statement
//! by statement, with the file and line of a statement SQLite refuses.

use super::guard;
use super::read::read_schema;
use crate::error::{Error, Result};
use crate::schema::Schema;
use crate::sql::{line_col, split_statements, Piece};
use rusqlite::Connection;

/// Loads schema SQL into a fresh in-memory database, one statement at a time so an error names
/// its statement, and reads it back. `origin` names the text in errors (e.g. the file).
pub fn load_schema(sql: &str, origin: &str) -> Result<(Connection, Schema)> {
    let mut conn = Connection::open_in_memory().map_err(|e| Error::sqlite("opening memory", e))?;
    run_script(&mut conn, sql, origin)?;
    let schema = read_schema(&conn)?;
    Ok((conn, schema))
}

/// Runs a script statement by statement, confined to `conn`'s database ([`guard`]); a failure
/// reports SQLite's message, the statement, and the line and column in `origin` where SQLite
/// found the error (the statement's start when it does not say).
pub fn run_script(conn: &mut Connection, sql: &str, origin: &str) -> Result<()> {
    let pieces = split_statements(sql).map_err(|e| {
        let (line, column) = line_col(sql, e.offset);
        Error::Script {
            origin: origin.to_string(),
            line,
            column,
            message: e.message,
            statement: String::new(),
        }
    })?;
    let denial = guard::confine(conn);
    let result = run_pieces(conn, sql, &pieces, origin, &denial);
    guard::release(conn);
    result
}

fn run_pieces(
    conn: &Connection,
    sql: &str,
    pieces: &[Piece],
    origin: &str,
    denial: &guard::Denial,
) -> Result<()> {
    for p in pieces {
        let fail = |at: usize, message: String| {
            let (line, column) = line_col(sql, p.offset + at);
            Error::Script {
                origin: origin.to_string(),
                line,
                column,
                message,
                statement: p.text.clone(),
            }
        };
        if let Some(why) = guard::refused_statement(&p.text) {
            return Err(fail(0, guard::message(&why)));
        }
        log::debug!(target: "kit::sql", "{};", p.text);
        conn.execute_batch(&p.text).map_err(|e| {
            let at = match &e {
                rusqlite::Error::SqlInputError { offset, .. } => (*offset).max(0) as usize,
                _ => 0,
            };
            match guard::take(denial) {
                Some(why) => fail(at, guard::message(&why)),
                None => fail(at, sqlite_message(&e)),
            }
        })?;
    }
    Ok(())
}

/// SQLite's own message for an error.
fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}
