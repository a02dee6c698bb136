//! The two SQL dialects kit runs, dialect blocks, and PostgreSQL's statement splitting.
//!
//! A dialect block keeps what has no portable form (trigger bodies, functions) next to the
//! portable statements, in migration parts, `schema.sql` and seed files:
//!
//! ```sql
//! -- kit:only postgresql
//! CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
//! -- kit:only sqlite
//! CREATE TRIGGER t AFTER UPDATE ON users BEGIN SELECT 1; END;
//! -- kit:all
//! ```
//!
//! Lines under `-- kit:only X` are for database X only, up to the next `-- kit:only` or
//! `-- kit:all` line, a part boundary (`-- kit:up`, `-- kit:down`, `-- kit:phase ...`, which
//! always stay) or the end of the text. [`select`] blanks the lines meant for the other
//! database (and the marker lines) with spaces, so every byte offset, line and column keeps its
//! number for error messages. Markers are recognised by line (a line whose first non-blank text is
//! `-- kit:only` or `-- kit:all`); a block must start and end between statements.
//!
//! [`split_postgres`] splits PostgreSQL text into statements: dollar-quoted bodies (`$$ ... $$`,
//! `$tag$ ... $tag$`), `E'...'` strings with backslash escapes, standard strings, quoted
//! identifiers, nested `/* */` comments, `BEGIN ATOMIC ... END` function bodies, and (so mixed
//! text splits too) SQLite trigger bodies. SQLite text is split by [`crate::sql::split_statements`].

use crate::error::{Error, Result};
use crate::sql::{LexError, Piece};

/// A database kind kit runs SQL on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// The name used in `-- kit:only` markers.
    pub fn marker_name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgresql",
        }
    }

    /// The dialect a marker names (`postgresql`, `postgres`, `sqlite`; case-insensitive).
    pub fn from_marker(name: &str) -> Option<Dialect> {
        match name.to_ascii_lowercase().as_str() {
            "postgresql" | "postgres" => Some(Dialect::Postgres),
            "sqlite" => Some(Dialect::Sqlite),
            _ => None,
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Postgres => "PostgreSQL",
        })
    }
}

/// What a line of a script is, as far as dialect blocks are concerned.
#[derive(Debug, PartialEq)]
enum Line {
    /// `-- kit:only X`.
    Only(Dialect),
    /// `-- kit:all`.
    All,
    /// `-- kit:up`, `-- kit:down`, `-- kit:phase ...`: ends a block and stays.
    Boundary,
    /// Anything else.
    Text,
}

/// The comment text of a line that is only a `--` comment.
fn comment_of(line: &str) -> Option<&str> {
    line.trim_start().strip_prefix("--").map(str::trim)
}

/// Classifies one line; a malformed marker is an error message.
fn classify(line: &str) -> std::result::Result<Line, String> {
    let Some(c) = comment_of(line) else {
        return Ok(Line::Text);
    };
    if let Some(rest) = c.strip_prefix("kit:only") {
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            return Err(format!(
                "unknown marker `-- {c}`: write `-- kit:only postgresql` or `-- kit:only sqlite`"
            ));
        }
        let words: Vec<&str> = rest.split_whitespace().collect();
        return match words.as_slice() {
            [name] => Dialect::from_marker(name).map(Line::Only).ok_or_else(|| {
                format!("unknown dialect `{name}` in `-- kit:only`: write `postgresql` or `sqlite`")
            }),
            [] => Err("`-- kit:only` needs a dialect: `-- kit:only postgresql` or `-- kit:only sqlite`".into()),
            _ => Err(format!("`-- {c}`: name one dialect, `postgresql` or `sqlite`, and nothing else on the line")),
        };
    }
    if let Some(rest) = c.strip_prefix("kit:all") {
        return if rest.trim().is_empty() {
            Ok(Line::All)
        } else {
            Err(format!("`-- {c}`: `-- kit:all` stands alone on its line"))
        };
    }
    let boundary = ["kit:up", "kit:down", "kit:phase"].iter().any(|m| {
        c.strip_prefix(m)
            .is_some_and(|r| r.is_empty() || r.starts_with(char::is_whitespace))
    });
    Ok(if boundary { Line::Boundary } else { Line::Text })
}

/// True when `line` ends a statement (`;`, possibly followed by a `--` comment).
fn ends_statement(line: &str) -> bool {
    let t = line.trim_end();
    if t.ends_with(';') {
        return true;
    }
    t.rfind("--")
        .is_some_and(|p| t[..p].trim_end().ends_with(';'))
}

/// The text of `src` that `dialect` runs: lines in blocks for the other dialect, and the marker
/// lines, are blanked (spaces, as many as the line has bytes), so byte offsets, line and column
/// numbers into `src` stay valid. An unknown dialect name or a
/// malformed marker is a syntax error naming the line.
pub fn select(src: &str, dialect: Dialect) -> Result<String> {
    keep_lines(src, |block| block.is_none_or(|d| d == dialect))
}

/// The text of `src` with only the lines of the blocks `keep` accepts (`None`: lines outside
/// any `-- kit:only` block), every other line and the markers blanked as [`select`] does.
fn keep_lines(src: &str, keep: impl Fn(Option<Dialect>) -> bool) -> Result<String> {
    let mut out = String::with_capacity(src.len());
    let mut active: Option<Dialect> = None; // None: every dialect
    let mut last_code: Option<(usize, &str)> = None; // last non-blank, non-comment line
    for (i, raw) in src.split_inclusive('\n').enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        let kind = classify(line).map_err(|message| marker_error(src, i, message))?;
        match kind {
            Line::Only(_) | Line::All | Line::Boundary => {
                check_block_edge(src, last_code, i)?;
                active = match kind {
                    Line::Only(d) => Some(d),
                    _ => None,
                };
                last_code = None;
                if kind == Line::Boundary {
                    out.push_str(raw);
                } else {
                    blank(&mut out, raw, line);
                }
            }
            Line::Text => {
                if !line.trim().is_empty() && comment_of(line).is_none() {
                    last_code = Some((i, line));
                }
                if keep(active) {
                    out.push_str(raw);
                } else {
                    blank(&mut out, raw, line);
                }
            }
        }
    }
    Ok(out)
}

/// Appends `raw` (a line and its end) with the line's text replaced by as many spaces as it
/// has bytes, so byte offsets, lines and columns stay valid.
fn blank(out: &mut String, raw: &str, line: &str) {
    out.extend(std::iter::repeat_n(' ', line.len()));
    out.push_str(&raw[line.len()..]);
}

/// A block may only start or end between statements.
fn check_block_edge(src: &str, last_code: Option<(usize, &str)>, marker_line: usize) -> Result<()> {
    match last_code {
        Some((n, line)) if !ends_statement(line) => Err(marker_error(
            src,
            marker_line,
            format!(
                "the statement before this marker (line {}) does not end with `;`: a dialect block starts and ends between statements",
                n + 1
            ),
        )),
        _ => Ok(()),
    }
}

fn marker_error(src: &str, line_index: usize, message: String) -> Error {
    let line = src.split('\n').nth(line_index).unwrap_or("");
    Error::Syntax {
        message,
        line: line_index + 1,
        column: line.len() - line.trim_start().len() + 1,
        statement: line.trim().to_string(),
    }
}

/// The statements of `src` that `dialect` runs, split by that dialect's rules; offsets are
/// into `src`.
pub fn statements(src: &str, dialect: Dialect) -> Result<Vec<Piece>> {
    let text = select(src, dialect)?;
    let split = match dialect {
        Dialect::Sqlite => crate::sql::split_statements(&text),
        Dialect::Postgres => split_postgres(&text),
    };
    split.map_err(|e| {
        let (line, column) = crate::sql::line_col(&text, e.offset);
        Error::Syntax {
            message: e.message,
            line,
            column,
            statement: text[e.offset..].lines().next().unwrap_or("").to_string(),
        }
    })
}

/// A statement of a text, and whether it was written in a `-- kit:only` block (then it is in
/// that database's own dialect, to run as written) or outside one (kit's portable statements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The statement; its offset is into the whole text.
    pub piece: Piece,
    /// True when it comes from a `-- kit:only` block for this dialect.
    pub only: bool,
}

/// The statements of `src` that `dialect` runs, in order: portable ones split by kit's
/// (SQLite's) rules, those of `-- kit:only <dialect>` blocks by that dialect's own rules (for
/// PostgreSQL: dollar quotes). Offsets are into `src`.
pub fn blocks(src: &str, dialect: Dialect) -> Result<Vec<Block>> {
    let portable = keep_lines(src, |b| b.is_none())?;
    let own = keep_lines(src, |b| b == Some(dialect))?;
    let syntax = |text: &str, e: LexError| {
        let (line, column) = crate::sql::line_col(text, e.offset);
        Error::Syntax {
            message: e.message,
            line,
            column,
            statement: text[e.offset.min(text.len())..]
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        }
    };
    let mut out: Vec<Block> = crate::sql::split_statements(&portable)
        .map_err(|e| syntax(&portable, e))?
        .into_iter()
        .map(|piece| Block { piece, only: false })
        .collect();
    let own_split = match dialect {
        Dialect::Sqlite => crate::sql::split_statements(&own),
        Dialect::Postgres => split_postgres(&own),
    };
    out.extend(
        own_split
            .map_err(|e| syntax(&own, e))?
            .into_iter()
            .map(|piece| Block { piece, only: true }),
    );
    out.sort_by_key(|b| b.piece.offset);
    Ok(out)
}

/// PostgreSQL's lexical scanner, just far enough to find statement ends.
struct Scanner<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
}

fn err(message: &str, offset: usize) -> LexError {
    LexError {
        message: message.to_string(),
        offset,
    }
}

fn ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn ident_char(c: u8) -> bool {
    ident_start(c) || c.is_ascii_digit() || c == b'$'
}

impl Scanner<'_> {
    /// Skips a `'...'` string starting at `self.i` (the quote); `escapes`: backslash escapes.
    /// `start` is where the literal begins (its `E` prefix, if any).
    fn string(&mut self, escapes: bool, start: usize) -> std::result::Result<(), LexError> {
        self.i += 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' if escapes => self.i += 2,
                b'\'' if self.b.get(self.i + 1) == Some(&b'\'') => self.i += 2,
                b'\'' => {
                    self.i += 1;
                    return Ok(());
                }
                _ => self.i += 1,
            }
        }
        Err(err("unterminated quoted string", start))
    }

    /// Skips a quoted identifier `"..."` (or SQLite's `` `...` ``).
    fn quoted(&mut self, q: u8) -> std::result::Result<(), LexError> {
        let start = self.i;
        self.i += 1;
        while self.i < self.b.len() {
            if self.b[self.i] == q {
                if self.b.get(self.i + 1) == Some(&q) {
                    self.i += 2;
                    continue;
                }
                self.i += 1;
                return Ok(());
            }
            self.i += 1;
        }
        Err(err("unterminated quoted identifier", start))
    }

    /// Skips a nested `/* ... */` comment.
    fn block_comment(&mut self) -> std::result::Result<(), LexError> {
        let start = self.i;
        let mut depth = 0;
        while self.i < self.b.len() {
            if self.b[self.i..].starts_with(b"/*") {
                depth += 1;
                self.i += 2;
            } else if self.b[self.i..].starts_with(b"*/") {
                depth -= 1;
                self.i += 2;
                if depth == 0 {
                    return Ok(());
                }
            } else {
                self.i += 1;
            }
        }
        Err(err("unterminated /* comment", start))
    }

    /// The dollar-quote tag (`$$`, `$tag$`) starting at `self.i`, if one starts there.
    fn dollar_tag(&self) -> Option<&str> {
        if self.i > 0 && ident_char(self.b[self.i - 1]) {
            return None; // `a$b$` is an identifier
        }
        let rest = &self.b[self.i + 1..];
        if rest.first().is_some_and(u8::is_ascii_digit) {
            return None; // `$1` is a parameter
        }
        let len = rest.iter().position(|&c| c == b'$').filter(|&n| {
            rest[..n].iter().enumerate().all(|(k, &c)| {
                if k == 0 {
                    ident_start(c)
                } else {
                    ident_start(c) || c.is_ascii_digit()
                }
            })
        })?;
        Some(&self.src[self.i..self.i + len + 2])
    }

    /// Skips a dollar-quoted body whose opening `tag` starts at `self.i`.
    fn dollar_body(&mut self, tag: &str) -> std::result::Result<(), LexError> {
        let start = self.i;
        let body = self.i + tag.len();
        match self.src[body..].find(tag) {
            Some(p) => {
                self.i = body + p + tag.len();
                Ok(())
            }
            None => Err(err(
                &format!("unterminated dollar-quoted text (no closing {tag})"),
                start,
            )),
        }
    }
}

/// Splits PostgreSQL text into statements at top-level `;` (see the module doc for what is
/// kept whole).
pub fn split_postgres(src: &str) -> std::result::Result<Vec<Piece>, LexError> {
    let mut s = Scanner {
        src,
        b: src.as_bytes(),
        i: 0,
    };
    let mut out = Vec::new();
    let mut st = Statement::default();
    while s.i < s.b.len() {
        let c = s.b[s.i];
        let at = s.i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                s.i += 1;
                continue;
            }
            b'-' if s.b.get(at + 1) == Some(&b'-') => {
                s.i = src[at..].find('\n').map_or(s.b.len(), |p| at + p);
                continue;
            }
            b'/' if s.b.get(at + 1) == Some(&b'*') => {
                s.block_comment()?;
                continue;
            }
            b';' if st.depth <= 0 => {
                if let Some(first) = st.first.take() {
                    out.push(Piece {
                        text: src[first..st.last_end].to_string(),
                        offset: first,
                    });
                }
                st = Statement::default();
                s.i += 1;
                continue;
            }
            b'\'' => s.string(false, at)?,
            b'e' | b'E'
                if s.b.get(at + 1) == Some(&b'\'') && (at == 0 || !ident_char(s.b[at - 1])) =>
            {
                s.i += 1;
                s.string(true, at)?;
            }
            b'"' | b'`' => s.quoted(c)?,
            b'$' => match s.dollar_tag().map(str::to_string) {
                Some(tag) => s.dollar_body(&tag)?,
                None => s.i += 1,
            },
            _ if ident_start(c) => {
                while s.i < s.b.len() && ident_char(s.b[s.i]) {
                    s.i += 1;
                }
                st.word(&src[at..s.i]);
            }
            _ => s.i += 1,
        }
        st.first.get_or_insert(at);
        st.last_end = s.i;
    }
    if let Some(first) = st.first {
        out.push(Piece {
            text: src[first..st.last_end].to_string(),
            offset: first,
        });
    }
    Ok(out)
}

/// What the splitter tracks about the statement being read.
#[derive(Default)]
struct Statement {
    /// Offset of its first token.
    first: Option<usize>,
    /// End of its last token.
    last_end: usize,
    /// Its first words, upper-cased (up to four), to recognise CREATE FUNCTION / TRIGGER.
    head: Vec<String>,
    /// The previous word, upper-cased.
    prev: String,
    /// BEGIN/CASE ... END nesting inside a body whose `;` do not end the statement.
    depth: i32,
}

impl Statement {
    fn word(&mut self, w: &str) {
        let up = w.to_ascii_uppercase();
        if self.head.len() < 4 {
            self.head.push(up.clone());
        }
        let is =
            |names: &[&str]| {
                let mut h =
                    self.head.iter().skip(1).map(String::as_str).filter(|w| {
                        !["OR", "REPLACE", "TEMP", "TEMPORARY", "CONSTRAINT"].contains(w)
                    });
                self.head.first().is_some_and(|f| f == "CREATE")
                    && h.next().is_some_and(|w| names.contains(&w))
            };
        let body_kind = if is(&["TRIGGER"]) {
            Some(false) // SQLite trigger: BEGIN opens the body
        } else if is(&["FUNCTION", "PROCEDURE"]) {
            Some(true) // BEGIN ATOMIC opens the body
        } else {
            None
        };
        match (up.as_str(), body_kind) {
            ("ATOMIC", Some(true)) if self.prev == "BEGIN" => self.depth += 1,
            ("BEGIN", Some(false)) => self.depth += 1,
            ("CASE", Some(_)) if self.depth > 0 => self.depth += 1,
            ("END", Some(_)) if self.depth > 0 => self.depth -= 1,
            _ => {}
        }
        self.prev = up;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, updated_at TEXT);\n\
-- kit:only postgresql\n\
CREATE FUNCTION users_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;\n\
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_touch();\n\
-- kit:only sqlite\n\
CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN UPDATE users SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id; END;\n\
-- kit:all\n\
INSERT INTO users (id) VALUES (1);\n";

    #[test]
    fn selects_per_dialect_keeping_lines() {
        let pg = select(MIXED, Dialect::Postgres).unwrap();
        let lite = select(MIXED, Dialect::Sqlite).unwrap();
        assert_eq!(pg.lines().count(), MIXED.lines().count());
        assert_eq!(lite.lines().count(), MIXED.lines().count());
        assert!(pg.contains("plpgsql") && !pg.contains("BEGIN UPDATE"));
        assert!(lite.contains("BEGIN UPDATE") && !lite.contains("plpgsql"));
        assert!(!pg.contains("kit:only") && !lite.contains("kit:all"));
        let pg_stmts = statements(MIXED, Dialect::Postgres).unwrap();
        assert_eq!(pg_stmts.len(), 4, "{pg_stmts:#?}");
        assert_eq!(
            crate::sql::line_col(MIXED, pg_stmts[2].offset).0,
            4,
            "{pg_stmts:#?}"
        );
        assert!(pg_stmts[1].text.ends_with("END $$"));
        let lite_stmts = statements(MIXED, Dialect::Sqlite).unwrap();
        assert_eq!(lite_stmts.len(), 3);
        assert_eq!(crate::sql::line_col(MIXED, lite_stmts[1].offset).0, 6);
        assert_eq!(crate::sql::line_col(MIXED, lite_stmts[2].offset).0, 8);
    }

    #[test]
    fn blocks_end_at_part_boundaries() {
        let src = "-- kit:up\n-- kit:only sqlite\nSELECT 1;\n-- kit:down\nSELECT 2;\n";
        let pg = select(src, Dialect::Postgres).unwrap();
        assert_eq!(
            pg,
            format!(
                "-- kit:up\n{}\n{}\n-- kit:down\nSELECT 2;\n",
                " ".repeat(18),
                " ".repeat(9)
            )
        );
        assert_eq!(pg.len(), src.len());
    }

    #[test]
    fn bad_markers_name_the_line() {
        for (src, needle) in [
            (
                "SELECT 1;\n-- kit:only mysql\nSELECT 2;",
                "unknown dialect `mysql`",
            ),
            ("-- kit:only\n", "needs a dialect"),
            ("-- kit:only postgresql sqlite\n", "name one dialect"),
            ("-- kit:onlypg\n", "unknown marker"),
            ("-- kit:all now\n", "stands alone"),
            (
                "SELECT 1\n-- kit:only sqlite\nSELECT 2;",
                "does not end with `;`",
            ),
        ] {
            match select(src, Dialect::Postgres) {
                Err(Error::Syntax { message, line, .. }) => {
                    assert!(message.contains(needle), "{src}: {message}");
                    assert_eq!(
                        line,
                        src.lines().position(|l| l.contains("kit:")).unwrap() + 1
                    );
                }
                other => panic!("{src}: {other:?}"),
            }
        }
        assert!(select(
            "SELECT 1; -- done\n-- kit:only sqlite\nSELECT 2;",
            Dialect::Sqlite
        )
        .is_ok());
        assert!(select(
            "-- kit:renamed-from x\n-- kit:phase data\n",
            Dialect::Sqlite
        )
        .is_ok());
    }

    fn texts(src: &str) -> Vec<String> {
        split_postgres(src)
            .unwrap()
            .into_iter()
            .map(|p| p.text)
            .collect()
    }

    #[test]
    fn splits_dollar_quotes_and_strings() {
        assert_eq!(
            texts("SELECT $$a;b$$; SELECT $fn$ x $$ ; $fn$; SELECT 'it''s;'; SELECT E'a\\';b'; SELECT 1"),
            ["SELECT $$a;b$$", "SELECT $fn$ x $$ ; $fn$", "SELECT 'it''s;'", "SELECT E'a\\';b'", "SELECT 1"]
        );
        assert_eq!(
            texts("SELECT 'a\\'; SELECT 2"),
            ["SELECT 'a\\'", "SELECT 2"],
            "standard strings take backslashes literally"
        );
        assert_eq!(
            texts("SELECT $1; SELECT a$b$c; SELECT \"x;y\""),
            ["SELECT $1", "SELECT a$b$c", "SELECT \"x;y\""]
        );
        assert_eq!(
            texts("/* a /* nested ; */ still ; */ SELECT 1; -- x;\nSELECT 2;"),
            ["SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn keeps_bodies_whole() {
        let atomic = "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END; SELECT 2; END";
        assert_eq!(texts(&format!("{atomic}; SELECT 3")), [atomic, "SELECT 3"]);
        let trig = "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET x = 1; END";
        assert_eq!(texts(&format!("{trig};SELECT 4;")), [trig, "SELECT 4"]);
        let pg_trig = "CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION f()";
        assert_eq!(
            texts(&format!("{pg_trig}; SELECT 5")),
            [pg_trig, "SELECT 5"]
        );
        let plpgsql = "CREATE OR REPLACE FUNCTION g() RETURNS void LANGUAGE plpgsql AS $body$ BEGIN PERFORM 1; END $body$";
        assert_eq!(
            texts(&format!("{plpgsql};\nSELECT 6")),
            [plpgsql, "SELECT 6"]
        );
    }

    #[test]
    fn unterminated_text_is_an_error_with_its_offset() {
        for (src, at) in [
            ("SELECT 1; SELECT $$ x", 17),
            ("SELECT 'x", 7),
            ("/* /* */", 0),
            ("SELECT E'\\'", 7),
        ] {
            let e = split_postgres(src).unwrap_err();
            assert_eq!(e.offset, at, "{src}: {}", e.message);
        }
    }
}
