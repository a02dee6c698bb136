//! Migration SQL text -> statements: `ALTER TABLE` becomes operations, everything else kit
//! accepts (`CREATE`/`DROP` of tables, indexes, views and triggers, `INSERT`/`UPDATE`/`DELETE`)
//! is kept as written and run in order.
//!
//! The parser works on kit's SQLite-exact lexer and slices every fragment (types, defaults,
//! expressions) out of the original text, so nothing a user wrote is reprinted by a parser.

use crate::error::{Error, Result};
use crate::ops::{AlterTable, Op};
use crate::schema::{parse_column_def, parse_table_constraint};
use crate::sql::{lex, line_col, split_statements, Token};

/// One statement of a script.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `ALTER TABLE`, parsed into operations.
    Alter {
        /// The parsed statement.
        alter: AlterTable,
        /// The original text.
        text: String,
    },
    /// Any other accepted statement, run as written.
    Other {
        /// The original text.
        text: String,
        /// True for `CREATE`/`DROP` (schema changes), false for data statements.
        ddl: bool,
        /// 1-based line of the statement's start in the script.
        line: usize,
        /// 1-based column of the statement's start in the script.
        column: usize,
    },
}

impl Statement {
    /// The statement's original text.
    pub fn text(&self) -> &str {
        match self {
            Statement::Alter { text, .. } | Statement::Other { text, .. } => text,
        }
    }
}

/// Parses a script of `;`-separated statements.
pub fn parse_script(src: &str) -> Result<Vec<Statement>> {
    let pieces = split_statements(src).map_err(|e| syntax(src, e.offset, e.message, src))?;
    pieces
        .into_iter()
        .map(|p| {
            let mut st = parse_statement(&p.text).map_err(|e| relocate(e, src, p.offset))?;
            if let Statement::Other { line, column, .. } = &mut st {
                (*line, *column) = line_col(src, p.offset);
            }
            Ok(st)
        })
        .collect()
}

/// Moves a syntax error's position from statement-relative to script-relative.
fn relocate(e: Error, src: &str, base: usize) -> Error {
    match e {
        Error::Syntax {
            message,
            line,
            column,
            statement,
        } => {
            // Convert the statement-relative (line, column) back to an offset, then re-base it.
            let rel = offset_of(&statement, line, column);
            let (line, column) = line_col(src, base + rel);
            Error::Syntax {
                message,
                line,
                column,
                statement,
            }
        }
        other => other,
    }
}

/// The byte offset of a 1-based line and column (in characters) in `s`: the inverse of
/// `line_col`. Positions past a line's end or past the text clamp to them.
fn offset_of(s: &str, line: usize, column: usize) -> usize {
    let mut off = 0;
    for (i, l) in s.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let in_line: usize = l
                .chars()
                .take(column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return off + in_line;
        }
        off += l.len();
    }
    s.len()
}

fn syntax(src: &str, offset: usize, message: impl Into<String>, statement: &str) -> Error {
    let (line, column) = line_col(src, offset);
    Error::Syntax {
        message: message.into(),
        line,
        column,
        statement: statement.to_string(),
    }
}

/// Parses one statement (without its `;`).
pub fn parse_statement(text: &str) -> Result<Statement> {
    let toks = lex(text).map_err(|e| syntax(text, e.offset, e.message, text))?;
    let Some(first) = toks.first() else {
        return Err(syntax(text, 0, "empty statement", text));
    };
    let kw = first.text(text).to_ascii_lowercase();
    match kw.as_str() {
        "alter" => Ok(Statement::Alter {
            alter: parse_alter(text, &toks)?,
            text: text.to_string(),
        }),
        "create" | "drop" => Ok(Statement::Other {
            text: text.to_string(),
            ddl: true,
            line: 1,
            column: 1,
        }),
        "insert" | "update" | "delete" | "replace" | "with" | "select" | "values" => Ok(Statement::Other {
            text: text.to_string(),
            ddl: false,
            line: 1,
            column: 1,
        }),
        "begin" | "commit" | "end" | "rollback" | "savepoint" | "release" => Err(Error::Unsupported {
            what: format!("transaction control ({})", first.text(text)),
            statement: text.to_string(),
            hint: "kit runs the whole change in one transaction of its own; remove this statement".into(),
        }),
        _ => Err(Error::Unsupported {
            what: format!("{} statements", first.text(text).to_uppercase()),
            statement: text.to_string(),
            hint: "kit accepts ALTER TABLE, CREATE/DROP TABLE|INDEX|VIEW|TRIGGER and INSERT/UPDATE/DELETE".into(),
        }),
    }
}

/// A cursor over the tokens of one statement.
struct Cur<'a> {
    src: &'a str,
    toks: &'a [Token],
    i: usize,
    end: usize,
}

impl<'a> Cur<'a> {
    fn peek_kw(&self, kw: &str) -> bool {
        self.i < self.end && self.toks[self.i].is_kw(self.src, kw)
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        let ok = self.peek_kw(kw);
        if ok {
            self.i += 1;
        }
        ok
    }
    fn offset(&self) -> usize {
        if self.i < self.end {
            self.toks[self.i].start
        } else if self.end > 0 {
            self.toks[self.end - 1].end
        } else {
            0
        }
    }
    fn err(&self, msg: impl Into<String>) -> Error {
        syntax(self.src, self.offset(), msg, self.src)
    }
    fn expect_kw(&mut self, kw: &str) -> Result<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            let found = if self.i < self.end {
                self.toks[self.i].text(self.src)
            } else {
                "end of statement"
            };
            Err(self.err(format!("expected {}, found {found}", kw.to_uppercase())))
        }
    }
    fn ident(&mut self, what: &str) -> Result<String> {
        if self.i < self.end {
            if let Some(n) = self.toks[self.i].ident(self.src) {
                self.i += 1;
                return Ok(n);
            }
        }
        let found = if self.i < self.end {
            self.toks[self.i].text(self.src)
        } else {
            "end of statement"
        };
        Err(self.err(format!("expected {what}, found {found}")))
    }
    fn rest(&self) -> String {
        if self.i >= self.end {
            return String::new();
        }
        self.src[self.toks[self.i].start..self.toks[self.end - 1].end].to_string()
    }
    fn done(&self) -> Result<()> {
        if self.i < self.end {
            return Err(self.err(format!(
                "unexpected '{}' after the action: end it here, or separate actions with ','",
                self.toks[self.i].text(self.src)
            )));
        }
        Ok(())
    }
}

fn parse_alter(src: &str, toks: &[Token]) -> Result<AlterTable> {
    let mut c = Cur {
        src,
        toks,
        i: 1,
        end: toks.len(),
    };
    c.expect_kw("table")?;
    if c.eat_kw("if") {
        c.expect_kw("exists")?;
    }
    c.eat_kw("only");
    let mut table = c.ident("a table name")?;
    if c.i < c.end && toks[c.i].is_punct(src, ".") {
        // Schema-qualified: `main.t` is the database kit works on; any other schema is not.
        if !table.eq_ignore_ascii_case("main") {
            return Err(Error::Unsupported {
                what: format!(
                    "the schema-qualified table name \"{table}\".{}",
                    toks.get(c.i + 1).map_or("", |t| t.text(src))
                ),
                statement: src.to_string(),
                hint: format!("kit changes the tables of the database it was pointed at; write the table name without \"{table}.\""),
            });
        }
        c.i += 1;
        table = c.ident("a table name")?;
    }
    if c.i >= c.end {
        return Err(c.err("expected an action after the table name"));
    }
    check_parens(src, &toks[c.i..])?;
    // Actions separated by top-level commas.
    let mut ops = Vec::new();
    let mut depth = 0;
    let mut start = c.i;
    for j in c.i..=toks.len() {
        let at_end = j == toks.len();
        if !at_end {
            if toks[j].is_punct(src, "(") {
                depth += 1;
            } else if toks[j].is_punct(src, ")") {
                depth -= 1;
            }
        }
        if at_end || (depth == 0 && toks[j].is_punct(src, ",")) {
            if start == j {
                return Err(syntax(
                    src,
                    toks[j.min(toks.len() - 1)].start,
                    "empty action",
                    src,
                ));
            }
            let mut a = Cur {
                src,
                toks,
                i: start,
                end: j,
            };
            ops.push(parse_action(&mut a)?);
            start = j + 1;
        }
    }
    Ok(AlterTable { table, ops })
}

/// Every `(` in `toks` has its `)`, and every `)` its `(`.
fn check_parens(src: &str, toks: &[Token]) -> Result<()> {
    let mut open = Vec::new();
    for t in toks {
        if t.is_punct(src, "(") {
            open.push(t.start);
        } else if t.is_punct(src, ")") && open.pop().is_none() {
            return Err(syntax(src, t.start, "')' without a matching '('", src));
        }
    }
    match open.first() {
        Some(&o) => Err(syntax(
            src,
            o,
            "'(' is never closed: add the missing ')'",
            src,
        )),
        None => Ok(()),
    }
}

fn parse_action(c: &mut Cur) -> Result<Op> {
    if c.eat_kw("add") {
        let is_constraint = ["constraint", "primary", "unique", "check", "foreign"]
            .iter()
            .any(|k| c.peek_kw(k));
        if is_constraint {
            let text = c.rest();
            let base = c.offset();
            let constraint = parse_table_constraint(&text)
                .map_err(|e| syntax(c.src, base + e.offset, e.message, c.src))?;
            return Ok(Op::AddConstraint { constraint });
        }
        c.eat_kw("column");
        let mut if_not_exists = false;
        if c.peek_kw("if") {
            c.i += 1;
            c.expect_kw("not")?;
            c.expect_kw("exists")?;
            if_not_exists = true;
        }
        let base = c.offset();
        let text = c.rest();
        if text.is_empty() {
            return Err(c.err("expected a column definition"));
        }
        let column = parse_column_def(&text)
            .map_err(|e| syntax(c.src, base + e.offset, e.message, c.src))?;
        return Ok(Op::AddColumn {
            column,
            if_not_exists,
        });
    }
    if c.eat_kw("drop") {
        if c.eat_kw("constraint") {
            let if_exists = c.eat_kw("if") && {
                c.expect_kw("exists")?;
                true
            };
            let name = c.ident("a constraint name")?;
            let _ = c.eat_kw("cascade") || c.eat_kw("restrict");
            c.done()?;
            return Ok(Op::DropConstraint { name, if_exists });
        }
        c.eat_kw("column");
        let if_exists = c.eat_kw("if") && {
            c.expect_kw("exists")?;
            true
        };
        let column = c.ident("a column name")?;
        if c.eat_kw("cascade") {
            return Err(Error::Unsupported {
                what: "DROP COLUMN ... CASCADE".into(),
                statement: c.src.to_string(),
                hint: "drop the dependent views or constraints explicitly first".into(),
            });
        }
        c.eat_kw("restrict");
        c.done()?;
        return Ok(Op::DropColumn { column, if_exists });
    }
    if c.eat_kw("set") {
        // kit's SQLite-only table options.
        let op = if c.eat_kw("strict") {
            Op::SetStrict { on: true }
        } else if c.eat_kw("not") {
            c.expect_kw("strict")?;
            Op::SetStrict { on: false }
        } else if c.eat_kw("without") {
            c.expect_kw("rowid")?;
            Op::SetWithoutRowid { on: true }
        } else if c.eat_kw("with") {
            c.expect_kw("rowid")?;
            Op::SetWithoutRowid { on: false }
        } else {
            return Err(c.err("expected STRICT, NOT STRICT, WITHOUT ROWID or WITH ROWID after SET"));
        };
        c.done()?;
        return Ok(op);
    }
    if c.eat_kw("rename") {
        if c.eat_kw("to") {
            let to = c.ident("a new table name")?;
            c.done()?;
            return Ok(Op::RenameTable { to });
        }
        if c.peek_kw("constraint") {
            return Err(Error::Unsupported {
                what: "RENAME CONSTRAINT".into(),
                statement: c.src.to_string(),
                hint: "drop the constraint and add it again under the new name".into(),
            });
        }
        c.eat_kw("column");
        let from = c.ident("a column name")?;
        c.expect_kw("to")?;
        let to = c.ident("a new column name")?;
        c.done()?;
        return Ok(Op::RenameColumn { from, to });
    }
    if c.eat_kw("alter") {
        c.eat_kw("column");
        let column = c.ident("a column name")?;
        if c.eat_kw("set") {
            if c.eat_kw("not") {
                c.expect_kw("null")?;
                c.done()?;
                return Ok(Op::SetNotNull { column });
            }
            if c.eat_kw("default") {
                let expr = c.rest();
                if expr.is_empty() {
                    return Err(c.err("expected an expression after SET DEFAULT"));
                }
                return Ok(Op::SetDefault { column, expr });
            }
            if c.eat_kw("data") {
                c.expect_kw("type")?;
                return parse_type(c, column);
            }
            return Err(c.err("expected NOT NULL, DEFAULT or DATA TYPE after SET"));
        }
        if c.eat_kw("drop") {
            if c.eat_kw("not") {
                c.expect_kw("null")?;
                c.done()?;
                return Ok(Op::DropNotNull { column });
            }
            c.expect_kw("default")?;
            c.done()?;
            return Ok(Op::DropDefault { column });
        }
        if c.eat_kw("type") {
            return parse_type(c, column);
        }
        return Err(c.err("expected TYPE, SET or DROP after ALTER COLUMN"));
    }
    let found = c.toks[c.i..c.end]
        .first()
        .map_or("end of statement", |t| t.text(c.src));
    Err(c.err(format!(
        "expected ADD, DROP, RENAME, ALTER or SET, found {found}"
    )))
}

fn parse_type(c: &mut Cur, column: String) -> Result<Op> {
    let start = c.i;
    while c.i < c.end && !c.peek_kw("using") && !c.peek_kw("collate") {
        c.i += 1;
    }
    if start == c.i {
        return Err(c.err("expected a type name"));
    }
    let type_text = c.src[c.toks[start].start..c.toks[c.i - 1].end].to_string();
    let collate = if c.eat_kw("collate") {
        Some(c.ident("a collation name after COLLATE")?)
    } else {
        None
    };
    let using = if c.eat_kw("using") {
        let u = c.rest();
        if u.is_empty() {
            return Err(c.err("expected an expression after USING"));
        }
        Some(u)
    } else {
        c.done()?;
        None
    };
    Ok(Op::AlterType {
        column,
        type_text,
        collate,
        using,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_actions() {
        let s = parse_script("ALTER TABLE \"my users\" ALTER COLUMN age TYPE TEXT USING age || 'y', DROP COLUMN IF EXISTS legacy; alter table t add constraint c check (a ISNULL or a > 0x10)").unwrap();
        assert_eq!(s.len(), 2);
        let Statement::Alter { alter, .. } = &s[0] else {
            panic!()
        };
        assert_eq!(alter.table, "my users");
        assert_eq!(
            alter.ops[0],
            Op::AlterType {
                column: "age".into(),
                type_text: "TEXT".into(),
                collate: None,
                using: Some("age || 'y'".into())
            }
        );
        let Statement::Alter { alter, .. } = &s[1] else {
            panic!()
        };
        let Op::AddConstraint { constraint } = &alter.ops[0] else {
            panic!()
        };
        assert_eq!(constraint.name.as_deref(), Some("c"));
        assert!(
            matches!(&constraint.kind, crate::schema::TableConstraintKind::Check(e) if e == "a ISNULL or a > 0x10")
        );
    }

    /// The (line, column) and message of a script's syntax error.
    fn at(src: &str) -> (usize, usize, String) {
        match parse_script(src).unwrap_err() {
            Error::Syntax {
                line,
                column,
                message,
                ..
            } => (line, column, message),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn reports_positions() {
        let (line, column, _) = at("ALTER TABLE t DROP COLUMN a;\nALTER TABLE t FROB x");
        assert_eq!((line, column), (2, 15));
    }

    #[test]
    fn positions_deep_in_multi_line_scripts() {
        // Each error points at its own token, relative to the whole script, whatever comes
        // before: other statements, comments, CRLF line ends, tabs, multi-byte characters.
        let head =
            "INSERT INTO \"é\" VALUES ('ü');\r\n-- é comment\r\nALTER TABLE t DROP COLUMN a;\r\n";
        for (body, want) in [
            (
                "ALTER TABLE \"é\"\r\n\tADD COLUMN b INT,\r\n\tADD COLUMN c TEXT NOT\r\n",
                (6, 23),
            ),
            ("ALTER TABLE t\r\n  ADD x INT,\r\n  FROB y", (6, 3)),
            (
                "ALTER TABLE t\n  ADD CONSTRAINT c\n    UNIQUE (a) junk",
                (6, 16),
            ),
            ("ALTER TABLE t\n  ADD c INT\n    DEFAULT", (6, 12)),
            (
                "ALTER TABLE t\n\tALTER COLUMN é TYPE TEXT COLLATE NOCASE junk",
                (5, 42),
            ),
            ("ALTER TABLE t\n  ADD a INT) NOT NULL", (5, 12)),
            ("ALTER TABLE t\n  ADD CHECK (a > (0)", (5, 13)),
            ("ALTER TABLE t ADD c INT\0EGER", (4, 24)),
        ] {
            let (line, column, message) = at(&format!("{head}{body}"));
            assert_eq!((line, column), want, "{body:?}: {message}");
        }
        // On the same line as an earlier statement: columns count from the line's start.
        let (line, column, _) = at("INSERT INTO é VALUES ('ü'); ALTER TABLE t ADD n NOT");
        assert_eq!((line, column), (1, 52));
    }

    #[test]
    fn alter_type_checks_collate_and_the_end() {
        let (_, _, m) = at("ALTER TABLE t ALTER a TYPE TEXT COLLATE");
        assert!(m.contains("expected a collation name"), "{m}");
        let (_, _, m) = at("ALTER TABLE t ALTER a TYPE TEXT COLLATE 5");
        assert!(m.contains("expected a collation name"), "{m}");
        let (_, _, m) = at("ALTER TABLE t ALTER a TYPE TEXT COLLATE NOCASE junk");
        assert!(m.contains("unexpected 'junk'"), "{m}");
        let s =
            parse_script("ALTER TABLE t ALTER a TYPE TEXT COLLATE NOCASE USING a || ''").unwrap();
        let Statement::Alter { alter, .. } = &s[0] else {
            panic!()
        };
        assert!(matches!(&alter.ops[0], Op::AlterType { collate: Some(c), .. } if c == "NOCASE"));
    }

    #[test]
    fn offsets_of_odd_positions_do_not_panic() {
        assert_eq!(offset_of("ab\ncd", 2, 2), 4);
        assert_eq!(offset_of("ab\ncd", 1, 0), 0);
        assert_eq!(offset_of("ab\ncd", 9, 9), 5);
        assert_eq!(offset_of("é\nx", 1, 2), 2);
    }
}
