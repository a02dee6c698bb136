//! Migration files, the version table, and moving a database between versions.
//!
//! A migration is `migrations/<version>_<slug>.sql`: a zero-padded version number, then an
//! `-- kit:up` part and a `-- kit:down` part of ordinary kit statements. A run ([`run`]) talks
//! to a database through [`Database`]: it holds the database's write lock from reading the
//! history through its last migration, and each migration runs in a savepoint of its own,
//! which also records it in the `kit_migrations` table with the file's SHA-256 and the time, so
//! a migration is either applied and recorded or neither. What each database does to run one
//! is its side's business: [`crate::sqlite::migrate`], [`crate::postgres::migrate`].

use crate::db::Database;
use crate::diff::Diff;
use crate::error::{Error, Result};
use crate::report::{Observer, Summary};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The table that records applied migrations.
pub const VERSION_TABLE: &str = "kit_migrations";

/// The statement that creates the version table when it is missing.
pub const CREATE_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS kit_migrations (\n  component TEXT NOT NULL DEFAULT '',\n  version TEXT NOT NULL,\n  name TEXT NOT NULL,\n  checksum TEXT NOT NULL,\n  applied_at TEXT NOT NULL,\n  PRIMARY KEY (component, version)\n)";

const UP: &str = "-- kit:up";
const DOWN: &str = "-- kit:down";

/// One migration file.
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    /// The version as written in the file name, e.g. `0003`.
    pub version: String,
    /// The version's number.
    pub number: u64,
    /// The file name without `.sql`, e.g. `0003_users_add_email`.
    pub name: String,
    /// The message from the `-- kit:revision` header (the slug when there is none).
    pub message: String,
    /// The file.
    pub path: PathBuf,
    /// The up part.
    pub up: String,
    /// The down part (`None` when the file says `-- kit:no-down`).
    pub down: Option<String>,
    /// SHA-256 of the file's bytes, hex.
    pub checksum: String,
    /// The component it belongs to (`""` for a config without components).
    pub component: String,
    /// The versions of other components it requires (`-- kit:requires other 0003`).
    pub requires: Vec<(String, String)>,
}

/// A row of the version table.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The component (`""` for a config without components, and for rows kit wrote before
    /// components).
    pub component: String,
    /// The version.
    pub version: String,
    /// The migration's name when it was applied.
    pub name: String,
    /// The file's checksum when it was applied.
    pub checksum: String,
    /// When it was applied (UTC).
    pub applied_at: String,
}

/// Hex SHA-256 of `bytes`.
pub fn checksum(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The file-name slug of a message: lowercase letters and digits, runs of anything else
/// collapsed to `_`.
pub fn slug(message: &str) -> String {
    let mut out = String::new();
    for ch in message.chars() {
        if ch.is_alphanumeric() {
            out.extend(ch.to_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let s = out.trim_matches('_');
    let s: String = s.chars().take(60).collect();
    let s = s.trim_end_matches('_').to_string();
    if s.is_empty() {
        "migration".into()
    } else {
        s
    }
}

/// Marker lines kit reads in a migration file (each alone on its line, exactly as written).
const NO_DOWN: &str = "-- kit:no-down";

/// Marker words that may appear inside an up or down part; they are read by other parts of
/// kit (dialect blocks, type overrides).
const PART_MARKERS: &[&str] = &["only", "all", "postgresql-type", "phase"];

/// The word of a line that looks like a kit marker (`-- kit:down`, `--kit: down`,
/// `-- KIT:DOWN`): lowercase, with any spacing removed; `None` for other lines.
fn marker_word(line: &str) -> Option<String> {
    let rest = line
        .trim()
        .strip_prefix("--")?
        .trim_start_matches('-')
        .trim_start();
    let lower = rest.to_ascii_lowercase();
    let after = lower.strip_prefix("kit")?.trim_start().strip_prefix(':')?;
    let word: String = after
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// Parses a migration file's text. `path` is used for the version, name and errors.
///
/// The text of each part keeps its place in the file (the lines before it become empty lines),
/// so every line number an error reports is a line of the file.
pub fn parse_migration(path: &Path, bytes: &[u8]) -> Result<Migration> {
    let shown = path.display().to_string();
    let bad = |message: String| Error::Database {
        path: shown.clone(),
        message,
    };
    let at = |line: usize, message: String| bad(format!("line {line}: {message}"));
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .ok_or_else(|| bad("file name is not UTF-8".into()))?;
    let name = file.strip_suffix(".sql").unwrap_or(file).to_string();
    let (version, rest) = name.split_once('_').unwrap_or((&name, ""));
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) || rest.is_empty() {
        return Err(bad(
            "a migration file is named <version>_<slug>.sql, e.g. 0001_add_users.sql".into(),
        ));
    }
    let number = version
        .parse::<u64>()
        .map_err(|_| bad("version number too large".into()))?;
    let text = &crate::sql::decode(bytes, &shown)?;
    let mut message = rest.replace('_', " ");
    // The text of each part; `None` until its marker line is seen.
    let mut up: Option<String> = None;
    let mut down: Option<String> = None;
    let mut no_down: Option<usize> = None;
    let mut requires: Vec<(String, String)> = Vec::new();
    let mut lines = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let n = i + 1;
        lines = n;
        let t = line.trim();
        let word = marker_word(line);
        let exact = |m: &str| t == m;
        match word.as_deref() {
            Some("up") if exact(UP) => {
                if up.is_some() {
                    return Err(at(n, format!("`{UP}` appears twice")));
                }
                if down.is_some() || no_down.is_some() {
                    return Err(at(n, format!("`{UP}` must come before `{DOWN}`")));
                }
                up = Some("\n".repeat(n));
                continue;
            }
            Some("down") if exact(DOWN) => {
                if down.is_some() {
                    return Err(at(n, format!("`{DOWN}` appears twice")));
                }
                if up.is_none() {
                    return Err(at(n, format!("`{DOWN}` must come after `{UP}`")));
                }
                if no_down.is_some() {
                    return Err(at(
                        n,
                        format!("`{NO_DOWN}` and `{DOWN}` cannot both be used"),
                    ));
                }
                down = Some("\n".repeat(n));
                continue;
            }
            Some("no-down") if exact(NO_DOWN) => {
                if up.is_none() || down.is_some() {
                    return Err(at(n, format!("`{NO_DOWN}` ends the up part: it comes after `{UP}`, instead of `{DOWN}`")));
                }
                no_down = Some(n);
                continue;
            }
            Some("revision") if up.is_none() && t.starts_with("-- kit:revision") => {
                let m = t["-- kit:revision".len()..].trim();
                let first = m.split_whitespace().next().unwrap_or("");
                if !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()) {
                    if first.parse::<u64>().ok() != Some(number) {
                        return Err(at(n, format!("the header says version {first} but the file name says {version}; rename the file or fix the header")));
                    }
                    message = m[first.len()..].trim().to_string();
                } else if !m.is_empty() {
                    message = m.to_string();
                }
                continue;
            }
            Some("requires") if up.is_none() && t.starts_with("-- kit:requires") => {
                let words: Vec<&str> = t["-- kit:requires".len()..].split_whitespace().collect();
                match words.as_slice() {
                    [component, v] if v.bytes().all(|b| b.is_ascii_digit()) => {
                        requires.push((component.to_string(), v.to_string()));
                    }
                    _ => {
                        return Err(at(
                            n,
                            format!("`{t}`: write `-- kit:requires <component> <version>`, e.g. `-- kit:requires addressbook 0003`"),
                        ))
                    }
                }
                continue;
            }
            Some(w)
                if PART_MARKERS.contains(&w)
                    && up.is_some()
                    && t.starts_with(&format!("-- kit:{w}")) => {}
            Some(w) => {
                let known = ["up", "down", "no-down", "revision", "requires"];
                let hint = if known.contains(&w) {
                    format!("write it exactly as `-- kit:{w}`, alone on its line")
                } else {
                    format!("kit knows `{UP}`, `{DOWN}`, `{NO_DOWN}`, `-- kit:revision` and `-- kit:requires` (header), and `-- kit:only`, `-- kit:all`, `-- kit:phase` inside a part")
                };
                return Err(at(
                    n,
                    format!("`{t}` looks like a kit marker but is not one; {hint}"),
                ));
            }
            None => {}
        }
        if no_down.is_some() {
            if !t.is_empty() && !t.starts_with("--") {
                return Err(at(n, format!("statements after `{NO_DOWN}`: the migration has no down part; move them above it or use `{DOWN}`")));
            }
        } else if let Some(d) = down.as_mut() {
            d.push_str(line);
        } else if let Some(u) = up.as_mut() {
            u.push_str(line);
        } else if !t.is_empty() && !t.starts_with("--") {
            return Err(at(
                n,
                format!("statements before `{UP}`: put them in the up part"),
            ));
        }
    }
    let Some(up) = up else {
        return Err(bad(format!(
            "no `{UP}` line: a migration has a `{UP}` part and a `{DOWN}` part"
        )));
    };
    if down.is_none() && no_down.is_none() {
        return Err(bad(format!(
            "no `{DOWN}` line (the up part runs to the end of the file, line {lines}): add `{DOWN}` followed by the statements that undo the up part, or `{NO_DOWN}` if the migration cannot be undone"
        )));
    }
    // Phase lines name one of the nine phases.
    crate::components::split_phases(&up, &shown)?;
    if let Some(d) = &down {
        crate::components::split_phases(d, &shown)?;
    }
    Ok(Migration {
        component: String::new(),
        requires,
        version: version.to_string(),
        number,
        name,
        message,
        path: path.to_path_buf(),
        up,
        down,
        checksum: checksum(bytes),
    })
}

/// Every migration file of `dir` (`*.sql`), in version order. Files that share a version are
/// all returned; [`duplicates`] finds them. A missing directory holds no migrations.
pub fn scan(dir: &Path) -> Result<Vec<Migration>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::Io {
                path: dir.display().to_string(),
                source: e,
            })
        }
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(|source| Error::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("sql") || !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        out.push(parse_migration(&path, &bytes)?);
    }
    out.sort_by(|a, b| (a.number, &a.name).cmp(&(b.number, &b.name)));
    Ok(out)
}

/// Entries of `dir` that look like migrations but are not read as one, each with why:
/// `0002_x.SQL` (the extension must be `.sql`), directories, fifos and other special files,
/// symbolic links to nothing, and digit-named files without `.sql`. Hidden files and other
/// files (`README.md`) are left out.
pub fn skipped(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            skip_reason(&e.path(), &name).map(|why| format!("{}: {why}", e.path().display()))
        })
        .collect();
    out.sort();
    out
}

/// Why the entry `path` (named `name`) of a migrations directory is not read, if it looks
/// like a migration; `None` for migrations and for files that are plainly something else.
fn skip_reason(path: &Path, name: &str) -> Option<String> {
    if name.starts_with('.') {
        return None;
    }
    let ext = Path::new(name).extension().and_then(|x| x.to_str());
    let digit_named = name.bytes().next().is_some_and(|b| b.is_ascii_digit());
    let Ok(meta) = std::fs::metadata(path) else {
        return Some("a symbolic link to a file that does not exist".into());
    };
    if meta.is_dir() {
        return (ext == Some("sql") || digit_named)
            .then(|| "a directory, not a migration file".into());
    }
    if !meta.is_file() {
        return Some("not a regular file (a fifo, socket or device)".into());
    }
    match ext {
        Some("sql") => None,
        Some(x) if x.eq_ignore_ascii_case("sql") => Some(format!(
            "the extension is .{x}; kit reads only files ending in .sql (lowercase)"
        )),
        _ if digit_named => Some("not a .sql file".into()),
        _ => None,
    }
}

/// Groups of files that share a version number.
pub fn duplicates(migrations: &[Migration]) -> Vec<Vec<&Migration>> {
    let mut by: BTreeMap<u64, Vec<&Migration>> = BTreeMap::new();
    for m in migrations {
        by.entry(m.number).or_default().push(m);
    }
    by.into_values().filter(|v| v.len() > 1).collect()
}

/// Loads the migrations of `dir`, refusing when two files share a version.
pub fn load(dir: &Path) -> Result<Vec<Migration>> {
    let all = scan(dir)?;
    if let Some(d) = duplicates(&all).first() {
        let names: Vec<String> = d.iter().map(|m| m.path.display().to_string()).collect();
        return Err(Error::Database {
            path: dir.display().to_string(),
            message: format!(
                "files share version {}: {}; renumber one of them",
                d[0].version,
                names.join(", ")
            ),
        });
    }
    Ok(all)
}

/// Where a database stands against the migration files.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// Every migration file, in version order.
    pub migrations: Vec<Migration>,
    /// The version table's rows.
    pub applied: Vec<Applied>,
}

impl Status {
    /// Reads the files and the version table.
    pub fn read(db: &mut dyn Database, dir: &Path) -> Result<Status> {
        Ok(Status {
            migrations: load(dir)?,
            applied: db.applied()?,
        })
    }

    /// The version table's row for `m`, if it is applied.
    pub fn applied_row(&self, m: &Migration) -> Option<&Applied> {
        self.applied.iter().find(|a| same_version(&a.version, m))
    }

    /// True when `m` is recorded as applied.
    pub fn is_applied(&self, m: &Migration) -> bool {
        self.applied_row(m).is_some()
    }

    /// Applied versions whose migration file is gone.
    pub fn missing_files(&self) -> Vec<&Applied> {
        self.applied
            .iter()
            .filter(|a| !self.migrations.iter().any(|m| same_version(&a.version, m)))
            .collect()
    }

    /// The highest applied version, or `None` at base.
    pub fn current(&self) -> Option<&Applied> {
        self.applied.last()
    }

    /// The last migration file's version, or `None` when there are none.
    pub fn head(&self) -> Option<&Migration> {
        self.migrations.last()
    }

    /// Migrations not yet applied, in version order.
    pub fn pending(&self) -> Vec<&Migration> {
        self.migrations
            .iter()
            .filter(|m| !self.is_applied(m))
            .collect()
    }

    /// Finds a migration by version (`3`, `0003`) or full name.
    pub fn find(&self, which: &str) -> Result<&Migration> {
        let n = which.parse::<u64>().ok();
        self.migrations
            .iter()
            .find(|m| m.name == which || m.version == which || Some(m.number) == n)
            .ok_or_else(|| Error::Unknown {
                what: format!(
                    "revision \"{which}\" ({})",
                    match (self.migrations.first(), self.migrations.last()) {
                        (Some(a), Some(b)) =>
                            format!("known: {} to {}; or head, base", a.version, b.version),
                        _ => "there are no migration files".to_string(),
                    }
                ),
                statement: String::new(),
            })
    }

    /// Refuses unless every migration file is applied (what `revision` requires).
    pub fn require_head(&self) -> Result<()> {
        let pending = self.pending();
        if pending.is_empty() {
            return Ok(());
        }
        let list: Vec<&str> = pending.iter().map(|m| m.name.as_str()).collect();
        Err(Error::Database {
            path: "database".into(),
            message: format!(
                "target database is not up to date: {} migration(s) not applied ({}); run `kit upgrade head` first",
                pending.len(),
                list.join(", ")
            ),
        })
    }
}

fn same_version(v: &str, m: &Migration) -> bool {
    v == m.version || v.parse::<u64>().ok() == Some(m.number)
}

/// Which way a migration runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The up part.
    Up,
    /// The down part.
    Down,
}

/// Puts the migration file's name in front of an error's message.
pub fn in_file(e: Error, m: &Migration) -> Error {
    let file = m.path.display().to_string();
    match e {
        Error::Syntax {
            message,
            line,
            column,
            statement,
        } => Error::Syntax {
            message: if message.starts_with(&format!("{file}: ")) {
                message
            } else {
                format!("{file}: {message}")
            },
            line,
            column,
            statement,
        },
        Error::Sqlite { context, source } => Error::Sqlite {
            context: format!("{file}: {context}"),
            source,
        },
        Error::Unsupported {
            what,
            statement,
            hint,
        } => Error::Unsupported {
            what: format!("{what} (in {file})"),
            statement,
            hint,
        },
        Error::Unknown { what, statement } => Error::Unknown {
            what: format!("{what} (in {file})"),
            statement,
        },
        other => other,
    }
}

/// The migrations to run, in order, to move from where `status` is to `target`.
/// Up targets: `head` or a version. Down targets: `-N`, a version (which stays applied) or
/// `base`.
pub fn steps<'a>(status: &'a Status, dir: Direction, target: &str) -> Result<Vec<&'a Migration>> {
    match dir {
        Direction::Up => {
            let limit = if target == "head" {
                u64::MAX
            } else {
                status.find(target)?.number
            };
            Ok(status
                .pending()
                .into_iter()
                .filter(|m| m.number <= limit)
                .collect())
        }
        Direction::Down => {
            let applied: Vec<&Migration> = status
                .applied
                .iter()
                .rev()
                .map(|a| {
                    status
                        .migrations
                        .iter()
                        .find(|m| same_version(&a.version, m))
                        .ok_or_else(|| Error::Database {
                            path: "migrations".into(),
                            message: format!(
                                "applied migration {} ({}) has no file any more, so it cannot be downgraded; restore the file",
                                a.version, a.name
                            ),
                        })
                })
                .collect::<Result<_>>()?;
            if target == "base" {
                return Ok(applied);
            }
            if let Some(n) = target.strip_prefix('-') {
                let n: usize = n.parse().map_err(|_| Error::Unknown {
                    what: format!("revision \"{target}\" (use -N, a version, or base)"),
                    statement: String::new(),
                })?;
                if n > applied.len() {
                    return Err(Error::Database {
                        path: "database".into(),
                        message: format!(
                            "cannot go down {n}: only {} migration(s) are applied",
                            applied.len()
                        ),
                    });
                }
                return Ok(applied.into_iter().take(n).collect());
            }
            let keep = status.find(target)?;
            if !status.is_applied(keep) {
                return Err(Error::Database {
                    path: "database".into(),
                    message: format!(
                        "revision {} is not applied, so the database cannot go down to it",
                        keep.version
                    ),
                });
            }
            Ok(applied
                .into_iter()
                .filter(|m| m.number > keep.number)
                .collect())
        }
    }
}

/// Moves the database to `target` (see [`steps`]) with `migrations` (every migration file, as
/// [`load`] returns them), holding the database's write lock from reading the history through
/// the last migration ([`Database::begin_run`]). Each migration runs in a savepoint with its
/// bookkeeping; a failing one is rolled back whole and the earlier ones of the run are
/// committed. `before_each` sees each migration before it runs. Returns one summary per
/// migration applied.
pub fn run(
    db: &mut dyn Database,
    migrations: &[Migration],
    dir: Direction,
    target: &str,
    observer: &mut Observer,
    mut before_each: impl FnMut(&Migration),
) -> Result<Vec<Summary>> {
    let mut session = db.begin_run(observer)?;
    let status = match session.applied() {
        Ok(applied) => Status {
            migrations: migrations.to_vec(),
            applied,
        },
        Err(e) => return Err(session.stop(e)),
    };
    let todo: Vec<Migration> = match steps(&status, dir, target) {
        Ok(t) => t.into_iter().cloned().collect(),
        Err(e) => return Err(session.stop(e)),
    };
    if let Err(e) = session.prepare(&todo, dir, &status) {
        return Err(session.stop(e));
    }
    let mut out = Vec::new();
    for m in &todo {
        before_each(m);
        match session.apply(m, dir, &status, observer) {
            Ok(s) => out.push(s),
            Err(e) => return Err(session.stop(in_file(e, m))),
        }
    }
    session.commit()?;
    Ok(out)
}

/// Upgrades the database to `target` (`head` or a version) with the migrations of `dir`;
/// returns what each applied migration did.
pub fn upgrade(db: &mut dyn Database, dir: &Path, target: &str) -> Result<Vec<Summary>> {
    let migrations = load(dir)?;
    run(
        db,
        &migrations,
        Direction::Up,
        target,
        &mut Observer::default(),
        |_| {},
    )
}

/// Downgrades the database to `target` (`-N`, a version, or `base`).
pub fn downgrade(db: &mut dyn Database, dir: &Path, target: &str) -> Result<Vec<Summary>> {
    let migrations = load(dir)?;
    run(
        db,
        &migrations,
        Direction::Down,
        target,
        &mut Observer::default(),
        |_| {},
    )
}

/// Kallithea's advice for changes that only add columns: the up part adds each new column with
/// `ADD COLUMN IF NOT EXISTS` and the down part leaves it in place (older versions ignore a
/// column they do not know), so a downgrade loses no data and an upgrade after it works. Other
/// changes keep their inverse. Returns how many columns are kept.
pub fn keep_added_columns(d: &mut Diff) -> usize {
    let mut kept = 0;
    for c in &mut d.changes {
        let Ok(crate::statements::Statement::Alter { mut alter, .. }) =
            crate::statements::parse_statement(&c.sql)
        else {
            continue;
        };
        let only_adds = !alter.ops.is_empty()
            && alter
                .ops
                .iter()
                .all(|o| matches!(o, crate::ops::Op::AddColumn { .. }));
        if !only_adds {
            continue;
        }
        let mut names = Vec::new();
        for op in &mut alter.ops {
            if let crate::ops::Op::AddColumn {
                column,
                if_not_exists,
            } = op
            {
                *if_not_exists = true;
                names.push(crate::sql::quote_ident(&column.name));
            }
        }
        let actions: Vec<String> = alter.ops.iter().map(|o| o.to_sql()).collect();
        c.sql = format!(
            "ALTER TABLE {} {}",
            crate::sql::quote_ident(&alter.table),
            actions.join(", ")
        );
        c.inverse.clear();
        c.inverse_note = Some(format!(
            "the downgrade keeps column(s) {} of \"{}\" and their values (--keep-added-columns): older versions ignore them, and the upgrade adds them only if they do not exist",
            names.join(", "),
            alter.table
        ));
        kept += names.len();
    }
    kept
}

/// The next version for `migrations`: one more than the highest, zero-padded to at least 4.
pub fn next_version(migrations: &[Migration]) -> String {
    let width = migrations
        .iter()
        .map(|m| m.version.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let n = migrations.iter().map(|m| m.number).max().unwrap_or(0) + 1;
    format!("{n:0width$}")
}

/// The text of a new migration file. With a diff, the up part is the diff and the down part its
/// inverse; destructive statements carry a warning, inverses that cannot bring data back a note.
pub fn revision_text(version: &str, message: &str, created: &str, diff: Option<&Diff>) -> String {
    let one_line: String = message
        .chars()
        .map(|c| {
            if crate::sql::is_unsafe_char(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut s = format!("-- kit:revision {version} {one_line}\n-- created {created}\n{UP}\n");
    match diff {
        None => {
            s.push_str("-- Write the change here, e.g.\n-- ALTER TABLE \"users\" ADD COLUMN \"nickname\" TEXT;\n\n");
            s.push_str(DOWN);
            s.push_str(
                "\n-- Undo it here, e.g.\n-- ALTER TABLE \"users\" DROP COLUMN \"nickname\";\n",
            );
        }
        Some(d) => {
            for c in &d.changes {
                if let Some(l) = &c.loses {
                    s.push_str(&warning_line(l));
                }
                s.push_str(&c.sql);
                s.push_str(";\n");
            }
            for n in &d.notes {
                s.push_str(&note_line(n));
            }
            s.push_str(DOWN);
            s.push('\n');
            for c in d.changes.iter().rev() {
                if let Some(l) = c.inverse_loses() {
                    s.push_str(&warning_line(&l));
                }
                if let Some(n) = &c.inverse_note {
                    s.push_str(&note_line(n));
                }
                for q in &c.inverse {
                    s.push_str(q);
                    s.push_str(";\n");
                }
            }
        }
    }
    s
}

/// The `-- WARNING` line before a destructive statement (names escaped so they stay inside it).
pub fn warning_line(loses: &str) -> String {
    format!(
        "{}\n",
        crate::sql::comment(&format!("WARNING: destructive: drops {loses}"))
    )
}

/// A `-- NOTE` line (names escaped so they stay inside it).
fn note_line(note: &str) -> String {
    format!("{}\n", crate::sql::comment(&format!("NOTE: {note}")))
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// How `kit check` replays migrations: into a scratch database of the database's kind, then
/// diffed against the schema file. The inner `Err` is a replay that failed (a problem to
/// report); the outer one an error that stops the check.
pub type Judge<'a> = dyn Fn(&[&Migration]) -> Result<std::result::Result<Diff, Error>> + 'a;

/// One problem `kit check` found.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem(pub String);

/// What `kit check` knows of the database's history.
#[derive(Debug, Clone, PartialEq)]
pub enum History {
    /// The database's version table rows.
    Rows(Vec<Applied>),
    /// The database does not exist (it is behind head when there are migrations).
    Missing,
    /// No database to check: the files alone are checked (parity in CI on a fresh checkout).
    Unchecked,
}

/// Everything `kit check` verifies: duplicate versions, applied files edited or removed, a
/// database behind head or with gaps, and that replaying every migration gives the schema file.
pub fn check(
    history: History,
    dir: &Path,
    schema_file: &Path,
    judge: &Judge<'_>,
) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    let all = scan(dir)?;
    for s in skipped(dir) {
        problems.push(Problem(format!(
            "{s}; it looks like a migration but is not read as one: rename or remove it"
        )));
    }
    for d in duplicates(&all) {
        let names: Vec<String> = d.iter().map(|m| m.name.clone()).collect();
        problems.push(Problem(format!(
            "files share version {}: {}; renumber one of them",
            d[0].version,
            names.join(", ")
        )));
    }
    match history {
        History::Unchecked => {}
        History::Missing if all.is_empty() => {}
        History::Missing => problems.push(Problem(
            "the database does not exist, so it is behind head; run `kit upgrade head`".into(),
        )),
        History::Rows(applied) => {
            let status = Status {
                migrations: all.clone(),
                applied,
            };
            for a in &status.applied {
                match all.iter().find(|m| same_version(&a.version, m)) {
                    None => problems.push(Problem(format!(
                        "applied migration {} ({}) is missing: its file was removed or renamed",
                        a.version, a.name
                    ))),
                    Some(m) if m.checksum != a.checksum => problems.push(Problem(format!(
                        "applied migration {} was edited after it was applied (checksum differs); revert the edit and put the change in a new migration",
                        m.path.display()
                    ))),
                    Some(_) => {}
                }
            }
            let pending = status.pending();
            if !pending.is_empty() {
                let current = status.current().map(|a| a.version.clone());
                let behind: Vec<&str> = pending.iter().map(|m| m.name.as_str()).collect();
                problems.push(Problem(format!(
                    "database is behind head (not up to date): {} not applied; run `kit upgrade head`",
                    behind.join(", ")
                )));
                if let Some(cur) = current.and_then(|c| c.parse::<u64>().ok()) {
                    for m in pending.iter().filter(|m| m.number < cur) {
                        problems.push(Problem(format!(
                            "{} is older than the current version {cur} but not applied (a branch merged out of order?); give it a new version",
                            m.name
                        )));
                    }
                }
            }
        }
    }
    if duplicates(&all).is_empty() {
        let refs: Vec<&Migration> = all.iter().collect();
        match judge(&refs)? {
            Err(e) => problems.push(Problem(format!(
                "replaying the migrations into an empty database fails: {e}"
            ))),
            Ok(d) => {
                if !d.is_empty() {
                    problems.push(Problem(format!(
                        "replaying the migrations does not match {}; the migrations lack:\n{}",
                        schema_file.display(),
                        d.script().trim_end()
                    )));
                }
            }
        }
    }
    Ok(problems)
}
