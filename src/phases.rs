//! The CLI of components and phased runs: `kit upgrade` / `kit downgrade` on a config with
//! components (one transaction for the whole run), `--explain` and `--graph`, and `kit
//! current` / `kit history` per component. Printing only: the work is the library's
//! ([`kit::phased`]).

use crate::workflow::{describe, echo_fn, echo_observer, ms, note_skipped};
use crate::MoveArgs;
use kit::components::PHASES;
use kit::config::Config;
use kit::migrate::Direction;
use kit::phased::{self, ComponentStatus, PhasePlan, Schedule, UpTarget};
use kit::{Error, Result};
use std::time::Instant;

/// `kit upgrade` / `kit downgrade` with components (or `--explain`, `--graph`).
pub fn migrate(cfg: &Config, a: &MoveArgs, dir: Direction) -> Result<()> {
    note_skipped(cfg);
    if a.sql {
        return Err(Error::Database {
            path: cfg.database_display(),
            message: "--sql is not available for a config with components yet: `kit upgrade --explain` prints every statement of the run, per phase and migration".into(),
        });
    }
    let loaded = phased::load(&cfg.components())?;
    if a.graph {
        let applied = match kit::db::open_existing(cfg)? {
            Some(mut db) => db.applied()?,
            None => Vec::new(),
        };
        print!("{}", phased::graph(&phased::statuses(&loaded, &applied)));
        return Ok(());
    }
    let (to, then) = (a.to.clone(), a.then.clone());
    let implicit = !cfg.has_components();
    let make = move |st: &[ComponentStatus]| -> Result<Schedule> {
        let todo = match dir {
            Direction::Up => {
                let target = match (&to, implicit) {
                    (None, _) => UpTarget::All,
                    (Some(t), true) => UpTarget::Component {
                        name: String::new(),
                        version: Some(t.clone()).filter(|t| t != "head"),
                    },
                    (Some(t), false) => phased::parse_up_target(st, t)?,
                };
                phased::upgrade_schedule(st, &target)?
            }
            Direction::Down => {
                let (name, target) = down_target(st, to.as_deref(), then.as_deref(), implicit)?;
                phased::downgrade_schedule(st, &name, &target)?
            }
        };
        Schedule::new(todo, dir)
    };
    let created = create_if_missing(cfg, dir)?;
    let mut db = kit::db::open(cfg)?;
    let mut printer = echo_fn(a.echo || cfg.log_sql);
    let mut notes = |n: &str| say!("kit: note: {n}");
    let mut observer = echo_observer(&mut printer, &mut notes);
    let started = Instant::now();
    let label = match dir {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    };
    let result = phased::run(db.as_mut(), &loaded, &make, a.explain, &mut observer);
    drop(observer);
    let (schedule, plans, _) = match result {
        Ok(r) => r,
        Err(e) => {
            if created {
                let _ = kit::throwaway::remove_database(&cfg.database);
            }
            say!("kit: the run was rolled back whole: nothing of it was applied");
            return Err(e);
        }
    };
    if a.explain {
        print_explain(&schedule, &plans, cfg.database_url().is_none(), label);
        if created {
            let _ = kit::throwaway::remove_database(&cfg.database);
        }
        return Ok(());
    }
    let applied = db.applied()?;
    let now = where_they_are(&phased::statuses(&loaded, &applied));
    if schedule.migrations.is_empty() {
        say!("kit: nothing to {label}: at {now}");
    } else {
        for m in &schedule.migrations {
            say!("kit: {label} {} ({})", name_of(m), m.message);
        }
        say!(
            "kit: {label} done: {} migration(s) in {} phase(s), one transaction, in {}, now at {now}",
            schedule.migrations.len(),
            schedule.phases.len(),
            ms(started.elapsed())
        );
    }
    Ok(())
}

/// Creates an empty SQLite database for a first upgrade; true when it did.
fn create_if_missing(cfg: &Config, dir: Direction) -> Result<bool> {
    if cfg.database_url().is_some() || cfg.database.exists() {
        return Ok(false);
    }
    if dir == Direction::Down {
        return Err(Error::Database {
            path: cfg.database.display().to_string(),
            message: "no such database file".into(),
        });
    }
    rusqlite::Connection::open(&cfg.database)
        .and_then(|c| c.execute_batch("PRAGMA user_version = 0"))
        .map_err(|e| Error::Database {
            path: cfg.database.display().to_string(),
            message: format!("cannot create: {e}"),
        })?;
    Ok(true)
}

/// (component, target) of a downgrade: `mail -1`, `mail@0002`, `mail base`; without
/// components, the one target.
fn down_target(
    st: &[ComponentStatus],
    to: Option<&str>,
    then: Option<&str>,
    implicit: bool,
) -> Result<(String, String)> {
    let how = || {
        Error::Database {
        path: "downgrade".into(),
        message: format!(
            "say which component and how far down: `kit downgrade COMPONENT -1` (or -N, a version, base) or `COMPONENT@VERSION`; components: {}",
            st.iter()
                .map(|s| s.component.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
    };
    if implicit {
        return Ok((String::new(), to.ok_or_else(how)?.to_string()));
    }
    match (to, then) {
        (Some(c), Some(t)) => Ok((c.to_string(), t.to_string())),
        (Some(ct), None) => match ct.split_once('@') {
            Some((c, t)) => Ok((c.to_string(), t.to_string())),
            None => Err(how()),
        },
        _ => Err(how()),
    }
}

/// `mail 0002_sender` (or the bare name without components).
fn name_of(m: &kit::migrate::Migration) -> String {
    if m.component.is_empty() {
        m.name.clone()
    } else {
        format!("{} {}", m.component, m.name)
    }
}

/// `addressbook 0002 (head), mail base`.
fn where_they_are(st: &[ComponentStatus]) -> String {
    st.iter()
        .map(|s| {
            if s.component.name.is_empty() {
                describe(&s.status)
            } else {
                format!("{} {}", s.component.name, describe(&s.status))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prints the schedule: per phase, each migration's statements and the tables copied.
fn print_explain(schedule: &Schedule, plans: &[PhasePlan], sqlite: bool, label: &str) {
    show!(
        "{label}: {} migration(s), {} phase(s), one transaction",
        schedule.migrations.len(),
        plans.len()
    );
    for (i, m) in schedule.migrations.iter().enumerate() {
        show!("  {}. {} ({})", i + 1, name_of(m), m.path.display());
    }
    for p in plans {
        show!("phase {}", PHASES[p.phase]);
        for (mi, statements) in &p.pieces {
            show!("  {}", name_of(&schedule.migrations[*mi]));
            for s in statements {
                for line in s.lines() {
                    show!("    {line}");
                }
            }
        }
        if sqlite {
            if p.copied.is_empty() {
                show!("  copies: none");
            } else {
                show!("  copies: {}", p.copied.join(", "));
            }
        }
    }
}

/// `kit current` with components: one line per component.
pub fn current(cfg: &Config) -> Result<()> {
    let loaded = phased::load(&cfg.components())?;
    let applied = match kit::db::open_existing(cfg)? {
        Some(mut db) => db.applied()?,
        None => Vec::new(),
    };
    for s in phased::statuses(&loaded, &applied) {
        show!("{} {}", s.component.name, describe(&s.status));
    }
    Ok(())
}

/// `kit history` with components: each component's migrations under its name.
pub fn history(cfg: &Config) -> Result<()> {
    let loaded = phased::load(&cfg.components())?;
    let applied = match kit::db::open_existing(cfg)? {
        Some(mut db) => db.applied()?,
        None => Vec::new(),
    };
    for s in phased::statuses(&loaded, &applied) {
        let deps = if s.component.depends.is_empty() {
            String::new()
        } else {
            format!(" (depends on {})", s.component.depends.join(", "))
        };
        show!("{}{deps}:", s.component.name);
        let current = s.status.current().map(|a| a.version.clone());
        for m in &s.status.migrations {
            let a = s.status.applied_row(m);
            let mark = if a.is_some() { "[x]" } else { "[ ]" };
            let mut line = format!("  {mark} {} {}", m.version, m.message);
            if let Some(a) = a {
                line.push_str(&format!("  (applied {})", a.applied_at));
                if a.checksum != m.checksum {
                    line.push_str("  EDITED since applied");
                }
            }
            for (c, v) in &m.requires {
                line.push_str(&format!("  (requires {c} {v})"));
            }
            if current.as_deref() == Some(m.version.as_str()) {
                line.push_str("  <- current");
            }
            show!("{line}");
        }
        for a in s.status.missing_files() {
            show!(
                "  [x] {} {}  (applied {}, FILE MISSING)",
                a.version,
                a.name,
                a.applied_at
            );
        }
    }
    Ok(())
}

/// `kit check` with components: each component's history, the whole replay against the
/// schema files, keys across components, and tables no component declares.
pub fn check(cfg: &Config) -> Result<()> {
    let (applied, tables) = match cfg.database_url() {
        Some(url) => {
            let mut client = kit::postgres::connect_in(url, cfg.postgres_schema.as_deref())?;
            let applied = kit::postgres::migrate::applied(&mut client)?;
            let schema = kit::postgres::read::read_schema(&mut client)?;
            (Some(applied), schema.tables.keys().cloned().collect())
        }
        None if cfg.database.exists() => {
            let conn = kit::open_read_only(&cfg.database)?;
            let applied = kit::sqlite::migrate::applied(&conn)?;
            let schema = kit::sqlite::read::read_schema(&conn)?;
            (Some(applied), schema.tables.keys().cloned().collect())
        }
        None => (None, Vec::new()),
    };
    let tables: Vec<String> = tables
        .into_iter()
        .filter(|t: &String| t != "kit_migrations" && t != "kit_throwaway")
        .collect();
    let components = cfg.components();
    let problems = kit::sqlite::components::check(&components, applied, &tables)?;
    if problems.is_empty() {
        let n: usize = phased::load(&components)?
            .iter()
            .map(|(_, m)| m.len())
            .sum();
        show!(
            "kit: check passed: {} component(s), {n} migration(s), database at head, replaying them gives the components' schema files",
            components.len()
        );
        return Ok(());
    }
    for p in &problems {
        say!("kit: problem: {}", p.0);
    }
    Err(Error::Database {
        path: cfg
            .file
            .as_deref()
            .unwrap_or(&cfg.database)
            .display()
            .to_string(),
        message: format!("check failed: {} problem(s)", problems.len()),
    })
}

/// `kit revision` with components: the next version of `--component`'s migrations; with
/// `--autogenerate`, the diff of that component's objects only (every component at head).
pub fn revision(cfg: &Config, a: &crate::RevisionArgs) -> Result<()> {
    let components = cfg.components();
    let names: Vec<&str> = components.iter().map(|c| c.name.as_str()).collect();
    let name = match (&a.component, cfg.has_components()) {
        (Some(n), true) => n.clone(),
        (Some(_), false) => {
            return Err(Error::Database {
                path: cfg.database_display(),
                message: "--component is for configs with components; this config declares none"
                    .into(),
            })
        }
        (None, _) => {
            return Err(Error::Database {
                path: cfg.database_display(),
                message: format!(
                "say which component the migration belongs to: --component NAME (components: {})",
                names.join(", ")
            ),
            })
        }
    };
    let loaded = phased::load(&components)?;
    let c = phased::find(&phased::statuses(&loaded, &[]), &name)?
        .component
        .clone();
    let mine = &loaded
        .iter()
        .find(|(x, _)| x.name == name)
        .expect("found above")
        .1;
    let version = kit::migrate::next_version(mine);
    let d = if a.autogenerate {
        let d = if cfg.database_url().is_some() {
            return Err(Error::Database {
                path: cfg.database_display(),
                message: "revision --autogenerate with components reads a SQLite development database; point --db at one (the PostgreSQL side is checked by `kit check --postgresql`)".into(),
            });
        } else if cfg.database.exists() {
            let conn = kit::open_read_only(&cfg.database)?;
            let applied = kit::sqlite::migrate::applied(&conn)?;
            for s in phased::statuses(&loaded, &applied) {
                s.status.require_head().map_err(|e| Error::Database {
                    path: format!("component `{}`", s.component.name),
                    message: e.to_string(),
                })?;
            }
            kit::sqlite::components::component_diff(&conn, &components, &name)?
        } else if mine.is_empty() {
            // A component's first migration: its objects from nothing (the other components'
            // are not part of its diff).
            let empty = rusqlite::Connection::open_in_memory()
                .map_err(|e| Error::sqlite("opening memory", e))?;
            kit::sqlite::components::component_diff(&empty, &components, &name)?
        } else {
            return Err(Error::Database {
                path: cfg.database.display().to_string(),
                message: "target database is not up to date: it does not exist; run `kit upgrade` to create it".into(),
            });
        };
        let matches = format!(
            "component `{name}`'s tables already match {}",
            c.schema.display()
        );
        match crate::workflow::nonempty(d, &matches) {
            Some(d) => Some(d),
            None => return Ok(()),
        }
    } else {
        None
    };
    crate::workflow::write_revision(&c.migrations, &version, a, cfg.keep_added_columns, d)
}
