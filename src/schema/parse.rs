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

/// Index of the token closing the parenthesis opened at `open`.
fn close_paren(src: &str, toks: &[Token], open: usize) -> Result<usize, ParseError> {
    let mut depth = 0;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t.is_punct(src, "(") {
            depth += 1;
        } else if t.is_punct(src, ")") {
            depth -= 1;
            if depth == 0 {
                return Ok(i);
            }
        }
    }
    Err(perr("unbalanced parentheses", toks[open].start))
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

/// Text of tokens `toks[a..b]` (inclusive span from first to last token).
fn span(src: &str, toks: &[Token], a: usize, b: usize) -> String {
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
                .ok_or_else(|| perr("expected a column name", toks[open].start))
        })
        .collect()
}

/// Parses `CREATE TABLE name (items) options`.
pub fn parse_create_table(src: &str) -> Result<Table, ParseError> {
    let toks = lex(src)?;
    let open = toks
        .iter()
        .position(|t| t.is_punct(src, "("))
        .ok_or_else(|| perr("expected '(' in CREATE TABLE", src.len()))?;
    if open < 3 || !toks[0].is_kw(src, "create") {
        return Err(perr("expected CREATE TABLE name (", 0));
    }
    let name_tok = &toks[open - 1];
    let name = name_tok
        .ident(src)
        .ok_or_else(|| perr("expected a table name", name_tok.start))?;
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
    for (a, b) in split_commas(src, &toks, open + 1, close) {
        if a >= b {
            return Err(perr("empty item in CREATE TABLE", toks[a.min(close)].start));
        }
        let mut leading = src[prev_end..toks[a].start].to_string();
        // A comment on the same line as the previous item's comma belongs to that item.
        if let Some(nl) = leading.find('\n') {
            if leading[..nl].contains("--") || leading[..nl].contains("/*") {
                let comment = leading[..nl].to_string();
                if let Some(c) = table.constraints.last_mut() {
                    c.comment = comment;
                    leading = leading[nl..].to_string();
                } else if let Some(c) = table.columns.last_mut() {
                    c.comment = comment;
                    leading = leading[nl..].to_string();
                }
            }
        }
        prev_end = toks[b].end; // after the comma (or the closing paren)
                                // Text between the item's last token and its comma (the last item's is `trailing`).
        let precomma = if b < close {
            src[toks[b - 1].end..toks[b].start].to_string()
        } else {
            String::new()
        };
        let first = &toks[a];
        let is_constraint = ["constraint", "primary", "unique", "check", "foreign"]
            .iter()
            .any(|k| first.is_kw(src, k));
        if is_constraint {
            // SQLite accepts table constraints without a separating comma: split them.
            let mut starts = vec![a];
            let mut depth = 0;
            for j in a + 1..b {
                let t = &toks[j];
                if t.is_punct(src, "(") {
                    depth += 1;
                } else if t.is_punct(src, ")") {
                    depth -= 1;
                } else if depth == 0
                    && ["constraint", "primary", "unique", "check", "foreign"]
                        .iter()
                        .any(|k| t.is_kw(src, k))
                    && !(j >= a + 2 && toks[j - 2].is_kw(src, "constraint"))
                {
                    starts.push(j);
                }
            }
            starts.push(b);
            let parts = starts.len() - 1;
            for (n, w) in starts.windows(2).enumerate() {
                let mut c = table_constraint(src, &toks[w[0]..w[1]])?;
                c.leading = if n == 0 {
                    leading.clone()
                } else {
                    src[toks[w[0] - 1].end..toks[w[0]].start].to_string()
                };
                if n + 1 == parts {
                    c.precomma = precomma.clone();
                }
                table.constraints.push(c);
            }
        } else {
            if !table.constraints.is_empty() {
                return Err(perr(
                    "column definition after a table constraint",
                    first.start,
                ));
            }
            let mut c = column_def(src, &toks[a..b])?;
            c.leading = leading;
            c.precomma = precomma;
            table.columns.push(c);
        }
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

fn column_def(src: &str, toks: &[Token]) -> Result<Column, ParseError> {
    let name = toks[0]
        .ident(src)
        .ok_or_else(|| perr("expected a column name", toks[0].start))?;
    // The type: tokens up to the first constraint keyword at depth 0.
    let mut i = 1;
    let mut depth = 0;
    while i < toks.len() {
        let t = &toks[i];
        if t.is_punct(src, "(") {
            depth += 1;
        } else if t.is_punct(src, ")") {
            depth -= 1;
        } else if depth == 0 && is_constraint_start(src, toks, i) {
            break;
        }
        i += 1;
    }
    let type_text = span(src, toks, 1, i);
    let type_gap = if i > 1 {
        src[toks[0].end..toks[1].start].to_string()
    } else {
        String::new()
    };
    let mut constraints = Vec::new();
    while i < toks.len() {
        let start = i;
        let gap = src[toks[start - 1].end..toks[start].start].to_string();
        let mut cname = None;
        if toks[i].is_kw(src, "constraint") {
            cname = toks.get(i + 1).and_then(|t| t.ident(src));
            if cname.is_none() {
                return Err(perr("expected a constraint name", toks[i].start));
            }
            i += 2;
        }
        let Some(t) = toks.get(i) else {
            return Err(perr(
                "expected a constraint after its name",
                toks[start].start,
            ));
        };
        let kw = t.text(src).to_ascii_lowercase();
        let next_start = |from: usize| -> usize {
            let mut j = from;
            let mut depth = 0;
            while j < toks.len() {
                if toks[j].is_punct(src, "(") {
                    depth += 1;
                } else if toks[j].is_punct(src, ")") {
                    depth -= 1;
                } else if depth == 0 && is_constraint_start(src, toks, j) {
                    break;
                }
                j += 1;
            }
            j
        };
        let (kind, end) = match kw.as_str() {
            "primary" => {
                let end = next_start(i + 1);
                let words: Vec<String> = toks[i..end]
                    .iter()
                    .map(|t| t.text(src).to_ascii_lowercase())
                    .collect();
                (
                    ColumnConstraintKind::PrimaryKey {
                        autoincrement: words.iter().any(|w| w == "autoincrement"),
                        desc: words.iter().any(|w| w == "desc"),
                    },
                    end,
                )
            }
            "not" => (ColumnConstraintKind::NotNull, next_start(i + 2)),
            "null" => (ColumnConstraintKind::Null, next_start(i + 1)),
            "unique" => (ColumnConstraintKind::Unique, next_start(i + 1)),
            "check" => {
                let open = i + 1;
                if !toks.get(open).is_some_and(|t| t.is_punct(src, "(")) {
                    return Err(perr("expected '(' after CHECK", t.end));
                }
                let close = close_paren(src, toks, open)?;
                (
                    ColumnConstraintKind::Check(span(src, toks, open + 1, close)),
                    close + 1,
                )
            }
            "default" => {
                let mut j = i + 1;
                if toks
                    .get(j)
                    .is_some_and(|t| t.is_punct(src, "-") || t.is_punct(src, "+"))
                {
                    j += 1;
                }
                let Some(v) = toks.get(j) else {
                    return Err(perr("expected a value after DEFAULT", t.end));
                };
                let end = if v.is_punct(src, "(") {
                    close_paren(src, toks, j)? + 1
                } else {
                    j + 1
                };
                (
                    ColumnConstraintKind::Default(span(src, toks, i + 1, end)),
                    end,
                )
            }
            "collate" => {
                let v = toks
                    .get(i + 1)
                    .and_then(|t| t.ident(src))
                    .ok_or_else(|| perr("expected a collation name", t.end))?;
                (ColumnConstraintKind::Collate(v), i + 2)
            }
            "references" => {
                let (r, _) = references(src, toks, i)?;
                (ColumnConstraintKind::References(r), next_start(i + 1))
            }
            "generated" | "as" => {
                let mut j = i;
                while j < toks.len() && !toks[j].is_punct(src, "(") {
                    j += 1;
                }
                if j >= toks.len() {
                    return Err(perr("expected '(' in generated column", t.start));
                }
                let close = close_paren(src, toks, j)?;
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
                (
                    ColumnConstraintKind::Generated {
                        expr: span(src, toks, j + 1, close),
                        stored,
                    },
                    end,
                )
            }
            _ => {
                return Err(perr(
                    format!("unexpected '{}' in column definition", t.text(src)),
                    t.start,
                ))
            }
        };
        constraints.push(ColumnConstraint {
            gap,
            name: cname,
            kind,
            text: span(src, toks, start, end),
        });
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

/// Parses `REFERENCES t [(cols)] ...` starting at `toks[i]`; returns the reference and the index
/// after the column list.
fn references(src: &str, toks: &[Token], i: usize) -> Result<(ForeignKeyRef, usize), ParseError> {
    let t = toks
        .get(i + 1)
        .ok_or_else(|| perr("expected a table after REFERENCES", toks[i].end))?;
    let table = t
        .ident(src)
        .ok_or_else(|| perr("expected a table name", t.start))?;
    let mut columns = vec![];
    let mut end = i + 2;
    if toks.get(end).is_some_and(|t| t.is_punct(src, "(")) {
        let close = close_paren(src, toks, end)?;
        columns = name_list(src, toks, end, close)?;
        end = close + 1;
    }
    Ok((ForeignKeyRef { table, columns }, end))
}

fn table_constraint(src: &str, toks: &[Token]) -> Result<TableConstraint, ParseError> {
    let mut i = 0;
    let mut name = None;
    if toks[0].is_kw(src, "constraint") {
        name = toks.get(1).and_then(|t| t.ident(src));
        if name.is_none() {
            return Err(perr("expected a constraint name", toks[0].end));
        }
        i = 2;
    }
    let t = toks
        .get(i)
        .ok_or_else(|| perr("expected a constraint after its name", toks[0].start))?;
    let paren_after = |j: usize| -> Result<(usize, usize), ParseError> {
        let open = (j..toks.len())
            .find(|&k| toks[k].is_punct(src, "("))
            .ok_or_else(|| perr("expected '('", t.end))?;
        Ok((open, close_paren(src, toks, open)?))
    };
    let kind = if t.is_kw(src, "primary") {
        let (o, c) = paren_after(i)?;
        TableConstraintKind::PrimaryKey(name_list(src, toks, o, c)?)
    } else if t.is_kw(src, "unique") {
        let (o, c) = paren_after(i)?;
        TableConstraintKind::Unique(name_list(src, toks, o, c)?)
    } else if t.is_kw(src, "check") {
        let (o, c) = paren_after(i)?;
        TableConstraintKind::Check(span(src, toks, o + 1, c))
    } else if t.is_kw(src, "foreign") {
        let (o, c) = paren_after(i)?;
        let columns = name_list(src, toks, o, c)?;
        let r = (c + 1..toks.len())
            .find(|&k| toks[k].is_kw(src, "references"))
            .ok_or_else(|| perr("expected REFERENCES", toks[c].end))?;
        let (refs, _) = references(src, toks, r)?;
        TableConstraintKind::ForeignKey { columns, refs }
    } else {
        return Err(perr(
            format!("unexpected '{}' in table constraint", t.text(src)),
            t.start,
        ));
    };
    let _ = Tok::Word;
    Ok(TableConstraint {
        leading: String::new(),
        comment: String::new(),
        precomma: String::new(),
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
