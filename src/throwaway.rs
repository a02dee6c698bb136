//! The throwaway database of the schema-iteration loop: deleted and recreated from the schema
//! (or by replaying the migrations) plus seed data, in one command.
//!
//! The new database is built next to the old one under a temporary name and only then moved
//! over it, so a broken schema or seed file leaves the previous database as it was. kit marks
//! the databases it makes with a `kit_throwaway` table and refuses to delete any other.

use crate::config::{Config, From};
use crate::error::{Error, Result};
use crate::migrate::{self, Direction, CREATE_VERSION_TABLE};
use crate::sql::quote_str;
use crate::sqlite::apply::Observer;
use crate::sqlite::load::run_script;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// The marker table of a throwaway database.
pub const MARKER_TABLE: &str = "kit_throwaway";

/// What a reset did.
#[derive(Debug, Clone, PartialEq)]
pub struct ResetReport {
    /// The database file.
    pub database: PathBuf,
    /// Where the schema came from: the schema file, or the number of migrations replayed.
    pub source: String,
    /// Tables in the new database (kit's own excluded).
    pub tables: usize,
    /// Seed files run.
    pub seed_files: usize,
    /// Migrations recorded as applied.
    pub recorded: usize,
    /// Time taken.
    pub elapsed: Duration,
}

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

/// Deletes and recreates the config's database. `force` deletes a database kit did not make.
/// `echo` receives every statement executed.
pub fn reset(cfg: &Config, force: bool, echo: Option<&mut dyn FnMut(&str)>) -> Result<ResetReport> {
    let started = Instant::now();
    let db = &cfg.database;
    if !force {
        check_deletable(db)?;
    }
    let migrations = migrate::load(&cfg.migrations)?;
    let mut tmp = db.as_os_str().to_owned();
    tmp.push(".kit-new");
    let tmp = PathBuf::from(tmp);
    for p in std::iter::once(tmp.clone()).chain(companions(&tmp)) {
        remove(&p)?;
    }
    let built = build(cfg, &tmp, &migrations, echo);
    let (tables, source) = match built {
        Ok(x) => x,
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
    Ok(ResetReport {
        database: db.clone(),
        source,
        tables,
        seed_files: cfg.seed.len(),
        recorded: migrations.len(),
        elapsed: started.elapsed(),
    })
}

/// Builds the new database at `path`: (tables, where the schema came from).
fn build(
    cfg: &Config,
    path: &Path,
    migrations: &[migrate::Migration],
    mut echo: Option<&mut dyn FnMut(&str)>,
) -> Result<(usize, String)> {
    let mut conn = Connection::open(path).map_err(|e| Error::Database {
        path: path.display().to_string(),
        message: format!("cannot create: {e}"),
    })?;
    let ctx = |e| Error::sqlite("creating the throwaway database", e);
    // A throwaway needs no durability until it is complete: the file is moved into place only
    // after everything succeeded. The journal is kept in memory, so a migration that fails is
    // still rolled back (to its savepoint) like anywhere else.
    conn.execute_batch(
        "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON",
    )
    .map_err(ctx)?;
    let source = match cfg.from {
        From::Schema => {
            let text = std::fs::read(&cfg.schema).map_err(|e| Error::Database {
                path: cfg.schema.display().to_string(),
                message: format!("cannot read the schema file: {e}"),
            })?;
            let text = crate::sql::decode(&text, &cfg.schema.display().to_string())?;
            conn.execute_batch("BEGIN").map_err(ctx)?;
            echo_each(&mut echo, &text);
            run_script(&mut conn, &text, &cfg.schema.display().to_string())?;
            conn.execute_batch("COMMIT").map_err(ctx)?;
            cfg.schema.display().to_string()
        }
        From::Migrations => {
            let mut on_statement = |s: &str| {
                if let Some(f) = echo.as_mut() {
                    f(s)
                }
            };
            let mut observer = Observer {
                on_statement: Some(&mut on_statement),
                on_progress: None,
                on_note: None,
            };
            migrate::run(
                &mut conn,
                migrations,
                Direction::Up,
                "head",
                &mut observer,
                |_| {},
            )?;
            format!("{} migration(s)", migrations.len())
        }
    };
    conn.execute_batch("BEGIN; PRAGMA defer_foreign_keys = ON")
        .map_err(ctx)?;
    for seed in &cfg.seed {
        let text = std::fs::read(seed).map_err(|e| Error::Database {
            path: seed.display().to_string(),
            message: format!("cannot read the seed file: {e}"),
        })?;
        let text = crate::sql::decode(&text, &seed.display().to_string())?;
        echo_each(&mut echo, &text);
        run_script(&mut conn, &text, &seed.display().to_string())?;
    }
    let violations: Vec<(String, Option<i64>, String)> = {
        let mut st = conn.prepare("PRAGMA foreign_key_check").map_err(ctx)?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(ctx)?;
        rows
    };
    if let Some((t, rowid, parent)) = violations.first() {
        return Err(Error::Database {
            path: cfg
                .seed
                .first()
                .map_or("seed".into(), |s| s.display().to_string()),
            message: format!(
                "seed rows break foreign keys: {} row(s), e.g. \"{t}\" rowid {} references a missing \"{parent}\" row; fix the seed files",
                violations.len(),
                rowid.map_or("?".into(), |r| r.to_string())
            ),
        });
    }
    let mut book = vec![
        CREATE_VERSION_TABLE.to_string(),
        format!("CREATE TABLE {MARKER_TABLE} (created_at TEXT NOT NULL, source TEXT NOT NULL)"),
        format!(
            "INSERT INTO {MARKER_TABLE} VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), {})",
            quote_str(&source)
        ),
    ];
    if cfg.from == From::Schema {
        for m in migrations {
            book.push(format!(
                "INSERT INTO kit_migrations VALUES ({}, {}, {}, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                quote_str(&m.version),
                quote_str(&m.name),
                quote_str(&m.checksum)
            ));
        }
    }
    for q in &book {
        if let Some(f) = echo.as_mut() {
            f(q);
        }
        conn.execute_batch(q).map_err(ctx)?;
    }
    conn.execute_batch("COMMIT").map_err(ctx)?;
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT IN ('kit_migrations', 'kit_throwaway')",
            [],
            |r| r.get(0),
        )
        .map_err(ctx)?;
    conn.close().map_err(|(_, e)| ctx(e))?;
    Ok((tables as usize, source))
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

/// The files a `--watch` loop watches: the config, the schema, the seed files and every file
/// of the migrations directory.
pub fn watched_files(cfg: &Config) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = cfg.file.iter().cloned().collect();
    out.push(cfg.schema.clone());
    out.extend(cfg.seed.iter().cloned());
    out.push(cfg.migrations.clone());
    if let Ok(entries) = std::fs::read_dir(&cfg.migrations) {
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        out.extend(files);
    }
    out
}

/// A fingerprint of files (modification time and size, or absence) that changes when any of
/// them is written, created or deleted.
pub fn fingerprint(files: &[PathBuf]) -> Vec<(PathBuf, Option<(SystemTime, u64)>)> {
    files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f)
                .ok()
                .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
            (f.clone(), meta)
        })
        .collect()
}
