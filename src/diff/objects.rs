//! Views, triggers, indexes and virtual tables: which go or change (dropped first, dependents
//! before what they read) and which come (created last), each compared as tokens with the
//! live names renamed to the target's.

use super::renames::{Mapper, Matching};
use super::tables::Phases;
use super::text::{
    find, identifiers, ignored, is_shadow, output_names_use, plain, tokens, without_if_not_exists,
};
use super::{Change, Kind, Texts};
use crate::schema::{Schema, Table};
use crate::sql::{lex, quote_ident};
use std::collections::HashSet;

/// What the objects other than tables give a diff.
#[derive(Default)]
pub(super) struct Objects {
    /// Views, triggers and indexes dropped (they go, or change).
    pub(super) drops: Vec<Change>,
    /// Indexes created.
    pub(super) indexes: Vec<NewIndex>,
    /// Views created, in dependency order.
    pub(super) views: Vec<Change>,
    /// Triggers created.
    pub(super) triggers: Vec<Change>,
}

/// Compares the views, triggers and indexes of `from` and `to`.
pub(super) fn compare(
    from: &Schema,
    to: &Schema,
    m: &Matching,
    phases: &Phases,
    texts: Texts<'_>,
) -> Objects {
    let forced = forced_views(from, &m.mapper, &phases.reshaped);
    let live_tables: Vec<&Table> = from
        .tables
        .values()
        .filter(|t| !ignored(from, &t.name))
        .collect();
    // Lexes the definition once, then renames through the tables it names.
    // The live tables by lower-case name, with their place in `live_tables` (a lookup per
    // identifier, not a scan of every table per definition).
    let live_by_name: std::collections::HashMap<String, (usize, &str)> = live_tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.to_ascii_lowercase(), (i, t.name.as_str())))
        .collect();
    let live_tokens_of = |sql: &str| {
        let named = identifiers(sql);
        let mut found: Vec<(usize, &str)> = named
            .iter()
            .filter_map(|n| live_by_name.get(n.as_str()).copied())
            .collect();
        found.sort_unstable();
        found.dedup();
        let used: Vec<String> = found.into_iter().map(|(_, n)| n.to_string()).collect();
        without_if_not_exists(tokens(sql, &m.mapper.for_tables(&used)))
    };
    // Whether a live definition is the target one. With nothing renamed, equal texts are equal
    // token lists, so they need no lexing (the usual case for most objects of a large schema).
    let unrenamed = m.mapper.is_empty();
    let same_def = |live: &str, target: &str| {
        (unrenamed && live == target)
            || live_tokens_of(live) == without_if_not_exists(plain(target))
    };
    let mut out = Objects::default();
    views(from, to, &forced, &same_def, texts, &mut out);
    triggers(from, to, m, &same_def, texts, &mut out);
    indexes(from, to, m, texts, &mut out);
    out
}

/// Views that must be made again even when their text is the same: those over a table that
/// loses or retypes columns (SQLite refuses to change a table under a `SELECT *` view,
/// PostgreSQL under any view that uses the column), those whose column names come from a
/// renamed column (a rename keeps a view's column names, on PostgreSQL and in kit on SQLite,
/// so a target view over the new name is another view), and the views over those.
fn forced_views(from: &Schema, mapper: &Mapper, reshaped: &HashSet<String>) -> HashSet<String> {
    let by_column: HashSet<String> = if mapper.columns.is_empty() {
        HashSet::new()
    } else {
        from.views
            .values()
            .filter(|v| {
                let named = identifiers(&v.sql);
                mapper.columns.iter().any(|(table, cols)| {
                    named.contains(table)
                        && cols
                            .keys()
                            .any(|old| named.contains(old) && output_names_use(&v.sql, old))
                })
            })
            .map(|v| v.name.to_ascii_lowercase())
            .collect()
    };
    with_readers(from, reshaped, by_column)
}

/// `views` (lowercase names) and every live view that reads, directly or through other views,
/// one of them or one of the tables `tables`. Each view's text is lexed once.
fn with_readers(
    from: &Schema,
    tables: &HashSet<String>,
    mut views: HashSet<String>,
) -> HashSet<String> {
    if tables.is_empty() && views.is_empty() {
        return views;
    }
    let mut rest: Vec<(String, HashSet<String>)> = from
        .views
        .values()
        .map(|v| (v.name.to_ascii_lowercase(), identifiers(&v.sql)))
        .filter(|(name, _)| !views.contains(name))
        .collect();
    loop {
        let (grown, kept): (Vec<_>, Vec<_>) = rest
            .into_iter()
            .partition(|(_, named)| tables.iter().chain(views.iter()).any(|n| named.contains(n)));
        if grown.is_empty() {
            return views;
        }
        views.extend(grown.into_iter().map(|(name, _)| name));
        rest = kept;
    }
}

/// Views that go or change are dropped (dependents first); new and changed ones created.
fn views(
    from: &Schema,
    to: &Schema,
    forced: &HashSet<String>,
    same_def: &dyn Fn(&str, &str) -> bool,
    texts: Texts<'_>,
    out: &mut Objects,
) {
    // The live views that go or change, and the views over those (PostgreSQL refuses to drop
    // a view another view reads, so those are made again too).
    let differing = from
        .views
        .values()
        .filter(|v| find(&to.views, &v.name).is_none_or(|t| !same_def(&v.sql, &t.sql)))
        .map(|v| v.name.to_ascii_lowercase());
    let changed = with_readers(
        from,
        &HashSet::new(),
        forced.iter().cloned().chain(differing).collect(),
    );
    let is_forced = |name: &str| changed.contains(&name.to_ascii_lowercase());
    // Dependent views first (a view is created after the views it reads).
    for v in from.views.values().rev() {
        let same = !is_forced(&v.name);
        if !same {
            out.drops.push(Change::undone_by(
                format!("DROP VIEW {}", quote_ident(&v.name)),
                texts.object_sql(true, Kind::View, &v.name, &v.sql),
            ));
        }
    }
    for v in to.views.values() {
        let same = !is_forced(&v.name)
            && find(&from.views, &v.name).is_some_and(|l| same_def(&l.sql, &v.sql));
        if !same {
            out.views.push(Change::undone_by(
                texts.object_sql(false, Kind::View, &v.name, &v.sql),
                format!("DROP VIEW {}", quote_ident(&v.name)),
            ));
        }
    }
}

/// Triggers of kept tables and views that go or change are dropped; new and changed ones
/// created.
fn triggers(
    from: &Schema,
    to: &Schema,
    m: &Matching,
    same_def: &dyn Fn(&str, &str) -> bool,
    texts: Texts<'_>,
    out: &mut Objects,
) {
    for tr in from.triggers.values() {
        let same = find(&to.triggers, &tr.name).is_some_and(|t| {
            same_def(&tr.sql, &t.sql) && m.mapper.table(&tr.table) == t.table.to_ascii_lowercase()
        });
        if !same && (m.kept(&tr.table) || from.views.contains_key(&tr.table)) {
            out.drops.push(Change::undone_by(
                format!("DROP TRIGGER {}", quote_ident(&tr.name)),
                texts.object_sql(true, Kind::Trigger, &tr.name, &tr.sql),
            ));
        }
    }
    for tr in to.triggers.values() {
        let same = find(&from.triggers, &tr.name).is_some_and(|l| {
            same_def(&l.sql, &tr.sql) && m.mapper.table(&l.table) == tr.table.to_ascii_lowercase()
        });
        if !same {
            out.triggers.push(Change::undone_by(
                texts.object_sql(false, Kind::Trigger, &tr.name, &tr.sql),
                format!("DROP TRIGGER {}", quote_ident(&tr.name)),
            ));
        }
    }
}

/// Indexes of kept tables that go or change are dropped; new and changed ones created.
fn indexes(from: &Schema, to: &Schema, m: &Matching, texts: Texts<'_>, out: &mut Objects) {
    let ident = |sql: &str, table: &str, live: bool| {
        let t = if live {
            tokens(sql, &m.mapper.for_tables(&[table.to_string()]))
        } else {
            plain(sql)
        };
        without_if_not_exists(t)
    };
    let unrenamed = m.mapper.is_empty();
    let same_def = |live: &str, table: &str, target: &str| {
        (unrenamed && live == target) || ident(live, table, true) == ident(target, "", false)
    };
    for i in from.indexes.values() {
        let Some(sql) = &i.sql else { continue };
        if ignored(from, &i.table) {
            continue;
        }
        let same = find(&to.indexes, &i.name).is_some_and(|t| {
            t.sql
                .as_deref()
                .is_some_and(|ts| same_def(sql, &i.table, ts))
        });
        if !same && m.kept(&i.table) {
            out.drops.push(Change::undone_by(
                format!("DROP INDEX {}", quote_ident(&i.name)),
                texts.object_sql(true, Kind::Index, &i.name, sql),
            ));
        }
    }
    for i in to.indexes.values() {
        let Some(sql) = &i.sql else { continue };
        if ignored(to, &i.table) {
            continue;
        }
        let same = find(&from.indexes, &i.name).is_some_and(|l| {
            l.sql
                .as_deref()
                .is_some_and(|ls| same_def(ls, &l.table, sql))
        });
        if !same {
            out.indexes.push(NewIndex {
                table: i.table.to_ascii_lowercase(),
                key_columns: key_columns(i, sql),
                change: Change::undone_by(
                    texts.object_sql(false, Kind::Index, &i.name, sql),
                    format!("DROP INDEX {}", quote_ident(&i.name)),
                ),
            });
        }
    }
}

/// Unique indexes of kept tables over columns those already have: created before new tables
/// and the tables' other changes, so a foreign key written there can reference them
/// (PostgreSQL requires the key to exist first).
pub(super) fn early_key_indexes(
    from: &Schema,
    m: &Matching,
    pending: &mut Vec<NewIndex>,
    out: &mut Vec<Change>,
) {
    take_key_indexes(pending, out, |x| {
        let Some(lt) = m.live_of(&x.table).and_then(|l| from.table(l)) else {
            return false;
        };
        let col_map = m.mapper.for_tables(std::slice::from_ref(&lt.name));
        let now: HashSet<String> = lt
            .columns
            .iter()
            .map(|c| {
                let l = c.name.to_ascii_lowercase();
                col_map(&l).unwrap_or(l)
            })
            .collect();
        x.key_columns.iter().all(|c| now.contains(c))
    });
}

/// Virtual tables the target does not have: dropped (their rows cannot come back).
pub(super) fn virtual_tables_dropped(from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    for (name, sql) in from
        .virtual_tables
        .iter()
        .filter(|(n, _)| !is_shadow(from, n))
    {
        if find(&to.virtual_tables, name).is_none() {
            out.push(dropped_virtual(name, sql));
        }
    }
}

/// Virtual tables that are new or change: created (after the columns they may index, as FTS5
/// external content needs), a changed one dropped first.
pub(super) fn virtual_tables_created(from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    for (name, sql) in to.virtual_tables.iter().filter(|(n, _)| !is_shadow(to, n)) {
        let live = find(&from.virtual_tables, name);
        if live.is_some_and(|l| plain(l) == plain(sql)) {
            continue;
        }
        if let Some(l) = live {
            out.push(dropped_virtual(name, l));
        }
        out.push(Change::undone_by(
            sql.clone(),
            format!("DROP TABLE {}", quote_ident(name)),
        ));
    }
}

/// `DROP TABLE` of a virtual table, undone by creating it again empty.
fn dropped_virtual(name: &str, sql: &str) -> Change {
    Change {
        sql: format!("DROP TABLE {}", quote_ident(name)),
        inverse: vec![sql.to_string()],
        loses: Some(format!("virtual table \"{name}\" and its rows")),
        inverse_note: Some(format!("recreates virtual table \"{name}\" empty")),
    }
}

/// A new index of the target, and the key it gives a foreign key to reference.
pub(super) struct NewIndex {
    /// Its table, lowercase.
    pub(super) table: String,
    /// For a UNIQUE index on plain columns without WHERE: its columns, lowercase; else empty.
    pub(super) key_columns: Vec<String>,
    /// Its CREATE INDEX and DROP INDEX.
    pub(super) change: Change,
}

/// The columns (lowercase) of a UNIQUE, non-partial index on plain columns; empty otherwise.
fn key_columns(i: &crate::schema::Index, sql: &str) -> Vec<String> {
    let Ok(toks) = lex(sql) else {
        return vec![];
    };
    let unique = toks.get(1).is_some_and(|t| t.is_kw(sql, "unique"));
    let partial = toks.iter().any(|t| t.is_kw(sql, "where"));
    if !unique || partial || i.columns.iter().any(Option::is_none) {
        return vec![];
    }
    i.columns
        .iter()
        .flatten()
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Moves the key indexes `pick` selects from `pending` to `out`, in order.
pub(super) fn take_key_indexes(
    pending: &mut Vec<NewIndex>,
    out: &mut Vec<Change>,
    pick: impl Fn(&NewIndex) -> bool,
) {
    let (take, keep): (Vec<NewIndex>, Vec<NewIndex>) = std::mem::take(pending)
        .into_iter()
        .partition(|x| !x.key_columns.is_empty() && pick(x));
    *pending = keep;
    out.extend(take.into_iter().map(|x| x.change));
}
