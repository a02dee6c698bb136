//! Recipes: what proptest generates and shrinks. Plain numbers and flags (`CaseR`, `TableR`,
//! `ColR`, `OpR`, ...) that [`super::build`] and [`super::change`] interpret against the
//! model, so every recipe gives a valid schema and shrinking keeps it valid.

use super::*;

// ---------------------------------------------------------------------------------------------
// Recipes (what proptest generates and shrinks)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub enum Seed {
    Null,
    Dflt,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

#[derive(Debug, Clone)]
pub struct ColR {
    pub name: u8,
    pub ty: u8,
    pub notnull: bool,
    pub dflt: Option<u8>,
    pub check: Option<(u8, bool)>,
    pub unique: bool,
    pub nocase: bool,
    pub gen: Option<(u8, bool, u8)>,
}

#[derive(Debug, Clone)]
pub struct FkR {
    pub child: u8,
    pub parent: u8,
    pub on_delete: u8,
    pub table_level: bool,
    pub named: bool,
    pub implicit: bool,
}

#[derive(Debug, Clone)]
pub struct IndexR {
    pub kind: u8,
    pub a: u8,
    pub b: u8,
    pub name: u8,
}

#[derive(Debug, Clone)]
pub struct TableR {
    pub name: u8,
    pub cols: Vec<ColR>,
    pub pk: u8,
    pub autoinc: bool,
    pub wr: bool,
    pub strict: bool,
    pub fk: Option<FkR>,
    pub tcheck: Option<(u8, u8, bool)>,
    pub tunique: Option<(u8, u8, bool)>,
    pub indexes: Vec<IndexR>,
    pub trigger: Option<(u8, u8, u8)>,
    pub view: Option<(u8, u8, u8)>,
    pub rows: Vec<Vec<Seed>>,
    pub delete: Vec<bool>,
    pub style: u8,
}

#[derive(Debug, Clone)]
pub struct OpR {
    pub kind: u8,
    pub t: u8,
    pub a: u8,
    pub b: u8,
    pub c: u8,
    pub d: u8,
    pub join: bool,
}

#[derive(Debug, Clone)]
pub struct CaseR {
    pub tables: Vec<TableR>,
    pub ops: Vec<OpR>,
    pub per_statement: bool,
}

pub fn seed() -> impl Strategy<Value = Seed> {
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

pub fn col_r() -> impl Strategy<Value = ColR> {
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

pub fn table_r() -> impl Strategy<Value = TableR> {
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

pub fn op_r() -> impl Strategy<Value = OpR> {
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

pub fn case_r() -> impl Strategy<Value = CaseR> {
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
