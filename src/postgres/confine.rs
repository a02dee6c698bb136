//! Input is data on PostgreSQL too: the statements of a schema, seed or migration file (and
//! `--sql`) may change only the database kit was pointed at, and kit owns the transaction.
//!
//! PostgreSQL has no authorizer like SQLite's, so [`refused`] judges each statement by its
//! leading words, at plan time (before anything runs), in portable text and in
//! `-- kit:only postgresql` blocks alike. Refused:
//!
//! - `COPY` in every form: `FROM`/`TO` a file reads or writes the server's file system,
//!   `PROGRAM` runs a command on the server, and `FROM STDIN`/`TO STDOUT` needs psql's data
//!   stream, which kit does not provide (write `INSERT` statements);
//! - `CREATE`/`ALTER`/`DROP DATABASE`, `... TABLESPACE`, `... ROLE`/`USER`/`GROUP` (also
//!   `USER MAPPING`), `... SUBSCRIPTION`, and `ALTER SYSTEM`: objects of the whole server, not
//!   of this database;
//! - `SET [SESSION | LOCAL] ROLE`, `SET SESSION AUTHORIZATION`: the rest would run as another
//!   role;
//! - `LOAD`: loads a shared library into the server;
//! - `CREATE EXTENSION` of the extensions that read server files, run code without a sandbox or
//!   reach other servers ([`REFUSED_EXTENSIONS`]); other extensions (`citext`, `pgcrypto`,
//!   `pg_trgm`, `"uuid-ossp"`, ...) are allowed: they add objects to this database only, and
//!   the server's own rules apply (an untrusted extension needs a superuser);
//! - psql meta-commands (`\i`, `\copy`, `\connect`, ...), which are not SQL;
//! - transaction control (`BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`, ...): kit runs every
//!   file in its own transaction, and a `COMMIT` inside it would commit half a change.
//!
//! This is a guard against surprises, not a sandbox: a function call (`pg_read_file(..)`,
//! `set_config('role', ..)`) or a `DO` block runs with the privileges of the role in the URL,
//! so point kit at a role that owns its databases and is not a superuser.

/// Extensions a file may not create: they read or write server files (`adminpack`,
/// `file_fdw`), reach other servers (`dblink`, `postgres_fdw`) or run untrusted code
/// (`plperlu`, `plpython3u`, `pltclu`, ...).
pub const REFUSED_EXTENSIONS: &[&str] = &[
    "adminpack",
    "dblink",
    "file_fdw",
    "postgres_fdw",
    "plperlu",
    "plpythonu",
    "plpython2u",
    "plpython3u",
    "pltclu",
];

/// The closing words of every refusal.
const WHY: &str =
    "a schema, seed or migration file may change only the database kit was pointed at";

/// One token of a statement, as far as [`refused`] needs: a bare word (lower-cased), a
/// quoted identifier (as written inside the quotes), or anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Quoted(String),
    Other,
}

impl Tok {
    fn is(&self, word: &str) -> bool {
        matches!(self, Tok::Word(w) if w == word)
    }

    /// The name a word or quoted identifier stands for (bare words fold to lower case).
    fn name(&self) -> Option<&str> {
        match self {
            Tok::Word(w) | Tok::Quoted(w) => Some(w),
            Tok::Other => None,
        }
    }
}

/// Why `statement` (one PostgreSQL statement) may not run from a file, and what to do
/// instead; `None` when it may.
pub fn refused(statement: &str) -> Option<String> {
    if statement.trim_start().starts_with('\\') {
        return Some(format!(
            "not allowed: `{}` is a psql meta-command, not SQL; kit sends SQL only (inline the file's statements, or write INSERT statements for \\copy); {WHY}",
            statement.split_whitespace().next().unwrap_or("\\")
        ));
    }
    let toks = tokens(statement);
    let word = |i: usize| {
        toks.get(i)
            .and_then(|t| match t {
                Tok::Word(w) => Some(w.as_str()),
                _ => None,
            })
            .unwrap_or("")
    };
    let why = match (word(0), word(1)) {
        ("copy", _) => copy_reason(&toks),
        ("create" | "alter" | "drop", "database") => "it creates, changes or drops a whole database of the server".into(),
        ("create" | "alter" | "drop", "tablespace") => "tablespaces are directories of the server, shared by every database".into(),
        ("create" | "alter" | "drop", "role" | "user" | "group") => "roles (and user mappings) belong to the whole server (or reach other servers), not to this database; create them outside kit".into(),
        ("create" | "alter" | "drop", "subscription") => "a subscription connects to another server".into(),
        ("alter", "system") => "ALTER SYSTEM changes the server's configuration".into(),
        ("load", _) => "LOAD loads a shared library into the server".into(),
        ("set", _) if sets_role(&toks) => "SET ROLE / SET SESSION AUTHORIZATION would run the rest as another role".into(),
        ("create", "extension") => extension_reason(&toks)?,
        (
            "begin" | "start" | "commit" | "end" | "rollback" | "abort" | "savepoint" | "release"
            | "prepare",
            _,
        ) if is_transaction_control(&toks) => {
            return Some(format!(
                "not allowed: `{}`: kit runs each file (each migration) in its own transaction and commits it when every statement succeeded; remove the transaction control",
                statement.trim().lines().next().unwrap_or("")
            ))
        }
        _ => return None,
    };
    Some(format!("not allowed: {why}; {WHY}"))
}

/// Why a `COPY` is refused, by its form.
fn copy_reason(toks: &[Tok]) -> String {
    if toks.iter().any(|t| t.is("program")) {
        "COPY ... PROGRAM runs a command on the database server".into()
    } else if toks.iter().any(|t| t.is("stdin") || t.is("stdout")) {
        "COPY ... FROM STDIN / TO STDOUT needs psql's data stream, which kit does not provide; write INSERT statements".into()
    } else {
        "COPY ... FROM / TO a file reads or writes the database server's file system; write INSERT statements".into()
    }
}

/// `SET [SESSION | LOCAL] ROLE ..` or `SET [SESSION | LOCAL] SESSION AUTHORIZATION ..`.
fn sets_role(toks: &[Tok]) -> bool {
    let mut i = 1;
    if toks.get(i).is_some_and(|t| t.is("local"))
        || (toks.get(i).is_some_and(|t| t.is("session"))
            && !toks.get(i + 1).is_some_and(|t| t.is("authorization")))
    {
        i += 1;
    }
    toks.get(i).is_some_and(|t| t.is("role"))
        || (toks.get(i).is_some_and(|t| t.is("session"))
            && toks.get(i + 1).is_some_and(|t| t.is("authorization")))
}

/// Why a `CREATE EXTENSION` is refused, or `None` when the extension is allowed.
fn extension_reason(toks: &[Tok]) -> Option<String> {
    let mut i = 2;
    if toks.get(i).is_some_and(|t| t.is("if")) {
        i += 3; // IF NOT EXISTS
    }
    let name = toks.get(i)?.name()?;
    REFUSED_EXTENSIONS.contains(&name).then(|| {
        format!("the extension {} reads server files, reaches other servers or runs unsandboxed code; install it outside kit if you need it", crate::sql::quote_ident(name))
    })
}

/// True for transaction control (not `BEGIN ATOMIC`, not `PREPARE name AS ...`).
fn is_transaction_control(toks: &[Tok]) -> bool {
    match &toks[0] {
        Tok::Word(w) if w == "start" => toks.get(1).is_some_and(|t| t.is("transaction")),
        Tok::Word(w) if w == "prepare" => toks.get(1).is_some_and(|t| t.is("transaction")),
        Tok::Word(w) if w == "begin" => !toks.get(1).is_some_and(|t| t.is("atomic")),
        _ => true,
    }
}

/// The tokens of `src`: words, quoted identifiers and other characters; strings (standard,
/// `E'..'` with backslash escapes, dollar-quoted) and comments (nested `/* */`) are skipped.
fn tokens(src: &str) -> Vec<Tok> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if b[i..].starts_with(b"--") {
            i = b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |p| i + p);
        } else if b[i..].starts_with(b"/*") {
            i = skip_block_comment(b, i);
        } else if c == b'\'' {
            let escapes = matches!(out.last(), Some(Tok::Word(w)) if w == "e")
                && i > 0
                && b[i - 1].eq_ignore_ascii_case(&b'e');
            i = skip_string(b, i, escapes);
            out.push(Tok::Other);
        } else if c == b'"' {
            let (name, next) = quoted(src, i);
            out.push(Tok::Quoted(name));
            i = next;
        } else if c == b'$' {
            i = skip_dollar(src, i);
            out.push(Tok::Other);
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            out.push(Tok::Word(src[start..i].to_lowercase()));
        } else {
            i += 1;
            out.push(Tok::Other);
        }
    }
    out
}

/// The end of the (nested) block comment starting at `i`.
fn skip_block_comment(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if b[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// The end of the string literal starting at `i` (its quote).
fn skip_string(b: &[u8], mut i: usize, escapes: bool) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' if escapes => i += 2,
            b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
            b'\'' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// The quoted identifier starting at `i` (its quote), unquoted, and where it ends.
fn quoted(src: &str, i: usize) -> (String, usize) {
    let b = src.as_bytes();
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == b'"' {
            if b.get(j + 1) == Some(&b'"') {
                j += 2;
                continue;
            }
            return (src[i + 1..j].replace("\"\"", "\""), j + 1);
        }
        j += 1;
    }
    (src[i + 1..].to_string(), b.len())
}

/// The end of the dollar-quoted string starting at `i` (`$tag$ ... $tag$`); a `$` that
/// opens no such string (a parameter such as `$1`) is one character.
fn skip_dollar(src: &str, i: usize) -> usize {
    let b = src.as_bytes();
    let mut j = i + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) {
        j += 1;
    }
    if b.get(j) != Some(&b'$') || b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        return i + 1;
    }
    let tag = &src[i..=j];
    match src[j + 1..].find(tag) {
        Some(p) => j + 1 + p + tag.len(),
        None => b.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_reaches_beyond_the_database() {
        for bad in [
            "COPY t FROM '/etc/passwd'",
            "copy t to '/tmp/out.csv' (format csv)",
            "COPY (SELECT 1) TO PROGRAM 'rm -rf /'",
            "COPY t FROM STDIN",
            "CREATE DATABASE other",
            "DROP DATABASE IF EXISTS prod WITH (FORCE)",
            "ALTER DATABASE x RENAME TO y",
            "ALTER SYSTEM SET work_mem = '1GB'",
            "CREATE TABLESPACE t LOCATION '/srv'",
            "CREATE ROLE admin SUPERUSER",
            "CREATE USER MAPPING FOR CURRENT_USER SERVER s",
            "SET ROLE postgres",
            "set local role postgres",
            "SET SESSION AUTHORIZATION postgres",
            "SET SESSION SESSION AUTHORIZATION postgres",
            "LOAD 'auto_explain'",
            "\\i other.sql",
            "\\copy t from 'x.csv'",
            "CREATE EXTENSION dblink",
            "CREATE EXTENSION IF NOT EXISTS \"file_fdw\"",
            "BEGIN",
            "COMMIT",
            "commit work",
            "END",
            "ROLLBACK",
            "SAVEPOINT a",
            "RELEASE SAVEPOINT a",
            "START TRANSACTION",
            "PREPARE TRANSACTION 'x'",
            "/* c */ -- c\n COPY t FROM '/x'",
        ] {
            let why = refused(bad);
            assert!(
                why.as_deref().is_some_and(|w| w.starts_with("not allowed")),
                "{bad}: {why:?}"
            );
        }
        assert!(refused("COPY t TO PROGRAM 'x'")
            .unwrap()
            .contains("PROGRAM"));
        assert!(refused("COPY t FROM STDIN").unwrap().contains("INSERT"));
    }

    #[test]
    fn allows_what_stays_in_the_database() {
        for good in [
            "CREATE TABLE copy (x int)",
            "INSERT INTO t VALUES ('COPY t FROM ''/etc/passwd''')",
            "INSERT INTO t VALUES (E'\\' COPY x PROGRAM')",
            "CREATE EXTENSION IF NOT EXISTS citext",
            "CREATE EXTENSION \"uuid-ossp\"",
            "SET search_path = app",
            "SET LOCAL lock_timeout = '1s'",
            "SET SESSION statement_timeout = 0",
            "RESET ROLE",
            "GRANT SELECT ON t TO reader",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
            "DO $$ BEGIN COMMIT; END $$",
            "PREPARE q AS SELECT 1",
            "SELECT $1::text, $tag$ DROP DATABASE x $tag$",
            "CREATE VIEW load AS SELECT 1",
            "UPDATE t SET role = 'x'",
        ] {
            assert_eq!(refused(good), None, "{good}");
        }
    }
}
