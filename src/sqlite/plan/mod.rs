//! Operations -> steps. Each table's consecutive changes are batched; a batch runs natively when
//! SQLite can do every change in place (RENAME, ADD/DROP COLUMN where allowed, constraint-only
//! edits of the stored definition) and as exactly one rebuild otherwise.
//!
//! The planner works on an in-memory copy of the schema (no rows): every step it emits is
//! executed there first, so the plan is validated by SQLite itself before it touches the real
//! database, and each step's starting schema is read back from SQLite rather than simulated.
//!
//! This module holds the plan's types and the batching; `change` says what each operation does
//! to a table's model, `rebuild` writes the rebuild and edit SQL, `guards` keeps foreign keys
//! sound, and `footprint` picks the part of the schema the scratch copy needs.

use super::read::{
    read_schema, refresh_schema, reparse_rows, schema_rows, shadow_from_rows, SchemaRow,
};
use crate::error::{Error, Refusal, Result};
use crate::ops::Op;
pub use crate::report::Path;
use crate::schema::{
    Column, ColumnConstraintKind, ConstraintPlace, Schema, Table, TableConstraint,
    TableConstraintKind,
};
use crate::sql::{comment, mentions, quote_ident, quote_str};
use crate::statements::Statement;
use indexmap::IndexMap;
use rusqlite::Connection;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

mod change;
mod footprint;
mod guards;
mod inputs;
mod rebuild;

use change::*;
use footprint::*;
use rebuild::*;

/// A preflight check: a query counting the rows that would make the change fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The table checked (as named when the check runs).
    pub table: String,
    /// What is refused when rows are found.
    pub reason: String,
    /// How to fix it.
    pub hint: String,
    /// `SELECT count(*) ...`: must return 0.
    pub count_sql: String,
    /// `SELECT <key> ... LIMIT 5`: example keys of offending rows.
    pub examples_sql: String,
}

impl Check {
    /// Runs the check; `Err(Refused)` when rows are in the way.
    pub fn run(&self, conn: &Connection) -> Result<()> {
        let count: i64 = conn
            .query_row(&self.count_sql, [], |r| r.get(0))
            .map_err(|e| Error::sqlite(format!("checking {}", self.reason), e))?;
        if count == 0 {
            return Ok(());
        }
        let mut stmt = conn
            .prepare(&self.examples_sql)
            .map_err(|e| Error::sqlite("reading example rows", e))?;
        let examples: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(|r| r.collect())
            .map_err(|e| Error::sqlite("reading example rows", e))?;
        Err(Error::Refused(Refusal {
            table: self.table.clone(),
            reason: self.reason.clone(),
            count: count as u64,
            examples,
            hint: self.hint.clone(),
        }))
    }
}

/// What `--dry-run` could verify without writing: how many checks ran on the database as it
/// is, and the checks that could not run there, each with the reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    /// Checks run (and passed).
    pub run: usize,
    /// Checks not run on the database as it is, with why.
    pub not_run: Vec<(Check, String)>,
    /// True when those were then evaluated by applying the plan to an in-memory copy.
    pub on_copy: bool,
}

/// One step of a plan: checks, then statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// How the table is changed.
    pub path: Path,
    /// The table changed (its name after the step), if the step is about one table.
    pub table: Option<String>,
    /// What the step does, for people.
    pub description: String,
    /// Preflight checks run just before the statements.
    pub checks: Vec<Check>,
    /// The statements, in order.
    pub sql: Vec<String>,
    /// For rebuilds: the index into `sql` of the `INSERT ... SELECT` that copies the rows.
    pub copy_statement: Option<usize>,
}

/// A complete plan: every step in order, all applied in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The steps.
    pub steps: Vec<Step>,
    /// Tables whose foreign keys must be checked before COMMIT (as child tables).
    pub fk_check_tables: Vec<String>,
    /// `PRAGMA schema_version` of the database when planned; applying refuses if it moved.
    pub schema_version: i64,
    /// Statements run after the steps in the same transaction, unplanned (a migration's
    /// bookkeeping: recording its version).
    pub finish: Vec<String>,
}

impl Plan {
    /// True when some step rebuilds a table or drops one, so foreign keys must be off.
    pub fn needs_foreign_keys_off(&self) -> bool {
        self.steps.iter().any(|s| s.path == Path::Rebuild)
    }

    /// Every statement the plan executes, in order, as `--dry-run` shows them (with the
    /// transaction and foreign-key handling around them, and checks as comments).
    pub fn script(&self) -> Vec<String> {
        let mut out = Vec::new();
        let fk_off = self.needs_foreign_keys_off();
        if fk_off {
            out.push("PRAGMA foreign_keys = OFF;".to_string());
        }
        out.push("BEGIN IMMEDIATE;".to_string());
        for s in &self.steps {
            let t = s
                .table
                .as_deref()
                .map(|t| format!("\"{t}\": "))
                .unwrap_or_default();
            out.push(comment(&format!(
                "{t}{} -- {}",
                s.path.label(),
                s.description
            )));
            for c in &s.checks {
                out.push(comment(&format!(
                    "check ({}): {} must be 0",
                    c.reason, c.count_sql
                )));
            }
            for q in &s.sql {
                out.push(format!("{};", q));
            }
        }
        for q in &self.finish {
            out.push(format!("{q};"));
        }
        for t in &self.fk_check_tables {
            out.push(format!("PRAGMA foreign_key_check({});", quote_ident(t)));
        }
        out.push("COMMIT;".to_string());
        if fk_off {
            out.push("PRAGMA foreign_keys = ON; -- restored only if it was on".to_string());
        }
        out
    }

    /// Runs, read-only, the preflight checks that the database as it is now can answer: those
    /// before any user statement, on tables no earlier step changed. The others depend on rows
    /// that earlier steps of the change write; they are listed in the result with the reason.
    pub fn preview_checks(&self, conn: &Connection) -> Result<Preview> {
        let mut preview = Preview::default();
        let mut touched: Vec<String> = Vec::new();
        let mut after: Option<String> = None;
        for s in &self.steps {
            if s.path == Path::Statement && after.is_none() {
                after = Some(format!("the statement `{}`", s.description));
            }
            for c in &s.checks {
                let changed = touched.iter().any(|t| t.eq_ignore_ascii_case(&c.table));
                let why = match (&after, changed) {
                    (Some(st), _) => Some(format!(
                        "it runs after {st}, which may change the rows it counts"
                    )),
                    (None, true) => Some(format!(
                        "it runs after an earlier step changed table \"{}\"",
                        c.table
                    )),
                    (None, false) => None,
                };
                match why {
                    Some(why) => preview.not_run.push((c.clone(), why)),
                    None => {
                        c.run(conn)?;
                        preview.run += 1;
                    }
                }
            }
            touched.extend(s.table.clone());
        }
        Ok(preview)
    }

    /// What `--dry-run` verifies: the checks the database can answer as it is, then, when some
    /// depend on the change's own statements and the database is at most `copy_limit` bytes,
    /// every check by applying the plan to an in-memory copy ([`Plan::preview_on_copy`]).
    pub fn dry_run(&self, conn: &Connection, copy_limit: u64) -> Result<Preview> {
        let mut preview = self.preview_checks(conn)?;
        if preview.not_run.is_empty() {
            return Ok(preview);
        }
        let size: i64 = conn
            .query_row(
                "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
                [],
                |r| r.get(0),
            )
            .map_err(|e| Error::sqlite("reading the database size", e))?;
        if size as u64 <= copy_limit {
            self.preview_on_copy(conn)?;
            preview.on_copy = true;
        }
        Ok(preview)
    }

    /// Evaluates every check, and the foreign-key check before COMMIT, by applying the whole
    /// plan to an in-memory copy of the database (SQLite's backup API), which is then thrown
    /// away. `Err(Refused)` when the real run would be refused. For `--dry-run` of a change
    /// whose checks depend on its own statements; the copy costs memory as large as the file.
    pub fn preview_on_copy(&self, conn: &Connection) -> Result<()> {
        let mut copy = Connection::open_in_memory()
            .map_err(|e| Error::sqlite("opening an in-memory copy", e))?;
        {
            let backup = rusqlite::backup::Backup::new(conn, &mut copy)
                .map_err(|e| Error::sqlite("copying the database into memory", e))?;
            backup
                .run_to_completion(1024, std::time::Duration::ZERO, None)
                .map_err(|e| Error::sqlite("copying the database into memory", e))?;
        }
        // The backup bumps the copy's schema version; the copy is the same schema.
        let mut plan = self.clone();
        plan.schema_version = copy
            .query_row("PRAGMA schema_version", [], |r| r.get(0))
            .map_err(|e| Error::sqlite("reading schema_version", e))?;
        crate::sqlite::apply::apply(&mut copy, &plan).map(|_| ())
    }

    /// Tables rebuilt by the plan.
    pub fn rebuilt_tables(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter(|s| s.path == Path::Rebuild)
            .filter_map(|s| s.table.as_deref())
            .collect()
    }
}

/// What one plan leaves for the next on the same database, so that planning many small
/// changes one after another (a run of migrations) does not parse the whole schema each time:
/// the parsed schema (an object whose stored text is unchanged is not parsed again) and the
/// names each definition uses.
#[derive(Default)]
pub struct PlanCache {
    live: Rc<Schema>,
    idents: IdentCache,
}

/// Plans a parsed script against the database on `conn` (read only; nothing is written).
pub fn plan(conn: &Connection, statements: &[Statement]) -> Result<Plan> {
    plan_with(conn, statements, &mut PlanCache::default())
}

/// [`plan`], reusing what `cache` holds from earlier plans on the same database and leaving
/// this plan's schema there for the next one.
pub fn plan_with(
    conn: &Connection,
    statements: &[Statement],
    cache: &mut PlanCache,
) -> Result<Plan> {
    let schema_version: i64 = conn
        .query_row("PRAGMA schema_version", [], |r| r.get(0))
        .map_err(|e| Error::sqlite("reading schema_version", e))?;
    // The scratch copy holds only the change's footprint: the tables it names, what their
    // triggers and views touch, and what those read. The rest of the schema is parsed (for
    // foreign keys, triggers and names) but not copied, so planning stays fast on big schemas.
    let rows = schema_rows(conn)?;
    let previous = Rc::try_unwrap(std::mem::take(&mut cache.live)).unwrap_or_default();
    let live = Rc::new(reparse_rows(&rows, previous)?);
    cache.live = Rc::clone(&live);
    inputs::refuse_inputs(&live, statements)?;
    cache.idents.start();
    let kept = footprint(&rows, statements, &mut cache.idents);
    let shadow = shadow_from_rows(&rows, &|r| kept.contains(&r.name.to_lowercase()))?;
    let mut p = Planner {
        schema: read_schema(&shadow)?,
        shadow,
        live,
        kept,
        batches: Vec::new(),
        plan: Plan::default(),
        fk_tables: BTreeSet::new(),
        renamed_columns: BTreeSet::new(),
        live_version: schema_version,
        shadow_base: 0,
        unread: Vec::new(),
        replaced_views: HashSet::new(),
        dependents_resolved: None,
    };
    p.shadow_base = p
        .shadow
        .query_row("PRAGMA schema_version", [], |r| r.get(0))
        .map_err(|e| Error::sqlite("reading schema_version", e))?;
    let views_before = p.working_views();
    let texts_before: Vec<(String, String)> = p
        .schema
        .views
        .values()
        .map(|v| (v.name.clone(), v.sql.clone()))
        .chain(
            p.schema
                .triggers
                .values()
                .map(|t| (t.name.clone(), t.sql.clone())),
        )
        .collect();
    // Names that were columns: a double-quoted one of these was an identifier, not a string.
    let columns_before: HashSet<String> = p
        .schema
        .tables
        .values()
        .flat_map(|t| t.columns.iter().map(|c| c.name.to_ascii_lowercase()))
        .collect();
    for (n, st) in statements.iter().enumerate() {
        match st {
            Statement::Alter { alter, text } => {
                // Tables this statement's foreign keys reference are planned up to here first,
                // so the reference sees them as the script has them at this point.
                for parent in referenced_tables(&alter.ops) {
                    let pending: Vec<usize> = (0..p.batches.len())
                        .filter(|&i| {
                            let b = &p.batches[i];
                            !b.name_now.eq_ignore_ascii_case(&alter.table)
                                && (b.name_now.eq_ignore_ascii_case(&parent)
                                    || b.start_name.eq_ignore_ascii_case(&parent))
                        })
                        .collect();
                    for i in pending.into_iter().rev() {
                        let b = p.batches.remove(i);
                        p.flush(b)?;
                    }
                }
                // Pending batches of other tables whose new foreign keys name this table run
                // first, as the script orders them: they see its columns and name before this
                // statement changes them (and its guards then see those keys).
                {
                    let naming: Vec<usize> = (0..p.batches.len())
                        .filter(|&i| {
                            let b = &p.batches[i];
                            !b.name_now.eq_ignore_ascii_case(&alter.table)
                                && b.ops.iter().any(|(o, _)| {
                                    referenced_tables(std::slice::from_ref(o))
                                        .iter()
                                        .any(|r| r.eq_ignore_ascii_case(&alter.table))
                                })
                        })
                        .collect();
                    for i in naming.into_iter().rev() {
                        let b = p.batches.remove(i);
                        p.flush(b)?;
                    }
                }
                // A rename to a name that another table's pending rename frees: that batch
                // must run first, so flush it now.
                for op in &alter.ops {
                    if let Op::RenameTable { to } = op {
                        let freeing = p.batches.iter().position(|b| {
                            b.start_name.eq_ignore_ascii_case(to)
                                && !b.name_now.eq_ignore_ascii_case(to)
                                && !b.name_now.eq_ignore_ascii_case(&alter.table)
                        });
                        if let Some(j) = freeing {
                            let b = p.batches.remove(j);
                            p.flush(b)?;
                        }
                    }
                }
                let idx = p.batch_for(&alter.table, text)?;
                // Each op keeps its statement's text (for errors), shared, not copied per op.
                let shared: Rc<str> = Rc::from(text.as_str());
                for op in &alter.ops {
                    if let Op::RenameTable { to } = op {
                        // The name a pending rename frees is available again.
                        let freed = p.batches.iter().any(|b| {
                            b.start_name.eq_ignore_ascii_case(to)
                                && !b.name_now.eq_ignore_ascii_case(to)
                        });
                        if (p.name_taken(to) && !freed)
                            || p.batches
                                .iter()
                                .any(|b| b.name_now.eq_ignore_ascii_case(to))
                        {
                            return Err(Error::refused(
                                &alter.table,
                                format!(
                                    "cannot rename to \"{to}\": an object with that name exists"
                                ),
                                "pick another name or drop the other object first",
                            ));
                        }
                        p.batches[idx].name_now = to.clone();
                    }
                    p.batches[idx].ops.push((op.clone(), Rc::clone(&shared)));
                }
            }
            Statement::Other {
                text,
                ddl,
                line,
                column,
            } => {
                let affected = p.affected_tables(text);
                if *ddl && !is_table_ddl(text) {
                    p.flush_all()?;
                } else {
                    // CREATE/DROP TABLE and DML only separate the batches of the tables they
                    // name or reach, so a table's ALTERs around them still make one rebuild.
                    let named = idents(text);
                    // A statement that reads or writes a table (directly, through a view, a
                    // trigger or a foreign-key action) separates that table's batches.
                    let hit: Vec<usize> = (0..p.batches.len())
                        .filter(|&i| {
                            let b = &p.batches[i];
                            affected.contains(&b.name_now.to_lowercase())
                                || affected.contains(&b.start_name.to_lowercase())
                                || named.contains(&b.name_now.to_lowercase())
                                || named.contains(&b.start_name.to_lowercase())
                        })
                        .collect();
                    for i in hit.into_iter().rev() {
                        let b = p.batches.remove(i);
                        p.flush(b)?;
                    }
                }
                let defer = p.batches.is_empty()
                    && is_create(text)
                    && matches!(statements.get(n + 1), Some(Statement::Other { text, .. }) if is_create(text));
                p.run_statement(text, &affected, (*line, *column), defer)?;
            }
        }
    }
    p.flush_all()?;
    // SQLite turns a double-quoted name that no longer resolves into a string when it rewrites
    // a view or trigger ("quotefix"): a dropped column would silently become its own name.
    for (name, before) in &texts_before {
        let after = p
            .schema
            .views
            .get(name)
            .map(|v| &v.sql)
            .or_else(|| p.schema.triggers.get(name).map(|t| &t.sql));
        let became = after.map_or_else(Vec::new, |a| identifiers_became_strings(before, a));
        if let Some(ident) = became
            .into_iter()
            .find(|i| columns_before.contains(&i.to_ascii_lowercase()))
        {
            return Err(Error::refused(
                name,
                format!(
                    "\"{name}\" names \"{ident}\", which the change removes (SQLite would silently turn it into the string '{ident}')"
                ),
                "drop or change the view or trigger in the same change, before the column goes",
            ));
        }
    }
    // Views that worked before must still work, and keep their columns (a `SELECT *` view
    // would silently lose a dropped column; PostgreSQL refuses the drop).
    let views_after = p.working_views();
    for (name, sql, cols) in &views_before {
        let Some(view) = p.schema.views.get(name) else {
            continue;
        };
        if &view.sql != sql || p.replaced_views.contains(&name.to_ascii_lowercase()) {
            continue; // replaced by the change itself
        }
        let Some((_, _, after)) = views_after.iter().find(|(n, _, _)| n == name) else {
            let _ = p
                .shadow
                .set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML, false);
            let msg = p
                .shadow
                .prepare(&format!("SELECT * FROM {}", quote_ident(name)))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            return Err(Error::refused(
                name,
                format!("view \"{name}\" would stop working: {msg}"),
                "drop or change the view in the same change (DROP VIEW ...; then CREATE VIEW ... after), as PostgreSQL requires",
            ));
        };
        let lost: Vec<&String> = cols
            .iter()
            .filter(|c| {
                !after.iter().any(|a| a.eq_ignore_ascii_case(c))
                    && !p.renamed_columns.contains(&c.to_lowercase())
            })
            .collect();
        if !lost.is_empty() {
            return Err(Error::refused(
                name,
                format!(
                    "view \"{name}\" would lose its column(s) {} (it selects them with *)",
                    lost.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
                ),
                "drop the view in the same change and create it again after, as PostgreSQL requires",
            ));
        }
    }
    p.plan.schema_version = schema_version;
    let fk_tables = std::mem::take(&mut p.fk_tables);
    p.plan.fk_check_tables = fk_tables
        .into_iter()
        .filter(|t| p.any_table(t).is_some())
        .collect();
    Ok(p.plan)
}

/// The names of double-quoted identifiers of `before` that are single-quoted strings at the
/// same place in `after`.
fn identifiers_became_strings(before: &str, after: &str) -> Vec<String> {
    use crate::sql::Tok;
    let (Ok(b), Ok(a)) = (crate::sql::lex(before), crate::sql::lex(after)) else {
        return Vec::new();
    };
    if b.len() != a.len() {
        return Vec::new();
    }
    b.iter()
        .zip(&a)
        .filter(|(x, y)| x.kind == Tok::Quoted && y.kind == Tok::Str)
        .map(|(x, _)| crate::sql::unquote(x.text(before)))
        .collect()
}

/// The view a `CREATE [TEMP] VIEW [IF NOT EXISTS] v` or `DROP VIEW [IF EXISTS] v` names.
fn view_statement_name(text: &str) -> Option<String> {
    let toks = crate::sql::lex(text).ok()?;
    let kw = |i: usize, k: &str| toks.get(i).is_some_and(|t| t.is_kw(text, k));
    let mut i = if kw(0, "create") && kw(1, "view") {
        2
    } else if kw(0, "create") && (kw(1, "temp") || kw(1, "temporary")) && kw(2, "view") {
        3
    } else if kw(0, "drop") && kw(1, "view") {
        2
    } else {
        return None;
    };
    if kw(i, "if") {
        i += if kw(i + 1, "not") { 3 } else { 2 };
    }
    // `schema.name`: the name is the last identifier before `AS` (or the end).
    if toks.get(i + 1).is_some_and(|t| t.is_punct(text, ".")) {
        i += 2;
    }
    toks.get(i).and_then(|t| t.ident(text))
}

/// The `SELECT` of a `CREATE [TEMP] VIEW [IF NOT EXISTS] name AS select` (`None` when the view
/// has a column list of its own, or cannot be read).
fn view_select(sql: &str) -> Option<&str> {
    let toks = crate::sql::lex(sql).ok()?;
    let mut i = toks.iter().position(|t| t.is_kw(sql, "view"))? + 1;
    if toks.get(i).is_some_and(|t| t.is_kw(sql, "if")) {
        i += 3;
    }
    i += 1; // the name
    if toks.get(i).is_some_and(|t| t.is_punct(sql, ".")) {
        i += 2;
    }
    if !toks.get(i)?.is_kw(sql, "as") {
        return None;
    }
    Some(sql[toks.get(i + 1)?.start..].trim())
}

/// The items of the first `SELECT` list of `select` (token ranges), and the index of the token
/// after the list (its `FROM`, or the end).
fn select_items(select: &str, toks: &[crate::sql::Token]) -> (Vec<(usize, usize)>, usize) {
    let start = toks
        .iter()
        .position(|t| t.is_kw(select, "select"))
        .map_or(toks.len(), |p| p + 1);
    let (mut items, mut from, mut depth, mut item_start) = (Vec::new(), toks.len(), 0, start);
    for (i, t) in toks.iter().enumerate().skip(start) {
        if t.is_punct(select, "(") {
            depth += 1;
        } else if t.is_punct(select, ")") {
            depth -= 1;
        } else if depth == 0 && t.is_kw(select, "from") {
            from = i;
            break;
        } else if depth == 0 && t.is_punct(select, ",") {
            items.push((item_start, i));
            item_start = i + 1;
        }
    }
    items.push((item_start, from));
    (items, from)
}

/// True when the first `SELECT` list of `select` has a `*` or `t.*` item.
fn select_has_star(select: &str) -> bool {
    let Ok(toks) = crate::sql::lex(select) else {
        return true;
    };
    let (items, _) = select_items(select, &toks);
    items
        .iter()
        .any(|&(a, b)| b > a && toks[b - 1].is_punct(select, "*"))
}

/// For `SELECT * FROM t ...` (one item, one table): the byte span of the `*`, and `t`.
fn star_select(select: &str) -> Option<((usize, usize), String)> {
    let toks = crate::sql::lex(select).ok()?;
    let (items, from) = select_items(select, &toks);
    let &[(a, b)] = items.as_slice() else {
        return None;
    };
    if b != a + 1 || !toks[a].is_punct(select, "*") {
        return None;
    }
    let table = toks.get(from + 1)?.ident(select)?;
    let after = toks.get(from + 2);
    let single = after.is_none_or(|t| {
        ["where", "group", "order", "limit", "window"]
            .iter()
            .any(|k| t.is_kw(select, k))
    });
    single.then(|| ((toks[a].start, toks[a].end), table))
}

/// True for `CREATE ...` statements (which only add objects).
fn is_create(text: &str) -> bool {
    crate::sql::lex(text)
        .ok()
        .and_then(|t| t.first().map(|f| f.is_kw(text, "create")))
        .unwrap_or(false)
}

/// True for `CREATE [TEMP] TABLE` and `DROP TABLE` (not virtual tables, indexes, views or triggers).
fn is_table_ddl(text: &str) -> bool {
    let Ok(toks) = crate::sql::lex(text) else {
        return false;
    };
    let kw = |i: usize, k: &str| toks.get(i).is_some_and(|t| t.is_kw(text, k));
    (kw(0, "create") && (kw(1, "table") || (kw(1, "temp") || kw(1, "temporary")) && kw(2, "table")))
        || (kw(0, "drop") && kw(1, "table"))
}

struct Batch {
    start_name: String,
    name_now: String,
    ops: Vec<(Op, Rc<str>)>,
}

struct Planner {
    shadow: Connection,
    /// The footprint's schema, as the scratch copy has it now.
    schema: Schema,
    /// The whole database's schema before the change (parsed without pragmas).
    live: Rc<Schema>,
    /// Lowercased names of the objects copied into the scratch database.
    kept: HashSet<String>,
    batches: Vec<Batch>,
    plan: Plan,
    fk_tables: BTreeSet<String>,
    /// Lowercased old names of columns the plan renames.
    renamed_columns: BTreeSet<String>,
    /// `schema_version` of the live database when planning started.
    live_version: i64,
    /// `schema_version` of the scratch copy when planning started.
    shadow_base: i64,
    /// Names used by CREATE statements run on the scratch copy but not read back yet (a run
    /// of CREATEs is read back once, at its end).
    unread: Vec<String>,
    /// Views the script drops or creates itself (lowercase names).
    replaced_views: HashSet<String>,
    /// The table (lowercase) whose dependent triggers and views were last found to resolve,
    /// and the scratch copy's `schema_version` then: the next step on that table need not ask
    /// again (so N actions on one table probe N times, not 2N).
    dependents_resolved: Option<(String, i64)>,
}

/// The expression that gives a new column its value during a copy (over the old table).
#[derive(Debug, Clone, PartialEq)]
struct Source {
    /// The column of the old table this one descends from (`None`: added by this batch).
    origin: Option<String>,
    /// The value's SQL over the old table (`None`: the column's default applies).
    value: Option<String>,
}

impl Source {
    /// The unchanged column `name`.
    fn identity(name: &str) -> Source {
        Source {
            origin: Some(name.to_string()),
            value: Some(quote_ident(name)),
        }
    }

    /// True when the column is copied unchanged from its origin.
    fn is_identity(&self) -> bool {
        self.origin
            .as_deref()
            .is_some_and(|o| self.value.as_deref() == Some(quote_ident(o).as_str()))
    }

    /// Every column of `t`, unchanged.
    fn all(t: &Table) -> Vec<Source> {
        t.columns
            .iter()
            .map(|c| Source::identity(&c.name))
            .collect()
    }
}

impl Planner {
    /// Every table: the footprint's as changed so far, and the others as they were.
    fn all_tables(&self) -> impl Iterator<Item = &Table> {
        merged(&self.schema.tables, &self.live.tables, &self.kept)
    }

    /// Every trigger, like [`Planner::all_tables`].
    fn all_triggers(&self) -> impl Iterator<Item = &crate::schema::Trigger> {
        merged(&self.schema.triggers, &self.live.triggers, &self.kept)
    }

    /// Every view, like [`Planner::all_tables`].
    fn all_views(&self) -> impl Iterator<Item = &crate::schema::View> {
        merged(&self.schema.views, &self.live.views, &self.kept)
    }

    /// The table named `name` anywhere in the database, as changed so far.
    fn any_table(&self, name: &str) -> Option<&Table> {
        self.all_tables()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// True when any object of the database, as changed so far, has this name.
    fn name_taken(&self, name: &str) -> bool {
        self.schema.name_taken(name)
            || (self.live.name_taken(name) && !self.kept.contains(&name.to_lowercase()))
    }

    /// Views that compile now, with their SQL text and output column names.
    fn working_views(&self) -> Vec<(String, String, Vec<String>)> {
        // With double-quoted strings off, a view naming a dropped column "c" fails to compile
        // instead of silently reading the string 'c'.
        use rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML;
        let _ = self.shadow.set_db_config(SQLITE_DBCONFIG_DQS_DML, false);
        let out = self.compiled_views();
        let _ = self.shadow.set_db_config(SQLITE_DBCONFIG_DQS_DML, true);
        out
    }

    fn compiled_views(&self) -> Vec<(String, String, Vec<String>)> {
        let mut out = Vec::new();
        for v in self.schema.views.values() {
            if self
                .shadow
                .prepare(&format!("SELECT * FROM {}", quote_ident(&v.name)))
                .is_err()
            {
                continue;
            }
            let cols: Vec<String> = self
                .shadow
                .prepare("SELECT name FROM pragma_table_info(?1)")
                .and_then(|mut st| {
                    st.query_map([&v.name], |r| r.get(0))
                        .and_then(|r| r.collect())
                })
                .unwrap_or_default();
            out.push((v.name.clone(), v.sql.clone(), cols));
        }
        out
    }

    /// The live database's `schema_version` after the steps planned so far, plus one: each
    /// statement changes the version of the live database exactly as it changed the scratch
    /// copy's, so the value is known when planning (and checked when applying).
    fn next_schema_version(&self) -> Result<i64> {
        let now: i64 = self
            .shadow
            .query_row("PRAGMA schema_version", [], |r| r.get(0))
            .map_err(|e| Error::sqlite("reading schema_version", e))?;
        Ok(self.live_version + (now - self.shadow_base) + 1)
    }

    fn batch_for(&mut self, table: &str, text: &str) -> Result<usize> {
        if let Some(i) = self
            .batches
            .iter()
            .position(|b| b.name_now.eq_ignore_ascii_case(table))
        {
            return Ok(i);
        }
        let renamed_away = self
            .batches
            .iter()
            .any(|b| b.start_name.eq_ignore_ascii_case(table));
        if renamed_away {
            return Err(Error::Unknown {
                what: format!("table \"{table}\" (renamed earlier in this change)"),
                statement: text.to_string(),
            });
        }
        let Some(t) = self.schema.table(table) else {
            let what = if self
                .schema
                .views
                .keys()
                .any(|v| v.eq_ignore_ascii_case(table))
            {
                format!("table \"{table}\" (it is a view; use DROP VIEW / CREATE VIEW)")
            } else if self
                .schema
                .virtual_tables
                .keys()
                .any(|v| v.eq_ignore_ascii_case(table))
            {
                format!(
                    "ordinary table \"{table}\" (it is a virtual table, which kit does not alter)"
                )
            } else {
                format!("table \"{table}\"")
            };
            return Err(Error::Unknown {
                what,
                statement: text.to_string(),
            });
        };
        let name = t.name.clone();
        self.batches.push(Batch {
            start_name: name.clone(),
            name_now: name,
            ops: Vec::new(),
        });
        Ok(self.batches.len() - 1)
    }

    fn flush_all(&mut self) -> Result<()> {
        for b in std::mem::take(&mut self.batches) {
            self.flush(b)?;
        }
        Ok(())
    }

    /// Runs `sql` on the scratch copy, re-reading the schema afterwards.
    fn shadow_exec(&mut self, sql: &[String], table: &str, what: &str) -> Result<()> {
        for q in sql {
            let text = q.clone();
            self.shadow.execute_batch(&text).map_err(|e| {
                let msg = e.to_string();
                // SQLite names the view or trigger that an ALTER would break.
                if msg.starts_with("error in view") || msg.starts_with("error in trigger") {
                    Error::refused(
                        table,
                        format!("{what} would break another object: {msg}"),
                        "drop or change that view or trigger in the same change first, as PostgreSQL requires",
                    )
                } else {
                    Error::sqlite(format!("{what}: SQLite rejects `{text}`"), e)
                }
            })?;
        }
        self.schema = refresh_schema(&self.shadow, std::mem::take(&mut self.schema))?;
        Ok(())
    }

    fn push(&mut self, step: Step) -> Result<()> {
        let what = step.description.clone();
        let table = step.table.clone().unwrap_or_default();
        let checked = matches!(step.path, Path::Rebuild | Path::Native) && !table.is_empty();
        // Only triggers and views can stop resolving; without any there is nothing to ask.
        let has_dependents = !self.schema.triggers.is_empty() || !self.schema.views.is_empty();
        let valid_before = checked
            && has_dependents
            && (self.dependents_known_resolved(&table) || self.dependents_error(&table).is_none());
        self.shadow_exec(&step.sql, &table, &what)?;
        if valid_before {
            if let Some(msg) = self.dependents_error(&table) {
                return Err(Error::refused(
                    &table,
                    format!("{what} would break another object: {msg}"),
                    "drop or change that trigger or view in the same change first, as PostgreSQL requires",
                ));
            }
            self.dependents_resolved = self
                .shadow_version()
                .map(|v| (table.to_ascii_lowercase(), v));
        }
        self.plan.steps.push(step);
        Ok(())
    }

    /// Tables and views (lowercase) that a statement can read or write: those it names, the
    /// objects views and triggers of those read or write, and foreign-key children (actions).
    fn affected_tables(&self, text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut work: Vec<String> = idents(text).into_iter().collect();
        while let Some(n) = work.pop() {
            let is_table = self.any_table(&n).is_some();
            let view = self.all_views().find(|v| v.name.eq_ignore_ascii_case(&n));
            if (!is_table && view.is_none()) || !out.insert(n.clone()) {
                continue;
            }
            if let Some(v) = view {
                work.extend(idents(&v.sql));
            }
            for tr in self.all_triggers() {
                if tr.table.eq_ignore_ascii_case(&n) {
                    work.extend(idents(&tr.sql));
                }
            }
            for t in self.all_tables() {
                if t.foreign_keys()
                    .iter()
                    .any(|(_, r)| r.table.eq_ignore_ascii_case(&n))
                {
                    work.push(t.name.to_lowercase());
                }
            }
        }
        out
    }

    /// True when the last probe found `table`'s dependents resolving and nothing has changed
    /// the scratch copy since.
    fn dependents_known_resolved(&self, table: &str) -> bool {
        match (&self.dependents_resolved, self.shadow_version()) {
            (Some((t, v)), Some(now)) => *v == now && t.eq_ignore_ascii_case(table),
            _ => false,
        }
    }

    /// The scratch copy's `schema_version`.
    fn shadow_version(&self) -> Option<i64> {
        self.shadow
            .query_row("PRAGMA schema_version", [], |r| r.get(0))
            .ok()
    }

    /// Asks SQLite whether every trigger and view that names `table` still resolves: a rename
    /// (rolled back at once) makes it re-read them all, as it does before rewriting them.
    fn dependents_error(&self, table: &str) -> Option<String> {
        let probe = format!(
            "SAVEPOINT kit_probe; ALTER TABLE {} RENAME TO \"_kit_probe\";",
            quote_ident(table)
        );
        let result = self.shadow.execute_batch(&probe);
        let _ = self
            .shadow
            .execute_batch("ROLLBACK TO kit_probe; RELEASE kit_probe;");
        result.err().map(|e| e.to_string())
    }

    fn run_statement(
        &mut self,
        text: &str,
        affected: &BTreeSet<String>,
        at: (usize, usize),
        defer: bool,
    ) -> Result<()> {
        self.refuse_drop_of_parent(text)?;
        if let Some(v) = view_statement_name(text) {
            self.replaced_views.insert(v.to_ascii_lowercase());
        }
        // Check the foreign keys of every table the statement can change, and of their children.
        let names: Vec<String> = affected
            .iter()
            .filter_map(|n| self.any_table(n).map(|t| t.name.clone()))
            .collect();
        self.fk_tables.extend(names);
        let step = Step {
            path: Path::Statement,
            table: None,
            description: first_line(text),
            checks: vec![],
            sql: vec![(text.to_string())],
            copy_statement: None,
        };
        let denial = super::guard::confine(&mut self.shadow);
        let result = self.shadow.execute_batch(text);
        super::guard::release(&mut self.shadow);
        result.map_err(|e| {
            // Where in the script SQLite stopped: the statement's start plus SQLite's offset.
            let (l, c) = match &e {
                rusqlite::Error::SqlInputError { offset, .. } => {
                    crate::sql::line_col(text, (*offset).max(0) as usize)
                }
                _ => (1, 1),
            };
            let message = match super::guard::take(&denial) {
                Some(why) => super::guard::message(&why),
                None => e.to_string(),
            };
            Error::Syntax {
                message,
                line: at.0 + l - 1,
                column: if l == 1 { at.1 + c - 1 } else { c },
                statement: text.to_string(),
            }
        })?;
        // Tables the statement created are checked too (once read back).
        self.unread.extend(idents(text));
        if !defer {
            self.schema = refresh_schema(&self.shadow, std::mem::take(&mut self.schema))?;
            for name in std::mem::take(&mut self.unread) {
                if let Some(t) = self.schema.table(&name) {
                    self.fk_tables.insert(t.name.clone());
                }
            }
        }
        self.plan.steps.push(step);
        Ok(())
    }

    /// Refuses `DROP TABLE p` while another table's foreign key references `p` (PostgreSQL
    /// refuses it too; SQLite would silently delete or orphan the child rows).
    fn refuse_drop_of_parent(&self, text: &str) -> Result<()> {
        let Ok(toks) = crate::sql::lex(text) else {
            return Ok(());
        };
        if toks.len() < 3 || !toks[0].is_kw(text, "drop") || !toks[1].is_kw(text, "table") {
            return Ok(());
        }
        let mut i = 2;
        if toks[i].is_kw(text, "if") {
            i += 2;
        }
        let mut name = toks.get(i).and_then(|t| t.ident(text));
        if toks.get(i + 1).is_some_and(|t| t.is_punct(text, ".")) {
            name = toks.get(i + 2).and_then(|t| t.ident(text));
        }
        let Some(name) = name else { return Ok(()) };
        for other in self.all_tables() {
            if other.name.eq_ignore_ascii_case(&name) {
                continue;
            }
            if other
                .foreign_keys()
                .iter()
                .any(|(_, r)| r.table.eq_ignore_ascii_case(&name))
            {
                return Err(Error::refused(
                    &name,
                    format!("table \"{}\" has a foreign key referencing it", other.name),
                    format!("drop \"{}\" or its foreign key first", other.name),
                ));
            }
        }
        Ok(())
    }

    /// Emits the steps of one table's batch: hoisted renames, then each segment natively or
    /// as one rebuild.
    fn flush(&mut self, batch: Batch) -> Result<()> {
        let mut table = batch.start_name.clone();
        let mut segment: Vec<(Op, Rc<str>)> = Vec::new();
        for (op, text) in batch.ops {
            match &op {
                Op::RenameTable { to } => {
                    // Default constraint names and self-references follow the table name: ops
                    // that use the old name go first.
                    let uses_name = segment.iter().any(|(o, _)| {
                        matches!(o, Op::DropConstraint { .. })
                            || referenced_tables(std::slice::from_ref(o))
                                .iter()
                                .any(|r| r.eq_ignore_ascii_case(&table))
                    });
                    if uses_name {
                        self.segment(&table, std::mem::take(&mut segment))?;
                    }
                    let sql = format!(
                        "ALTER TABLE {} RENAME TO {}",
                        quote_ident(&table),
                        quote_ident(to)
                    );
                    if self.fk_tables.remove(&table) {
                        self.fk_tables.insert(to.clone());
                    }
                    self.push(native(
                        to,
                        format!("rename table \"{table}\" to \"{to}\""),
                        sql,
                    ))?;
                    table = to.clone();
                }
                Op::RenameColumn { from, to } => {
                    let clash = segment
                        .iter()
                        .any(|(o, _)| op_mentions(o, from) || op_mentions(o, to));
                    if clash {
                        self.segment(&table, std::mem::take(&mut segment))?;
                    }
                    let t = self.table(&table, &text)?;
                    if t.column(from).is_none() {
                        return Err(unknown_column(&table, from, &text));
                    }
                    if is_rowid_name(to) || is_rowid_name(from) {
                        return Err(Error::refused(
                            &table,
                            format!("SQLite cannot rename a column from or to \"{}\", a name of the rowid", if is_rowid_name(to) { to } else { from }),
                            "pick another name (or add a new column with that name and copy the values)",
                        ));
                    }
                    if t.column(to).is_some() {
                        return Err(Error::refused(
                            &table,
                            format!("column \"{to}\" already exists"),
                            "pick another name",
                        ));
                    }
                    let sql = format!(
                        "ALTER TABLE {} RENAME COLUMN {} TO {}",
                        quote_ident(&table),
                        quote_ident(from),
                        quote_ident(to)
                    );
                    self.renamed_columns.insert(from.to_lowercase());
                    let views_before = self.working_views();
                    self.push(native(
                        &table,
                        format!("rename column \"{from}\" to \"{to}\""),
                        sql,
                    ))
                    .map_err(|e| match e {
                        // SQLite's RENAME COLUMN re-parses the whole schema and can fail on
                        // definitions it otherwise accepts.
                        Error::Sqlite { source, .. } => Error::refused(
                            &table,
                            format!(
                                "SQLite cannot rename column \"{from}\" of this table: {source}"
                            ),
                            "add a new column, copy the values (UPDATE), then drop the old column",
                        ),
                        other => other,
                    })?;
                    self.keep_view_names(&views_before)?;
                }
                _ => segment.push((op, text)),
            }
        }
        self.segment(&table, segment)
    }

    /// After a native RENAME COLUMN, gives back their old column names to the views whose
    /// output columns SQLite renamed with it (`SELECT id, name FROM t` now yields `title`):
    /// each is created again with its old names as an explicit column list, as PostgreSQL
    /// keeps a view's column names, so one migration gives the same views on both.
    fn keep_view_names(&mut self, before: &[(String, String, Vec<String>)]) -> Result<()> {
        let after = self.working_views();
        for (name, _, cols) in before {
            let Some((_, sql, now)) = after.iter().find(|(n, _, _)| n == name) else {
                continue;
            };
            if now == cols || now.len() != cols.len() {
                continue;
            }
            let Some(select) = view_select(sql) else {
                continue;
            };
            let create = match star_select(select) {
                // `SELECT * FROM t`: the star is written out (the new names aliased to the old),
                // as PostgreSQL expands it when the view is made.
                Some((star, table)) => {
                    let Some(t) = self.schema.table(&table) else {
                        continue;
                    };
                    let items: Vec<String> = t
                        .columns
                        .iter()
                        .zip(cols)
                        .map(|(c, old)| {
                            if c.name == *old {
                                quote_ident(&c.name)
                            } else {
                                format!("{} AS {}", quote_ident(&c.name), quote_ident(old))
                            }
                        })
                        .collect();
                    format!(
                        "CREATE VIEW {} AS {}{}{}",
                        quote_ident(name),
                        &select[..star.0],
                        items.join(", "),
                        &select[star.1..]
                    )
                }
                // `t.*` in a join: left as SQLite has it.
                None if select_has_star(select) => continue,
                None => {
                    let list: Vec<String> = cols.iter().map(|c| quote_ident(c)).collect();
                    format!(
                        "CREATE VIEW {}({}) AS {select}",
                        quote_ident(name),
                        list.join(", ")
                    )
                }
            };
            let mut sql = vec![format!("DROP VIEW {}", quote_ident(name)), create];
            // INSTEAD OF triggers go with the view: they come back as they are now.
            sql.extend(self.schema.triggers_on(name).map(|t| t.sql.clone()));
            self.push(Step {
                path: Path::Native,
                table: None,
                description: format!(
                    "view \"{name}\" keeps its column names ({}), as on PostgreSQL",
                    cols.join(", ")
                ),
                checks: vec![],
                sql,
                copy_statement: None,
            })?;
        }
        Ok(())
    }

    fn table(&self, name: &str, text: &str) -> Result<Table> {
        self.schema
            .table(name)
            .cloned()
            .ok_or_else(|| Error::Unknown {
                what: format!("table \"{name}\""),
                statement: text.to_string(),
            })
    }

    /// Plans ops (no renames) on one table, in as few runs as keep their meaning: a change to a
    /// column that an earlier op of the run added or converted starts a new run, because one
    /// copy cannot show it the intermediate values.
    fn segment(&mut self, table: &str, mut ops: Vec<(Op, Rc<str>)>) -> Result<()> {
        while !ops.is_empty() {
            let cut = self.shared_run(table, &ops)?;
            let rest = ops.split_off(cut);
            self.segment_once(table, ops)?;
            ops = rest;
        }
        Ok(())
    }

    /// How many leading ops can share one run (at least one).
    fn shared_run(&self, table: &str, ops: &[(Op, Rc<str>)]) -> Result<usize> {
        let mut t = self.table(table, &ops[0].1)?;
        let mut sources = Source::all(&t);
        for (i, (op, text)) in ops.iter().enumerate() {
            let changed = |c: &str| t.column(c).is_some_and(|(k, _)| !sources[k].is_identity());
            let conflict = match op {
                Op::AlterType { column, using, .. } => {
                    changed(column)
                        || using.as_deref().is_some_and(|u| {
                            t.columns
                                .iter()
                                .any(|c| mentions(u, &c.name) && changed(&c.name))
                        })
                }
                Op::SetDefault { column, .. } | Op::DropDefault { column } => t
                    .column(column)
                    .is_some_and(|(k, _)| sources[k].origin.is_none()),
                _ => false,
            };
            if conflict && i > 0 {
                return Ok(i);
            }
            self.apply_op(
                &mut t,
                &mut sources,
                op,
                text,
                &mut Vec::new(),
                &mut Vec::new(),
            )?;
        }
        Ok(ops.len())
    }

    /// Plans ops that can share one run: natively if every op allows it, else one rebuild.
    fn segment_once(&mut self, table: &str, ops: Vec<(Op, Rc<str>)>) -> Result<()> {
        if ops.is_empty() {
            return Ok(());
        }
        let old = self.table(table, &ops[0].1)?;
        let mut new = old.clone();
        let mut sources = Source::all(&old);
        let mut paths = Vec::new();
        let mut checks = Vec::new();
        let mut dropped_indexes: Vec<String> = Vec::new();
        for (op, text) in &ops {
            let path = self.apply_op(
                &mut new,
                &mut sources,
                op,
                text,
                &mut checks,
                &mut dropped_indexes,
            )?;
            paths.push(path);
        }
        let desc: Vec<String> = ops.iter().map(|(o, _)| o.to_sql()).collect();
        // A new foreign key is verified against the data before COMMIT too.
        if new.foreign_keys() != old.foreign_keys() {
            self.fk_tables.insert(table.to_string());
        }
        if new.without_rowid && new.primary_key().is_empty() {
            return Err(Error::refused(
                table,
                "a WITHOUT ROWID table must have a PRIMARY KEY",
                "add the new primary key in the same ALTER TABLE (DROP CONSTRAINT ..., ADD PRIMARY KEY (...))",
            ));
        }
        if paths.contains(&Path::Rebuild) {
            return self.rebuild(&old, &new, &sources, checks, desc.join(", "));
        }
        // Native and edit ops, in order; consecutive edits share one step, and so do the
        // native ADD COLUMNs that follow a native ADD COLUMN (see `AddedColumns`).
        let mut model = old.clone();
        let mut srcs = Source::all(&model);
        let mut pending_edit: Option<Step> = None;
        let mut added: Option<AddedColumns> = None;
        let mut after_native_add = false;
        for ((op, text), path) in ops.iter().zip(&paths) {
            if is_noop(op, &model) {
                continue;
            }
            let mut op_checks = Vec::new();
            let mut drops = Vec::new();
            self.apply_op(&mut model, &mut srcs, op, text, &mut op_checks, &mut drops)?;
            let native_add = *path == Path::Native && matches!(op, Op::AddColumn { .. });
            if native_add && after_native_add && model.columns.len() <= SQLITE_MAX_COLUMN {
                let run = added.get_or_insert_with(AddedColumns::default);
                if let Op::AddColumn { column, .. } = op {
                    run.add(column, op, op_checks);
                }
                continue;
            }
            if let Some(run) = added.take() {
                self.push_added(table, run, text)?;
                model = self.table(table, text)?;
                srcs = Source::all(&model);
                self.apply_op(
                    &mut model,
                    &mut srcs,
                    op,
                    text,
                    &mut Vec::new(),
                    &mut Vec::new(),
                )?;
            }
            after_native_add = native_add;
            match path {
                Path::Edit => {
                    let step = pending_edit.get_or_insert_with(|| Step {
                        path: Path::Edit,
                        table: Some(table.to_string()),
                        description: String::new(),
                        checks: vec![],
                        sql: vec![],
                        copy_statement: None,
                    });
                    if !step.description.is_empty() {
                        step.description.push_str(", ");
                    }
                    step.description.push_str(&op.to_sql());
                    step.checks.extend(op_checks);
                    step.sql = edit_sql(&model, self.next_schema_version()?);
                }
                _ => {
                    if let Some(s) = pending_edit.take() {
                        self.push(s)?;
                    }
                    let mut sql = Vec::new();
                    for i in &drops {
                        sql.push(format!("DROP INDEX {}", quote_ident(i)));
                    }
                    sql.push(format!(
                        "ALTER TABLE {} {}",
                        quote_ident(table),
                        native_action(op)
                    ));
                    self.push(Step {
                        path: Path::Native,
                        table: Some(table.to_string()),
                        description: op.to_sql(),
                        checks: op_checks,
                        sql,
                        copy_statement: None,
                    })?;
                    // Continue from what SQLite stored.
                    model = self.table(table, text)?;
                    srcs = Source::all(&model);
                }
            }
        }
        if let Some(run) = added.take() {
            self.push_added(table, run, &ops[0].1)?;
        }
        if let Some(s) = pending_edit.take() {
            self.push(s)?;
        }
        Ok(())
    }

    /// Pushes a run of ADD COLUMNs as one edit of the stored definition, then, where SQLite's
    /// own ADD COLUMN would verify the existing rows, a step whose check does the same.
    fn push_added(&mut self, table: &str, run: AddedColumns, text: &str) -> Result<()> {
        let now = self.table(table, text)?;
        let Some(sql) = run.stored_sql(&now) else {
            return Err(Error::Database {
                path: format!("table \"{table}\""),
                message: "kit cannot find the end of its column list; please report this table definition".into(),
            });
        };
        let verify = run.verify(&now);
        self.push(Step {
            path: Path::Edit,
            table: Some(table.to_string()),
            description: run.description.join(", "),
            checks: run.checks,
            sql: edit_sql_text(&now.name, &sql, self.next_schema_version()?),
            copy_statement: None,
        })?;
        if let Some(check) = verify {
            self.push(Step {
                path: Path::Edit,
                table: Some(table.to_string()),
                description:
                    "verify the existing rows against the new columns, as SQLite's ADD COLUMN does"
                        .into(),
                checks: vec![check],
                sql: vec![],
                copy_statement: None,
            })?;
        }
        Ok(())
    }
}

/// SQLite's default limit on the columns of a table (`SQLITE_MAX_COLUMN`). A run of ADD
/// COLUMNs that would pass it is left to SQLite's own statements, so that SQLite says so.
const SQLITE_MAX_COLUMN: usize = 2000;

/// Native ADD COLUMNs after the first of a run, written as one edit of the stored definition.
///
/// SQLite's `ADD COLUMN` edits the stored `CREATE TABLE` (it inserts `, <definition>` before
/// the `)` that closes the column list) and then re-reads the whole schema, which re-parses the
/// table: N of them cost O(N^2). The first one of a run runs natively (it also raises the file
/// format to 3 where it is older, as non-NULL defaults of added columns need); the rest become
/// one `UPDATE sqlite_schema` that makes exactly the text the native statements would have
/// made. What SQLite checks when it adds a column, kit's `apply_op` has decided already (a
/// column that SQLite would refuse goes to a rebuild, with the checks on the existing rows);
/// the rows SQLite verifies after the edit (`pragma_quick_check` when the table has CHECKs,
/// is STRICT or gains a NOT NULL generated column) are verified by [`AddedColumns::verify`].
#[derive(Default)]
struct AddedColumns {
    /// Each column's definition as SQLite stores it.
    definitions: Vec<String>,
    /// Each op's SQL, for the step's description.
    description: Vec<String>,
    /// The ops' checks (run before the edit, as before the native statements).
    checks: Vec<Check>,
    /// Whether a new column is NOT NULL and generated.
    not_null_generated: bool,
    /// Whether a new column has a CHECK.
    has_check: bool,
}

impl AddedColumns {
    fn add(&mut self, column: &Column, op: &Op, checks: Vec<Check>) {
        let def = column.render();
        let def = def.trim_end_matches(|c: char| c == ';' || c.is_ascii_whitespace());
        self.definitions.push(def.to_string());
        self.description.push(op.to_sql());
        self.checks.extend(checks);
        self.not_null_generated |= column.not_null() && column.generated().is_some();
        self.has_check |= column.has(|k| matches!(k, ColumnConstraintKind::Check(_)));
    }

    /// The stored text after the run, from the table as SQLite stores it now.
    fn stored_sql(&self, now: &Table) -> Option<String> {
        let sql = &now.stored_sql;
        let close = column_list_end(sql, now.columns.len())?;
        let mut out = String::with_capacity(
            sql.len() + self.definitions.iter().map(|d| d.len() + 2).sum::<usize>(),
        );
        out.push_str(&sql[..close]);
        for d in &self.definitions {
            out.push_str(", ");
            out.push_str(d);
        }
        out.push_str(&sql[close..]);
        Some(out)
    }

    /// The check SQLite's ADD COLUMN runs on the existing rows, when it runs one.
    fn verify(&self, now: &Table) -> Option<Check> {
        let has_check = now
            .columns
            .iter()
            .any(|c| c.has(|k| matches!(k, ColumnConstraintKind::Check(_))))
            || now
                .constraints
                .iter()
                .any(|k| matches!(k.kind, TableConstraintKind::Check(_)))
            || self.has_check;
        if !(has_check || self.not_null_generated || now.strict) {
            return None;
        }
        let from = format!(
            "pragma_quick_check({}, 'main') WHERE quick_check GLOB 'CHECK*' OR quick_check GLOB 'NULL*' OR quick_check GLOB 'non-* value in*'",
            quote_str(&now.name)
        );
        Some(Check {
            table: now.name.clone(),
            reason: "a CHECK, NOT NULL or STRICT type of the table fails on existing rows with the new columns".into(),
            hint: "give the new columns defaults that the table's constraints accept, or add them to an empty table".into(),
            count_sql: format!("SELECT count(*) FROM {from}"),
            examples_sql: format!("SELECT quick_check FROM {from} LIMIT 5"),
        })
    }
}

/// Where SQLite's ADD COLUMN inserts `, <definition>` into a stored `CREATE TABLE` of
/// `columns` columns (its `addColOffset`): at the comma that starts the table constraints, or
/// at the `)` that closes the list when there are none.
fn column_list_end(sql: &str, columns: usize) -> Option<usize> {
    let toks = crate::sql::lex(sql).ok()?;
    let (mut depth, mut commas) = (0usize, 0usize);
    for t in &toks {
        if t.is_punct(sql, "(") {
            depth += 1;
        } else if t.is_punct(sql, ")") {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(t.start);
            }
        } else if depth == 1 && t.is_punct(sql, ",") {
            commas += 1;
            if commas == columns {
                return Some(t.start);
            }
        }
    }
    None
}

fn op_mentions(op: &Op, name: &str) -> bool {
    let eq = |c: &str| c.eq_ignore_ascii_case(name);
    match op {
        Op::AddColumn { column, .. } => eq(&column.name) || mentions(&column.render(), name),
        Op::DropColumn { column, .. }
        | Op::SetNotNull { column }
        | Op::DropNotNull { column }
        | Op::DropDefault { column } => eq(column),
        Op::AlterType { column, using, .. } => {
            eq(column) || using.as_deref().is_some_and(|u| mentions(u, name))
        }
        Op::SetDefault { column, expr } => eq(column) || mentions(expr, name),
        Op::AddConstraint { constraint } => mentions(&constraint.text, name),
        Op::DropConstraint { .. } => true,
        Op::RenameColumn { from, to } => eq(from) || eq(to),
        Op::RenameTable { .. } | Op::SetStrict { .. } | Op::SetWithoutRowid { .. } => false,
    }
}

/// True when an `IF [NOT] EXISTS` op has nothing to do on `t`.
fn is_noop(op: &Op, t: &Table) -> bool {
    match op {
        Op::AddColumn {
            column,
            if_not_exists: true,
        } => t.column(&column.name).is_some(),
        Op::DropColumn {
            column,
            if_exists: true,
        } => t.column(column).is_none(),
        Op::DropConstraint {
            name,
            if_exists: true,
        } => !t
            .named_constraints()
            .iter()
            .any(|n| n.name.eq_ignore_ascii_case(name)),
        Op::SetStrict { on } => t.strict == *on,
        Op::SetWithoutRowid { on } => t.without_rowid == *on,
        _ => false,
    }
}

/// The action of a native `ALTER TABLE` in SQLite's dialect (which has no `IF [NOT] EXISTS`).
fn native_action(op: &Op) -> String {
    match op {
        Op::AddColumn { column, .. } => format!("ADD COLUMN {}", column.render()),
        Op::DropColumn { column, .. } => format!("DROP COLUMN {}", quote_ident(column)),
        other => other.to_sql(),
    }
}

fn unknown_column(table: &str, col: &str, text: &str) -> Error {
    Error::Unknown {
        what: format!("column \"{col}\" of table \"{table}\""),
        statement: text.to_string(),
    }
}

fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or("");
    if l.len() < s.len() {
        format!("{l} ...")
    } else {
        l.to_string()
    }
}
