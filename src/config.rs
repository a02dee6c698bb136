//! The project configuration file (`temp.toml`, `dev.toml`): where the database, the target
//! schema and the migrations are, and how a throwaway database is made.
//!
//! Paths in the file are relative to the file itself, so a config works from any directory.
//! Unknown keys and wrong types are errors that name the key.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The template `kit config-create` writes; `{database}` is replaced by the database path.
pub const TEMPLATE: &str = r#"# kit configuration. Paths are relative to this file.

# The SQLite database file kit works on.
database = "{database}"

# The target schema: CREATE statements, the source of truth that `kit diff`,
# `kit rebuild --to` and `kit revision --autogenerate` compare the database with.
schema = "schema.sql"

# Migration files: <version>_<slug>.sql, each with a `-- kit:up` and a `-- kit:down` part.
migrations = "migrations"

[throwaway]
# SQL files run, in order, after `kit throwaway-reset` creates the database.
seed = []
# How the database is created: "schema" (load schema.sql) or "migrations" (replay them all).
from = "schema"

[log]
# Echo every executed statement to stderr.
sql = false
"#;

/// How `throwaway-reset` builds the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum From {
    /// Load the schema file.
    #[default]
    Schema,
    /// Replay every migration.
    Migrations,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    database: Option<String>,
    #[serde(default = "default_schema")]
    schema: String,
    #[serde(default = "default_migrations")]
    migrations: String,
    #[serde(default)]
    throwaway: RawThrowaway,
    #[serde(default)]
    log: RawLog,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawThrowaway {
    #[serde(default)]
    seed: Vec<String>,
    #[serde(default)]
    from: From,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLog {
    #[serde(default)]
    sql: bool,
}

/// The dotted key (`log.sql`) of the `key = value` line holding byte `offset` of a TOML text.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let line_start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |p| p + 1);
    let line = text[line_start..].lines().next()?;
    let key = line.split_once('=')?.0.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.ends_with(']'))
        .map(|l| l.trim_matches(['[', ']']).trim().to_string());
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_string(),
    })
}

fn default_schema() -> String {
    "schema.sql".into()
}

fn default_migrations() -> String {
    "migrations".into()
}

/// A loaded configuration, with every path resolved against the file's directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The config file itself (`None` when built from `--db` alone).
    pub file: Option<PathBuf>,
    /// The database file.
    pub database: PathBuf,
    /// The target schema file.
    pub schema: PathBuf,
    /// The migrations directory.
    pub migrations: PathBuf,
    /// Seed files for `throwaway-reset`, in order.
    pub seed: Vec<PathBuf>,
    /// How `throwaway-reset` builds the database.
    pub from: From,
    /// Echo every executed statement.
    pub log_sql: bool,
}

impl Config {
    /// Reads and checks a config file. `database` overrides the file's `database` (a path
    /// relative to the current directory, as typed on a command line).
    pub fn load(path: &Path, database: Option<&Path>) -> Result<Config> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Database {
            path: shown.clone(),
            message: if e.kind() == std::io::ErrorKind::NotFound {
                "no such config file; create one with `kit config-create FILE`".into()
            } else {
                format!("cannot read the config file: {e}")
            },
        })?;
        let raw: RawConfig = toml::from_str(&text).map_err(|e| Error::Database {
            path: shown.clone(),
            message: match e.span().and_then(|s| key_at(&text, s.start)) {
                Some(key) => format!("invalid config: key `{key}`: {}", e.to_string().trim_end()),
                None => format!("invalid config: {}", e.to_string().trim_end()),
            },
        })?;
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let resolve = |p: &str| base.join(p);
        let database = match (database, raw.database) {
            (Some(d), _) => d.to_path_buf(),
            (None, Some(d)) => resolve(&d),
            (None, None) => {
                return Err(Error::Database {
                    path: shown,
                    message: "invalid config: missing key `database` (or pass --db PATH)".into(),
                })
            }
        };
        Ok(Config {
            file: Some(path.to_path_buf()),
            database,
            schema: resolve(&raw.schema),
            migrations: resolve(&raw.migrations),
            seed: raw.throwaway.seed.iter().map(|s| resolve(s)).collect(),
            from: raw.throwaway.from,
            log_sql: raw.log.sql,
        })
    }

    /// A configuration with only a database (for commands run with `--db` and no config):
    /// schema and migrations default to `schema.sql` and `migrations` in the current directory.
    pub fn for_database(database: &Path) -> Config {
        Config {
            file: None,
            database: database.to_path_buf(),
            schema: PathBuf::from(default_schema()),
            migrations: PathBuf::from(default_migrations()),
            seed: Vec::new(),
            from: From::Schema,
            log_sql: false,
        }
    }

    /// The template text for a new config file pointing at `database`.
    pub fn template(database: &str) -> String {
        let escaped = database.replace('\\', "\\\\").replace('"', "\\\"");
        TEMPLATE.replace("{database}", &escaped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.toml");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn template_parses_and_resolves_relative_to_the_file() {
        let (dir, p) = write(&Config::template("t \"x\".db"));
        let c = Config::load(&p, None).unwrap();
        assert_eq!(c.database, dir.path().join("t \"x\".db"));
        assert_eq!(c.schema, dir.path().join("schema.sql"));
        assert_eq!(c.from, From::Schema);
        assert!(!c.log_sql);
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_key() {
        let (_d, p) = write("database = \"a.db\"\n[throwaway]\nseeds = []\n");
        let e = Config::load(&p, None).unwrap_err().to_string();
        assert!(e.contains("key `throwaway.seeds`"), "{e}");
        let (_d, p) = write("database = \"a.db\"\n[log]\nsql = \"yes\"\n");
        let e = Config::load(&p, None).unwrap_err().to_string();
        assert!(
            e.contains("key `log.sql`") && e.contains("invalid type"),
            "{e}"
        );
        let (_d, p) = write("database = \"a.db\"\n[throwaway]\nfrom = \"files\"\n");
        let e = Config::load(&p, None).unwrap_err().to_string();
        assert!(e.contains("from") || e.contains("files"), "{e}");
    }
}
