//! The order of whole tables: those that go are dropped children first (no dropped table is
//! still referenced when it goes), new ones created parents first (PostgreSQL needs the parent
//! to exist; the down part then drops children first), a cycle broken by adding one foreign
//! key after both tables exist.

use super::constraints::strip_name;
use super::objects::{take_key_indexes, NewIndex};
use super::renames::Matching;
use super::tables::alter;
use super::text::ignored;
use super::{Change, Kind, Texts};
use crate::schema::{ColumnConstraintKind, Schema, Table, TableConstraintKind};
use crate::sql::quote_ident;
use std::collections::HashSet;

/// The live tables that do not stay, dropped children first; each comes back empty, with its
/// indexes and triggers, in the down part.
pub(super) fn drop_tables(from: &Schema, m: &Matching, texts: Texts<'_>, out: &mut Vec<Change>) {
    let mut going: Vec<&Table> = from
        .tables
        .values()
        .filter(|t| !ignored(from, &t.name) && !m.kept(&t.name))
        .collect();
    let referenced = |t: &Table, among: &[&Table]| {
        among.iter().any(|c| {
            !c.name.eq_ignore_ascii_case(&t.name)
                && c.foreign_keys()
                    .iter()
                    .any(|(_, r)| r.table.eq_ignore_ascii_case(&t.name))
        })
    };
    while !going.is_empty() {
        let pick = (0..going.len())
            .find(|&i| !referenced(going[i], &going))
            .unwrap_or(0); // a cycle: any order, the engine reports what blocks it
        let t = going.remove(pick);
        let written = texts.live_table(t);
        let mut inverse = vec![written.stored_sql.clone()];
        inverse.extend(from.indexes_on(&t.name).filter_map(|i| {
            let sql = i.sql.as_deref()?;
            Some(texts.object_sql(true, Kind::Index, &i.name, sql))
        }));
        inverse.extend(
            from.triggers_on(&t.name)
                .map(|tr| texts.object_sql(true, Kind::Trigger, &tr.name, &tr.sql)),
        );
        out.push(Change {
            sql: format!("DROP TABLE {}", quote_ident(&t.name)),
            inverse,
            loses: Some(format!("table \"{}\" and all its rows", t.name)),
            inverse_note: Some(format!(
                "recreates table \"{}\" empty: its rows cannot be brought back",
                t.name
            )),
        });
    }
}

/// The target tables that are new, parents first, each followed by its unique indexes (keys
/// that later tables' foreign keys may need); a cycle's first table is created without its
/// keys to the tables still to come, which are added once they all exist.
pub(super) fn create_tables(
    to: &Schema,
    m: &Matching,
    texts: Texts<'_>,
    indexes: &mut Vec<NewIndex>,
    out: &mut Vec<Change>,
) {
    let mut deferred: Vec<Change> = Vec::new();
    let mut new_tables: Vec<&Table> = to
        .tables
        .values()
        .filter(|t| !ignored(to, &t.name) && !m.has_target(&t.name))
        .collect();
    while !new_tables.is_empty() {
        let (t, created, later) = match (0..new_tables.len())
            .find(|&i| !waits(new_tables[i], &new_tables))
        {
            Some(i) => {
                let t = new_tables.remove(i);
                (t, texts.target_table(t).stored_sql.clone(), Vec::new())
            }
            None => {
                let i = (0..new_tables.len())
                    .find(|&i| on_cycle(new_tables[i], &new_tables))
                    .unwrap_or(0);
                let t = new_tables.remove(i);
                let (created, later) = without_foreign_keys_to(texts.target_table(t), &new_tables);
                (t, created, later)
            }
        };
        out.push(Change::undone_by(
            created,
            format!("DROP TABLE {}", quote_ident(&t.name)),
        ));
        take_key_indexes(indexes, out, |x| x.table.eq_ignore_ascii_case(&t.name));
        deferred.extend(later);
    }
    out.append(&mut deferred);
}

/// True when `t` references a table among `pending` (other than itself).
fn waits(t: &Table, pending: &[&Table]) -> bool {
    t.foreign_keys().iter().any(|(_, r)| {
        !r.table.eq_ignore_ascii_case(&t.name)
            && pending
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case(&r.table))
    })
}

/// The tables (lowercase) `t`'s foreign keys reference, itself left out.
fn parents(t: &Table) -> Vec<String> {
    t.foreign_keys()
        .iter()
        .map(|(_, r)| r.table.to_ascii_lowercase())
        .filter(|p| *p != t.name.to_ascii_lowercase())
        .collect()
}

/// True when `start` is on a cycle of foreign keys among `pending`.
fn on_cycle(start: &Table, pending: &[&Table]) -> bool {
    let mut seen: HashSet<String> = HashSet::new();
    let mut work = parents(start);
    while let Some(n) = work.pop() {
        if n == start.name.to_ascii_lowercase() {
            return true;
        }
        if seen.insert(n.clone()) {
            if let Some(p) = pending.iter().find(|p| p.name.eq_ignore_ascii_case(&n)) {
                work.extend(parents(p));
            }
        }
    }
    false
}

/// `t`'s CREATE TABLE without its foreign keys into `pending` tables, and the ALTER TABLE
/// statements that add them back.
fn without_foreign_keys_to(t: &Table, pending: &[&Table]) -> (String, Vec<Change>) {
    let is_pending = |name: &str| {
        !name.eq_ignore_ascii_case(&t.name)
            && pending.iter().any(|p| p.name.eq_ignore_ascii_case(name))
    };
    let mut stripped = t.clone();
    let mut bodies: Vec<(Option<String>, String)> = Vec::new();
    for col in stripped.columns.iter_mut() {
        let q = quote_ident(&col.name);
        col.constraints.retain(|k| match &k.kind {
            ColumnConstraintKind::References(r) if is_pending(&r.table) => {
                bodies.push((
                    k.name.clone(),
                    format!("FOREIGN KEY ({q}) {}", strip_name(&k.text)),
                ));
                false
            }
            _ => true,
        });
    }
    stripped.constraints.retain(|c| match &c.kind {
        TableConstraintKind::ForeignKey { refs, .. } if is_pending(&refs.table) => {
            bodies.push((c.name.clone(), strip_name(&c.text).to_string()));
            false
        }
        _ => true,
    });
    let mut after = stripped.clone();
    let mut out = Vec::new();
    for (name, body) in bodies {
        let text = match &name {
            Some(n) => format!("CONSTRAINT {} {body}", quote_ident(n)),
            None => body.clone(),
        };
        let Ok(mut k) = crate::schema::parse_table_constraint(&text) else {
            continue;
        };
        k.leading = after.new_item_leading();
        after.constraints.push(k);
        let kit_name = after
            .named_constraints()
            .last()
            .map(|n| n.name.clone())
            .unwrap_or_default();
        out.push(Change::undone_by(
            alter(&t.name, format!("ADD {text}")),
            alter(
                &t.name,
                format!("DROP CONSTRAINT {}", quote_ident(&kit_name)),
            ),
        ));
    }
    (stripped.render(), out)
}
