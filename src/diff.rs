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

use crate::error::{Error, Result};
use crate::schema::{ColumnConstraintKind, ConstraintPlace, Schema, Table, TableConstraintKind};
use crate::sql::{lex, quote_ident, split_statements, Tok};
use std::collections::{HashMap, HashSet};

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

/// A definition as a comparable token list: whitespace and comments dropped, keywords and
/// identifiers case-folded and unquoted, identifiers renamed through `map`.
fn tokens(sql: &str, map: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let Ok(toks) = lex(sql) else {
        return vec![sql.to_string()];
    };
    toks.iter()
        .map(|t| {
            let text = t.text(sql);
            match t.kind {
                Tok::Word | Tok::Quoted => {
                    let name = crate::sql::unquote(text).to_ascii_lowercase();
                    map(&name).map(|n| n.to_ascii_lowercase()).unwrap_or(name)
                }
                _ => text.to_string(),
            }
        })
        .collect()
}

/// Every identifier a definition names, unquoted and ASCII-lowercased.
fn identifiers(sql: &str) -> HashSet<String> {
    let Ok(toks) = lex(sql) else {
        return HashSet::new();
    };
    toks.iter()
        .filter_map(|t| t.ident_ref(sql))
        .map(|i| i.to_ascii_lowercase())
        .collect()
}

/// Tokens with no renaming.
fn plain(sql: &str) -> Vec<String> {
    tokens(sql, &|_| None)
}

/// True when the output column names of a view (without a column list of its own) come from
/// `column` (lowercase): its first `SELECT` lists it bare (`c`, `t.c`, no `AS`) or uses `*`.
fn output_names_use(view_sql: &str, column: &str) -> bool {
    let Ok(toks) = lex(view_sql) else { return true };
    let Some(at) = toks.iter().position(|t| t.is_kw(view_sql, "as")) else {
        return true;
    };
    if toks[..at].iter().any(|t| t.is_punct(view_sql, "(")) {
        return false; // `CREATE VIEW v(a, b) AS ...`: the names are the view's own
    }
    let Some(select) = toks[at..].iter().position(|t| t.is_kw(view_sql, "select")) else {
        return true;
    };
    let mut depth = 0;
    let mut item: Vec<&crate::sql::Token> = Vec::new();
    let mut items: Vec<Vec<&crate::sql::Token>> = Vec::new();
    for t in &toks[at + select + 1..] {
        if t.is_punct(view_sql, "(") {
            depth += 1;
        } else if t.is_punct(view_sql, ")") {
            depth -= 1;
        } else if depth == 0 && (t.is_kw(view_sql, "from") || t.is_punct(view_sql, ";")) {
            break;
        } else if depth == 0 && t.is_punct(view_sql, ",") {
            items.push(std::mem::take(&mut item));
            continue;
        }
        item.push(t);
    }
    items.push(item);
    items.iter().any(|it| {
        let Some(last) = it.last() else { return false };
        let aliased = it.len() >= 2 && it[it.len() - 2].is_kw(view_sql, "as");
        let bare = it.len() == 1 || (it.len() == 3 && it[1].is_punct(view_sql, "."));
        last.is_punct(view_sql, "*")
            || (bare
                && !aliased
                && last
                    .ident_ref(view_sql)
                    .is_some_and(|n| n.eq_ignore_ascii_case(column)))
    })
}

/// Drops `IF NOT EXISTS` after `CREATE ... INDEX|TABLE|VIEW|TRIGGER`, which SQLite stores as
/// written but which does not change the object.
fn without_if_not_exists(mut t: Vec<String>) -> Vec<String> {
    if let Some(p) = t.windows(3).position(|w| w == ["if", "not", "exists"]) {
        if p < 6 {
            t.drain(p..p + 3);
        }
    }
    t
}

/// Old names -> new names, lowercase, from the renames that apply.
#[derive(Default)]
struct Mapper {
    tables: HashMap<String, String>,
    columns: HashMap<String, HashMap<String, String>>,
}

impl Mapper {
    fn table(&self, old: &str) -> String {
        self.tables
            .get(&old.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| old.to_ascii_lowercase())
    }

    /// A mapping for a definition that names columns of `tables` (old names).
    fn for_tables(&self, tables: &[String]) -> impl Fn(&str) -> Option<String> + '_ {
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

/// A constraint in table form, comparable across column- and table-level spellings.
struct Con {
    /// Explicit or PostgreSQL default name.
    name: String,
    /// `CONSTRAINT n` was written.
    explicit: bool,
    /// The definition in table form without its name, e.g. `UNIQUE ("email")`.
    body: String,
    /// The comparable identity.
    ident: Vec<String>,
    /// The column it is written on, for column constraints.
    column: Option<String>,
}

/// Strips a leading `CONSTRAINT name` from a constraint's text.
fn strip_name(text: &str) -> &str {
    let Ok(toks) = lex(text) else { return text };
    if toks.len() > 2 && toks[0].is_kw(text, "constraint") {
        text[toks[2].start..].trim()
    } else {
        text.trim()
    }
}

/// The comparable identity of a foreign key: child columns, parent (renamed), parent columns
/// (renamed through the parent's renames) and the rest (actions) as tokens.
/// `REFERENCES p` without columns means p's primary key, so it is compared as that key.
fn fk_ident(
    child: &[String],
    refs_text: &str,
    own: &Mapper,
    table: &str,
    schema: &Schema,
) -> Vec<String> {
    let own_map = own.for_tables(&[table.to_string()]);
    let mut out: Vec<String> = vec!["fk".into()];
    out.extend(
        child
            .iter()
            .map(|c| own_map(&c.to_ascii_lowercase()).unwrap_or_else(|| c.to_ascii_lowercase())),
    );
    let Ok(toks) = lex(refs_text) else {
        out.push(refs_text.to_string());
        return out;
    };
    let Some(r) = toks.iter().position(|t| t.is_kw(refs_text, "references")) else {
        return out;
    };
    let Some(parent) = toks.get(r + 1).and_then(|t| t.ident(refs_text)) else {
        return out;
    };
    out.push("references".into());
    out.push(own.table(&parent));
    let parent_map = own.for_tables(std::slice::from_ref(&parent));
    let mut i = r + 2;
    if !toks.get(i).is_some_and(|t| t.is_punct(refs_text, "(")) {
        if let Some(p) = schema.table(&parent) {
            for c in p.primary_key() {
                let c = c.to_ascii_lowercase();
                out.push(parent_map(&c).unwrap_or(c));
            }
        }
    } else {
        i += 1;
        while let Some(t) = toks.get(i) {
            i += 1;
            if t.is_punct(refs_text, ")") {
                break;
            }
            if let Some(c) = t.ident(refs_text) {
                let c = c.to_ascii_lowercase();
                out.push(parent_map(&c).unwrap_or(c));
            }
        }
    }
    let rest = toks.get(i).map_or("", |t| &refs_text[t.start..]);
    out.extend(plain(rest));
    out
}

/// Every constraint of `t` in table form; `map` renames live names to target names.
fn constraints(t: &Table, map: &Mapper, schema: &Schema) -> Vec<Con> {
    let col_map = map.for_tables(std::slice::from_ref(&t.name));
    let cols = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .map(|c| col_map(&c.to_ascii_lowercase()).unwrap_or_else(|| c.to_ascii_lowercase()))
            .collect()
    };
    let mut out = Vec::new();
    for nc in t.named_constraints() {
        let con = match nc.place {
            ConstraintPlace::Column { column, index } => {
                let col = &t.columns[column];
                let k = &col.constraints[index];
                let q = quote_ident(&col.name);
                let one = std::slice::from_ref(&col.name);
                let (body, ident) = match &k.kind {
                    ColumnConstraintKind::PrimaryKey { desc, .. } => (
                        format!("PRIMARY KEY ({q}{})", if *desc { " DESC" } else { "" }),
                        [vec!["pk".to_string()], cols(one)].concat(),
                    ),
                    ColumnConstraintKind::Unique => (
                        format!("UNIQUE ({q})"),
                        [vec!["unique".to_string()], cols(one)].concat(),
                    ),
                    ColumnConstraintKind::Check(expr) => (
                        format!("CHECK ({expr})"),
                        [vec!["check".to_string()], tokens(expr, &col_map)].concat(),
                    ),
                    ColumnConstraintKind::References(_) => {
                        let refs = strip_name(&k.text);
                        (
                            format!("FOREIGN KEY ({q}) {refs}"),
                            fk_ident(one, refs, map, &t.name, schema),
                        )
                    }
                    _ => continue,
                };
                Con {
                    name: nc.name,
                    explicit: k.name.is_some(),
                    body,
                    ident,
                    column: Some(col.name.clone()),
                }
            }
            ConstraintPlace::Table { index } => {
                let c = &t.constraints[index];
                let body = strip_name(&c.text).to_string();
                let ident = match &c.kind {
                    TableConstraintKind::PrimaryKey(k) => {
                        [vec!["pk".to_string()], cols(k)].concat()
                    }
                    TableConstraintKind::Unique(k) => {
                        [vec!["unique".to_string()], cols(k)].concat()
                    }
                    TableConstraintKind::Check(expr) => {
                        [vec!["check".to_string()], tokens(expr, &col_map)].concat()
                    }
                    TableConstraintKind::ForeignKey { columns, .. } => {
                        let refs_at = lex(&body).ok().and_then(|toks| {
                            toks.iter()
                                .find(|t| t.is_kw(&body, "references"))
                                .map(|t| t.start)
                        });
                        fk_ident(columns, &body[refs_at.unwrap_or(0)..], map, &t.name, schema)
                    }
                };
                Con {
                    name: nc.name,
                    explicit: c.name.is_some(),
                    body,
                    ident,
                    column: None,
                }
            }
        };
        out.push(con);
    }
    out
}

/// The collation written on a column, lowercase.
fn collation(c: &crate::schema::Column) -> Option<String> {
    c.constraints.iter().find_map(|k| match &k.kind {
        ColumnConstraintKind::Collate(n) => Some(n.to_ascii_lowercase()),
        _ => None,
    })
}

/// A declared type, normalized: tokens uppercased, one space apart.
fn norm_type(t: &str) -> String {
    plain(t).join(" ").to_uppercase()
}

/// Shadow tables of virtual tables (FTS5, FTS4, R*Tree): created by their virtual table.
fn is_shadow(schema: &Schema, name: &str) -> bool {
    const SUFFIXES: [&str; 9] = [
        "data", "idx", "content", "docsize", "config", "node", "parent", "rowid", "segments",
    ];
    let lower = name.to_ascii_lowercase();
    schema.virtual_tables.keys().any(|v| {
        let v = v.to_ascii_lowercase();
        lower
            .strip_prefix(&v)
            .and_then(|r| r.strip_prefix('_'))
            .is_some_and(|s| SUFFIXES.contains(&s) || s == "segdir" || s == "stat")
    })
}

/// True for tables a diff leaves alone: kit's own and virtual tables' shadow tables.
fn ignored(schema: &Schema, name: &str) -> bool {
    KIT_TABLES.iter().any(|k| k.eq_ignore_ascii_case(name)) || is_shadow(schema, name)
}

/// Finds `name` in a map keyed by name, case-insensitively.
fn find<'a, V>(map: &'a indexmap::IndexMap<String, V>, name: &str) -> Option<&'a V> {
    map.get(name).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
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

/// A column's definition for `ADD COLUMN`, its name quoted.
fn col_def(c: &crate::schema::Column) -> String {
    let mut c = c.clone();
    c.name_text = None;
    c.render().trim().to_string()
}

fn alter(table: &str, action: String) -> String {
    format!("ALTER TABLE {} {action}", quote_ident(table))
}

/// Compares `from` (the live database) with `to` (the target) and lists the statements that
/// turn one into the other. `renames` are the target's `kit:renamed-from` markers.
pub fn diff(from: &Schema, to: &Schema, renames: &Renames) -> Result<Diff> {
    let mut d = Diff::default();
    // Which live table each target table comes from.
    let mut source: Vec<(String, String)> = Vec::new(); // (live name, target name)
    let mut mapper = Mapper::default();
    for (name, _) in to.tables.iter().filter(|(n, _)| !ignored(to, n)) {
        let live = if from.table(name).is_some() {
            Some(from.table(name).map(|t| t.name.clone()).unwrap_or_default())
        } else {
            renames
                .tables
                .get(&name.to_ascii_lowercase())
                .and_then(|old| from.table(old))
                .filter(|old| to.table(&old.name).is_none())
                .map(|t| t.name.clone())
        };
        if let Some(live) = live {
            if !live.eq_ignore_ascii_case(name) {
                mapper
                    .tables
                    .insert(live.to_ascii_lowercase(), name.to_ascii_lowercase());
            }
            source.push((live, name.clone()));
        }
    }
    for (live, target) in &source {
        let (lt, tt) = (from.table(live).unwrap(), to.table(target).unwrap());
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
        if !cols.is_empty() {
            mapper.columns.insert(live.to_ascii_lowercase(), cols);
        }
    }
    if renames.unattached > 0 {
        d.notes.push(format!(
            "{} `-- kit:renamed-from` marker(s) attach to no table or column and are ignored: write it on the column's line after its definition, or on the `CREATE TABLE name (` line",
            renames.unattached
        ));
    }
    for ((table, column), old) in &renames.columns {
        let live = source
            .iter()
            .find(|(_, t)| t.eq_ignore_ascii_case(table))
            .and_then(|(l, _)| from.table(l));
        if let Some(lt) = live {
            if lt.column(old).is_none() && lt.column(column).is_none() {
                d.notes.push(format!(
                    "`-- kit:renamed-from {old}` on \"{table}\".\"{column}\": the database has no column \"{old}\", so \"{column}\" is added as a new column"
                ));
            }
        }
    }
    for (table, old) in &renames.tables {
        if from.table(old).is_none() && from.table(table).is_none() {
            d.notes.push(format!(
                "`-- kit:renamed-from {old}` on table \"{table}\": the database has no table \"{old}\", so \"{table}\" is created as a new table"
            ));
        }
    }
    let live_tables: Vec<&Table> = from
        .tables
        .values()
        .filter(|t| !ignored(from, &t.name))
        .collect();
    let kept = |name: &str| source.iter().any(|(l, _)| l.eq_ignore_ascii_case(name));

    // Each kept table's statements, by phase.
    let mut phases = Phases::default();
    for (live, target) in &source {
        let (lt, tt) = (from.table(live).unwrap(), to.table(target).unwrap());
        table_changes(from, to, lt, tt, &mapper, &mut phases, &mut d.notes)?;
    }
    // Views over a table that loses or retypes columns are dropped first and created again
    // after, even when their text is the same: SQLite refuses to change a table under a
    // `SELECT *` view, and PostgreSQL under any view that uses the column. Views over those
    // views follow.
    // Views that use a renamed column are made again too: a rename keeps a view's column
    // names (PostgreSQL does, and kit does on SQLite), so a view the target writes over the
    // new name is a different view.
    let mut forced: HashSet<String> = from
        .views
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
        .collect();
    loop {
        let grown: Vec<String> = from
            .views
            .values()
            .filter(|v| !forced.contains(&v.name.to_ascii_lowercase()))
            .filter(|v| {
                let named = identifiers(&v.sql);
                phases
                    .reshaped
                    .iter()
                    .chain(forced.iter())
                    .any(|n| named.contains(n))
            })
            .map(|v| v.name.to_ascii_lowercase())
            .collect();
        if grown.is_empty() {
            break;
        }
        forced.extend(grown);
    }
    let is_forced = |name: &str| forced.contains(&name.to_ascii_lowercase());

    // 1. Views, triggers and indexes that go or change are dropped first.
    // Lexes the definition once, then renames through the tables it names.
    let view_map = |sql: &str| {
        let named = identifiers(sql);
        let used: Vec<String> = live_tables
            .iter()
            .filter(|t| named.contains(&t.name.to_ascii_lowercase()))
            .map(|t| t.name.clone())
            .collect();
        without_if_not_exists(tokens(sql, &mapper.for_tables(&used)))
    };
    let mut create_views = Vec::new();
    // Dependent views first (a view is created after the views it reads).
    for v in from.views.values().rev() {
        let same = !is_forced(&v.name)
            && find(&to.views, &v.name)
                .is_some_and(|t| view_map(&v.sql) == without_if_not_exists(plain(&t.sql)));
        if !same {
            d.changes.push(Change::undone_by(
                format!("DROP VIEW {}", quote_ident(&v.name)),
                v.sql.clone(),
            ));
        }
    }
    for v in to.views.values() {
        let same = !is_forced(&v.name)
            && find(&from.views, &v.name)
                .is_some_and(|l| view_map(&l.sql) == without_if_not_exists(plain(&v.sql)));
        if !same {
            create_views.push(Change::undone_by(
                v.sql.clone(),
                format!("DROP VIEW {}", quote_ident(&v.name)),
            ));
        }
    }
    let mut create_triggers = Vec::new();
    for tr in from.triggers.values() {
        let same = find(&to.triggers, &tr.name).is_some_and(|t| {
            view_map(&tr.sql) == without_if_not_exists(plain(&t.sql))
                && mapper.table(&tr.table) == t.table.to_ascii_lowercase()
        });
        if !same && (kept(&tr.table) || from.views.contains_key(&tr.table)) {
            d.changes.push(Change::undone_by(
                format!("DROP TRIGGER {}", quote_ident(&tr.name)),
                tr.sql.clone(),
            ));
        }
    }
    for tr in to.triggers.values() {
        let same = find(&from.triggers, &tr.name).is_some_and(|l| {
            view_map(&l.sql) == without_if_not_exists(plain(&tr.sql))
                && mapper.table(&l.table) == tr.table.to_ascii_lowercase()
        });
        if !same {
            create_triggers.push(Change::undone_by(
                tr.sql.clone(),
                format!("DROP TRIGGER {}", quote_ident(&tr.name)),
            ));
        }
    }
    let index_ident = |sql: &str, table: &str, live: bool| {
        let t = if live {
            tokens(sql, &mapper.for_tables(&[table.to_string()]))
        } else {
            plain(sql)
        };
        without_if_not_exists(t)
    };
    let mut create_indexes = Vec::new();
    for i in from.indexes.values() {
        let Some(sql) = &i.sql else { continue };
        if ignored(from, &i.table) {
            continue;
        }
        let same = find(&to.indexes, &i.name).is_some_and(|t| {
            t.sql
                .as_deref()
                .is_some_and(|ts| index_ident(sql, &i.table, true) == index_ident(ts, "", false))
        });
        if !same && kept(&i.table) {
            d.changes.push(Change::undone_by(
                format!("DROP INDEX {}", quote_ident(&i.name)),
                sql.clone(),
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
                .is_some_and(|ls| index_ident(ls, &l.table, true) == index_ident(sql, "", false))
        });
        if !same {
            create_indexes.push(NewIndex {
                table: i.table.to_ascii_lowercase(),
                key_columns: key_columns(i, sql),
                change: Change::undone_by(
                    sql.clone(),
                    format!("DROP INDEX {}", quote_ident(&i.name)),
                ),
            });
        }
    }

    // 2. Kept tables: their constraint drops; then tables that go; then renames.
    d.changes.append(&mut phases.drops);
    let mut going: Vec<&Table> = live_tables
        .iter()
        .copied()
        .filter(|t| !kept(&t.name))
        .collect();
    // Children before their parents, so no dropped table is still referenced when it goes.
    let mut ordered: Vec<&Table> = Vec::new();
    while !going.is_empty() {
        let referenced = |t: &Table, among: &[&Table]| {
            among.iter().any(|c| {
                !c.name.eq_ignore_ascii_case(&t.name)
                    && c.foreign_keys()
                        .iter()
                        .any(|(_, r)| r.table.eq_ignore_ascii_case(&t.name))
            })
        };
        let pick = (0..going.len())
            .find(|&i| !referenced(going[i], &going))
            .unwrap_or(0); // a cycle: any order, the engine reports what blocks it
        ordered.push(going.remove(pick));
    }
    for t in ordered {
        let mut inverse = vec![t.stored_sql.clone()];
        inverse.extend(from.indexes_on(&t.name).filter_map(|i| i.sql.clone()));
        inverse.extend(from.triggers_on(&t.name).map(|tr| tr.sql.clone()));
        d.changes.push(Change {
            sql: format!("DROP TABLE {}", quote_ident(&t.name)),
            inverse,
            loses: Some(format!("table \"{}\" and all its rows", t.name)),
            inverse_note: Some(format!(
                "recreates table \"{}\" empty: its rows cannot be brought back",
                t.name
            )),
        });
    }
    for (name, sql) in from
        .virtual_tables
        .iter()
        .filter(|(n, _)| !is_shadow(from, n))
    {
        if find(&to.virtual_tables, name).is_none() {
            d.changes.push(Change {
                sql: format!("DROP TABLE {}", quote_ident(name)),
                inverse: vec![sql.clone()],
                loses: Some(format!("virtual table \"{name}\" and its rows")),
                inverse_note: Some(format!("recreates virtual table \"{name}\" empty")),
            });
        }
    }

    d.changes.append(&mut phases.renames);

    // Unique indexes of kept tables over columns they already have come before new tables and
    // the tables' other changes, so a foreign key written there can reference them (PostgreSQL
    // requires the key to exist first).
    take_key_indexes(&mut create_indexes, &mut d.changes, |x| {
        let Some((live, _)) = source
            .iter()
            .find(|(_, t)| t.eq_ignore_ascii_case(&x.table))
        else {
            return false;
        };
        let Some(lt) = from.table(live) else {
            return false;
        };
        let col_map = mapper.for_tables(std::slice::from_ref(&lt.name));
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
    // 3. New tables (after the renames, so their foreign keys name tables as they are now),
    // parents before the tables that reference them: PostgreSQL needs the parent to exist, and
    // the down part then drops children first.
    let mut deferred_fks: Vec<Change> = Vec::new();
    let mut new_tables: Vec<&Table> = to
        .tables
        .values()
        .filter(|t| {
            !ignored(to, &t.name) && !source.iter().any(|(_, n)| n.eq_ignore_ascii_case(&t.name))
        })
        .collect();
    while !new_tables.is_empty() {
        let waits = |t: &Table, pending: &[&Table]| {
            t.foreign_keys().iter().any(|(_, r)| {
                !r.table.eq_ignore_ascii_case(&t.name)
                    && pending
                        .iter()
                        .any(|p| p.name.eq_ignore_ascii_case(&r.table))
            })
        };
        if let Some(i) = (0..new_tables.len()).find(|&i| !waits(new_tables[i], &new_tables)) {
            let t = new_tables.remove(i);
            d.changes.push(Change::undone_by(
                t.stored_sql.clone(),
                format!("DROP TABLE {}", quote_ident(&t.name)),
            ));
            take_key_indexes(&mut create_indexes, &mut d.changes, |x| {
                x.table.eq_ignore_ascii_case(&t.name)
            });
            continue;
        }
        // Tables that reference each other: the first one is created without its foreign keys
        // to the tables still to come, which are added once they exist (as PostgreSQL needs;
        // the down part then drops those keys before the tables).
        let parents = |t: &Table| -> Vec<String> {
            t.foreign_keys()
                .iter()
                .map(|(_, r)| r.table.to_ascii_lowercase())
                .filter(|p| *p != t.name.to_ascii_lowercase())
                .collect()
        };
        let on_cycle = |start: &Table| {
            let mut seen: HashSet<String> = HashSet::new();
            let mut work = parents(start);
            while let Some(n) = work.pop() {
                if n == start.name.to_ascii_lowercase() {
                    return true;
                }
                if seen.insert(n.clone()) {
                    if let Some(p) = new_tables.iter().find(|p| p.name.eq_ignore_ascii_case(&n)) {
                        work.extend(parents(p));
                    }
                }
            }
            false
        };
        let i = (0..new_tables.len())
            .find(|&i| on_cycle(new_tables[i]))
            .unwrap_or(0);
        let t = new_tables.remove(i);
        let (created, later) = without_foreign_keys_to(t, &new_tables);
        d.changes.push(Change::undone_by(
            created,
            format!("DROP TABLE {}", quote_ident(&t.name)),
        ));
        take_key_indexes(&mut create_indexes, &mut d.changes, |x| {
            x.table.eq_ignore_ascii_case(&t.name)
        });
        deferred_fks.extend(later);
    }
    d.changes.append(&mut deferred_fks);
    // 4. The rest of each kept table's changes, then new indexes, views and triggers.
    d.changes.append(&mut phases.rest);
    // Virtual tables after the columns they may index (FTS5 external content).
    for (name, sql) in to.virtual_tables.iter().filter(|(n, _)| !is_shadow(to, n)) {
        let same = find(&from.virtual_tables, name).is_some_and(|l| plain(l) == plain(sql));
        if !same {
            if let Some(l) = find(&from.virtual_tables, name) {
                d.changes.push(Change {
                    sql: format!("DROP TABLE {}", quote_ident(name)),
                    inverse: vec![l.clone()],
                    loses: Some(format!("virtual table \"{name}\" and its rows")),
                    inverse_note: Some(format!("recreates virtual table \"{name}\" empty")),
                });
            }
            d.changes.push(Change::undone_by(
                sql.clone(),
                format!("DROP TABLE {}", quote_ident(name)),
            ));
        }
    }
    d.changes
        .extend(create_indexes.into_iter().map(|x| x.change));
    d.changes.extend(create_views);
    d.changes.extend(create_triggers);
    Ok(d)
}

/// A new index of the target, and the key it gives a foreign key to reference.
struct NewIndex {
    /// Its table, lowercase.
    table: String,
    /// For a UNIQUE index on plain columns without WHERE: its columns, lowercase; else empty.
    key_columns: Vec<String>,
    /// Its CREATE INDEX and DROP INDEX.
    change: Change,
}

/// The columns (lowercase) of a UNIQUE, non-partial index on plain columns; empty otherwise.
fn key_columns(i: &crate::schema::Index, sql: &str) -> Vec<String> {
    let Ok(toks) = lex(sql) else { return vec![] };
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
fn take_key_indexes(
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

/// A kept table's statements, by phase: constraint drops (under pre-rename names), renames, and
/// the rest (columns dropped, added and altered, constraints added).
#[derive(Default)]
struct Phases {
    drops: Vec<Change>,
    renames: Vec<Change>,
    rest: Vec<Change>,
    /// Live names (lowercase) of tables that lose or retype columns.
    reshaped: HashSet<String>,
}

/// The ALTER TABLE statements that turn live table `lt` into target table `tt`.
#[allow(clippy::too_many_arguments)]
fn table_changes(
    from: &Schema,
    to: &Schema,
    lt: &Table,
    tt: &Table,
    mapper: &Mapper,
    out: &mut Phases,
    notes: &mut Vec<String>,
) -> Result<()> {
    let old = lt.name.as_str();
    let new = tt.name.as_str();
    let col_map = mapper.for_tables(std::slice::from_ref(&lt.name));
    let renamed = |c: &str| col_map(&c.to_ascii_lowercase());
    // The target column a live column becomes, if it stays.
    let target_of = |c: &crate::schema::Column| {
        let name = renamed(&c.name).unwrap_or_else(|| c.name.to_ascii_lowercase());
        tt.column(&name).map(|(_, t)| t)
    };
    let dropped: Vec<&crate::schema::Column> = lt
        .columns
        .iter()
        .filter(|c| target_of(c).is_none())
        .collect();
    let is_dropped = |name: &str| dropped.iter().any(|c| c.name.eq_ignore_ascii_case(name));
    let added: Vec<&crate::schema::Column> = tt
        .columns
        .iter()
        .filter(|c| {
            !lt.columns
                .iter()
                .any(|l| target_of(l).is_some_and(|t| t.name.eq_ignore_ascii_case(&c.name)))
        })
        .collect();
    let is_added = |name: &str| added.iter().any(|c| c.name.eq_ignore_ascii_case(name));

    // Constraints: compared by what they say, in table form.
    let live_cons = constraints(lt, mapper, from);
    let target_cons = constraints(tt, &Mapper::default(), to);
    let mut matched = vec![false; target_cons.len()];
    let mut drops = Vec::new();
    for lc in &live_cons {
        if let Some(j) =
            (0..target_cons.len()).find(|&j| !matched[j] && target_cons[j].ident == lc.ident)
        {
            matched[j] = true;
            continue;
        }
        if lc.column.as_deref().is_some_and(is_dropped) {
            continue; // goes with its column
        }
        drops.push(lc);
    }
    for lc in drops {
        let add = if lc.explicit {
            format!("ADD CONSTRAINT {} {}", quote_ident(&lc.name), lc.body)
        } else {
            format!("ADD {}", lc.body)
        };
        out.drops.push(Change::undone_by(
            alter(old, format!("DROP CONSTRAINT {}", quote_ident(&lc.name))),
            alter(old, add),
        ));
    }

    // Renames.
    if !old.eq_ignore_ascii_case(new) {
        out.renames.push(Change::undone_by(
            alter(old, format!("RENAME TO {}", quote_ident(new))),
            alter(new, format!("RENAME TO {}", quote_ident(old))),
        ));
    }
    for c in &lt.columns {
        if let (Some(_), Some(t)) = (renamed(&c.name), target_of(c)) {
            out.renames.push(Change::undone_by(
                alter(
                    new,
                    format!(
                        "RENAME COLUMN {} TO {}",
                        quote_ident(&c.name),
                        quote_ident(&t.name)
                    ),
                ),
                alter(
                    new,
                    format!(
                        "RENAME COLUMN {} TO {}",
                        quote_ident(&t.name),
                        quote_ident(&c.name)
                    ),
                ),
            ));
        }
    }

    // Table options are switched off first and on last, so that a STRICT table's column types
    // and a WITHOUT ROWID table's key are in place when the option is checked.
    let option = |on: bool, which: &str| {
        let (up, down) = match (which, on) {
            ("strict", true) => ("SET STRICT", "SET NOT STRICT"),
            ("strict", false) => ("SET NOT STRICT", "SET STRICT"),
            (_, true) => ("SET WITHOUT ROWID", "SET WITH ROWID"),
            (_, false) => ("SET WITH ROWID", "SET WITHOUT ROWID"),
        };
        Change::undone_by(alter(new, up.to_string()), alter(new, down.to_string()))
    };
    if lt.strict && !tt.strict {
        out.rest.push(option(false, "strict"));
    }
    if lt.without_rowid && !tt.without_rowid {
        out.rest.push(option(false, "rowid"));
    }

    if !dropped.is_empty() {
        out.reshaped.insert(lt.name.to_ascii_lowercase());
    }
    // Columns that go, then columns that come.
    for c in &dropped {
        let generated = c.generated().is_some();
        out.rest.push(Change {
            sql: alter(new, format!("DROP COLUMN {}", quote_ident(&c.name))),
            inverse: vec![alter(new, format!("ADD COLUMN {}", col_def(c)))],
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
    for c in &added {
        out.rest.push(Change::undone_by(
            alter(new, format!("ADD COLUMN {}", col_def(c))),
            alter(new, format!("DROP COLUMN {}", quote_ident(&c.name))),
        ));
    }

    // Columns that change.
    for lc in &lt.columns {
        let Some(tc) = target_of(lc) else { continue };
        let name = tc.name.as_str();
        let q = quote_ident(name);
        if lc.generated().map(|(e, s)| (plain(e), s)) != tc.generated().map(|(e, s)| (plain(e), s))
        {
            if lc.generated().is_some() && tc.generated().is_some() {
                // A generated column holds no data of its own: drop it and add it back.
                out.reshaped.insert(lt.name.to_ascii_lowercase());
                out.rest.push(Change::undone_by(
                    alter(new, format!("DROP COLUMN {q}")),
                    alter(new, format!("ADD COLUMN {}", col_def(lc))),
                ));
                out.rest.push(Change::undone_by(
                    alter(new, format!("ADD COLUMN {}", col_def(tc))),
                    alter(new, format!("DROP COLUMN {q}")),
                ));
                continue;
            }
            return Err(Error::Unsupported {
                what: format!(
                    "column \"{new}\".\"{name}\" changes between stored and generated"
                ),
                statement: tt.stored_sql.clone(),
                hint: "add a new column with the new definition, copy the values, and drop the old one".into(),
            });
        }
        let (lcoll, tcoll) = (collation(lc), collation(tc));
        if norm_type(&lc.type_text) != norm_type(&tc.type_text) || lcoll != tcoll {
            if tc.type_text.trim().is_empty() || lc.type_text.trim().is_empty() {
                notes.push(format!(
                    "column \"{new}\".\"{name}\": declared type \"{}\" -> \"{}\": a column without a declared type has no portable ALTER; rebuild it by hand",
                    lc.type_text, tc.type_text
                ));
            } else {
                out.reshaped.insert(lt.name.to_ascii_lowercase());
                let with = |ty: &str, coll: &Option<String>, other: &Option<String>| {
                    let mut s = format!("ALTER COLUMN {q} TYPE {ty}");
                    if coll != other {
                        s.push_str(" COLLATE ");
                        s.push_str(&quote_ident(coll.as_deref().unwrap_or("default")));
                    }
                    s
                };
                out.rest.push(Change::undone_by(
                    alter(new, with(tc.type_text.trim(), &tcoll, &lcoll)),
                    alter(new, with(lc.type_text.trim(), &lcoll, &tcoll)),
                ));
            }
        }
        if lc.not_null() != tc.not_null() {
            let (up, down) = if tc.not_null() {
                ("SET NOT NULL", "DROP NOT NULL")
            } else {
                ("DROP NOT NULL", "SET NOT NULL")
            };
            out.rest.push(Change::undone_by(
                alter(new, format!("ALTER COLUMN {q} {up}")),
                alter(new, format!("ALTER COLUMN {q} {down}")),
            ));
        }
        let (ld, td) = (lc.default(), tc.default());
        if ld.map(plain) != td.map(plain) {
            let set = |v: Option<&str>| match v {
                Some(v) => format!("ALTER COLUMN {q} SET DEFAULT {v}"),
                None => format!("ALTER COLUMN {q} DROP DEFAULT"),
            };
            out.rest
                .push(Change::undone_by(alter(new, set(td)), alter(new, set(ld))));
        }
        let auto = |t: &Table| t.autoincrement();
        if auto(lt) != auto(tt) && lc.name.eq_ignore_ascii_case(&lt.primary_key().concat()) {
            notes.push(format!(
                "table \"{new}\": AUTOINCREMENT differs; it has no portable ALTER and is left as it is"
            ));
        }
    }

    // Constraints that come (those written on new columns come with them).
    for (j, tc) in target_cons.iter().enumerate() {
        if matched[j] || tc.column.as_deref().is_some_and(is_added) {
            continue;
        }
        let add = if tc.explicit {
            format!("ADD CONSTRAINT {} {}", quote_ident(&tc.name), tc.body)
        } else {
            format!("ADD {}", tc.body)
        };
        out.rest.push(Change::undone_by(
            alter(new, add),
            alter(new, format!("DROP CONSTRAINT {}", quote_ident(&tc.name))),
        ));
    }
    if !lt.without_rowid && tt.without_rowid {
        out.rest.push(option(true, "rowid"));
    }
    if !lt.strict && tt.strict {
        out.rest.push(option(true, "strict"));
    }
    let live_order: Vec<String> = lt
        .columns
        .iter()
        .filter_map(|c| target_of(c).map(|t| t.name.to_ascii_lowercase()))
        .collect();
    let target_order: Vec<String> = tt
        .columns
        .iter()
        .filter(|c| !is_added(&c.name))
        .map(|c| c.name.to_ascii_lowercase())
        .collect();
    let new_at_end = tt
        .columns
        .iter()
        .skip_while(|c| !is_added(&c.name))
        .all(|c| is_added(&c.name));
    if live_order != target_order || !new_at_end {
        notes.push(format!(
            "table \"{new}\": the column order differs from the schema; ALTER TABLE adds columns at the end on SQLite and PostgreSQL alike, so the order is left as it is"
        ));
    }
    Ok(())
}
