//! The PostgreSQL side: connecting ([`connect`]), translating SQLite's dialect and kit's
//! operations to PostgreSQL ([`translate`]), and running statements in one transaction with
//! errors that carry PostgreSQL's SQLSTATE, message, position (as line:column in the file),
//! detail and hint.
//!
//! Everything here is synchronous (the `postgres` crate); the library has no async API.
//! DDL is transactional on PostgreSQL, so a failed statement rolls back the whole run.

pub mod catalog;
pub mod confine;
pub mod connect;
pub mod migrate;
pub mod plan;
pub mod read;
pub mod scratch;
pub mod throwaway;
pub mod translate;

pub use connect::{connect, connect_in, is_postgres_url, redact, use_schema};

use crate::error::{Error, PgError, PgErrorKind, Result};
use postgres::{Client, GenericClient};
use std::time::Duration;

/// A statement to run, and where it was written (for error messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sql {
    /// The SQL sent to PostgreSQL.
    pub text: String,
    /// The file (or other source) it came from; empty when unknown.
    pub origin: String,
    /// 1-based line of the statement's start in `origin`.
    pub line: usize,
    /// 1-based column of the statement's start in `origin`.
    pub column: usize,
    /// True when `text` is kit's translation, not the text as written (then PostgreSQL's
    /// position points into `text`, which the error shows, not into the file).
    pub translated: bool,
}

impl Sql {
    /// A statement with no known origin.
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            origin: String::new(),
            line: 1,
            column: 1,
            translated: false,
        }
    }

    /// A statement written at `origin`, `line`, `column`.
    pub fn at(text: impl Into<String>, origin: &str, line: usize, column: usize) -> Sql {
        Sql {
            text: text.into(),
            origin: origin.to_string(),
            line,
            column,
            translated: false,
        }
    }
}

/// 1-based line and column of PostgreSQL's 1-based character `position` in `text`.
pub fn position_line_col(text: &str, position: usize) -> (usize, usize) {
    let mut line = 1;
    let mut col = 1;
    for ch in text.chars().take(position.saturating_sub(1)) {
        if ch == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

/// Where in the file PostgreSQL's error points: the statement's start moved by `position`.
fn location(sql: &Sql, position: Option<usize>) -> Option<String> {
    if sql.origin.is_empty() {
        return None;
    }
    let (line, column) = match position {
        Some(p) if !sql.translated => {
            let (l, c) = position_line_col(&sql.text, p);
            if l == 1 {
                (sql.line, sql.column + c - 1)
            } else {
                (sql.line + l - 1, c)
            }
        }
        _ => (sql.line, sql.column),
    };
    Some(format!("{}, line {line}, column {column}", sql.origin))
}

/// SQLSTATE `lock_not_available`: a statement waited `lock_timeout` for a lock and gave up.
pub const LOCK_NOT_AVAILABLE: &str = "55P03";

/// What to do when a statement gave up waiting for a lock.
const LOCK_TIMEOUT_HINT: &str = "another session holds a lock on a table this statement changes, and kit waited `lock_timeout` for it (so the statement does not queue every query on the table behind it); find the session in pg_locks / pg_stat_activity, retry when it is done, or raise `lock_timeout` under `[postgresql]` in the config";

/// Maps a failed statement to a kit error: PostgreSQL's message, SQLSTATE, detail, hint and
/// position, and where the statement was written.
pub fn statement_error(e: &postgres::Error, sql: &Sql) -> Error {
    let db = e.as_db_error();
    let position = db.and_then(|d| match d.position() {
        Some(postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
        _ => None,
    });
    let mut message = db.map_or_else(|| e.to_string(), |d| d.message().to_string());
    if let (Some(p), true) = (position, sql.translated) {
        let (l, c) = position_line_col(&sql.text, p);
        message.push_str(&format!(
            " (at line {l}, column {c} of the statement below)"
        ));
    }
    let sqlstate = e.code().map(|c| c.code().to_string());
    let mut hint = db.and_then(|d| d.hint()).unwrap_or_default().to_string();
    if hint.is_empty() && sqlstate.as_deref() == Some(LOCK_NOT_AVAILABLE) {
        hint = LOCK_TIMEOUT_HINT.to_string();
    }
    Error::Postgres(Box::new(PgError {
        kind: PgErrorKind::Statement,
        context: "PostgreSQL refused the statement".into(),
        server: String::new(),
        message,
        sqlstate,
        detail: db.and_then(|d| d.detail()).map(str::to_string),
        hint,
        statement: Some(sql.text.clone()),
        position,
        location: location(sql, position),
    }))
}

/// Runs one statement on a client or transaction.
pub fn execute(client: &mut impl GenericClient, sql: &Sql) -> Result<()> {
    log::debug!(target: "kit::sql", "{}", sql.text);
    client
        .batch_execute(&sql.text)
        .map_err(|e| statement_error(&e, sql))
}

/// Runs `statements` in order in one transaction: all of them, or (on the first failure, which
/// is returned) none.
pub fn run_in_transaction(client: &mut Client, statements: &[Sql]) -> Result<()> {
    let mut tx = client
        .transaction()
        .map_err(|e| client_error(&e, "cannot start a transaction"))?;
    for s in statements {
        execute(&mut tx, s)?; // dropping `tx` rolls back
    }
    tx.commit().map_err(|e| client_error(&e, "COMMIT failed"))
}

/// A failure outside a statement (BEGIN, COMMIT, a lost connection).
fn client_error(e: &postgres::Error, context: &str) -> Error {
    let mut err = match statement_error(e, &Sql::new("")) {
        Error::Postgres(p) => p,
        other => return other,
    };
    err.kind = PgErrorKind::Other;
    err.context = context.to_string();
    err.statement = None;
    if e.is_closed() {
        err.hint = "the connection was lost; whether a COMMIT took effect cannot be known: check the database".into();
    }
    Error::Postgres(err)
}

/// The advisory lock key kit's migration runs take (`pg_advisory_xact_lock`), so two runs on one
/// database wait for each other instead of interleaving.
pub const MIGRATION_LOCK_KEY: i64 = 0x6b69_745f_6d69_6772; // "kit_migr"

/// Takes the transaction-scoped advisory lock `key`, waiting for another holder to finish (up
/// to the transaction's `lock_timeout`); released at COMMIT or ROLLBACK.
pub fn advisory_xact_lock(tx: &mut impl GenericClient, key: i64) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&key])
        .map(|_| ())
        .map_err(|e| {
            statement_error(
                &e,
                &Sql::new(format!("SELECT pg_advisory_xact_lock({key})")),
            )
        })
}

/// Sets `lock_timeout` for the current transaction (`SET LOCAL`), so a statement waiting for
/// a lock held elsewhere fails after `timeout` instead of waiting forever.
pub fn set_lock_timeout(tx: &mut impl GenericClient, timeout: Duration) -> Result<()> {
    execute(
        tx,
        &Sql::new(format!(
            "SET LOCAL lock_timeout = '{}ms'",
            timeout.as_millis()
        )),
    )
}

/// The identity columns of the tables in the current schema, as (table, column).
pub fn identity_columns(client: &mut impl GenericClient) -> Result<Vec<(String, String)>> {
    let sql = "SELECT table_name::text, column_name::text FROM information_schema.columns \
               WHERE table_schema = current_schema() AND is_identity = 'YES' \
               ORDER BY table_name, ordinal_position";
    let rows = client
        .query(sql, &[])
        .map_err(|e| statement_error(&e, &Sql::new(sql)))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Moves every identity in the current schema past the largest value in its column (after
/// rows were inserted with explicit ids), so the next generated id does not collide. An
/// identity already past its column's values is left alone (never moved back onto the ids of
/// deleted rows).
pub fn resync_identities(client: &mut impl GenericClient) -> Result<()> {
    execute(client, &Sql::new(RESYNC_IDENTITIES))
}

/// One statement that moves every identity column of the current schema past the largest
/// value in it (what a run executes after statements that insert rows, and what `--sql`
/// prints for them). Only forward: an identity already past the rows (ids handed out and the
/// rows deleted since) stays where it is, so no id is handed out twice.
pub const RESYNC_IDENTITIES: &str = "DO $kit$ DECLARE r record; s text; next_free bigint; needed bigint; BEGIN FOR r IN SELECT c.table_name, c.column_name FROM information_schema.columns c WHERE c.table_schema = current_schema() AND c.is_identity = 'YES' LOOP s := pg_get_serial_sequence(quote_ident(r.table_name), r.column_name); EXECUTE format('SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM %s', s) INTO next_free; EXECUTE format('SELECT coalesce(max(%I), 0) + 1 FROM %I', r.column_name, r.table_name) INTO needed; IF needed > next_free THEN PERFORM setval(s, needed, false); END IF; END LOOP; END $kit$";

/// Runs a schema file's statements in order, in `tx`. SQLite lets a table's foreign key (or an
/// index, a view) name a table the file creates further down; PostgreSQL needs it first. So a
/// statement that fails only because a relation does not exist yet (SQLSTATE 42P01) is rolled
/// back alone (a savepoint) and tried again after the others, until nothing more succeeds;
/// then the first such failure is the error. `done` sees each statement that ran.
pub fn run_allowing_forward_references(
    tx: &mut postgres::Transaction<'_>,
    statements: &[Sql],
    done: &mut dyn FnMut(&Sql),
) -> Result<()> {
    let mut waiting: Vec<&Sql> = statements.iter().collect();
    let mut first: Option<Error> = None;
    while !waiting.is_empty() {
        let before = waiting.len();
        let mut still = Vec::new();
        for s in waiting {
            match try_statement(tx, s)? {
                None => done(s),
                Some(e) => {
                    first.get_or_insert(e);
                    still.push(s);
                }
            }
        }
        if still.len() == before {
            return Err(first.expect("a statement waits because it failed"));
        }
        waiting = still;
    }
    Ok(())
}

/// Runs `s` in a savepoint: `Some(error)` when it failed because a relation it names does not
/// exist yet (rolled back alone); any other failure is the error.
fn try_statement(tx: &mut postgres::Transaction<'_>, s: &Sql) -> Result<Option<Error>> {
    let mut sp = tx
        .savepoint("kit_load")
        .map_err(|e| statement_error(&e, &Sql::new("SAVEPOINT kit_load")))?;
    match execute(&mut sp, s) {
        Ok(()) => {
            sp.commit()
                .map_err(|e| statement_error(&e, &Sql::new("RELEASE SAVEPOINT kit_load")))?;
            Ok(None)
        }
        Err(Error::Postgres(p)) if p.sqlstate.as_deref() == Some("42P01") => {
            Ok(Some(Error::Postgres(p)))
        }
        Err(e) => Err(e),
    }
}
