//! Renames: the `-- kit:renamed-from` markers of a schema file, and which live table and
//! column each target one comes from (so a rename is emitted instead of a drop and an add).

use super::text::ignored;
use crate::error::{Error, Result};
use crate::schema::{Schema, Table};
use crate::sql::{lex, split_statements};
use std::collections::HashMap;

/// `-- kit:renamed-from old` markers found in a schema file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Renames {
    /// New table name (lowercase) -> old name.
    pub tables: HashMap<String, String>,
    /// (new table name, new column name), lowercase -> old column name.
    pub columns: HashMap<(String, String), String>,
    /// Markers in the text that attach to no table or column (misplaced).
    pub unattached: usize,
}

const MARKER: &str = "kit:renamed-from";

/// The name after a `kit:renamed-from` marker in `text`, if there is one.
fn marker(text: &str) -> Option<String> {
    let at = text.find(MARKER)?;
    let rest = text[at + MARKER.len()..].trim_start();
    let first = lex(rest).ok()?.into_iter().next()?;
    first.ident(rest)
}

/// The part of `text` before its first newline.
fn first_line(text: &str) -> &str {
    text.split('\n').next().unwrap_or("")
}

impl Renames {
    /// Finds the rename markers of a schema file: a table's on the line before its
    /// `CREATE TABLE` or on the `CREATE TABLE ... (` line itself, a column's on the column's line
    /// after its definition.
    pub fn from_sql(src: &str) -> Result<Renames> {
        let mut out = Renames::default();
        let pieces = split_statements(src).map_err(|e| Error::Syntax {
            message: e.message,
            line: crate::sql::line_col(src, e.offset).0,
            column: crate::sql::line_col(src, e.offset).1,
            statement: String::new(),
        })?;
        let mut prev_end = 0;
        for p in &pieces {
            let before = &src[prev_end..p.offset];
            prev_end = p.offset + p.text.len();
            if !p.text.contains(MARKER) && !before.contains(MARKER) {
                continue;
            }
            let Ok(t) = crate::schema::parse_create_table(&p.text) else {
                continue;
            };
            let last_line = before.trim_end().rsplit('\n').next().unwrap_or("");
            let table_marker = marker(last_line).or_else(|| marker(&t.head)).or_else(|| {
                t.columns
                    .first()
                    .and_then(|c| marker(first_line(&c.leading)))
            });
            if let Some(old) = table_marker {
                out.tables.insert(t.name.to_ascii_lowercase(), old);
            }
            let n = t.columns.len();
            for (i, c) in t.columns.iter().enumerate() {
                let mut after = format!("{}{}", c.precomma, first_line(&c.comment));
                if i + 1 == n && t.constraints.is_empty() {
                    after.push_str(first_line(&t.trailing));
                }
                if let Some(old) = marker(&after) {
                    out.columns.insert(
                        (t.name.to_ascii_lowercase(), c.name.to_ascii_lowercase()),
                        old,
                    );
                }
            }
        }
        out.unattached = src
            .matches(MARKER)
            .count()
            .saturating_sub(out.tables.len() + out.columns.len());
        Ok(out)
    }
}

/// Old names -> new names, lowercase, from the renames that apply.
#[derive(Default)]
pub(super) struct Mapper {
    /// Live table name -> target name (lowercase), for renamed tables.
    pub(super) tables: HashMap<String, String>,
    /// Live table name -> (live column -> target column), lowercase, for renamed columns.
    pub(super) columns: HashMap<String, HashMap<String, String>>,
}

impl Mapper {
    /// True when nothing is renamed: every definition then maps to itself.
    pub(super) fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty()
    }

    pub(super) fn table(&self, old: &str) -> String {
        self.tables
            .get(&old.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| old.to_ascii_lowercase())
    }

    /// A mapping for a definition that names columns of `tables` (old names).
    pub(super) fn for_tables(&self, tables: &[String]) -> impl Fn(&str) -> Option<String> + '_ {
        let cols: Vec<&HashMap<String, String>> = tables
            .iter()
            .filter_map(|t| self.columns.get(&t.to_ascii_lowercase()))
            .collect();
        move |name: &str| {
            self.tables
                .get(name)
                .or_else(|| cols.iter().find_map(|m| m.get(name)))
                .cloned()
        }
    }
}

/// Which live table each target table comes from, and the renames that apply.
pub(super) struct Matching {
    /// (live name, target name) of each table that stays.
    pub(super) source: Vec<(String, String)>,
    /// The renames, old names to new.
    pub(super) mapper: Mapper,
    /// Where each live and each target name (ASCII-lowercased) stands in `source`: the
    /// lookups below are made for every object of the schema.
    by_live: HashMap<String, usize>,
    by_target: HashMap<String, usize>,
}

impl Matching {
    /// Matches the tables of `to` with those of `from` by name, or by a rename marker, and
    /// their columns by rename markers; notes say which markers attach to nothing.
    pub(super) fn new(
        from: &Schema,
        to: &Schema,
        renames: &Renames,
        notes: &mut Vec<String>,
    ) -> Matching {
        let mut m = Matching {
            source: Vec::new(),
            mapper: Mapper::default(),
            by_live: HashMap::new(),
            by_target: HashMap::new(),
        };
        for (name, _) in to.tables.iter().filter(|(n, _)| !ignored(to, n)) {
            if let Some(live) = live_table_of(from, to, renames, name) {
                if !live.eq_ignore_ascii_case(name) {
                    m.mapper
                        .tables
                        .insert(live.to_ascii_lowercase(), name.to_ascii_lowercase());
                }
                let at = m.source.len();
                m.by_live.entry(live.to_ascii_lowercase()).or_insert(at);
                m.by_target.entry(name.to_ascii_lowercase()).or_insert(at);
                m.source.push((live, name.clone()));
            }
        }
        for (live, target) in &m.source {
            let (lt, tt) = (from.table(live), to.table(target));
            let cols = match (lt, tt) {
                (Some(lt), Some(tt)) => renamed_columns(lt, tt, renames),
                _ => HashMap::new(),
            };
            if !cols.is_empty() {
                m.mapper.columns.insert(live.to_ascii_lowercase(), cols);
            }
        }
        m.note_markers(from, renames, notes);
        m
    }

    /// True when live table `name` stays (under its name or a new one).
    pub(super) fn kept(&self, name: &str) -> bool {
        self.by_live.contains_key(&name.to_ascii_lowercase())
    }

    /// True when target table `name` comes from a live table.
    pub(super) fn has_target(&self, name: &str) -> bool {
        self.by_target.contains_key(&name.to_ascii_lowercase())
    }

    /// The live table that target table `name` comes from.
    pub(super) fn live_of(&self, name: &str) -> Option<&str> {
        let at = *self.by_target.get(&name.to_ascii_lowercase())?;
        Some(self.source[at].0.as_str())
    }

    /// Each kept table: (live, target).
    pub(super) fn pairs<'a>(
        &'a self,
        from: &'a Schema,
        to: &'a Schema,
    ) -> impl Iterator<Item = (&'a Table, &'a Table)> + 'a {
        self.source
            .iter()
            .filter_map(|(l, t)| Some((from.table(l)?, to.table(t)?)))
    }

    /// Notes for markers that attach to nothing or name nothing in the database.
    fn note_markers(&self, from: &Schema, renames: &Renames, notes: &mut Vec<String>) {
        if renames.unattached > 0 {
            notes.push(format!(
                "{} `-- kit:renamed-from` marker(s) attach to no table or column and are ignored: write it on the column's line after its definition, or on the `CREATE TABLE name (` line",
                renames.unattached
            ));
        }
        for ((table, column), old) in &renames.columns {
            let live = self.live_of(table).and_then(|l| from.table(l));
            if let Some(lt) = live {
                if lt.column(old).is_none() && lt.column(column).is_none() {
                    notes.push(format!(
                        "`-- kit:renamed-from {old}` on \"{table}\".\"{column}\": the database has no column \"{old}\", so \"{column}\" is added as a new column"
                    ));
                }
            }
        }
        for (table, old) in &renames.tables {
            if from.table(old).is_none() && from.table(table).is_none() {
                notes.push(format!(
                    "`-- kit:renamed-from {old}` on table \"{table}\": the database has no table \"{old}\", so \"{table}\" is created as a new table"
                ));
            }
        }
    }
}

/// The live table target table `name` comes from: the one of that name, or the one a rename
/// marker names (when the target has no table of that old name itself).
fn live_table_of(from: &Schema, to: &Schema, renames: &Renames, name: &str) -> Option<String> {
    if let Some(t) = from.table(name) {
        return Some(t.name.clone());
    }
    renames
        .tables
        .get(&name.to_ascii_lowercase())
        .and_then(|old| from.table(old))
        .filter(|old| to.table(&old.name).is_none())
        .map(|t| t.name.clone())
}

/// Old column name -> new (lowercase) for the rename markers of target table `tt` that name a
/// column of live table `lt`.
fn renamed_columns(lt: &Table, tt: &Table, renames: &Renames) -> HashMap<String, String> {
    let mut cols = HashMap::new();
    for c in &tt.columns {
        if lt.column(&c.name).is_some() {
            continue;
        }
        if let Some(old) = renames
            .columns
            .get(&(tt.name.to_ascii_lowercase(), c.name.to_ascii_lowercase()))
        {
            if lt.column(old).is_some() && tt.column(old).is_none() {
                cols.insert(old.to_ascii_lowercase(), c.name.to_ascii_lowercase());
            }
        }
    }
    cols
}
