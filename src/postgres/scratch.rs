//! "PostgreSQL is the judge": text loaded into a scratch schema inside a transaction that is
//! always rolled back, then read back exactly like a live schema ([`super::read`]), so both
//! sides of a comparison are normalised by PostgreSQL itself. No second database is needed.
//!
//! [`with_scratch_schema`] opens the transaction (a savepoint when the client already is one),
//! creates `kit_scratch_<random>`, sets `search_path` to it alone (so nothing resolves in
//! `public`, and what the text creates, `kit_nocase` included, goes there), runs the caller's
//! work and rolls back, on success, on error and on a panic (the transaction's drop rolls
//! back while unwinding). Statements that would end that transaction (`COMMIT`, `ROLLBACK`,
//! `BEGIN`, `END`, `ABORT`, `START TRANSACTION`, `PREPARE TRANSACTION`) are refused before they
//! run, so nothing can escape the rollback. What a rollback cannot undo is outside the scratch
//! schema by construction: session-level advisory locks and `nextval` on sequences elsewhere,
//! which the text would have to name explicitly.
//!
//! [`load_into_scratch`] plans a schema text ([`super::plan::plan_text`]: dialect blocks and
//! translation, against the caller's model, an empty SQLite-side model for a schema file),
//! runs it and reads the result. [`replay_into_scratch`] does the same for the up parts of a
//! migration set, in order, collecting every statement PostgreSQL rejects (each in a savepoint
//! of its own, so the replay goes on) with its file, line and PostgreSQL's message.

use super::plan::{plan_text, Model, PgPlan};
use super::read::read_schema_in;
use super::{execute, statement_error, Sql};
use crate::error::{Error, PgError, PgErrorKind, Result};
use crate::migrate::Migration;
use crate::schema::Schema;
use crate::sql::quote_ident;
use postgres::{GenericClient, Transaction};

/// The prefix of every scratch schema's name.
pub const SCRATCH_PREFIX: &str = "kit_scratch_";

/// A fresh scratch schema name: the prefix and 16 random hex digits (from the server).
const SCRATCH_NAME: &str = "SELECT $1 || substr(md5(random()::text || clock_timestamp()::text \
     || pg_backend_pid()::text), 1, 16)";

/// The result of replaying migrations into a scratch schema.
#[derive(Debug)]
pub struct Replay {
    /// The schema the migrations left, as [`super::read::read_schema`] reads it.
    pub schema: Schema,
    /// Every statement PostgreSQL rejected, in order, each with its file, line and message.
    pub rejected: Vec<Error>,
    /// The translation's notes, each with its file and line.
    pub notes: Vec<String>,
}

/// Runs `f` in a transaction (a savepoint when `client` is a transaction) holding a fresh
/// scratch schema that is the whole `search_path`; `f` gets the transaction and the schema's
/// name. Always rolled back: nothing `f` did, nor the schema, is left behind.
pub fn with_scratch_schema<C, T>(
    client: &mut C,
    f: impl FnOnce(&mut Transaction<'_>, &str) -> Result<T>,
) -> Result<T>
where
    C: GenericClient,
{
    let mut tx = client
        .transaction()
        .map_err(|e| statement_error(&e, &Sql::new("BEGIN")))?;
    let name = scratch_name(&mut tx)?;
    create_scratch(&mut tx, &name)?;
    let out = f(&mut tx, &name);
    let rolled_back = tx.rollback();
    match (out, rolled_back) {
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(statement_error(&e, &Sql::new("ROLLBACK"))),
        (Ok(v), Ok(())) => Ok(v),
    }
}

/// A new scratch schema name, made by the server.
fn scratch_name(tx: &mut Transaction<'_>) -> Result<String> {
    let row = tx
        .query_one(SCRATCH_NAME, &[&SCRATCH_PREFIX])
        .map_err(|e| statement_error(&e, &Sql::new(SCRATCH_NAME)))?;
    row.try_get(0)
        .map_err(|e| statement_error(&e, &Sql::new(SCRATCH_NAME)))
}

/// `CREATE SCHEMA` and `SET LOCAL search_path` to it alone.
fn create_scratch(tx: &mut Transaction<'_>, name: &str) -> Result<()> {
    let create = Sql::new(format!("CREATE SCHEMA {}", quote_ident(name)));
    execute(tx, &create).map_err(|e| match e {
        Error::Postgres(mut p) => {
            p.context = "cannot create kit's scratch schema".into();
            p.hint = "kit judges schema text by loading it into a scratch schema inside a \
                      transaction that is always rolled back; the role needs the CREATE \
                      privilege on the database (GRANT CREATE ON DATABASE .. TO ..)"
                .into();
            Error::Postgres(p)
        }
        other => other,
    })?;
    execute(
        tx,
        &Sql::new(format!("SET LOCAL search_path TO {}", quote_ident(name))),
    )
}

/// Plans `text` (written in `origin`) against `model` (the tables before it: an empty model
/// for a schema file), runs it in a scratch schema and reads the result back; the first
/// statement PostgreSQL rejects is the error, with the file, line and PostgreSQL's message.
/// Nothing is left on the server.
pub fn load_into_scratch(
    client: &mut impl GenericClient,
    text: &str,
    origin: &str,
    model: &mut dyn Model,
) -> Result<Schema> {
    let plan = plan_text(text, origin, model)?;
    with_scratch_schema(client, |tx, name| {
        run_schema_plan(tx, &plan)?;
        read_schema_in(tx, name)
    })
}

/// Runs a schema file's plan. A schema file may name a table before it creates it (SQLite
/// does not check what a foreign key references, so files declare tables in any order);
/// PostgreSQL needs it to exist. A statement that fails only because a table does not exist
/// yet (SQLSTATE 42P01) is rolled back alone and run again after the others, until a round
/// makes no progress; then its error is the file's.
fn run_schema_plan(tx: &mut Transaction<'_>, plan: &PgPlan) -> Result<()> {
    let mut pending: Vec<&Sql> = Vec::new();
    for s in &plan.statements {
        refuse_transaction_control(s)?;
    }
    let mut todo: Vec<&Sql> = plan.statements.iter().collect();
    loop {
        let before = todo.len();
        for s in todo {
            execute(tx, &Sql::new("SAVEPOINT kit_schema_statement"))?;
            match execute(tx, s) {
                Ok(()) => execute(tx, &Sql::new("RELEASE SAVEPOINT kit_schema_statement"))?,
                Err(Error::Postgres(p)) if p.sqlstate.as_deref() == Some("42P01") => {
                    execute(tx, &Sql::new("ROLLBACK TO SAVEPOINT kit_schema_statement"))?;
                    pending.push(s);
                }
                Err(e) => return Err(e),
            }
        }
        todo = std::mem::take(&mut pending);
        if todo.is_empty() {
            break;
        }
        if todo.len() == before {
            // No progress: the first one's own error.
            return execute(tx, todo[0]);
        }
    }
    if plan.inserts {
        super::resync_identities(tx)?;
    }
    Ok(())
}

/// Replays the up parts of `migrations`, in order, in a scratch schema, each planned against
/// `model` as it moves along (start it empty: the tables before the first migration) and
/// reads the result back. A statement PostgreSQL rejects is rolled back alone (a savepoint
/// each), recorded in [`Replay::rejected`] and the replay goes on; an error planning a
/// migration (a statement kit cannot translate) or talking to the server ends it. Nothing is
/// left on the server.
pub fn replay_into_scratch(
    client: &mut impl GenericClient,
    migrations: &[&Migration],
    model: &mut dyn Model,
) -> Result<Replay> {
    with_scratch_schema(client, |tx, name| {
        let mut rejected = Vec::new();
        let mut notes = Vec::new();
        for m in migrations {
            let origin = m.path.display().to_string();
            let plan = plan_text(&m.up, &origin, model)?;
            notes.extend(plan.notes.iter().cloned());
            for s in &plan.statements {
                if let Err(e) = run_isolated(tx, s)? {
                    rejected.push(e);
                }
            }
            if plan.inserts {
                let resync = Sql::new(super::RESYNC_IDENTITIES);
                if let Err(e) = run_isolated(tx, &resync)? {
                    rejected.push(e.at(&origin, 1));
                }
            }
        }
        let schema = read_schema_in(tx, name)?;
        Ok(Replay {
            schema,
            rejected,
            notes,
        })
    })
}

/// Runs one statement in a savepoint of its own: the inner result is the statement's
/// (rolled back alone when it fails), the outer one the savepoint's (the connection).
fn run_isolated(tx: &mut Transaction<'_>, s: &Sql) -> Result<Result<()>> {
    if let Err(e) = refuse_transaction_control(s) {
        return Ok(Err(e));
    }
    let mut sp = tx
        .savepoint("kit_statement")
        .map_err(|e| statement_error(&e, &Sql::new("SAVEPOINT kit_statement")))?;
    match execute(&mut sp, s) {
        Ok(()) => {
            sp.commit()
                .map_err(|e| statement_error(&e, &Sql::new("RELEASE SAVEPOINT kit_statement")))?;
            Ok(Ok(()))
        }
        Err(e) => {
            sp.rollback().map_err(|e| {
                statement_error(&e, &Sql::new("ROLLBACK TO SAVEPOINT kit_statement"))
            })?;
            Ok(Err(e))
        }
    }
}

/// The first words of a statement, upper-cased, comments and whitespace skipped.
fn first_words(text: &str, n: usize) -> Vec<String> {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, after)| after);
        } else {
            break;
        }
    }
    rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(n)
        .map(str::to_ascii_uppercase)
        .collect()
}

/// The transaction-control command a statement is, if it would begin or end a transaction.
fn transaction_control(text: &str) -> Option<String> {
    let words = first_words(text, 2);
    let first = words.first()?.as_str();
    let second = words.get(1).map(String::as_str);
    let ends = match first {
        "BEGIN" | "COMMIT" | "END" | "ABORT" => true,
        "START" => second == Some("TRANSACTION"),
        "ROLLBACK" => second != Some("TO"),
        "PREPARE" => second == Some("TRANSACTION"),
        _ => false,
    };
    ends.then(|| words.join(" "))
}

/// Refuses a statement that would begin or end the scratch schema's transaction.
fn refuse_transaction_control(s: &Sql) -> Result<()> {
    let Some(command) = transaction_control(&s.text) else {
        return Ok(());
    };
    let location = (!s.origin.is_empty())
        .then(|| format!("{}, line {}, column {}", s.origin, s.line, s.column));
    Err(Error::Postgres(Box::new(PgError {
        kind: PgErrorKind::Statement,
        context: "kit refused the statement".into(),
        server: String::new(),
        message: format!(
            "{command} would end the transaction that keeps kit's scratch schema from being left behind"
        ),
        sqlstate: None,
        detail: None,
        hint: "leave transaction control out of schema and migration files: kit runs each \
               migration in a transaction of its own"
            .into(),
        statement: Some(s.text.clone()),
        position: None,
        location,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_control_is_recognised() {
        for t in [
            "COMMIT",
            "commit work",
            "-- c\nBEGIN",
            "/* x */ end",
            "ROLLBACK",
            "rollback and chain",
            "START TRANSACTION",
            "PREPARE TRANSACTION 'x'",
            "ABORT",
        ] {
            assert!(transaction_control(t).is_some(), "{t}");
        }
        for t in [
            "ROLLBACK TO SAVEPOINT a",
            "SAVEPOINT a",
            "CREATE TABLE commit (a int)",
            "PREPARE q AS SELECT 1",
            "SELECT 1",
            "",
        ] {
            assert!(transaction_control(t).is_none(), "{t}");
        }
    }
}
