//! The `kit` command line: a thin shell over the library.

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[macro_use]
mod term;
mod phases;
mod workflow;
use kit::config::Config;
use kit::migrate::Direction;
use workflow::*;

#[derive(Parser)]
#[command(
    name = "kit",
    version,
    about = "SQLite schema migrations that lose nothing"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply ALTER TABLE and other statements, rebuilding tables where SQLite cannot alter them.
    Rebuild(RebuildArgs),
    /// Print the statements that turn the database into the target schema.
    Diff(DiffArgs),
    /// Write the next migration file (with --autogenerate: the diff to the schema, and its inverse).
    Revision(RevisionArgs),
    /// Apply pending migrations up to head or a version.
    Upgrade(MoveArgs),
    /// Undo applied migrations: -1 (or -N), down to a version, or to base.
    Downgrade(MoveArgs),
    /// Print the database's current version.
    Current(Target),
    /// List the migrations, applied or not.
    History(Target),
    /// Exit 1 listing each problem: edited or missing applied files, a database behind head,
    /// shared versions, or migrations that do not replay to the schema file.
    Check(CheckArgs),
    /// Delete the throwaway database and recreate it from the schema (or migrations) and seeds.
    ThrowawayReset(ResetArgs),
    /// Write a commented config file template.
    ConfigCreate(ConfigCreateArgs),
}

/// Where to work: a config file, a database, or both (`--db` overrides the config's).
#[derive(Args)]
struct Target {
    /// The config file (TOML).
    #[arg(long, short = 'c', required_unless_present = "db")]
    config: Option<PathBuf>,
    /// The database file (overrides the config's `database`).
    #[arg(long)]
    db: Option<PathBuf>,
}

impl Target {
    fn load(&self) -> kit::Result<Config> {
        match (&self.config, &self.db) {
            (Some(c), db) => Config::load(c, db.as_deref()),
            (None, Some(db)) => Ok(Config::for_database(db)),
            (None, None) => unreachable!("clap requires -c or --db"),
        }
    }
}

#[derive(Args)]
struct RebuildArgs {
    /// The database to change: a SQLite file, or a PostgreSQL URL (`postgresql://...`).
    #[arg(long, required_unless_present = "config")]
    db: Option<PathBuf>,
    /// A config file naming the database (and, on PostgreSQL, its `[postgresql] schema`);
    /// `--db` overrides its `database`.
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// The statements, `;`-separated (may start with `-`, e.g. a `--` comment).
    #[arg(long, allow_hyphen_values = true, conflicts_with_all = ["file", "to"], required_unless_present_any = ["file", "to"])]
    sql: Option<String>,
    /// A file holding the statements.
    #[arg(long, conflicts_with = "to")]
    file: Option<PathBuf>,
    /// A target schema file: apply the diff from the database to it.
    #[arg(long)]
    to: Option<PathBuf>,
    /// With --to: allow dropping tables and columns (their data is lost).
    #[arg(long, requires = "to")]
    allow_drop: bool,
    /// Print the exact SQL that would run, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print nothing on success (no summary, no progress bar).
    #[arg(long, short)]
    quiet: bool,
    /// Echo every executed statement to stderr.
    #[arg(long)]
    echo: bool,
}

#[derive(Args)]
struct DiffArgs {
    #[command(flatten)]
    target: Target,
    /// The target schema file (default: the config's `schema`).
    #[arg(long, conflicts_with = "parity")]
    to: Option<PathBuf>,
    /// Compare the database with this one instead (a SQLite file against a PostgreSQL URL, or
    /// the other way round): tables, columns, constraints, indexes and views that differ.
    #[arg(long)]
    parity: Option<PathBuf>,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    target: Target,
    /// Also replay the migrations on this PostgreSQL server (in a scratch schema, rolled back)
    /// and fail listing what PostgreSQL rejects and every difference from SQLite's result
    /// (overrides the config's `[check] postgresql`).
    #[arg(long)]
    postgresql: Option<String>,
}

#[derive(Args)]
pub struct RevisionArgs {
    #[command(flatten)]
    target: Target,
    /// What the migration does, e.g. "users: add nickname".
    #[arg(long, short, allow_hyphen_values = true)]
    message: String,
    /// Fill the up part with the diff from the database to the schema, the down part with its inverse.
    #[arg(long)]
    autogenerate: bool,
    /// With components: the component the migration belongs to (its schema is diffed, its
    /// tables only).
    #[arg(long)]
    component: Option<String>,
    /// With --autogenerate: columns the migration adds are added `IF NOT EXISTS` and kept by
    /// the downgrade (so no data is lost); also `[revision] keep_added_columns = true`.
    #[arg(long, requires = "autogenerate")]
    keep_added_columns: bool,
}

#[derive(Args)]
struct MoveArgs {
    #[command(flatten)]
    target: Target,
    /// upgrade: `head` (default) or a version; downgrade: `-1`, `-N`, a version, or `base`.
    /// With components: `COMPONENT` or `COMPONENT@VERSION` (upgrade), `COMPONENT -1`,
    /// `COMPONENT@VERSION` or `COMPONENT base` (downgrade).
    #[arg(allow_hyphen_values = true)]
    to: Option<String>,
    /// With components, the downgrade target after the component: `-1`, `-N`, a version, `base`.
    #[arg(allow_hyphen_values = true)]
    then: Option<String>,
    /// Print the run's schedule (per phase, which migration contributes which statements; on
    /// SQLite, which tables are copied) without running it.
    #[arg(long, conflicts_with = "sql")]
    explain: bool,
    /// Print the components and their pending migrations as a Graphviz DOT graph.
    #[arg(long, conflicts_with_all = ["sql", "explain"])]
    graph: bool,
    /// Print the SQL instead of running it (needs no database).
    #[arg(long)]
    sql: bool,
    /// With --sql: print the SQL of this database kind (`sqlite`, `postgresql`) instead of the
    /// configured database's; needs no database at all.
    #[arg(long, requires = "sql", value_parser = parse_dialect)]
    dialect: Option<kit::dialect::Dialect>,
    /// Echo every executed statement to stderr.
    #[arg(long)]
    echo: bool,
}

#[derive(Args)]
struct ResetArgs {
    /// The config file (TOML).
    #[arg(long, short = 'c')]
    config: PathBuf,
    /// The database file (overrides the config's `database`).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Delete the database even if kit did not create it as a throwaway.
    #[arg(long)]
    force: bool,
    /// Keep running; recreate the database whenever the schema, seeds, migrations or config change.
    #[arg(long)]
    watch: bool,
    /// Echo every executed statement to stderr.
    #[arg(long)]
    echo: bool,
}

#[derive(Args)]
struct ConfigCreateArgs {
    /// The config file to write.
    file: PathBuf,
    /// The database path to put in it (default: temp.db).
    #[arg(long)]
    db: Option<String>,
    /// Overwrite an existing file.
    #[arg(long)]
    force: bool,
}

fn parse_dialect(s: &str) -> Result<kit::dialect::Dialect, String> {
    kit::dialect::Dialect::from_marker(s)
        .ok_or_else(|| format!("`{s}`: write `sqlite` or `postgresql`"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Rebuild(a) => rebuild(a),
        Command::Diff(a) => diff(a),
        Command::Revision(a) => revision(a),
        Command::Upgrade(a) => migrate(a, Direction::Up),
        Command::Downgrade(a) => migrate(a, Direction::Down),
        Command::Current(t) => current(t),
        Command::History(t) => history(t),
        Command::Check(a) => check(a),
        Command::ThrowawayReset(a) => throwaway_reset(a),
        Command::ConfigCreate(a) => config_create(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say!("kit: error: {e}");
            ExitCode::from(1)
        }
    }
}

/// A progress bar on stderr for copies that take more than about a second.
fn progress_bar() -> kit::ProgressFn {
    let bar: Mutex<Option<ProgressBar>> = Mutex::new(None);
    Arc::new(move |p: &kit::Progress| {
        let mut bar = bar.lock().unwrap_or_else(|e| e.into_inner());
        if p.done {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            return;
        }
        if bar.is_none() && p.elapsed >= Duration::from_secs(1) {
            let b = ProgressBar::new(p.total);
            b.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {human_pos}/{human_len} rows, {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.set_prefix(format!("copying \"{}\"", p.table));
            *bar = Some(b);
        }
        if let Some(b) = bar.as_ref() {
            let rate = p.copied as f64 / p.elapsed.as_secs_f64().max(1e-3);
            let left = p.total.saturating_sub(p.copied) as f64 / rate.max(1.0);
            b.set_message(format!("{:.0}k rows/s, {left:.0}s left", rate / 1000.0));
            b.set_position(p.copied.min(p.total));
        }
    })
}

fn rebuild(a: RebuildArgs) -> kit::Result<()> {
    let cfg = match (&a.config, &a.db) {
        (Some(c), db) => Config::load(c, db.as_deref())?,
        (None, Some(db)) => Config::for_database(db),
        (None, None) => unreachable!("clap requires --db or -c"),
    };
    let (sql, origin) = match (&a.sql, &a.file) {
        (Some(s), _) => (s.clone(), "--sql".to_string()),
        (None, Some(f)) => kit::sql::decode(
            &std::fs::read(f).map_err(|e| kit::Error::Io {
                path: f.display().to_string(),
                source: e,
            })?,
            &f.display().to_string(),
        )
        .map(|t| (t, f.display().to_string()))?,
        (None, None) => {
            let to =
                a.to.as_deref()
                    .expect("clap requires --sql, --file or --to");
            let d = diff_of(&cfg, to)?;
            for n in &d.notes {
                say!("kit: note: {n}");
            }
            let losses = d.losses();
            if !losses.is_empty() && !a.allow_drop && a.dry_run {
                say!(
                    "kit: warning: this drops {}; without --allow-drop the real run refuses",
                    losses.join(", ")
                );
            } else if !losses.is_empty() && !a.allow_drop {
                return Err(kit::Error::Database {
                    path: cfg.database_display(),
                    message: format!(
                        "the schema drops {}; nothing was changed. Pass --allow-drop to drop them (their data is lost), or mark renames with `-- kit:renamed-from old_name`",
                        losses.join(", ")
                    ),
                });
            }
            if d.is_empty() {
                if !a.quiet {
                    say!("kit: the database already matches {}", to.display());
                }
                return Ok(());
            }
            (d.script(), to.display().to_string())
        }
    };
    if a.dry_run {
        let mut db: Box<dyn kit::db::Database> = match cfg.database_url() {
            Some(_) => kit::db::open(&cfg)?,
            None => Box::new(kit::open_read_only(&cfg.database)?),
        };
        let dry = db.dry_run(&sql, &origin)?;
        for line in &dry.script {
            show_sql!("{line}\n");
        }
        for n in &dry.notes {
            say!("kit: dry run: {n}");
        }
        return Ok(());
    }
    let mut db = kit::db::open(&cfg)?;
    let mut echo = |sql: &str| say!("{sql};");
    let mut notes = |n: &str| say!("kit: note: {n}");
    let mut observer = kit::Observer {
        on_statement: if a.echo { Some(&mut echo) } else { None },
        on_progress: (!a.quiet && std::io::stderr().is_terminal()).then(progress_bar),
        on_note: Some(&mut notes),
    };
    let summary = db.apply_change(&sql, &origin, &mut observer)?;
    if !a.quiet {
        for s in &summary.steps {
            if s.path == kit::Path::Statement {
                continue;
            }
            let table = s.table.as_deref().unwrap_or("-");
            let copied = if s.path == kit::Path::Rebuild {
                format!(", {} rows copied", s.rows_copied)
            } else {
                String::new()
            };
            say!(
                "kit: \"{table}\": {}{copied} in {:.1?}",
                s.path.label(),
                s.elapsed
            );
        }
        say!(
            "kit: done: {} step(s), {} rebuild(s), {} rows copied, {:.1?}",
            summary.steps.len(),
            summary.rebuilds(),
            summary.rows_copied(),
            summary.elapsed
        );
    }
    Ok(())
}
