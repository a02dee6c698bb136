//! The `kit` command line: a thin shell over the library.

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
}

#[derive(Args)]
struct RebuildArgs {
    /// The SQLite database file to change.
    #[arg(long)]
    db: PathBuf,
    /// The statements, `;`-separated.
    #[arg(long, conflicts_with = "file", required_unless_present = "file")]
    sql: Option<String>,
    /// A file holding the statements.
    #[arg(long)]
    file: Option<PathBuf>,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Rebuild(a) => rebuild(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kit: error: {e}");
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
    let sql = match (&a.sql, &a.file) {
        (Some(s), _) => s.clone(),
        (None, Some(f)) => std::fs::read_to_string(f).map_err(|e| kit::Error::Io {
            path: f.display().to_string(),
            source: e,
        })?,
        (None, None) => unreachable!("clap requires --sql or --file"),
    };
    if a.dry_run {
        let conn = kit::open_read_only(&a.db)?;
        let plan = kit::plan_sql(&conn, &sql)?;
        for line in plan.script() {
            println!("{line}");
        }
        plan.preview_checks(&conn)?;
        return Ok(());
    }
    let mut conn = kit::open(&a.db)?;
    let plan = kit::plan_sql(&conn, &sql)?;
    let mut echo = |sql: &str| eprintln!("{sql};");
    let mut observer = kit::Observer {
        on_statement: if a.echo { Some(&mut echo) } else { None },
        on_progress: (!a.quiet && std::io::stderr().is_terminal()).then(progress_bar),
    };
    let summary = kit::apply_observed(&mut conn, &plan, &mut observer)?;
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
            eprintln!(
                "kit: \"{table}\": {}{copied} in {:.1?}",
                s.path.label(),
                s.elapsed
            );
        }
        eprintln!(
            "kit: done: {} step(s), {} rebuild(s), {} rows copied, {:.1?}",
            summary.steps.len(),
            summary.rebuilds(),
            summary.rows_copied(),
            summary.elapsed
        );
    }
    Ok(())
}
