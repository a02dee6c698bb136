//! `kit check` for a config with components, SQLite judging: each component's history (edited
//! or missing applied files, behind head, shared versions), every component's migrations
//! replayed from an empty database as one phased run and compared with the schema files loaded
//! in dependency order, a foreign key between components only along a declared dependency, a
//! table declared by two components, and tables in the database that no component declares
//! (reported, never dropped).

use super::load::run_script;
use super::read::read_schema;
use crate::config::Component;
use crate::diff::{diff, Renames};
use crate::error::{Error, Result};
use crate::migrate::{Applied, Direction, Problem};
use crate::phased::{self, Schedule, UpTarget};
use crate::schema::Schema;
use rusqlite::Connection;
use std::collections::BTreeMap;

/// Every problem `kit check` finds for `components` with the database's version table rows
/// `applied` (`None` when the database does not exist) and its tables `live` (names).
pub fn check(
    components: &[Component],
    applied: Option<Vec<Applied>>,
    live_tables: &[String],
) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    // Each component's history, as a config without components checks it.
    for c in components {
        let mine = match &applied {
            Some(a) => crate::migrate::History::Rows(
                a.iter()
                    .filter(|x| x.component == c.name)
                    .cloned()
                    .collect(),
            ),
            None => crate::migrate::History::Missing,
        };
        let none = |_: &[&crate::migrate::Migration]| Ok(Ok(crate::diff::Diff::default()));
        for p in crate::migrate::check(mine, &c.migrations, &c.schema, &none)? {
            problems.push(Problem(format!("component `{}`: {}", c.name, p.0)));
        }
    }
    let (target, owner) = match load_schemas(components) {
        Ok(t) => t,
        Err(e) => {
            problems.push(Problem(format!("loading the schema files fails: {e}")));
            return Ok(problems);
        }
    };
    problems.extend(ownership(components, &target, &owner));
    for t in live_tables {
        if !owner.contains_key(&t.to_lowercase()) {
            problems.push(Problem(format!(
                "table \"{t}\" is in the database but no component's schema declares it; kit leaves it alone: declare it in a component's schema, or drop it in a migration"
            )));
        }
    }
    let loaded = match phased::load(components) {
        Ok(l) => l,
        Err(e) => {
            problems.push(Problem(e.to_string()));
            return Ok(problems);
        }
    };
    match replay(&loaded) {
        Err(e) => problems.push(Problem(format!(
            "replaying every component's migrations into an empty database fails: {e}"
        ))),
        Ok(got) => {
            let d = diff(&got, &target, &Renames::default())?;
            if !d.is_empty() {
                problems.push(Problem(format!(
                    "replaying the migrations does not match the components' schema files; the migrations lack:\n{}",
                    d.script().trim_end()
                )));
            }
        }
    }
    Ok(problems)
}

/// The schema files loaded into one database in dependency order (SQLite judging), and the
/// component that declares each object: table, index, view, trigger (lowercased name).
pub fn load_schemas(components: &[Component]) -> Result<(Schema, BTreeMap<String, String>)> {
    let order = crate::components::dependency_order(&phased::decls(components))?;
    let mut conn = Connection::open_in_memory().map_err(|e| Error::sqlite("opening memory", e))?;
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let mut twice: Vec<String> = Vec::new();
    for name in &order {
        let c = components
            .iter()
            .find(|c| &c.name == name)
            .expect("ordered from these");
        let bytes = std::fs::read(&c.schema).map_err(|e| Error::Database {
            path: c.schema.display().to_string(),
            message: format!("cannot read component `{name}`'s schema file: {e}"),
        })?;
        let origin = c.schema.display().to_string();
        let text = crate::sql::decode(&bytes, &origin)?;
        let text = crate::dialect::select(&text, crate::dialect::Dialect::Sqlite)?;
        let before: Vec<String> = object_names(&conn)?;
        match run_script(&mut conn, &text, &origin) {
            Ok(()) => {}
            Err(Error::Script { message, .. }) if message.contains("already exists") => {
                twice.push(format!("{origin}: {message}"));
                continue;
            }
            Err(e) => return Err(e),
        }
        for t in object_names(&conn)? {
            if !before.contains(&t) {
                owner.insert(t.to_lowercase(), name.clone());
            }
        }
    }
    if let Some(t) = twice.first() {
        return Err(Error::Database {
            path: "components".into(),
            message: format!(
                "a table is declared by two components ({t}); each table belongs to one component"
            ),
        });
    }
    Ok((read_schema(&conn)?, owner))
}

/// The objects of `conn` (tables, indexes, views, triggers), SQLite's internal ones left out.
fn object_names(conn: &Connection) -> Result<Vec<String>> {
    let mut st = conn
        .prepare("SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        .map_err(|e| Error::sqlite("reading tables", e))?;
    let names = st
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|r| r.collect())
        .map_err(|e| Error::sqlite("reading tables", e))?;
    Ok(names)
}

/// A foreign key from one component's table into another's needs a declared dependency.
fn ownership(
    components: &[Component],
    target: &Schema,
    owner: &BTreeMap<String, String>,
) -> Vec<Problem> {
    let decls = phased::decls(components);
    let mut out = Vec::new();
    for t in target.tables.values() {
        let Some(mine) = owner.get(&t.name.to_lowercase()) else {
            continue;
        };
        for (cols, r) in t.foreign_keys() {
            let Some(theirs) = owner.get(&r.table.to_lowercase()) else {
                continue;
            };
            if theirs != mine && !crate::components::depends_on(&decls, mine, theirs) {
                out.push(Problem(format!(
                    "the foreign key \"{}\" ({}) -> \"{}\" goes from component `{mine}` into component `{theirs}`, which `{mine}` does not depend on: add `depends = [\"{theirs}\"]` to [components.{mine}]",
                    t.name,
                    cols.join(", "),
                    r.table
                )));
            }
        }
    }
    out
}

/// Every component's migrations replayed from an empty database as one phased run.
fn replay(loaded: &[(Component, Vec<crate::migrate::Migration>)]) -> Result<Schema> {
    let mut conn = Connection::open_in_memory().map_err(|e| Error::sqlite("opening memory", e))?;
    super::apply::register_functions(&conn)?;
    let make = |st: &[phased::ComponentStatus]| -> Result<Schedule> {
        Schedule::new(phased::upgrade_schedule(st, &UpTarget::All)?, Direction::Up)
    };
    phased::run(
        &mut conn,
        loaded,
        &make,
        false,
        &mut crate::report::Observer::default(),
    )?;
    read_schema(&conn)
}

/// `schema` with only the objects `keep` selects (by lowercased name; an index or trigger
/// goes with its table).
pub fn restrict(schema: &Schema, keep: &dyn Fn(&str) -> bool) -> Schema {
    let k = |n: &str| keep(&n.to_lowercase());
    let mut out = schema.clone();
    out.tables.retain(|n, _| k(n));
    out.indexes.retain(|_, i| k(&i.table));
    out.triggers.retain(|_, t| k(&t.table) || k(&t.name));
    out.views.retain(|n, _| k(n));
    out.virtual_tables.retain(|n, _| k(n));
    out
}

/// The diff that turns component `name`'s objects in the database on `conn` into its schema
/// file: objects of other components' schema files are left out on both sides (the live
/// objects no schema declares count as this component's, so a table removed from its schema
/// is dropped).
pub fn component_diff(
    conn: &Connection,
    components: &[Component],
    name: &str,
) -> Result<crate::diff::Diff> {
    let (target, owner) = load_schemas(components)?;
    let theirs = |n: &str| owner.get(n).is_some_and(|o| o != name);
    let mine = |n: &str| owner.get(n).is_some_and(|o| o == name);
    let live = restrict(&read_schema(conn)?, &|n| !theirs(n));
    let target = restrict(&target, &mine);
    let c = components
        .iter()
        .find(|c| c.name == name)
        .expect("the caller checked the name");
    let text = std::fs::read_to_string(&c.schema).unwrap_or_default();
    diff(&live, &target, &Renames::from_sql(&text)?)
}
