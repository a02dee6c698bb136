//! Runs of many components' migrations, phase by phase, in one transaction (Reahl's
//! `migratedb`, made atomic): which migrations a run takes ([`upgrade_schedule`],
//! [`downgrade_schedule`]), how their parts are cut into phases ([`Schedule`]), and the driver
//! ([`run`]) that checks and plans every phase before the first one runs, then runs all
//! `drop_fk` statements, then all `drop_pk`, and so on to `cleanup`, records every migration,
//! and commits once. A failure anywhere rolls the whole run back.
//!
//! The database side of a run is the [`crate::db::Run`] of each database: SQLite plans each
//! phase of the run as one change (so a table is copied at most once per phase, however many
//! migrations change it), PostgreSQL runs the statements natively.

use crate::components::{self, ComponentDecl, Pending, PHASES};
use crate::config::Component;
use crate::db::Database;
use crate::error::{Error, Result};
use crate::migrate::{self, Applied, Direction, Migration, Status};
use crate::report::{Observer, Summary};

/// One component's migration files and where the database stands with them.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentStatus {
    /// The component as the config declares it.
    pub component: Component,
    /// Its migrations and its rows of the version table.
    pub status: Status,
}

/// Loads every component's migration files (each tagged with its component) and checks their
/// `-- kit:requires` lines against the declared dependencies.
pub fn load(components: &[Component]) -> Result<Vec<(Component, Vec<Migration>)>> {
    let decls = decls(components);
    components::dependency_order(&decls)?;
    let mut out = Vec::new();
    for c in components {
        let mut ms = migrate::load(&c.migrations)?;
        for m in &mut ms {
            m.component = c.name.clone();
        }
        out.push((c.clone(), ms));
    }
    for (c, ms) in &out {
        for m in ms {
            for (other, v) in &m.requires {
                let problem = if !out.iter().any(|(o, _)| o.name == *other) {
                    Some(format!("component `{other}` is not declared in the config"))
                } else if !components::depends_on(&decls, &c.name, other) {
                    Some(format!(
                        "component `{}` does not depend on `{other}`: add `depends = [\"{other}\"]` to [components.{}]",
                        c.name, c.name
                    ))
                } else {
                    let theirs = &out.iter().find(|(o, _)| o.name == *other).expect("found").1;
                    let n: u64 = v.parse().unwrap_or(u64::MAX);
                    (!theirs.iter().any(|x| x.number == n))
                        .then(|| format!("component `{other}` has no migration {v}"))
                };
                if let Some(p) = problem {
                    return Err(Error::Database {
                        path: m.path.display().to_string(),
                        message: format!("`-- kit:requires {other} {v}`: {p}"),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The dependency declarations of `components`.
pub fn decls(components: &[Component]) -> Vec<ComponentDecl> {
    components
        .iter()
        .map(|c| ComponentDecl {
            name: c.name.clone(),
            depends: c.depends.clone(),
        })
        .collect()
}

/// Each component's status: its migrations and the version table's rows of that component.
pub fn statuses(
    loaded: &[(Component, Vec<Migration>)],
    applied: &[Applied],
) -> Vec<ComponentStatus> {
    loaded
        .iter()
        .map(|(c, ms)| ComponentStatus {
            component: c.clone(),
            status: Status {
                migrations: ms.clone(),
                applied: applied
                    .iter()
                    .filter(|a| a.component == c.name)
                    .cloned()
                    .collect(),
            },
        })
        .collect()
}

/// What an upgrade moves: everything, or one component (to a version, else its head).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpTarget {
    /// Every pending migration of every component.
    All,
    /// One component's pending migrations up to `version` (its head when `None`), and the
    /// versions of other components they require.
    Component {
        /// The component.
        name: String,
        /// The version to stop at.
        version: Option<String>,
    },
}

/// Parses `comp@0004`, `comp` or `head` against `statuses`.
pub fn parse_up_target(statuses: &[ComponentStatus], text: &str) -> Result<UpTarget> {
    if text == "head" {
        return Ok(UpTarget::All);
    }
    let (name, version) = match text.split_once('@') {
        Some((n, v)) => (n, Some(v.to_string())),
        None => (text, None),
    };
    find(statuses, name)?;
    Ok(UpTarget::Component {
        name: name.to_string(),
        version: version.filter(|v| v != "head"),
    })
}

/// The status of component `name`, or an error listing the components.
pub fn find<'a>(statuses: &'a [ComponentStatus], name: &str) -> Result<&'a ComponentStatus> {
    statuses
        .iter()
        .find(|s| s.component.name == name)
        .ok_or_else(|| Error::Unknown {
            what: format!(
                "component `{name}` (components: {})",
                statuses
                    .iter()
                    .map(|s| s.component.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            statement: String::new(),
        })
}

/// The migrations an upgrade to `target` applies, in the order of the run: each component's
/// own order, required versions first, dependencies before dependents, ties broken by the
/// config's order.
pub fn upgrade_schedule(statuses: &[ComponentStatus], target: &UpTarget) -> Result<Vec<Migration>> {
    let mut chosen: Vec<Migration> = Vec::new();
    let mut want: Vec<(String, u64)> = match target {
        UpTarget::All => statuses
            .iter()
            .map(|s| (s.component.name.clone(), u64::MAX))
            .collect(),
        UpTarget::Component { name, version } => {
            let s = find(statuses, name)?;
            let limit = match version {
                Some(v) => s.status.find(v)?.number,
                None => u64::MAX,
            };
            vec![(name.clone(), limit)]
        }
    };
    // Take each wanted component's pending migrations up to its limit, then what they require.
    while let Some((name, limit)) = want.pop() {
        let s = find(statuses, &name)?;
        for m in s.status.pending() {
            if m.number > limit
                || chosen
                    .iter()
                    .any(|c| c.component == m.component && c.number == m.number)
            {
                continue;
            }
            for (other, v) in &m.requires {
                want.push((other.clone(), v.parse().unwrap_or(u64::MAX)));
            }
            chosen.push(m.clone());
        }
    }
    order(statuses, chosen)
}

/// Orders `chosen` as a run applies them (see [`components::schedule`]).
fn order(statuses: &[ComponentStatus], mut chosen: Vec<Migration>) -> Result<Vec<Migration>> {
    chosen.sort_by_key(|m| m.number);
    let comps: Vec<Component> = statuses.iter().map(|s| s.component.clone()).collect();
    let order = components::dependency_order(&decls(&comps))?;
    let pending: Vec<Pending> = chosen
        .iter()
        .map(|m| Pending {
            component: m.component.clone(),
            number: m.number,
            requires: m
                .requires
                .iter()
                .map(|(c, v)| (c.clone(), v.parse().unwrap_or(u64::MAX)))
                .collect(),
        })
        .collect();
    let idx = components::schedule(&pending, &order)?;
    Ok(idx.into_iter().map(|i| chosen[i].clone()).collect())
}

/// The migrations a downgrade of component `name` to `target` (`-N`, a version that stays
/// applied, or `base`) undoes, newest first. Undoing a version that another component's
/// applied migration requires is refused, naming it.
pub fn downgrade_schedule(
    statuses: &[ComponentStatus],
    name: &str,
    target: &str,
) -> Result<Vec<Migration>> {
    let s = find(statuses, name)?;
    let undo: Vec<Migration> = migrate::steps(&s.status, Direction::Down, target)?
        .into_iter()
        .cloned()
        .collect();
    for other in statuses.iter().filter(|o| o.component.name != name) {
        for m in other
            .status
            .migrations
            .iter()
            .filter(|m| other.status.is_applied(m))
        {
            for (c, v) in &m.requires {
                let v: u64 = v.parse().unwrap_or(u64::MAX);
                if let Some(u) = undo.iter().find(|u| u.component == *c && u.number <= v) {
                    return Err(Error::Database {
                        path: "database".into(),
                        message: format!(
                            "cannot undo {}@{}: the applied migration {}@{} ({}) requires {c} {v:04}; downgrade `{}` first",
                            u.component,
                            u.version,
                            m.component,
                            m.version,
                            m.path.display(),
                            m.component
                        ),
                    });
                }
            }
        }
    }
    Ok(undo)
}

/// The piece of one migration's part that runs in one phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The migration, an index into [`Schedule::migrations`].
    pub migration: usize,
    /// The phase's text of the part, every other line blanked (line numbers are the file's).
    pub text: String,
}

/// One phase of a run: its pieces in the run's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    /// The phase's index in [`PHASES`].
    pub phase: usize,
    /// The pieces, in the run's order.
    pub pieces: Vec<Piece>,
}

/// A run cut into phases: the migrations in the run's order, and the phases that have
/// statements, in phase order.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Which way the run goes.
    pub dir: Direction,
    /// The migrations, in the run's order.
    pub migrations: Vec<Migration>,
    /// The phases with statements, in phase order.
    pub phases: Vec<Phase>,
}

impl Schedule {
    /// Cuts each migration's part (up or down) into its phases.
    pub fn new(migrations: Vec<Migration>, dir: Direction) -> Result<Schedule> {
        let mut phases: Vec<Phase> = PHASES
            .iter()
            .enumerate()
            .map(|(phase, _)| Phase {
                phase,
                pieces: Vec::new(),
            })
            .collect();
        for (i, m) in migrations.iter().enumerate() {
            let part = crate::postgres::migrate::part(m, dir)?;
            for p in components::split_phases(part, &m.path.display().to_string())? {
                phases[p.phase].pieces.push(Piece {
                    migration: i,
                    text: p.text,
                });
            }
        }
        phases.retain(|p| !p.pieces.is_empty());
        Ok(Schedule {
            dir,
            migrations,
            phases,
        })
    }

    /// Where a piece comes from, as errors name it.
    pub fn origin(&self, phase: &Phase, piece: &Piece) -> Origin {
        let m = &self.migrations[piece.migration];
        Origin {
            component: m.component.clone(),
            file: m.path.display().to_string(),
            phase: PHASES[phase.phase].to_string(),
        }
    }
}

/// Where a statement of a run comes from: component, migration file and phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The component.
    pub component: String,
    /// The migration file.
    pub file: String,
    /// The phase.
    pub phase: String,
}

impl Origin {
    /// Puts the component, the file, the phase and (when known) the line in front of `e`.
    pub fn wrap(&self, line: Option<usize>, e: Error) -> Error {
        let line = line.map(|l| format!(", line {l}")).unwrap_or_default();
        let comp = if self.component.is_empty() {
            String::new()
        } else {
            format!("component `{}`, ", self.component)
        };
        Error::Database {
            path: format!("{comp}{}, phase {}{line}", self.file, self.phase),
            message: e.to_string(),
        }
    }
}

/// What one phase of a planned run does: each piece's statements as they will run, and (on
/// SQLite) the tables the phase copies.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PhasePlan {
    /// The phase's index in [`PHASES`].
    pub phase: usize,
    /// (migration index, statements) per piece.
    pub pieces: Vec<(usize, Vec<String>)>,
    /// Tables the phase rebuilds (copies), each once.
    pub copied: Vec<String>,
}

/// Runs `make`'s schedule on `db` as one transaction: the history is read under the run's
/// lock, `make` picks the migrations from each component's status, every phase is planned
/// before the first runs, the phases run in order, every migration is recorded, and the run
/// commits once. Any error rolls everything back. With `explain`, plans and rolls back.
pub fn run(
    db: &mut dyn Database,
    loaded: &[(Component, Vec<Migration>)],
    make: &dyn Fn(&[ComponentStatus]) -> Result<Schedule>,
    explain: bool,
    observer: &mut Observer,
) -> Result<(Schedule, Vec<PhasePlan>, Vec<Summary>)> {
    let mut session = db.begin_run(observer)?;
    let schedule = match session
        .applied()
        .and_then(|applied| make(&statuses(loaded, &applied)))
    {
        Ok(s) => s,
        Err(e) => return Err(session.abort(e)),
    };
    let plans = match session.prepare_phases(&schedule, observer) {
        Ok(p) => p,
        Err(e) => return Err(session.abort(e)),
    };
    if explain || schedule.migrations.is_empty() {
        session.rollback()?;
        return Ok((schedule, plans, Vec::new()));
    }
    let mut out = Vec::new();
    for i in 0..schedule.phases.len() {
        match session.apply_phase(&schedule, i, observer) {
            Ok(s) => out.push(s),
            Err(e) => return Err(session.abort(e)),
        }
    }
    if let Err(e) = session.record(&schedule) {
        return Err(session.abort(e));
    }
    session.commit()?;
    Ok((schedule, plans, out))
}

/// The components and their pending migrations as a Graphviz DOT graph: a node per component
/// with its pending versions, an edge from each component to what it depends on, and an edge
/// from each pending migration to the versions it requires.
pub fn graph(statuses: &[ComponentStatus]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::from("digraph kit {\n  rankdir=LR;\n  node [shape=box];\n");
    for s in statuses {
        let c = &s.component.name;
        out.push_str(&format!("  subgraph {} {{\n", q(&format!("cluster_{c}"))));
        out.push_str(&format!("    label={};\n", q(c)));
        let current = s
            .status
            .current()
            .map_or("base".to_string(), |a| a.version.clone());
        out.push_str(&format!(
            "    {} [label={}, shape=ellipse];\n",
            q(&format!("{c}@current")),
            q(&format!("{c} at {current}"))
        ));
        let mut prev = format!("{c}@current");
        for m in s.status.pending() {
            let id = format!("{c}@{}", m.version);
            out.push_str(&format!(
                "    {} [label={}];\n    {} -> {};\n",
                q(&id),
                q(&format!("{} {}", m.version, m.message)),
                q(&prev),
                q(&id)
            ));
            prev = id;
        }
        out.push_str("  }\n");
    }
    for s in statuses {
        for d in &s.component.depends {
            out.push_str(&format!(
                "  {} -> {} [style=dashed, label=\"depends\"];\n",
                q(&format!("{}@current", s.component.name)),
                q(&format!("{d}@current"))
            ));
        }
        for m in s.status.pending() {
            for (c, v) in &m.requires {
                let target = statuses
                    .iter()
                    .find(|o| o.component.name == *c)
                    .and_then(|o| {
                        o.status
                            .pending()
                            .into_iter()
                            .find(|x| x.number == v.parse().unwrap_or(u64::MAX))
                            .map(|x| format!("{c}@{}", x.version))
                    })
                    .unwrap_or_else(|| format!("{c}@current"));
                out.push_str(&format!(
                    "  {} -> {} [color=red, label={}];\n",
                    q(&format!("{}@{}", s.component.name, m.version)),
                    q(&target),
                    q(&format!("requires {v}"))
                ));
            }
        }
    }
    out.push_str("}\n");
    out
}
