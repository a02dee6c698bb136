//! The project configuration file (`temp.toml`, `dev.toml`): where the database, the target
//! schema and the migrations are, and how a throwaway database is made.
//!
//! Paths in the file are relative to the file itself, so a config works from any directory.
//! Unknown keys and wrong types are errors that name the key.
//!
//! `database` is a SQLite file path or a PostgreSQL URL (`postgres://...`,
//! `postgresql://...`, see [`crate::postgres::connect`]); a URL is kept as written, never
//! resolved against the file's directory.
//!
//! Every string value may name environment variables, so no password has to live in the file:
//! `${NAME}` is replaced by the variable's value, `${NAME:-fallback}` by the fallback when the
//! variable is unset or empty, and `$${` writes a literal `${`. A bare `$NAME` is not expanded
//! (a `$` in a path or a password stays as written). An unset variable without a fallback is an
//! error naming the key and the variable; the value itself is never printed.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The template `kit config-create` writes; `{database}` is replaced by the database path.
pub const TEMPLATE: &str = r#"# kit configuration. Paths are relative to this file.

# The database kit works on: a SQLite file, or a PostgreSQL URL. Values may name
# environment variables, so no password lives here: database = "${DATABASE_URL}".
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

[postgresql]
# How long a statement may wait for a lock on a busy table before the run fails (PostgreSQL).
lock_timeout = "10s"
# The schema kit works in (kit_migrations, the tables, diffs): default the connection's
# current schema, `public`. It must exist: CREATE SCHEMA app;
# schema = "app"

[check]
# A PostgreSQL server `kit check` also replays the migrations on, to prove both databases
# end up with the same schema (parity), e.g. postgresql = "${CHECK_DATABASE_URL}".
# postgresql = ""
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
    #[serde(default)]
    postgresql: RawPostgres,
    #[serde(default)]
    check: RawCheck,
    #[serde(default)]
    components: std::collections::BTreeMap<String, RawComponent>,
    #[serde(default)]
    revision: RawRevision,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRevision {
    #[serde(default)]
    keep_added_columns: bool,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    schema: String,
    migrations: String,
    #[serde(default)]
    depends: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    postgresql: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPostgres {
    lock_timeout: Option<String>,
    schema: Option<String>,
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

impl RawConfig {
    /// The config with `${VAR}` expanded in every string value.
    fn expanded(
        self,
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> std::result::Result<RawConfig, String> {
        let seed = self
            .throwaway
            .seed
            .iter()
            .enumerate()
            .map(|(i, s)| expand_vars(&format!("throwaway.seed[{i}]"), s, lookup))
            .collect::<std::result::Result<_, _>>()?;
        Ok(RawConfig {
            database: match &self.database {
                Some(d) => Some(expand_vars("database", d, lookup)?),
                None => None,
            },
            schema: expand_vars("schema", &self.schema, lookup)?,
            migrations: expand_vars("migrations", &self.migrations, lookup)?,
            throwaway: RawThrowaway {
                seed,
                from: self.throwaway.from,
            },
            log: self.log,
            revision: self.revision,
            postgresql: RawPostgres {
                schema: match &self.postgresql.schema {
                    Some(n) => Some(expand_vars("postgresql.schema", n, lookup)?),
                    None => None,
                },
                lock_timeout: self.postgresql.lock_timeout,
            },
            components: self
                .components
                .iter()
                .map(|(name, c)| {
                    let key = |k: &str| format!("components.{name}.{k}");
                    Ok((
                        name.clone(),
                        RawComponent {
                            schema: expand_vars(&key("schema"), &c.schema, lookup)?,
                            migrations: expand_vars(&key("migrations"), &c.migrations, lookup)?,
                            depends: c.depends.clone(),
                        },
                    ))
                })
                .collect::<std::result::Result<_, String>>()?,
            check: RawCheck {
                postgresql: match &self.check.postgresql {
                    Some(u) => Some(expand_vars("check.postgresql", u, lookup)?),
                    None => None,
                },
            },
        })
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("file", &self.file)
            .field("database", &self.database_display())
            .field("schema", &self.schema)
            .field("migrations", &self.migrations)
            .field("seed", &self.seed)
            .field("from", &self.from)
            .field("log_sql", &self.log_sql)
            .field("lock_timeout", &self.lock_timeout)
            .field("postgres_schema", &self.postgres_schema)
            .field(
                "check_postgresql",
                &self
                    .check_postgresql
                    .as_deref()
                    .map(crate::postgres::redact),
            )
            .finish()
    }
}

fn default_schema() -> String {
    "schema.sql".into()
}

fn default_migrations() -> String {
    "migrations".into()
}

/// Replaces `${NAME}` / `${NAME:-fallback}` in `value` (the value of config key `key`) with
/// environment variables, looked up through `lookup`; `$${` is a literal `${`.
pub fn expand_vars(
    key: &str,
    value: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> std::result::Result<String, String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(p) = rest.find('$') {
        out.push_str(&rest[..p]);
        let after = &rest[p..];
        if let Some(literal) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = literal;
        } else if let Some(body) = after.strip_prefix("${") {
            let end = body.find('}').ok_or_else(|| {
                format!(
                    "key `{key}`: `${{` without a closing `}}` (write `$${{` for a literal `${{`)"
                )
            })?;
            out.push_str(&expand_one(key, &body[..end], &lookup)?);
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The value of one `${...}` body: `NAME` or `NAME:-fallback`.
fn expand_one(
    key: &str,
    body: &str,
    lookup: &impl Fn(&str) -> Option<String>,
) -> std::result::Result<String, String> {
    let (name, fallback) = match body.split_once(":-") {
        Some((n, f)) => (n, Some(f)),
        None => (body, None),
    };
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "key `{key}`: `${{{name}}}` is not an environment variable name (letters, digits, `_`)"
        ));
    }
    match (lookup(name).filter(|v| !v.is_empty() || fallback.is_none()), fallback) {
        (Some(v), _) => Ok(v),
        (None, Some(f)) => Ok(f.to_string()),
        (None, None) => Err(format!(
            "key `{key}`: environment variable {name} is not set (set it, or write `${{{name}:-fallback}}`)"
        )),
    }
}

/// Component names are letters, digits, `_` and `-` (they appear in `NAME@VERSION` and in
/// the version table); dependencies name declared components and form no cycle.
fn check_components(components: &[Component]) -> std::result::Result<(), String> {
    for c in components {
        let ok = !c.name.is_empty()
            && c.name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
        if !ok {
            return Err(format!(
                "component name `{}`: use letters, digits, `_` and `-`",
                c.name
            ));
        }
        if c.depends.contains(&c.name) {
            return Err(format!("component `{}` depends on itself", c.name));
        }
    }
    let decls: Vec<crate::components::ComponentDecl> = components
        .iter()
        .map(|c| crate::components::ComponentDecl {
            name: c.name.clone(),
            depends: c.depends.clone(),
        })
        .collect();
    crate::components::dependency_order(&decls)
        .map(|_| ())
        .map_err(|e| match e {
            Error::Database { message, .. } => message,
            other => other.to_string(),
        })
}

/// The components of a config in the order their `[components.NAME]` tables appear in `text`.
fn ordered_components(
    text: &str,
    raw: &std::collections::BTreeMap<String, RawComponent>,
) -> Vec<(String, RawComponent)> {
    let at = |name: &str| {
        [
            format!("[components.{name}]"),
            format!("[components.\"{name}\"]"),
            format!("components.{name}."),
            format!("components.{name} "),
        ]
        .iter()
        .filter_map(|k| text.find(k.as_str()))
        .min()
        .unwrap_or(usize::MAX)
    };
    let mut v: Vec<(String, RawComponent)> =
        raw.iter().map(|(n, c)| (n.clone(), c.clone())).collect();
    v.sort_by_key(|(n, _)| at(n));
    v
}

/// A duration written as `10s`, `500ms`, `2min` (or a bare number of seconds).
fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..digits].parse().ok()?;
    let ms = match t[digits..].trim() {
        "" | "s" => n.checked_mul(1000)?,
        "ms" => n,
        "min" => n.checked_mul(60_000)?,
        _ => return None,
    };
    Some(std::time::Duration::from_millis(ms))
}

/// The process environment, as [`expand_vars`] looks variables up.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A loaded configuration, with every path resolved against the file's directory.
#[derive(Clone, PartialEq)]
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
    /// PostgreSQL: how long a statement may wait for a lock on a table (`lock_timeout`).
    pub lock_timeout: std::time::Duration,
    /// `[postgresql] schema`: the PostgreSQL schema kit works in (its `search_path`), instead
    /// of the connection's current schema.
    pub postgres_schema: Option<String>,
    /// `[check] postgresql`: the PostgreSQL server `kit check` also replays the migrations on
    /// (parity), in a scratch schema that is rolled back.
    pub check_postgresql: Option<String>,
    /// The components, in the order the config declares them (none: one implicit component,
    /// the config's `schema` and `migrations`).
    pub components: Vec<Component>,
    /// `[revision] keep_added_columns`: autogenerated migrations keep added columns on
    /// downgrade ([`crate::migrate::keep_added_columns`]).
    pub keep_added_columns: bool,
}

/// A component of an application: its own schema file, migrations and versions, and the
/// components it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Its name (`""` for the implicit component of a config without components).
    pub name: String,
    /// Its schema file.
    pub schema: PathBuf,
    /// Its migrations directory.
    pub migrations: PathBuf,
    /// The components it depends on.
    pub depends: Vec<String>,
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
        let raw = raw.expanded(&env_var).map_err(|message| Error::Database {
            path: shown.clone(),
            message: format!("invalid config: {message}"),
        })?;
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let resolve = |p: &str| base.join(p);
        let database = match (database, raw.database) {
            (Some(d), _) => d.to_path_buf(),
            (None, Some(d)) if crate::postgres::is_postgres_url(&d) => PathBuf::from(d),
            (None, Some(d)) => resolve(&d),
            (None, None) => {
                return Err(Error::Database {
                    path: shown,
                    message: "invalid config: missing key `database` (or pass --db PATH)".into(),
                })
            }
        };
        let lock_timeout = match &raw.postgresql.lock_timeout {
            None => crate::postgres::migrate::DEFAULT_LOCK_TIMEOUT,
            Some(t) => parse_duration(t).ok_or_else(|| Error::Database {
                path: shown.clone(),
                message: format!("invalid config: key `postgresql.lock_timeout`: `{t}` is not a duration; write e.g. \"10s\", \"500ms\" or \"2min\""),
            })?,
        };
        let postgres_schema = match raw.postgresql.schema {
            Some(n) if n.is_empty() || n.len() > 63 => {
                return Err(Error::Database {
                    path: shown,
                    message: format!(
                        "invalid config: key `postgresql.schema`: a PostgreSQL schema name is 1 to 63 bytes, this one is {}; leave the key out for the connection's current schema (`public`)",
                        n.len()
                    ),
                })
            }
            other => other,
        };
        let components: Vec<Component> = ordered_components(&text, &raw.components)
            .into_iter()
            .map(|(name, c)| Component {
                name,
                schema: resolve(&c.schema),
                migrations: resolve(&c.migrations),
                depends: c.depends,
            })
            .collect();
        check_components(&components).map_err(|message| Error::Database {
            path: shown.clone(),
            message: format!("invalid config: {message}"),
        })?;
        Ok(Config {
            components,
            lock_timeout,
            postgres_schema,
            check_postgresql: raw.check.postgresql.clone(),
            file: Some(path.to_path_buf()),
            database,
            schema: resolve(&raw.schema),
            migrations: resolve(&raw.migrations),
            seed: raw.throwaway.seed.iter().map(|s| resolve(s)).collect(),
            from: raw.throwaway.from,
            log_sql: raw.log.sql,
            keep_added_columns: raw.revision.keep_added_columns,
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
            lock_timeout: crate::postgres::migrate::DEFAULT_LOCK_TIMEOUT,
            postgres_schema: None,
            check_postgresql: None,
            components: Vec::new(),
            keep_added_columns: false,
        }
    }

    /// The components: those the config declares, or the one implicit component (named `""`)
    /// made of `schema` and `migrations`.
    pub fn components(&self) -> Vec<Component> {
        if !self.components.is_empty() {
            return self.components.clone();
        }
        vec![Component {
            name: String::new(),
            schema: self.schema.clone(),
            migrations: self.migrations.clone(),
            depends: Vec::new(),
        }]
    }

    /// True when the config declares components.
    pub fn has_components(&self) -> bool {
        !self.components.is_empty()
    }

    /// The PostgreSQL URL in `database`, when it is one (else it is a SQLite file).
    pub fn database_url(&self) -> Option<&str> {
        self.database
            .to_str()
            .filter(|d| crate::postgres::is_postgres_url(d))
    }

    /// `database` as it may be printed: a PostgreSQL URL without its password, or the path.
    pub fn database_display(&self) -> String {
        match self.database_url() {
            Some(url) => crate::postgres::redact(url),
            None => self.database.display().to_string(),
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

    fn vars(name: &str) -> Option<String> {
        match name {
            "DATABASE_URL" => Some("postgresql://app:pw@db/app".into()),
            "EMPTY" => Some(String::new()),
            "DIR" => Some("sub".into()),
            _ => None,
        }
    }

    #[test]
    fn expands_environment_variables() {
        assert_eq!(
            expand_vars("database", "${DATABASE_URL}", vars).unwrap(),
            "postgresql://app:pw@db/app"
        );
        assert_eq!(
            expand_vars("k", "${DIR}/x-${DIR}", vars).unwrap(),
            "sub/x-sub"
        );
        assert_eq!(expand_vars("k", "${NOPE:-dev.db}", vars).unwrap(), "dev.db");
        assert_eq!(expand_vars("k", "${EMPTY:-d}", vars).unwrap(), "d");
        assert_eq!(expand_vars("k", "${EMPTY}", vars).unwrap(), "");
        assert_eq!(
            expand_vars("k", "a$b$$c $${DIR}", vars).unwrap(),
            "a$b$$c ${DIR}"
        );
        assert_eq!(expand_vars("k", "$DIR", vars).unwrap(), "$DIR");
    }

    #[test]
    fn an_unset_variable_names_key_and_variable() {
        let e = expand_vars("database", "${PG_MISSING}", vars).unwrap_err();
        assert!(
            e.contains("`database`") && e.contains("PG_MISSING is not set"),
            "{e}"
        );
        let e = expand_vars("schema", "${x y}", vars).unwrap_err();
        assert!(e.contains("`schema`"), "{e}");
        let e = expand_vars("schema", "${OPEN", vars).unwrap_err();
        assert!(e.contains("closing"), "{e}");
    }

    #[test]
    fn load_expands_every_string_and_keeps_urls_whole() {
        std::env::set_var("KIT_CFG_TEST_URL", "postgresql://u:s3cret@h:5432/app");
        std::env::set_var("KIT_CFG_TEST_DIR", "db");
        let (dir, p) = write(
            "database = \"${KIT_CFG_TEST_URL}\"\nschema = \"${KIT_CFG_TEST_DIR}/schema.sql\"\n\
             migrations = \"${KIT_CFG_TEST_DIR}/m\"\n[throwaway]\nseed = [\"${KIT_CFG_TEST_DIR}/s.sql\"]\n",
        );
        let c = Config::load(&p, None).unwrap();
        assert_eq!(c.database_url(), Some("postgresql://u:s3cret@h:5432/app"));
        assert_eq!(c.schema, dir.path().join("db/schema.sql"));
        assert_eq!(c.migrations, dir.path().join("db/m"));
        assert_eq!(c.seed, vec![dir.path().join("db/s.sql")]);
        assert_eq!(c.database_display(), "postgresql://u:***@h:5432/app");
        assert!(!format!("{c:?}").contains("s3cret"));
        let (_d, p) = write("database = \"${KIT_CFG_TEST_UNSET_VAR}\"\n");
        let e = Config::load(&p, None).unwrap_err().to_string();
        assert!(
            e.contains("key `database`") && e.contains("KIT_CFG_TEST_UNSET_VAR"),
            "{e}"
        );
        let (_d, p) = write(
            "database = \"x.db\"\n[throwaway]\nseed = [\"a.sql\", \"${KIT_CFG_TEST_UNSET_VAR}\"]\n",
        );
        let e = Config::load(&p, None).unwrap_err().to_string();
        assert!(e.contains("key `throwaway.seed[1]`"), "{e}");
    }

    #[test]
    fn sqlite_paths_stay_paths() {
        let (dir, p) = write("database = \"app.db\"\n");
        let c = Config::load(&p, None).unwrap();
        assert_eq!(c.database, dir.path().join("app.db"));
        assert_eq!(c.database_url(), None);
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
