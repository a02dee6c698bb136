//! Components and phases (Reahl's model): an application built from components, each with its
//! own schema, migrations and versions, declaring the components it depends on; and migration
//! parts divided into phases, so a run of many migrations of many components can drop foreign
//! keys everywhere first, alter tables, move data, and add the keys back last.
//!
//! This module is the pure part: the phase names and how a part is cut into phases, the
//! dependency graph (unknown names and cycles are errors that list them), and the schedule of a
//! run (each component's own order, required versions first, dependencies before dependents,
//! ties broken by the order in the config). Running a schedule is the workflow's
//! ([`crate::migrate`]).

use crate::error::{Error, Result};
use std::collections::{BTreeMap, BTreeSet};

/// The phases of a run, in the order they run (Reahl's).
pub const PHASES: [&str; 9] = [
    "drop_fk",
    "drop_pk",
    "pre_alter",
    "alter",
    "create_pk",
    "indexes",
    "data",
    "create_fk",
    "cleanup",
];

/// The phase statements before the first phase line belong to.
pub const DEFAULT_PHASE: &str = "alter";

/// The marker of a phase line: `-- kit:phase data`.
pub const PHASE_MARKER: &str = "-- kit:phase";

/// The position of a phase in [`PHASES`].
pub fn phase_index(name: &str) -> Option<usize> {
    PHASES.iter().position(|p| p.eq_ignore_ascii_case(name))
}

/// One phase of a migration part: its name and its text, every other line blanked (spaces of
/// the same length) so line and column numbers stay those of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseText {
    /// The phase's index in [`PHASES`].
    pub phase: usize,
    /// The part's text for this phase, positions kept.
    pub text: String,
}

/// Cuts a migration part into its phases, in phase order (phases without statements left out).
/// Text before the first `-- kit:phase` line belongs to [`DEFAULT_PHASE`]. An unknown phase name
/// is an error naming `origin` and the line, listing the nine.
pub fn split_phases(part: &str, origin: &str) -> Result<Vec<PhaseText>> {
    let lines: Vec<&str> = part.split_inclusive('\n').collect();
    let mut owner: Vec<Option<usize>> = Vec::with_capacity(lines.len());
    let mut current = phase_index(DEFAULT_PHASE).unwrap_or(3);
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        match t.strip_prefix(PHASE_MARKER) {
            Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => {
                let name = rest.trim();
                current = phase_index(name).ok_or_else(|| Error::Database {
                    path: origin.to_string(),
                    message: format!(
                        "line {}: unknown phase `{name}` in `{t}`: a phase is one of {}",
                        i + 1,
                        PHASES.join(", ")
                    ),
                })?;
                owner.push(None);
            }
            _ => owner.push(Some(current)),
        }
    }
    let mut out: Vec<PhaseText> = Vec::new();
    for phase in 0..PHASES.len() {
        if !owner.contains(&Some(phase)) {
            continue;
        }
        let text: String = lines
            .iter()
            .zip(&owner)
            .map(|(line, o)| {
                if *o == Some(phase) {
                    line.to_string()
                } else {
                    blank(line)
                }
            })
            .collect();
        if has_statements(&text) {
            out.push(PhaseText { phase, text });
        }
    }
    Ok(out)
}

/// A line with its text replaced by spaces (its end kept).
fn blank(line: &str) -> String {
    let body = line.trim_end_matches(['\n', '\r']);
    format!("{}{}", " ".repeat(body.len()), &line[body.len()..])
}

/// True when `text` holds anything but whitespace and comments.
fn has_statements(text: &str) -> bool {
    crate::sql::lex(text).map_or(true, |t| !t.is_empty())
}

/// A component as the config declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentDecl {
    /// Its name.
    pub name: String,
    /// The components it depends on.
    pub depends: Vec<String>,
}

/// The components in dependency order (dependencies first, ties by declaration order). An
/// unknown dependency or a cycle is an error that names it.
pub fn dependency_order(decls: &[ComponentDecl]) -> Result<Vec<String>> {
    let known = |n: &str| decls.iter().any(|d| d.name == n);
    for d in decls {
        for dep in &d.depends {
            if !known(dep) {
                return Err(config_error(format!(
                    "component `{}` depends on `{dep}`, which the config does not declare (components: {})",
                    d.name,
                    decls.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }
    let mut done: Vec<String> = Vec::new();
    while done.len() < decls.len() {
        let next = decls
            .iter()
            .find(|d| !done.contains(&d.name) && d.depends.iter().all(|x| done.contains(x)));
        match next {
            Some(d) => done.push(d.name.clone()),
            None => {
                let cycle = find_cycle(decls, &done);
                return Err(config_error(format!(
                    "the components depend on each other in a cycle: {}; a dependency must go one way",
                    cycle.join(" -> ")
                )));
            }
        }
    }
    Ok(done)
}

/// A cycle among the components not in `done` (each of which waits for another of them).
fn find_cycle(decls: &[ComponentDecl], done: &[String]) -> Vec<String> {
    let waiting = |n: &str| {
        decls
            .iter()
            .find(|d| d.name == n && !done.contains(&d.name))
    };
    let Some(start) = decls.iter().find(|d| !done.contains(&d.name)) else {
        return Vec::new();
    };
    let mut path: Vec<String> = vec![start.name.clone()];
    loop {
        let last = waiting(path.last().map(String::as_str).unwrap_or(""));
        let Some(next) = last.and_then(|d| d.depends.iter().find(|x| !done.contains(x))) else {
            return path;
        };
        if let Some(p) = path.iter().position(|x| x == next) {
            let mut cycle = path[p..].to_vec();
            cycle.push(next.clone());
            return cycle;
        }
        path.push(next.clone());
    }
}

/// True when `component` depends on `other`, directly or through others.
pub fn depends_on(decls: &[ComponentDecl], component: &str, other: &str) -> bool {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut work: Vec<&str> = vec![component];
    while let Some(c) = work.pop() {
        let Some(d) = decls.iter().find(|d| d.name == c) else {
            continue;
        };
        for dep in &d.depends {
            if dep == other {
                return true;
            }
            if seen.insert(dep) {
                work.push(dep);
            }
        }
    }
    false
}

fn config_error(message: String) -> Error {
    Error::Database {
        path: "config".into(),
        message,
    }
}

/// One migration of a schedule: its component, version number, and the versions of other
/// components it requires (`-- kit:requires other 0003`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The component.
    pub component: String,
    /// The version number.
    pub number: u64,
    /// (component, version number) it requires.
    pub requires: Vec<(String, u64)>,
}

/// The order a run applies `pending` in: each component's own versions in order, a required
/// version before what requires it, a dependency's migrations before its dependents' where
/// nothing else decides, ties broken by the components' order (`order`, dependencies first).
/// `pending` lists each component's pending migrations in version order.
pub fn schedule(pending: &[Pending], order: &[String]) -> Result<Vec<usize>> {
    let rank = |c: &str| order.iter().position(|x| x == c).unwrap_or(usize::MAX);
    let mut done: Vec<usize> = Vec::new();
    let mut left: BTreeMap<usize, &Pending> = pending.iter().enumerate().collect();
    while !left.is_empty() {
        let ready = left
            .iter()
            .filter(|(_, p)| {
                // Its component's earlier versions, and what it requires, come first.
                let earlier = pending.iter().enumerate().any(|(j, q)| {
                    q.component == p.component && q.number < p.number && !done.contains(&j)
                });
                let required = p.requires.iter().any(|(c, v)| {
                    pending
                        .iter()
                        .enumerate()
                        .any(|(j, q)| q.component == *c && q.number <= *v && !done.contains(&j))
                });
                !earlier && !required
            })
            .min_by_key(|(i, p)| (rank(&p.component), **i))
            .map(|(i, _)| *i);
        match ready {
            Some(i) => {
                left.remove(&i);
                done.push(i);
            }
            None => {
                let stuck: Vec<String> = left
                    .values()
                    .map(|p| format!("{}@{:04}", p.component, p.number))
                    .collect();
                return Err(config_error(format!(
                    "the migrations' `-- kit:requires` lines form a cycle: {}",
                    stuck.join(", ")
                )));
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(name: &str, depends: &[&str]) -> ComponentDecl {
        ComponentDecl {
            name: name.into(),
            depends: depends.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn phases_split_keep_lines_and_refuse_unknown_names() {
        let part = "ALTER TABLE a ADD COLUMN x INT;\n-- kit:phase data\nUPDATE a SET x = 1;\n-- kit:phase drop_fk\nALTER TABLE a DROP CONSTRAINT a_b_fkey;\n";
        let p = split_phases(part, "m.sql").unwrap();
        let names: Vec<&str> = p.iter().map(|x| PHASES[x.phase]).collect();
        assert_eq!(names, ["drop_fk", "alter", "data"]);
        assert_eq!(p[2].text.lines().nth(2).unwrap(), "UPDATE a SET x = 1;");
        assert!(p[2].text.lines().next().unwrap().trim().is_empty());
        let e = split_phases("-- kit:phase later\nSELECT 1;\n", "m.sql")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 1") && e.contains("later") && e.contains("create_fk"),
            "{e}"
        );
    }

    #[test]
    fn dependency_order_and_cycles() {
        let d = [
            decl("mail", &["addressbook"]),
            decl("addressbook", &[]),
            decl("ui", &["mail"]),
        ];
        assert_eq!(dependency_order(&d).unwrap(), ["addressbook", "mail", "ui"]);
        assert!(depends_on(&d, "ui", "addressbook"));
        assert!(!depends_on(&d, "addressbook", "ui"));
        let c = [decl("a", &["b"]), decl("b", &["c"]), decl("c", &["a"])];
        let e = dependency_order(&c).unwrap_err().to_string();
        assert!(e.contains("a -> b -> c -> a"), "{e}");
        let u = [decl("a", &["nope"])];
        assert!(dependency_order(&u)
            .unwrap_err()
            .to_string()
            .contains("nope"));
    }

    #[test]
    fn schedule_follows_versions_requirements_and_dependencies() {
        let p = |c: &str, n: u64, r: &[(&str, u64)]| Pending {
            component: c.into(),
            number: n,
            requires: r.iter().map(|(c, v)| (c.to_string(), *v)).collect(),
        };
        let order = vec!["addressbook".to_string(), "mail".to_string()];
        // mail 1 requires addressbook 2; mail 2 has no requirement.
        let pending = [
            p("mail", 1, &[("addressbook", 2)]),
            p("mail", 2, &[]),
            p("addressbook", 1, &[]),
            p("addressbook", 2, &[]),
            p("addressbook", 3, &[]),
        ];
        let s = schedule(&pending, &order).unwrap();
        let names: Vec<String> = s
            .iter()
            .map(|&i| format!("{}{}", &pending[i].component[..1], pending[i].number))
            .collect();
        assert_eq!(names, ["a1", "a2", "a3", "m1", "m2"]);
        let cyc = [p("a", 1, &[("b", 1)]), p("b", 1, &[("a", 1)])];
        assert!(schedule(&cyc, &["a".into(), "b".into()]).is_err());
    }
}
