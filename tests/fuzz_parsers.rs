//! A grammar fuzzer over kit's text parsers: the lexer, `split_statements`, the DDL parser
//! (`parse_create_table`, `parse_column_def`, `parse_table_constraint`), the statement parser
//! (`kit::parse_script`), `kit::sql::decode`, and `kit::plan_sql` against a small in-memory
//! database.
//!
//! Inputs are (a) arbitrary strings and bytes and (b) grammar-shaped SQL: `ALTER TABLE` with
//! every action form kit accepts and `CREATE TABLE` with column and table constraints, then
//! mutated (truncated at a token boundary, tokens dropped, duplicated, swapped or inserted:
//! keywords, quotes, parentheses, NUL, non-ASCII, newlines, comments; characters spliced into
//! tokens) and joined with random whitespace and comments.
//!
//! Properties, on each input and (grammar cases) on its every prefix ending at a token:
//! nothing panics (each call runs under `catch_unwind`, so a panic is a failure that names the
//! function, the panic site and the input); every error's position lies inside the input (a
//! byte offset on a character boundary, or a line and column within the text); a parsed
//! `CREATE TABLE` renders back byte for byte, and still parses, keeping the other items' text,
//! with any one item removed; a parsed column definition or table constraint renders back;
//! unmutated grammar input gets no syntax error.
//!
//! `KIT_FUZZ_CASES=n` sets the number of cases of each property (default 2,000: the three
//! properties run in a few seconds). The cases come from a fixed seed, so every run (CI's too)
//! is reproducible; `KIT_FUZZ_SEED=random` (or a number) explores others. Failure seeds are
//! kept in `proptest-regressions/fuzz_parsers.txt`. `KIT_FUZZ_SURVEY=n` runs n cases of every
//! kind (random seed unless `KIT_FUZZ_SEED` is set) without stopping at the first failure and
//! prints every distinct failure (one per panic site) with the shortest input that reached it,
//! for hunting; it fails if any was found.

use kit::schema::{parse_column_def, parse_create_table, parse_table_constraint};
use kit::sql::{lex, split_statements};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestRunner};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

const REGRESSIONS: &str = "proptest-regressions/fuzz_parsers.txt";

// ---------------------------------------------------------------------------------------------
// Running a parser under catch_unwind.

thread_local! {
    /// Where and why the last caught panic on this thread happened.
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
    /// True while `guard` runs a parser on this thread.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Wraps the panic hook: a panic inside `guard` is recorded (and reported with its input)
/// instead of printed; any other panic (a failed test) prints as usual.
fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                return default(info);
            }
            let site = info
                .location()
                .map_or("?".into(), |l| format!("{}:{}", l.file(), l.line()));
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            LAST_PANIC.with(|p| *p.borrow_mut() = format!("{site}: {msg}"));
        }));
    });
}

/// Runs `f`; a panic becomes an error naming `what`, the panic site and the input.
fn guard<T>(what: &str, input: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    GUARDED.with(|g| g.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(false));
    result.map_err(|_| {
        let site = LAST_PANIC.with(|p| p.borrow().clone());
        format!("{what} panicked at {site}\n  input: {input:?}")
    })
}

// ---------------------------------------------------------------------------------------------
// Position checks.

/// A byte offset must lie inside `src` on a character boundary.
fn offset_ok(what: &str, src: &str, offset: usize) -> Result<(), String> {
    if offset <= src.len() && src.is_char_boundary(offset) {
        Ok(())
    } else {
        Err(format!(
            "{what}: error offset {offset} outside the input (len {})\n  input: {src:?}",
            src.len()
        ))
    }
}

/// A 1-based line and column (in characters) must lie inside `src`: the column at most one
/// past the line's last character.
fn line_col_ok(what: &str, src: &str, line: usize, column: usize) -> Result<(), String> {
    let lines: Vec<&str> = src.split('\n').collect();
    let ok = line >= 1
        && line <= lines.len()
        && column >= 1
        && column <= lines[line - 1].chars().count() + 1;
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what}: error position {line}:{column} outside the input\n  input: {src:?}"
        ))
    }
}

/// The text from the first token to the last (what a column or constraint renders to).
fn token_span(src: &str) -> &str {
    match lex(src) {
        Ok(t) if !t.is_empty() => &src[t[0].start..t[t.len() - 1].end],
        _ => "",
    }
}

// ---------------------------------------------------------------------------------------------
// The properties.

/// Every parser on `src` and the planner: no panic, errors inside the input, parsed text
/// renders back.
fn check_parsers(src: &str) -> Result<(), String> {
    check_text(src)?;
    check_plan(src)
}

/// `check_text` on every prefix of `src` that ends at a token boundary (the statement cut
/// short after each token).
fn check_prefixes(src: &str) -> Result<(), String> {
    let Ok(toks) = lex(src) else { return Ok(()) };
    for t in &toks {
        check_text(&src[..t.end])?;
    }
    Ok(())
}

/// Every parser on `src`: no panic, errors inside the input, parsed text renders back.
fn check_text(src: &str) -> Result<(), String> {
    if let Err(e) = guard("lex", src, || lex(src))? {
        offset_ok("lex", src, e.offset)?;
    }
    match guard("split_statements", src, || split_statements(src))? {
        Err(e) => offset_ok("split_statements", src, e.offset)?,
        Ok(pieces) => {
            for p in &pieces {
                if src.get(p.offset..p.offset + p.text.len()) != Some(p.text.as_str()) {
                    return Err(format!(
                        "split_statements: piece {p:?} is not the input's text\n  input: {src:?}"
                    ));
                }
                check_ddl(&p.text)?;
            }
        }
    }
    check_ddl(src)?;
    check_script(src)
}

/// The DDL parser entry points on `src`.
fn check_ddl(src: &str) -> Result<(), String> {
    match guard("parse_create_table", src, || parse_create_table(src))? {
        Err(e) => offset_ok("parse_create_table", src, e.offset)?,
        Ok(t) => {
            let rendered = guard("Table::render", src, || t.render())?;
            if rendered != src {
                return Err(format!(
                    "parse_create_table: render differs\n  input:    {src:?}\n  rendered: {rendered:?}"
                ));
            }
            guard("Table::named_constraints", src, || t.named_constraints())?;
            check_edits(src, &t)?;
            guard("Table::primary_key", src, || {
                (t.primary_key(), t.rowid_alias().is_some(), t.foreign_keys())
            })?;
        }
    }
    match guard("parse_column_def", src, || parse_column_def(src))? {
        Err(e) => offset_ok("parse_column_def", src, e.offset)?,
        Ok(c) => {
            let rendered = guard("Column::render", src, || c.render())?;
            if rendered != token_span(src) {
                return Err(format!(
                    "parse_column_def: render differs\n  input:    {src:?}\n  rendered: {rendered:?}"
                ));
            }
        }
    }
    match guard("parse_table_constraint", src, || {
        parse_table_constraint(src)
    })? {
        Err(e) => offset_ok("parse_table_constraint", src, e.offset)?,
        Ok(c) if c.text != token_span(src) => {
            return Err(format!(
                "parse_table_constraint: text differs\n  input: {src:?}\n  text:  {:?}",
                c.text
            ))
        }
        Ok(_) => {}
    }
    Ok(())
}

/// A parsed table with any one item removed (as a DROP COLUMN or DROP CONSTRAINT does) still
/// renders to a table that parses, with the other items' text unchanged: comments and gaps kept
/// with an item never break the items around it.
fn check_edits(src: &str, t: &kit::schema::Table) -> Result<(), String> {
    let items = |t: &kit::schema::Table| -> Vec<String> {
        let cols = t.columns.iter().map(|c| c.render());
        cols.chain(t.constraints.iter().map(|c| c.text.clone()))
            .collect()
    };
    let all = items(t);
    for k in 0..all.len() {
        let mut edited = t.clone();
        if k < t.columns.len() {
            if t.columns.len() == 1 {
                continue;
            }
            edited.columns.remove(k);
        } else {
            edited.constraints.remove(k - t.columns.len());
        }
        let text = guard("Table::render", src, || edited.render())?;
        let mut want = all.clone();
        want.remove(k);
        match parse_create_table(&text) {
            Ok(back) if items(&back) == want => {}
            other => {
                return Err(format!(
                    "item {k} removed: the rendered table does not parse back to the other items: \
                     {other:?}\n  input:    {src:?}\n  rendered: {text:?}"
                ))
            }
        }
    }
    Ok(())
}

/// `kit::parse_script` on `src`.
fn check_script(src: &str) -> Result<(), String> {
    if let Err(kit::Error::Syntax { line, column, .. }) =
        guard("parse_script", src, || kit::parse_script(src))?
    {
        line_col_ok("parse_script", src, line, column)?;
    }
    Ok(())
}

/// `kit::plan_sql` on `src` against the fuzz database: `Ok` or `Err`, never a panic.
fn check_plan(src: &str) -> Result<(), String> {
    let conn = database();
    match guard("plan_sql", src, || kit::plan_sql(&conn, src).map(|_| ()))? {
        Err(kit::Error::Syntax { line, column, .. }) => line_col_ok("plan_sql", src, line, column),
        _ => Ok(()),
    }
}

/// A small database the planner runs against.
fn database() -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE t(a, b);
         CREATE TABLE p(id INTEGER PRIMARY KEY, n TEXT UNIQUE CHECK (n <> ''));
         INSERT INTO t VALUES (1, 'x'), (NULL, 2);
         INSERT INTO p VALUES (1, 'one');",
    )
    .unwrap();
    conn
}

/// `kit::sql::decode` on raw bytes, then the parsers on the text when it decodes.
fn check_bytes(bytes: &[u8]) -> Result<(), String> {
    let shown = String::from_utf8_lossy(bytes).into_owned();
    match guard("decode", &shown, || kit::sql::decode(bytes, "input.sql"))? {
        Ok(text) => {
            if text.contains('\0') {
                return Err(format!("decode let a NUL through\n  input: {bytes:?}"));
            }
            check_parsers(&text)
        }
        Err(kit::Error::Input { line, column, .. }) => {
            // The position names the first bad byte, in the valid text before it.
            let valid = match std::str::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap(),
            };
            line_col_ok("decode", valid, line, column)
        }
        Err(other) => Err(format!(
            "decode: unexpected error {other}\n  input: {bytes:?}"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Grammar-shaped SQL, as token lists.

type Toks = Vec<String>;

/// The grammar (kept compact: one line per alternative).
#[rustfmt::skip]
mod grammar {
    use super::Toks;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// Space-separated words as tokens.
    pub fn words(s: &str) -> Toks {
        s.split(' ').filter(|w| !w.is_empty()).map(String::from).collect()
    }

    fn cat(parts: &[Toks]) -> Toks {
        parts.concat()
    }

    fn pick(options: &'static [&'static str]) -> BoxedStrategy<Toks> {
        select(options).prop_map(words).boxed()
    }

    fn paren(e: Toks) -> Toks {
        cat(&[words("("), e, words(")")])
    }

    /// Names: the fuzz database's tables and columns, awkward quoting, non-ASCII.
    const NAMES: &[&str] = &[
        "t", "a", "b", "p", "id", "n", "c", "u", "x", "\"a b\"", "[x y]", "`q`", "\"se\"\"l\"",
        "'s'", "é", "\"日本\"", "_x$", "\"select\"", "main",
    ];

    /// Declared types (never empty: see `type_name`).
    pub const TYPES: &[&str] = &[
        "INT", "INTEGER", "TEXT", "BLOB", "REAL", "ANY", "VARCHAR ( 10 )", "DECIMAL ( 10 , 2 )",
        "DOUBLE PRECISION", "UNSIGNED BIG INT", "\"my type\"",
    ];

    const LITERALS: &[&str] = &[
        "1", "-1.5", "+2", "0x1F", "1e10", "'x'", "'it''s'", "x'00ff'", "NULL", "TRUE",
        "CURRENT_TIMESTAMP", "'é'",
    ];

    const SIMPLE_COLUMN_CONSTRAINTS: &[&str] = &[
        "PRIMARY KEY", "PRIMARY KEY DESC", "PRIMARY KEY AUTOINCREMENT",
        "PRIMARY KEY ASC ON CONFLICT ABORT", "NOT NULL", "NOT NULL ON CONFLICT REPLACE", "NULL",
        "UNIQUE", "UNIQUE ON CONFLICT IGNORE", "COLLATE NOCASE", "COLLATE \"default\"",
    ];

    const FK_ACTIONS: &[&str] = &[
        "", "ON DELETE CASCADE", "ON DELETE SET NULL", "ON UPDATE SET DEFAULT",
        "ON DELETE NO ACTION NOT DEFERRABLE", "DEFERRABLE INITIALLY DEFERRED", "MATCH FULL",
    ];

    const OTHER_STATEMENTS: &[&str] = &[
        "INSERT INTO t VALUES ( 1 , 2 )",
        "UPDATE t SET a = 3 WHERE b IS NULL",
        "DELETE FROM p WHERE id = 1",
        "CREATE INDEX i ON t ( a )",
        "DROP TABLE t",
        "CREATE VIEW v AS SELECT a FROM t",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET b = CASE WHEN 1 THEN 2 END ; END",
        "BEGIN",
        "PRAGMA foreign_keys = ON",
    ];

    fn name() -> BoxedStrategy<Toks> {
        select(NAMES).prop_map(|n| vec![n.to_string()]).boxed()
    }

    /// A column's declared type, or none.
    fn type_name() -> BoxedStrategy<Toks> {
        prop::option::weighted(0.85, pick(TYPES)).prop_map(Option::unwrap_or_default).boxed()
    }

    fn expr() -> BoxedStrategy<Toks> {
        let leaf = prop_oneof![
            pick(LITERALS),
            name(),
            pick(&["a > 0", "b IS NOT NULL", "lower ( b )", "a ISNULL", "a BETWEEN 1 AND 2"]),
        ];
        leaf.prop_recursive(2, 8, 2, |inner| {
            prop_oneof![
                (inner.clone(), select(&["+", "||", "AND", "=", "<>", "->>"][..]), inner.clone())
                    .prop_map(|(a, op, b)| cat(&[a, words(op), b])),
                inner.clone().prop_map(paren),
                inner.prop_map(|e| cat(&[words("CASE WHEN"), e, words("THEN 1 ELSE 2 END")])),
            ]
        })
        .boxed()
    }

    fn name_list() -> BoxedStrategy<Toks> {
        let item = (name(), pick(&["", "DESC", "ASC", "COLLATE NOCASE"])).prop_map(|(n, s)| cat(&[n, s]));
        prop::collection::vec(item, 1..3).prop_map(|cols| paren(cols.join(&",".to_string()))).boxed()
    }

    fn references() -> BoxedStrategy<Toks> {
        (name(), prop::option::of(name_list()), pick(FK_ACTIONS))
            .prop_map(|(t, cols, actions)| cat(&[words("REFERENCES"), t, cols.unwrap_or_default(), actions]))
            .boxed()
    }

    /// `body`, with `CONSTRAINT name` before it or not.
    fn named(body: BoxedStrategy<Toks>) -> BoxedStrategy<Toks> {
        (prop::option::of(name()), body)
            .prop_map(|(n, b)| match n {
                Some(n) => cat(&[words("CONSTRAINT"), n, b]),
                None => b,
            })
            .boxed()
    }

    fn column_constraint() -> BoxedStrategy<Toks> {
        named(prop_oneof![
            pick(SIMPLE_COLUMN_CONSTRAINTS),
            expr().prop_map(|e| cat(&[words("CHECK"), paren(e)])),
            pick(LITERALS).prop_map(|l| cat(&[words("DEFAULT"), l])),
            expr().prop_map(|e| cat(&[words("DEFAULT"), paren(e)])),
            references(),
            (pick(&["AS", "GENERATED ALWAYS AS"]), expr(), pick(&["", "STORED", "VIRTUAL"]))
                .prop_map(|(g, e, s)| cat(&[g, paren(e), s])),
        ].boxed())
    }

    fn column_def() -> BoxedStrategy<Toks> {
        (name(), type_name(), prop::collection::vec(column_constraint(), 0..4))
            .prop_map(|(n, t, cs)| cat(&[n, t, cs.concat()]))
            .boxed()
    }

    fn table_constraint() -> BoxedStrategy<Toks> {
        named(prop_oneof![
            name_list().prop_map(|l| cat(&[words("PRIMARY KEY"), l])),
            name_list().prop_map(|l| cat(&[words("UNIQUE"), l])),
            expr().prop_map(|e| cat(&[words("CHECK"), paren(e)])),
            (name_list(), references()).prop_map(|(l, r)| cat(&[words("FOREIGN KEY"), l, r])),
        ].boxed())
    }

    fn create_table() -> BoxedStrategy<Toks> {
        (
            pick(&["CREATE TABLE", "CREATE TEMP TABLE", "CREATE TABLE IF NOT EXISTS"]),
            name(),
            prop::collection::vec(column_def(), 1..4),
            prop::collection::vec(table_constraint(), 0..3),
            pick(&["", "STRICT", "WITHOUT ROWID", "STRICT , WITHOUT ROWID"]),
        )
            .prop_map(|(head, n, cols, cons, opts)| {
                let items: Vec<Toks> = cols.into_iter().chain(cons).collect();
                cat(&[head, n, paren(items.join(&",".to_string())), opts])
            })
            .boxed()
    }

    /// Every action form kit accepts (README, statements.rs).
    fn alter_action() -> BoxedStrategy<Toks> {
        let alter = || pick(&["ALTER", "ALTER COLUMN"]);
        prop_oneof![
            (pick(&["ADD", "ADD COLUMN", "ADD COLUMN IF NOT EXISTS"]), column_def())
                .prop_map(|(a, c)| cat(&[a, c])),
            (pick(&["DROP", "DROP COLUMN", "DROP COLUMN IF EXISTS"]), name(), pick(&["", "RESTRICT", "CASCADE"]))
                .prop_map(|(a, c, r)| cat(&[a, c, r])),
            (pick(&["RENAME", "RENAME COLUMN"]), name(), name())
                .prop_map(|(a, f, t)| cat(&[a, f, words("TO"), t])),
            name().prop_map(|t| cat(&[words("RENAME TO"), t])),
            (alter(), name(), pick(&["TYPE", "SET DATA TYPE"]), pick(TYPES),
             pick(&["", "COLLATE NOCASE", "COLLATE \"default\""]), prop::option::of(expr()))
                .prop_map(|(a, c, ty, t, co, u)| {
                    let using = u.map(|e| cat(&[words("USING"), e])).unwrap_or_default();
                    cat(&[a, c, ty, t, co, using])
                }),
            (alter(), name(), pick(&["SET NOT NULL", "DROP NOT NULL", "DROP DEFAULT"]))
                .prop_map(|(a, c, s)| cat(&[a, c, s])),
            (alter(), name(), expr()).prop_map(|(a, c, e)| cat(&[a, c, words("SET DEFAULT"), e])),
            table_constraint().prop_map(|c| cat(&[words("ADD"), c])),
            (pick(&["DROP CONSTRAINT", "DROP CONSTRAINT IF EXISTS"]), name(), pick(&["", "CASCADE", "RESTRICT"]))
                .prop_map(|(d, n, r)| cat(&[d, n, r])),
            pick(&["SET STRICT", "SET NOT STRICT", "SET WITHOUT ROWID", "SET WITH ROWID"]),
        ]
        .boxed()
    }

    fn alter_table() -> BoxedStrategy<Toks> {
        (
            pick(&["ALTER TABLE", "ALTER TABLE IF EXISTS", "ALTER TABLE ONLY"]),
            prop::option::of(Just(words("main ."))),
            name(),
            prop::collection::vec(alter_action(), 1..4),
        )
            .prop_map(|(head, schema, t, actions)| {
                cat(&[head, schema.unwrap_or_default(), t, actions.join(&",".to_string())])
            })
            .boxed()
    }

    fn statement() -> BoxedStrategy<Toks> {
        prop_oneof![4 => alter_table(), 3 => create_table(), 1 => pick(OTHER_STATEMENTS)].boxed()
    }

    /// A script of 1-3 statements, as tokens.
    pub fn script() -> BoxedStrategy<Toks> {
        (prop::collection::vec(statement(), 1..4), any::<bool>())
            .prop_map(|(sts, last)| {
                let mut t = sts.join(&";".to_string());
                if last {
                    t.push(";".into());
                }
                t
            })
            .boxed()
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations and joining.

/// Tokens and characters that break grammar-shaped input in interesting ways.
#[rustfmt::skip]
const NOISE: &[&str] = &[
    "NOT", "NULL", "CONSTRAINT", "PRIMARY", "KEY", "CHECK", "DEFAULT", "COLLATE", "REFERENCES",
    "GENERATED", "ALWAYS", "AS", "ADD", "DROP", "COLUMN", "ALTER", "TABLE", "SET", "DATA", "TYPE",
    "USING", "IF", "EXISTS", "TO", "RENAME", "FOREIGN", "UNIQUE", "ON", "CONFLICT", "DELETE",
    "CASCADE", "STRICT", "WITHOUT", "ROWID", "CREATE", "TRIGGER", "BEGIN", "END", "CASE",
    "DEFERRABLE", "(", ")", ",", ";", ".", "-", "+", "'", "\"", "`", "[", "]", "x'", "0x", "1e",
    "5", "?", ":a", "$", "@", "\0", "é", "😀", "\u{feff}", "\u{2028}", "\n", "\r\n", "\t", "--",
    "/*", "*/", "\\",
];

/// Separators between tokens (a plain space most often).
#[rustfmt::skip]
const SEPS: &[&str] = &[
    " ", " ", " ", " ", " ", " ", "\n", "\n    ", "\t", "\r\n", "", " -- note\n", "/* c */",
    " /* multi\nline */ ", "\n-- é\n", "/* -- */", " /* a\n-- b */ ",
];

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(Index),
    Drop(Index),
    Duplicate(Index),
    Swap(Index),
    Insert(Index, &'static str),
    Splice(Index, Index, &'static str),
}

fn mutation() -> BoxedStrategy<Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::Truncate),
        any::<Index>().prop_map(Mutation::Drop),
        any::<Index>().prop_map(Mutation::Duplicate),
        any::<Index>().prop_map(Mutation::Swap),
        (any::<Index>(), select(NOISE)).prop_map(|(i, n)| Mutation::Insert(i, n)),
        (any::<Index>(), any::<Index>(), select(NOISE))
            .prop_map(|(i, j, n)| Mutation::Splice(i, j, n)),
    ]
    .boxed()
}

fn mutate(toks: &mut Toks, m: &Mutation) {
    let n = toks.len();
    match m {
        Mutation::Truncate(i) => toks.truncate(i.index(n + 1)),
        Mutation::Drop(i) if n > 0 => {
            toks.remove(i.index(n));
        }
        Mutation::Duplicate(i) if n > 0 => {
            let k = i.index(n);
            toks.insert(k, toks[k].clone());
        }
        Mutation::Swap(i) if n > 1 => toks.swap(i.index(n - 1), i.index(n - 1) + 1),
        Mutation::Insert(i, noise) => toks.insert(i.index(n + 1), noise.to_string()),
        Mutation::Splice(i, j, noise) if n > 0 => {
            let t = &mut toks[i.index(n)];
            let bounds: Vec<usize> = (0..=t.len()).filter(|&b| t.is_char_boundary(b)).collect();
            t.insert_str(bounds[j.index(bounds.len())], noise);
        }
        _ => {}
    }
}

/// Joins tokens with the chosen separators (cycled), `empty` standing for the empty one.
fn join(toks: &[String], seps: &[Index], empty: &str) -> String {
    let mut s = String::new();
    for (k, t) in toks.iter().enumerate() {
        if k > 0 {
            let sep = SEPS[seps[k % seps.len()].index(SEPS.len())];
            s.push_str(if sep.is_empty() { empty } else { sep });
        }
        s.push_str(t);
    }
    s
}

/// A grammar case: the script's tokens, its mutations and separators.
#[derive(Debug, Clone)]
struct Case {
    toks: Toks,
    mutations: Vec<Mutation>,
    seps: Vec<Index>,
}

impl Case {
    fn text(&self) -> String {
        let mut toks = self.toks.clone();
        for m in &self.mutations {
            mutate(&mut toks, m);
        }
        join(&toks, &self.seps, "")
    }
}

fn case() -> BoxedStrategy<Case> {
    (
        grammar::script(),
        prop::collection::vec(mutation(), 0..4),
        prop::collection::vec(any::<Index>(), 1..16),
    )
        .prop_map(|(toks, mutations, seps)| Case {
            toks,
            mutations,
            seps,
        })
        .boxed()
}

/// Unmutated grammar input must parse: the parser never reports a syntax error in a statement
/// kit accepts (refusing a form by design, such as `DROP COLUMN ... CASCADE`, is not one).
fn check_unmutated(c: &Case) -> Result<(), String> {
    if !c.mutations.is_empty() {
        return Ok(());
    }
    // An empty separator may run two words together: this check uses a space there.
    let text = join(&c.toks, &c.seps, " ");
    match kit::parse_script(&text) {
        Err(e @ kit::Error::Syntax { .. }) => Err(format!(
            "unmutated input refused by the parser: {e}\n  input: {text:?}"
        )),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Runners.

fn cases() -> u32 {
    std::env::var("KIT_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000)
}

/// The seed of the generated cases: fixed by default, so every run (CI's included) checks the
/// same cases and a failure reproduces; `KIT_FUZZ_SEED=random` (or a number) explores others,
/// `PROPTEST_RNG_SEED` is honoured as proptest documents it. `fallback` is used when neither is set.
fn rng_seed(fallback: RngSeed) -> RngSeed {
    if std::env::var_os("PROPTEST_RNG_SEED").is_some() {
        return Config::default().rng_seed;
    }
    match std::env::var("KIT_FUZZ_SEED").ok().as_deref() {
        Some("random") => RngSeed::Random,
        Some(n) => n.parse().map_or(RngSeed::Random, RngSeed::Fixed),
        None => fallback,
    }
}

fn runner(seed: RngSeed) -> TestRunner {
    quiet_panics();
    TestRunner::new(Config {
        cases: cases(),
        max_shrink_iters: 4096,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        rng_seed: rng_seed(seed),
        ..Config::default()
    })
}

/// The default seed of the property tests.
const SEED: RngSeed = RngSeed::Fixed(0x6b69_7400_0000_0806);

fn run<T: std::fmt::Debug>(
    strategy: impl Strategy<Value = T>,
    test: impl Fn(T) -> Result<(), String>,
) {
    let result = runner(SEED).run(&strategy, |v| test(v).map_err(TestCaseError::fail));
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn fuzz_grammar_shaped_sql() {
    run(case(), |c| {
        check_unmutated(&c)?;
        let text = c.text();
        check_parsers(&text)?;
        check_prefixes(&text)
    });
}

/// Short strings over SQL's punctuation, quotes, comment starts, NUL and non-ASCII.
const SQLISH: &str = "[a-zA-Z0-9_ (),;.'\"`\\[\\]\\-+*/<>=!|?:@$\n\r\t\u{0}é😀]{0,60}";

#[test]
fn fuzz_arbitrary_text() {
    run(
        prop_oneof![
            any::<String>(),
            proptest::string::string_regex(SQLISH).unwrap()
        ],
        |s| check_parsers(&s),
    );
}

#[test]
fn fuzz_arbitrary_bytes() {
    let prefix = select(
        &[
            "",
            "ALTER TABLE t ADD c INT ",
            "CREATE TABLE t(a ",
            "-- c\n",
        ][..],
    );
    run(
        (prefix, prop::collection::vec(any::<u8>(), 0..40)),
        |(p, b)| check_bytes(&[p.as_bytes(), &b].concat()),
    );
}

/// Hunting mode (`KIT_FUZZ_SURVEY=n`): n grammar cases, every distinct panic site reported.
#[test]
fn fuzz_survey() {
    let Some(n) = std::env::var("KIT_FUZZ_SURVEY")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
    else {
        return;
    };
    let mut runner = runner(RngSeed::Random);
    let strategy = prop_oneof![
        4 => case().prop_map(|c| c.text()),
        1 => any::<String>(),
        1 => proptest::string::string_regex(SQLISH).unwrap(),
    ];
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for _ in 0..n {
        let text = strategy.new_tree(&mut runner).unwrap().current();
        if let Err(e) = check_parsers(&text).and_then(|()| check_prefixes(&text)) {
            // One entry per panic site (or per kind of other failure).
            let first = e.lines().next().unwrap_or("");
            let key = match first.split_once(" panicked at ") {
                Some((_, site)) => site.split(": ").next().unwrap_or(site).to_string(),
                None => first.to_string(),
            };
            let text = format!("{e}\n  (whole input: {text:?})");
            let shorter = found.get(&key).is_none_or(|old| text.len() < old.len());
            if shorter {
                found.insert(key, text);
            }
        }
    }
    for (site, report) in &found {
        eprintln!("{site}: {report}");
    }
    assert!(found.is_empty(), "{} distinct failures", found.len());
}

/// Known-nasty inputs (every panic the fuzzer found, and their neighbours): none may panic,
/// every error must point inside the input, and parsed text must render back.
#[test]
fn seed_corpus() {
    quiet_panics();
    let mut failures = Vec::new();
    for input in SEEDS {
        if let Err(e) = check_parsers(input) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The seed corpus: first every input the fuzzer found failing before the fixes, then
/// statements cut short after each keyword and other known-nasty text.
#[rustfmt::skip]
const SEEDS: &[&str] = &[
    // Panicked (index out of bounds in `span`): a column definition ending in NOT.
    "ALTER TABLE t ADD COLUMN n NOT",
    "ALTER TABLE t ADD n INT NOT, ADD m INT",
    "CREATE TABLE t(a NOT)",
    "CREATE TABLE t(a INT CONSTRAINT k NOT)",
    "CREATE TABLE NOT",
    "TABLEIF\n    NOT",
    "ALTER TABLE \"é\"\r\n\tADD c NOT",
    // Rendered back differently: an empty gap before a type or constraint got a space.
    "BE;GIN",
    "U=",
    "CREATE TABLE \"日本\"(\n's' VARCHAR ( )PRIMARY\nKEY ) STRICT",
    "CREATE TEMP\r\nTABLE u /* multi\nline */ (\r\n\"a [b\"INTEGER\n-- é\n)",
    // Rendered back differently: table constraints without a comma got one.
    "CREATE TEMP\nTABLE a ( p\nUNSIGNED BIG INT ,\nCHECK ( ( c\n) , ) CONSTRAINT\na UNIQUE ( p\nDESC , \"select\" DESC\n) ) STRICT ,\nWITHOUT ROWID ;",
    // Rendered back differently: `--` inside a block comment taken for a line comment.
    "CREATE TABLE t(a INT /* -- */, b INT)",
    "CREATE TABLE t(a INT, /* x\n-- y */ b INT)",
    // Silently cut by SQLite at the NUL (issue 8, item 8).
    "ALTER TABLE t ADD COLUMN c INT\0EGER NOT NULL DEFAULT 5;",
    "INSERT INTO t VALUES ('\0');", "-- \0\nSELECT 1", "/* \0", "\0",
    // Parsed as a table without columns (SQLite refuses it); nothing left when its
    // constraint was removed.
    "CREATE TABLE t ( CHECK ( CASE WHEN 1 THEN 1 ELSE 2 END ) )",
    // Cut short after each keyword.
    "", ";", ";;", "(", ")", "'", "\"", "[", "`", "x'", "/*", "--", "-", "é", "😀", "\r",
    "\r\n\r\n", "5NOT", "0x", "\u{feff}ALTER TABLE t ADD c INT",
    "CREATE TRIGGER", "CREATE TRIGGER tr BEGIN", "CREATE TRIGGER tr BEGIN CASE", "END", "END;",
    "ALTER", "ALTER TABLE", "ALTER TABLE t", "ALTER TABLE t,", "ALTER TABLE t ADD",
    "ALTER TABLE t ADD COLUMN", "ALTER TABLE t ADD COLUMN IF", "ALTER TABLE t ADD COLUMN IF NOT",
    "ALTER TABLE t ADD CONSTRAINT", "ALTER TABLE t ADD CONSTRAINT c", "ALTER TABLE t ADD PRIMARY",
    "ALTER TABLE t ADD PRIMARY KEY", "ALTER TABLE t ADD PRIMARY KEY (", "ALTER TABLE t ADD UNIQUE (a) ON",
    "ALTER TABLE t ADD CHECK", "ALTER TABLE t ADD CHECK (a) NOT", "ALTER TABLE t ADD FOREIGN KEY (a)",
    "ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES", "ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES p (",
    "ALTER TABLE t ALTER", "ALTER TABLE t ALTER a", "ALTER TABLE t ALTER a TYPE",
    "ALTER TABLE t ALTER a TYPE INT COLLATE", "ALTER TABLE t ALTER a TYPE INT USING",
    "ALTER TABLE t ALTER a SET", "ALTER TABLE t ALTER a SET DEFAULT", "ALTER TABLE t ALTER a SET DATA",
    "ALTER TABLE t ALTER a SET NOT", "ALTER TABLE t ALTER a DROP", "ALTER TABLE t ALTER a DROP NOT",
    "ALTER TABLE t RENAME", "ALTER TABLE t RENAME a", "ALTER TABLE t RENAME a TO", "ALTER TABLE t RENAME TO",
    "ALTER TABLE t DROP", "ALTER TABLE t DROP COLUMN IF", "ALTER TABLE t DROP CONSTRAINT",
    "ALTER TABLE t DROP CONSTRAINT IF", "ALTER TABLE t SET", "ALTER TABLE t SET NOT",
    "ALTER TABLE t SET WITHOUT", "ALTER TABLE main.", "ALTER TABLE t ADD a INT)",
    "ALTER TABLE t ADD CHECK ((a)", "ALTER TABLE t ADD c INT DEFAULT 5NOT NULL",
    "CREATE TABLE t(", "CREATE TABLE t()", "CREATE TABLE t(a,)", "CREATE TABLE t(a DEFAULT",
    "CREATE TABLE t(a DEFAULT -", "CREATE TABLE t(a DEFAULT -)", "CREATE TABLE t(a GENERATED",
    "CREATE TABLE t(a GENERATED ALWAYS", "CREATE TABLE t(a AS", "CREATE TABLE t(a AS (",
    "CREATE TABLE t(a REFERENCES", "CREATE TABLE t(a REFERENCES p(", "CREATE TABLE t(a COLLATE)",
    "CREATE TABLE t(a, FOREIGN KEY", "CREATE TABLE t(a, CONSTRAINT", "CREATE TABLE t(a, CONSTRAINT c)",
    "CREATE TABLE t(a PRIMARY)", "CREATE TABLE t(a CHECK)", "CREATE TABLE t(a) STRICT,",
    "CREATE TABLE IF", "CREATE TABLE IF NOT", "CREATE TEMP", "CREATE TABLE main.(a)",
];
