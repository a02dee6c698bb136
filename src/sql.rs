//! SQL text helpers: decoding SQL files (UTF-8, no NUL), a lexer that follows SQLite's
//! tokenizer, identifier quoting, statement splitting, and positions (line:column) for error
//! messages.
//!
//! kit never prints a user's expression back through a parser's printer: every piece of SQL it
//! reuses (a CHECK, a default, a view body) is sliced from the original text by byte span. The
//! lexer is what finds those spans.

/// The kind of one SQL token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// A bare word: keyword or unquoted identifier.
    Word,
    /// A quoted identifier: `"x"`, `[x]` or `` `x` ``.
    Quoted,
    /// A string literal `'x'`.
    Str,
    /// A numeric literal.
    Number,
    /// A blob literal `x'00'`.
    Blob,
    /// A bound parameter: `?1`, `:a`, `@a`, `$a`.
    Variable,
    /// Punctuation or an operator.
    Punct,
}

/// One token: its kind and byte span in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What the token is.
    pub kind: Tok,
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset one past the last character.
    pub end: usize,
}

/// A lexing failure: what and where (byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    /// What went wrong.
    pub message: String,
    /// Byte offset in the source.
    pub offset: usize,
}

impl Token {
    /// The token's text in `src`.
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start..self.end]
    }

    /// True when the token is the bare keyword `kw` (case-insensitive).
    pub fn is_kw(&self, src: &str, kw: &str) -> bool {
        self.kind == Tok::Word && self.text(src).eq_ignore_ascii_case(kw)
    }

    /// True when the token is the punctuation `p`.
    pub fn is_punct(&self, src: &str, p: &str) -> bool {
        self.kind == Tok::Punct && self.text(src) == p
    }

    /// The identifier this token refers to inside an expression or statement body: a quoted
    /// identifier, or a bare word that is not an SQL keyword (`DESC`, `SELECT`, ... are not).
    pub fn ident_ref(&self, src: &str) -> Option<String> {
        match self.kind {
            Tok::Quoted => Some(unquote(self.text(src))),
            Tok::Word if !is_keyword(self.text(src)) => Some(self.text(src).to_string()),
            _ => None,
        }
    }

    /// The identifier this token names, unquoted, if it can name one.
    pub fn ident(&self, src: &str) -> Option<String> {
        match self.kind {
            Tok::Word => Some(self.text(src).to_string()),
            Tok::Quoted | Tok::Str => Some(unquote(self.text(src))),
            _ => None,
        }
    }
}

/// SQLite's keywords (`sqlite3_keyword_name`, SQLite 3.54), sorted.
const KEYWORDS: [&str; 147] = [
    "ABORT",
    "ACTION",
    "ADD",
    "AFTER",
    "ALL",
    "ALTER",
    "ALWAYS",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ATTACH",
    "AUTOINCREMENT",
    "BEFORE",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "COMMIT",
    "CONFLICT",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DATABASE",
    "DEFAULT",
    "DEFERRABLE",
    "DEFERRED",
    "DELETE",
    "DESC",
    "DETACH",
    "DISTINCT",
    "DO",
    "DROP",
    "EACH",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDE",
    "EXCLUSIVE",
    "EXISTS",
    "EXPLAIN",
    "FAIL",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GENERATED",
    "GLOB",
    "GROUP",
    "GROUPS",
    "HAVING",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IN",
    "INDEX",
    "INDEXED",
    "INITIALLY",
    "INNER",
    "INSERT",
    "INSTEAD",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "KEY",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH",
    "MATERIALIZED",
    "NATURAL",
    "NO",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OTHERS",
    "OUTER",
    "OVER",
    "PARTITION",
    "PLAN",
    "PRAGMA",
    "PRECEDING",
    "PRIMARY",
    "QUERY",
    "RAISE",
    "RANGE",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "RESTRICT",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "ROW",
    "ROWS",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "TABLE",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TIES",
    "TO",
    "TRANSACTION",
    "TRIGGER",
    "UNBOUNDED",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VACUUM",
    "VALUES",
    "VIEW",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHOUT",
];

/// True when `word` is one of SQLite's keywords (case-insensitive).
pub fn is_keyword(word: &str) -> bool {
    word.len() <= 17
        && KEYWORDS
            .binary_search_by(|k| k.bytes().cmp(word.bytes().map(|b| b.to_ascii_uppercase())))
            .is_ok()
}

/// Removes SQL quoting from an identifier or string token's text.
pub fn unquote(t: &str) -> String {
    let b = t.as_bytes();
    if b.len() >= 2 {
        match (b[0], b[b.len() - 1]) {
            (b'"', b'"') => return t[1..t.len() - 1].replace("\"\"", "\""),
            (b'\'', b'\'') => return t[1..t.len() - 1].replace("''", "'"),
            (b'`', b'`') => return t[1..t.len() - 1].replace("``", "`"),
            (b'[', b']') => return t[1..t.len() - 1].to_string(),
            _ => {}
        }
    }
    t.to_string()
}

/// Quotes an identifier for SQLite and PostgreSQL: `"name"`, doubling inner quotes.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal: `'text'`, doubling inner quotes.
pub fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// True for characters that must not reach a terminal or a line comment raw: control
/// characters (C0, DEL, C1; tab excepted), line and paragraph separators, and the bidirectional
/// overrides that make text display in another order than it reads.
pub fn is_unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every [`is_unsafe_char`] written as an escape (`\n`, `\r`, `\u{1b}`), so it
/// can be printed to a terminal or placed inside a `--` comment without ending the comment.
pub fn escape_unsafe(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A `-- text` line comment whose text cannot end the comment: names with newlines inside it
/// are escaped (see [`escape_unsafe`]), so a comment can never turn into SQL.
pub fn comment(text: &str) -> String {
    format!("-- {}", escape_unsafe(text))
}

/// True for characters that may continue a bare identifier.
fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

/// Splits `src` into tokens, skipping whitespace and comments. A NUL byte anywhere, an
/// unterminated quote, or a number running into a word (`5NOT`) is an error at its offset.
pub fn lex(src: &str) -> Result<Vec<Token>, LexError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |m: &str, o: usize| LexError {
        message: m.to_string(),
        offset: o,
    };
    // Anywhere, strings and comments included: SQLite would stop reading at a NUL.
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        return Err(err(NUL_MESSAGE, nul));
    }
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                match src[i + 2..].find("*/") {
                    Some(p) => i = i + 2 + p + 2,
                    None => i = bytes.len(), // SQLite accepts an unterminated comment at the end
                }
                continue;
            }
            b'\'' | b'"' | b'`' => {
                i += 1;
                loop {
                    if i >= bytes.len() {
                        return Err(err("unterminated quoted text", start));
                    }
                    if bytes[i] == c {
                        if bytes.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    i += 1;
                }
                if c == b'\'' {
                    Tok::Str
                } else {
                    Tok::Quoted
                }
            }
            b'[' => match src[i..].find(']') {
                Some(p) => {
                    i += p + 1;
                    Tok::Quoted
                }
                None => return Err(err("unterminated [identifier]", start)),
            },
            b'x' | b'X' if bytes.get(i + 1) == Some(&b'\'') => {
                match src[i + 2..].find('\'') {
                    Some(p) => i = i + 2 + p + 1,
                    None => return Err(err("unterminated blob literal", start)),
                }
                Tok::Blob
            }
            b'0'..=b'9' | b'.' if c != b'.' || bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let hex = bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
                if c == b'0' && matches!(bytes.get(i + 1), Some(b'x') | Some(b'X')) && hex {
                    i += 2;
                    while i < bytes.len() && bytes[i].is_ascii_hexdigit() {
                        i += 1;
                    }
                } else {
                    while i < bytes.len()
                        && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b'_')
                    {
                        i += 1;
                    }
                    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                        let mut j = i + 1;
                        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                            j += 1;
                        }
                        if j < bytes.len() && bytes[j].is_ascii_digit() {
                            i = j;
                            while i < bytes.len() && bytes[i].is_ascii_digit() {
                                i += 1;
                            }
                        }
                    }
                }
                // As in SQLite, a number running into a word is one unrecognized token.
                if src[i..].chars().next().is_some_and(ident_char) {
                    let word_end = src[i..]
                        .find(|ch: char| !ident_char(ch))
                        .map_or(src.len(), |p| i + p);
                    return Err(LexError {
                        message: format!(
                            "unrecognized token {:?}: put a space between the number and the word",
                            &src[start..word_end]
                        ),
                        offset: start,
                    });
                }
                Tok::Number
            }
            b'?' => {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                Tok::Variable
            }
            b':' | b'@' | b'$' if src[i + 1..].chars().next().is_some_and(ident_char) => {
                i += 1;
                while let Some(ch) = src[i..].chars().next() {
                    if !ident_char(ch) {
                        break;
                    }
                    i += ch.len_utf8();
                }
                Tok::Variable
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or(' ');
                if ch.is_alphabetic() || ch == '_' || !ch.is_ascii() {
                    while let Some(ch) = src[i..].chars().next() {
                        if !ident_char(ch) {
                            break;
                        }
                        i += ch.len_utf8();
                    }
                    Tok::Word
                } else {
                    let two = src.get(i..i + 2).unwrap_or("");
                    let three = src.get(i..i + 3).unwrap_or("");
                    if three == "->>" {
                        i += 3;
                    } else if ["||", "<=", ">=", "==", "!=", "<>", "<<", ">>", "->"].contains(&two)
                    {
                        i += 2;
                    } else {
                        i += ch.len_utf8();
                    }
                    Tok::Punct
                }
            }
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    Ok(out)
}

/// 1-based line and column (in characters) of a byte offset, for error messages. An offset
/// past the end or inside a character counts as the position of that character.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.chars().count(), |p| before[p + 1..].chars().count())
        + 1;
    (line, col)
}

/// What a NUL byte in SQL text is, and what to do about it.
const NUL_MESSAGE: &str =
    "NUL byte (0x00) in SQL text: SQLite stops reading a statement at a NUL, \
                           so the rest would be silently dropped; remove it";

/// Turns the bytes of an SQL file into text, refusing invalid UTF-8 and NUL bytes with the
/// line, column and byte offset of the first bad byte (`origin` names the file in the error).
/// A leading UTF-8 byte order mark is dropped.
pub fn decode(bytes: &[u8], origin: &str) -> Result<String, crate::Error> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let skip = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let body = &bytes[skip..];
    let (valid, bad) = match std::str::from_utf8(body) {
        Ok(text) => (text, None),
        Err(e) => {
            let offset = e.valid_up_to();
            let valid = std::str::from_utf8(&body[..offset]).unwrap_or_default();
            (valid, Some(offset))
        }
    };
    let (offset, message) = match (valid.find('\0'), bad) {
        (Some(nul), _) => (nul, NUL_MESSAGE.to_string()),
        (None, Some(at)) => (
            at,
            format!(
                "invalid UTF-8 (byte 0x{:02X} at byte offset {}): kit reads SQL as UTF-8; \
                 re-save the file as UTF-8",
                body[at],
                skip + at
            ),
        ),
        (None, None) => return Ok(valid.to_string()),
    };
    let (line, column) = line_col(valid, offset);
    Err(crate::Error::Input {
        origin: origin.to_string(),
        line,
        column,
        offset: skip + offset,
        message,
    })
}

/// The byte ranges of the comments in `gap` (the whitespace and comments between two tokens);
/// a `--` comment's range stops before its newline.
fn comment_spans(gap: &str) -> Vec<(usize, usize)> {
    let b = gap.as_bytes();
    let find = |from: usize, pat: &[u8]| {
        b[from.min(b.len())..]
            .windows(pat.len())
            .position(|w| w == pat)
            .map(|p| from + p)
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"--") {
            let end = find(i, b"\n").unwrap_or(b.len());
            out.push((i, end));
            i = end;
        } else if b[i..].starts_with(b"/*") {
            let end = find(i + 2, b"*/").map_or(b.len(), |p| p + 2);
            out.push((i, end));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// True when `gap` (whitespace and comments) ends inside a `--` comment, so a newline must
/// follow before any more SQL.
pub(crate) fn ends_in_line_comment(gap: &str) -> bool {
    comment_spans(gap)
        .last()
        .is_some_and(|&(s, e)| gap[s..].starts_with("--") && e == gap.len())
}

/// When `gap` (the whitespace and comments after a comma) holds a comment before its first
/// newline, and that newline is not inside a comment: the newline's offset. That comment
/// belongs to the item before the comma.
pub(crate) fn same_line_comment(gap: &str) -> Option<usize> {
    let nl = gap.find('\n')?;
    let spans = comment_spans(gap);
    let before = spans.iter().any(|&(s, _)| s < nl);
    let inside = spans.iter().any(|&(s, e)| s < nl && nl < e);
    (before && !inside).then_some(nl)
}

/// True when `left` directly followed by `right` would lex differently from the two apart
/// (`INT` + `NOT`, `'a'` + `'b'`, `-` + `-`), so a space must go between them.
pub(crate) fn needs_space(left: &str, right: &str) -> bool {
    let joined = format!("{left}{right}");
    let (Ok(l), Ok(r), Ok(j)) = (lex(left), lex(right), lex(&joined)) else {
        return true;
    };
    let shifted = r.iter().map(|t| Token {
        start: t.start + left.len(),
        end: t.end + left.len(),
        ..*t
    });
    !j.iter().copied().eq(l.iter().copied().chain(shifted))
}

/// A statement cut out of a script: its text (without the terminating `;`) and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The statement text, trimmed.
    pub text: String,
    /// Byte offset of the statement in the script.
    pub offset: usize,
}

/// Splits a script into statements at top-level `;`, keeping `CREATE TRIGGER ... BEGIN ... END`
/// bodies whole.
pub fn split_statements(src: &str) -> Result<Vec<Piece>, LexError> {
    let toks = lex(src)?;
    let mut out = Vec::new();
    let mut first: Option<usize> = None; // index of the statement's first token
    let mut depth = 0i32; // BEGIN/CASE nesting inside a trigger body
    let mut is_trigger = false;
    for (n, t) in toks.iter().enumerate() {
        if t.is_punct(src, ";") && depth == 0 {
            if let Some(f) = first.take() {
                let s = toks[f].start;
                out.push(Piece {
                    text: src[s..toks[n - 1].end].to_string(),
                    offset: s,
                });
            }
            is_trigger = false;
            continue;
        }
        if first.is_none() {
            first = Some(n);
            // CREATE [TEMP|TEMPORARY] TRIGGER
            let mut k = n + 1;
            if t.is_kw(src, "create") {
                if toks
                    .get(k)
                    .is_some_and(|x| x.is_kw(src, "temp") || x.is_kw(src, "temporary"))
                {
                    k += 1;
                }
                is_trigger = toks.get(k).is_some_and(|x| x.is_kw(src, "trigger"));
            }
        }
        if is_trigger {
            if t.is_kw(src, "begin") || t.is_kw(src, "case") {
                depth += 1;
            } else if t.is_kw(src, "end") {
                depth -= 1;
            }
        }
    }
    if let Some(f) = first {
        let s = toks[f].start;
        out.push(Piece {
            text: src[s..toks[toks.len() - 1].end].to_string(),
            offset: s,
        });
    }
    Ok(out)
}

/// True when `name` appears as an identifier token in `sql` (case-insensitive, any quoting).
pub fn mentions(sql: &str, name: &str) -> bool {
    match lex(sql) {
        Ok(toks) => toks.iter().any(|t| {
            t.ident_ref(sql)
                .is_some_and(|i| i.eq_ignore_ascii_case(name))
        }),
        Err(_) => true, // cannot tell: assume it does
    }
}

/// Replaces every identifier token naming `name` (case-insensitive) in `sql` by `with`.
/// String literals are left alone. Returns `None` when `sql` cannot be lexed.
pub fn substitute(sql: &str, name: &str, with: &str) -> Option<String> {
    let toks = lex(sql).ok()?;
    let mut out = String::new();
    let mut last = 0;
    for (i, t) in toks.iter().enumerate() {
        let hit = t
            .ident_ref(sql)
            .is_some_and(|id| id.eq_ignore_ascii_case(name));
        if hit {
            // A qualified reference `t.c` is replaced whole.
            let start = if i >= 2 && toks[i - 1].is_punct(sql, ".") && toks[i - 2].start >= last {
                toks[i - 2].start
            } else {
                t.start
            };
            out.push_str(&sql[last..start]);
            out.push_str(with);
            last = t.end;
        }
    }
    out.push_str(&sql[last..]);
    Some(out)
}

/// PostgreSQL's limit on the length of a name, in bytes.
pub const PG_NAME_LIMIT: usize = 63;

/// `s` cut to at most `n` bytes at a character boundary.
pub fn clip(s: &str, mut n: usize) -> String {
    n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    s[..n].to_string()
}

/// PostgreSQL's `makeObjectName`: `name1_name2_label`, the longer of the two names shortened
/// (at character boundaries) until the whole fits in [`PG_NAME_LIMIT`] bytes.
pub fn pg_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let overhead = label.len() + 1 + usize::from(name2.is_some());
    let avail = PG_NAME_LIMIT.saturating_sub(overhead);
    let (mut n1, mut n2) = (name1.len(), name2.map_or(0, str::len));
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let mut out = clip(name1, n1);
    if let Some(n) = name2 {
        out.push('_');
        out.push_str(&clip(n, n2));
    }
    out.push('_');
    out.push_str(label);
    out
}

/// Index of the `)` closing the `(` at `open`.
pub fn close_of(src: &str, toks: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (k, t) in toks.iter().enumerate().skip(open) {
        if t.is_punct(src, "(") {
            depth += 1;
        } else if t.is_punct(src, ")") {
            depth -= 1;
            if depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

/// The text, trimmed, without the parentheses (however many pairs) enclosing all of it.
pub fn strip_parens(s: &str) -> &str {
    let t = s.trim();
    if t.starts_with('(') && t.ends_with(')') {
        if let Ok(toks) = lex(t) {
            if close_of(t, &toks, 0) == Some(toks.len() - 1) {
                return strip_parens(&t[1..t.len() - 1]);
            }
        }
    }
    t
}

/// Token index ranges of the top-level comma-separated items in `toks[from..to]`.
pub fn split_top(src: &str, toks: &[Token], from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut start = from;
    for (k, t) in toks.iter().enumerate().take(to).skip(from) {
        if t.is_punct(src, "(") {
            depth += 1;
        } else if t.is_punct(src, ")") {
            depth -= 1;
        } else if depth == 0 && t.is_punct(src, ",") {
            out.push((start, k));
            start = k + 1;
        }
    }
    if start < to {
        out.push((start, to));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexes_quotes_and_comments() {
        let src = "SELECT \"a\"\"b\", [c d], `e`, 'it''s', x'00', 0x10 -- c\n/* x */ FROM t";
        let toks = lex(src).unwrap();
        let texts: Vec<_> = toks.iter().map(|t| t.text(src)).collect();
        assert_eq!(
            texts,
            [
                "SELECT",
                "\"a\"\"b\"",
                ",",
                "[c d]",
                ",",
                "`e`",
                ",",
                "'it''s'",
                ",",
                "x'00'",
                ",",
                "0x10",
                "FROM",
                "t"
            ]
        );
        assert_eq!(toks[1].ident(src).unwrap(), "a\"b");
        assert_eq!(toks[3].ident(src).unwrap(), "c d");
    }

    #[test]
    fn splits_triggers_whole() {
        let src = "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET x = CASE WHEN 1 THEN 2 END; END; SELECT 1;";
        let p = split_statements(src).unwrap();
        assert_eq!(p.len(), 2);
        assert!(p[0].text.ends_with("END; END"));
        assert_eq!(p[1].text, "SELECT 1");
    }

    #[test]
    fn substitutes_identifiers_only() {
        assert_eq!(
            substitute("lvl > 0 AND \"LVL\" < 'lvl'", "lvl", "(5)").unwrap(),
            "(5) > 0 AND (5) < 'lvl'"
        );
    }

    #[test]
    fn keywords_are_sqlites() {
        assert!(is_keyword("select") && is_keyword("WITHOUT") && is_keyword("Current_Timestamp"));
        assert!(!is_keyword("users") && !is_keyword("") && !is_keyword("selectx"));
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn comments_cannot_be_left() {
        let c = comment("drops table \"t\nDROP TABLE y; --\" \r\u{1b}[2J\u{202e}");
        assert!(!c.contains('\n') && !c.contains('\r') && !c.contains('\u{1b}'));
        assert_eq!(
            c,
            "-- drops table \"t\\nDROP TABLE y; --\" \\r\\u{1b}[2J\\u{202e}"
        );
        assert_eq!(escape_unsafe("plain\ttext é"), "plain\ttext é");
    }

    #[test]
    fn positions() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        // Columns count characters: tabs and multi-byte characters are one each; CRLF lines.
        assert_eq!(line_col("a\r\n\té€x", 8), (2, 3));
        // Inside a character or past the end: no panic, the character's (or end's) position.
        assert_eq!(line_col("é", 1), (1, 1));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn nul_is_an_error_anywhere() {
        for (src, at) in [
            ("ALTER TABLE t ADD c INT\0EGER", 23),
            ("SELECT 'a\0b'", 9),
            ("SELECT 1 -- c\0\n", 13),
            ("/* \0 */ SELECT 1", 3),
            ("\0", 0),
        ] {
            let e = lex(src).unwrap_err();
            assert_eq!(e.offset, at, "{src:?}");
            assert!(e.message.contains("NUL"), "{}", e.message);
            assert_eq!(split_statements(src).unwrap_err().offset, at);
        }
    }

    #[test]
    fn numbers_running_into_words_are_one_bad_token() {
        for bad in ["5NOT", "DEFAULT 1e", "0x", "0xfg", "1_0abc", "2é"] {
            let e = lex(bad).unwrap_err();
            assert!(
                e.message.contains("unrecognized token"),
                "{bad}: {}",
                e.message
            );
        }
        for good in [
            "0x1F", "1e10", "1.5e-3", ".5", "1_000", "5 NOT", "5)", "x'00'",
        ] {
            assert!(lex(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn decodes_utf8_and_refuses_nul_and_bad_bytes() {
        assert_eq!(
            decode("SELECT 'é'".as_bytes(), "f.sql").unwrap(),
            "SELECT 'é'"
        );
        assert_eq!(
            decode(b"\xEF\xBB\xBFSELECT 1", "f.sql").unwrap(),
            "SELECT 1"
        );
        let pos = |bytes: &[u8]| match decode(bytes, "f.sql").unwrap_err() {
            crate::Error::Input {
                origin,
                line,
                column,
                offset,
                message,
            } => {
                assert_eq!(origin, "f.sql");
                (line, column, offset, message)
            }
            other => panic!("{other}"),
        };
        let (line, column, offset, message) = pos(b"ALTER TABLE t\n  ADD c INT\0EGER");
        assert_eq!((line, column, offset), (2, 12, 25));
        assert!(message.contains("NUL"), "{message}");
        let (line, column, offset, message) = pos("-- é\r\nSELECT '\t"
            .as_bytes()
            .iter()
            .copied()
            .chain([0xff, b'\''])
            .collect::<Vec<_>>()
            .as_slice());
        assert_eq!((line, column, offset), (2, 10, 16));
        assert!(
            message.contains("invalid UTF-8") && message.contains("0xFF"),
            "{message}"
        );
        // The first bad byte wins, whichever kind it is.
        assert!(pos(b"a\xff\0").3.contains("UTF-8"));
        assert!(pos(b"a\0\xff").3.contains("NUL"));
        // A truncated multi-byte character at the end.
        assert_eq!(pos(b"SELECT \xc3").0, 1);
    }

    #[test]
    fn spaces_only_where_tokens_would_run_together() {
        for (l, r) in [
            ("INT", "NOT"),
            ("'a'", "'b'"),
            ("-", "-1"),
            ("x", "'00'"),
            ("5", "NOT"),
            ("a /", "* b"),
        ] {
            assert!(needs_space(l, r), "{l:?} {r:?}");
        }
        for (l, r) in [
            (")", "NOT"),
            ("a", "\"b\""),
            ("\"a\"", "INT"),
            ("INT(5)", "NOT NULL"),
            ("", "x"),
        ] {
            assert!(!needs_space(l, r), "{l:?} {r:?}");
        }
    }

    #[test]
    fn finds_line_comments_only_outside_block_comments() {
        assert!(ends_in_line_comment(" -- c"));
        assert!(!ends_in_line_comment(" -- c\n"));
        assert!(!ends_in_line_comment(" /* -- */ "));
        assert!(ends_in_line_comment(" /* x */ -- c"));
        assert_eq!(same_line_comment(" -- c\n  "), Some(5));
        assert_eq!(same_line_comment(" /* a */\n"), Some(8));
        assert_eq!(same_line_comment(" /* a\n b */ "), None);
        assert_eq!(same_line_comment("\n -- c\n"), None);
        assert_eq!(same_line_comment(" "), None);
    }
}
