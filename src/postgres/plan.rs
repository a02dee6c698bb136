//! kit's statements -> the PostgreSQL statements that run them natively.
//!
//! A text (a migration part, a change, a schema or seed file) is cut into its statements for
//! PostgreSQL ([`crate::dialect::blocks`]): the portable ones are translated from kit's model
//! ([`super::translate::statement`]), those of `-- kit:only postgresql` blocks run as written.
//! Translation needs the tables as they stand before each statement (column types for a type
//! change's `USING`, a boolean column's default, the names unnamed constraints have): a
//! [`Model`] gives them and is moved forward statement by statement, with the SQLite side of
//! the same text (portable statements and `-- kit:only sqlite` blocks), so one file means the
//! same on both databases.
//!
//! The result is a plain list of statements ([`PgPlan`]), computed before anything runs: the
//! same value is what `--dry-run` and `--sql` print and what a run executes.

use super::translate;
use super::Sql;
use crate::dialect::{self, Dialect};
use crate::error::{Error, Result};
use crate::schema::Schema;
use crate::sql::line_col;

/// The tables as they stand before each statement of a text, kept in step by [`plan_text`].
pub trait Model {
    /// The schema as it is now.
    fn schema(&mut self) -> Result<Schema>;
    /// The schema as it is now, as far as `statement` needs it for its translation: by default
    /// all of it; a model may leave out the tables `statement` does not name (so a large schema
    /// is not copied for every statement).
    fn schema_for(&mut self, statement: &str) -> Result<Schema> {
        let _ = statement;
        self.schema()
    }
    /// Moves the model past one statement, as SQLite runs it.
    fn advance(&mut self, statement: &str) -> Result<()>;
}

/// A model that knows no tables and never changes: translation then works without column
/// types (no `USING` added, defaults kept as written).
pub struct NoModel;

impl Model for NoModel {
    fn schema(&mut self) -> Result<Schema> {
        Ok(Schema::default())
    }
    fn advance(&mut self, _statement: &str) -> Result<()> {
        Ok(())
    }
}

/// The PostgreSQL statements for a text, and what the translation changed or dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgPlan {
    /// The statements, in order, each with where it was written.
    pub statements: Vec<Sql>,
    /// Notes of the translation (a skipped `SET STRICT`, a `VIRTUAL` column made `STORED`).
    pub notes: Vec<String>,
    /// True when the text inserts rows (identities may need moving past explicit ids).
    pub inserts: bool,
}

impl PgPlan {
    /// The statements as `--dry-run` prints them: one per line, `;`-terminated, notes as
    /// comments.
    pub fn script(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .notes
            .iter()
            .map(|n| crate::sql::comment(&format!("note: {n}")))
            .collect();
        out.extend(self.statements.iter().map(|s| format!("{};", s.text)));
        out
    }
}

/// One statement of the text for one of the databases, in text order.
struct Item {
    offset: usize,
    text: String,
    /// Runs on PostgreSQL (translated unless `raw`).
    postgres: bool,
    /// Written in a `-- kit:only postgresql` block: runs as written.
    raw: bool,
    /// Moves the SQLite model.
    sqlite: bool,
}

/// The statements of `text` for both databases, in order: portable ones once (for both),
/// dialect-block ones for their database.
fn items(text: &str) -> Result<Vec<Item>> {
    let mut out: Vec<Item> = dialect::blocks(text, Dialect::Postgres)?
        .into_iter()
        .map(|b| Item {
            offset: b.piece.offset,
            text: b.piece.text,
            postgres: true,
            raw: b.only,
            sqlite: !b.only,
        })
        .collect();
    out.extend(
        dialect::blocks(text, Dialect::Sqlite)?
            .into_iter()
            .filter(|b| b.only)
            .map(|b| Item {
                offset: b.piece.offset,
                text: b.piece.text,
                postgres: false,
                raw: false,
                sqlite: true,
            }),
    );
    out.sort_by_key(|i| i.offset);
    Ok(out)
}

/// Plans `text` (written in `origin`) for PostgreSQL, moving `model` along with it.
pub fn plan_text(text: &str, origin: &str, model: &mut dyn Model) -> Result<PgPlan> {
    match plan_text_until_model_fails(text, origin, model)? {
        (plan, None) => Ok(plan),
        (_, Some(e)) => Err(e),
    }
}

/// Plans `text` like [`plan_text`], except where the model cannot follow a statement (SQLite
/// refuses it: an unknown table or column, a typo): the plan then ends with that statement and
/// SQLite's refusal comes back beside it, located. A run executes that much and reports
/// PostgreSQL's own error (message, SQLSTATE, position) when PostgreSQL refuses it too, else
/// SQLite's refusal: either way nothing of the migration stays.
pub fn plan_text_until_model_fails(
    text: &str,
    origin: &str,
    model: &mut dyn Model,
) -> Result<(PgPlan, Option<Error>)> {
    let mut plan = PgPlan::default();
    let items = items(text).map_err(|e| located(e, origin, 0, text))?;
    // kit's statement rules, for every statement before any runs: what SQLite's side refuses
    // by rule (transaction control, PRAGMA, ...) never reaches PostgreSQL, and a `-- kit:only
    // postgresql` block cannot end kit's transaction either.
    for item in &items {
        // What reaches beyond the database is refused first, with its own reason.
        if item.postgres {
            let (line, column) = line_col(text, item.offset);
            confined(&item.text, origin, line, column)?;
        }
        let refused = if item.raw {
            transaction_control(&item.text)
        } else {
            crate::statements::parse_statement(&item.text).err()
        };
        if let Some(e) = refused {
            let also = match &e {
                Error::Unsupported { what, .. } if !item.raw && !what.starts_with("transaction") => {
                    "\n  a statement for PostgreSQL only goes in a `-- kit:only postgresql` block (then `-- kit:all`)"
                }
                _ => "",
            };
            return Err(match e {
                Error::Syntax { .. } => located(e, origin, item.offset, text),
                other => Error::Database {
                    path: place(origin, line_col(text, item.offset).0),
                    message: format!("{other}{also}"),
                },
            });
        }
    }
    for item in items {
        let (line, column) = line_col(text, item.offset);
        let at = |text: String| Sql {
            text,
            origin: origin.to_string(),
            line,
            column,
            translated: true,
        };
        // Views over a table whose column types change: PostgreSQL refuses the change under
        // them, SQLite's rebuild keeps them, so they go before and come back after.
        let mut views = Vec::new();
        if item.postgres {
            confined(&item.text, origin, line, column)?;
            if item.raw {
                plan.statements
                    .push(Sql::at(item.text.clone(), origin, line, column));
            } else {
                // A type change needs the views over its table; other statements only the
                // tables they name.
                let retyped = retyped_table(&item.text);
                let schema = match &retyped {
                    Some(_) => model.schema()?,
                    None => model.schema_for(&item.text)?,
                };
                if let Some(table) = retyped {
                    views = views_reading(&schema, &table);
                }
                for v in views.iter().rev() {
                    plan.statements
                        .push(at(format!("DROP VIEW {}", translate::ident(v))));
                }
                let t = translate::statement(&item.text, Some(&schema))
                    .map_err(|e| located(e, origin, item.offset, text))?;
                for n in t.notes {
                    plan.notes.push(format!("{}: {n}", place(origin, line)));
                }
                for s in t.statements {
                    let translated = s != item.text;
                    plan.statements.push(Sql {
                        text: s,
                        origin: origin.to_string(),
                        line,
                        column,
                        translated,
                    });
                }
            }
            plan.inserts |= writes_rows(&item.text);
        }
        if item.sqlite {
            if let Err(e) = model.advance(&item.text) {
                return Ok((plan, Some(sqlite_refused(e, origin, line, &item.text))));
            }
        }
        if !views.is_empty() {
            // As they read after the change (SQLite rewrote renamed columns in them).
            let schema = model.schema()?;
            for v in &views {
                let Some(view) = schema
                    .views
                    .values()
                    .find(|x| x.name.eq_ignore_ascii_case(v))
                else {
                    continue;
                };
                let t = translate::create_view(&view.sql)
                    .map_err(|e| located(e, origin, item.offset, text))?;
                plan.statements.extend(t.statements.into_iter().map(at));
            }
            plan.notes.push(format!(
                "{}: view(s) {} dropped before and created again after the type change, which PostgreSQL refuses under a view",
                place(origin, line),
                views
                    .iter()
                    .map(|v| crate::sql::quote_ident(v))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Ok((plan, None))
}

/// The table of an `ALTER TABLE` that changes a column's type.
fn retyped_table(text: &str) -> Option<String> {
    match crate::statements::parse_statement(text).ok()? {
        crate::statements::Statement::Alter { alter, .. } => alter
            .ops
            .iter()
            .any(|op| matches!(op, crate::ops::Op::AlterType { .. }))
            .then_some(alter.table),
        _ => None,
    }
}

/// The views of `schema` that read `table`, directly or through other views, in creation
/// order.
fn views_reading(schema: &Schema, table: &str) -> Vec<String> {
    let mut read = vec![table.to_string()];
    let mut out: Vec<String> = Vec::new();
    loop {
        let more: Vec<String> = schema
            .views
            .values()
            .filter(|v| !out.iter().any(|o| o.eq_ignore_ascii_case(&v.name)))
            .filter(|v| read.iter().any(|r| crate::sql::mentions(&v.sql, r)))
            .map(|v| v.name.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        read.extend(more.iter().cloned());
        out.extend(more);
    }
    schema
        .views
        .values()
        .filter(|v| out.iter().any(|o| o.eq_ignore_ascii_case(&v.name)))
        .map(|v| v.name.clone())
        .collect()
}

/// `origin, line N` (`line N` without an origin).
fn place(origin: &str, line: usize) -> String {
    if origin.is_empty() {
        format!("line {line}")
    } else {
        format!("{origin}, line {line}")
    }
}

/// The refusal of a PostgreSQL statement that would end or nest kit's transaction.
fn transaction_control(text: &str) -> Option<Error> {
    let words = first_words(text, 2);
    let kw = |i: usize, w: &str| words.get(i).is_some_and(|x| x.eq_ignore_ascii_case(w));
    let control = [
        "begin",
        "commit",
        "end",
        "rollback",
        "abort",
        "savepoint",
        "release",
    ]
    .iter()
    .any(|w| kw(0, w))
        || ((kw(0, "start") || kw(0, "prepare")) && kw(1, "transaction"));
    control.then(|| Error::Unsupported {
        what: format!("transaction control ({})", words[0].to_ascii_uppercase()),
        statement: text.to_string(),
        hint: "kit runs each migration and change in a transaction of its own (a migration in a savepoint of the run's), so one that fails leaves nothing; remove this statement".into(),
    })
}

/// The first `n` words of `text`, past whitespace and comments (PostgreSQL's text need not
/// lex as SQLite's).
fn first_words(text: &str, n: usize) -> Vec<&str> {
    let mut rest = text;
    let mut out = Vec::new();
    while out.len() < n {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, after)| after);
        } else {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if len == 0 {
                break;
            }
            out.push(&rest[..len]);
            rest = &rest[len..];
        }
    }
    out
}

/// The error for a statement the model (the tables on SQLite) cannot follow.
fn sqlite_refused(e: Error, origin: &str, line: usize, statement: &str) -> Error {
    let first = statement.lines().next().unwrap_or("").trim();
    Error::Database {
        path: place(origin, line),
        message: format!(
            "SQLite refuses `{first}`: {e}\n  kit translates a migration for PostgreSQL against the tables the migrations make, as SQLite has them, so one file means the same on both databases; fix the statement, or give each database its own form in dialect blocks (`-- kit:only postgresql`, `-- kit:only sqlite`, `-- kit:all`)"
        ),
    }
}

/// Refuses a statement that reaches beyond the database or takes over kit's transaction
/// ([`super::confine::refused`]), naming where it was written.
fn confined(statement: &str, origin: &str, line: usize, column: usize) -> Result<()> {
    match super::confine::refused(statement) {
        None => Ok(()),
        Some(message) => Err(Error::Script {
            origin: origin.to_string(),
            line,
            column,
            message,
            statement: statement.to_string(),
        }),
    }
}

/// True for statements that insert rows (`INSERT`, `COPY`, `WITH ... INSERT`).
fn writes_rows(text: &str) -> bool {
    crate::sql::lex(text).is_ok_and(|toks| {
        toks.iter()
            .any(|t| t.is_kw(text, "insert") || t.is_kw(text, "copy"))
    })
}

/// Puts the file and the line of the statement at `offset` of `text` on an error.
fn located(e: Error, origin: &str, offset: usize, text: &str) -> Error {
    let (line, _) = line_col(text, offset);
    match e {
        Error::Syntax {
            message,
            line: l,
            column,
            statement,
        } => Error::Syntax {
            message: format!("{origin}: {message}"),
            line: if offset == 0 { l } else { line + l - 1 },
            column,
            statement,
        },
        Error::Script { .. } => e,
        other => other.at(origin, line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_statements_are_translated_and_blocks_run_as_written() {
        let text = "CREATE TABLE t (id INTEGER PRIMARY KEY, flag BOOLEAN DEFAULT 0);\n\
                    -- kit:only postgresql\n\
                    CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$;\n\
                    -- kit:only sqlite\n\
                    CREATE TRIGGER g AFTER INSERT ON t BEGIN SELECT 1; END;\n\
                    -- kit:all\n\
                    INSERT INTO t (id) VALUES (5);\n";
        let p = plan_text(text, "m.sql", &mut NoModel).unwrap();
        assert_eq!(p.statements.len(), 3, "{:?}", p.statements);
        assert!(p.statements[0]
            .text
            .contains("GENERATED BY DEFAULT AS IDENTITY"));
        assert!(p.statements[0].text.contains("DEFAULT false"));
        assert!(p.statements[1].text.starts_with("CREATE FUNCTION f()"));
        assert!(!p.statements[1].translated);
        assert_eq!(p.statements[2].line, 7);
        assert!(p.inserts);
    }
}
