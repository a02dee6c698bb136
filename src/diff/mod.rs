//! Schema x schema -> the portable statements that turn one into the other.
//!
//! Both sides are [`Schema`]s read back from SQLite (the target is loaded into an in-memory
//! database by `sqlite::load::load_schema`), so spelling, quoting, case and formatting are not differences:
//! definitions are compared token by token, identifiers unquoted and case-folded. Each change
//! carries its inverse (for a migration's down part) and, when it destroys data, what it loses.
//!
//! Statements come out in an order that works on SQLite and PostgreSQL alike: views, triggers
//! and indexes that go or change are dropped first; then constraints are dropped (under their
//! pre-rename names, which both systems agree on); tables that go are dropped (children first);
//! tables and columns are renamed; new tables are created; then, table by table, columns are
//! dropped, added and altered and constraints added; new indexes, views and triggers come last.
//! The engine batches each table's ALTERs into at most one rebuild.

mod constraints;
mod objects;
mod order;
mod renames;
mod tables;
mod text;

pub use renames::Renames;

use crate::error::Result;
use crate::schema::{Schema, Table};
use crate::sql::lex;

/// Tables kit keeps for itself in a database; a diff never reports them.
pub const KIT_TABLES: [&str; 2] = ["kit_migrations", "kit_throwaway"];

/// One statement of a diff, with how to undo it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The statement, without its `;`.
    pub sql: String,
    /// Statements that undo it (run in this order), empty when there is nothing to undo.
    pub inverse: Vec<String>,
    /// What the statement destroys (a table or a column with its data), if anything.
    pub loses: Option<String>,
    /// What the inverse cannot bring back, if anything.
    pub inverse_note: Option<String>,
}

impl Change {
    /// A change that loses nothing, undone by one statement.
    fn undone_by(sql: String, inverse: String) -> Change {
        Change {
            sql,
            inverse: vec![inverse],
            loses: None,
            inverse_note: None,
        }
    }

    /// What the inverse destroys (a table or a column with its data), if anything: the
    /// inverse of a CREATE TABLE is a DROP TABLE, of an ADD COLUMN a DROP COLUMN.
    pub fn inverse_loses(&self) -> Option<String> {
        let mut out = Vec::new();
        for q in &self.inverse {
            match crate::statements::parse_statement(q) {
                Ok(crate::statements::Statement::Alter { alter, .. }) => {
                    for op in &alter.ops {
                        if let crate::ops::Op::DropColumn { column, .. } = op {
                            out.push(format!(
                                "column \"{}\".\"{column}\" and its values",
                                alter.table
                            ));
                        }
                    }
                }
                Ok(_) => {
                    let toks = lex(q).unwrap_or_default();
                    let kw = |i: usize, k: &str| toks.get(i).is_some_and(|t| t.is_kw(q, k));
                    if kw(0, "drop") && kw(1, "table") {
                        let name = toks.last().and_then(|t| t.ident(q)).unwrap_or_default();
                        out.push(format!("table \"{name}\" and all its rows"));
                    }
                }
                Err(_) => {}
            }
        }
        (!out.is_empty()).then(|| out.join(", "))
    }
}

/// The result of comparing two schemas.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    /// The statements, in the order they must run.
    pub changes: Vec<Change>,
    /// Differences no portable statement expresses (reported, not acted on).
    pub notes: Vec<String>,
}

impl Diff {
    /// True when the two schemas agree.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The up script: every statement followed by `;`.
    pub fn script(&self) -> String {
        self.changes
            .iter()
            .map(|c| format!("{};\n", c.sql))
            .collect()
    }

    /// What the diff destroys, one line per table or column.
    pub fn losses(&self) -> Vec<&str> {
        self.changes
            .iter()
            .filter_map(|c| c.loses.as_deref())
            .collect()
    }
}

/// Where a diff takes the SQL it writes: the schemas it compares, or other models of the same
/// objects matched by name. A comparison on PostgreSQL compares what PostgreSQL reads back
/// (both sides normalised by it) but writes the statements in kit's portable dialect, from the
/// schema file and the migrations as they were written.
#[derive(Clone, Copy)]
pub struct Texts<'a> {
    /// The live database's objects as they are to be written.
    pub from: &'a Schema,
    /// The target's objects as they are to be written.
    pub to: &'a Schema,
}

impl<'a> Texts<'a> {
    /// The version of live table `t` to write.
    fn live_table<'b>(&self, t: &'b Table) -> &'b Table
    where
        'a: 'b,
    {
        self.from.table(&t.name).unwrap_or(t)
    }

    /// The version of target table `t` to write.
    fn target_table<'b>(&self, t: &'b Table) -> &'b Table
    where
        'a: 'b,
    {
        self.to.table(&t.name).unwrap_or(t)
    }

    /// The SQL of a view, trigger or index of the live side (`live`) or the target, by name;
    /// `sql` when the text model does not have it.
    fn object_sql(&self, live: bool, kind: Kind, name: &str, sql: &str) -> String {
        let s = if live { self.from } else { self.to };
        let found = match kind {
            Kind::View => text::find(&s.views, name).map(|v| v.sql.clone()),
            Kind::Trigger => text::find(&s.triggers, name).map(|t| t.sql.clone()),
            Kind::Index => text::find(&s.indexes, name).and_then(|i| i.sql.clone()),
        };
        found.unwrap_or_else(|| sql.to_string())
    }
}

/// The kinds of object [`Texts::object_sql`] looks up.
#[derive(Clone, Copy)]
enum Kind {
    View,
    Trigger,
    Index,
}

/// Compares `from` (the live database) with `to` (the target) and lists the statements that
/// turn one into the other. `renames` are the target's `kit:renamed-from` markers.
pub fn diff(from: &Schema, to: &Schema, renames: &Renames) -> Result<Diff> {
    diff_written(from, to, renames, Texts { from, to })
}

/// Like [`diff`], writing each statement from `texts` (see [`Texts`]).
pub fn diff_written(
    from: &Schema,
    to: &Schema,
    renames: &Renames,
    texts: Texts<'_>,
) -> Result<Diff> {
    let mut d = Diff::default();
    let m = renames::Matching::new(from, to, renames, &mut d.notes);
    // Each kept table's statements, by phase.
    let mut phases = tables::Phases::default();
    for pair in m.pairs(from, to) {
        tables::table_changes(from, to, pair, &m.mapper, texts, &mut phases, &mut d.notes)?;
    }
    let mut objects = objects::compare(from, to, &m, &phases, texts);
    // 1. Views, triggers and indexes that go or change are dropped first.
    d.changes.append(&mut objects.drops);
    // 2. Kept tables' constraint drops; tables that go; renames.
    d.changes.append(&mut phases.drops);
    order::drop_tables(from, &m, texts, &mut d.changes);
    objects::virtual_tables_dropped(from, to, &mut d.changes);
    d.changes.append(&mut phases.renames);
    // 3. Keys of kept tables, then new tables (after the renames, so their foreign keys name
    // tables as they are now).
    objects::early_key_indexes(from, &m, &mut objects.indexes, &mut d.changes);
    order::create_tables(to, &m, texts, &mut objects.indexes, &mut d.changes);
    // 4. The rest of each kept table's changes, then new indexes, views and triggers.
    d.changes.append(&mut phases.rest);
    objects::virtual_tables_created(from, to, &mut d.changes);
    d.changes
        .extend(objects.indexes.into_iter().map(|x| x.change));
    d.changes.append(&mut objects.views);
    d.changes.append(&mut objects.triggers);
    Ok(d)
}
