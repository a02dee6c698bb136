//! The schema model: tables (columns and constraints), indexes, triggers and views, parsed from
//! their SQL text and rendered back to SQL. Dialect-neutral: each database side reads its live
//! schema into this model (`crate::sqlite::read` for SQLite).
//!
//! Every piece keeps the exact text it was written with. A table is stored as its `CREATE TABLE`
//! head, one item per column or table constraint (each with the whitespace and comments before
//! it), and its tail (`STRICT`, `WITHOUT ROWID`). Rendering an unmodified table gives back the
//! original text byte for byte; a modified column or constraint is re-rendered on its own, so
//! comments and formatting elsewhere survive a rebuild.

mod parse;

pub use parse::{parse_column_def, parse_create_table, parse_table_constraint};

use crate::sql::{ends_in_line_comment, needs_space, quote_ident};
use indexmap::IndexMap;

/// A whole database schema, in creation order.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Ordinary tables by name (virtual tables and internal tables excluded).
    pub tables: IndexMap<String, Table>,
    /// Indexes by name, including SQLite's automatic ones (whose `sql` is `None`).
    pub indexes: IndexMap<String, Index>,
    /// Triggers by name.
    pub triggers: IndexMap<String, Trigger>,
    /// Views by name.
    pub views: IndexMap<String, View>,
    /// Virtual tables (FTS5, R*Tree, ...) by name: kit reads them but never rebuilds them.
    /// Their shadow tables are here too, as read (see [`Schema::shadow_owner`]).
    pub virtual_tables: IndexMap<String, String>,
}

impl Schema {
    /// Finds a table by name, case-insensitively as SQLite does.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name).or_else(|| {
            self.tables
                .values()
                .find(|t| t.name.eq_ignore_ascii_case(name))
        })
    }

    /// Indexes on `table` (case-insensitive), in creation order.
    pub fn indexes_on<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Index> + 'a {
        self.indexes
            .values()
            .filter(move |i| i.table.eq_ignore_ascii_case(table))
    }

    /// Triggers attached to `table`, in creation order.
    pub fn triggers_on<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Trigger> + 'a {
        self.triggers
            .values()
            .filter(move |t| t.table.eq_ignore_ascii_case(table))
    }

    /// The virtual table that owns `name` as one of its shadow tables (FTS3/4/5, R*Tree,
    /// Geopoly store their data in ordinary tables named `<virtual table>_<suffix>`), if any.
    /// Changing such a table directly corrupts the virtual table.
    pub fn shadow_owner(&self, name: &str) -> Option<&str> {
        let lower = name.to_ascii_lowercase();
        self.virtual_tables.iter().find_map(|(vt, sql)| {
            let suffix = lower
                .strip_prefix(&vt.to_ascii_lowercase())?
                .strip_prefix('_')?
                .to_string();
            shadow_suffixes(sql)
                .contains(&suffix.as_str())
                .then_some(vt.as_str())
        })
    }

    /// True when any object (table, index, view, trigger) has this name.
    pub fn name_taken(&self, name: &str) -> bool {
        let eq = |n: &String| n.eq_ignore_ascii_case(name);
        self.tables.keys().any(eq)
            || self.indexes.keys().any(eq)
            || self.triggers.keys().any(eq)
            || self.views.keys().any(eq)
            || self.virtual_tables.keys().any(eq)
    }
}

/// The shadow-table suffixes of the module a `CREATE VIRTUAL TABLE` statement uses.
fn shadow_suffixes(sql: &str) -> &'static [&'static str] {
    let module = crate::sql::lex(sql).ok().and_then(|toks| {
        let at = toks.iter().position(|t| t.is_kw(sql, "using"))?;
        toks.get(at + 1).map(|t| t.text(sql).to_ascii_lowercase())
    });
    match module.as_deref() {
        Some("fts5") => &["data", "idx", "content", "docsize", "config"],
        Some("fts3" | "fts4") => &["content", "segments", "segdir", "docsize", "stat"],
        Some("rtree" | "rtree_i32" | "geopoly") => &["node", "parent", "rowid"],
        _ => &[],
    }
}

/// A table: its parsed definition and the pieces of its original text.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The table's name.
    pub name: String,
    /// The `CREATE TABLE` text as SQLite stored it when read (not updated by edits to the model).
    pub stored_sql: String,
    /// Text up to and including the opening parenthesis, e.g. `CREATE TABLE users (`.
    pub head: String,
    /// Columns, in order.
    pub columns: Vec<Column>,
    /// Table constraints, in order.
    pub constraints: Vec<TableConstraint>,
    /// Whitespace and comments between the last item and the closing parenthesis.
    pub trailing: String,
    /// Text after the closing parenthesis, e.g. ` STRICT, WITHOUT ROWID`.
    pub tail: String,
    /// `STRICT` table.
    pub strict: bool,
    /// `WITHOUT ROWID` table.
    pub without_rowid: bool,
}

/// A column definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Whitespace and comments before the definition.
    pub leading: String,
    /// A comment on the same line after this item's comma (e.g. ` -- the id`), kept with it.
    pub comment: String,
    /// The column's name.
    pub name: String,
    /// The name as written (with its quoting); `None` to quote `name`.
    pub name_text: Option<String>,
    /// Whitespace and comments between the name and the type, as written.
    pub type_gap: String,
    /// The declared type exactly as written (empty when none).
    pub type_text: String,
    /// Column constraints, in order.
    pub constraints: Vec<ColumnConstraint>,
    /// Whitespace and comments after the definition, before its comma.
    pub precomma: String,
}

/// One column constraint with its original text (including `CONSTRAINT name`).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnConstraint {
    /// Whitespace and comments before the constraint, as written.
    pub gap: String,
    /// The explicit name, if written.
    pub name: Option<String>,
    /// What the constraint is.
    pub kind: ColumnConstraintKind,
    /// The exact text.
    pub text: String,
}

/// The kinds of column constraint SQLite accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnConstraintKind {
    /// `PRIMARY KEY [ASC|DESC] [AUTOINCREMENT]`.
    PrimaryKey {
        /// `AUTOINCREMENT` was written.
        autoincrement: bool,
        /// `DESC` was written (then an INTEGER column is not a rowid alias).
        desc: bool,
    },
    /// `NOT NULL`.
    NotNull,
    /// `NULL` (accepted and ignored by SQLite).
    Null,
    /// `UNIQUE`.
    Unique,
    /// `CHECK (expr)`: the expression text without the parentheses.
    Check(String),
    /// `DEFAULT value`: the value exactly as written (with its parentheses if any).
    Default(String),
    /// `COLLATE name`.
    Collate(String),
    /// `REFERENCES ...`.
    References(ForeignKeyRef),
    /// `[GENERATED ALWAYS] AS (expr) [STORED|VIRTUAL]`.
    Generated {
        /// The expression text without the parentheses.
        expr: String,
        /// `STORED` (otherwise VIRTUAL).
        stored: bool,
    },
}

/// The target of a foreign key.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKeyRef {
    /// The parent table.
    pub table: String,
    /// The parent columns (empty: the parent's primary key).
    pub columns: Vec<String>,
}

/// A table constraint with its original text.
#[derive(Debug, Clone, PartialEq)]
pub struct TableConstraint {
    /// Whitespace and comments before it.
    pub leading: String,
    /// A comment on the same line after this item's comma, kept with it.
    pub comment: String,
    /// The explicit name, if written.
    pub name: Option<String>,
    /// What the constraint is.
    pub kind: TableConstraintKind,
    /// The exact text.
    pub text: String,
    /// Whitespace and comments after the constraint, before its comma.
    pub precomma: String,
    /// Written right after the previous table constraint without a comma (SQLite accepts
    /// that), and rendered so while a table constraint precedes it.
    pub no_comma: bool,
}

/// The kinds of table constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum TableConstraintKind {
    /// `PRIMARY KEY (cols)`.
    PrimaryKey(Vec<String>),
    /// `UNIQUE (cols)`.
    Unique(Vec<String>),
    /// `CHECK (expr)`: the expression without the parentheses.
    Check(String),
    /// `FOREIGN KEY (cols) REFERENCES ...`.
    ForeignKey {
        /// The child columns.
        columns: Vec<String>,
        /// The parent.
        refs: ForeignKeyRef,
    },
}

/// An index.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// The index name.
    pub name: String,
    /// The table it indexes.
    pub table: String,
    /// The original `CREATE INDEX` text; `None` for SQLite's automatic indexes.
    pub sql: Option<String>,
    /// Key column names (`None` for an expression).
    pub columns: Vec<Option<String>>,
}

/// A trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// The trigger name.
    pub name: String,
    /// The table (or view) it is attached to.
    pub table: String,
    /// The original `CREATE TRIGGER` text.
    pub sql: String,
}

/// A view.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// The view name.
    pub name: String,
    /// The original `CREATE VIEW` text.
    pub sql: String,
}

/// A constraint of a table as PostgreSQL would name it, wherever it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedConstraint {
    /// The explicit name, or PostgreSQL's default name.
    pub name: String,
    /// Where it lives.
    pub place: ConstraintPlace,
}

/// Where a constraint is written in a table definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintPlace {
    /// Column `column`'s constraint number `index`.
    Column {
        /// Column position.
        column: usize,
        /// Constraint position within the column.
        index: usize,
    },
    /// Table constraint number `index`.
    Table {
        /// Position among table constraints.
        index: usize,
    },
}

impl Column {
    /// A new column from its parts (text rendered on demand).
    pub fn has(&self, f: impl Fn(&ColumnConstraintKind) -> bool) -> bool {
        self.constraints.iter().any(|c| f(&c.kind))
    }

    /// True when the column is `NOT NULL`.
    pub fn not_null(&self) -> bool {
        self.has(|k| matches!(k, ColumnConstraintKind::NotNull))
    }

    /// The default value text, if any.
    pub fn default(&self) -> Option<&str> {
        self.constraints.iter().find_map(|c| match &c.kind {
            ColumnConstraintKind::Default(d) => Some(d.as_str()),
            _ => None,
        })
    }

    /// The generated-column expression, if this is a generated column.
    pub fn generated(&self) -> Option<(&str, bool)> {
        self.constraints.iter().find_map(|c| match &c.kind {
            ColumnConstraintKind::Generated { expr, stored } => Some((expr.as_str(), *stored)),
            _ => None,
        })
    }

    /// The definition text, from its parts with the whitespace and comments between them.
    pub fn render(&self) -> String {
        let mut s = self
            .name_text
            .clone()
            .unwrap_or_else(|| quote_ident(&self.name));
        if !self.type_text.is_empty() {
            push_spaced(&mut s, &self.type_gap, &self.type_text);
        }
        for c in &self.constraints {
            push_spaced(&mut s, &c.gap, &c.text);
        }
        s
    }

    /// Sets the declared type (with a space before it when the column had none).
    pub fn set_type(&mut self, type_text: &str) {
        if self.type_gap.is_empty() {
            self.type_gap = " ".into();
        }
        self.type_text = type_text.to_string();
    }

    /// Adds a constraint at the end of the definition.
    pub fn push_constraint(&mut self, kind: ColumnConstraintKind, text: impl Into<String>) {
        self.constraints.push(ColumnConstraint {
            gap: " ".into(),
            name: None,
            kind,
            text: text.into(),
        });
    }
}

/// Appends `gap` and `text` to `s`. An empty gap stays empty (as parsed from `INT(5)NOT NULL`)
/// unless the two sides would then run together, as after an edit (`INT` + `NOT`).
fn push_spaced(s: &mut String, gap: &str, text: &str) {
    if !gap.is_empty() {
        s.push_str(gap);
    } else if needs_space(s, text) {
        s.push(' ');
    }
    s.push_str(text);
}

impl Table {
    /// The column named `name` (case-insensitive) and its position.
    pub fn column(&self, name: &str) -> Option<(usize, &Column)> {
        self.columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name.eq_ignore_ascii_case(name))
    }

    /// The `CREATE TABLE` statement for the current definition.
    pub fn render(&self) -> String {
        let mut s = self.head.clone();
        let columns = self.columns.iter().map(|c| {
            let text = c.render();
            (
                c.leading.as_str(),
                text,
                c.precomma.as_str(),
                c.comment.as_str(),
                false,
            )
        });
        let constraints = self.constraints.iter().map(|c| {
            let text = c.text.clone();
            (
                c.leading.as_str(),
                text,
                c.precomma.as_str(),
                c.comment.as_str(),
                c.no_comma,
            )
        });
        let mut prev_comment = "";
        for (i, (leading, text, precomma, comment, no_comma)) in
            columns.chain(constraints).enumerate()
        {
            if i > 0 {
                // Without its comma only after another table constraint, never after a column.
                if !(no_comma && i > self.columns.len()) {
                    s.push(',');
                }
                s.push_str(prev_comment);
                if ends_in_line_comment(prev_comment) && !leading.starts_with('\n') {
                    s.push('\n');
                }
            }
            s.push_str(leading);
            s.push_str(&text);
            s.push_str(precomma);
            if ends_in_line_comment(precomma) {
                s.push('\n');
            }
            prev_comment = comment;
        }
        s.push_str(prev_comment);
        if ends_in_line_comment(prev_comment) && !self.trailing.starts_with('\n') {
            s.push('\n');
        }
        s.push_str(&self.trailing);
        s.push(')');
        s.push_str(&self.tail);
        s
    }

    /// Leading whitespace to use for a new item, copied from the last column.
    pub fn new_item_leading(&self) -> String {
        match self.columns.last() {
            Some(c) if c.leading.contains('\n') => {
                let indent: String = c
                    .leading
                    .rsplit('\n')
                    .next()
                    .unwrap_or("")
                    .chars()
                    .filter(|c| *c == ' ' || *c == '\t')
                    .collect();
                format!("\n{indent}")
            }
            _ => " ".to_string(),
        }
    }

    /// Primary key column names, from a column or a table constraint.
    pub fn primary_key(&self) -> Vec<String> {
        for c in &self.columns {
            if c.has(|k| matches!(k, ColumnConstraintKind::PrimaryKey { .. })) {
                return vec![c.name.clone()];
            }
        }
        for c in &self.constraints {
            if let TableConstraintKind::PrimaryKey(cols) = &c.kind {
                return cols.clone();
            }
        }
        vec![]
    }

    /// The column that aliases the rowid (`INTEGER PRIMARY KEY`, not DESC), if any.
    pub fn rowid_alias(&self) -> Option<&Column> {
        if self.without_rowid {
            return None;
        }
        let pk = self.primary_key();
        if pk.len() != 1 {
            return None;
        }
        let (_, col) = self.column(&pk[0])?;
        let is_integer = col.type_text.eq_ignore_ascii_case("integer");
        let desc = col
            .constraints
            .iter()
            .any(|c| matches!(c.kind, ColumnConstraintKind::PrimaryKey { desc: true, .. }));
        (is_integer && !desc).then_some(col)
    }

    /// True when the table uses `AUTOINCREMENT`.
    pub fn autoincrement(&self) -> bool {
        self.columns.iter().any(|c| {
            c.has(|k| {
                matches!(
                    k,
                    ColumnConstraintKind::PrimaryKey {
                        autoincrement: true,
                        ..
                    }
                )
            })
        })
    }

    /// A name under which the rowid can be read (`rowid`, `_rowid_` or `oid` not shadowed by a
    /// column), or `None` for WITHOUT ROWID tables and when all three are column names.
    pub fn rowid_name(&self) -> Option<&'static str> {
        if self.without_rowid {
            return None;
        }
        ["rowid", "_rowid_", "oid"]
            .into_iter()
            .find(|n| self.column(n).is_none())
    }

    /// Every constraint with its explicit or PostgreSQL default name, in definition order.
    pub fn named_constraints(&self) -> Vec<NamedConstraint> {
        let mut taken: Vec<String> = self
            .columns
            .iter()
            .flat_map(|c| c.constraints.iter().filter_map(|k| k.name.clone()))
            .chain(self.constraints.iter().filter_map(|c| c.name.clone()))
            .map(|n| n.to_lowercase())
            .collect();
        let mut out = Vec::new();
        let pick = |explicit: &Option<String>, base: String, taken: &mut Vec<String>| -> String {
            if let Some(n) = explicit {
                return n.clone();
            }
            let mut name = base.clone();
            let mut n = 0;
            while taken.contains(&name.to_lowercase()) {
                n += 1;
                name = format!("{base}{n}");
            }
            taken.push(name.to_lowercase());
            name
        };
        let t = &self.name;
        for (ci, col) in self.columns.iter().enumerate() {
            for (ki, k) in col.constraints.iter().enumerate() {
                let base = match &k.kind {
                    ColumnConstraintKind::PrimaryKey { .. } => format!("{t}_pkey"),
                    ColumnConstraintKind::Unique => format!("{t}_{}_key", col.name),
                    ColumnConstraintKind::Check(_) => format!("{t}_{}_check", col.name),
                    ColumnConstraintKind::References(_) => format!("{t}_{}_fkey", col.name),
                    _ => continue,
                };
                let name = pick(&k.name, base, &mut taken);
                out.push(NamedConstraint {
                    name,
                    place: ConstraintPlace::Column {
                        column: ci,
                        index: ki,
                    },
                });
            }
        }
        for (i, c) in self.constraints.iter().enumerate() {
            let base = match &c.kind {
                TableConstraintKind::PrimaryKey(_) => format!("{t}_pkey"),
                TableConstraintKind::Unique(cols) => format!("{t}_{}_key", cols.join("_")),
                TableConstraintKind::Check(expr) => {
                    let used: Vec<&Column> = self
                        .columns
                        .iter()
                        .filter(|col| crate::sql::mentions(expr, &col.name))
                        .collect();
                    if used.len() == 1 {
                        format!("{t}_{}_check", used[0].name)
                    } else {
                        format!("{t}_check")
                    }
                }
                TableConstraintKind::ForeignKey { columns, .. } => {
                    format!("{t}_{}_fkey", columns.join("_"))
                }
            };
            let name = pick(&c.name, base, &mut taken);
            out.push(NamedConstraint {
                name,
                place: ConstraintPlace::Table { index: i },
            });
        }
        out
    }

    /// Foreign keys of this table: (child columns, parent reference).
    pub fn foreign_keys(&self) -> Vec<(Vec<String>, &ForeignKeyRef)> {
        let mut out = Vec::new();
        for c in &self.columns {
            for k in &c.constraints {
                if let ColumnConstraintKind::References(r) = &k.kind {
                    out.push((vec![c.name.clone()], r));
                }
            }
        }
        for c in &self.constraints {
            if let TableConstraintKind::ForeignKey { columns, refs } = &c.kind {
                out.push((columns.clone(), refs));
            }
        }
        out
    }
}
