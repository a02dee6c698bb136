//! Parses `CREATE TABLE` text (and single column definitions and table constraints) into the
//! model, keeping every piece's original text by byte span.

use super::*;
use crate::sql::{lex, LexError, Tok, Token};

/// A parse failure: message and byte offset in the parsed text.
pub type ParseError = LexError;

fn perr(message: impl Into<String>, offset: usize) -> ParseError {
    ParseError {
        message: message.into(),
        offset,
    }
}

/// Words that begin a column constraint.
const CONSTRAINT_START: &[&str] = &[
    "constraint",
    "primary",
    "not",
    "null",
    "unique",
    "check",
    "default",
    "collate",
    "references",
    "generated",
    "as",
];

/// Byte offset where token `i` starts, or the end of the last token when `i` is past the end
/// (where "expected X" errors point when the text stops early).
fn at(toks: &[Token], i: usize) -> usize {
    match toks.get(i) {
        Some(t) => t.start,
        None => toks.last().map_or(0, |t| t.end),
    }
}

/// Requires the bare keyword `kw` at `toks[i]`; `after` names what came before, for the error.
fn expect_kw(src: &str, toks: &[Token], i: usize, kw: &str, after: &str) -> Result<(), ParseError> {
    match toks.get(i) {
        Some(t) if t.is_kw(src, kw) => Ok(()),
        found => Err(perr(
            format!(
                "expected {} after {after}{}",
                kw.to_uppercase(),
                found_text(src, found)
            ),
            at(toks, i),
        )),
    }
}

/// `, found 'x'` for an error message, or nothing when the text ended.
fn found_text(src: &str, found: Option<&Token>) -> String {
    found.map_or(String::new(), |t| format!(", found '{}'", t.text(src)))
}

/// Requires `(` at `toks[i]` and returns its index and the index of its closing `)`.
fn paren_at(
    src: &str,
    toks: &[Token],
    i: usize,
    after: &str,
) -> Result<(usize, usize), ParseError> {
    match toks.get(i) {
        Some(t) if t.is_punct(src, "(") => Ok((i, close_paren(src, toks, i)?)),
        found => Err(perr(
            format!("expected '(' after {after}{}", found_text(src, found)),
            at(toks, i),
        )),
    }
}

/// Index of the token closing the parenthesis opened at `open`.
fn close_paren(src: &str, toks: &[Token], open: usize) -> Result<usize, ParseError> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t.is_punct(src, "(") {
            depth += 1;
        } else if t.is_punct(src, ")") {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Ok(i);
            }
        }
    }
    Err(perr(
        "'(' is never closed: add the missing ')'",
        at(toks, open),
    ))
}

/// Splits tokens `toks[from..to]` at top-level commas; returns index ranges.
fn split_commas(src: &str, toks: &[Token], from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut s = from;
    for (i, t) in toks.iter().enumerate().take(to).skip(from) {
        if t.is_punct(src, "(") {
            depth += 1;
        } else if t.is_punct(src, ")") {
            depth -= 1;
        } else if depth == 0 && t.is_punct(src, ",") {
            out.push((s, i));
            s = i + 1;
        }
    }
    out.push((s, to));
    out
}

/// Text of tokens `toks[a..b]` (from the first token's start to the last one's end).
fn span(src: &str, toks: &[Token], a: usize, b: usize) -> String {
    let b = b.min(toks.len());
    if a >= b {
        return String::new();
    }
    src[toks[a].start..toks[b - 1].end].to_string()
}

/// Column names of an indexed-column list `( a COLLATE x DESC, b )` between `open` and its close.
fn name_list(
    src: &str,
    toks: &[Token],
    open: usize,
    close: usize,
) -> Result<Vec<String>, ParseError> {
    split_commas(src, toks, open + 1, close)
        .into_iter()
        .map(|(a, _)| {
            toks.get(a)
                .filter(|_| a < close)
                .and_then(|t| t.ident(src))
                .ok_or_else(|| perr("expected a column name", at(toks, a)))
        })
        .collect()
}

/// Checks `CREATE [TEMP|TEMPORARY] TABLE [IF NOT EXISTS] [schema.]name (`, with the `(` at
/// `open`, and returns the name.
fn table_name(src: &str, toks: &[Token], open: usize) -> Result<String, ParseError> {
    let head = "expected CREATE TABLE name ( ... )";
    if !toks.first().is_some_and(|t| t.is_kw(src, "create")) {
        return Err(perr(head, 0));
    }
    let mut i = 1;
    if toks[i].is_kw(src, "temp") || toks[i].is_kw(src, "temporary") {
        i += 1;
    }
    expect_kw(src, toks, i, "table", "CREATE")?;
    i += 1;
    if toks[i].is_kw(src, "if") && i + 1 != open {
        expect_kw(src, toks, i + 1, "not", "IF")?;
        expect_kw(src, toks, i + 2, "exists", "IF NOT")?;
        i += 3;
    }
    if i + 2 < open && toks[i + 1].is_punct(src, ".") {
        i += 2; // schema-qualified: main.t
    }
    let name = toks[i]
        .ident(src)
        .filter(|_| i + 1 == open)
        .ok_or_else(|| perr(format!("{head}: expected the table name"), toks[i].start))?;
    Ok(name)
}

/// Parses `CREATE TABLE name (items) options`.
pub fn parse_create_table(src: &str) -> Result<Table, ParseError> {
    let toks = lex(src)?;
    let open = toks
        .iter()
        .position(|t| t.is_punct(src, "("))
        .ok_or_else(|| perr("expected '(' in CREATE TABLE", src.len()))?;
    let name = table_name(src, &toks, open)?;
    let close = close_paren(src, &toks, open)?;
    let mut table = Table {
        name,
        stored_sql: src.to_string(),
        head: src[..toks[open].end].to_string(),
        columns: vec![],
        constraints: vec![],
        trailing: src[toks[close - 1].end.max(toks[open].end)..toks[close].start].to_string(),
        tail: src[toks[close].end..].to_string(),
        strict: false,
        without_rowid: false,
    };
    let mut prev_end = toks[open].end;
    for item in split_commas(src, &toks, open + 1, close) {
        prev_end = add_item(src, &toks, item, close, prev_end, &mut table)?;
    }
    for t in &toks[close + 1..] {
        if t.is_kw(src, "strict") {
            table.strict = true;
        } else if t.is_kw(src, "rowid") {
            table.without_rowid = true;
        }
    }
    Ok(table)
}

/// Parses item `toks[a..b]` of the list that `toks[close]` closes (a column definition, or
/// table constraints) into `table`; `prev_end` is where the previous item's comma ended.
/// Returns where this item's comma (or the closing parenthesis) ends.
fn add_item(
    src: &str,
    toks: &[Token],
    (a, b): (usize, usize),
    close: usize,
    prev_end: usize,
    table: &mut Table,
) -> Result<usize, ParseError> {
    if a >= b {
        return Err(perr(
            "empty item in CREATE TABLE: remove the extra ','",
            toks[a.min(close)].start,
        ));
    }
    let leading = attach_comment(table, src[prev_end..toks[a].start].to_string());
    // Text between the item's last token and its comma (the last item's is `trailing`).
    let precomma = if b < close {
        src[toks[b - 1].end..toks[b].start].to_string()
    } else {
        String::new()
    };
    if starts_table_constraint(src, &toks[a]) {
        if table.columns.is_empty() {
            return Err(perr(
                "a table constraint before any column: define the columns first",
                toks[a].start,
            ));
        }
        table_constraints(src, toks, (a, b), table, leading, precomma)?;
    } else {
        if !table.constraints.is_empty() {
            return Err(perr(
                "column definition after a table constraint: columns come first",
                toks[a].start,
            ));
        }
        let mut c = column_def(src, &toks[a..b])?;
        c.leading = leading;
        c.precomma = precomma;
        table.columns.push(c);
    }
    Ok(toks[b].end)
}

/// A comment on the same line as the previous item's comma belongs to that item: moves it from
/// `leading` (the text before the next item) to the previous item and returns the rest.
fn attach_comment(table: &mut Table, leading: String) -> String {
    let Some(nl) = crate::sql::same_line_comment(&leading) else {
        return leading;
    };
    let comment = leading[..nl].to_string();
    if let Some(c) = table.constraints.last_mut() {
        c.comment = comment;
    } else if let Some(c) = table.columns.last_mut() {
        c.comment = comment;
    } else {
        return leading;
    }
    leading[nl..].to_string()
}

/// Words that begin a table constraint.
const TABLE_CONSTRAINT_START: [&str; 5] = ["constraint", "primary", "unique", "check", "foreign"];

/// True when the token begins a table constraint.
fn starts_table_constraint(src: &str, t: &Token) -> bool {
    TABLE_CONSTRAINT_START.iter().any(|k| t.is_kw(src, k))
}

/// Parses the table constraints of item `toks[a..b]` into `table`. SQLite accepts table
/// constraints without a separating comma, so one item may hold several.
fn table_constraints(
    src: &str,
    toks: &[Token],
    (a, b): (usize, usize),
    table: &mut Table,
    leading: String,
    precomma: String,
) -> Result<(), ParseError> {
    let mut starts = vec![a];
    let mut depth = 0;
    for j in a + 1..b {
        let t = &toks[j];
        if t.is_punct(src, "(") {
            depth += 1;
        } else if t.is_punct(src, ")") {
            depth -= 1;
        } else if depth == 0
            && starts_table_constraint(src, t)
            && !(j >= a + 2 && toks[j - 2].is_kw(src, "constraint"))
        {
            starts.push(j);
        }
    }
    starts.push(b);
    let parts = starts.len() - 1;
    for (n, w) in starts.windows(2).enumerate() {
        let mut c = table_constraint(src, &toks[w[0]..w[1]])?;
        if n == 0 {
            c.leading = leading.clone();
        } else {
            c.leading = src[toks[w[0] - 1].end..toks[w[0]].start].to_string();
            c.no_comma = true;
        }
        if n + 1 == parts {
            c.precomma = precomma.clone();
        }
        table.constraints.push(c);
    }
    Ok(())
}

/// Parses one column definition, e.g. `age INTEGER NOT NULL DEFAULT 0`.
pub fn parse_column_def(src: &str) -> Result<Column, ParseError> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return Err(perr("expected a column definition", 0));
    }
    column_def(src, &toks)
}

/// Parses one table constraint, e.g. `CONSTRAINT u UNIQUE (a, b)`.
pub fn parse_table_constraint(src: &str) -> Result<TableConstraint, ParseError> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return Err(perr("expected a constraint", 0));
    }
    table_constraint(src, &toks)
}

/// True when `toks[i]` begins a column constraint (not a word of a REFERENCES clause).
fn is_constraint_start(src: &str, toks: &[Token], i: usize) -> bool {
    let t = &toks[i];
    if !CONSTRAINT_START.iter().any(|k| t.is_kw(src, k)) {
        return false;
    }
    let prev_is = |k: &str| i > 0 && toks[i - 1].is_kw(src, k);
    // ON DELETE SET NULL / SET DEFAULT and NOT DEFERRABLE belong to a REFERENCES clause.
    if (t.is_kw(src, "null") || t.is_kw(src, "default")) && prev_is("set") {
        return false;
    }
    if t.is_kw(src, "null") && prev_is("not") {
        return false;
    }
    if t.is_kw(src, "not") && toks.get(i + 1).is_some_and(|n| n.is_kw(src, "deferrable")) {
        return false;
    }
    true
}

/// Index of the first token from `from` on that begins a column constraint outside
/// parentheses (or `toks.len()`). A `)` without its `(`, or a `(` never closed, is an error.
fn next_constraint(src: &str, toks: &[Token], from: usize) -> Result<usize, ParseError> {
    let mut open = Vec::new();
    for (j, t) in toks.iter().enumerate().skip(from) {
        if t.is_punct(src, "(") {
            open.push(j);
        } else if t.is_punct(src, ")") {
            if open.pop().is_none() {
                return Err(perr("')' without a matching '('", t.start));
            }
        } else if open.is_empty() && is_constraint_start(src, toks, j) {
            return Ok(j);
        }
    }
    match open.first() {
        Some(&o) => Err(perr(
            "'(' is never closed: add the missing ')'",
            toks[o].start,
        )),
        None => Ok(toks.len()),
    }
}

/// Parses the column definition `toks` (name, type, constraints).
fn column_def(src: &str, toks: &[Token]) -> Result<Column, ParseError> {
    let name = toks[0].ident(src).ok_or_else(|| {
        perr(
            format!("expected a column name, found '{}'", toks[0].text(src)),
            toks[0].start,
        )
    })?;
    // The type: tokens up to the first constraint keyword outside parentheses.
    let mut i = next_constraint(src, toks, 1)?;
    let type_text = span(src, toks, 1, i);
    let type_gap = if i > 1 {
        src[toks[0].end..toks[1].start].to_string()
    } else {
        String::new()
    };
    let mut constraints = Vec::new();
    while i < toks.len() {
        let (c, end) = column_constraint(src, toks, i)?;
        constraints.push(c);
        i = end;
    }
    Ok(Column {
        leading: String::new(),
        comment: String::new(),
        name,
        name_text: Some(toks[0].text(src).to_string()),
        type_gap,
        type_text,
        constraints,
        precomma: String::new(),
    })
}

/// `CONSTRAINT name` at `toks[i]`, if written: the name and the index after it.
fn constraint_name(
    src: &str,
    toks: &[Token],
    i: usize,
) -> Result<(Option<String>, usize), ParseError> {
    if !toks[i].is_kw(src, "constraint") {
        return Ok((None, i));
    }
    let name = toks.get(i + 1).and_then(|t| t.ident(src)).ok_or_else(|| {
        perr(
            "expected a constraint name after CONSTRAINT",
            at(toks, i + 1),
        )
    })?;
    if i + 2 >= toks.len() {
        return Err(perr(
            "expected a constraint after its name (CONSTRAINT name CHECK (...), ...)",
            at(toks, i + 2),
        ));
    }
    Ok((Some(name), i + 2))
}

/// Parses the column constraint starting at `toks[start]`; returns it and the index after it.
fn column_constraint(
    src: &str,
    toks: &[Token],
    start: usize,
) -> Result<(ColumnConstraint, usize), ParseError> {
    let gap = src[toks[start - 1].end..toks[start].start].to_string();
    let (name, i) = constraint_name(src, toks, start)?;
    let (kind, end) = column_constraint_kind(src, toks, i)?;
    let c = ColumnConstraint {
        gap,
        name,
        kind,
        text: span(src, toks, start, end),
    };
    Ok((c, end))
}

/// The constraint whose keyword is at `toks[i]` (after any `CONSTRAINT name`) and the index
/// after it.
fn column_constraint_kind(
    src: &str,
    toks: &[Token],
    i: usize,
) -> Result<(ColumnConstraintKind, usize), ParseError> {
    let t = &toks[i];
    let kw = if t.kind == Tok::Word {
        t.text(src).to_ascii_lowercase()
    } else {
        String::new()
    };
    Ok(match kw.as_str() {
        "primary" => {
            expect_kw(src, toks, i + 1, "key", "PRIMARY")?;
            let end = next_constraint(src, toks, i + 2)?;
            let has = |w: &str| toks[i..end].iter().any(|t| t.is_kw(src, w));
            let kind = ColumnConstraintKind::PrimaryKey {
                autoincrement: has("autoincrement"),
                desc: has("desc"),
            };
            (kind, end)
        }
        "not" => {
            expect_kw(src, toks, i + 1, "null", "NOT")?;
            (
                ColumnConstraintKind::NotNull,
                next_constraint(src, toks, i + 2)?,
            )
        }
        "null" => (
            ColumnConstraintKind::Null,
            next_constraint(src, toks, i + 1)?,
        ),
        "unique" => (
            ColumnConstraintKind::Unique,
            next_constraint(src, toks, i + 1)?,
        ),
        "check" => {
            let (open, close) = paren_at(src, toks, i + 1, "CHECK")?;
            let expr = span(src, toks, open + 1, close);
            (ColumnConstraintKind::Check(expr), close + 1)
        }
        "default" => default_value(src, toks, i)?,
        "collate" => {
            let v = toks
                .get(i + 1)
                .and_then(|t| t.ident(src))
                .ok_or_else(|| perr("expected a collation name after COLLATE", at(toks, i + 1)))?;
            (ColumnConstraintKind::Collate(v), i + 2)
        }
        "references" => {
            let (r, after) = references(src, toks, i)?;
            (
                ColumnConstraintKind::References(r),
                next_constraint(src, toks, after)?,
            )
        }
        "generated" | "as" => generated(src, toks, i)?,
        _ => {
            return Err(perr(
                format!(
                    "unexpected '{}' in column definition: expected a constraint (PRIMARY KEY, \
                     NOT NULL, UNIQUE, CHECK, DEFAULT, COLLATE, REFERENCES, GENERATED ALWAYS AS)",
                    t.text(src)
                ),
                t.start,
            ))
        }
    })
}

/// `DEFAULT [+|-] value` or `DEFAULT (expr)` at `toks[i]`.
fn default_value(
    src: &str,
    toks: &[Token],
    i: usize,
) -> Result<(ColumnConstraintKind, usize), ParseError> {
    let mut j = i + 1;
    if toks
        .get(j)
        .is_some_and(|t| t.is_punct(src, "-") || t.is_punct(src, "+"))
    {
        j += 1;
    }
    let Some(v) = toks.get(j) else {
        return Err(perr("expected a value after DEFAULT", at(toks, j)));
    };
    let end = if v.is_punct(src, "(") {
        close_paren(src, toks, j)? + 1
    } else if v.kind == Tok::Punct {
        return Err(perr(
            format!(
                "expected a value after DEFAULT, found '{}' (write an expression in parentheses)",
                v.text(src)
            ),
            v.start,
        ));
    } else {
        j + 1
    };
    let text = span(src, toks, i + 1, end);
    Ok((ColumnConstraintKind::Default(text), end))
}

/// `[GENERATED ALWAYS] AS (expr) [STORED|VIRTUAL]` at `toks[i]`.
fn generated(
    src: &str,
    toks: &[Token],
    i: usize,
) -> Result<(ColumnConstraintKind, usize), ParseError> {
    let mut j = i;
    if toks[i].is_kw(src, "generated") {
        expect_kw(src, toks, i + 1, "always", "GENERATED")?;
        expect_kw(src, toks, i + 2, "as", "GENERATED ALWAYS")?;
        j = i + 2;
    }
    let (open, close) = paren_at(src, toks, j + 1, "AS")?;
    let mut end = close + 1;
    let mut stored = false;
    if let Some(w) = toks.get(end) {
        if w.is_kw(src, "stored") {
            stored = true;
            end += 1;
        } else if w.is_kw(src, "virtual") {
            end += 1;
        }
    }
    let expr = span(src, toks, open + 1, close);
    Ok((ColumnConstraintKind::Generated { expr, stored }, end))
}

/// Parses `REFERENCES t [(cols)] ...` starting at `toks[i]`; returns the reference and the index
/// after the column list.
fn references(src: &str, toks: &[Token], i: usize) -> Result<(ForeignKeyRef, usize), ParseError> {
    let table = toks
        .get(i + 1)
        .and_then(|t| t.ident(src))
        .ok_or_else(|| perr("expected a table name after REFERENCES", at(toks, i + 1)))?;
    let mut columns = vec![];
    let mut end = i + 2;
    if toks.get(end).is_some_and(|t| t.is_punct(src, "(")) {
        let close = close_paren(src, toks, end)?;
        columns = name_list(src, toks, end, close)?;
        end = close + 1;
    }
    Ok((ForeignKeyRef { table, columns }, end))
}

/// After a PRIMARY KEY, UNIQUE or CHECK table constraint's `)` at `toks[i - 1]`: only
/// `ON CONFLICT algorithm` may follow.
fn on_conflict_only(src: &str, toks: &[Token], i: usize) -> Result<(), ParseError> {
    let mut j = i;
    if toks.get(j).is_some_and(|t| t.is_kw(src, "on")) {
        expect_kw(src, toks, j + 1, "conflict", "ON")?;
        if j + 2 >= toks.len() {
            return Err(perr(
                "expected ROLLBACK, ABORT, FAIL, IGNORE or REPLACE after ON CONFLICT",
                at(toks, j + 2),
            ));
        }
        j += 3;
    }
    match toks.get(j) {
        None => Ok(()),
        Some(t) => Err(perr(
            format!(
                "unexpected '{}' after the constraint: end it here or start the next one with a ','",
                t.text(src)
            ),
            t.start,
        )),
    }
}

/// Parses the table constraint `toks` (`[CONSTRAINT name] PRIMARY KEY | UNIQUE | CHECK |
/// FOREIGN KEY ...`).
fn table_constraint(src: &str, toks: &[Token]) -> Result<TableConstraint, ParseError> {
    let (name, i) = constraint_name(src, toks, 0)?;
    let t = &toks[i];
    let kind = if t.is_kw(src, "primary") {
        expect_kw(src, toks, i + 1, "key", "PRIMARY")?;
        let (o, c) = paren_at(src, toks, i + 2, "PRIMARY KEY")?;
        on_conflict_only(src, toks, c + 1)?;
        TableConstraintKind::PrimaryKey(name_list(src, toks, o, c)?)
    } else if t.is_kw(src, "unique") {
        let (o, c) = paren_at(src, toks, i + 1, "UNIQUE")?;
        on_conflict_only(src, toks, c + 1)?;
        TableConstraintKind::Unique(name_list(src, toks, o, c)?)
    } else if t.is_kw(src, "check") {
        let (o, c) = paren_at(src, toks, i + 1, "CHECK")?;
        on_conflict_only(src, toks, c + 1)?;
        TableConstraintKind::Check(span(src, toks, o + 1, c))
    } else if t.is_kw(src, "foreign") {
        expect_kw(src, toks, i + 1, "key", "FOREIGN")?;
        let (o, c) = paren_at(src, toks, i + 2, "FOREIGN KEY")?;
        let columns = name_list(src, toks, o, c)?;
        expect_kw(src, toks, c + 1, "references", "FOREIGN KEY (...)")?;
        let (refs, _) = references(src, toks, c + 1)?;
        TableConstraintKind::ForeignKey { columns, refs }
    } else {
        return Err(perr(
            format!(
                "unexpected '{}' in table constraint: expected PRIMARY KEY, UNIQUE, CHECK or \
                 FOREIGN KEY",
                t.text(src)
            ),
            t.start,
        ));
    };
    Ok(TableConstraint {
        leading: String::new(),
        comment: String::new(),
        precomma: String::new(),
        no_comma: false,
        name,
        kind,
        text: span(src, toks, 0, toks.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_text() {
        let sql = "CREATE TABLE \"my t\" (\n  id INTEGER PRIMARY KEY AUTOINCREMENT, -- the id\n  email TEXT NOT NULL UNIQUE COLLATE NOCASE,\n  age INT CHECK (age >= 0) DEFAULT (0x10),\n  p INTEGER REFERENCES parent(id) ON DELETE SET NULL NOT DEFERRABLE,\n  g AS (age * 2) STORED,\n  CONSTRAINT c1 CHECK (age ISNULL OR age IS NOT 1),\n  FOREIGN KEY (p) REFERENCES parent\n) STRICT, WITHOUT ROWID";
        let t = parse_create_table(sql).unwrap();
        assert_eq!(t.render(), sql);
        assert_eq!(t.name, "my t");
        assert!(t.strict && t.without_rowid);
        assert_eq!(t.columns.len(), 5);
        assert_eq!(t.constraints.len(), 2);
        assert!(t.autoincrement());
        let email = &t.columns[1];
        assert!(email.not_null());
        assert_eq!(t.columns[2].default(), Some("(0x10)"));
        assert_eq!(t.columns[4].generated(), Some(("age * 2", true)));
        let p = &t.columns[3];
        assert!(
            matches!(&p.constraints[0].kind, ColumnConstraintKind::References(r) if r.table == "parent")
        );
        assert_eq!(p.constraints.len(), 1);
    }

    #[test]
    fn multi_word_types_and_defaults() {
        let t = parse_create_table("CREATE TABLE x(a BLOB SUB_TYPE TEXT NOT NULL, b DOUBLE PRECISION DEFAULT -1.5, c DEFAULT NULL, d VARCHAR(10, 2))").unwrap();
        assert_eq!(t.columns[0].type_text, "BLOB SUB_TYPE TEXT");
        assert_eq!(t.columns[1].type_text, "DOUBLE PRECISION");
        assert_eq!(t.columns[1].default(), Some("-1.5"));
        assert_eq!(t.columns[2].type_text, "");
        assert_eq!(t.columns[2].default(), Some("NULL"));
        assert_eq!(t.columns[3].type_text, "VARCHAR(10, 2)");
    }

    /// The error's message and byte offset.
    fn err(r: Result<impl std::fmt::Debug, ParseError>) -> (String, usize) {
        let e = r.unwrap_err();
        (e.message, e.offset)
    }

    #[test]
    fn not_must_be_followed_by_null() {
        // Issue 8, item 6: a definition ending in NOT indexed past the tokens.
        let (m, at) = err(parse_column_def("n NOT"));
        assert!(m.contains("expected NULL after NOT"), "{m}");
        assert_eq!(at, 5);
        let (m, at) = err(parse_column_def("n INT NOT UNIQUE"));
        assert!(m.contains("found 'UNIQUE'"), "{m}");
        assert_eq!(at, 10);
        assert!(parse_create_table("CREATE TABLE t(a NOT)").is_err());
        assert!(parse_create_table("CREATE TABLE NOT").is_err());
        let c = parse_column_def("n INT NOT NULL ON CONFLICT REPLACE").unwrap();
        assert!(c.not_null());
    }

    #[test]
    fn every_prefix_is_parsed_or_refused_without_panic() {
        let col = "c INTEGER CONSTRAINT k PRIMARY KEY DESC AUTOINCREMENT NOT NULL DEFAULT -1 COLLATE NOCASE CHECK (c > 0) REFERENCES p (id) ON DELETE SET NULL GENERATED ALWAYS AS (c + 1) STORED";
        let tc = "CONSTRAINT f FOREIGN KEY (a, b) REFERENCES p (x, y) ON UPDATE CASCADE";
        for src in [col, tc] {
            let toks = lex(src).unwrap();
            for t in &toks {
                let prefix = &src[..t.end];
                let _ = parse_column_def(prefix);
                let _ = parse_table_constraint(prefix);
                let _ = parse_create_table(&format!("CREATE TABLE t({prefix})"));
            }
        }
    }

    #[test]
    fn keyword_sequences_are_checked() {
        for (src, want) in [
            ("a PRIMARY", "expected KEY after PRIMARY"),
            (
                "a INT PRIMARY UNIQUE",
                "expected KEY after PRIMARY, found 'UNIQUE'",
            ),
            ("a GENERATED AS (1)", "expected ALWAYS after GENERATED"),
            ("a AS 1", "expected '(' after AS"),
            ("a CHECK", "expected '(' after CHECK"),
            ("a DEFAULT", "expected a value after DEFAULT"),
            ("a DEFAULT )", "expected a value after DEFAULT"),
            ("a COLLATE", "expected a collation name"),
            ("a REFERENCES", "expected a table name after REFERENCES"),
            ("a CONSTRAINT", "expected a constraint name"),
            ("a CONSTRAINT k", "expected a constraint after its name"),
            ("a INT) NOT NULL", "')' without a matching '('"),
            ("a VARCHAR(10 NOT NULL", "'(' is never closed"),
            ("a CHECK (a > 0", "'(' is never closed"),
            ("1 INT", "expected a column name"),
            (
                "a INT CHECK (a) foo",
                "unexpected 'foo' in column definition",
            ),
        ] {
            let (m, _) = err(parse_column_def(src));
            assert!(m.contains(want), "{src}: {m}");
        }
        for (src, want) in [
            ("PRIMARY (a)", "expected KEY after PRIMARY"),
            ("PRIMARY KEY a", "expected '(' after PRIMARY KEY"),
            ("UNIQUE (a) junk", "unexpected 'junk' after the constraint"),
            ("UNIQUE (a) ON CONFLICT", "expected ROLLBACK, ABORT"),
            ("CHECK (a) ON", "expected CONFLICT after ON"),
            (
                "FOREIGN KEY (a) p (b)",
                "expected REFERENCES after FOREIGN KEY (...), found 'p'",
            ),
            ("FOREIGN (a) REFERENCES p", "expected KEY after FOREIGN"),
            ("UNIQUE ()", "expected a column name"),
            ("CONSTRAINT", "expected a constraint name"),
            ("NOT NULL", "unexpected 'NOT' in table constraint"),
        ] {
            let (m, _) = err(parse_table_constraint(src));
            assert!(m.contains(want), "{src}: {m}");
        }
        for ok in [
            "PRIMARY KEY (a DESC, b) ON CONFLICT REPLACE",
            "UNIQUE (a COLLATE NOCASE)",
            "CHECK (a > 0)",
            "CONSTRAINT f FOREIGN KEY (a) REFERENCES p ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED",
        ] {
            assert_eq!(parse_table_constraint(ok).unwrap().text, ok);
        }
    }

    #[test]
    fn table_heads() {
        for (src, name) in [
            ("CREATE TABLE main.t(a)", "t"),
            ("CREATE TEMP TABLE IF NOT EXISTS \"x y\" (a)", "x y"),
            ("create temporary table [t](a)", "t"),
            ("CREATE TABLE if(a)", "if"),
        ] {
            let t = parse_create_table(src).unwrap();
            assert_eq!(t.name, name);
            assert_eq!(t.render(), src);
        }
        for bad in [
            "CREATE TABLE t AS SELECT (1)",
            "CREATE VIEW v(a)",
            "CREATE TABLE (a)",
            "CREATE TABLE IF EXISTS t(a)",
            "TABLE t(a)",
            "CREATE TABLE t(a",
            "CREATE TABLE t(a,)",
            "CREATE TABLE t(CHECK (1), a)",
            "CREATE TABLE t(CHECK (1))",
        ] {
            assert!(parse_create_table(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unusual_spacing_round_trips() {
        for sql in [
            // No space between a `)` or a quote and the next word.
            "CREATE TABLE t(a INT(5)NOT NULL, \"b\"TEXT, c INT CHECK(c>0)DEFAULT 1, [d]\"e\")",
            // Table constraints without a comma between them (SQLite accepts that).
            "CREATE TABLE t(a, b, CHECK (a > 0) CONSTRAINT u UNIQUE (a)\n  PRIMARY KEY (b))",
            // `--` inside a block comment is no line comment.
            "CREATE TABLE t(a INT /* -- */, b INT /* -- */)",
            // A multi-line block comment after a comma.
            "CREATE TABLE t(a INT, /* one\n two */ b INT, -- c\n c INT)",
        ] {
            assert_eq!(parse_create_table(sql).unwrap().render(), sql);
        }
    }

    #[test]
    fn edits_keep_items_apart() {
        // Removing the constraint after `INT` keeps a space before the next one.
        let mut t = parse_create_table("CREATE TABLE t(a INT CHECK(a>0)NOT NULL)").unwrap();
        t.columns[0].constraints.remove(0);
        assert_eq!(t.render(), "CREATE TABLE t(a INT NOT NULL)");
        // A typeless column that gets a type.
        let mut t = parse_create_table("CREATE TABLE t(\"a\", b)").unwrap();
        t.columns[0].set_type("TEXT");
        assert_eq!(t.render(), "CREATE TABLE t(\"a\" TEXT, b)");
        // A comment spanning lines after a comma stays in one piece when an item goes.
        let mut t = parse_create_table("CREATE TABLE t(a INT, /* x\n y */ b INT, c INT)").unwrap();
        t.columns.remove(1);
        let back = parse_create_table(&t.render()).unwrap();
        assert_eq!(back.columns.len(), 2);
        // A comma-less table constraint after a dropped one gets a comma after a column.
        let mut t = parse_create_table("CREATE TABLE t(a, CHECK (a) UNIQUE (a))").unwrap();
        t.constraints.remove(0);
        assert_eq!(t.render(), "CREATE TABLE t(a, UNIQUE (a))");
    }

    #[test]
    fn default_names() {
        let t = parse_create_table("CREATE TABLE t(a INT CHECK (a>0), b INT UNIQUE, CHECK (a < b), CHECK (b > 1), UNIQUE (a, b))").unwrap();
        let names: Vec<_> = t.named_constraints().into_iter().map(|n| n.name).collect();
        assert_eq!(
            names,
            ["t_a_check", "t_b_key", "t_check", "t_b_check", "t_a_b_key"]
        );
    }
}
