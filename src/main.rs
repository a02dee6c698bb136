//! The `kit` command line: a thin shell over the library.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Print nothing on success.
    #[arg(long, short)]
    quiet: bool,
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
    let summary = kit::apply(&mut conn, &plan)?;
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
