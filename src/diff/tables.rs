//! One kept table's changes: the `ALTER TABLE` statements that turn a live table into its
//! target, sorted by phase (constraint drops under their pre-rename names, renames, then the
//! rest: table options off, columns dropped, added and altered, constraints added, options on).

use super::constraints::{constraints, Con};
use super::renames::Mapper;
use super::text::{collation, norm_type, plain};
use super::{Change, Texts};
use crate::error::{Error, Result};
use crate::schema::{Column, Schema, Table};
use crate::sql::quote_ident;
use std::collections::HashSet;

/// Every kept table's statements, by phase.
#[derive(Default)]
pub(super) struct Phases {
    /// Constraints dropped, under their pre-rename names (which both databases agree on).
    pub(super) drops: Vec<Change>,
    /// Table and column renames.
    pub(super) renames: Vec<Change>,
    /// Columns dropped, added and altered; constraints added; table options.
    pub(super) rest: Vec<Change>,
    /// Live names (lowercase) of tables that lose or retype columns.
    pub(super) reshaped: HashSet<String>,
}

/// A column definition for `ADD COLUMN`, its name quoted.
pub(super) fn col_def(c: &Column) -> String {
    let mut c = c.clone();
    c.name_text = None;
    c.render().trim().to_string()
}

/// `ALTER TABLE "table" action`.
pub(super) fn alter(table: &str, action: String) -> String {
    format!("ALTER TABLE {} {action}", quote_ident(table))
}

/// A live table, its target, and how their columns correspond.
struct TableDiff<'a> {
    from: &'a Schema,
    to: &'a Schema,
    lt: &'a Table,
    tt: &'a Table,
    mapper: &'a Mapper,
    /// Where the statements' texts come from.
    texts: Texts<'a>,
    /// Live columns that have no target column.
    dropped: Vec<&'a Column>,
    /// Target columns that have no live column.
    added: Vec<&'a Column>,
}

impl<'a> TableDiff<'a> {
    fn new(
        from: &'a Schema,
        to: &'a Schema,
        (lt, tt): (&'a Table, &'a Table),
        mapper: &'a Mapper,
        texts: Texts<'a>,
    ) -> TableDiff<'a> {
        let mut d = TableDiff {
            from,
            to,
            lt,
            tt,
            mapper,
            texts,
            dropped: Vec::new(),
            added: Vec::new(),
        };
        d.dropped = lt
            .columns
            .iter()
            .filter(|c| d.target_of(c).is_none())
            .collect();
        d.added = tt
            .columns
            .iter()
            .filter(|c| {
                !lt.columns.iter().any(|l| {
                    d.target_of(l)
                        .is_some_and(|t| t.name.eq_ignore_ascii_case(&c.name))
                })
            })
            .collect();
        d
    }

    /// The live name of the table.
    fn old(&self) -> &str {
        &self.lt.name
    }

    /// The target name of the table.
    fn new_name(&self) -> &str {
        &self.tt.name
    }

    /// The target name (lowercase) of a renamed live column.
    fn renamed(&self, c: &str) -> Option<String> {
        self.mapper.for_tables(std::slice::from_ref(&self.lt.name))(&c.to_ascii_lowercase())
    }

    /// The target column a live column becomes, if it stays.
    fn target_of(&self, c: &Column) -> Option<&'a Column> {
        let name = self
            .renamed(&c.name)
            .unwrap_or_else(|| c.name.to_ascii_lowercase());
        self.tt.column(&name).map(|(_, t)| t)
    }

    fn is_dropped(&self, name: &str) -> bool {
        self.dropped
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(name))
    }

    fn is_added(&self, name: &str) -> bool {
        self.added.iter().any(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The written version of live column `c` (from the live text model, by name).
    fn live_col(&self, c: &'a Column) -> &'a Column {
        let t = self.texts.live_table(self.lt);
        t.column(&c.name).map_or(c, |(_, w)| w)
    }

    /// The written version of target column `c`.
    fn target_col(&self, c: &'a Column) -> &'a Column {
        let t = self.texts.target_table(self.tt);
        t.column(&c.name).map_or(c, |(_, w)| w)
    }

    /// The written body of a constraint (by name, from the text model's table), or `con`'s.
    fn body(&self, con: &Con, live: bool) -> String {
        self.written(con, live)
            .map_or_else(|| con.body.clone(), |c| c.body)
    }

    /// The written version of a constraint (by name, from the text model's table), whose
    /// place (on a column or not) and naming (explicit or default) are as the file wrote them:
    /// a judged schema read back from PostgreSQL has every constraint at table level, named.
    fn written(&self, con: &Con, live: bool) -> Option<Con> {
        let default = Mapper::default();
        let (t, map, schema) = if live {
            (self.texts.live_table(self.lt), self.mapper, self.texts.from)
        } else {
            (self.texts.target_table(self.tt), &default, self.texts.to)
        };
        constraints(t, map, schema)
            .into_iter()
            .find(|c| c.name.eq_ignore_ascii_case(&con.name))
    }

    /// `ADD [CONSTRAINT name] body` for a constraint, named as it was written.
    fn add_constraint(&self, con: &Con, live: bool) -> String {
        let explicit = self.written(con, live).map_or(con.explicit, |w| w.explicit);
        if explicit {
            format!(
                "ADD CONSTRAINT {} {}",
                quote_ident(&con.name),
                self.body(con, live)
            )
        } else {
            format!("ADD {}", self.body(con, live))
        }
    }

    /// The column a constraint is written on, if it is a column constraint.
    fn written_column(&self, con: &Con, live: bool) -> Option<String> {
        self.written(con, live)
            .map_or_else(|| con.column.clone(), |w| w.column)
    }

    /// `ALTER TABLE <new name> action`.
    fn alter(&self, action: String) -> String {
        alter(self.new_name(), action)
    }

    /// The live and target constraints in table form, and which target ones a live one
    /// matches (by what they say).
    fn constraint_pairs(&self) -> (Vec<Con>, Vec<Con>, Vec<bool>, Vec<usize>) {
        let live = constraints(self.lt, self.mapper, self.from);
        let target = constraints(self.tt, &Mapper::default(), self.to);
        let mut matched = vec![false; target.len()];
        let mut unmatched = Vec::new();
        for (i, lc) in live.iter().enumerate() {
            match (0..target.len()).find(|&j| !matched[j] && target[j].ident == lc.ident) {
                Some(j) => matched[j] = true,
                None => unmatched.push(i),
            }
        }
        (live, target, matched, unmatched)
    }

    /// Constraints that go, dropped under their live names (before any rename).
    fn constraint_drops(&self, live: &[Con], unmatched: &[usize], out: &mut Phases) {
        for lc in unmatched.iter().map(|&i| &live[i]) {
            if self
                .written_column(lc, true)
                .is_some_and(|c| self.is_dropped(&c))
            {
                continue; // goes with its column
            }
            let add = self.add_constraint(lc, true);
            out.drops.push(Change::undone_by(
                alter(
                    self.old(),
                    format!("DROP CONSTRAINT {}", quote_ident(&lc.name)),
                ),
                alter(self.old(), add),
            ));
        }
    }

    /// The table's and its columns' renames.
    fn renames(&self, out: &mut Phases) {
        let (old, new) = (self.old(), self.new_name());
        if !old.eq_ignore_ascii_case(new) {
            out.renames.push(Change::undone_by(
                alter(old, format!("RENAME TO {}", quote_ident(new))),
                alter(new, format!("RENAME TO {}", quote_ident(old))),
            ));
        }
        for c in &self.lt.columns {
            if let (Some(_), Some(t)) = (self.renamed(&c.name), self.target_of(c)) {
                let rename = |a: &str, b: &str| {
                    self.alter(format!(
                        "RENAME COLUMN {} TO {}",
                        quote_ident(a),
                        quote_ident(b)
                    ))
                };
                out.renames.push(Change::undone_by(
                    rename(&c.name, &t.name),
                    rename(&t.name, &c.name),
                ));
            }
        }
    }

    /// `SET STRICT` and the like (kit's SQLite table options), and their inverses.
    fn option(&self, on: bool, which: &str) -> Change {
        let (up, down) = match (which, on) {
            ("strict", true) => ("SET STRICT", "SET NOT STRICT"),
            ("strict", false) => ("SET NOT STRICT", "SET STRICT"),
            (_, true) => ("SET WITHOUT ROWID", "SET WITH ROWID"),
            (_, false) => ("SET WITH ROWID", "SET WITHOUT ROWID"),
        };
        Change::undone_by(self.alter(up.to_string()), self.alter(down.to_string()))
    }

    /// Columns that go, then columns that come.
    fn dropped_and_added(&self, out: &mut Phases) {
        let new = self.new_name();
        if !self.dropped.is_empty() {
            out.reshaped.insert(self.lt.name.to_ascii_lowercase());
        }
        for c in &self.dropped {
            let generated = c.generated().is_some();
            out.rest.push(Change {
                sql: self.alter(format!("DROP COLUMN {}", quote_ident(&c.name))),
                inverse: vec![self.alter(format!("ADD COLUMN {}", col_def(self.live_col(c))))],
                loses: (!generated)
                    .then(|| format!("column \"{}\".\"{}\" and its values", new, c.name)),
                inverse_note: (!generated).then(|| {
                    format!(
                        "re-adds column \"{}\".\"{}\" without its old values",
                        new, c.name
                    )
                }),
            });
        }
        for c in &self.added {
            out.rest.push(Change::undone_by(
                self.alter(format!("ADD COLUMN {}", col_def(self.target_col(c)))),
                self.alter(format!("DROP COLUMN {}", quote_ident(&c.name))),
            ));
        }
    }

    /// The changes of a column that stays: generated expression, type and collation, NOT NULL,
    /// default, AUTOINCREMENT (a note).
    fn column_changes(
        &self,
        lc: &Column,
        tc: &Column,
        out: &mut Phases,
        notes: &mut Vec<String>,
    ) -> Result<()> {
        if lc.generated().map(|(e, s)| (plain(e), s)) != tc.generated().map(|(e, s)| (plain(e), s))
        {
            return self.generated_change(lc, tc, out);
        }
        self.type_change(lc, tc, out, notes);
        let q = quote_ident(&tc.name);
        if lc.not_null() != tc.not_null() {
            let (up, down) = if tc.not_null() {
                ("SET NOT NULL", "DROP NOT NULL")
            } else {
                ("DROP NOT NULL", "SET NOT NULL")
            };
            out.rest.push(Change::undone_by(
                self.alter(format!("ALTER COLUMN {q} {up}")),
                self.alter(format!("ALTER COLUMN {q} {down}")),
            ));
        }
        let (ld, td) = (lc.default(), tc.default());
        let (lw, tw) = (self.live_col(lc), self.target_col(tc));
        if ld.map(plain) != td.map(plain) {
            let set = |v: Option<&str>| match v {
                Some(v) => format!("ALTER COLUMN {q} SET DEFAULT {v}"),
                None => format!("ALTER COLUMN {q} DROP DEFAULT"),
            };
            out.rest.push(Change::undone_by(
                self.alter(set(tw.default())),
                self.alter(set(lw.default())),
            ));
        }
        if self.lt.autoincrement() != self.tt.autoincrement()
            && lc
                .name
                .eq_ignore_ascii_case(&self.lt.primary_key().concat())
        {
            notes.push(format!(
                "table \"{}\": AUTOINCREMENT differs; it has no portable ALTER and is left as it is",
                self.new_name()
            ));
        }
        Ok(())
    }

    /// A generated column whose expression changes is dropped and added again (it holds no data
    /// of its own); one that switches between stored and generated has no portable statement.
    fn generated_change(&self, lc: &Column, tc: &Column, out: &mut Phases) -> Result<()> {
        let q = quote_ident(&tc.name);
        if lc.generated().is_some() && tc.generated().is_some() {
            out.reshaped.insert(self.lt.name.to_ascii_lowercase());
            out.rest.push(Change::undone_by(
                self.alter(format!("DROP COLUMN {q}")),
                self.alter(format!("ADD COLUMN {}", col_def(self.live_col(lc)))),
            ));
            out.rest.push(Change::undone_by(
                self.alter(format!("ADD COLUMN {}", col_def(self.target_col(tc)))),
                self.alter(format!("DROP COLUMN {q}")),
            ));
            return Ok(());
        }
        Err(Error::Unsupported {
            what: format!(
                "column \"{}\".\"{}\" changes between stored and generated",
                self.new_name(),
                tc.name
            ),
            statement: self.tt.stored_sql.clone(),
            hint: "add a new column with the new definition, copy the values, and drop the old one"
                .into(),
        })
    }

    /// `ALTER COLUMN c TYPE t [COLLATE x]` when the declared type or the collation changes.
    fn type_change(&self, lc: &Column, tc: &Column, out: &mut Phases, notes: &mut Vec<String>) {
        let (lcoll, tcoll) = (collation(lc), collation(tc));
        if norm_type(&lc.type_text) == norm_type(&tc.type_text) && lcoll == tcoll {
            return;
        }
        if tc.type_text.trim().is_empty() || lc.type_text.trim().is_empty() {
            notes.push(format!(
                "column \"{}\".\"{}\": declared type \"{}\" -> \"{}\": a column without a declared type has no portable ALTER; rebuild it by hand",
                self.new_name(),
                tc.name,
                lc.type_text,
                tc.type_text
            ));
            return;
        }
        out.reshaped.insert(self.lt.name.to_ascii_lowercase());
        let q = quote_ident(&tc.name);
        // Written as the files wrote them (`NOCASE`, not PostgreSQL's `kit_nocase`).
        let with = |w: &Column, coll: &Option<String>, other: &Option<String>| {
            let mut s = format!("ALTER COLUMN {q} TYPE {}", w.type_text.trim());
            if coll != other {
                // PostgreSQL's name of NOCASE, when only the judged side has the column.
                let written = collation(w).or_else(|| {
                    coll.as_deref()
                        .map(|c| if c == "kit_nocase" { "nocase" } else { c }.to_string())
                });
                s.push_str(" COLLATE ");
                s.push_str(&quote_ident(written.as_deref().unwrap_or("default")));
            }
            s
        };
        out.rest.push(Change::undone_by(
            self.alter(with(self.target_col(tc), &tcoll, &lcoll)),
            self.alter(with(self.live_col(lc), &lcoll, &tcoll)),
        ));
    }

    /// Constraints that come (those written on new columns come with them).
    fn constraint_adds(&self, target: &[Con], matched: &[bool], out: &mut Phases) {
        for (tc, _) in target.iter().zip(matched).filter(|(_, m)| !**m) {
            if self
                .written_column(tc, false)
                .is_some_and(|c| self.is_added(&c))
            {
                continue;
            }
            let add = self.add_constraint(tc, false);
            out.rest.push(Change::undone_by(
                self.alter(add),
                self.alter(format!("DROP CONSTRAINT {}", quote_ident(&tc.name))),
            ));
        }
    }

    /// A note when the columns the tables share are in another order, or new columns are not
    /// at the end: ALTER TABLE appends columns on both databases.
    fn order_note(&self, notes: &mut Vec<String>) {
        let live_order: Vec<String> = self
            .lt
            .columns
            .iter()
            .filter_map(|c| self.target_of(c).map(|t| t.name.to_ascii_lowercase()))
            .collect();
        let target_order: Vec<String> = self
            .tt
            .columns
            .iter()
            .filter(|c| !self.is_added(&c.name))
            .map(|c| c.name.to_ascii_lowercase())
            .collect();
        let new_at_end = self
            .tt
            .columns
            .iter()
            .skip_while(|c| !self.is_added(&c.name))
            .all(|c| self.is_added(&c.name));
        if live_order != target_order || !new_at_end {
            notes.push(format!(
                "table \"{}\": the column order differs from the schema; ALTER TABLE adds columns at the end on SQLite and PostgreSQL alike, so the order is left as it is",
                self.new_name()
            ));
        }
    }
}

/// The ALTER TABLE statements that turn live table `lt` into target table `tt`, by phase.
/// Table options are switched off first and on last, so that a STRICT table's column types
/// and a WITHOUT ROWID table's key are in place when the option is checked.
pub(super) fn table_changes(
    from: &Schema,
    to: &Schema,
    (lt, tt): (&Table, &Table),
    mapper: &Mapper,
    texts: Texts<'_>,
    out: &mut Phases,
    notes: &mut Vec<String>,
) -> Result<()> {
    if unchanged(from, to, (lt, tt), mapper) {
        return Ok(());
    }
    let d = TableDiff::new(from, to, (lt, tt), mapper, texts);
    let (live, target, matched, unmatched) = d.constraint_pairs();
    d.constraint_drops(&live, &unmatched, out);
    d.renames(out);
    if lt.strict && !tt.strict {
        out.rest.push(d.option(false, "strict"));
    }
    if lt.without_rowid && !tt.without_rowid {
        out.rest.push(d.option(false, "rowid"));
    }
    d.dropped_and_added(out);
    for lc in &lt.columns {
        if let Some(tc) = d.target_of(lc) {
            d.column_changes(lc, tc, out, notes)?;
        }
    }
    d.constraint_adds(&target, &matched, out);
    if !lt.without_rowid && tt.without_rowid {
        out.rest.push(d.option(true, "rowid"));
    }
    if !lt.strict && tt.strict {
        out.rest.push(d.option(true, "strict"));
    }
    d.order_note(notes);
    Ok(())
}

/// True when a kept table certainly has no change: nothing is renamed, its stored text is the
/// same on both sides, and so is each parent's a foreign key without columns refers to (such a
/// key means the parent's primary key, which the parent's text decides). Most tables of a large
/// schema are like this; they then cost a comparison of two strings.
fn unchanged(from: &Schema, to: &Schema, (lt, tt): (&Table, &Table), mapper: &Mapper) -> bool {
    mapper.is_empty()
        && lt.stored_sql == tt.stored_sql
        && lt.foreign_keys().iter().all(|(_, r)| {
            !r.columns.is_empty()
                || from.table(&r.table).map(|t| &t.stored_sql)
                    == to.table(&r.table).map(|t| &t.stored_sql)
        })
}
