//! Property tests of kit's table changes.
//!
//! Each case builds 1-3 random tables (awkward identifiers, every SQLite column type and
//! constraint kit claims to keep, rowid / INTEGER PRIMARY KEY / AUTOINCREMENT / WITHOUT ROWID /
//! STRICT tables, foreign keys, indexes, triggers and views), fills them with random rows that
//! satisfy the constraints, then applies 1-5 random supported `ALTER TABLE` changes through
//! `kit::run_sql` (either one script or one call per change).
//!
//! The test keeps its own model of every table (columns, constraints, indexes, rows by rowid) and
//! updates it for each change; values that change type are converted by SQLite itself in a
//! scratch database. After every successful run the database must match the model: rows
//! (with rowids), `table_xinfo`, `index_list`/`index_xinfo`, `foreign_key_list`, `table_list`,
//! triggers and views present and compiling, `integrity_check` ok, `foreign_key_check` empty,
//! `sqlite_sequence` not decreased, untouched objects byte-identical. A refusal
//! (`Error::Refused`) must leave the database file byte-for-byte unchanged; any other error or a
//! panic fails the case. `Error::Unknown` also fails it: every name the generator writes exists
//! (constraints are addressed by PostgreSQL's default names, computed the way kit documents).
//!
//! The cases come from a fixed seed, so every run (CI's too) is reproducible; `KIT_PT_SEED=random`
//! (or `KIT_PT_SEED=<number>`) explores other cases, and failures found are kept in
//! `proptest-regressions/`.
//! `KIT_PT_CASES=n` changes the number of cases (default 1024, about 15 s), `KIT_PT_STATS=1`
//! prints outcome counts and every refusal (to review over-refusals by hand), `KIT_PT_ALL=1`
//! also generates the change kinds in `EXCLUDED` (known kit bugs).

#![allow(clippy::type_complexity)] // row and schema snapshots are plain tuples, compared whole

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestCaseError, TestRunner};
use rusqlite::types::Value;
use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn eq_i(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// Words that must stay quoted when written as identifiers.
const KEYWORDS: &[&str] = &[
    "order", "select", "desc", "where", "key", "group", "default", "table", "values", "check",
    "from", "as", "index",
];

/// An identifier as written in a statement: bare when `bare` and it can be, else quoted.
fn ident(name: &str, bare: bool) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.iter().any(|k| eq_i(k, name));
    if bare && plain {
        name.to_string()
    } else {
        q(name)
    }
}

/// A canonical, exact text form of a value, for comparisons and messages.
fn canon(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => format!("int:{i}"),
        Value::Real(f) => format!("real:{f:?}"),
        Value::Text(s) => format!("text:{s:?}"),
        Value::Blob(b) => format!(
            "blob:x'{}'",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        ),
    }
}

/// Bare words of a SQL text, upper-cased (quoted identifiers, strings and comments skipped).
fn bare_words(sql: &str) -> Vec<String> {
    let cs: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c == '\'' || c == '"' || c == '`' {
            i += 1;
            while i < cs.len() {
                if cs[i] == c {
                    if cs.get(i + 1) == Some(&c) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
        } else if c == '[' {
            while i < cs.len() && cs[i] != ']' {
                i += 1;
            }
            i += 1;
        } else if c == '-' && cs.get(i + 1) == Some(&'-') {
            while i < cs.len() && cs[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && cs.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < cs.len() && !(cs[i] == '*' && cs[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c.is_alphabetic() || c == '_' {
            let s = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_' || cs[i] == '$') {
                i += 1;
            }
            out.push(cs[s..i].iter().collect::<String>().to_uppercase());
        } else if c.is_ascii_digit() {
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '.') {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

fn count_word(sql: &str, w: &str) -> usize {
    bare_words(sql).iter().filter(|x| x.as_str() == w).count()
}

// ---------------------------------------------------------------------------------------------
// Known kit bugs: change kinds left out of the generator until they are fixed
// ---------------------------------------------------------------------------------------------

/// Each entry names a narrow slice of changes that exposes a known kit bug (see the notes in
/// the test report). `KIT_PT_ALL=1` generates them anyway.
// Change kinds left out of the generator because of a known kit bug. Empty: every kind the
// generator knows is generated (the kit bugs it found are fixed; see the git history).
const EXCLUDED: &[&str] = &[];

fn excluded(what: &str) -> bool {
    EXCLUDED.contains(&what) && std::env::var_os("KIT_PT_ALL").is_none()
}

// ---------------------------------------------------------------------------------------------
// Pools
// ---------------------------------------------------------------------------------------------

const COL_NAMES: &[&str] = &[
    "id",
    "name",
    "order",
    "select",
    "my col",
    "we\"ird",
    "naïve",
    "MixedCase",
    "amount",
    "desc",
    "where",
    "key",
    "group",
    "a b",
    "値",
    "Ünï",
    "default",
    "x",
    "oid",
    "email",
    "Ts",
    "check",
];
const TABLE_NAMES: &[&str] = &[
    "users", "order", "my table", "naïve", "Qu\"ote", "select", "Items", "T2", "group", "values",
];
const CONS_NAMES: &[&str] = &["ck", "my check", "Uq\"q", "fk naïve", "c_1", "Key"];
const INDEX_NAMES: &[&str] = &["ix", "my index", "Idx\"Q", "ïdx", "index"];
const TYPES: &[&str] = &[
    "INTEGER",
    "INT",
    "TEXT",
    "REAL",
    "BLOB",
    "NUMERIC",
    "",
    "VARCHAR(20)",
    "DOUBLE PRECISION",
];
const STRICT_TYPES: &[&str] = &["INTEGER", "INT", "TEXT", "REAL", "BLOB", "ANY"];

/// Literal defaults usable in any non-STRICT column.
const LITERAL_DEFAULTS: &[&str] = &["0", "'zz'", "-1", "2.5", "NULL", "'12'", "X'0A'"];
/// Expression defaults.
const EXPR_DEFAULTS: &[&str] = &["(1+1)", "('a' || 'b')", "(abs(-3))"];

/// Defaults a STRICT column of type `ty` can hold.
fn strict_defaults(ty: &str) -> &'static [&'static str] {
    match ty {
        "INTEGER" | "INT" => &["0", "-1", "(1+1)", "(abs(-3))", "NULL"],
        "REAL" => &["2.5", "0", "(1+1)", "NULL"],
        "TEXT" => &["'zz'", "('a' || 'b')", "'12'", "NULL"],
        "BLOB" => &["X'0A'", "NULL"],
        _ => &["0", "'zz'", "-1", "2.5", "NULL", "X'0A'", "(1+1)"],
    }
}

// ---------------------------------------------------------------------------------------------
// Recipes (what proptest generates and shrinks)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Seed {
    Null,
    Dflt,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

#[derive(Debug, Clone)]
struct ColR {
    name: u8,
    ty: u8,
    notnull: bool,
    dflt: Option<u8>,
    check: Option<(u8, bool)>,
    unique: bool,
    nocase: bool,
    gen: Option<(u8, bool, u8)>,
}

#[derive(Debug, Clone)]
struct FkR {
    child: u8,
    parent: u8,
    on_delete: u8,
    table_level: bool,
    named: bool,
    implicit: bool,
}

#[derive(Debug, Clone)]
struct IndexR {
    kind: u8,
    a: u8,
    b: u8,
    name: u8,
}

#[derive(Debug, Clone)]
struct TableR {
    name: u8,
    cols: Vec<ColR>,
    pk: u8,
    autoinc: bool,
    wr: bool,
    strict: bool,
    fk: Option<FkR>,
    tcheck: Option<(u8, u8, bool)>,
    tunique: Option<(u8, u8, bool)>,
    indexes: Vec<IndexR>,
    trigger: Option<(u8, u8, u8)>,
    view: Option<(u8, u8, u8)>,
    rows: Vec<Vec<Seed>>,
    delete: Vec<bool>,
    style: u8,
}

#[derive(Debug, Clone)]
struct OpR {
    kind: u8,
    t: u8,
    a: u8,
    b: u8,
    c: u8,
    d: u8,
    join: bool,
}

#[derive(Debug, Clone)]
struct CaseR {
    tables: Vec<TableR>,
    ops: Vec<OpR>,
    per_statement: bool,
}

fn seed() -> impl Strategy<Value = Seed> {
    prop_oneof![
        2 => Just(Seed::Null),
        1 => Just(Seed::Dflt),
        3 => (-1000i64..1000).prop_map(Seed::Int),
        1 => prop_oneof![
            Just(i64::MAX),
            Just(i64::MIN + 1),
            Just(1i64 << 53),
            Just(-(1i64 << 40))
        ]
        .prop_map(Seed::Int),
        2 => prop_oneof![
            -1e6f64..1e6,
            Just(0.5),
            Just(-0.0),
            Just(1e300),
            Just(3.0),
            Just(-2.5)
        ]
        .prop_map(Seed::Real),
        3 => prop_oneof![
            prop::sample::select(vec![
                "12", " 7", "1e3", "0x10", "-0", "3.0", "abc", "Naïve", "", "ZZ", "a'b", "null",
                "9223372036854775808", "1.5", "zz-forbidden", "ABC",
            ])
            .prop_map(|s| s.to_string()),
            "[a-zA-Z0-9 ïé'\"]{0,8}"
        ]
        .prop_map(Seed::Text),
        1 => prop::collection::vec(0u8..0x80, 0..4).prop_map(Seed::Blob),
    ]
}

fn col_r() -> impl Strategy<Value = ColR> {
    (
        any::<u8>(),
        0u8..9,
        prop::bool::weighted(0.25),
        prop::option::weighted(0.3, 0u8..8),
        prop::option::weighted(0.2, (0u8..3, any::<bool>())),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.15),
        prop::option::weighted(0.15, (0u8..4, any::<bool>(), any::<u8>())),
    )
        .prop_map(
            |(name, ty, notnull, dflt, check, unique, nocase, gen)| ColR {
                name,
                ty,
                notnull,
                dflt,
                check,
                unique,
                nocase,
                gen,
            },
        )
}

fn table_r() -> impl Strategy<Value = TableR> {
    let head = (
        any::<u8>(),
        prop::collection::vec(col_r(), 2..=7),
        0u8..6,
        prop::bool::weighted(0.4),
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.25),
        prop::option::weighted(
            0.5,
            (
                any::<u8>(),
                any::<u8>(),
                0u8..3,
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
            )
                .prop_map(
                    |(child, parent, on_delete, table_level, named, implicit)| FkR {
                        child,
                        parent,
                        on_delete,
                        table_level,
                        named,
                        implicit,
                    },
                ),
        ),
    );
    let tail =
        (
            prop::option::weighted(0.25, (any::<u8>(), any::<u8>(), any::<bool>())),
            prop::option::weighted(0.2, (any::<u8>(), any::<u8>(), any::<bool>())),
            prop::collection::vec(
                (0u8..7, any::<u8>(), any::<u8>(), any::<u8>())
                    .prop_map(|(kind, a, b, name)| IndexR { kind, a, b, name }),
                0..=3,
            ),
            prop::option::weighted(0.4, (0u8..3, any::<u8>(), any::<u8>())),
            prop::option::weighted(0.4, (0u8..4, any::<u8>(), any::<u8>())),
            prop::collection::vec(prop::collection::vec(seed(), 7), 0..=8),
            prop::collection::vec(prop::bool::weighted(0.2), 8),
            any::<u8>(),
        );
    (head, tail).prop_map(
        |(
            (name, cols, pk, autoinc, wr, strict, fk),
            (tcheck, tunique, indexes, trigger, view, rows, delete, style),
        )| TableR {
            name,
            cols,
            pk,
            autoinc,
            wr,
            strict,
            fk,
            tcheck,
            tunique,
            indexes,
            trigger,
            view,
            rows,
            delete,
            style,
        },
    )
}

fn op_r() -> impl Strategy<Value = OpR> {
    (
        0u8..13,
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(kind, t, a, b, c, d, join)| OpR {
            kind,
            t,
            a,
            b,
            c,
            d,
            join,
        })
}

fn case_r() -> impl Strategy<Value = CaseR> {
    (
        prop::collection::vec(table_r(), 1..=3),
        prop::collection::vec(op_r(), 1..=5),
        any::<bool>(),
    )
        .prop_map(|(tables, ops, per_statement)| CaseR {
            tables,
            ops,
            per_statement,
        })
}

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum CK {
    Pk(Vec<String>),
    Unique(Vec<String>),
    /// A CHECK from a template (`check_sql`) over these columns.
    Check(u8, Vec<String>),
    Fk {
        cols: Vec<String>,
        parent: String,
        pcols: Vec<String>,
        on_delete: &'static str,
    },
}

#[derive(Debug, Clone)]
struct Cons {
    name: Option<String>,
    kind: CK,
}

#[derive(Debug, Clone)]
struct Gen {
    kind: u8,
    input: String,
    stored: bool,
}

#[derive(Debug, Clone)]
struct MCol {
    name: String,
    ty: String,
    notnull: bool,
    dflt: Option<String>,
    nocase: bool,
    gen: Option<Gen>,
    pk_desc: bool,
    autoinc: bool,
    /// Column constraints that have names (PRIMARY KEY, UNIQUE, CHECK, REFERENCES), in text order.
    cons: Vec<Cons>,
}

#[derive(Debug, Clone)]
struct MRow {
    /// The rowid (rowid tables), `None` for WITHOUT ROWID or when it cannot be predicted.
    rowid: Option<i64>,
    vals: Vec<Option<Value>>,
}

#[derive(Debug, Clone)]
struct MTable {
    name: String,
    cols: Vec<MCol>,
    tcons: Vec<Cons>,
    strict: bool,
    wr: bool,
    rows: Vec<MRow>,
    rowids_known: bool,
    seq: Option<i64>,
}

#[derive(Debug, Clone)]
struct MIndex {
    name: String,
    table: String,
    /// Key parts: column (None for an expression), DESC, explicit collation.
    keys: Vec<(Option<String>, bool, Option<String>)>,
    unique: bool,
    partial: bool,
    uses: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct Model {
    tables: Vec<MTable>,
    indexes: Vec<MIndex>,
    /// (trigger name, table name)
    triggers: Vec<(String, String)>,
    views: Vec<String>,
    /// (table, column) that some view reads by name.
    view_uses: Vec<(String, String)>,
    /// Why the pending change must be refused (a value the new column cannot hold).
    expect_refuse: Option<String>,
    /// Tables that a change of the current script made a foreign key point to.
    group_fk_parents: Vec<String>,
    /// (table, column) that a change of the current script gave a USING conversion.
    group_using: Vec<(String, String)>,
    /// (table, column) added by a change of the current script.
    group_added: Vec<(String, String)>,
    /// Tables on which a change of the current script dropped a constraint by its default name.
    group_default_drops: Vec<String>,
    /// New names of tables renamed by a change of the current script.
    group_renamed: Vec<String>,
    /// Tables (old and new names) changed by the current script.
    group_touched: Vec<String>,
    /// (table, column) dropped by a change of the current script.
    group_dropped: Vec<(String, String)>,
    /// (table, new column name) renamed by a change of the current script.
    group_renamed_cols: Vec<(String, String)>,
    /// Tables of which the current script dropped a column another table's foreign key uses.
    group_dropped_referenced: Vec<String>,
    /// Tables of which the current script changed the type of a key a foreign key uses.
    group_retyped_keys: Vec<String>,
    /// (table, column) whose type a change of the current script changed.
    group_retyped: Vec<(String, String)>,
}

fn check_sql(kind: u8, cols: &[String]) -> String {
    let a = q(&cols[0]);
    match kind {
        0 => format!("{a} IS NULL OR length({a}) <= 40"),
        1 => format!("{a} <> 'zz-forbidden'"),
        2 => format!("typeof({a}) <> 'zz-none'"),
        3 => format!("{a} IS NOT NULL"),
        _ => {
            let b = q(&cols[1]);
            format!("{a} IS NOT {b} OR {a} IS NULL")
        }
    }
}

fn gen_sql(kind: u8, input: &str) -> String {
    let a = q(input);
    match kind {
        0 => format!("{a} * 2"),
        1 => format!("{a} || 'zz'"),
        2 => format!("length({a})"),
        _ => format!("coalesce({a}, 0) + 1"),
    }
}

impl MTable {
    fn col(&self, name: &str) -> Option<usize> {
        self.cols.iter().position(|c| eq_i(&c.name, name))
    }

    fn pk_cols(&self) -> Vec<String> {
        for c in &self.cols {
            for k in &c.cons {
                if let CK::Pk(cols) = &k.kind {
                    return cols.clone();
                }
            }
        }
        for k in &self.tcons {
            if let CK::Pk(cols) = &k.kind {
                return cols.clone();
            }
        }
        vec![]
    }

    /// The rowid alias column, if any.
    fn alias(&self) -> Option<usize> {
        if self.wr {
            return None;
        }
        let pk = self.pk_cols();
        if pk.len() != 1 {
            return None;
        }
        let i = self.col(&pk[0])?;
        let c = &self.cols[i];
        (eq_i(&c.ty, "INTEGER") && !c.pk_desc).then_some(i)
    }

    fn autoinc(&self) -> bool {
        self.cols.iter().any(|c| c.autoinc)
    }

    fn rowid_name(&self) -> Option<&'static str> {
        if self.wr {
            return None;
        }
        ["rowid", "_rowid_", "oid"]
            .into_iter()
            .find(|n| self.col(n).is_none())
    }

    /// Every constraint with kit's/PostgreSQL's default name, in definition order, with where
    /// it lives: (name, Some(column index, constraint index) | None + table constraint index).
    fn named(&self) -> Vec<(String, Option<usize>, usize)> {
        let mut taken: Vec<String> = self
            .cols
            .iter()
            .flat_map(|c| c.cons.iter().filter_map(|k| k.name.clone()))
            .chain(self.tcons.iter().filter_map(|k| k.name.clone()))
            .map(|n| n.to_lowercase())
            .collect();
        let pick = |explicit: &Option<String>, base: String, taken: &mut Vec<String>| {
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
        let mut out = Vec::new();
        for (ci, c) in self.cols.iter().enumerate() {
            for (ki, k) in c.cons.iter().enumerate() {
                let base = match &k.kind {
                    CK::Pk(_) => format!("{t}_pkey"),
                    CK::Unique(_) => format!("{t}_{}_key", c.name),
                    CK::Check(..) => format!("{t}_{}_check", c.name),
                    CK::Fk { .. } => format!("{t}_{}_fkey", c.name),
                };
                out.push((pick(&k.name, base, &mut taken), Some(ci), ki));
            }
        }
        for (i, k) in self.tcons.iter().enumerate() {
            let base = match &k.kind {
                CK::Pk(_) => format!("{t}_pkey"),
                CK::Unique(cols) => format!("{t}_{}_key", cols.join("_")),
                CK::Check(_, cols) => {
                    let distinct: BTreeSet<String> = cols.iter().map(|c| lc(c)).collect();
                    if distinct.len() == 1 {
                        format!("{t}_{}_check", cols[0])
                    } else {
                        format!("{t}_check")
                    }
                }
                CK::Fk { cols, .. } => format!("{t}_{}_fkey", cols.join("_")),
            };
            out.push((pick(&k.name, base, &mut taken), None, i));
        }
        out
    }

    fn all_cons(&self) -> Vec<&Cons> {
        self.cols
            .iter()
            .flat_map(|c| c.cons.iter())
            .chain(self.tcons.iter())
            .collect()
    }

    /// Single-column keys another table may reference: (column, is the primary key).
    fn keys(&self) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let pk = self.pk_cols();
        if pk.len() == 1 {
            if let Some(i) = self.col(&pk[0]) {
                if self.cols[i].gen.is_none() {
                    out.push((self.cols[i].name.clone(), true));
                }
            }
        }
        for k in self.all_cons() {
            if let CK::Unique(cols) = &k.kind {
                if cols.len() == 1 {
                    if let Some(i) = self.col(&cols[0]) {
                        if self.cols[i].gen.is_none() && !out.iter().any(|(c, _)| eq_i(c, &cols[0]))
                        {
                            out.push((self.cols[i].name.clone(), false));
                        }
                    }
                }
            }
        }
        out
    }
}

impl Model {
    fn name_taken(&self, name: &str) -> bool {
        let n = lc(name);
        n.starts_with("sqlite_")
            || n.starts_with("_kit")
            || self.tables.iter().any(|t| lc(&t.name) == n)
            || self.indexes.iter().any(|i| lc(&i.name) == n)
            || self.triggers.iter().any(|(t, _)| lc(t) == n)
            || self.views.iter().any(|v| lc(v) == n)
    }
}

/// SQLite's column affinity of a declared type (ANY counts as none: only STRICT tables use it).
fn affinity(ty: &str) -> &'static str {
    let t = ty.to_ascii_uppercase();
    if t.contains("INT") {
        "INTEGER"
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        "TEXT"
    } else if t.contains("BLOB") || t.is_empty() || t == "ANY" {
        "BLOB"
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        "REAL"
    } else {
        "NUMERIC"
    }
}

/// The affinity of a column by name, if it exists.
fn col_affinity(t: &MTable, c: &str) -> Option<&'static str> {
    t.col(c).map(|i| affinity(&t.cols[i].ty))
}

/// True when some table's foreign key references column `col` of table `ti`.
fn fk_referenced(m: &Model, ti: usize, col: &str) -> bool {
    let t = &m.tables[ti];
    m.tables.iter().any(|o| {
        o.all_cons().iter().any(|k| match &k.kind {
            CK::Fk { parent, pcols, .. } if eq_i(parent, &t.name) => {
                let cols = if pcols.is_empty() {
                    t.pk_cols()
                } else {
                    pcols.clone()
                };
                cols.iter().any(|c| eq_i(c, col))
            }
            _ => false,
        })
    })
}

fn fresh(pool: &[&str], pick: u8, taken: impl Fn(&str) -> bool) -> String {
    let base = pool[pick as usize % pool.len()];
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}_{n}"))
        .find(|s| !taken(s))
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Value conversion through SQLite (the scratch database)
// ---------------------------------------------------------------------------------------------

/// Evaluates `expr` for every row of `t` (columns untyped, values as stored), in row order.
/// `uses` are the columns the expression reads: a row with an unknown one gives an unknown.
fn eval_rows(scratch: &Connection, t: &MTable, expr: &str, uses: &[String]) -> Vec<Option<Value>> {
    let unknown_all = vec![None; t.rows.len()];
    let cols: Vec<String> = t.cols.iter().map(|c| q(&c.name)).collect();
    let ddl = format!(
        "DROP TABLE IF EXISTS temp.m; CREATE TEMP TABLE m ({})",
        if cols.is_empty() {
            "_dummy".to_string()
        } else {
            cols.join(", ")
        }
    );
    if scratch.execute_batch(&ddl).is_err() {
        return unknown_all;
    }
    let use_idx: Option<Vec<usize>> = uses.iter().map(|u| t.col(u)).collect();
    let Some(use_idx) = use_idx else {
        return unknown_all;
    };
    for r in &t.rows {
        let params: Vec<Value> = r
            .vals
            .iter()
            .map(|v| v.clone().unwrap_or(Value::Null))
            .collect();
        let sql = format!(
            "INSERT INTO temp.m VALUES ({})",
            vec!["?"; params.len().max(1)].join(", ")
        );
        let res = if params.is_empty() {
            scratch.execute(&sql, [Value::Null])
        } else {
            scratch.execute(&sql, rusqlite::params_from_iter(params))
        };
        if res.is_err() {
            return unknown_all;
        }
    }
    let Ok(mut st) = scratch.prepare(&format!("SELECT {expr} FROM temp.m ORDER BY rowid")) else {
        return unknown_all;
    };
    let Ok(vals) = st
        .query_map([], |r| r.get::<_, Value>(0))
        .and_then(|r| r.collect::<rusqlite::Result<Vec<Value>>>())
    else {
        return unknown_all;
    };
    vals.into_iter()
        .zip(&t.rows)
        .map(|(v, r)| {
            if use_idx.iter().any(|&i| r.vals[i].is_none()) {
                None
            } else {
                Some(v)
            }
        })
        .collect()
}

/// Stores each value into a column of type `ty` (STRICT when `strict`, the rowid alias when
/// `alias`) and reads it back: what SQLite's affinity makes of it. `Err` when one cannot be held.
fn convert(
    scratch: &Connection,
    vals: &[Option<Value>],
    ty: &str,
    strict: bool,
    alias: bool,
) -> Result<Vec<Option<Value>>, String> {
    let ddl = format!(
        "DROP TABLE IF EXISTS temp.conv; CREATE TEMP TABLE conv (x {ty}{}){}",
        if alias { " PRIMARY KEY" } else { "" },
        if strict { " STRICT" } else { "" }
    );
    scratch.execute_batch(&ddl).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for v in vals {
        match v {
            None => out.push(None),
            // NULL stored into the rowid alias becomes a new rowid: unpredictable.
            Some(Value::Null) if alias => out.push(None),
            Some(v) => {
                scratch
                    .execute("DELETE FROM temp.conv", [])
                    .map_err(|e| e.to_string())?;
                scratch
                    .execute("INSERT INTO temp.conv (x) VALUES (?1)", [v])
                    .map_err(|e| format!("{} cannot hold {}: {e}", ty, canon(v)))?;
                let got: Value = scratch
                    .query_row("SELECT x FROM temp.conv", [], |r| r.get(0))
                    .map_err(|e| e.to_string())?;
                out.push(Some(got));
            }
        }
    }
    Ok(out)
}

/// The value a new column with this default gets (affinity applied), or `None` if unknown.
fn default_value(
    scratch: &Connection,
    ty: &str,
    dflt: &str,
    strict: bool,
) -> Result<Option<Value>, String> {
    if lc(dflt).contains("current_") {
        return Ok(None);
    }
    let ddl = format!(
        "DROP TABLE IF EXISTS temp.d; CREATE TEMP TABLE d (x {} DEFAULT {dflt}, y {}){}",
        ty,
        if strict { "ANY" } else { "" },
        if strict { " STRICT" } else { "" }
    );
    scratch.execute_batch(&ddl).map_err(|e| e.to_string())?;
    scratch
        .execute("INSERT INTO temp.d (y) VALUES (1)", [])
        .map_err(|e| format!("{ty} cannot hold DEFAULT {dflt}: {e}"))?;
    scratch
        .query_row("SELECT x FROM temp.d", [], |r| r.get::<_, Value>(0))
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Recomputes generated columns and keeps rowids equal to the rowid alias.
fn refresh(scratch: &Connection, t: &mut MTable) {
    for gi in 0..t.cols.len() {
        let Some(g) = t.cols[gi].gen.clone() else {
            continue;
        };
        let raw = eval_rows(
            scratch,
            t,
            &gen_sql(g.kind, &g.input),
            std::slice::from_ref(&g.input),
        );
        let ty = if t.cols[gi].ty.is_empty() {
            String::new()
        } else {
            t.cols[gi].ty.clone()
        };
        let vals = convert(scratch, &raw, &ty, t.strict, false)
            .unwrap_or_else(|_| vec![None; t.rows.len()]);
        for (r, v) in t.rows.iter_mut().zip(vals) {
            r.vals[gi] = v;
        }
    }
    if let Some(a) = t.alias() {
        for r in &mut t.rows {
            r.rowid = match &r.vals[a] {
                Some(Value::Integer(i)) => Some(*i),
                _ => None,
            };
            if r.rowid.is_none() {
                t.rowids_known = false;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Building a case's database
// ---------------------------------------------------------------------------------------------

fn seed_value(s: &Seed, strict_ty: Option<&str>) -> Option<Value> {
    let v = match s {
        Seed::Dflt => return None,
        Seed::Null => Value::Null,
        Seed::Int(i) => Value::Integer(*i),
        Seed::Real(f) => Value::Real(*f),
        Seed::Text(t) => Value::Text(t.clone()),
        Seed::Blob(b) => Value::Blob(b.clone()),
    };
    let Some(ty) = strict_ty else {
        return Some(v);
    };
    let len = |v: &Value| match v {
        Value::Text(t) => t.chars().count() as i64,
        Value::Blob(b) => b.len() as i64,
        _ => 0,
    };
    Some(match (ty, v) {
        (_, Value::Null) => Value::Null,
        ("ANY", v) => v,
        ("INTEGER" | "INT", Value::Real(f)) => Value::Integer(f.clamp(-1e15, 1e15) as i64),
        ("INTEGER" | "INT", v @ (Value::Text(_) | Value::Blob(_))) => Value::Integer(len(&v)),
        ("REAL", Value::Integer(i)) => Value::Real(i as f64),
        ("REAL", v @ (Value::Text(_) | Value::Blob(_))) => Value::Real(len(&v) as f64 + 0.5),
        ("TEXT", Value::Integer(i)) => Value::Text(format!("t{i}")),
        ("TEXT", Value::Real(f)) => Value::Text(format!("t{f}")),
        ("TEXT", Value::Blob(b)) => Value::Text(format!("b{}", b.len())),
        ("BLOB", Value::Integer(i)) => Value::Blob(i.to_string().into_bytes()),
        ("BLOB", Value::Real(_)) => Value::Blob(vec![1]),
        ("BLOB", Value::Text(t)) => Value::Blob(t.into_bytes()),
        (_, v) => v,
    })
}

struct Built {
    model: Model,
    /// Every setup statement, for failure messages.
    setup: Vec<String>,
}

fn exec(conn: &Connection, sql: &str, setup: &mut Vec<String>) {
    setup.push(sql.to_string());
    if let Err(e) = conn.execute_batch(sql) {
        panic!("generator bug: setup statement fails: {e}\n{sql}");
    }
}

fn build(c: &CaseR, conn: &Connection, scratch: &Connection) -> Built {
    let mut m = Model::default();
    let mut setup = Vec::new();
    let mut fk_targets: Vec<Option<(usize, String, String)>> = Vec::new(); // (parent, pcol, child col)
                                                                           // --- tables
    for (ti, tr) in c.tables.iter().enumerate() {
        let tname = fresh(TABLE_NAMES, tr.name, |n| m.name_taken(n));
        let wr = tr.wr;
        let strict = tr.strict;
        let mut pk = tr.pk;
        if wr && pk == 0 {
            pk = 2;
        }
        let ty_pool: &[&str] = if strict { STRICT_TYPES } else { TYPES };
        let mut cols: Vec<MCol> = Vec::new();
        let mut used: Vec<String> = Vec::new();
        for (ci, cr) in tr.cols.iter().enumerate() {
            let name = fresh(COL_NAMES, cr.name.wrapping_add(ci as u8 * 7), |n| {
                used.iter().any(|u| eq_i(u, n))
            });
            used.push(name.clone());
            let mut ty = ty_pool[cr.ty as usize % ty_pool.len()].to_string();
            let is_pk_col = match pk {
                1 | 2 | 3 | 5 => ci == 0,
                4 => ci < 2,
                _ => false,
            };
            let mut col = MCol {
                name,
                ty: String::new(),
                notnull: false,
                dflt: None,
                nocase: false,
                gen: None,
                pk_desc: false,
                autoinc: false,
                cons: vec![],
            };
            if is_pk_col {
                match pk {
                    1 | 5 => ty = "INTEGER".into(),
                    3 if eq_i(&ty, "INTEGER") => ty = "TEXT".into(),
                    _ => {}
                }
                if pk == 1 || pk == 3 || pk == 5 {
                    col.pk_desc = pk == 5;
                    col.autoinc = pk == 1 && tr.autoinc && !wr;
                    col.cons.push(Cons {
                        name: None,
                        kind: CK::Pk(vec![col.name.clone()]),
                    });
                }
            }
            let gen_ok = ci >= 2 && !is_pk_col;
            if let (Some((kind, stored, input)), true) = (cr.gen, gen_ok) {
                let inputs: Vec<&MCol> = cols.iter().filter(|c| c.gen.is_none()).collect();
                if !inputs.is_empty() {
                    let input = inputs[input as usize % inputs.len()].name.clone();
                    col.gen = Some(Gen {
                        kind,
                        input,
                        stored,
                    });
                    if strict {
                        ty = "ANY".into();
                    }
                }
            }
            col.ty = ty;
            if col.gen.is_none() {
                col.notnull = cr.notnull && !is_pk_col;
                if let Some(d) = cr.dflt {
                    let pool: Vec<&str> = if strict {
                        strict_defaults(&col.ty).to_vec()
                    } else {
                        LITERAL_DEFAULTS
                            .iter()
                            .chain(EXPR_DEFAULTS)
                            .chain(["CURRENT_TIMESTAMP"].iter())
                            .copied()
                            .collect()
                    };
                    col.dflt = Some(pool[d as usize % pool.len()].to_string());
                }
                col.nocase = cr.nocase;
                if cr.unique && !is_pk_col {
                    col.cons.push(Cons {
                        name: None,
                        kind: CK::Unique(vec![col.name.clone()]),
                    });
                }
                if let Some((kind, named)) = cr.check {
                    let name = named.then(|| {
                        fresh(CONS_NAMES, kind.wrapping_add(ci as u8), |n| {
                            cols.iter()
                                .chain(std::iter::once(&col))
                                .flat_map(|c| c.cons.iter())
                                .any(|k| k.name.as_deref().is_some_and(|x| eq_i(x, n)))
                        })
                    });
                    col.cons.push(Cons {
                        name,
                        kind: CK::Check(kind, vec![col.name.clone()]),
                    });
                }
            }
            cols.push(col);
        }
        let mut t = MTable {
            name: tname,
            cols,
            tcons: vec![],
            strict,
            wr,
            rows: vec![],
            rowids_known: true,
            seq: None,
        };
        match pk {
            2 => t.tcons.push(Cons {
                name: None,
                kind: CK::Pk(vec![t.cols[0].name.clone()]),
            }),
            4 => t.tcons.push(Cons {
                name: None,
                kind: CK::Pk(vec![t.cols[0].name.clone(), t.cols[1].name.clone()]),
            }),
            _ => {}
        }
        let plain: Vec<usize> = (0..t.cols.len())
            .filter(|&i| t.cols[i].gen.is_none())
            .collect();
        let explicit_names = |t: &MTable| -> Vec<String> {
            t.all_cons()
                .iter()
                .filter_map(|k| k.name.clone())
                .collect::<Vec<_>>()
        };
        if let Some((a, b, named)) = tr.tcheck {
            let ca = t.cols[plain[a as usize % plain.len()]].name.clone();
            let cb = t.cols[plain[b as usize % plain.len()]].name.clone();
            let (kind, cols) = if eq_i(&ca, &cb) {
                (0, vec![ca])
            } else {
                (10, vec![ca, cb])
            };
            let names = explicit_names(&t);
            let name = named.then(|| fresh(CONS_NAMES, a, |n| names.iter().any(|x| eq_i(x, n))));
            t.tcons.push(Cons {
                name,
                kind: CK::Check(kind, cols),
            });
        }
        if let Some((a, b, named)) = tr.tunique {
            let ca = t.cols[plain[a as usize % plain.len()]].name.clone();
            let cb = t.cols[plain[b as usize % plain.len()]].name.clone();
            let cols = if eq_i(&ca, &cb) {
                vec![ca]
            } else {
                vec![ca, cb]
            };
            let names = explicit_names(&t);
            let name = named.then(|| fresh(CONS_NAMES, b, |n| names.iter().any(|x| eq_i(x, n))));
            let pk = t.pk_cols();
            let has_pk_col = cols.iter().any(|c| pk.iter().any(|p| eq_i(p, c)));
            if !(excluded("rename-wr-pk-unique") && wr && has_pk_col) {
                t.tcons.push(Cons {
                    name,
                    kind: CK::Unique(cols),
                });
            }
        }
        // Foreign key to an earlier table or this one.
        let mut target = None;
        if let Some(fk) = &tr.fk {
            let pi = fk.parent as usize % (ti + 1);
            let keys = if pi == ti {
                t.keys()
            } else {
                m.tables[pi].keys()
            };
            let pk_cols = t.pk_cols();
            let children: Vec<usize> = plain
                .iter()
                .copied()
                .filter(|&i| !pk_cols.iter().any(|p| eq_i(p, &t.cols[i].name)))
                .collect();
            if !keys.is_empty() && !children.is_empty() {
                let (pcol, is_pk) = keys[fk.child as usize % keys.len()].clone();
                let ci = children[fk.parent as usize / 3 % children.len()];
                let parent = if pi == ti {
                    t.name.clone()
                } else {
                    m.tables[pi].name.clone()
                };
                let on_delete = ["NO ACTION", "CASCADE", "SET NULL"][fk.on_delete as usize % 3];
                let pcols = if is_pk && fk.implicit {
                    vec![]
                } else {
                    vec![pcol.clone()]
                };
                let names = explicit_names(&t);
                let name = fk
                    .named
                    .then(|| fresh(CONS_NAMES, fk.child, |n| names.iter().any(|x| eq_i(x, n))));
                let cons = Cons {
                    name,
                    kind: CK::Fk {
                        cols: vec![t.cols[ci].name.clone()],
                        parent: parent.clone(),
                        pcols,
                        on_delete,
                    },
                };
                if fk.table_level {
                    t.tcons.push(cons);
                } else {
                    t.cols[ci].cons.push(cons);
                }
                target = Some((pi, pcol, t.cols[ci].name.clone()));
            }
        }
        fk_targets.push(target);
        let ddl = render_table(&t, tr.style);
        exec(conn, &ddl, &mut setup);
        m.tables.push(t);
        // Indexes (before the rows: unique ones make duplicate rows fail and be skipped).
        for ir in &tr.indexes {
            let t = &m.tables[ti];
            let plain: Vec<&MCol> = t.cols.iter().filter(|c| c.gen.is_none()).collect();
            let a = plain[ir.a as usize % plain.len()].name.clone();
            let b = plain[ir.b as usize % plain.len()].name.clone();
            let name = fresh(INDEX_NAMES, ir.name, |n| m.name_taken(n));
            let (unique, keys, where_, uses): (
                bool,
                Vec<(String, Option<String>, bool, Option<String>)>,
                Option<String>,
                Vec<String>,
            ) = match ir.kind {
                0 => (
                    false,
                    vec![(q(&a), Some(a.clone()), false, None)],
                    None,
                    vec![a.clone()],
                ),
                1 => (
                    true,
                    vec![(q(&a), Some(a.clone()), false, None)],
                    None,
                    vec![a.clone()],
                ),
                2 if !eq_i(&a, &b) => (
                    false,
                    vec![
                        (format!("{} DESC", q(&a)), Some(a.clone()), true, None),
                        (q(&b), Some(b.clone()), false, None),
                    ],
                    None,
                    vec![a.clone(), b.clone()],
                ),
                3 => (
                    ir.b % 2 == 0,
                    vec![(q(&a), Some(a.clone()), false, None)],
                    Some(format!("{} IS NOT NULL", q(&b))),
                    vec![a.clone(), b.clone()],
                ),
                4 => (
                    false,
                    vec![(format!("lower({})", q(&a)), None, false, None)],
                    None,
                    vec![a.clone()],
                ),
                5 => (
                    false,
                    vec![(
                        format!("{} COLLATE NOCASE", q(&a)),
                        Some(a.clone()),
                        false,
                        Some("NOCASE".to_string()),
                    )],
                    None,
                    vec![a.clone()],
                ),
                _ => (
                    ir.b % 3 == 0,
                    vec![(format!("({} + 1) DESC", q(&a)), None, true, None)],
                    None,
                    vec![a.clone()],
                ),
            };
            let sql = format!(
                "CREATE {}INDEX {} ON {} ({}){}",
                if unique { "UNIQUE " } else { "" },
                q(&name),
                q(&m.tables[ti].name),
                keys.iter()
                    .map(|k| k.0.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                where_
                    .as_deref()
                    .map(|w| format!(" WHERE {w}"))
                    .unwrap_or_default()
            );
            exec(conn, &sql, &mut setup);
            m.indexes.push(MIndex {
                name,
                table: m.tables[ti].name.clone(),
                keys: keys.into_iter().map(|k| (k.1, k.2, k.3)).collect(),
                unique,
                partial: where_.is_some(),
                uses,
            });
        }
    }
    // --- rows, parents first
    for (ti, tr) in c.tables.iter().enumerate() {
        let t = m.tables[ti].clone();
        let fk = fk_targets[ti].clone();
        for (ri, seeds) in tr.rows.iter().enumerate() {
            let mut names = Vec::new();
            let mut vals = Vec::new();
            for (ci, col) in t.cols.iter().enumerate() {
                if col.gen.is_some() {
                    continue;
                }
                let s = &seeds[ci % seeds.len()];
                let mut v = seed_value(s, t.strict.then_some(col.ty.as_str()));
                if let Some((pi, pcol, child)) = &fk {
                    if eq_i(child, &col.name) {
                        let p = &m.tables[*pi];
                        let keys: Vec<Value> = conn
                            .prepare(&format!("SELECT {} FROM {}", q(pcol), q(&p.name)))
                            .unwrap()
                            .query_map([], |r| r.get::<_, Value>(0))
                            .unwrap()
                            .collect::<rusqlite::Result<_>>()
                            .unwrap();
                        v = match (s, keys.is_empty()) {
                            (Seed::Null, _) | (_, true) => Some(Value::Null),
                            _ => Some(keys[(ri * 7 + ci) % keys.len()].clone()),
                        };
                    }
                }
                if let Some(v) = v {
                    names.push(q(&col.name));
                    vals.push(v);
                }
            }
            let sql = if names.is_empty() {
                format!("INSERT INTO {} DEFAULT VALUES", q(&t.name))
            } else {
                format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    q(&t.name),
                    names.join(", "),
                    vec!["?"; vals.len()].join(", ")
                )
            };
            // Rows that break a constraint are simply not there.
            let _ = conn.execute(&sql, rusqlite::params_from_iter(vals));
        }
        if let Some(rn) = t.rowid_name() {
            let rowids: Vec<i64> = conn
                .prepare(&format!("SELECT {rn} FROM {} ORDER BY {rn}", q(&t.name)))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            for (i, r) in rowids.iter().enumerate() {
                if tr.delete[i % tr.delete.len()] {
                    let _ =
                        conn.execute(&format!("DELETE FROM {} WHERE {rn} = ?1", q(&t.name)), [r]);
                }
            }
        }
    }
    // --- triggers and views
    for (ti, tr) in c.tables.iter().enumerate() {
        let t = m.tables[ti].clone();
        let plain: Vec<&MCol> = t.cols.iter().filter(|c| c.gen.is_none()).collect();
        if let Some((kind, a, other)) = tr.trigger {
            let col = q(&plain[a as usize % plain.len()].name);
            let name = fresh(&["trg", "my trigger", "Trg\"Q"], a, |n| m.name_taken(n));
            let body = match kind {
                0 => format!(
                    "AFTER UPDATE OF {col} ON {} BEGIN SELECT NEW.{col}; END",
                    q(&t.name)
                ),
                1 => format!(
                    "BEFORE DELETE ON {} BEGIN SELECT RAISE(ABORT, 'zz-no') WHERE OLD.{col} = 'zz-sentinel'; END",
                    q(&t.name)
                ),
                _ => {
                    let o = &m.tables[other as usize % m.tables.len()];
                    let oc = q(&o
                        .cols
                        .iter()
                        .find(|c| c.gen.is_none())
                        .unwrap()
                        .name);
                    format!(
                        "AFTER INSERT ON {} BEGIN UPDATE {} SET {oc} = {oc} WHERE 0; END",
                        q(&t.name),
                        q(&o.name)
                    )
                }
            };
            exec(
                conn,
                &format!("CREATE TRIGGER {} {body}", q(&name)),
                &mut setup,
            );
            m.triggers.push((name, t.name.clone()));
        }
        if let Some((kind, a, b)) = tr.view {
            let na = plain[a as usize % plain.len()].name.clone();
            let nb = plain[b as usize % plain.len()].name.clone();
            let ca = q(&na);
            let cb = q(&nb);
            let name = fresh(&["v", "my view", "V\"Q", "vüe"], a, |n| m.name_taken(n));
            let over_view = kind == 2 && !m.views.is_empty();
            if kind != 0 && !over_view {
                m.view_uses.push((t.name.clone(), na.clone()));
                if kind == 1 {
                    m.view_uses.push((t.name.clone(), nb.clone()));
                }
            }
            let body = match kind {
                0 => format!("SELECT * FROM {}", q(&t.name)),
                1 => format!(
                    "SELECT {ca}, {cb} FROM {} WHERE {ca} IS NOT NULL",
                    q(&t.name)
                ),
                2 if !m.views.is_empty() => {
                    format!("SELECT * FROM {}", q(&m.views[b as usize % m.views.len()]))
                }
                _ => format!("SELECT count(*) AS n, max({ca}) AS top FROM {}", q(&t.name)),
            };
            exec(
                conn,
                &format!("CREATE VIEW {} AS {body}", q(&name)),
                &mut setup,
            );
            m.views.push(name);
        }
    }
    // --- read the rows back: the model starts from what SQLite stored
    for t in &mut m.tables {
        t.rows = read_rows(conn, t).expect("reading rows");
        if t.autoinc() {
            t.seq = conn
                .query_row(
                    "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                    [&t.name],
                    |r| r.get(0),
                )
                .ok();
        }
    }
    for t in &mut m.tables {
        refresh(scratch, t);
    }
    Built { model: m, setup }
}

fn render_col(c: &MCol) -> String {
    let mut s = q(&c.name);
    if !c.ty.is_empty() {
        s.push(' ');
        s.push_str(&c.ty);
    }
    let pk = c.cons.iter().any(|k| matches!(k.kind, CK::Pk(_)));
    if pk {
        s.push_str(" PRIMARY KEY");
        if c.pk_desc {
            s.push_str(" DESC");
        }
        if c.autoinc {
            s.push_str(" AUTOINCREMENT");
        }
    }
    if c.notnull {
        s.push_str(" NOT NULL");
    }
    if let Some(d) = &c.dflt {
        s.push_str(" DEFAULT ");
        s.push_str(d);
    }
    if c.nocase {
        s.push_str(" COLLATE NOCASE");
    }
    for k in &c.cons {
        let name = k
            .name
            .as_deref()
            .map(|n| format!(" CONSTRAINT {}", q(n)))
            .unwrap_or_default();
        match &k.kind {
            CK::Pk(_) => {}
            CK::Unique(_) => s.push_str(&format!("{name} UNIQUE")),
            CK::Check(kind, cols) => {
                s.push_str(&format!("{name} CHECK ({})", check_sql(*kind, cols)))
            }
            CK::Fk {
                parent,
                pcols,
                on_delete,
                ..
            } => s.push_str(&format!("{name} {}", references(parent, pcols, on_delete))),
        }
    }
    if let Some(g) = &c.gen {
        s.push_str(&format!(
            " GENERATED ALWAYS AS ({}){}",
            gen_sql(g.kind, &g.input),
            if g.stored { " STORED" } else { " VIRTUAL" }
        ));
    }
    s
}

fn references(parent: &str, pcols: &[String], on_delete: &str) -> String {
    let mut s = format!("REFERENCES {}", q(parent));
    if !pcols.is_empty() {
        s.push_str(&format!(
            " ({})",
            pcols.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
        ));
    }
    if on_delete != "NO ACTION" {
        s.push_str(&format!(" ON DELETE {on_delete}"));
    }
    s
}

fn render_tcons(k: &Cons) -> String {
    let name = k
        .name
        .as_deref()
        .map(|n| format!("CONSTRAINT {} ", q(n)))
        .unwrap_or_default();
    let list = |cols: &[String]| cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ");
    match &k.kind {
        CK::Pk(cols) => format!("{name}PRIMARY KEY ({})", list(cols)),
        CK::Unique(cols) => format!("{name}UNIQUE ({})", list(cols)),
        CK::Check(kind, cols) => format!("{name}CHECK ({})", check_sql(*kind, cols)),
        CK::Fk {
            cols,
            parent,
            pcols,
            on_delete,
        } => format!(
            "{name}FOREIGN KEY ({}) {}",
            list(cols),
            references(parent, pcols, on_delete)
        ),
    }
}

fn render_table(t: &MTable, style: u8) -> String {
    let items: Vec<String> = t
        .cols
        .iter()
        .map(render_col)
        .chain(t.tcons.iter().map(render_tcons))
        .collect();
    let (sep, open, close) = match style % 3 {
        0 => (", ".to_string(), "(".to_string(), ")".to_string()),
        1 => (",\n  ".to_string(), "(\n  ".to_string(), "\n)".to_string()),
        _ => (
            ", -- a comment, with a comma\n    ".to_string(),
            "( /* first */ ".to_string(),
            "\n  -- last\n)".to_string(),
        ),
    };
    let mut tail = Vec::new();
    if t.strict {
        tail.push("STRICT");
    }
    if t.wr {
        tail.push("WITHOUT ROWID");
    }
    format!(
        "CREATE TABLE {} {open}{}{close}{}",
        q(&t.name),
        items.join(&sep),
        if tail.is_empty() {
            String::new()
        } else {
            format!(" {}", tail.join(", "))
        }
    )
}

/// A value as a SQL literal.
fn literal(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => format!("{f:?}"),
        Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
        Value::Blob(b) => format!(
            "X'{}'",
            b.iter().map(|x| format!("{x:02X}")).collect::<String>()
        ),
    }
}

/// The model's rows as INSERT statements (for failure messages).
fn inserts(m: &Model) -> String {
    let mut out = String::new();
    for t in &m.tables {
        let cols: Vec<usize> = (0..t.cols.len())
            .filter(|&i| t.cols[i].gen.is_none())
            .collect();
        for r in &t.rows {
            let mut names: Vec<String> = cols.iter().map(|&i| q(&t.cols[i].name)).collect();
            let mut vals: Vec<String> = cols
                .iter()
                .map(|&i| {
                    r.vals[i]
                        .as_ref()
                        .map(literal)
                        .unwrap_or_else(|| "NULL".into())
                })
                .collect();
            if let (Some(rn), Some(id), None) = (t.rowid_name(), r.rowid, t.alias()) {
                names.insert(0, rn.to_string());
                vals.insert(0, id.to_string());
            }
            out.push_str(&format!(
                "INSERT INTO {} ({}) VALUES ({});\n",
                q(&t.name),
                names.join(", "),
                vals.join(", ")
            ));
        }
    }
    out
}

/// A column value; text that is not UTF-8 (a blob concatenated as text) is read lossily.
fn get_value(r: &rusqlite::Row, i: usize) -> rusqlite::Result<Value> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    })
}

fn read_rows(conn: &Connection, t: &MTable) -> rusqlite::Result<Vec<MRow>> {
    let rn = t.rowid_name();
    let mut cols: Vec<String> = t.cols.iter().map(|c| q(&c.name)).collect();
    if let Some(r) = rn {
        cols.insert(0, r.to_string());
    }
    let sql = format!(
        "SELECT {} FROM {}{}",
        cols.join(", "),
        q(&t.name),
        rn.map(|r| format!(" ORDER BY {r}")).unwrap_or_default()
    );
    let mut st = conn.prepare(&sql)?;
    let n = t.cols.len();
    let rows = st
        .query_map([], |r| {
            let off = rn.is_some() as usize;
            let rowid = if rn.is_some() {
                Some(r.get::<_, i64>(0)?)
            } else {
                None
            };
            let vals = (0..n)
                .map(|i| get_value(r, i + off).map(Some))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(MRow { rowid, vals })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Changes: interpreted against the model, which they update
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Change {
    /// The table's name when the change starts.
    table: String,
    /// The action text (after `ALTER TABLE t `).
    action: String,
    rename: bool,
    kind: &'static str,
}

fn pick(n: usize, a: u8) -> usize {
    a as usize % n
}

fn pick_col(t: &MTable, a: u8, ok: impl Fn(&MCol) -> bool) -> Option<usize> {
    let oid = |c: &MCol| ["rowid", "oid", "_rowid_"].iter().any(|n| eq_i(n, &c.name));
    let idx: Vec<usize> = (0..t.cols.len())
        .filter(|&i| ok(&t.cols[i]) && !(excluded("oid-column") && oid(&t.cols[i])))
        .collect();
    (!idx.is_empty()).then(|| idx[pick(idx.len(), a)])
}

fn rename_in(cols: &mut [String], from: &str, to: &str) {
    for c in cols {
        if eq_i(c, from) {
            *c = to.to_string();
        }
    }
}

fn rename_cons(k: &mut CK, from: &str, to: &str) {
    match k {
        CK::Pk(cols) | CK::Unique(cols) | CK::Check(_, cols) => rename_in(cols, from, to),
        CK::Fk { cols, .. } => rename_in(cols, from, to),
    }
}

fn cons_mentions(k: &CK, col: &str) -> bool {
    match k {
        CK::Pk(cols) | CK::Unique(cols) | CK::Check(_, cols) => cols.iter().any(|c| eq_i(c, col)),
        CK::Fk { cols, .. } => cols.iter().any(|c| eq_i(c, col)),
    }
}

fn make_change(m: &mut Model, r: &OpR, scratch: &Connection) -> Option<Change> {
    let ti = pick(m.tables.len(), r.t);
    let tname = m.tables[ti].name.clone();
    if excluded("fk-across-batches") && m.group_fk_parents.contains(&lc(&tname)) {
        return None;
    }
    let bare = r.d.is_multiple_of(4);
    let lower = r.d % 5 == 1;
    let kw = |s: &str| {
        if lower {
            s.to_lowercase()
        } else {
            s.to_string()
        }
    };
    let mut rename = false;
    let (kind, action): (&'static str, String) = match r.kind {
        // ADD COLUMN
        0 => {
            let t = &m.tables[ti];
            let name = fresh(COL_NAMES, r.a, |n| t.col(n).is_some());
            if excluded("oid-column") && ["rowid", "oid", "_rowid_"].iter().any(|n| eq_i(n, &name))
            {
                return None;
            }
            if excluded("drop-then-readd") && m.group_dropped.contains(&(lc(&tname), lc(&name))) {
                return None;
            }
            let strict = t.strict;
            let pool: &[&str] = if strict { STRICT_TYPES } else { TYPES };
            let ty = pool[pick(pool.len(), r.c)].to_string();
            let variant = r.b % 9;
            let lit_pool: Vec<&str> = if strict {
                strict_defaults(&ty)
                    .iter()
                    .copied()
                    .filter(|d| !d.starts_with('('))
                    .collect()
            } else {
                LITERAL_DEFAULTS.to_vec()
            };
            let expr_pool: Vec<&str> = if strict {
                strict_defaults(&ty)
                    .iter()
                    .copied()
                    .filter(|d| d.starts_with('('))
                    .collect()
            } else {
                EXPR_DEFAULTS.to_vec()
            };
            let mut col = MCol {
                name: name.clone(),
                ty: ty.clone(),
                notnull: false,
                dflt: None,
                nocase: false,
                gen: None,
                pk_desc: false,
                autoinc: false,
                cons: vec![],
            };
            match variant {
                1 | 2 => {
                    col.dflt = Some(lit_pool[pick(lit_pool.len(), r.d)].to_string());
                    col.notnull = variant == 2;
                }
                3 if !expr_pool.is_empty() => {
                    col.dflt = Some(expr_pool[pick(expr_pool.len(), r.d)].to_string());
                    col.notnull = r.d.is_multiple_of(2);
                }
                4 => col.notnull = true,
                5 => col.cons.push(Cons {
                    name: None,
                    kind: CK::Unique(vec![name.clone()]),
                }),
                6 => col.cons.push(Cons {
                    name: None,
                    kind: CK::Check(0, vec![name.clone()]),
                }),
                7 => {
                    let pi = pick(m.tables.len(), r.d);
                    let keys = m.tables[pi].keys();
                    if !keys.is_empty() {
                        let (pcol, is_pk) = keys[pick(keys.len(), r.a)].clone();
                        if excluded("fk-across-batches")
                            && m.group_touched.contains(&lc(&m.tables[pi].name))
                        {
                            return None;
                        }
                        if excluded("fk-affinity-mismatch")
                            && col_affinity(&m.tables[pi], &pcol) != Some(affinity(&ty))
                        {
                            return None;
                        }
                        m.group_fk_parents.push(lc(&m.tables[pi].name));
                        col.cons.push(Cons {
                            name: None,
                            kind: CK::Fk {
                                cols: vec![name.clone()],
                                parent: m.tables[pi].name.clone(),
                                pcols: if is_pk && r.d.is_multiple_of(2) {
                                    vec![]
                                } else {
                                    vec![pcol]
                                },
                                on_delete: if r.d.is_multiple_of(3) {
                                    "SET NULL"
                                } else {
                                    "NO ACTION"
                                },
                            },
                        });
                    }
                }
                8 => {
                    let inputs: Vec<&MCol> = t.cols.iter().filter(|c| c.gen.is_none()).collect();
                    if inputs.is_empty() {
                        return None;
                    }
                    let input = inputs[pick(inputs.len(), r.d)].name.clone();
                    col.gen = Some(Gen {
                        kind: r.a % 4,
                        input,
                        stored: r.d.is_multiple_of(2),
                    });
                    if strict {
                        col.ty = "ANY".into();
                    }
                }
                _ => {}
            }
            let mut def = render_col(&col);
            if bare {
                def = def.replacen(&q(&name), &ident(&name, true), 1);
            }
            // Values for existing rows.
            let value = match &col.dflt {
                Some(d) => default_value(scratch, &col.ty, d, strict),
                None => Ok(Some(Value::Null)),
            };
            let value = match value {
                Ok(v) => v,
                Err(e) => {
                    m.expect_refuse.get_or_insert(e);
                    None
                }
            };
            m.group_added.push((lc(&tname), lc(&col.name)));
            let t = &mut m.tables[ti];
            for row in &mut t.rows {
                row.vals.push(value.clone());
            }
            t.cols.push(col);
            let add = if r.a.is_multiple_of(3) {
                "ADD"
            } else {
                "ADD COLUMN"
            };
            ("add column", format!("{} {def}", kw(add)))
        }
        // DROP COLUMN
        1 => {
            let t = &m.tables[ti];
            let ci = pick_col(t, r.a, |_| true)?;
            let cname = t.cols[ci].name.clone();
            if excluded("wr-drop-pk") && t.wr && t.pk_cols().iter().any(|p| eq_i(p, &cname)) {
                return None;
            }
            let key_col = t.pk_cols().iter().any(|p| eq_i(p, &cname))
                || t.all_cons()
                    .iter()
                    .any(|k| matches!(&k.kind, CK::Unique(c) if c.iter().any(|c| eq_i(c, &cname))));
            if excluded("drop-key-after-add-fk")
                && key_col
                && m.group_fk_parents.contains(&lc(&tname))
            {
                return None;
            }
            let fk_referenced = fk_referenced(m, ti, &cname);
            let renamed_here = m.group_renamed_cols.iter().any(|(t, _)| *t == lc(&tname))
                || m.group_renamed.contains(&lc(&tname));
            if excluded("drop-referenced-and-rename") && fk_referenced && renamed_here {
                return None;
            }
            if fk_referenced {
                m.group_dropped_referenced.push(lc(&tname));
            }
            if excluded("drop-column-used-by-view")
                && m.view_uses
                    .iter()
                    .any(|(vt, vc)| eq_i(vt, &tname) && eq_i(vc, &cname))
            {
                return None;
            }
            if excluded("drop-keyword-column") && ["desc", "where"].iter().any(|n| eq_i(n, &cname))
            {
                return None;
            }
            if excluded("oid-column") && ["rowid", "oid", "_rowid_"].iter().any(|n| eq_i(n, &cname))
            {
                return None;
            }
            m.group_dropped.push((lc(&tname), lc(&cname)));
            drop_column(m, ti, ci);
            let word = if r.b.is_multiple_of(3) {
                "DROP"
            } else {
                "DROP COLUMN"
            };
            (
                "drop column",
                format!("{} {}", kw(word), ident(&cname, bare)),
            )
        }
        // RENAME COLUMN
        2 => {
            let t = &m.tables[ti];
            let ci = pick_col(t, r.a, |_| true)?;
            let from = t.cols[ci].name.clone();
            if excluded("drop-referenced-and-rename")
                && m.group_dropped_referenced.contains(&lc(&tname))
            {
                return None;
            }
            let to = fresh(COL_NAMES, r.b, |n| t.col(n).is_some());
            if excluded("oid-column") && ["rowid", "oid", "_rowid_"].iter().any(|n| eq_i(n, &to)) {
                return None;
            }
            let in_pk = t.pk_cols().iter().any(|p| eq_i(p, &from));
            let in_unique = t
                .all_cons()
                .iter()
                .any(|k| matches!(&k.kind, CK::Unique(c) if c.iter().any(|c| eq_i(c, &from))));
            if excluded("rename-wr-pk-unique") && t.wr && in_pk && in_unique {
                return None;
            }
            rename_column(m, ti, &from, &to);
            m.group_renamed_cols.push((lc(&tname), lc(&to)));
            rename = true;
            let word = if r.c.is_multiple_of(3) {
                "RENAME"
            } else {
                "RENAME COLUMN"
            };
            (
                "rename column",
                format!(
                    "{} {} {} {}",
                    kw(word),
                    ident(&from, bare),
                    kw("TO"),
                    ident(&to, bare)
                ),
            )
        }
        // RENAME TO
        3 => {
            if excluded("default-name-then-rename") && m.group_default_drops.contains(&lc(&tname)) {
                return None;
            }
            if excluded("drop-referenced-and-rename")
                && m.group_dropped_referenced.contains(&lc(&tname))
            {
                return None;
            }
            if excluded("retype-parent-key-and-rename")
                && m.group_retyped_keys.contains(&lc(&tname))
            {
                return None;
            }
            let to = fresh(TABLE_NAMES, r.a, |n| m.name_taken(n));
            m.group_renamed.push(lc(&tname));
            m.group_renamed.push(lc(&to));
            let from = tname.clone();
            for t in &mut m.tables {
                for k in t
                    .cols
                    .iter_mut()
                    .flat_map(|c| c.cons.iter_mut())
                    .chain(t.tcons.iter_mut())
                {
                    if let CK::Fk { parent, .. } = &mut k.kind {
                        if eq_i(parent, &from) {
                            *parent = to.clone();
                        }
                    }
                }
            }
            for i in &mut m.indexes {
                if eq_i(&i.table, &from) {
                    i.table = to.clone();
                }
            }
            for (_, t) in &mut m.triggers {
                if eq_i(t, &from) {
                    *t = to.clone();
                }
            }
            for (t, _) in &mut m.view_uses {
                if eq_i(t, &from) {
                    *t = to.clone();
                }
            }
            for (t, _) in m
                .group_added
                .iter_mut()
                .chain(m.group_using.iter_mut())
                .chain(m.group_retyped.iter_mut())
            {
                if eq_i(t, &from) {
                    *t = lc(&to);
                }
            }
            m.tables[ti].name = to.clone();
            rename = true;
            (
                "rename table",
                format!("{} {}", kw("RENAME TO"), ident(&to, bare)),
            )
        }
        // ALTER TYPE
        4 => {
            let t = &m.tables[ti];
            let ci = pick_col(t, r.a, |c| c.gen.is_none())?;
            let pool: &[&str] = if t.strict { STRICT_TYPES } else { TYPES };
            let pool: Vec<&str> = pool.iter().copied().filter(|x| !x.is_empty()).collect();
            let ty = pool[pick(pool.len(), r.b)].to_string();
            if excluded("autoinc-retype") && t.cols[ci].autoinc && ty != "INTEGER" {
                return None;
            }
            let cname = t.cols[ci].name.clone();
            let c = q(&cname);
            let using = match r.c % 7 {
                0 => Some(format!("{c} || ''")),
                1 => Some(format!("CAST({c} AS TEXT)")),
                2 => Some(format!("length({c})")),
                3 => Some(format!("{c} * 1")),
                _ => None,
            };
            let t = &m.tables[ti];
            let raw: Vec<Option<Value>> = match &using {
                Some(u) => eval_rows(scratch, t, u, std::slice::from_ref(&cname)),
                None => t.rows.iter().map(|r| r.vals[ci].clone()).collect(),
            };
            let was_alias = t.alias() == Some(ci);
            let mut after = t.clone();
            after.cols[ci].ty = ty.clone();
            let alias = after.alias() == Some(ci);
            let converted = convert(scratch, &raw, &ty, t.strict, alias);
            if excluded("retype-to-rowid-alias") && alias && !was_alias && converted.is_err() {
                return None;
            }
            let parent_key = fk_referenced(m, ti, &cname);
            if excluded("retype-parent-key-and-rename")
                && m.group_renamed.contains(&lc(&tname))
                && parent_key
            {
                return None;
            }
            if excluded("retype-new-column") && m.group_added.contains(&(lc(&tname), lc(&cname))) {
                return None;
            }
            if excluded("retype-twice") && m.group_retyped.contains(&(lc(&tname), lc(&cname))) {
                return None;
            }
            m.group_retyped.push((lc(&tname), lc(&cname)));
            if parent_key {
                m.group_retyped_keys.push(lc(&tname));
            }
            if using.is_some() {
                m.group_using.push((lc(&tname), lc(&cname)));
            }
            m.tables[ti].cols[ci].ty = ty.clone();
            if alias && !was_alias {
                // The column becomes the rowid alias, so rowids become its values; but a later
                // change in the same script may drop the key again, and then kit keeps the
                // original rowids. Either is fine: do not predict them.
                m.tables[ti].rowids_known = false;
            }
            let vals = match converted {
                Ok(vals) => vals,
                Err(e) => {
                    m.expect_refuse.get_or_insert(e);
                    vec![None; raw.len()]
                }
            };
            for (row, v) in m.tables[ti].rows.iter_mut().zip(vals) {
                row.vals[ci] = v;
            }
            let head = match r.d % 3 {
                0 => format!(
                    "{} {} {} {ty}",
                    kw("ALTER COLUMN"),
                    ident(&cname, bare),
                    kw("TYPE")
                ),
                1 => format!(
                    "{} {} {} {ty}",
                    kw("ALTER"),
                    ident(&cname, bare),
                    kw("SET DATA TYPE")
                ),
                _ => format!(
                    "{} {} {} {ty}",
                    kw("ALTER COLUMN"),
                    ident(&cname, bare),
                    kw("SET DATA TYPE")
                ),
            };
            let action = match &using {
                Some(u) => format!("{head} {} {u}", kw("USING")),
                None => head,
            };
            ("alter type", action)
        }
        // SET NOT NULL / DROP NOT NULL
        5 | 6 => {
            let t = &mut m.tables[ti];
            let ci = pick_col(t, r.a, |_| true)?;
            let cname = t.cols[ci].name.clone();
            let set = r.kind == 5;
            t.cols[ci].notnull = set;
            (
                if set { "set not null" } else { "drop not null" },
                format!(
                    "{} {} {}",
                    kw("ALTER COLUMN"),
                    ident(&cname, bare),
                    kw(if set { "SET NOT NULL" } else { "DROP NOT NULL" })
                ),
            )
        }
        // SET DEFAULT
        7 => {
            let added = m.group_added.clone();
            let t = &mut m.tables[ti];
            let ci = pick_col(t, r.a, |c| c.gen.is_none())?;
            let cname = t.cols[ci].name.clone();
            if excluded("default-after-add") && added.contains(&(lc(&tname), lc(&cname))) {
                return None;
            }
            let (written, stored) = [
                ("7", "7"),
                ("'zz'", "'zz'"),
                ("-2.5", "-2.5"),
                ("NULL", "NULL"),
                ("(1+1)", "(1+1)"),
                ("2*3", "(2*3)"),
                ("lower('ABC')", "(lower('ABC'))"),
                ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
            ][pick(8, r.b)];
            t.cols[ci].dflt = Some(stored.to_string());
            (
                "set default",
                format!(
                    "{} {} {} {written}",
                    kw("ALTER COLUMN"),
                    ident(&cname, bare),
                    kw("SET DEFAULT")
                ),
            )
        }
        // DROP DEFAULT
        8 => {
            let added = m.group_added.clone();
            let t = &mut m.tables[ti];
            let ci = pick_col(t, r.a, |c| c.gen.is_none())?;
            let cname = t.cols[ci].name.clone();
            if excluded("default-after-add") && added.contains(&(lc(&tname), lc(&cname))) {
                return None;
            }
            t.cols[ci].dflt = None;
            (
                "drop default",
                format!(
                    "{} {} {}",
                    kw("ALTER COLUMN"),
                    ident(&cname, bare),
                    kw("DROP DEFAULT")
                ),
            )
        }
        // ADD CHECK / UNIQUE / FOREIGN KEY
        9..=11 => {
            let t = &m.tables[ti];
            let ca = pick_col(t, r.a, |c| c.gen.is_none())?;
            let cb = pick_col(t, r.b, |c| c.gen.is_none())?;
            let a = t.cols[ca].name.clone();
            let b = t.cols[cb].name.clone();
            let kind = match r.kind {
                9 => {
                    if ca != cb && r.c.is_multiple_of(3) {
                        CK::Check(10, vec![a, b])
                    } else {
                        CK::Check(r.c % 4, vec![a])
                    }
                }
                10 => {
                    let cols = if ca != cb && r.c.is_multiple_of(2) {
                        vec![a, b]
                    } else {
                        vec![a]
                    };
                    let pk = t.pk_cols();
                    if excluded("rename-wr-pk-unique")
                        && t.wr
                        && cols.iter().any(|c| pk.iter().any(|p| eq_i(p, c)))
                    {
                        return None;
                    }
                    CK::Unique(cols)
                }
                _ => {
                    let pi = pick(m.tables.len(), r.c);
                    let keys = m.tables[pi].keys();
                    if keys.is_empty() {
                        return None;
                    }
                    let (pcol, is_pk) = keys[pick(keys.len(), r.b)].clone();
                    if excluded("using-then-add-fk")
                        && m.group_using.contains(&(lc(&tname), lc(&a)))
                    {
                        return None;
                    }
                    if excluded("fk-across-batches")
                        && m.group_touched.contains(&lc(&m.tables[pi].name))
                    {
                        return None;
                    }
                    if excluded("fk-affinity-mismatch")
                        && col_affinity(&m.tables[pi], &pcol) != col_affinity(&m.tables[ti], &a)
                    {
                        return None;
                    }
                    m.group_fk_parents.push(lc(&m.tables[pi].name));
                    CK::Fk {
                        cols: vec![a],
                        parent: m.tables[pi].name.clone(),
                        pcols: if is_pk && r.d.is_multiple_of(2) {
                            vec![]
                        } else {
                            vec![pcol]
                        },
                        on_delete: ["NO ACTION", "CASCADE", "SET NULL"][pick(3, r.d / 2)],
                    }
                }
            };
            let taken: Vec<String> = m.tables[ti].named().into_iter().map(|n| n.0).collect();
            let name = (r.d % 2 == 1).then(|| {
                fresh(CONS_NAMES, r.a, |n| {
                    taken.iter().any(|x| eq_i(x, n)) || m.name_taken(n)
                })
            });
            let k = Cons { name, kind };
            let text = render_tcons(&k);
            m.tables[ti].tcons.push(k);
            ("add constraint", format!("{} {text}", kw("ADD")))
        }
        // DROP CONSTRAINT (by explicit or PostgreSQL default name)
        _ => {
            let t = &mut m.tables[ti];
            let named = t.named();
            if named.is_empty() {
                return None;
            }
            let (name, col, idx) = named[pick(named.len(), r.a)].clone();
            let is_pk = match col {
                Some(ci) => matches!(t.cols[ci].cons[idx].kind, CK::Pk(_)),
                None => matches!(t.tcons[idx].kind, CK::Pk(_)),
            };
            if excluded("wr-drop-pk") && t.wr && is_pk {
                return None;
            }
            let tn = t.name.clone();
            let implicit_child = m.tables.iter().any(|o| {
                o.all_cons().iter().any(|k| {
                    matches!(&k.kind, CK::Fk { parent, pcols, .. } if eq_i(parent, &tn) && pcols.is_empty())
                })
            });
            if excluded("drop-pk-implicit-fk") && is_pk && implicit_child {
                return None;
            }
            let explicit = match col {
                Some(ci) => m.tables[ti].cols[ci].cons[idx].name.is_some(),
                None => m.tables[ti].tcons[idx].name.is_some(),
            };
            let is_key = is_pk
                || match col {
                    Some(ci) => matches!(m.tables[ti].cols[ci].cons[idx].kind, CK::Unique(_)),
                    None => matches!(m.tables[ti].tcons[idx].kind, CK::Unique(_)),
                };
            let referenced = m.tables.iter().any(|o| {
                o.all_cons()
                    .iter()
                    .any(|k| matches!(&k.kind, CK::Fk { parent, .. } if eq_i(parent, &tn)))
            });
            let partial_unique = m
                .indexes
                .iter()
                .any(|i| eq_i(&i.table, &tn) && i.unique && i.partial);
            if excluded("drop-key-partial-index") && is_key && referenced && partial_unique {
                return None;
            }
            if excluded("drop-key-after-add-fk") && is_key && m.group_fk_parents.contains(&lc(&tn))
            {
                return None;
            }
            if !explicit {
                m.group_default_drops.push(lc(&tn));
            }
            let t = &mut m.tables[ti];
            match col {
                Some(ci) => {
                    let k = t.cols[ci].cons.remove(idx);
                    if matches!(k.kind, CK::Pk(_)) {
                        t.cols[ci].autoinc = false;
                        t.cols[ci].pk_desc = false;
                    }
                }
                None => {
                    t.tcons.remove(idx);
                }
            }
            (
                "drop constraint",
                format!("{} {}", kw("DROP CONSTRAINT"), ident(&name, bare)),
            )
        }
    };
    let t = &mut m.tables[ti];
    refresh(scratch, t);
    let now = lc(&t.name);
    m.group_touched.push(lc(&tname));
    m.group_touched.push(now);
    Some(Change {
        table: tname,
        action,
        rename,
        kind,
    })
}

fn drop_column(m: &mut Model, ti: usize, ci: usize) {
    let t = &mut m.tables[ti];
    let cname = t.cols[ci].name.clone();
    t.cols.remove(ci);
    for r in &mut t.rows {
        r.vals.remove(ci);
    }
    for c in &mut t.cols {
        c.cons
            .retain(|k| !(matches!(k.kind, CK::Check(..)) && cons_mentions(&k.kind, &cname)));
    }
    t.tcons.retain(|k| !cons_mentions(&k.kind, &cname));
    let tn = t.name.clone();
    m.indexes
        .retain(|i| !(eq_i(&i.table, &tn) && i.uses.iter().any(|u| eq_i(u, &cname))));
}

fn rename_column(m: &mut Model, ti: usize, from: &str, to: &str) {
    let tn = m.tables[ti].name.clone();
    for (t, c) in m
        .group_added
        .iter_mut()
        .chain(m.group_using.iter_mut())
        .chain(m.group_retyped.iter_mut())
    {
        if eq_i(t, &tn) && eq_i(c, from) {
            *c = lc(to);
        }
    }
    for (t, c) in &mut m.view_uses {
        if eq_i(t, &tn) && eq_i(c, from) {
            *c = to.to_string();
        }
    }
    {
        let t = &mut m.tables[ti];
        for c in &mut t.cols {
            if eq_i(&c.name, from) {
                c.name = to.to_string();
            }
            if let Some(g) = &mut c.gen {
                if eq_i(&g.input, from) {
                    g.input = to.to_string();
                }
            }
            for k in &mut c.cons {
                rename_cons(&mut k.kind, from, to);
            }
        }
        for k in &mut t.tcons {
            rename_cons(&mut k.kind, from, to);
        }
    }
    for t in &mut m.tables {
        for k in t
            .cols
            .iter_mut()
            .flat_map(|c| c.cons.iter_mut())
            .chain(t.tcons.iter_mut())
        {
            if let CK::Fk { parent, pcols, .. } = &mut k.kind {
                if eq_i(parent, &tn) {
                    rename_in(pcols, from, to);
                }
            }
        }
    }
    for i in &mut m.indexes {
        if eq_i(&i.table, &tn) {
            rename_in(&mut i.uses, from, to);
            for k in &mut i.keys {
                if let Some(c) = &mut k.0 {
                    if eq_i(c, from) {
                        *c = to.to_string();
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the database back and comparing with the model
// ---------------------------------------------------------------------------------------------

type XInfo = (String, String, i64, Option<String>, i64, i64);

fn expected_xinfo(t: &MTable) -> Vec<XInfo> {
    let pk = t.pk_cols();
    let alias = t.alias();
    t.cols
        .iter()
        .map(|c| {
            let pos = pk
                .iter()
                .position(|p| eq_i(p, &c.name))
                .map_or(0, |p| p as i64 + 1);
            // PRIMARY KEY columns are NOT NULL in WITHOUT ROWID and STRICT tables (but not the
            // rowid alias, which cannot hold NULL anyway).
            let is_alias = alias.is_some_and(|a| eq_i(&t.cols[a].name, &c.name));
            let notnull = c.notnull || (pos > 0 && (t.wr || (t.strict && !is_alias)));
            let hidden = match &c.gen {
                None => 0,
                Some(g) if g.stored => 3,
                Some(_) => 2,
            };
            // SQLite reports a parenthesized default without its outer parentheses.
            let dflt = if c.gen.is_some() {
                None
            } else {
                c.dflt.as_deref().map(|d| {
                    if d.starts_with('(') && d.ends_with(')') {
                        d[1..d.len() - 1].to_string()
                    } else {
                        d.to_string()
                    }
                })
            };
            (
                c.name.clone(),
                c.ty.clone(),
                notnull as i64,
                dflt,
                pos,
                hidden,
            )
        })
        .collect()
}

fn actual_xinfo(conn: &Connection, t: &str) -> rusqlite::Result<Vec<XInfo>> {
    let mut st = conn.prepare(
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid",
    )?;
    let rows = st
        .query_map([t], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect();
    rows
}

type IdxKey = (Option<String>, bool, String);

fn expected_indexes(
    m: &Model,
    t: &MTable,
) -> (
    BTreeMap<String, (bool, bool, Vec<IdxKey>)>,
    BTreeSet<Vec<String>>,
) {
    let mut named = BTreeMap::new();
    for i in m.indexes.iter().filter(|i| eq_i(&i.table, &t.name)) {
        let keys = i
            .keys
            .iter()
            .map(|(c, desc, coll)| {
                let coll = coll.clone().unwrap_or_else(|| match c {
                    Some(c) if t.col(c).is_some_and(|ci| t.cols[ci].nocase) => "NOCASE".into(),
                    _ => "BINARY".into(),
                });
                (c.clone(), *desc, coll)
            })
            .collect();
        named.insert(i.name.clone(), (i.unique, i.partial, keys));
    }
    let mut auto = BTreeSet::new();
    for k in t.all_cons() {
        if let CK::Unique(cols) = &k.kind {
            auto.insert(cols.clone());
        }
    }
    let pk = t.pk_cols();
    if !pk.is_empty() && t.alias().is_none() {
        auto.insert(pk);
    }
    (named, auto)
}

fn actual_indexes(
    conn: &Connection,
    t: &str,
) -> rusqlite::Result<(
    BTreeMap<String, (bool, bool, Vec<IdxKey>)>,
    BTreeSet<Vec<String>>,
)> {
    let mut st =
        conn.prepare("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1)")?;
    let list: Vec<(String, bool, String, bool)> = st
        .query_map([t], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut named = BTreeMap::new();
    let mut auto = BTreeSet::new();
    for (name, unique, origin, partial) in list {
        if origin == "c" {
            let mut st = conn.prepare(
                "SELECT name, \"desc\", coll FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno",
            )?;
            let keys: Vec<IdxKey> = st
                .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            named.insert(name, (unique, partial, keys));
        } else {
            let mut st = conn.prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")?;
            let cols: Vec<String> = st
                .query_map([&name], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            auto.insert(cols);
        }
    }
    Ok((named, auto))
}

type Fk = (String, Vec<String>, Vec<Option<String>>, String);

fn expected_fks(t: &MTable) -> Vec<Fk> {
    let mut out: Vec<Fk> = t
        .all_cons()
        .iter()
        .filter_map(|k| match &k.kind {
            CK::Fk {
                cols,
                parent,
                pcols,
                on_delete,
            } => Some((
                lc(parent),
                cols.clone(),
                if pcols.is_empty() {
                    vec![None; cols.len()]
                } else {
                    pcols.iter().map(|c| Some(c.clone())).collect()
                },
                on_delete.to_string(),
            )),
            _ => None,
        })
        .collect();
    out.sort();
    out
}

fn actual_fks(conn: &Connection, t: &str) -> rusqlite::Result<Vec<Fk>> {
    let mut st = conn.prepare(
        "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
    )?;
    let rows: Vec<(i64, String, String, Option<String>, String)> = st
        .query_map([t], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut by_id: BTreeMap<i64, Fk> = BTreeMap::new();
    for (id, table, from, to, on_delete) in rows {
        let e = by_id
            .entry(id)
            .or_insert_with(|| (lc(&table), vec![], vec![], on_delete));
        e.1.push(from);
        e.2.push(to);
    }
    let mut out: Vec<Fk> = by_id.into_values().collect();
    out.sort();
    Ok(out)
}

/// Everything in the file that a refusal must leave alone, as text.
fn dump(conn: &Connection) -> String {
    let mut out = String::new();
    let mut st = conn
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid")
        .unwrap();
    let objs: Vec<(String, String, String, Option<String>)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    for (ty, name, tbl, sql) in &objs {
        out.push_str(&format!("{ty} {name:?} on {tbl:?}: {sql:?}\n"));
        if ty == "table" {
            let wr: bool = conn
                .query_row(
                    "SELECT wr FROM pragma_table_list WHERE name = ?1 AND schema = 'main'",
                    [name],
                    |r| r.get(0),
                )
                .unwrap_or(true);
            let sel = if wr {
                format!("SELECT * FROM {}", q(name))
            } else {
                format!("SELECT _rowid_, * FROM {} ORDER BY _rowid_", q(name))
            };
            let sel = conn
                .prepare(&sel)
                .map(|_| sel.clone())
                .unwrap_or_else(|_| format!("SELECT * FROM {}", q(name)));
            let mut st = conn.prepare(&sel).unwrap();
            let n = st.column_count();
            let rows: Vec<String> = st
                .query_map([], |r| {
                    (0..n)
                        .map(|i| r.get::<_, Value>(i).map(|v| canon(&v)))
                        .collect::<rusqlite::Result<Vec<_>>>()
                        .map(|v| v.join(" | "))
                })
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let mut rows = rows;
            if wr {
                rows.sort();
            }
            for r in rows {
                out.push_str(&format!("  {r}\n"));
            }
        }
    }
    out
}

struct Snapshot {
    bytes: Vec<u8>,
    dump: String,
    /// (type, name) -> sql
    sql: BTreeMap<(String, String), Option<String>>,
}

fn snapshot(conn: &Connection, path: &std::path::Path) -> Snapshot {
    let mut st = conn
        .prepare("SELECT type, name, sql FROM sqlite_schema")
        .unwrap();
    let sql = st
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    Snapshot {
        bytes: std::fs::read(path).unwrap(),
        dump: dump(conn),
        sql,
    }
}

fn row_matches(x: &MRow, g: &MRow, use_rowid: bool) -> bool {
    (!use_rowid || x.rowid == g.rowid)
        && x.vals.len() == g.vals.len()
        && x.vals.iter().zip(&g.vals).all(|(a, b)| match (a, b) {
            (None, _) => true,
            (Some(a), Some(b)) => canon(a) == canon(b),
            (Some(_), None) => false,
        })
}

/// Every expected row matches its own actual row (by rowid when `use_rowid`).
fn rows_match(exp: &[MRow], got: &[MRow], use_rowid: bool) -> bool {
    if exp.len() != got.len() {
        return false;
    }
    if use_rowid {
        let mut e: Vec<&MRow> = exp.iter().collect();
        let mut g: Vec<&MRow> = got.iter().collect();
        e.sort_by_key(|r| r.rowid);
        g.sort_by_key(|r| r.rowid);
        return e.iter().zip(&g).all(|(x, y)| row_matches(x, y, true));
    }
    let mut used = vec![false; got.len()];
    // Fully known rows first, so wildcards do not steal their partners.
    let mut order: Vec<&MRow> = exp.iter().collect();
    order.sort_by_key(|r| r.vals.iter().filter(|v| v.is_none()).count());
    order.iter().all(|x| {
        match (0..got.len()).find(|&j| !used[j] && row_matches(x, &got[j], false)) {
            Some(j) => {
                used[j] = true;
                true
            }
            None => false,
        }
    })
}

/// Compares the database with the model; `Err` says what differs.
fn verify(
    conn: &Connection,
    m: &Model,
    before: Option<&Snapshot>,
    touched: &BTreeSet<String>,
    renamed: bool,
) -> Result<(), String> {
    let e = |x: rusqlite::Error| x.to_string();
    // Tables present: exactly the model's.
    let mut st = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        .map_err(e)?;
    let mut tables: Vec<String> = st
        .query_map([], |r| r.get(0))
        .map_err(e)?
        .collect::<rusqlite::Result<_>>()
        .map_err(e)?;
    tables.sort();
    let mut want: Vec<String> = m.tables.iter().map(|t| t.name.clone()).collect();
    want.sort();
    if tables != want {
        return Err(format!("tables: got {tables:?}, want {want:?}"));
    }
    for t in &m.tables {
        let ctx = |what: &str| format!("table {:?}: {what}", t.name);
        // Columns.
        let got = actual_xinfo(conn, &t.name).map_err(e)?;
        let exp = expected_xinfo(t);
        if got != exp {
            return Err(ctx(&format!(
                "table_xinfo differs\n  got:  {got:?}\n  want: {exp:?}"
            )));
        }
        // STRICT / WITHOUT ROWID.
        let (wr, strict): (bool, bool) = conn
            .query_row(
                "SELECT wr, strict FROM pragma_table_list WHERE schema = 'main' AND name = ?1",
                [&t.name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(e)?;
        if (wr, strict) != (t.wr, t.strict) {
            return Err(ctx(&format!(
                "table_list (wr, strict) = {:?}, want {:?}",
                (wr, strict),
                (t.wr, t.strict)
            )));
        }
        // Indexes.
        let (named, auto) = actual_indexes(conn, &t.name).map_err(e)?;
        let (xnamed, xauto) = expected_indexes(m, t);
        if named != xnamed {
            return Err(ctx(&format!(
                "indexes differ\n  got:  {named:?}\n  want: {xnamed:?}"
            )));
        }
        if auto != xauto {
            return Err(ctx(&format!(
                "UNIQUE/PRIMARY KEY indexes differ\n  got:  {auto:?}\n  want: {xauto:?}"
            )));
        }
        // Foreign keys.
        let fks = actual_fks(conn, &t.name).map_err(e)?;
        let xfks = expected_fks(t);
        if fks != xfks {
            return Err(ctx(&format!(
                "foreign_key_list differs\n  got:  {fks:?}\n  want: {xfks:?}"
            )));
        }
        // Constraints without a pragma: count them in the stored definition.
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [&t.name],
                |r| r.get(0),
            )
            .map_err(e)?;
        let cons = t.all_cons();
        let counts = [
            (
                "CHECK",
                cons.iter()
                    .filter(|k| matches!(k.kind, CK::Check(..)))
                    .count(),
            ),
            (
                "UNIQUE",
                cons.iter()
                    .filter(|k| matches!(k.kind, CK::Unique(_)))
                    .count(),
            ),
            (
                "REFERENCES",
                cons.iter()
                    .filter(|k| matches!(k.kind, CK::Fk { .. }))
                    .count(),
            ),
            (
                "PRIMARY",
                cons.iter().filter(|k| matches!(k.kind, CK::Pk(_))).count(),
            ),
            ("COLLATE", t.cols.iter().filter(|c| c.nocase).count()),
            ("AUTOINCREMENT", t.cols.iter().filter(|c| c.autoinc).count()),
            (
                "DEFAULT",
                t.cols.iter().filter(|c| c.dflt.is_some()).count(),
            ),
        ];
        for (w, n) in counts {
            let got = count_word(&sql, w);
            if got != n {
                return Err(ctx(&format!(
                    "stored definition has {got} {w}, want {n}:\n  {sql}"
                )));
            }
        }
        // Rows: unknown (None) model values match anything.
        let got = read_rows(conn, t).map_err(e)?;
        let use_rowid = !t.wr && t.rowids_known && t.rows.iter().all(|r| r.rowid.is_some());
        if !rows_match(&t.rows, &got, use_rowid) {
            let show = |rows: &[MRow]| {
                rows.iter()
                    .map(|r| {
                        let vals: Vec<String> = r
                            .vals
                            .iter()
                            .map(|v| v.as_ref().map(canon).unwrap_or_else(|| "?".into()))
                            .collect();
                        format!("rowid {:?}: {}", r.rowid, vals.join(" | "))
                    })
                    .collect::<Vec<_>>()
                    .join("\n    ")
            };
            return Err(ctx(&format!(
                "rows differ\n  got:\n    {}\n  want:\n    {}",
                show(&got),
                show(&t.rows)
            )));
        }
        // sqlite_sequence never goes down.
        if t.autoinc() {
            let seq: Option<i64> = conn
                .query_row(
                    "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                    [&t.name],
                    |r| r.get(0),
                )
                .ok();
            if seq.unwrap_or(0) < t.seq.unwrap_or(0) {
                return Err(ctx(&format!("sqlite_sequence is {seq:?}, was {:?}", t.seq)));
            }
        }
    }
    // Indexes, triggers and views by name.
    let objects = |ty: &str| -> Result<Vec<(String, String)>, String> {
        let mut st = conn
            .prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type = ?1 AND sql IS NOT NULL")
            .map_err(e)?;
        let mut v: Vec<(String, String)> = st
            .query_map([ty], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(e)?
            .collect::<rusqlite::Result<_>>()
            .map_err(e)?;
        v.sort();
        Ok(v)
    };
    let mut want_idx: Vec<(String, String)> = m
        .indexes
        .iter()
        .map(|i| (i.name.clone(), i.table.clone()))
        .collect();
    want_idx.sort();
    let got_idx = objects("index")?;
    if got_idx != want_idx {
        return Err(format!("indexes: got {got_idx:?}, want {want_idx:?}"));
    }
    let mut want_trg = m.triggers.clone();
    want_trg.sort();
    let got_trg = objects("trigger")?;
    if got_trg != want_trg {
        return Err(format!("triggers: got {got_trg:?}, want {want_trg:?}"));
    }
    let got_views: Vec<String> = objects("view")?.into_iter().map(|v| v.0).collect();
    let mut want_views = m.views.clone();
    want_views.sort();
    if got_views != want_views {
        return Err(format!("views: got {got_views:?}, want {want_views:?}"));
    }
    for v in &m.views {
        conn.prepare(&format!("SELECT * FROM {} LIMIT 0", q(v)))
            .map_err(|x| format!("view {v:?} no longer compiles: {x}"))?;
    }
    // Whole-database checks.
    let ic: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .map_err(e)?
        .query_map([], |r| r.get(0))
        .map_err(e)?
        .collect::<rusqlite::Result<_>>()
        .map_err(e)?;
    if ic != ["ok"] {
        return Err(format!("integrity_check: {ic:?}"));
    }
    let fkc: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .map_err(e)?;
    if fkc != 0 {
        return Err(format!("foreign_key_check reports {fkc} violations"));
    }
    let fk_on: bool = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .map_err(e)?;
    if !fk_on {
        return Err("PRAGMA foreign_keys was left OFF".into());
    }
    // Objects the change did not touch keep their SQL text byte for byte.
    if let Some(b) = before {
        if !renamed {
            let after = snapshot_sql(conn).map_err(e)?;
            for ((ty, name), sql) in &b.sql {
                if name.starts_with("sqlite_") {
                    continue;
                }
                let untouched = ty != "table" || !touched.contains(&lc(name));
                if let Some(now) = after.get(&(ty.clone(), name.clone())) {
                    if untouched && now != sql {
                        return Err(format!(
                            "{ty} {name:?} was not changed but its SQL was:\n  before: {sql:?}\n  after:  {now:?}"
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn snapshot_sql(conn: &Connection) -> rusqlite::Result<BTreeMap<(String, String), Option<String>>> {
    let mut st = conn.prepare("SELECT type, name, sql FROM sqlite_schema")?;
    let r = st
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?
        .collect();
    r
}

// ---------------------------------------------------------------------------------------------
// Running a case
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Stats {
    runs: u64,
    ok: u64,
    refused: u64,
    unknown: u64,
    by_kind: BTreeMap<&'static str, (u64, u64)>,
    messages: Vec<String>,
}

static STATS: Mutex<Option<Stats>> = Mutex::new(None);

fn record(kinds: &[&'static str], ok: bool, msg: Option<String>, unknown: bool) {
    let mut g = STATS.lock().unwrap();
    let s = g.get_or_insert_with(Stats::default);
    s.runs += 1;
    if ok {
        s.ok += 1;
    } else if unknown {
        s.unknown += 1;
    } else {
        s.refused += 1;
    }
    for k in kinds {
        let e = s.by_kind.entry(k).or_default();
        if ok {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    if let Some(m) = msg {
        s.messages.push(m);
    }
}

/// Joins changes into a script: consecutive non-rename actions on one table may share one
/// `ALTER TABLE` (comma-separated).
fn script(changes: &[(Change, bool)]) -> String {
    let mut stmts: Vec<(String, Vec<String>, bool)> = Vec::new();
    for (c, join) in changes {
        if let Some(last) = stmts.last_mut() {
            if *join && !c.rename && !last.2 && last.0 == c.table {
                last.1.push(c.action.clone());
                continue;
            }
        }
        stmts.push((c.table.clone(), vec![c.action.clone()], c.rename));
    }
    stmts
        .into_iter()
        .map(|(t, actions, _)| format!("ALTER TABLE {} {}", q(&t), actions.join(", ")))
        .collect::<Vec<_>>()
        .join(";\n")
}

fn run_case(c: &CaseR) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.db");
    let mut conn = Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = OFF")
        .unwrap();
    let scratch = Connection::open_in_memory().unwrap();
    let Built { mut model, setup } = build(c, &conn, &scratch);
    let setup_text = format!("{};\n{}", setup.join(";\n"), inserts(&model));
    if let Err(why) = verify(&conn, &model, None, &BTreeSet::new(), false) {
        panic!("test model is wrong before any change (a bug in this test): {why}\nsetup:\n{setup_text};");
    }
    let mut groups: Vec<Vec<&OpR>> = Vec::new();
    if c.per_statement {
        groups.extend(c.ops.iter().map(|o| vec![o]));
    } else {
        groups.push(c.ops.iter().collect());
    }
    // Changes already applied (earlier calls of a per-statement case).
    let mut applied = String::new();
    for group in groups {
        let mut next = model.clone();
        next.group_fk_parents.clear();
        next.group_using.clear();
        next.group_added.clear();
        next.group_default_drops.clear();
        next.group_renamed.clear();
        next.group_touched.clear();
        next.group_dropped.clear();
        next.group_renamed_cols.clear();
        next.group_dropped_referenced.clear();
        next.group_retyped_keys.clear();
        next.group_retyped.clear();
        let mut changes = Vec::new();
        for r in group {
            if let Some(ch) = make_change(&mut next, r, &scratch) {
                changes.push((ch, r.join));
            }
        }
        if changes.is_empty() {
            continue;
        }
        let sql = script(&changes);
        let kinds: Vec<&'static str> = changes.iter().map(|(c, _)| c.kind).collect();
        let touched: BTreeSet<String> = changes.iter().map(|(c, _)| lc(&c.table)).collect();
        let renamed = changes.iter().any(|(c, _)| c.rename);
        let before = snapshot(&conn, &path);
        let context = || format!("setup:\n{setup_text};\n{applied}\nchange:\n{sql};");
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            kit::run_sql(&mut conn, &sql)
        }));
        let result = match result {
            Ok(r) => r,
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                return Err(TestCaseError::fail(format!(
                    "kit panicked: {msg}\n{}",
                    context()
                )));
            }
        };
        match result {
            Ok(_) => {
                record(&kinds, true, None, false);
                if let Some(why) = &next.expect_refuse {
                    return Err(TestCaseError::fail(format!(
                        "kit accepted a change that cannot keep the values: {why}\n{}",
                        context()
                    )));
                }
                if let Err(why) = verify(&conn, &next, Some(&before), &touched, renamed) {
                    return Err(TestCaseError::fail(format!("{why}\n{}", context())));
                }
                for t in &mut next.tables {
                    if t.autoinc() {
                        t.seq = conn
                            .query_row(
                                "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                                [&t.name],
                                |r| r.get(0),
                            )
                            .ok();
                    }
                }
                // Rowids the model could not predict: take them (and the rows) from the
                // database, now that every predicted value has been checked.
                for t in &mut next.tables {
                    if !t.rowids_known {
                        t.rows =
                            read_rows(&conn, t).map_err(|e| TestCaseError::fail(e.to_string()))?;
                        t.rowids_known = true;
                    }
                }
                model = next;
                applied.push_str(&format!("-- applied by kit:\n{sql};\n"));
            }
            Err(err @ (kit::Error::Refused(_) | kit::Error::Unknown { .. })) => {
                let unknown = matches!(err, kit::Error::Unknown { .. });
                record(
                    &kinds,
                    false,
                    Some(format!(
                        "{}\n  => {err}{}",
                        context(),
                        if next.expect_refuse.is_none() {
                            ""
                        } else {
                            "\n  [the model expected this refusal]"
                        }
                    )),
                    unknown,
                );
                let after = snapshot(&conn, &path);
                if after.dump != before.dump {
                    return Err(TestCaseError::fail(format!(
                        "refused ({err}) but the database changed\n  before:\n{}\n  after:\n{}\n{}",
                        before.dump,
                        after.dump,
                        context()
                    )));
                }
                if after.bytes != before.bytes {
                    return Err(TestCaseError::fail(format!(
                        "refused ({err}) but the database file is not byte-identical\n{}",
                        context()
                    )));
                }
                // Every table, column and constraint name the generator uses exists (constraint
                // names follow PostgreSQL's defaults), so "does not exist" is kit's mistake.
                if unknown {
                    return Err(TestCaseError::fail(format!(
                        "kit says an object that exists does not: {err}\n{}",
                        context()
                    )));
                }
            }
            Err(err) => {
                return Err(TestCaseError::fail(format!(
                    "kit failed with {err:?}\n  {err}\n{}",
                    context()
                )));
            }
        }
    }
    Ok(())
}

/// How many `ALTER COLUMN c TYPE` actions of `script` change column `col` of `table`.
fn type_changes(script: &str, table: &str, col: &str) -> usize {
    let head = format!("ALTER TABLE {} ", q(table));
    let names = [col.to_string(), q(col)];
    script
        .lines()
        .filter(|l| l.starts_with(&head))
        .flat_map(|l| {
            l[head.len()..]
                .split(", ALTER COLUMN ")
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|a| {
            let a = a.trim_start_matches("ALTER COLUMN ");
            names.iter().any(|n| {
                a.starts_with(&format!("{n} TYPE "))
                    || a.starts_with(&format!("{n} SET DATA TYPE "))
            })
        })
        .count()
}

/// A runner of `cases` cases (or `$env` when set) keeping failure seeds in `regressions`.
fn runner(env: &str, cases: u32, shrink: u32, regressions: &'static str) -> TestRunner {
    let cases = std::env::var(env)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(Config {
        cases,
        max_shrink_iters: shrink,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        rng_seed: rng_seed(),
        ..Config::default()
    })
}

/// The seed of the generated cases: fixed by default, so every run (CI's included) explores
/// the same cases and a failure reproduces; `KIT_PT_SEED=random` (or a number) explores others,
/// and `PROPTEST_RNG_SEED` is honoured as proptest documents it.
fn rng_seed() -> RngSeed {
    const DEFAULT_SEED: u64 = 0x6b69_7400_0000_0008;
    if std::env::var_os("PROPTEST_RNG_SEED").is_some() {
        return Config::default().rng_seed;
    }
    match std::env::var("KIT_PT_SEED").ok().as_deref() {
        Some("random") => RngSeed::Random,
        Some(n) => n.parse().map_or(RngSeed::Random, RngSeed::Fixed),
        None => RngSeed::Fixed(DEFAULT_SEED),
    }
}

#[test]
fn rebuild_properties() {
    let mut runner = runner(
        "KIT_PT_CASES",
        1024,
        2048,
        "proptest-regressions/proptest_rebuild.txt",
    );
    let result = runner.run(&case_r(), |c| run_case(&c));
    if std::env::var("KIT_PT_STATS").is_ok_and(|v| !v.is_empty()) {
        if let Some(s) = STATS.lock().unwrap().as_ref() {
            eprintln!(
                "runs {} ok {} refused {} unknown {}",
                s.runs, s.ok, s.refused, s.unknown
            );
            for (k, (ok, no)) in &s.by_kind {
                eprintln!("  {k:16} ok {ok:5}  refused {no:5}");
            }
            for m in &s.messages {
                eprintln!("---\n{m}");
            }
        }
    }
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// The diff, on the same generated schemas: A --(kit changes)--> B; then a copy of A is moved to
// B by kit's diff alone, and back to A by the diff's inverse.

/// The schema text of a database: every CREATE statement in creation order.
fn schema_text(conn: &Connection) -> String {
    let mut st = conn
        .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid")
        .unwrap();
    let rows: Vec<String> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.iter().map(|s| format!("{s};\n")).collect()
}

/// kit's diff from the database on `conn` to `target`.
fn diff_to(conn: &Connection, target: &str) -> kit::Result<kit::diff::Diff> {
    let live = kit::read_schema(conn)?;
    let (_mem, schema) = kit::sqlite::load::load_schema(target, "target")?;
    kit::diff::diff(&live, &schema, &kit::diff::Renames::default())
}

/// Every row of `cols` of `table`, sorted, as text.
fn column_rows(conn: &Connection, table: &str, cols: &[String]) -> Vec<String> {
    let list: Vec<String> = cols.iter().map(|c| format!("quote({})", q(c))).collect();
    let sql = format!("SELECT {} FROM {}", list.join(" || '|' || "), q(table));
    let mut st = conn.prepare(&sql).unwrap();
    let mut rows: Vec<String> = st
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.sort();
    rows
}

/// Column names and declared types of a table (columns whose default is the clock excluded:
/// two databases fill them at different times).
fn columns_of(conn: &Connection, table: &str) -> Vec<(String, String)> {
    let mut st = conn
        .prepare("SELECT name, type FROM pragma_table_xinfo(?1) WHERE hidden = 0 AND coalesce(dflt_value, '') NOT LIKE '%current%'")
        .unwrap();
    st.query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn health(conn: &Connection) -> Result<(), String> {
    let ic: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    if ic != "ok" {
        return Err(format!("integrity_check: {ic}"));
    }
    let fk: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    if fk != 0 {
        return Err(format!("{fk} foreign key violation(s)"));
    }
    Ok(())
}

fn run_diff_case(c: &CaseR) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let (a_path, copy_path) = (dir.path().join("a.db"), dir.path().join("copy.db"));
    let mut a = Connection::open(&a_path).unwrap();
    a.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let scratch = Connection::open_in_memory().unwrap();
    let Built { mut model, setup } = build(c, &a, &scratch);
    let setup_text = format!("{};\n{}", setup.join(";\n"), inserts(&model));
    let before_text = schema_text(&a);
    let tables_before: BTreeSet<String> = model.tables.iter().map(|t| lc(&t.name)).collect();
    let columns_before: BTreeSet<(String, String)> = model
        .tables
        .iter()
        .flat_map(|t| {
            columns_of(&a, &t.name)
                .into_iter()
                .map(move |(c, _)| (lc(&t.name), c))
        })
        .collect();
    std::fs::copy(&a_path, &copy_path).unwrap();
    // A -> B by kit's own statements (stop at the first refusal).
    let mut applied = String::new();
    let mut renamed_tables: BTreeSet<String> = BTreeSet::new();
    for r in &c.ops {
        let Some(ch) = make_change(&mut model, r, &scratch) else {
            continue;
        };
        let sql = script(&[(ch.clone(), false)]);
        if kit::run_sql(&mut a, &sql).is_err() {
            break;
        }
        if ch.rename {
            renamed_tables.insert(lc(&ch.table));
        }
        applied.push_str(&format!("{sql};\n"));
    }
    let target = schema_text(&a);
    let context = |extra: &str| {
        format!("setup:\n{setup_text};\nchanges:\n{applied}\ntarget:\n{target}\n{extra}")
    };
    let mut copy = Connection::open(&copy_path).unwrap();
    copy.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let d = match diff_to(&copy, &target) {
        Ok(d) => d,
        Err(kit::Error::Unsupported { .. }) => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(context(&format!("diff failed: {e}")))),
    };
    let up = d.script();
    let bytes = std::fs::read(&copy_path).unwrap();
    match kit::run_sql(&mut copy, &up) {
        Ok(_) => {}
        Err(kit::Error::Refused(_)) | Err(kit::Error::Unknown { .. }) => {
            // Drop-and-add of a renamed column can be refused (NOT NULL without a default):
            // fine, if nothing was written.
            if std::fs::read(&copy_path).unwrap() != bytes {
                return Err(TestCaseError::fail(context(&format!(
                    "refused but the file changed\nup:\n{up}"
                ))));
            }
            return Ok(());
        }
        Err(e) => {
            return Err(TestCaseError::fail(context(&format!(
                "applying the diff failed: {e}\nup:\n{up}"
            ))))
        }
    }
    let again = diff_to(&copy, &target).map_err(|e| TestCaseError::fail(e.to_string()))?;
    if !again.is_empty() {
        return Err(TestCaseError::fail(context(&format!(
            "after applying the diff, it is not empty:\n{}\nup was:\n{up}",
            again.script()
        ))));
    }
    health(&copy).map_err(|e| TestCaseError::fail(context(&format!("{e}\nup:\n{up}"))))?;
    // Columns untouched by name and type keep their rows (tables not renamed, and with no
    // renamed column: the diff cannot know about renames without markers).
    // A column dropped and added again under the same name holds new values, which the diff
    // (comparing by name) cannot know: such tables are skipped too.
    let renames_in = |t: &str| {
        applied.lines().any(|l| {
            l.starts_with(&format!("ALTER TABLE {} ", q(t)))
                && (l.contains("RENAME") || {
                    let words: Vec<String> = l
                        .split(|ch: char| ch.is_whitespace() || ch == ',')
                        .map(|w| w.to_ascii_uppercase())
                        .collect();
                    words.windows(2).any(|w| {
                        w[0] == "DROP" && !["CONSTRAINT", "NOT", "DEFAULT"].contains(&w[1].as_str())
                    })
                })
        })
    };
    for t in &model.tables {
        if !tables_before.contains(&lc(&t.name))
            || renamed_tables.contains(&lc(&t.name))
            || renames_in(&t.name)
        {
            continue;
        }
        let (ca, cc) = (columns_of(&a, &t.name), columns_of(&copy, &t.name));
        let common: Vec<String> = ca
            .iter()
            .filter(|(n, ty)| cc.iter().any(|(m, ty2)| m == n && ty2 == ty))
            // A column new to the table gets its DEFAULT in existing rows from the diff's
            // ADD COLUMN, whatever kit's own steps did: only old columns compare.
            .filter(|(n, _)| columns_before.contains(&(lc(&t.name), n.clone())))
            // A column whose type kit's steps changed twice or more went through a middle
            // affinity that may have converted its values (INTEGER 0 -> REAL 0.0 -> BLOB keeps
            // 0.0); the diff converts once, from the first type to the last.
            .filter(|(n, _)| type_changes(&applied, &t.name, n) < 2)
            .map(|(n, _)| n.clone())
            .collect();
        if common.is_empty() {
            continue;
        }
        let (ra, rc) = (
            column_rows(&a, &t.name, &common),
            column_rows(&copy, &t.name, &common),
        );
        if ra != rc && !applied.to_ascii_uppercase().contains("USING") {
            return Err(TestCaseError::fail(context(&format!(
                "rows of \"{}\" ({}) differ after the diff\n  kit's changes: {ra:?}\n  the diff:     {rc:?}\nup:\n{up}",
                t.name,
                common.join(", ")
            ))));
        }
    }
    // And back: the inverse, newest first.
    let mut down = String::new();
    for ch in d.changes.iter().rev() {
        for s in &ch.inverse {
            down.push_str(s);
            down.push_str(";\n");
        }
    }
    match kit::run_sql(&mut copy, &down) {
        Ok(_) => {
            let back =
                diff_to(&copy, &before_text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if !back.is_empty() {
                return Err(TestCaseError::fail(context(&format!(
                    "after the inverse, the schema is not back:\n{}\nup:\n{up}\ndown:\n{down}",
                    back.script()
                ))));
            }
            health(&copy)
                .map_err(|e| TestCaseError::fail(context(&format!("{e}\ndown:\n{down}"))))?;
        }
        // Re-adding a dropped NOT NULL column without default, or a constraint the new rows
        // break, is refused: the inverse cannot bring back data.
        Err(kit::Error::Refused(_)) => {}
        Err(e) => {
            return Err(TestCaseError::fail(context(&format!(
                "the inverse failed: {e}\nup:\n{up}\ndown:\n{down}"
            ))))
        }
    }
    Ok(())
}

#[test]
fn diff_properties() {
    let mut runner = runner(
        "KIT_PT_DIFF_CASES",
        256,
        1024,
        "proptest-regressions/proptest_diff.txt",
    );
    if let Err(e) = runner.run(&case_r(), |c| run_diff_case(&c)) {
        panic!("{e}");
    }
}
