//! Logical parity: do a SQLite schema and a PostgreSQL schema made from the same migration
//! files (or schema file) mean the same? Dialect-neutral: each side's [`Schema`] (as its own
//! reader read it) becomes a [`LogicalSchema`] by that dialect's rules
//! ([`LogicalSchema::from_sqlite`], [`LogicalSchema::from_postgres`]), and [`compare`] lists
//! every [`Difference`], naming the object and both sides.
//!
//! What is compared (names ASCII-lowercased, as kit's translation folds them):
//!
//! - **Tables** and **columns** on one side only (kit's own tables left out). Column order is
//!   not compared (`ADD COLUMN` appends on both).
//! - A column's **type class**: integer, real/numeric, text, case-insensitive text,
//!   blob/bytea, boolean, date/time, or (SQLite) any. SQLite's side follows its affinity rules
//!   (a type name containing `INT` is integer; `CHAR`, `CLOB` or `TEXT` text; `BLOB` blob;
//!   `REAL`, `FLOA` or `DOUB` real; anything else numeric), after three name rules for what
//!   NUMERIC affinity would misclass: `BOOLEAN`/`BOOL` are boolean, names with `DATE` or `TIME`
//!   date/time, `JSON` and `UUID` text. No declared type (or `ANY`) is *any*: such a column
//!   holds any value on SQLite and is typed on PostgreSQL, which is reported. PostgreSQL's side
//!   follows the type name (`format_type`); `json`, `jsonb`, `uuid` and `xml` are text, other
//!   types (arrays, enums, `interval`, ...) are their own class. `COLLATE NOCASE` on SQLite
//!   and the `kit_nocase` collation (or `citext`) on PostgreSQL make text case-insensitive
//!   text, so a NOCASE column translated by kit compares equal and a hand-written
//!   PostgreSQL column without it does not.
//! - **Nullability**: `NOT NULL`, plus what each database implies: on PostgreSQL every
//!   primary-key column; on SQLite an `INTEGER PRIMARY KEY`, and the primary key of a `STRICT`
//!   or `WITHOUT ROWID` table. SQLite lets the primary key of any other table hold NULL, which
//!   PostgreSQL refuses, so such a column is reported (declare it `NOT NULL`).
//! - **Defaults**, by presence and kind: none, a value, or a generated key. `DEFAULT NULL` is
//!   no default. SQLite's `INTEGER PRIMARY KEY` (with or without `AUTOINCREMENT`) is a
//!   generated key, as is a PostgreSQL identity or `nextval(..)` default; AUTOINCREMENT
//!   itself is not a difference (kit's identity never reuses ids either). `GENERATED ALWAYS`
//!   is a generated key that refuses explicit values, which SQLite accepts, so it differs
//!   from SQLite's key. A generated column's presence is compared too.
//! - **Constraints** by name and kind: primary key and unique with their columns, check,
//!   foreign key with its columns, the parent table and columns (a bare `REFERENCES p` is p's
//!   primary key), `ON DELETE` / `ON UPDATE` actions and `DEFERRABLE INITIALLY DEFERRED`.
//!   SQLite's unnamed constraints are named as PostgreSQL names them
//!   ([`Table::named_constraints`], over-long names shortened as PostgreSQL shortens them).
//!   A constraint whose name differs while its definition matches one on the other side (the
//!   trap after a table or column rename: PostgreSQL keeps the old default name, kit's SQLite
//!   name follows the new one) is reported as a name difference with the fix. A CHECK's
//!   expression is not compared (the dialects spell expressions differently).
//! - **Indexes** by name: the table, the key columns (with their case-insensitivity) or, for
//!   an expression, the columns it uses, uniqueness and whether it is partial.
//! - **Views** by name.
//!
//! Not compared: triggers (their bodies are written per dialect), CHECK and default
//! expressions, STRICT and WITHOUT ROWID, and values. Parity sees the schema, not the rows: an
//! `INTEGER` column given a narrower PostgreSQL type (`-- kit:postgresql-type integer`) is
//! integer on both sides, and a value beyond 32 bits fails only when it is inserted (a
//! migration's own INSERT shows up as a statement PostgreSQL rejects during the replay).
//! Likewise `COLLATE NOCASE` folds ASCII letters only while `kit_nocase` folds all of them, so
//! values differing only in the case of a non-ASCII letter are distinct on SQLite and
//! duplicates on PostgreSQL: parity cannot see that.

use crate::diff::KIT_TABLES;
use crate::schema::{
    ColumnConstraintKind, ConstraintPlace, ForeignKeyRef, Index, NamedConstraint, Schema, Table,
    TableConstraintKind,
};
use crate::sql::{
    clip, close_of, lex, mentions, pg_object_name, quote_ident, split_top, strip_parens, Tok,
    Token, PG_NAME_LIMIT,
};
use indexmap::IndexMap;
use std::fmt;

/// The logical content of a schema that parity compares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogicalSchema {
    /// Tables by lowercase name.
    pub tables: IndexMap<String, LogicalTable>,
    /// Indexes (not those that implement a constraint) by lowercase name.
    pub indexes: IndexMap<String, LogicalIndex>,
    /// View names, lowercase.
    pub views: Vec<String>,
}

/// A table's columns and constraints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogicalTable {
    /// The lowercase name.
    pub name: String,
    /// Columns by lowercase name, in order.
    pub columns: IndexMap<String, LogicalColumn>,
    /// Constraints, in definition order.
    pub constraints: Vec<LogicalConstraint>,
}

/// What parity compares of a column.
#[derive(Debug, Clone, PartialEq)]
pub struct LogicalColumn {
    /// The lowercase name.
    pub name: String,
    /// The kind of values it holds.
    pub class: TypeClass,
    /// NULL refused (declared, or implied by the database).
    pub not_null: bool,
    /// Part of the table's primary key.
    pub primary_key: bool,
    /// What it gets when an insert gives no value.
    pub default: DefaultKind,
    /// A generated (computed) column.
    pub generated: bool,
}

/// The kind of values a column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeClass {
    /// Integers.
    Integer,
    /// Floating-point and exact numbers.
    Real,
    /// Text compared case-sensitively.
    Text,
    /// Text compared case-insensitively (SQLite's NOCASE, PostgreSQL's `kit_nocase` or
    /// `citext`).
    CaseInsensitiveText,
    /// Bytes.
    Blob,
    /// Booleans.
    Boolean,
    /// Dates, times and timestamps.
    DateTime,
    /// Anything (a SQLite column without a declared type, or `ANY`).
    Any,
    /// A PostgreSQL type of no other class, e.g. `integer[]`.
    Other(String),
}

/// What a column gets when an insert gives it no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultKind {
    /// NULL (no default, or `DEFAULT NULL`).
    None,
    /// The value of a default expression.
    Value,
    /// A key the database generates (SQLite's INTEGER PRIMARY KEY, an identity, a sequence).
    Key {
        /// False for `GENERATED ALWAYS`, which refuses values given explicitly.
        explicit_values: bool,
    },
}

/// A constraint by name and kind.
#[derive(Debug, Clone, PartialEq)]
pub struct LogicalConstraint {
    /// The name (PostgreSQL's default name for SQLite's unnamed ones), lowercase.
    pub name: String,
    /// What it is.
    pub kind: ConstraintKind,
}

/// The kinds of constraint, with what parity compares of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstraintKind {
    /// `PRIMARY KEY (columns)`.
    PrimaryKey(Vec<String>),
    /// `UNIQUE (columns)`.
    Unique(Vec<String>),
    /// `CHECK (..)` (the expression is not compared).
    Check,
    /// `FOREIGN KEY (..) REFERENCES ..`.
    ForeignKey(ForeignKey),
}

/// A foreign key's columns, target and actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    /// The child columns, lowercase.
    pub columns: Vec<String>,
    /// The parent table, lowercase.
    pub table: String,
    /// The parent columns (the parent's primary key when not written), lowercase.
    pub references: Vec<String>,
    /// The `ON DELETE` action, upper case (`NO ACTION` when not written).
    pub on_delete: String,
    /// The `ON UPDATE` action, upper case (`NO ACTION` when not written).
    pub on_update: String,
    /// `DEFERRABLE INITIALLY DEFERRED`.
    pub deferred: bool,
}

/// An index: its table, keys, uniqueness and whether it is partial.
#[derive(Debug, Clone, PartialEq)]
pub struct LogicalIndex {
    /// The lowercase name.
    pub name: String,
    /// The table, lowercase.
    pub table: String,
    /// The keys, in order.
    pub keys: Vec<IndexKey>,
    /// `UNIQUE`.
    pub unique: bool,
    /// Has a `WHERE` predicate.
    pub partial: bool,
}

/// One key of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexKey {
    /// A column, and whether the index compares it case-insensitively.
    Column {
        /// The lowercase column name.
        name: String,
        /// Compared case-insensitively (the key's collation, else the column's).
        case_insensitive: bool,
    },
    /// An expression, by the columns it uses (lowercase, sorted).
    Expression(Vec<String>),
}

/// Which side of the comparison a schema is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Sqlite,
    Postgres,
}

impl LogicalSchema {
    /// The logical schema of a SQLite schema (as `sqlite::read` reads it).
    pub fn from_sqlite(schema: &Schema) -> LogicalSchema {
        build(schema, Side::Sqlite)
    }

    /// The logical schema of a PostgreSQL schema (as `postgres::read` reads it).
    pub fn from_postgres(schema: &Schema) -> LogicalSchema {
        build(schema, Side::Postgres)
    }
}

/// ASCII-lowercase, as kit's translation folds names.
fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// True for kit's own tables.
fn is_kit_table(name: &str) -> bool {
    KIT_TABLES.iter().any(|k| k.eq_ignore_ascii_case(name))
}

fn build(schema: &Schema, side: Side) -> LogicalSchema {
    let mut out = LogicalSchema::default();
    for t in schema.tables.values().filter(|t| !is_kit_table(&t.name)) {
        out.tables.insert(lower(&t.name), table(t, schema, side));
    }
    for i in schema.indexes.values().filter(|i| !is_kit_table(&i.table)) {
        let Some(sql) = &i.sql else { continue }; // SQLite's automatic indexes
        out.indexes
            .insert(lower(&i.name), index(i, sql, schema.table(&i.table), side));
    }
    out.views = schema.views.values().map(|v| lower(&v.name)).collect();
    out
}

fn table(t: &Table, schema: &Schema, side: Side) -> LogicalTable {
    let columns = (0..t.columns.len())
        .map(|ci| column(t, ci, side))
        .map(|c| (c.name.clone(), c))
        .collect();
    LogicalTable {
        name: lower(&t.name),
        columns,
        constraints: constraints(t, schema, side),
    }
}

fn column(t: &Table, ci: usize, side: Side) -> LogicalColumn {
    let col = &t.columns[ci];
    let pk = t
        .primary_key()
        .iter()
        .any(|k| k.eq_ignore_ascii_case(&col.name));
    let rowid_key = side == Side::Sqlite && t.rowid_alias().is_some_and(|c| c.name == col.name);
    let implied_not_null = match side {
        Side::Postgres => pk,
        Side::Sqlite => rowid_key || (pk && (t.strict || t.without_rowid)),
    };
    let class = match side {
        Side::Sqlite => sqlite_class(&col.type_text),
        Side::Postgres => pg_class(&col.type_text),
    };
    let class = match (class, column_ci(col)) {
        (TypeClass::Text, true) => TypeClass::CaseInsensitiveText,
        (c, _) => c,
    };
    let default = if rowid_key {
        DefaultKind::Key {
            explicit_values: true,
        }
    } else {
        col.default()
            .map_or(DefaultKind::None, |d| default_kind(d, side))
    };
    LogicalColumn {
        name: lower(&col.name),
        class,
        not_null: col.not_null() || implied_not_null,
        primary_key: pk,
        default,
        generated: col.generated().is_some(),
    }
}

/// True for collations that compare case-insensitively (SQLite's and kit's PostgreSQL one).
fn ci_collation(name: &str) -> bool {
    ["nocase", "kit_nocase"].contains(&lower(name).as_str())
}

/// True when the column's own collation is case-insensitive.
fn column_ci(col: &crate::schema::Column) -> bool {
    col.constraints.iter().any(|k| match &k.kind {
        ColumnConstraintKind::Collate(c) => ci_collation(c),
        _ => false,
    })
}

/// The type name without its size, upper case, single-spaced.
fn base_name(type_text: &str) -> String {
    let base = type_text.split('(').next().unwrap_or("");
    base.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase()
}

/// The class of a SQLite declared type (see the module documentation).
pub fn sqlite_class(type_text: &str) -> TypeClass {
    let name = base_name(type_text);
    let has = |s: &str| name.contains(s);
    match name.as_str() {
        "" | "ANY" => return TypeClass::Any,
        "BOOLEAN" | "BOOL" => return TypeClass::Boolean,
        "JSON" | "UUID" => return TypeClass::Text,
        _ if has("DATE") || has("TIME") => return TypeClass::DateTime,
        _ => {}
    }
    if has("INT") {
        TypeClass::Integer
    } else if has("CHAR") || has("CLOB") || has("TEXT") {
        TypeClass::Text
    } else if has("BLOB") {
        TypeClass::Blob
    } else {
        TypeClass::Real // REAL, FLOA, DOUB, and NUMERIC affinity
    }
}

/// The class of a PostgreSQL type as `format_type` writes it.
pub fn pg_class(type_text: &str) -> TypeClass {
    let t = type_text.trim().to_ascii_lowercase();
    // A type of another schema is qualified (`public.citext`): its name is what counts.
    let t = match t.rsplit_once('.') {
        Some((_, name)) if !t.contains('(') => name.to_string(),
        _ => t,
    };
    if t.ends_with(']') {
        return TypeClass::Other(t);
    }
    let base = t.split('(').next().unwrap_or("").trim().to_string();
    match base.as_str() {
        "smallint" | "integer" | "bigint" | "int2" | "int4" | "int8" | "int" => TypeClass::Integer,
        "numeric" | "decimal" | "real" | "double precision" | "float4" | "float8" => {
            TypeClass::Real
        }
        "text" | "character varying" | "varchar" | "character" | "char" | "\"char\"" | "name"
        | "json" | "jsonb" | "uuid" | "xml" => TypeClass::Text,
        "citext" => TypeClass::CaseInsensitiveText,
        "bytea" => TypeClass::Blob,
        "boolean" | "bool" => TypeClass::Boolean,
        "date" | "timestamptz" | "timetz" => TypeClass::DateTime,
        b if b.starts_with("timestamp") || b.starts_with("time ") || b == "time" => {
            TypeClass::DateTime
        }
        _ => TypeClass::Other(t),
    }
}

/// What a default expression gives (see the module documentation for PostgreSQL's identity).
fn default_kind(default: &str, side: Side) -> DefaultKind {
    let d = strip_parens(default);
    let upper = d.to_ascii_uppercase();
    let is_null = upper == "NULL" || (side == Side::Postgres && upper.starts_with("NULL::"));
    if is_null {
        return DefaultKind::None;
    }
    if side == Side::Postgres {
        if upper.starts_with("GENERATED ") && upper.contains(" AS IDENTITY") {
            return DefaultKind::Key {
                explicit_values: !upper.starts_with("GENERATED ALWAYS"),
            };
        }
        if upper.starts_with("NEXTVAL(") {
            return DefaultKind::Key {
                explicit_values: true,
            };
        }
    }
    DefaultKind::Value
}

/// Every constraint of `t`, named as PostgreSQL names it.
fn constraints(t: &Table, schema: &Schema, side: Side) -> Vec<LogicalConstraint> {
    let mut out = Vec::new();
    for nc in t.named_constraints() {
        let Some((explicit, kind)) = constraint_kind(t, schema, nc.place) else {
            continue;
        };
        let name = match side {
            Side::Postgres => lower(&nc.name),
            Side::Sqlite => pg_name(t, &nc, explicit, &kind),
        };
        out.push(LogicalConstraint { name, kind });
    }
    out
}

/// Whether the constraint at `place` is explicitly named, and what it is.
fn constraint_kind(
    t: &Table,
    schema: &Schema,
    place: ConstraintPlace,
) -> Option<(bool, ConstraintKind)> {
    let lowers = |v: &[String]| v.iter().map(|c| lower(c)).collect::<Vec<_>>();
    match place {
        ConstraintPlace::Column { column, index } => {
            let col = t.columns.get(column)?;
            let k = col.constraints.get(index)?;
            let one = vec![lower(&col.name)];
            let kind = match &k.kind {
                ColumnConstraintKind::PrimaryKey { .. } => ConstraintKind::PrimaryKey(one),
                ColumnConstraintKind::Unique => ConstraintKind::Unique(one),
                ColumnConstraintKind::Check(_) => ConstraintKind::Check,
                ColumnConstraintKind::References(r) => ConstraintKind::ForeignKey(foreign_key(
                    std::slice::from_ref(&col.name),
                    r,
                    &k.text,
                    t,
                    schema,
                )),
                _ => return None,
            };
            Some((k.name.is_some(), kind))
        }
        ConstraintPlace::Table { index } => {
            let c = t.constraints.get(index)?;
            let kind = match &c.kind {
                TableConstraintKind::PrimaryKey(cols) => ConstraintKind::PrimaryKey(lowers(cols)),
                TableConstraintKind::Unique(cols) => ConstraintKind::Unique(lowers(cols)),
                TableConstraintKind::Check(_) => ConstraintKind::Check,
                TableConstraintKind::ForeignKey { columns, refs } => {
                    ConstraintKind::ForeignKey(foreign_key(columns, refs, &c.text, t, schema))
                }
            };
            Some((c.name.is_some(), kind))
        }
    }
}

/// A foreign key's logical form; `text` is the constraint's text (for its actions).
fn foreign_key(
    columns: &[String],
    r: &ForeignKeyRef,
    text: &str,
    t: &Table,
    schema: &Schema,
) -> ForeignKey {
    let references = if r.columns.is_empty() {
        let parent = if r.table.eq_ignore_ascii_case(&t.name) {
            Some(t)
        } else {
            schema.table(&r.table)
        };
        parent.map(Table::primary_key).unwrap_or_default()
    } else {
        r.columns.clone()
    };
    let (on_delete, on_update, deferred) = fk_actions(text);
    ForeignKey {
        columns: columns.iter().map(|c| lower(c)).collect(),
        table: lower(&r.table),
        references: references.iter().map(|c| lower(c)).collect(),
        on_delete,
        on_update,
        deferred,
    }
}

/// The `ON DELETE` and `ON UPDATE` actions (`NO ACTION` when not written) and whether the
/// key is `DEFERRABLE INITIALLY DEFERRED`, from the text from `REFERENCES` on.
fn fk_actions(text: &str) -> (String, String, bool) {
    let mut on_delete = "NO ACTION".to_string();
    let mut on_update = "NO ACTION".to_string();
    let Ok(toks) = lex(text) else {
        return (on_delete, on_update, false);
    };
    let kw = |i: usize, k: &str| toks.get(i).is_some_and(|t| t.is_kw(text, k));
    let start = toks
        .iter()
        .position(|t| t.is_kw(text, "references"))
        .unwrap_or(0);
    let ends_action = |i: usize| {
        ["on", "deferrable", "not", "initially", "match"]
            .iter()
            .any(|k| kw(i, k))
            || toks.get(i).is_none_or(|t| t.kind != Tok::Word)
    };
    let mut deferrable = false;
    let mut deferred = false;
    let mut i = start;
    while i < toks.len() {
        if kw(i, "on") && (kw(i + 1, "delete") || kw(i + 1, "update")) {
            let mut words = Vec::new();
            let mut j = i + 2;
            while j < toks.len() && !(j > i + 2 && ends_action(j)) && toks[j].kind == Tok::Word {
                words.push(toks[j].text(text).to_ascii_uppercase());
                j += 1;
            }
            let action = words.join(" ");
            if kw(i + 1, "delete") {
                on_delete = action;
            } else {
                on_update = action;
            }
            i = j;
            continue;
        }
        if kw(i, "deferrable") && !(i > 0 && kw(i - 1, "not")) {
            deferrable = true;
        }
        if kw(i, "initially") && kw(i + 1, "deferred") {
            deferred = true;
        }
        i += 1;
    }
    (on_delete, on_update, deferrable && deferred)
}

/// The name PostgreSQL gives a SQLite constraint (kit's translation names unnamed ones
/// explicitly with PostgreSQL's default names, shortened as PostgreSQL shortens them).
fn pg_name(t: &Table, nc: &NamedConstraint, explicit: bool, kind: &ConstraintKind) -> String {
    let name = lower(&nc.name);
    if name.len() <= PG_NAME_LIMIT {
        return name;
    }
    if explicit {
        return clip(&name, PG_NAME_LIMIT);
    }
    let table = lower(&t.name);
    let (middle, label) = match kind {
        ConstraintKind::PrimaryKey(_) => (None, "pkey"),
        ConstraintKind::Unique(cols) => (Some(cols.join("_")), "key"),
        ConstraintKind::ForeignKey(fk) => (Some(fk.columns.join("_")), "fkey"),
        ConstraintKind::Check => (check_column(t, nc.place), "check"),
    };
    pg_object_name(&table, middle.as_deref(), label)
}

/// The one column a CHECK names (its default name's middle part), if it names one.
fn check_column(t: &Table, place: ConstraintPlace) -> Option<String> {
    match place {
        ConstraintPlace::Column { column, .. } => t.columns.get(column).map(|c| lower(&c.name)),
        ConstraintPlace::Table { index } => {
            let TableConstraintKind::Check(expr) = &t.constraints.get(index)?.kind else {
                return None;
            };
            let used: Vec<_> = t
                .columns
                .iter()
                .filter(|c| mentions(expr, &c.name))
                .collect();
            (used.len() == 1).then(|| lower(&used[0].name))
        }
    }
}

/// An index's logical form, from its `CREATE INDEX` text (either dialect).
fn index(i: &Index, sql: &str, table: Option<&Table>, side: Side) -> LogicalIndex {
    let mut out = LogicalIndex {
        name: lower(&i.name),
        table: lower(&i.table),
        keys: Vec::new(),
        unique: false,
        partial: false,
    };
    let Ok(toks) = lex(sql) else { return out };
    out.unique = toks.get(1).is_some_and(|t| t.is_kw(sql, "unique"));
    let Some(open) = key_list_start(sql, &toks) else {
        return out;
    };
    let Some(close) = close_of(sql, &toks, open) else {
        return out;
    };
    out.keys = split_top(sql, &toks, open + 1, close)
        .into_iter()
        .map(|(a, b)| index_key(sql, &toks[a..b], table, side))
        .collect();
    out.partial = toks[close..].iter().any(|t| t.is_kw(sql, "where"));
    out
}

/// The `(` opening an index's key list: the first one after `ON table [USING method]`.
fn key_list_start(sql: &str, toks: &[Token]) -> Option<usize> {
    let on = toks.iter().position(|t| t.is_kw(sql, "on"))?;
    (on + 1..toks.len()).find(|&k| toks[k].is_punct(sql, "("))
}

/// One index key: a column (with its case-insensitivity) or an expression's columns.
fn index_key(src: &str, item: &[Token], table: Option<&Table>, side: Side) -> IndexKey {
    let mut toks: Vec<&Token> = item.iter().collect();
    // Trailing ASC / DESC / NULLS FIRST / NULLS LAST.
    loop {
        let n = toks.len();
        let kw = |i: usize, k: &str| toks.get(i).is_some_and(|t| t.is_kw(src, k));
        if n >= 1 && (kw(n - 1, "asc") || kw(n - 1, "desc")) {
            toks.pop();
        } else if n >= 2 && kw(n - 2, "nulls") && (kw(n - 1, "first") || kw(n - 1, "last")) {
            toks.truncate(n - 2);
        } else {
            break;
        }
    }
    let mut collation = None;
    if let Some(at) = toks.iter().position(|t| t.is_kw(src, "collate")) {
        collation = toks.get(at + 1).and_then(|t| t.ident(src));
        toks.drain(at..(at + 2).min(toks.len()));
    }
    // PostgreSQL's operator class after a column (`a text_pattern_ops`).
    if side == Side::Postgres && toks.len() == 2 && toks[1].kind == Tok::Word {
        toks.pop();
    }
    // A column in parentheses is the column (`(name)`).
    while toks.len() >= 3
        && toks[0].is_punct(src, "(")
        && toks[toks.len() - 1].is_punct(src, ")")
        && wraps_all(src, &toks)
    {
        toks = toks[1..toks.len() - 1].to_vec();
    }
    let column = table.and_then(|t| {
        // One word alone is a column even when it is a keyword of SQLite's (`key`, `desc`):
        // PostgreSQL quotes only its own reserved words in `pg_get_indexdef`.
        let name = (toks.len() == 1 && matches!(toks[0].kind, Tok::Word | Tok::Quoted))
            .then(|| toks[0].ident(src))??;
        t.column(&name).map(|(_, c)| c)
    });
    match column {
        Some(c) => IndexKey::Column {
            name: lower(&c.name),
            case_insensitive: collation.as_deref().map_or(column_ci(c), ci_collation),
        },
        None => {
            let text = match (toks.first(), toks.last()) {
                (Some(a), Some(b)) => &src[a.start..b.end],
                _ => "",
            };
            let mut cols: Vec<String> = table
                .map(|t| {
                    t.columns
                        .iter()
                        .filter(|c| mentions(text, &c.name))
                        .map(|c| lower(&c.name))
                        .collect()
                })
                .unwrap_or_default();
            cols.sort();
            cols.dedup();
            IndexKey::Expression(cols)
        }
    }
}

/// True when the first token's parenthesis closes at the last token.
fn wraps_all(src: &str, toks: &[&Token]) -> bool {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate() {
        if t.is_punct(src, "(") {
            depth += 1;
        } else if t.is_punct(src, ")") {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return i == toks.len() - 1;
            }
        }
    }
    false
}

/// One way the two sides differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The object, e.g. `column "users"."age"`.
    pub object: String,
    /// What differs.
    pub aspect: Aspect,
    /// SQLite's side, e.g. `integer`.
    pub sqlite: String,
    /// PostgreSQL's side, e.g. `text`.
    pub postgres: String,
    /// How to make the two agree, when kit knows.
    pub hint: Option<String>,
}

/// What a [`Difference`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aspect {
    /// The object exists on one side only.
    Presence,
    /// A column's type class.
    TypeClass,
    /// A column's nullability.
    Nullability,
    /// A column's default (none, a value, a generated key).
    Default,
    /// A column is generated on one side only.
    Generated,
    /// A constraint's or index's definition under the same name.
    Definition,
    /// A constraint's name, its definition being the same.
    Name,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.aspect {
            Aspect::TypeClass => "type class ",
            Aspect::Name => "named ",
            _ => "",
        };
        write!(
            f,
            "{}: {prefix}{} on SQLite, {} on PostgreSQL",
            self.object, self.sqlite, self.postgres
        )?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl fmt::Display for TypeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TypeClass::Integer => "integer",
            TypeClass::Real => "real/numeric",
            TypeClass::Text => "text",
            TypeClass::CaseInsensitiveText => "case-insensitive text",
            TypeClass::Blob => "blob/bytea",
            TypeClass::Boolean => "boolean",
            TypeClass::DateTime => "date/time",
            TypeClass::Any => "any (no declared type)",
            TypeClass::Other(t) => t,
        })
    }
}

impl fmt::Display for DefaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DefaultKind::None => "no default",
            DefaultKind::Value => "a default",
            DefaultKind::Key {
                explicit_values: true,
            } => "a generated key",
            DefaultKind::Key {
                explicit_values: false,
            } => "a generated key refusing explicit values (GENERATED ALWAYS)",
        })
    }
}

/// A quoted, comma-separated name list in parentheses.
fn name_list(names: &[String]) -> String {
    let q: Vec<String> = names.iter().map(|n| quote_ident(n)).collect();
    format!("({})", q.join(", "))
}

impl fmt::Display for ConstraintKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConstraintKind::PrimaryKey(c) => write!(f, "PRIMARY KEY {}", name_list(c)),
            ConstraintKind::Unique(c) => write!(f, "UNIQUE {}", name_list(c)),
            ConstraintKind::Check => f.write_str("CHECK"),
            ConstraintKind::ForeignKey(k) => {
                write!(
                    f,
                    "FOREIGN KEY {} REFERENCES {} {}",
                    name_list(&k.columns),
                    quote_ident(&k.table),
                    name_list(&k.references)
                )?;
                if k.on_delete != "NO ACTION" {
                    write!(f, " ON DELETE {}", k.on_delete)?;
                }
                if k.on_update != "NO ACTION" {
                    write!(f, " ON UPDATE {}", k.on_update)?;
                }
                if k.deferred {
                    f.write_str(" DEFERRABLE INITIALLY DEFERRED")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for LogicalIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| match k {
                IndexKey::Column {
                    name,
                    case_insensitive,
                } => {
                    let ci = if *case_insensitive {
                        " case-insensitive"
                    } else {
                        ""
                    };
                    format!("{}{ci}", quote_ident(name))
                }
                IndexKey::Expression(cols) => format!("expression of {}", name_list(cols)),
            })
            .collect();
        write!(
            f,
            "{}on {} ({})",
            if self.unique { "unique " } else { "" },
            quote_ident(&self.table),
            keys.join(", ")
        )?;
        if self.partial {
            f.write_str(" partial")?;
        }
        Ok(())
    }
}

/// The two ways of writing "present" and "missing" for a side.
fn presence(object: String, on_sqlite: Option<String>, on_pg: Option<String>) -> Difference {
    let show = |v: Option<String>| v.unwrap_or_else(|| "missing".into());
    Difference {
        object,
        aspect: Aspect::Presence,
        sqlite: show(on_sqlite),
        postgres: show(on_pg),
        hint: None,
    }
}

/// [`compare`] of the logical schemas of a SQLite schema and a PostgreSQL schema.
pub fn compare_schemas(sqlite: &Schema, postgres: &Schema) -> Vec<Difference> {
    compare(
        &LogicalSchema::from_sqlite(sqlite),
        &LogicalSchema::from_postgres(postgres),
    )
}

/// Every difference between the SQLite side and the PostgreSQL side, tables first (each
/// with its columns and constraints), then indexes, then views.
pub fn compare(sqlite: &LogicalSchema, pg: &LogicalSchema) -> Vec<Difference> {
    let mut out = Vec::new();
    for (name, s) in &sqlite.tables {
        match pg.tables.get(name) {
            Some(p) => compare_tables(s, p, &mut out),
            None => out.push(presence(
                format!("table {}", quote_ident(name)),
                Some("present".into()),
                None,
            )),
        }
    }
    for name in pg.tables.keys().filter(|n| !sqlite.tables.contains_key(*n)) {
        out.push(presence(
            format!("table {}", quote_ident(name)),
            None,
            Some("present".into()),
        ));
    }
    compare_indexes(sqlite, pg, &mut out);
    compare_views(sqlite, pg, &mut out);
    out
}

fn compare_tables(s: &LogicalTable, p: &LogicalTable, out: &mut Vec<Difference>) {
    let object = |c: &str| format!("column {}.{}", quote_ident(&s.name), quote_ident(c));
    for (name, sc) in &s.columns {
        match p.columns.get(name) {
            Some(pc) => compare_columns(&object(name), sc, pc, out),
            None => out.push(presence(object(name), Some(sc.class.to_string()), None)),
        }
    }
    for (name, pc) in p
        .columns
        .iter()
        .filter(|(n, _)| !s.columns.contains_key(*n))
    {
        out.push(presence(object(name), None, Some(pc.class.to_string())));
    }
    compare_constraints(&s.name, &s.constraints, &p.constraints, out);
}

/// Differences of one column present on both sides.
fn compare_columns(object: &str, s: &LogicalColumn, p: &LogicalColumn, out: &mut Vec<Difference>) {
    let diff = |aspect, sqlite: String, postgres: String, hint: Option<String>| Difference {
        object: object.to_string(),
        aspect,
        sqlite,
        postgres,
        hint,
    };
    if s.class != p.class {
        out.push(diff(
            Aspect::TypeClass,
            s.class.to_string(),
            p.class.to_string(),
            class_hint(&s.class, &p.class),
        ));
    }
    if s.not_null != p.not_null {
        let show = |n: bool| if n { "NOT NULL" } else { "nullable" }.to_string();
        let hint = (!s.not_null && s.primary_key).then(|| {
            "SQLite lets a PRIMARY KEY column of a table with rowids hold NULL, PostgreSQL does not: declare the column NOT NULL".to_string()
        });
        out.push(diff(
            Aspect::Nullability,
            show(s.not_null),
            show(p.not_null),
            hint,
        ));
    }
    if s.default != p.default {
        out.push(diff(
            Aspect::Default,
            s.default.to_string(),
            p.default.to_string(),
            default_hint(&s.default, &p.default),
        ));
    }
    if s.generated != p.generated {
        let show = |g: bool| if g { "generated" } else { "stored" }.to_string();
        out.push(diff(
            Aspect::Generated,
            show(s.generated),
            show(p.generated),
            None,
        ));
    }
}

fn class_hint(s: &TypeClass, p: &TypeClass) -> Option<String> {
    Some(match (s, p) {
        (TypeClass::Any, _) => "a column without a declared type holds any value on SQLite and one type on PostgreSQL: declare its type".into(),
        (TypeClass::CaseInsensitiveText, TypeClass::Text) => "SQLite compares this column case-insensitively (COLLATE NOCASE), PostgreSQL does not, so UNIQUE and = differ: give the PostgreSQL column COLLATE \"kit_nocase\" (kit's translation of NOCASE)".into(),
        (TypeClass::Text, TypeClass::CaseInsensitiveText) => "PostgreSQL compares this column case-insensitively, SQLite does not: add COLLATE NOCASE on SQLite or drop the collation on PostgreSQL".into(),
        _ => "make the declared types agree, or set the PostgreSQL type with `-- kit:postgresql-type T` on the column's line".into(),
    })
}

fn default_hint(s: &DefaultKind, p: &DefaultKind) -> Option<String> {
    match (s, p) {
        (DefaultKind::Key { .. }, DefaultKind::Key { explicit_values: false }) => Some(
            "GENERATED ALWAYS refuses the explicit ids SQLite accepts (seeds, copies): use GENERATED BY DEFAULT AS IDENTITY".into(),
        ),
        (DefaultKind::Key { .. }, _) => Some(
            "SQLite numbers an INTEGER PRIMARY KEY itself; on PostgreSQL that takes an identity column (kit translates INTEGER PRIMARY KEY to bigint GENERATED BY DEFAULT AS IDENTITY)".into(),
        ),
        _ => None,
    }
}

/// Constraints by name; unmatched ones with the same definition on both sides are reported
/// as a name difference.
fn compare_constraints(
    table: &str,
    s: &[LogicalConstraint],
    p: &[LogicalConstraint],
    out: &mut Vec<Difference>,
) {
    let object = |n: &str| {
        format!(
            "constraint {} of table {}",
            quote_ident(n),
            quote_ident(table)
        )
    };
    let find = |list: &[LogicalConstraint], name: &str| list.iter().position(|c| c.name == name);
    let mut only_s: Vec<&LogicalConstraint> = Vec::new();
    for sc in s {
        match find(p, &sc.name) {
            Some(k) if p[k].kind != sc.kind => out.push(Difference {
                object: object(&sc.name),
                aspect: Aspect::Definition,
                sqlite: sc.kind.to_string(),
                postgres: p[k].kind.to_string(),
                hint: None,
            }),
            Some(_) => {}
            None => only_s.push(sc),
        }
    }
    let mut only_p: Vec<&LogicalConstraint> =
        p.iter().filter(|c| find(s, &c.name).is_none()).collect();
    for sc in only_s {
        match only_p.iter().position(|pc| pc.kind == sc.kind) {
            Some(k) => {
                let pc = only_p.remove(k);
                out.push(renamed(table, sc, pc));
            }
            None => {
                let mut d = presence(object(&sc.name), Some(sc.kind.to_string()), None);
                d.hint = repeats_primary_key(s, &sc.kind).then(|| {
                    "PostgreSQL does not create a UNIQUE constraint on the primary key's columns (the key already makes them unique), so a DROP CONSTRAINT of it fails there: remove it from the SQLite schema".to_string()
                });
                out.push(d);
            }
        }
    }
    for pc in only_p {
        out.push(presence(object(&pc.name), None, Some(pc.kind.to_string())));
    }
}

/// True for a UNIQUE constraint on exactly the columns of the table's primary key.
fn repeats_primary_key(constraints: &[LogicalConstraint], kind: &ConstraintKind) -> bool {
    let ConstraintKind::Unique(cols) = kind else {
        return false;
    };
    constraints
        .iter()
        .any(|c| matches!(&c.kind, ConstraintKind::PrimaryKey(pk) if pk == cols))
}

/// A constraint with the same definition under two names.
fn renamed(table: &str, s: &LogicalConstraint, p: &LogicalConstraint) -> Difference {
    let (t, sn, pn) = (
        quote_ident(table),
        quote_ident(&s.name),
        quote_ident(&p.name),
    );
    Difference {
        object: format!("constraint {} of table {t}", s.kind),
        aspect: Aspect::Name,
        sqlite: sn.clone(),
        postgres: pn.clone(),
        hint: Some(format!(
            "PostgreSQL keeps a constraint's name when its table or column is renamed, while kit's name for an unnamed SQLite constraint follows the new names; rename it on PostgreSQL in a dialect block (`-- kit:only postgresql`, ALTER TABLE {t} RENAME CONSTRAINT {pn} TO {sn};, `-- kit:all`), or give the constraint an explicit name (CONSTRAINT name ...) so both databases agree"
        )),
    }
}

fn compare_indexes(sqlite: &LogicalSchema, pg: &LogicalSchema, out: &mut Vec<Difference>) {
    let object = |n: &str| format!("index {}", quote_ident(n));
    for (name, si) in &sqlite.indexes {
        match pg.indexes.get(name) {
            Some(pi) if pi != si => out.push(Difference {
                object: object(name),
                aspect: Aspect::Definition,
                sqlite: si.to_string(),
                postgres: pi.to_string(),
                hint: None,
            }),
            Some(_) => {}
            None => out.push(presence(object(name), Some(si.to_string()), None)),
        }
    }
    for (name, pi) in pg
        .indexes
        .iter()
        .filter(|(n, _)| !sqlite.indexes.contains_key(*n))
    {
        out.push(presence(object(name), None, Some(pi.to_string())));
    }
}

fn compare_views(sqlite: &LogicalSchema, pg: &LogicalSchema, out: &mut Vec<Difference>) {
    let object = |n: &str| format!("view {}", quote_ident(n));
    for v in sqlite.views.iter().filter(|v| !pg.views.contains(v)) {
        out.push(presence(object(v), Some("present".into()), None));
    }
    for v in pg.views.iter().filter(|v| !sqlite.views.contains(v)) {
        out.push(presence(object(v), None, Some("present".into())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse_create_table;

    fn schema(tables: &[&str], indexes: &[(&str, &str, &str)]) -> Schema {
        let mut s = Schema::default();
        for sql in tables {
            let t = parse_create_table(sql).unwrap();
            s.tables.insert(t.name.clone(), t);
        }
        for (name, table, sql) in indexes {
            s.indexes.insert(
                name.to_string(),
                Index {
                    name: name.to_string(),
                    table: table.to_string(),
                    sql: Some(sql.to_string()),
                    columns: vec![],
                },
            );
        }
        s
    }

    #[test]
    fn sqlite_type_classes_follow_affinity_after_the_name_rules() {
        use TypeClass::*;
        for (t, c) in [
            ("INTEGER", Integer),
            ("UNSIGNED BIG INT", Integer),
            ("VARCHAR(20)", Text),
            ("NVARCHAR", Text),
            ("CLOB", Text),
            ("BLOB", Blob),
            ("REAL", Real),
            ("DOUBLE PRECISION", Real),
            ("DECIMAL(10,2)", Real),
            ("NUMERIC", Real),
            ("BOOLEAN", Boolean),
            ("DATETIME", DateTime),
            ("TIMESTAMP", DateTime),
            ("DATE", DateTime),
            ("JSON", Text),
            ("UUID", Text),
            ("", Any),
            ("ANY", Any),
        ] {
            assert_eq!(sqlite_class(t), c, "{t}");
        }
    }

    #[test]
    fn postgresql_type_classes_follow_the_type_name() {
        use TypeClass::*;
        for (t, c) in [
            ("bigint", Integer),
            ("smallint", Integer),
            ("numeric(10,2)", Real),
            ("double precision", Real),
            ("character varying(20)", Text),
            ("text", Text),
            ("jsonb", Text),
            ("bytea", Blob),
            ("boolean", Boolean),
            ("timestamp(3) with time zone", DateTime),
            ("timestamp without time zone", DateTime),
            ("time without time zone", DateTime),
            ("date", DateTime),
            ("citext", CaseInsensitiveText),
        ] {
            assert_eq!(pg_class(t), c, "{t}");
        }
        assert_eq!(pg_class("integer[]"), Other("integer[]".into()));
        assert_eq!(pg_class("public.citext"), CaseInsensitiveText);
        assert_eq!(pg_class("interval"), Other("interval".into()));
    }

    #[test]
    fn foreign_key_actions_are_read_from_either_dialect() {
        assert_eq!(
            fk_actions("REFERENCES p(id) ON DELETE SET NULL ON UPDATE CASCADE"),
            ("SET NULL".into(), "CASCADE".into(), false)
        );
        assert_eq!(
            fk_actions("FOREIGN KEY (p) REFERENCES p(id) ON UPDATE SET NULL ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"),
            ("CASCADE".into(), "SET NULL".into(), true)
        );
        assert_eq!(
            fk_actions("REFERENCES p NOT DEFERRABLE INITIALLY DEFERRED"),
            ("NO ACTION".into(), "NO ACTION".into(), false)
        );
    }

    #[test]
    fn over_long_default_names_are_shortened_as_postgresql_does() {
        let long = "a".repeat(40);
        let sql =
            format!("CREATE TABLE {long} (id INTEGER PRIMARY KEY, {long}_column TEXT UNIQUE)");
        let l = LogicalSchema::from_sqlite(&schema(&[&sql], &[]));
        let names: Vec<&str> = l.tables[0]
            .constraints
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names[0], format!("{long}_pkey"));
        assert!(
            names[1].len() <= 63 && names[1].ends_with("_key"),
            "{names:?}"
        );
        assert_eq!(
            names[1],
            pg_object_name(&long, Some(&format!("{long}_column")), "key")
        );
    }

    #[test]
    fn nocase_and_kit_nocase_are_the_same_case_insensitive_text() {
        let s = schema(
            &["CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE UNIQUE)"],
            &[(
                "u_e",
                "u",
                "CREATE UNIQUE INDEX u_e ON u (email COLLATE BINARY DESC) WHERE email IS NOT NULL",
            )],
        );
        let p = schema(
            &["CREATE TABLE \"u\" (\n  \"id\" bigint NOT NULL DEFAULT (GENERATED BY DEFAULT AS IDENTITY),\n  \"email\" text COLLATE \"kit_nocase\",\n  CONSTRAINT \"u_pkey\" PRIMARY KEY (id),\n  CONSTRAINT \"u_email_key\" UNIQUE (email)\n)"],
            &[("u_e", "u", "CREATE UNIQUE INDEX \"u_e\" ON \"u\" USING btree (email COLLATE \"default\" DESC) WHERE (email IS NOT NULL)")],
        );
        let (ls, lp) = (
            LogicalSchema::from_sqlite(&s),
            LogicalSchema::from_postgres(&p),
        );
        assert_eq!(
            ls.tables["u"].columns["email"].class,
            TypeClass::CaseInsensitiveText
        );
        let d = compare(&ls, &lp);
        assert!(d.is_empty(), "{d:#?}");
    }

    #[test]
    fn index_keys_read_alike_in_both_dialects() {
        let t = "CREATE TABLE t (a TEXT COLLATE NOCASE, b INTEGER)";
        let s = schema(
            &[t],
            &[(
                "i",
                "t",
                "CREATE INDEX i ON t ((a), b DESC, lower(a) COLLATE NOCASE, a COLLATE BINARY)",
            )],
        );
        let keys = &LogicalSchema::from_sqlite(&s).indexes["i"].keys;
        let col = |n: &str, ci| IndexKey::Column {
            name: n.into(),
            case_insensitive: ci,
        };
        assert_eq!(
            keys,
            &[
                col("a", true),
                col("b", false),
                IndexKey::Expression(vec!["a".into()]),
                col("a", false)
            ]
        );
        let p = schema(
            &["CREATE TABLE \"t\" (\n  \"a\" text COLLATE \"kit_nocase\",\n  \"b\" bigint\n)"],
            &[("i", "t", "CREATE INDEX \"i\" ON \"t\" USING btree (a, b DESC NULLS LAST, lower((a)::text) COLLATE kit_nocase, a COLLATE \"C\" text_pattern_ops) INCLUDE (b) WHERE (b > 0)")],
        );
        let pi = &LogicalSchema::from_postgres(&p).indexes["i"];
        assert_eq!(&pi.keys, keys);
        assert!(pi.partial && !pi.unique);
    }

    #[test]
    fn a_renamed_default_name_is_a_name_difference() {
        let s = schema(
            &["CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT UNIQUE)"],
            &[],
        );
        let p = schema(
            &["CREATE TABLE \"t\" (\n  \"id\" bigint NOT NULL DEFAULT (GENERATED BY DEFAULT AS IDENTITY),\n  \"b\" text,\n  CONSTRAINT \"t_pkey\" PRIMARY KEY (id),\n  CONSTRAINT \"t_a_key\" UNIQUE (b)\n)"],
            &[],
        );
        let d = compare(
            &LogicalSchema::from_sqlite(&s),
            &LogicalSchema::from_postgres(&p),
        );
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].aspect, Aspect::Name);
        assert_eq!(
            d[0].to_string().lines().next().unwrap(),
            "constraint UNIQUE (\"b\") of table \"t\": named \"t_b_key\" on SQLite, \"t_a_key\" on PostgreSQL"
        );
    }

    #[test]
    fn column_differences_name_the_column_and_both_sides() {
        let s = schema(
            &["CREATE TABLE users (id TEXT PRIMARY KEY, age INTEGER, x)"],
            &[],
        );
        let p = schema(
            &["CREATE TABLE \"users\" (\n  \"id\" text NOT NULL,\n  \"age\" text,\n  \"x\" text,\n  CONSTRAINT \"users_pkey\" PRIMARY KEY (id)\n)"],
            &[],
        );
        let d: Vec<String> = compare(
            &LogicalSchema::from_sqlite(&s),
            &LogicalSchema::from_postgres(&p),
        )
        .iter()
        .map(|d| d.to_string().lines().next().unwrap().to_string())
        .collect();
        assert_eq!(
            d,
            [
                "column \"users\".\"id\": nullable on SQLite, NOT NULL on PostgreSQL",
                "column \"users\".\"age\": type class integer on SQLite, text on PostgreSQL",
                "column \"users\".\"x\": type class any (no declared type) on SQLite, text on PostgreSQL",
            ]
        );
    }
}
