//! Data-driven runner for `sqlite-quirks/`: every `*.sql` file in that directory is one case.
//! The format is documented in `sqlite-quirks/README.md`.
//!
//! Run one case (or a few) with `QUIRKS_FILTER=autoincrement cargo test --test quirks`;
//! `QUIRKS_DIR=<dir>` runs the cases of another directory (for trying out a draft case).

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// The suite must never shrink below this many cases.
const MIN_CASES: usize = 25;

/// Option words a case may list in `-- options:`.
const KNOWN_OPTIONS: &[&str] = &["fk-violations-ok"];

// ---------------------------------------------------------------------------------------------
// The case format

#[derive(Debug)]
enum Post {
    /// `-- after:` SQL run after the change.
    After { sql: String, line: usize },
    /// `-- expect: <query>` and its rows.
    Expect {
        query: String,
        rows: Vec<String>,
        line: usize,
    },
    /// `-- expect-statement-error: <sql>` and the substring of its error.
    StatementError {
        sql: String,
        needle: String,
        line: usize,
    },
    /// `-- expect-index-used: <query>` and the index name.
    IndexUsed {
        query: String,
        index: String,
        line: usize,
    },
    /// `-- expect-sql: <object>` and its exact stored SQL.
    Sql {
        name: String,
        text: String,
        line: usize,
    },
}

#[derive(Debug, Default)]
struct Case {
    note: String,
    setup: String,
    change: String,
    /// `-- target:` a schema; the change is then kit's diff from the database to it.
    target: String,
    /// `-- expect-diff:` the exact statements of that diff, one per line.
    expect_diff: Option<Vec<String>>,
    options: Vec<String>,
    expect_plan: Option<Vec<String>>,
    expect_errors: Vec<String>,
    sql_unchanged: Vec<String>,
    post: Vec<Post>,
}

const SECTIONS: &[&str] = &[
    "note",
    "setup",
    "change",
    "target",
    "expect-diff",
    "options",
    "expect-plan",
    "expect-error",
    "expect-sql-unchanged",
    "after",
    "expect",
    "expect-statement-error",
    "expect-index-used",
    "expect-sql",
];

/// Recognizes a section header: `-- <word>:` at the start of a line, optionally followed by a
/// space and inline text. Returns (word, inline text).
fn header(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("-- ")?;
    let colon = rest.find(':')?;
    let word = &rest[..colon];
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
        return None;
    }
    let inline = rest[colon + 1..].trim();
    Some((word, inline))
}

fn parse_case(src: &str) -> Result<Case, String> {
    let mut case = Case::default();
    // (word, inline, header line number, body lines)
    let mut sections: Vec<(String, String, usize, Vec<String>)> = Vec::new();
    for (i, raw) in src.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let in_note = sections.last().is_some_and(|s| s.0 == "note");
        if let Some((word, inline)) = header(line).filter(|(w, _)| !in_note || SECTIONS.contains(w))
        {
            if !SECTIONS.contains(&word) {
                return Err(format!(
                    "line {}: unknown section `-- {word}:` (known: {}). Lines of the form `-- word:` are reserved for sections.",
                    i + 1,
                    SECTIONS.join(", ")
                ));
            }
            sections.push((word.to_string(), inline.to_string(), i + 1, Vec::new()));
            continue;
        }
        match sections.last_mut() {
            Some(s) => s.3.push(line.to_string()),
            None if line.trim().is_empty() => {}
            None => {
                return Err(format!(
                    "line {}: text before the first section (start with `-- note:`)",
                    i + 1
                ))
            }
        }
    }
    let body_text = |body: &[String]| -> String {
        let mut lines: Vec<&str> = body.iter().map(String::as_str).collect();
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        while lines.first().is_some_and(|l| l.trim().is_empty()) {
            lines.remove(0);
        }
        lines.join("\n")
    };
    let nonblank = |body: &[String]| -> Vec<String> {
        body.iter()
            .filter(|l| !l.trim().is_empty())
            .cloned()
            .collect()
    };
    let mut seen_setup = false;
    let mut seen_change = false;
    for (word, inline, line, body) in &sections {
        let need_inline = |what: &str| -> Result<(), String> {
            if inline.is_empty() {
                Err(format!(
                    "line {line}: `-- {word}:` needs {what} on the same line"
                ))
            } else {
                Ok(())
            }
        };
        let no_inline = || -> Result<(), String> {
            if inline.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "line {line}: `-- {word}:` takes no text on its line"
                ))
            }
        };
        match word.as_str() {
            "note" => {
                let mut text = inline.clone();
                for l in body {
                    let t = l.trim();
                    if t.is_empty() {
                        continue;
                    }
                    let Some(c) = t.strip_prefix("--") else {
                        return Err(format!(
                            "line {line}: the note's lines must be `--` comments, found `{t}`"
                        ));
                    };
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(c.trim());
                }
                case.note = text;
            }
            "setup" => {
                no_inline()?;
                if seen_setup {
                    return Err(format!("line {line}: a second `-- setup:`"));
                }
                seen_setup = true;
                case.setup = body_text(body);
            }
            "change" => {
                no_inline()?;
                if seen_change {
                    return Err(format!("line {line}: a second `-- change:`"));
                }
                seen_change = true;
                case.change = body_text(body);
            }
            "target" => {
                no_inline()?;
                case.target = body_text(body);
            }
            "expect-diff" => {
                no_inline()?;
                case.expect_diff = Some(nonblank(body));
            }
            "options" => {
                let mut all = inline.clone();
                for l in nonblank(body) {
                    all.push(' ');
                    all.push_str(&l);
                }
                for w in all.split([',', ' ']).filter(|w| !w.is_empty()) {
                    if !KNOWN_OPTIONS.contains(&w) {
                        return Err(format!(
                            "line {line}: unknown option `{w}` (known: {})",
                            KNOWN_OPTIONS.join(", ")
                        ));
                    }
                    case.options.push(w.to_string());
                }
            }
            "expect-plan" => {
                no_inline()?;
                if case.expect_plan.is_some() {
                    return Err(format!("line {line}: a second `-- expect-plan:`"));
                }
                case.expect_plan = Some(
                    nonblank(body)
                        .iter()
                        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                        .collect(),
                );
            }
            "expect-error" => {
                need_inline("a substring of the error message")?;
                if !nonblank(body).is_empty() {
                    return Err(format!(
                        "line {line}: `-- expect-error:` has no body; write one section per substring"
                    ));
                }
                case.expect_errors.push(inline.clone());
            }
            "expect-sql-unchanged" => {
                need_inline("a comma-separated list of object names")?;
                case.sql_unchanged.extend(
                    inline
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty()),
                );
            }
            "after" => {
                no_inline()?;
                case.post.push(Post::After {
                    sql: body_text(body),
                    line: *line,
                });
            }
            "expect" => {
                need_inline("the query")?;
                case.post.push(Post::Expect {
                    query: inline.clone(),
                    rows: nonblank(body),
                    line: *line,
                });
            }
            "expect-statement-error" => {
                need_inline("the statement")?;
                let b = nonblank(body);
                if b.len() != 1 {
                    return Err(format!(
                        "line {line}: `-- expect-statement-error:` needs exactly one line: a substring of the error"
                    ));
                }
                case.post.push(Post::StatementError {
                    sql: inline.clone(),
                    needle: b[0].trim().to_string(),
                    line: *line,
                });
            }
            "expect-index-used" => {
                need_inline("the query")?;
                let b = nonblank(body);
                if b.len() != 1 {
                    return Err(format!(
                        "line {line}: `-- expect-index-used:` needs exactly one line: the index name"
                    ));
                }
                case.post.push(Post::IndexUsed {
                    query: inline.clone(),
                    index: b[0].trim().to_string(),
                    line: *line,
                });
            }
            "expect-sql" => {
                need_inline("the object name")?;
                case.post.push(Post::Sql {
                    name: inline.clone(),
                    text: body_text(body),
                    line: *line,
                });
            }
            _ => unreachable!(),
        }
    }
    if case.note.trim().is_empty() {
        return Err("missing `-- note:` (what the quirk is and why kit must handle it)".into());
    }
    if case.setup.trim().is_empty() {
        return Err("missing or empty `-- setup:`".into());
    }
    if case.change.trim().is_empty() == case.target.trim().is_empty() {
        return Err("write exactly one of `-- change:` and `-- target:`".into());
    }
    if case.expect_diff.is_some() && case.target.trim().is_empty() {
        return Err("`-- expect-diff:` needs a `-- target:`".into());
    }
    let asserts = case.expect_plan.is_some()
        || case.expect_diff.is_some()
        || !case.expect_errors.is_empty()
        || !case.sql_unchanged.is_empty()
        || case.post.iter().any(|p| !matches!(p, Post::After { .. }));
    if !asserts {
        return Err("the case asserts nothing: add an expect section".into());
    }
    Ok(case)
}

// ---------------------------------------------------------------------------------------------
// Reading the database back

/// One value as the case files write it.
fn render(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => format!("{f:?}"),
        ValueRef::Text(t) => String::from_utf8_lossy(t)
            .replace('\\', "\\\\")
            .replace('\n', "\\n"),
        ValueRef::Blob(b) => {
            let mut s = String::from("X'");
            for byte in b {
                write!(s, "{byte:02X}").unwrap();
            }
            s.push('\'');
            s
        }
    }
}

fn query_rows(conn: &Connection, sql: &str) -> Result<Vec<String>, String> {
    let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
    let n = stmt.column_count();
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        let cells: Vec<String> = (0..n)
            .map(|i| {
                r.get_ref(i)
                    .map(render)
                    .unwrap_or_else(|e| format!("<{e}>"))
            })
            .collect();
        out.push(cells.join("|"));
    }
    Ok(out)
}

fn open_checked(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("open the case database");
    conn.execute_batch("PRAGMA foreign_keys = ON")
        .expect("PRAGMA foreign_keys = ON");
    conn
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Everything a refused change must leave as it was: the schema (with its version) and every
/// row of every ordinary table (including `sqlite_sequence` and FTS shadow tables).
fn dump(conn: &Connection) -> Vec<String> {
    let mut out = Vec::new();
    for q in ["PRAGMA schema_version", "PRAGMA user_version"] {
        out.push(format!("{q} = {:?}", query_rows(conn, q)));
    }
    let schema = query_rows(
        conn,
        "SELECT type || ' ' || name || ' on ' || tbl_name || ': ' || coalesce(sql, '<auto>') FROM sqlite_schema ORDER BY type, name",
    )
    .expect("read sqlite_schema");
    out.extend(schema);
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")
        .unwrap();
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in tables {
        let q = quote_ident(&t);
        let rows = query_rows(
            conn,
            &format!("SELECT _rowid_, * FROM {q} ORDER BY _rowid_"),
        )
        .or_else(|_| {
            query_rows(conn, &format!("SELECT * FROM {q}")).map(|mut r| {
                r.sort();
                r
            })
        })
        .unwrap_or_else(|e| vec![format!("<cannot read: {e}>")]);
        out.push(format!("table {t}: {} rows", rows.len()));
        out.extend(rows.into_iter().map(|r| format!("  {r}")));
    }
    out
}

fn stored_sql(conn: &Connection, name: &str) -> Option<String> {
    conn.query_row(
        "SELECT sql FROM sqlite_schema WHERE name = ?1",
        [name],
        |r| r.get::<_, Option<String>>(0),
    )
    .ok()
    .flatten()
}

fn diff_lines(before: &[String], after: &[String]) -> String {
    let mut s = String::new();
    for l in before.iter().filter(|l| !after.contains(l)) {
        writeln!(s, "    - {l}").unwrap();
    }
    for l in after.iter().filter(|l| !before.contains(l)) {
        writeln!(s, "    + {l}").unwrap();
    }
    if s.is_empty() {
        s = "    (same lines, different order)\n".into();
    }
    s
}

fn path_word(p: kit::Path) -> &'static str {
    match p {
        kit::Path::Native => "native",
        kit::Path::Edit => "edit",
        kit::Path::Rebuild => "rebuild",
        kit::Path::Statement => "statement",
    }
}

fn plan_lines(plan: &kit::Plan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s.table.as_deref().unwrap_or("-"),
                path_word(s.path)
            )
        })
        .collect()
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

// ---------------------------------------------------------------------------------------------
// Running one case

/// kit's diff from the database on `conn` to the schema `target`.
fn target_diff(conn: &Connection, target: &str) -> kit::Result<kit::diff::Diff> {
    let live = kit::read_schema(conn)?;
    let (_mem, schema) = kit::sqlite::load::load_schema(target, "target")?;
    kit::diff::diff(&live, &schema, &kit::diff::Renames::from_sql(target)?)
}

fn run_case(case: &Case) -> Result<(), Vec<String>> {
    let mut fails: Vec<String> = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let path: PathBuf = dir.path().join("quirk.db");

    // Setup, as an application would have done it.
    {
        let conn = open_checked(&path);
        if let Err(e) = conn.execute_batch(&case.setup) {
            return Err(vec![format!("setup failed (fix the case): {e}")]);
        }
    }
    let (before, unchanged_before) = {
        let conn = open_checked(&path);
        let d = dump(&conn);
        let u: Vec<(String, Option<String>)> = case
            .sql_unchanged
            .iter()
            .map(|n| (n.clone(), stored_sql(&conn, n)))
            .collect();
        (d, u)
    };
    for (n, sql) in &unchanged_before {
        if sql.is_none() {
            return Err(vec![format!(
                "expect-sql-unchanged: no object \"{n}\" with SQL after setup (fix the case)"
            )]);
        }
    }
    let bytes_before = fs::read(&path).expect("read the database file");
    let kit_names_before = query_rows(
        &open_checked(&path),
        "SELECT type || ' ' || name FROM sqlite_schema WHERE name LIKE '\\_kit%' ESCAPE '\\'",
    )
    .unwrap_or_default();

    // The change.
    let mut conn = match kit::open(&path) {
        Ok(c) => c,
        Err(e) => return Err(vec![format!("kit::open failed: {e}")]),
    };
    let mut change = case.change.clone();
    if !case.target.trim().is_empty() {
        match target_diff(&conn, &case.target) {
            Err(e) => return Err(vec![format!("diff to the target failed: {e}")]),
            Ok(d) => {
                change = d.script();
                if let Some(want) = &case.expect_diff {
                    let got: Vec<String> = change
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_string)
                        .collect();
                    if &got != want {
                        fails.push(format!(
                            "expect-diff:\n  expected:\n{}  actual:\n{}",
                            indent(&want.join("\n")),
                            indent(&got.join("\n"))
                        ));
                    }
                }
            }
        }
    }
    let planned = kit::plan_sql(&conn, &change);
    let mut script = String::new();
    if let Ok(plan) = &planned {
        script = plan.script().join("\n");
        if let Some(want) = &case.expect_plan {
            let got = plan_lines(plan);
            if &got != want {
                fails.push(format!(
                    "expect-plan:\n  expected:\n{}  actual:\n{}",
                    indent(&want.join("\n")),
                    indent(&got.join("\n"))
                ));
            }
        }
    }
    let result = planned.and_then(|plan| kit::apply(&mut conn, &plan));
    let with_script = |msg: String| -> String {
        if script.is_empty() {
            msg
        } else {
            format!("{msg}\n  plan:\n{}", indent(&script))
        }
    };

    if !case.expect_errors.is_empty() {
        match &result {
            Ok(_) => fails.push(with_script(format!(
                "expected the change to be refused with an error containing {:?}, but it succeeded",
                case.expect_errors
            ))),
            Err(e) => {
                let msg = e.to_string();
                for needle in &case.expect_errors {
                    if !msg.contains(needle.as_str()) {
                        fails.push(format!(
                            "expect-error:\n  expected a substring: {needle}\n  actual error:\n{}",
                            indent(&msg)
                        ));
                    }
                }
            }
        }
        drop(conn);
        let after = dump(&open_checked(&path));
        if result.is_ok() {
            // Already reported: the change went through.
        } else if after != before {
            fails.push(format!(
                "refused change did not leave the database unchanged:\n{}",
                diff_lines(&before, &after)
            ));
        } else if fs::read(&path).expect("read the database file") != bytes_before {
            fails.push(
                "refused change left the same rows and schema but a different file (bytes differ)"
                    .into(),
            );
        }
    } else {
        match &result {
            Ok(_) => {
                // The applying connection is left as it was found.
                let fk: i64 = conn
                    .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
                    .unwrap();
                if fk != 1 {
                    fails.push(format!(
                        "PRAGMA foreign_keys on the applying connection is {fk} after apply, expected 1 (restored)"
                    ));
                }
                let legacy: i64 = conn
                    .query_row("PRAGMA legacy_alter_table", [], |r| r.get(0))
                    .unwrap();
                if legacy != 0 {
                    fails.push(format!(
                        "PRAGMA legacy_alter_table on the applying connection is {legacy} after apply, expected 0"
                    ));
                }
                match query_rows(&conn, "SELECT count(*) FROM sqlite_schema") {
                    Ok(_) => {}
                    Err(e) => fails.push(format!(
                        "the applying connection cannot read the schema after apply: {e}"
                    )),
                }
            }
            Err(e) => {
                fails.push(with_script(format!(
                    "the change failed:\n{}",
                    indent(&e.to_string())
                )));
                return Err(fails);
            }
        }
        drop(conn);
    }

    // Read back through a fresh connection, as the application would.
    let conn = open_checked(&path);
    if !case.target.trim().is_empty() && case.expect_errors.is_empty() {
        match target_diff(&conn, &case.target) {
            Ok(d) if d.is_empty() => {}
            Ok(d) => fails.push(format!(
                "after applying the diff, the database still differs from the target:\n{}",
                indent(&d.script())
            )),
            Err(e) => fails.push(format!("diff after the change failed: {e}")),
        }
    }
    for (n, sql) in &unchanged_before {
        let now = stored_sql(&conn, n);
        if &now != sql {
            fails.push(format!(
                "expect-sql-unchanged: the SQL of \"{n}\" changed\n  before:\n{}  after:\n{}",
                indent(sql.as_deref().unwrap_or("<none>")),
                indent(now.as_deref().unwrap_or("<object gone>"))
            ));
        }
    }
    for p in &case.post {
        match p {
            Post::After { sql, line } => {
                if let Err(e) = conn.execute_batch(sql) {
                    fails.push(format!("after (line {line}) failed: {e}\n{}", indent(sql)));
                    return Err(fails);
                }
            }
            Post::Expect { query, rows, line } => match query_rows(&conn, query) {
                Ok(got) => {
                    if &got != rows {
                        fails.push(format!(
                            "expect (line {line}): {query}\n  expected:\n{}  actual:\n{}",
                            indent(&rows.join("\n")),
                            indent(&got.join("\n"))
                        ));
                    }
                }
                Err(e) => fails.push(format!("expect (line {line}): {query}\n  query failed: {e}")),
            },
            Post::StatementError { sql, needle, line } => match conn.execute_batch(sql) {
                Ok(()) => fails.push(format!(
                    "expect-statement-error (line {line}): `{sql}` succeeded, expected an error containing `{needle}`"
                )),
                Err(e) => {
                    let msg = e.to_string();
                    if !msg.contains(needle.as_str()) {
                        fails.push(format!(
                            "expect-statement-error (line {line}): `{sql}`\n  expected a substring: {needle}\n  actual error: {msg}"
                        ));
                    }
                }
            },
            Post::IndexUsed { query, index, line } => {
                match query_rows(&conn, &format!("EXPLAIN QUERY PLAN {query}")) {
                    Ok(got) => {
                        let uses = got.iter().any(|r| {
                            r.contains(&format!("USING INDEX {index} "))
                                || r.ends_with(&format!("USING INDEX {index}"))
                                || r.contains(&format!("USING COVERING INDEX {index} "))
                                || r.ends_with(&format!("USING COVERING INDEX {index}"))
                        });
                        if !uses {
                            fails.push(format!(
                                "expect-index-used (line {line}): {query}\n  expected the plan to use index {index}\n  actual plan:\n{}",
                                indent(&got.join("\n"))
                            ));
                        }
                    }
                    Err(e) => fails.push(format!(
                        "expect-index-used (line {line}): {query}\n  EXPLAIN QUERY PLAN failed: {e}"
                    )),
                }
            }
            Post::Sql { name, text, line } => {
                let now = stored_sql(&conn, name);
                if now.as_deref() != Some(text.as_str()) {
                    fails.push(format!(
                        "expect-sql (line {line}): stored SQL of \"{name}\"\n  expected:\n{}  actual:\n{}",
                        indent(text),
                        indent(now.as_deref().unwrap_or("<no such object>"))
                    ));
                }
            }
        }
    }

    // Always: the database is sound.
    match query_rows(&conn, "PRAGMA integrity_check") {
        Ok(r) if r == ["ok"] => {}
        Ok(r) => fails.push(format!(
            "PRAGMA integrity_check:\n{}",
            indent(&r.join("\n"))
        )),
        Err(e) => fails.push(format!("PRAGMA integrity_check failed: {e}")),
    }
    if !case.options.iter().any(|o| o == "fk-violations-ok") {
        match query_rows(&conn, "PRAGMA foreign_key_check") {
            Ok(r) if r.is_empty() => {}
            Ok(r) => fails.push(format!(
                "PRAGMA foreign_key_check is not empty (table|rowid|parent|fkid):\n{}",
                indent(&r.join("\n"))
            )),
            Err(e) => fails.push(format!("PRAGMA foreign_key_check failed: {e}")),
        }
    }
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name")
        .unwrap();
    let views: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for v in views {
        if let Err(e) = query_rows(&conn, &format!("SELECT * FROM {} LIMIT 0", quote_ident(&v))) {
            fails.push(format!("view \"{v}\" no longer works: {e}"));
        }
    }
    let leftovers: Vec<String> = query_rows(
        &conn,
        "SELECT type || ' ' || name FROM sqlite_schema WHERE name LIKE '\\_kit%' ESCAPE '\\'",
    )
    .unwrap_or_default()
    .into_iter()
    .filter(|o| !kit_names_before.contains(o))
    .collect();
    if !leftovers.is_empty() {
        fails.push(format!(
            "kit's temporary objects left behind: {leftovers:?}"
        ));
    }

    if fails.is_empty() {
        Ok(())
    } else {
        Err(fails)
    }
}

// ---------------------------------------------------------------------------------------------

fn case_files() -> Vec<PathBuf> {
    let dir = match std::env::var_os("QUIRKS_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("sqlite-quirks"),
    };
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
}

#[test]
fn sqlite_quirks() {
    let files = case_files();
    assert!(
        files.len() >= MIN_CASES,
        "sqlite-quirks/ has {} cases, expected at least {MIN_CASES}",
        files.len()
    );
    let filter = std::env::var("QUIRKS_FILTER").ok();
    let mut report = String::new();
    let mut failed = 0;
    let mut ran = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if filter.as_deref().is_some_and(|flt| !name.contains(flt)) {
            continue;
        }
        ran += 1;
        let src = fs::read_to_string(f).unwrap_or_else(|e| panic!("{name}: {e}"));
        let outcome = match parse_case(&src) {
            Ok(case) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_case(&case)))
                .unwrap_or_else(|p| {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    Err(vec![format!(
                        "PANIC (a bug: kit must return an error, never panic): {msg}"
                    )])
                }),
            Err(e) => Err(vec![format!("bad case file: {e}")]),
        };
        match outcome {
            Ok(()) => println!("ok    sqlite-quirks/{name}"),
            Err(fails) => {
                failed += 1;
                println!("FAIL  sqlite-quirks/{name}");
                writeln!(report, "\n=== sqlite-quirks/{name}").unwrap();
                for f in fails {
                    writeln!(report, "  {}", f.trim_end().replace('\n', "\n  ")).unwrap();
                }
            }
        }
    }
    assert!(ran > 0, "QUIRKS_FILTER matched no case");
    if failed > 0 {
        panic!("{failed} of {ran} sqlite-quirks cases failed:\n{report}");
    }
}

/// The parser itself: headers, bodies and the checks on a case's shape.
#[test]
fn case_format() {
    let src = "-- note: a quirk\n-- type: a note line, not a section\n-- setup:\nCREATE TABLE t(a);\n-- expectt: a typo\n";
    assert!(parse_case(src).unwrap_err().contains("unknown section"));
    let src = "-- note: n\n-- setup:\nCREATE TABLE t(a); -- plain comment\n\n-- change:\nALTER TABLE t ADD b;\n-- expect: SELECT 1\n1\n\n-- expect-error: x\n-- expect-plan:\nt  native\n";
    let c = parse_case(src).unwrap();
    assert_eq!(c.note, "n");
    assert_eq!(c.setup, "CREATE TABLE t(a); -- plain comment");
    assert_eq!(c.change, "ALTER TABLE t ADD b;");
    assert_eq!(c.expect_errors, ["x"]);
    assert_eq!(
        c.expect_plan.as_deref(),
        Some(&["t native".to_string()][..])
    );
    assert!(matches!(&c.post[0], Post::Expect { rows, .. } if rows == &["1"]));
    let src = "-- note: n\n-- setup:\nCREATE TABLE t(a);\n-- change:\nALTER TABLE t ADD b;\n";
    assert!(parse_case(src).unwrap_err().contains("asserts nothing"));
}
