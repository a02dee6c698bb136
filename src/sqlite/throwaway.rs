//! The throwaway database on SQLite: a file, rebuilt next to the old one (`<db>.kit-new`) and
//! moved over it only when the schema (or the migrations), the seeds and the bookkeeping all
//! succeeded, so a broken schema or seed file leaves the previous database as it was.
//!
//! Schema and seed texts run with their dialect blocks selected for SQLite
//! ([`crate::dialect::select`], which keeps line numbers), confined to the new file by
//! [`super::guard`]. Seeds run with foreign keys on, checked at the end.
//!
//! [`schema_model`] gives the PostgreSQL throwaway the tables a schema file makes, for
//! translating it.

use super::apply::Observer;
use super::load::run_script;
use crate::dialect::{self, Dialect};
use crate::error::{Error, Result};
use crate::migrate::{self, Direction, CREATE_VERSION_TABLE};
use crate::postgres::plan::Model;
use crate::schema::Schema;
use crate::sql::quote_str;
use crate::throwaway::{Script, Sources, MARKER_TABLE};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// The files beside a database that belong to it.
fn companions(db: &Path) -> Vec<PathBuf> {
    ["-wal", "-shm", "-journal"]
        .iter()
        .map(|s| {
            let mut p = db.as_os_str().to_owned();
            p.push(s);
            PathBuf::from(p)
        })
        .collect()
}

/// Refuses unless the database at `db` is missing or was made by `throwaway-reset`.
pub fn check_deletable(db: &Path) -> Result<()> {
    if !db.exists() {
        return Ok(());
    }
    let refuse = |why: &str| {
        Error::Database {
        path: db.display().to_string(),
        message: format!(
            "{why}, so kit will not delete it; point the config at a throwaway database, or pass --force to delete it anyway"
        ),
    }
    };
    let conn = Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|_| refuse("this file cannot be opened as a SQLite database"))?;
    let marked: rusqlite::Result<i64> = conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
        [MARKER_TABLE],
        |r| r.get(0),
    );
    match marked {
        Ok(1) => Ok(()),
        Ok(_) => Err(refuse(
            "this database was not created by `kit throwaway-reset` (it has no kit_throwaway table)",
        )),
        Err(_) => Err(refuse("this file is not a readable SQLite database")),
    }
}

/// Deletes a database file and its `-wal`, `-shm` and `-journal` files.
pub fn remove_database(db: &Path) -> Result<()> {
    for p in std::iter::once(db.to_path_buf()).chain(companions(db)) {
        remove(&p)?;
    }
    Ok(())
}

/// Deletes one file; a missing file is fine.
fn remove(p: &Path) -> Result<()> {
    match std::fs::remove_file(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Io {
            path: p.display().to_string(),
            source,
        }),
    }
}

/// Deletes and recreates the database file `db` from `sources`; returns the number of tables
/// it holds (kit's own excluded). `force` deletes a database kit did not make. `echo` receives
/// every statement executed.
pub fn reset(
    db: &Path,
    sources: &Sources,
    force: bool,
    echo: Option<&mut dyn FnMut(&str)>,
) -> Result<usize> {
    if !force {
        check_deletable(db)?;
    }
    let mut tmp = db.as_os_str().to_owned();
    tmp.push(".kit-new");
    let tmp = PathBuf::from(tmp);
    remove_database(&tmp)?;
    let tables = match build(&tmp, sources, echo) {
        Ok(n) => n,
        Err(e) => {
            for p in std::iter::once(tmp.clone()).chain(companions(&tmp)) {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
    };
    for p in companions(db) {
        remove(&p)?;
    }
    std::fs::rename(&tmp, db).map_err(|source| Error::Io {
        path: db.display().to_string(),
        source,
    })?;
    Ok(tables)
}

/// Builds the new database at `path`; returns its number of tables.
fn build(path: &Path, sources: &Sources, mut echo: Option<&mut dyn FnMut(&str)>) -> Result<usize> {
    let mut conn = Connection::open(path).map_err(|e| Error::Database {
        path: path.display().to_string(),
        message: format!("cannot create: {e}"),
    })?;
    // A throwaway needs no durability until it is complete: the file is moved into place only
    // after everything succeeded. The journal is kept in memory, so a migration that fails is
    // still rolled back (to its savepoint) like anywhere else.
    conn.execute_batch(
        "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON",
    )
    .map_err(ctx)?;
    match &sources.schema {
        Some(schema) => {
            conn.execute_batch("BEGIN").map_err(ctx)?;
            run_file(&mut conn, schema, &mut echo)?;
            conn.execute_batch("COMMIT").map_err(ctx)?;
        }
        None => replay(&mut conn, &sources.migrations, &mut echo)?,
    }
    conn.execute_batch("BEGIN; PRAGMA defer_foreign_keys = ON")
        .map_err(ctx)?;
    for seed in &sources.seeds {
        run_file(&mut conn, seed, &mut echo)?;
    }
    check_seed_foreign_keys(&conn, sources)?;
    for q in bookkeeping(sources) {
        if let Some(f) = echo.as_mut() {
            f(&q);
        }
        conn.execute_batch(&q).map_err(ctx)?;
    }
    conn.execute_batch("COMMIT").map_err(ctx)?;
    let tables = count_tables(&conn)?;
    conn.close().map_err(|(_, e)| ctx(e))?;
    Ok(tables)
}

/// A SQLite error while building the throwaway database.
fn ctx(e: rusqlite::Error) -> Error {
    Error::sqlite("creating the throwaway database", e)
}

/// Runs a schema or seed file: its SQLite text (dialect blocks selected, line numbers kept),
/// echoing each statement.
fn run_file(
    conn: &mut Connection,
    script: &Script,
    echo: &mut Option<&mut dyn FnMut(&str)>,
) -> Result<()> {
    let text = dialect::select(&script.text, Dialect::Sqlite).map_err(|e| in_script(e, script))?;
    echo_each(echo, &text);
    run_script(conn, &text, &script.origin)
}

/// Puts the file on a dialect-marker error (which carries only the line).
fn in_script(e: Error, script: &Script) -> Error {
    match e {
        Error::Syntax {
            message,
            line,
            column,
            statement,
        } => Error::Script {
            origin: script.origin.clone(),
            line,
            column,
            message,
            statement,
        },
        other => other,
    }
}

/// Replays every migration into the new database through kit's engine.
fn replay(
    conn: &mut Connection,
    migrations: &[migrate::Migration],
    echo: &mut Option<&mut dyn FnMut(&str)>,
) -> Result<()> {
    let mut observer = Observer {
        on_statement: echo.as_mut().map(|f| &mut **f as &mut dyn FnMut(&str)),
        ..Observer::default()
    };
    migrate::run(
        conn,
        migrations,
        Direction::Up,
        "head",
        &mut observer,
        |_| {},
    )?;
    Ok(())
}

/// Refuses seed rows that break a foreign key (checked once, after every seed file).
fn check_seed_foreign_keys(conn: &Connection, sources: &Sources) -> Result<()> {
    let violations: Vec<(String, Option<i64>, String)> = {
        let mut st = conn.prepare("PRAGMA foreign_key_check").map_err(ctx)?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(ctx)?;
        rows
    };
    match violations.first() {
        None => Ok(()),
        Some((t, rowid, parent)) => Err(Error::Database {
            path: sources
                .seeds
                .first()
                .map_or("seed".into(), |s| s.origin.clone()),
            message: format!(
                "seed rows break foreign keys: {} row(s), e.g. \"{t}\" rowid {} references a missing \"{parent}\" row; fix the seed files",
                violations.len(),
                rowid.map_or("?".into(), |r| r.to_string())
            ),
        }),
    }
}

/// The version table, the marker and, when built from the schema, every migration's row.
fn bookkeeping(sources: &Sources) -> Vec<String> {
    let now = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";
    let mut book = vec![
        CREATE_VERSION_TABLE.to_string(),
        format!("CREATE TABLE {MARKER_TABLE} (created_at TEXT NOT NULL, source TEXT NOT NULL)"),
        format!(
            "INSERT INTO {MARKER_TABLE} VALUES ({now}, {})",
            quote_str(&sources.source)
        ),
    ];
    if sources.schema.is_some() {
        for m in &sources.migrations {
            book.push(format!(
                "INSERT INTO kit_migrations (component, version, name, checksum, applied_at) VALUES ({}, {}, {}, {}, {now})",
                quote_str(&m.component),
                quote_str(&m.version),
                quote_str(&m.name),
                quote_str(&m.checksum)
            ));
        }
    }
    book
}

/// Tables of the database, kit's own excluded.
fn count_tables(conn: &Connection) -> Result<usize> {
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT IN ('kit_migrations', 'kit_throwaway')",
            [],
            |r| r.get(0),
        )
        .map_err(ctx)?;
    Ok(tables as usize)
}

/// The tables a schema file makes, for translating it to PostgreSQL: the file (its SQLite
/// text) is loaded into an in-memory database as a SQLite reset loads it, and read back once.
/// A file that only creates objects (and inserts rows) changes no table after creating it, so
/// every statement's translation sees the tables as they are when it runs (and, for forward
/// references, as they will be). `None` when the file does more (`ALTER`, `DROP`, ...) or
/// SQLite refuses it: then the caller follows it statement by statement.
pub fn schema_model(text: &str, origin: &str) -> Option<Box<dyn Model>> {
    let text = dialect::select(text, Dialect::Sqlite).ok()?;
    let pieces = crate::sql::split_statements(&text).ok()?;
    let creates_only = pieces.iter().all(|p| {
        let first = p
            .text
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or("");
        ["create", "insert", "select", "values", "with", "pragma"]
            .iter()
            .any(|k| first.eq_ignore_ascii_case(k))
    });
    if !creates_only {
        return None;
    }
    let mut conn = Connection::open_in_memory().ok()?;
    super::apply::register_functions(&conn).ok()?;
    run_script(&mut conn, &text, origin).ok()?;
    let schema = super::read::read_schema(&conn).ok()?;
    let names = schema
        .tables
        .keys()
        .map(|k| (k.to_lowercase(), k.clone()))
        .collect();
    Some(Box::new(LoadedSchema { schema, names }))
}

/// The tables of a whole schema file (see [`schema_model`]); it does not move.
struct LoadedSchema {
    schema: Schema,
    /// Lower-cased table name -> key in `schema.tables`.
    names: std::collections::HashMap<String, String>,
}

impl Model for LoadedSchema {
    fn schema(&mut self) -> Result<Schema> {
        Ok(self.schema.clone())
    }

    /// Only the tables `statement` names.
    fn schema_for(&mut self, statement: &str) -> Result<Schema> {
        let Ok(tokens) = crate::sql::lex(statement) else {
            return self.schema();
        };
        let mut out = Schema::default();
        for name in tokens.iter().filter_map(|t| t.ident(statement)) {
            let Some(key) = self.names.get(&name.to_lowercase()) else {
                continue;
            };
            if !out.tables.contains_key(key) {
                if let Some(t) = self.schema.tables.get(key) {
                    out.tables.insert(key.clone(), t.clone());
                }
            }
        }
        Ok(out)
    }

    fn advance(&mut self, _statement: &str) -> Result<()> {
        Ok(())
    }
}

/// Echoes each statement of a script.
fn echo_each(echo: &mut Option<&mut dyn FnMut(&str)>, text: &str) {
    if let Some(f) = echo.as_mut() {
        if let Ok(pieces) = crate::sql::split_statements(text) {
            for p in pieces {
                f(&p.text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(origin: &str, text: &str) -> Script {
        Script {
            origin: origin.into(),
            text: text.into(),
        }
    }

    fn sources(schema: &str, seed: &str) -> Sources {
        Sources {
            schema: Some(script("schema.sql", schema)),
            seeds: vec![script("seed.sql", seed)],
            migrations: vec![],
            source: "schema.sql".into(),
        }
    }

    const SCHEMA: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\n-- kit:only postgresql\nCREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n-- kit:only sqlite\nCREATE TABLE only_sqlite (x);\n-- kit:all\n";

    #[test]
    fn schema_and_seed_files_run_their_sqlite_blocks_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let seed = "INSERT INTO t VALUES (1, 'both');\n-- kit:only postgresql\nINSERT INTO t VALUES (2, 'pg' || now()::text);\n-- kit:only sqlite\nINSERT INTO t VALUES (3, 'sqlite');\n-- kit:all\n";
        assert_eq!(reset(&db, &sources(SCHEMA, seed), false, None).unwrap(), 2);
        let c = Connection::open(&db).unwrap();
        let v: Vec<String> = c
            .prepare("SELECT v FROM t ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(v, ["both", "sqlite"]);
    }

    #[test]
    fn a_create_only_schema_file_is_read_once_and_gives_the_tables_a_statement_names() {
        let text = "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id REFERENCES b(id));\nCREATE TABLE b (id INTEGER PRIMARY KEY);\nCREATE TABLE c (x);\nINSERT INTO c VALUES (1);\n";
        let mut m = schema_model(text, "schema.sql").expect("create-only");
        let part = m
            .schema_for("CREATE TABLE a (id INTEGER PRIMARY KEY, b_id REFERENCES B(id))")
            .unwrap();
        let names: Vec<&String> = part.tables.keys().collect();
        assert_eq!(names, ["a", "b"], "b is known before it is created");
        assert_eq!(m.schema().unwrap().tables.len(), 3);
        for more in [
            "CREATE TABLE a (x); ALTER TABLE a ADD COLUMN y;",
            "CREATE TABLE a (x); DROP TABLE a;",
            "CREATE TABLE a (x); CREATE TABLE a (y);",
        ] {
            assert!(schema_model(more, "schema.sql").is_none(), "{more}");
        }
    }

    #[test]
    fn errors_after_a_block_keep_the_file_s_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let seed = "-- kit:only postgresql\nINSERT INTO t VALUES (2, 'pg');\n-- kit:all\nINSERT INTO t (nope) VALUES (1);\n";
        let e = reset(&db, &sources(SCHEMA, seed), false, None).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("seed.sql, line 4, column"), "{text}");
        assert!(!db.exists(), "nothing moved into place");
        let bad = "-- kit:only oracle\nSELECT 1;\n";
        let e = reset(&db, &sources(bad, ""), false, None).unwrap_err();
        assert!(e.to_string().starts_with("schema.sql, line 1"), "{e}");
    }
}
