//! The throwaway database of the schema-iteration loop: deleted and recreated from the schema
//! (or by replaying the migrations) plus seed data, in one command, on SQLite or PostgreSQL.
//!
//! The new database is built next to the old one and only then moved over it, so a broken
//! schema or seed file leaves the previous database as it was. kit marks the databases it
//! makes with a `kit_throwaway` table and refuses to delete any other. This module holds what
//! both databases share (reading the files, the report, the `--watch` fingerprint) and
//! dispatches on the config's database: a SQLite file ([`crate::sqlite::throwaway`]) or a
//! PostgreSQL URL ([`crate::postgres::throwaway`]).

use crate::config::{Config, From};
use crate::error::{Error, Result};
use crate::migrate::{self, Migration};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

pub use crate::sqlite::throwaway::{check_deletable, remove_database};

/// The marker table of a throwaway database.
pub const MARKER_TABLE: &str = "kit_throwaway";

/// What a reset did.
#[derive(Debug, Clone, PartialEq)]
pub struct ResetReport {
    /// The database, as it may be printed: the file, or the URL without its password.
    pub database: String,
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

/// A schema or seed file, read and decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// The file, as errors name it.
    pub origin: String,
    /// Its text (both dialects; each side selects its own blocks).
    pub text: String,
}

/// Everything a reset builds from, read before anything is deleted or created.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The schema file, when the database is built from it (`from = "schema"`); `None` when
    /// the migrations are replayed.
    pub schema: Option<Script>,
    /// The seed files, in order.
    pub seeds: Vec<Script>,
    /// Every migration file (recorded as applied, or replayed).
    pub migrations: Vec<Migration>,
    /// Where the schema comes from, for the report and the marker row.
    pub source: String,
}

impl Sources {
    /// Reads the config's schema (when `from = "schema"`), seed and migration files.
    pub fn read(cfg: &Config) -> Result<Sources> {
        if cfg.has_components() {
            return Sources::read_components(cfg);
        }
        let migrations = migrate::load(&cfg.migrations)?;
        let schema = match cfg.from {
            From::Schema => Some(read_script(&cfg.schema, "schema")?),
            From::Migrations => None,
        };
        Sources::assemble(cfg, schema, migrations)
    }

    /// The sources of `schema` (or, without one, of `migrations` replayed) and the config's
    /// seed files, named by the schema's origin or by the number of migrations.
    fn assemble(
        cfg: &Config,
        schema: Option<Script>,
        migrations: Vec<Migration>,
    ) -> Result<Sources> {
        let seeds = read_seeds(cfg)?;
        let source = match &schema {
            Some(s) => s.origin.clone(),
            None => format!("{} migration(s)", migrations.len()),
        };
        Ok(Sources {
            schema,
            seeds,
            migrations,
            source,
        })
    }
}

impl Sources {
    /// With components: every component's schema file in dependency order (one script whose
    /// line numbers [`relocate`] maps back to each file), and every component's migrations in
    /// the order an upgrade from base runs them.
    fn read_components(cfg: &Config) -> Result<Sources> {
        let components = cfg.components();
        let loaded = crate::phased::load(&components)?;
        let statuses = crate::phased::statuses(&loaded, &[]);
        let migrations = crate::phased::upgrade_schedule(&statuses, &crate::phased::UpTarget::All)?;
        let schema = match cfg.from {
            From::Schema => {
                let order =
                    crate::components::dependency_order(&crate::phased::decls(&components))?;
                let mut text = String::new();
                for name in order {
                    let c = components
                        .iter()
                        .find(|c| c.name == name)
                        .expect("declared");
                    let s = read_script(&c.schema, "schema")?;
                    text.push_str(&s.text);
                    if !s.text.ends_with('\n') {
                        text.push('\n');
                    }
                    text.push_str(&format!("-- {COMPONENTS_SEPARATOR}\n"));
                }
                Some(Script {
                    origin: COMPONENTS_ORIGIN.into(),
                    text,
                })
            }
            From::Migrations => None,
        };
        let mut sources = Sources::assemble(cfg, schema, migrations)?;
        if sources.schema.is_some() {
            sources.source = format!("{} component schema file(s)", components.len());
        }
        Ok(sources)
    }
}

/// The origin of the components' schema files read as one script.
const COMPONENTS_ORIGIN: &str = "the components' schema files";

/// The comment line that ends each component's schema file in that script.
const COMPONENTS_SEPARATOR: &str = "kit: end of a component's schema file";

/// Maps a line of the components' script back to its file and line (the files in dependency
/// order), in errors that name a line of it.
fn relocate(e: Error, cfg: &Config) -> Error {
    let Error::Script {
        origin,
        line,
        column,
        message,
        statement,
    } = e
    else {
        return e;
    };
    if origin != COMPONENTS_ORIGIN {
        return Error::Script {
            origin,
            line,
            column,
            message,
            statement,
        };
    }
    let components = cfg.components();
    let order =
        crate::components::dependency_order(&crate::phased::decls(&components)).unwrap_or_default();
    let mut first = 1;
    for name in order {
        let Some(c) = components.iter().find(|c| c.name == name) else {
            continue;
        };
        let lines = std::fs::read_to_string(&c.schema)
            .map(|t| t.lines().count().max(1))
            .unwrap_or(1);
        if line < first + lines {
            return Error::Script {
                origin: c.schema.display().to_string(),
                line: line + 1 - first,
                column,
                message,
                statement,
            };
        }
        first += lines + 1;
    }
    Error::Script {
        origin,
        line,
        column,
        message,
        statement,
    }
}

/// The config's seed files, read and decoded, in order.
fn read_seeds(cfg: &Config) -> Result<Vec<Script>> {
    cfg.seed.iter().map(|s| read_script(s, "seed")).collect()
}

/// Reads and decodes an SQL file (`what`: "schema" or "seed", for the message).
fn read_script(path: &Path, what: &str) -> Result<Script> {
    let origin = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::Database {
        path: origin.clone(),
        message: format!("cannot read the {what} file: {e}"),
    })?;
    let text = crate::sql::decode(&bytes, &origin)?;
    Ok(Script { origin, text })
}

/// Deletes and recreates the config's database. `force` deletes a database kit did not make.
/// `echo` receives every statement executed.
pub fn reset(cfg: &Config, force: bool, echo: Option<&mut dyn FnMut(&str)>) -> Result<ResetReport> {
    let started = Instant::now();
    let sources = Sources::read(cfg)?;
    let tables = match cfg.database_url() {
        Some(url) => crate::postgres::throwaway::reset(
            url,
            cfg.postgres_schema.as_deref(),
            &sources,
            force,
            cfg.lock_timeout,
            crate::postgres::throwaway::Models {
                replayed: crate::db::sqlite_models,
                schema_file: crate::sqlite::throwaway::schema_model,
            },
            echo,
        ),
        None => crate::sqlite::throwaway::reset(&cfg.database, &sources, force, echo),
    }
    .map_err(|e| relocate(e, cfg))?;
    Ok(ResetReport {
        database: cfg.database_display(),
        source: sources.source,
        tables,
        seed_files: sources.seeds.len(),
        recorded: sources.migrations.len(),
        elapsed: started.elapsed(),
    })
}

/// The files a `--watch` loop watches: the config, the schema, the seed files and every file
/// of the migrations directory.
pub fn watched_files(cfg: &Config) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = cfg.file.iter().cloned().collect();
    out.extend(cfg.components().iter().map(|c| c.schema.clone()));
    out.extend(cfg.seed.iter().cloned());
    for c in cfg.components() {
        out.push(c.migrations.clone());
        if let Ok(entries) = std::fs::read_dir(&c.migrations) {
            let mut files: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            out.extend(files);
        }
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
