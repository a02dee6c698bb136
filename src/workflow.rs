//! The schema-as-code commands of the CLI: printing and exit codes around the library's
//! `diff`, `migrate`, `throwaway` and `config` modules.

use crate::{CheckArgs, ConfigCreateArgs, DiffArgs, MoveArgs, ResetArgs, RevisionArgs, Target};
use kit::config::Config;
use kit::db::Database;
use kit::migrate::{self, Direction, Status};
use kit::sqlite::migrate as sqlite_migrate;
use kit::{Error, Result};
use rusqlite::Connection;
use std::path::Path;
use std::time::{Duration, Instant};

/// An error about a file or the database, with its message.
fn db_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Database {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// The config's database as it may be printed (a URL without its password).
fn shown(cfg: &Config) -> String {
    cfg.database_display()
}

/// The diff from the config's database (SQLite or PostgreSQL) to the schema file `to`.
pub fn diff_of(cfg: &Config, to: &Path) -> Result<kit::diff::Diff> {
    match cfg.database_url() {
        Some(url) => {
            let mut client = kit::postgres::connect_in(url, cfg.postgres_schema.as_deref())?;
            let migrations = migrate::load(&cfg.migrations)?;
            kit::judge::postgres_diff(&mut client, to, &migrations)
        }
        None => {
            let conn = kit::open_read_only(&cfg.database)?;
            sqlite_migrate::diff_to_file(&conn, to)
        }
    }
}

/// Prints a diff's statements (destructive ones after a warning) and its notes.
fn print_diff(d: &kit::diff::Diff) {
    for n in &d.notes {
        say!("kit: note: {n}");
    }
    for c in &d.changes {
        if let Some(l) = &c.loses {
            show_sql!("{}", migrate::warning_line(l));
        }
        show_sql!("{};\n", c.sql);
    }
}

/// Says which entries of the migrations directory look like migrations but are not read.
pub fn note_skipped(cfg: &Config) {
    for c in cfg.components() {
        for s in migrate::skipped(&c.migrations) {
            say!("kit: note: skipped {s}");
        }
    }
}

/// An echo callback when `on`.
pub fn echo_fn(on: bool) -> Option<impl FnMut(&str)> {
    on.then_some(|s: &str| say!("{};", s.trim_end_matches(';')))
}

/// An observer that echoes each statement through `printer` (from [`echo_fn`]) when there is
/// one and gives each note to `notes`.
pub fn echo_observer<'a>(
    printer: &'a mut Option<impl FnMut(&str)>,
    notes: &'a mut dyn FnMut(&str),
) -> kit::Observer<'a> {
    kit::Observer {
        on_statement: printer.as_mut().map(|f| f as &mut dyn FnMut(&str)),
        on_progress: None,
        on_note: Some(notes),
    }
}

/// `kit diff`.
pub fn diff(a: DiffArgs) -> Result<()> {
    let cfg = a.target.load()?;
    if let Some(other) = &a.parity {
        return live_parity(&cfg, other);
    }
    let to = a.to.unwrap_or(cfg.schema.clone());
    print_diff(&diff_of(&cfg, &to)?);
    Ok(())
}

/// `kit diff --parity OTHER`: the logical differences between a SQLite and a PostgreSQL
/// database (either one named by the config or `--db`, the other by `--parity`).
fn live_parity(cfg: &Config, other: &Path) -> Result<()> {
    let other_cfg = Config::for_database(other);
    let (sqlite, url) = match (cfg.database_url(), other_cfg.database_url()) {
        (None, Some(url)) => (cfg.database.clone(), url.to_string()),
        (Some(url), None) => (other_cfg.database.clone(), url.to_string()),
        _ => {
            return Err(db_error(
                other,
                "`--parity` compares a SQLite database with a PostgreSQL one: give one of each (`--db app.db --parity postgresql://...`)",
            ))
        }
    };
    let conn = kit::open_read_only(&sqlite)?;
    // The config's `[postgresql] schema` applies when the config names the PostgreSQL side.
    let in_schema = cfg.database_url().and(cfg.postgres_schema.as_deref());
    let mut client = kit::postgres::connect_in(&url, in_schema)?;
    let differences = kit::judge::live_parity(&conn, &mut client)?;
    if differences.is_empty() {
        show!(
            "kit: parity: {} and {} have the same tables, columns, constraints, indexes and views",
            sqlite.display(),
            kit::postgres::redact(&url)
        );
        return Ok(());
    }
    for d in &differences {
        say!("kit: parity: {d}");
    }
    Err(db_error(
        &sqlite,
        format!(
            "the two databases differ: {} difference(s) with {}",
            differences.len(),
            kit::postgres::redact(&url)
        ),
    ))
}

/// `kit revision`.
pub fn revision(a: RevisionArgs) -> Result<()> {
    let cfg = a.target.load()?;
    note_skipped(&cfg);
    if cfg.has_components() || a.component.is_some() {
        return crate::phases::revision(&cfg, &a);
    }
    let migrations = migrate::load(&cfg.migrations)?;
    let version = migrate::next_version(&migrations);
    let d = if a.autogenerate {
        let d = match cfg.database_url().is_some() || cfg.database.exists() {
            true if cfg.database_url().is_some() => {
                let mut db = kit::db::open(&cfg)?;
                Status::read(db.as_mut(), &cfg.migrations)?.require_head()?;
                drop(db);
                diff_of(&cfg, &cfg.schema)?
            }
            true => {
                let mut conn = kit::open_read_only(&cfg.database)?;
                Status::read(&mut conn, &cfg.migrations)?.require_head()?;
                sqlite_migrate::diff_to_file(&conn, &cfg.schema)?
            }
            false if migrations.is_empty() => {
                let empty = Connection::open_in_memory()
                    .map_err(|e| Error::sqlite("opening memory", e))?;
                sqlite_migrate::diff_to_file(&empty, &cfg.schema)?
            }
            false => {
                return Err(db_error(
                    &cfg.database,
                    "target database is not up to date: it does not exist; run `kit upgrade head` to create it",
                ))
            }
        };
        match nonempty(
            d,
            &format!("the database already matches {}", cfg.schema.display()),
        ) {
            Some(d) => Some(d),
            None => return Ok(()),
        }
    } else {
        None
    };
    write_revision(&cfg.migrations, &version, &a, cfg.keep_added_columns, d)
}

/// Prints an autogenerated diff's notes; `None` when it is empty (saying that `matches`, so
/// no migration is written).
pub fn nonempty(d: kit::diff::Diff, matches: &str) -> Option<kit::diff::Diff> {
    for n in &d.notes {
        say!("kit: note: {n}");
    }
    if d.is_empty() {
        say!("kit: no changes: {matches}; no migration written");
        return None;
    }
    Some(d)
}

/// Writes migration `version` into `dir` (the diff's statements, when autogenerated).
pub fn write_revision(
    dir: &Path,
    version: &str,
    a: &RevisionArgs,
    keep: bool,
    mut d: Option<kit::diff::Diff>,
) -> Result<()> {
    if let Some(d) = d.as_mut().filter(|_| a.keep_added_columns || keep) {
        let n = migrate::keep_added_columns(d);
        if n > 0 {
            say!("kit: note: the downgrade keeps {n} added column(s) (--keep-added-columns)");
        }
    }
    let file = dir.join(format!("{version}_{}.sql", migrate::slug(&a.message)));
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let text = migrate::revision_text(version, &a.message, &migrate::now_utc(), d.as_ref());
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .map_err(|source| Error::Io {
            path: file.display().to_string(),
            source,
        })?;
    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(|source| Error::Io {
        path: file.display().to_string(),
        source,
    })?;
    if let Some(d) = &d {
        for l in d.losses() {
            say!("kit: warning: the migration drops {l}; review it");
        }
    }
    show!("{}", file.display());
    Ok(())
}

/// `kit upgrade` and `kit downgrade`.
pub fn migrate(a: MoveArgs, dir: Direction) -> Result<()> {
    let cfg = a.target.load()?;
    if cfg.has_components() || a.explain || a.graph {
        return crate::phases::migrate(&cfg, &a, dir);
    }
    if a.then.is_some() {
        return Err(db_error(
            &cfg.database,
            "a second target is for configs with components (`kit downgrade COMPONENT -1`); this config declares none",
        ));
    }
    let default = match dir {
        Direction::Up => "head",
        Direction::Down => {
            return migrate_to(
                &cfg,
                a.to.as_deref().ok_or_else(|| {
                    db_error(
                        &cfg.database,
                        "say how far down: -1 (or -N), a version, or base",
                    )
                })?,
                dir,
                a.sql.then_some(a.dialect),
                a.echo || cfg.log_sql,
            )
        }
    };
    migrate_to(
        &cfg,
        a.to.as_deref().unwrap_or(default),
        dir,
        a.sql.then_some(a.dialect),
        a.echo || cfg.log_sql,
    )
}

/// The dialect of the config's database.
fn dialect_of(cfg: &Config) -> kit::dialect::Dialect {
    if cfg.database_url().is_some() {
        kit::dialect::Dialect::Postgres
    } else {
        kit::dialect::Dialect::Sqlite
    }
}

/// Prints the SQL an offline run would execute, for `dialect` (default: the database's).
fn offline(
    cfg: &Config,
    to: &str,
    dir: Direction,
    dialect: Option<kit::dialect::Dialect>,
) -> Result<()> {
    let migrations = migrate::load(&cfg.migrations)?;
    let dialect = dialect.unwrap_or_else(|| dialect_of(cfg));
    // With no database at all (`--dialect` and a missing file), the run starts at base.
    let applied = match (cfg.database_url(), cfg.database.exists()) {
        (Some(_), _) => kit::db::open(cfg)?.applied()?,
        (None, true) => kit::open_read_only(&cfg.database)?.applied()?,
        (None, false) => Vec::new(),
    };
    let status = Status {
        migrations,
        applied,
    };
    let start: Vec<&migrate::Migration> = status
        .migrations
        .iter()
        .filter(|m| status.is_applied(m))
        .collect();
    let todo = migrate::steps(&status, dir, to)?;
    let sql = match dialect {
        kit::dialect::Dialect::Sqlite => sqlite_migrate::offline_sql(&start, &todo, dir)?,
        kit::dialect::Dialect::Postgres => {
            kit::db::postgres_offline_sql(&start, &todo, dir, cfg.lock_timeout)?
        }
    };
    show_sql!("{sql}");
    Ok(())
}

fn migrate_to(
    cfg: &Config,
    to: &str,
    dir: Direction,
    offline_dialect: Option<Option<kit::dialect::Dialect>>,
    echo: bool,
) -> Result<()> {
    note_skipped(cfg);
    let label = match dir {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    };
    if let Some(dialect) = offline_dialect {
        return offline(cfg, to, dir, dialect);
    }
    if cfg.database_url().is_some() {
        return run_migrations(cfg, to, dir, echo, label);
    }
    let created = !cfg.database.exists();
    if created {
        if dir == Direction::Down {
            return Err(db_error(&cfg.database, "no such database file"));
        }
        Connection::open(&cfg.database)
            .and_then(|c| c.execute_batch("PRAGMA user_version = 0"))
            .map_err(|e| db_error(&cfg.database, format!("cannot create: {e}")))?;
        say!("kit: created {}", cfg.database.display());
    }
    let result = run_migrations(cfg, to, dir, echo, label);
    // A first upgrade that applied nothing leaves no empty database file behind.
    if created
        && result
            .as_ref()
            .is_err_and(|e| !matches!(e, Error::Uncertain { .. }))
    {
        let empty = Connection::open(&cfg.database)
            .and_then(|c| {
                c.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
                    r.get::<_, i64>(0)
                })
            })
            .is_ok_and(|n| n == 0);
        if empty && kit::throwaway::remove_database(&cfg.database).is_ok() {
            say!(
                "kit: removed {}, which this upgrade had created",
                cfg.database.display()
            );
        }
    }
    result
}

/// Runs the migrations of a real (not offline) upgrade or downgrade and reports where the
/// database ends up.
fn run_migrations(cfg: &Config, to: &str, dir: Direction, echo: bool, label: &str) -> Result<()> {
    let migrations = migrate::load(&cfg.migrations)?;
    let mut db = kit::db::open(cfg)?;
    let mut printer = echo_fn(echo);
    let mut notes = |n: &str| say!("kit: note: {n}");
    let mut observer = echo_observer(&mut printer, &mut notes);
    let started = Instant::now();
    let mut begun = 0;
    // The run reads the history under the write lock and picks the migrations from it.
    let result = migrate::run(db.as_mut(), &migrations, dir, to, &mut observer, |m| {
        begun += 1;
        say!("kit: {label} {} ({})", m.name, m.message)
    });
    drop(observer);
    let status = db.applied().map(|applied| Status {
        migrations,
        applied,
    });
    match result {
        Ok(done) => {
            let status = status?;
            if done.is_empty() {
                say!("kit: nothing to {label}: at {}", describe(&status));
            } else {
                say!(
                    "kit: {label} done: {} migration(s) in {}, now at {}",
                    done.len(),
                    ms(started.elapsed()),
                    describe(&status)
                );
            }
            Ok(())
        }
        Err(e @ Error::Uncertain { .. }) => Err(e),
        Err(e) => {
            match (begun > 0, &status) {
                (true, Ok(status)) => say!(
                    "kit: the failing migration was rolled back whole; the database is at {}",
                    describe(status)
                ),
                (false, Ok(status)) => say!(
                    "kit: nothing was applied; the database is at {}",
                    describe(status)
                ),
                (_, Err(_)) => {}
            }
            Err(e)
        }
    }
}

/// `0002 (head)`, `0001`, `base`.
pub fn describe(status: &Status) -> String {
    match status.current() {
        None => "base".into(),
        Some(a) => {
            let head = status
                .head()
                .is_some_and(|h| h.version == a.version && status.pending().is_empty());
            if head {
                format!("{} (head)", a.version)
            } else {
                a.version.clone()
            }
        }
    }
}

/// `kit current`.
pub fn current(t: Target) -> Result<()> {
    let cfg = t.load()?;
    note_skipped(&cfg);
    if cfg.has_components() {
        return crate::phases::current(&cfg);
    }
    let migrations = migrate::load(&cfg.migrations)?;
    let applied = match kit::db::open_existing(&cfg)? {
        Some(mut db) => db.applied()?,
        None => {
            show!("base (no database at {})", shown(&cfg));
            return Ok(());
        }
    };
    let status = Status {
        migrations,
        applied,
    };
    show!("{}", describe(&status));
    Ok(())
}

/// `kit history`.
pub fn history(t: Target) -> Result<()> {
    let cfg = t.load()?;
    note_skipped(&cfg);
    if cfg.has_components() {
        return crate::phases::history(&cfg);
    }
    let migrations = migrate::scan(&cfg.migrations)?;
    let applied = match kit::db::open_existing(&cfg)? {
        Some(mut db) => db.applied()?,
        None => Vec::new(),
    };
    let status = Status {
        migrations,
        applied,
    };
    let current = status.current().map(|a| a.version.clone());
    for m in &status.migrations {
        let a = status.applied_row(m);
        let mark = if a.is_some() { "[x]" } else { "[ ]" };
        let mut line = format!("{mark} {} {}", m.version, m.message);
        if let Some(a) = a {
            line.push_str(&format!("  (applied {})", a.applied_at));
            if a.checksum != m.checksum {
                line.push_str("  EDITED since applied");
            }
        }
        if current.as_deref() == Some(m.version.as_str()) {
            line.push_str("  <- current");
        }
        show!("{line}");
    }
    for a in status.missing_files() {
        show!(
            "[x] {} {}  (applied {}, FILE MISSING)",
            a.version,
            a.name,
            a.applied_at
        );
    }
    if status.migrations.is_empty() && status.applied.is_empty() {
        say!("kit: no migrations in {}", cfg.migrations.display());
    }
    Ok(())
}

/// `kit check`.
pub fn check(a: CheckArgs) -> Result<()> {
    let cfg = a.target.load()?;
    if cfg.has_components() {
        return crate::phases::check(&cfg);
    }
    let parity_url = a
        .postgresql
        .clone()
        .or_else(|| cfg.check_postgresql.clone());
    let mut problems = match cfg.database_url() {
        Some(url) => postgres_check(&cfg, url)?,
        None => {
            let conn = match cfg.database.exists() {
                true => Some(kit::open_read_only(&cfg.database)?),
                false => None,
            };
            // Parity needs no database file: both sides are replays (CI on a fresh checkout).
            let unchecked = parity_url.is_some();
            sqlite_migrate::check(conn.as_ref(), unchecked, &cfg.migrations, &cfg.schema)?
        }
    };
    if let Some(url) = parity_url.filter(|_| cfg.database_url().is_none()) {
        let all = migrate::load(&cfg.migrations)?;
        let refs: Vec<&migrate::Migration> = all.iter().collect();
        let mut client = kit::postgres::connect(&url)?;
        problems.extend(kit::judge::parity(&mut client, &refs)?);
    }
    if problems.is_empty() {
        let n = migrate::scan(&cfg.migrations)?.len();
        let gate = if cfg.database_url().is_none() && !cfg.database.exists() {
            "no database file (the files alone are checked)"
        } else {
            "database at head"
        };
        show!(
            "kit: check passed: {n} migration(s), {gate}, replaying them gives {}{}",
            cfg.schema.display(),
            if a.postgresql.is_some() || cfg.check_postgresql.is_some() {
                ", and PostgreSQL replays them to the same schema as SQLite (parity)"
            } else {
                ""
            }
        );
        return Ok(());
    }
    for p in &problems {
        say!("kit: problem: {}", p.0);
    }
    Err(db_error(
        cfg.file.as_deref().unwrap_or(&cfg.database),
        format!("check failed: {} problem(s)", problems.len()),
    ))
}

/// `kit check` on PostgreSQL: the gate on the server's history, and the migrations replayed
/// into a scratch schema there against the schema file loaded into another.
fn postgres_check(cfg: &Config, url: &str) -> Result<Vec<migrate::Problem>> {
    let in_schema = cfg.postgres_schema.as_deref();
    let mut client = kit::postgres::connect_in(url, in_schema)?;
    let applied = kit::postgres::migrate::applied(&mut client)?;
    let schema = cfg.schema.clone();
    let judge = |all: &[&migrate::Migration]| {
        kit::judge::postgres_replay_diff(
            &mut kit::postgres::connect_in(url, in_schema)?,
            all,
            &schema,
        )
    };
    migrate::check(
        migrate::History::Rows(applied),
        &cfg.migrations,
        &cfg.schema,
        &judge,
    )
}

pub fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn reset_once(cfg: &Config, force: bool, echo: bool) -> Result<()> {
    let mut printer = echo_fn(echo);
    let r = kit::throwaway::reset(
        cfg,
        force,
        printer.as_mut().map(|f| f as &mut dyn FnMut(&str)),
    )?;
    say!(
        "kit: reset {} from {}: {} table(s), {} seed file(s), {} migration(s) recorded, in {}",
        r.database,
        r.source,
        r.tables,
        r.seed_files,
        r.recorded,
        ms(r.elapsed)
    );
    Ok(())
}

/// `kit throwaway-reset`.
pub fn throwaway_reset(a: ResetArgs) -> Result<()> {
    let load = || Config::load(&a.config, a.db.as_deref());
    let cfg = load()?;
    let mut seen = kit::throwaway::fingerprint(&kit::throwaway::watched_files(&cfg));
    let first = reset_once(&cfg, a.force, a.echo || cfg.log_sql);
    if !a.watch {
        return first;
    }
    if let Err(e) = &first {
        say!("kit: error: {e}");
    }
    // After the first reset (forced or not) the database is kit's own throwaway.
    let mut force = a.force && first.is_err();
    let mut cfg = cfg;
    say!("kit: watching for changes (Ctrl-C to stop)");
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let now = kit::throwaway::fingerprint(&kit::throwaway::watched_files(&cfg));
        if now == seen {
            continue;
        }
        // Let an editor finish writing: wait until the files stop changing.
        let mut settled = now;
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let again = kit::throwaway::fingerprint(&kit::throwaway::watched_files(&cfg));
            if again == settled {
                break;
            }
            settled = again;
        }
        seen = settled;
        match load() {
            Ok(c) => cfg = c,
            Err(e) => {
                say!("kit: error: {e}");
                continue;
            }
        }
        // The baseline is taken before the reset reads the files, so an edit made while it
        // runs triggers another reset.
        seen = kit::throwaway::fingerprint(&kit::throwaway::watched_files(&cfg));
        match reset_once(&cfg, force, a.echo || cfg.log_sql) {
            Ok(()) => force = false,
            Err(e) => say!("kit: error: {e}"),
        }
    }
}

/// `kit config-create`.
pub fn config_create(a: ConfigCreateArgs) -> Result<()> {
    if a.file.exists() && !a.force {
        return Err(db_error(
            &a.file,
            "file exists; pass --force to overwrite it",
        ));
    }
    let text = Config::template(a.db.as_deref().unwrap_or("temp.db"));
    std::fs::write(&a.file, text).map_err(|source| Error::Io {
        path: a.file.display().to_string(),
        source,
    })?;
    say!("kit: wrote {}", a.file.display());
    Ok(())
}
