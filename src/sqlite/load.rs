//! Loading SQL text into a SQLite database: a schema file into a scratch in-memory database
//! (where SQLite itself judges it and kit reads it back), and schema or seed scripts statement
//! by statement, with the file and line of a statement SQLite refuses.
//!
//! Run one by one, N `CREATE`s cost SQLite O(N^2): each re-reads its new object with a full
//! scan of `sqlite_schema` (`OP_ParseSchema`), and each bumps the schema cookie, which walks
//! every table of the in-memory schema (`sqlite3FkClearTriggerCache`). So a long run of plain
//! `CREATE`s is loaded in chunks ([`fast_run`]): before each chunk, the rows made so far are
//! moved out of `sqlite_schema` (all but the tables and views the chunk's indexes and triggers
//! are `ON`) and SQLite's in-memory schema is reset, so it holds a few objects. SQLite still runs
//! and judges every statement as written. At the end the rows go back with their rowids, kit
//! refuses duplicate names (what the chunks could not see), and SQLite parses the whole schema
//! once. Anything that fails there is rolled back to a savepoint and the run is executed again
//! one statement at a time, as before, so a broken file gets exactly SQLite's error, file and
//! line. The result has the same `sqlite_schema` rows and schema cookie; only the pages chosen
//! for tables and indexes (`rootpage`) can differ.

use super::guard;
use super::read::read_schema;
use crate::error::{Error, Result};
use crate::schema::Schema;
use crate::sql::{lex, line_col, split_statements, Piece};
use rusqlite::config::DbConfig;
use rusqlite::Connection;

/// Loads schema SQL into a fresh in-memory database, one statement at a time so an error names
/// its statement, and reads it back. `origin` names the text in errors (e.g. the file).
pub fn load_schema(sql: &str, origin: &str) -> Result<(Connection, Schema)> {
    let mut conn = Connection::open_in_memory().map_err(|e| Error::sqlite("opening memory", e))?;
    run_script(&mut conn, sql, origin)?;
    let schema = read_schema(&conn)?;
    Ok((conn, schema))
}

/// Runs a script statement by statement, confined to `conn`'s database ([`guard`]); a failure
/// reports SQLite's message, the statement, and the line and column in `origin` where SQLite
/// found the error (the statement's start when it does not say).
pub fn run_script(conn: &mut Connection, sql: &str, origin: &str) -> Result<()> {
    let pieces = split_statements(sql).map_err(|e| {
        let (line, column) = line_col(sql, e.offset);
        Error::Script {
            origin: origin.to_string(),
            line,
            column,
            message: e.message,
            statement: String::new(),
        }
    })?;
    let plain: Vec<bool> = pieces.iter().map(|p| plain_create(&p.text)).collect();
    let mut i = 0;
    while i < pieces.len() {
        let run = plain[i..].iter().take_while(|p| **p).count();
        if run >= FAST_MIN_RUN && fast_run(conn, &pieces[i..i + run]).is_ok() {
            i += run;
            continue;
        }
        let end = i + run.max(1);
        run_pieces(conn, sql, &pieces[i..end], origin)?;
        i = end;
    }
    Ok(())
}

fn run_pieces(conn: &mut Connection, sql: &str, pieces: &[Piece], origin: &str) -> Result<()> {
    let denial = guard::confine(conn);
    let result = run_each(conn, sql, pieces, origin, &denial);
    guard::release(conn);
    result
}

fn run_each(
    conn: &Connection,
    sql: &str,
    pieces: &[Piece],
    origin: &str,
    denial: &guard::Denial,
) -> Result<()> {
    for p in pieces {
        let fail = |at: usize, message: String| {
            let (line, column) = line_col(sql, p.offset + at);
            Error::Script {
                origin: origin.to_string(),
                line,
                column,
                message,
                statement: p.text.clone(),
            }
        };
        if let Some(why) = guard::refused_statement(&p.text) {
            return Err(fail(0, guard::message(&why)));
        }
        log::debug!(target: "kit::sql", "{};", p.text);
        conn.execute_batch(&p.text).map_err(|e| {
            let at = match &e {
                rusqlite::Error::SqlInputError { offset, .. } => (*offset).max(0) as usize,
                _ => 0,
            };
            match guard::take(denial) {
                Some(why) => fail(at, guard::message(&why)),
                None => fail(at, sqlite_message(&e)),
            }
        })?;
    }
    Ok(())
}

/// The shortest run of plain `CREATE`s loaded in chunks; shorter runs cost little one by one.
const FAST_MIN_RUN: usize = 64;

/// Statements per chunk of a run loaded in chunks.
const CHUNK: usize = 64;

/// Loads a run of plain `CREATE`s ([`plain_create`]) in chunks, each against a short
/// `sqlite_schema` and a small in-memory schema; see the module doc. On any failure everything
/// it did is rolled back (the caller then runs the statements one by one, for the exact error).
fn fast_run(conn: &mut Connection, pieces: &[Piece]) -> std::result::Result<(), ()> {
    if conn.execute_batch("SAVEPOINT kit_load").is_err() {
        return Err(());
    }
    let mut stash = Stash::default();
    let ok = fast_chunks(conn, pieces, &mut stash).is_ok();
    // The rows go back in every case, so a rollback starts from a whole sqlite_schema.
    let restored = with_writable_schema(conn, |c| stash.put_back(c)).is_ok();
    let ok = ok && restored && whole_schema_ok(conn).is_ok();
    if ok && conn.execute_batch("RELEASE kit_load").is_ok() {
        return Ok(());
    }
    let _ = conn.execute_batch("ROLLBACK TO kit_load; RELEASE kit_load");
    let _ = conn.execute_batch("PRAGMA writable_schema = RESET");
    Err(())
}

fn fast_chunks(
    conn: &mut Connection,
    pieces: &[Piece],
    stash: &mut Stash,
) -> std::result::Result<(), ()> {
    for chunk in pieces.chunks(CHUNK) {
        let needs: Vec<String> = chunk.iter().filter_map(|p| on_target(&p.text)).collect();
        with_writable_schema(conn, |c| stash.make_room(c, &needs)).map_err(|_| ())?;
        let denial = guard::confine(conn);
        let mut ok = true;
        for p in chunk {
            if guard::refused_statement(&p.text).is_some() || conn.execute_batch(&p.text).is_err() {
                ok = false;
                break;
            }
            log::debug!(target: "kit::sql", "{};", p.text);
        }
        let refused = guard::take(&denial).is_some();
        guard::release(conn);
        if !ok || refused {
            return Err(());
        }
    }
    Ok(())
}

/// After the rows are back: no two objects share a name (what a chunk could not see), and
/// SQLite parses the whole schema.
fn whole_schema_ok(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("PRAGMA writable_schema = RESET")?;
    let clashes: i64 = conn.query_row(
        "SELECT count(*) FROM (SELECT 1 FROM sqlite_schema GROUP BY type = 'trigger', lower(name) HAVING count(*) > 1)",
        [],
        |r| r.get(0),
    )?;
    if clashes > 0 {
        return Err(rusqlite::Error::InvalidQuery);
    }
    Ok(())
}

/// Whether a statement is a `CREATE [UNIQUE] INDEX`, `CREATE TABLE` (not `AS SELECT`),
/// `CREATE VIEW` or `CREATE TRIGGER` in the main schema: a statement that adds rows to
/// `sqlite_schema`, reads no rows, and depends on no other object but the one it is `ON`.
fn plain_create(sql: &str) -> bool {
    let Ok(toks) = lex(sql) else { return false };
    let mut it = toks.iter();
    if !it.next().is_some_and(|t| t.is_kw(sql, "create")) {
        return false;
    }
    let mut kind = it.next();
    if kind.is_some_and(|t| t.is_kw(sql, "unique")) {
        kind = it.next();
        return kind.is_some_and(|t| t.is_kw(sql, "index")) && !names_other_schema(sql, &toks);
    }
    let Some(kind) = kind else { return false };
    if kind.is_kw(sql, "index") || kind.is_kw(sql, "view") || kind.is_kw(sql, "trigger") {
        return !names_other_schema(sql, &toks);
    }
    if !kind.is_kw(sql, "table") || names_other_schema(sql, &toks) {
        return false;
    }
    // CREATE TABLE ... AS SELECT reads rows (perhaps sqlite_schema's): an AS outside parentheses.
    let mut depth = 0i32;
    for t in &toks {
        if t.is_punct(sql, "(") {
            depth += 1;
        } else if t.is_punct(sql, ")") {
            depth -= 1;
        } else if depth == 0 && t.is_kw(sql, "as") {
            return false;
        }
    }
    true
}

/// Whether the created object's name is qualified with a schema other than `main` (`temp.x`,
/// `aux.x`): such an object lives in another `sqlite_schema`.
fn names_other_schema(sql: &str, toks: &[crate::sql::Token]) -> bool {
    // CREATE [UNIQUE] kind [IF NOT EXISTS] name [. name]
    let mut i = 2;
    if toks.get(1).is_some_and(|t| t.is_kw(sql, "unique")) {
        i += 1;
    }
    while toks
        .get(i)
        .is_some_and(|t| t.is_kw(sql, "if") || t.is_kw(sql, "not") || t.is_kw(sql, "exists"))
    {
        i += 1;
    }
    toks.get(i + 1).is_some_and(|t| t.is_punct(sql, "."))
        && !toks.get(i).is_some_and(|t| t.is_kw(sql, "main"))
}

/// The table or view an index or trigger is `ON` (lower case), if the statement has one.
fn on_target(sql: &str) -> Option<String> {
    let toks = lex(sql).ok()?;
    let at = toks.iter().position(|t| t.is_kw(sql, "on"))?;
    let mut name = toks.get(at + 1)?.ident(sql)?;
    if toks.get(at + 2).is_some_and(|t| t.is_punct(sql, ".")) {
        name = toks.get(at + 3)?.ident(sql)?;
    }
    Some(name.to_ascii_lowercase())
}

/// Rows of `sqlite_schema` moved out of it while a run of `CREATE`s is loaded in chunks, by
/// rowid; written back with their rowids at the end.
#[derive(Default)]
struct Stash {
    rows: std::collections::BTreeMap<i64, StashedRow>,
    /// Tables and views by lower-case name: their rowids.
    by_name: std::collections::HashMap<String, i64>,
    /// The rowids of each table's indexes, by the table's lower-case name.
    indexes: std::collections::HashMap<String, Vec<i64>>,
}

/// One row of `sqlite_schema`.
struct StashedRow {
    kind: String,
    name: String,
    tbl_name: String,
    rootpage: i64,
    sql: Option<String>,
}

impl Stash {
    /// Leaves in `sqlite_schema` only its last row (so new rowids go on from it),
    /// `sqlite_sequence`, and the tables and views in `needs` with their indexes; then resets
    /// SQLite's in-memory schema, so it is read again from those rows.
    fn make_room(&mut self, conn: &Connection, needs: &[String]) -> rusqlite::Result<()> {
        let max: Option<i64> =
            conn.query_row("SELECT max(rowid) FROM sqlite_schema", [], |r| r.get(0))?;
        let Some(max) = max else { return Ok(()) };
        // The last row stays: an index or trigger needs its table beside it.
        let last_on: String = conn.query_row(
            "SELECT lower(tbl_name) FROM sqlite_schema WHERE rowid = ?1",
            [max],
            |r| r.get(0),
        )?;
        {
            let mut st = conn.prepare(
                "SELECT rowid, type, name, tbl_name, rootpage, sql FROM sqlite_schema WHERE rowid < ?1 AND name <> 'sqlite_sequence'",
            )?;
            let mut q = st.query([max])?;
            while let Some(r) = q.next()? {
                let rowid: i64 = r.get(0)?;
                let row = StashedRow {
                    kind: r.get(1)?,
                    name: r.get(2)?,
                    tbl_name: r.get(3)?,
                    rootpage: r.get(4)?,
                    sql: r.get(5)?,
                };
                if row.kind == "table" || row.kind == "view" {
                    self.by_name.insert(row.name.to_ascii_lowercase(), rowid);
                } else if row.kind == "index" && !self.rows.contains_key(&rowid) {
                    self.indexes
                        .entry(row.tbl_name.to_ascii_lowercase())
                        .or_default()
                        .push(rowid);
                }
                self.rows.insert(rowid, row);
            }
        }
        conn.execute(
            "DELETE FROM sqlite_schema WHERE rowid < ?1 AND name <> 'sqlite_sequence'",
            [max],
        )?;
        // A table comes back with its own indexes (its UNIQUE and PRIMARY KEY autoindexes).
        let mut back: Vec<i64> = Vec::new();
        for name in needs.iter().chain(std::iter::once(&last_on)) {
            if let Some(id) = self.by_name.get(name) {
                back.push(*id);
                back.extend(self.indexes.get(name).into_iter().flatten());
            }
        }
        back.sort_unstable();
        back.dedup();
        let mut ins = conn.prepare(
            "INSERT OR REPLACE INTO sqlite_schema (rowid, type, name, tbl_name, rootpage, sql) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for id in back {
            let r = &self.rows[&id];
            ins.execute((id, &r.kind, &r.name, &r.tbl_name, r.rootpage, &r.sql))?;
        }
        conn.execute_batch("PRAGMA writable_schema = RESET")
    }

    /// Writes every stashed row back with its rowid.
    fn put_back(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let mut ins = conn.prepare(
            "INSERT OR REPLACE INTO sqlite_schema (rowid, type, name, tbl_name, rootpage, sql) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (id, r) in std::mem::take(&mut self.rows) {
            ins.execute((id, &r.kind, &r.name, &r.tbl_name, r.rootpage, &r.sql))?;
        }
        self.by_name.clear();
        self.indexes.clear();
        Ok(())
    }
}

/// Runs `f` with `writable_schema` on (and defensive mode off), then puts both back.
fn with_writable_schema(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let defensive = conn.db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE)?;
    if defensive {
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, false)?;
    }
    let result = conn
        .execute_batch("PRAGMA writable_schema = ON")
        .and_then(|()| f(conn));
    let off = conn.execute_batch("PRAGMA writable_schema = OFF");
    if defensive {
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    }
    result.and(off)
}

/// SQLite's own message for an error.
fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}
