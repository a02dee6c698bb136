//! Operations -> steps. Each table's consecutive changes are batched; a batch runs natively when
//! SQLite can do every change in place (RENAME, ADD/DROP COLUMN where allowed, constraint-only
//! edits of the stored definition) and as exactly one rebuild otherwise.
//!
//! The planner works on an in-memory copy of the schema (no rows): every step it emits is
//! executed there first, so the plan is validated by SQLite itself before it touches the real
//! database, and each step's starting schema is read back from SQLite rather than simulated.

use crate::error::{Error, Refusal, Result};
use crate::ops::Op;
use crate::schema::{
    parse_rows, read_schema, refresh_schema, schema_rows, shadow_from_rows, Column,
    ColumnConstraintKind, ConstraintPlace, Schema, SchemaRow, Table, TableConstraint,
    TableConstraintKind,
};
use crate::sql::{mentions, quote_ident, quote_str};
use crate::statements::Statement;
use indexmap::IndexMap;
use rusqlite::Connection;
use std::collections::{BTreeSet, HashMap, HashSet};

/// How a step changes its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// A native `ALTER TABLE` (or `DROP INDEX`): no copy.
    Native,
    /// An edit of the stored `CREATE TABLE` text (constraint-only change): no copy.
    Edit,
    /// Create new, copy rows, drop old, rename: one copy.
    Rebuild,
    /// A user statement run as written.
    Statement,
}

impl Path {
    /// A short word for summaries.
    pub fn label(self) -> &'static str {
        match self {
            Path::Native => "native",
            Path::Edit => "edit of stored definition (no copy)",
            Path::Rebuild => "rebuild (one copy)",
            Path::Statement => "statement",
        }
    }
}

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
            out.push(format!("-- {t}{} -- {}", s.path.label(), s.description));
            for c in &s.checks {
                out.push(format!(
                    "-- check ({}): {} must be 0",
                    c.reason, c.count_sql
                ));
            }
            for q in &s.sql {
                out.push(format!("{};", q));
            }
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
    /// before any user statement, on tables no earlier step changed. `--dry-run` uses this to
    /// report refusals without writing.
    pub fn preview_checks(&self, conn: &Connection) -> Result<()> {
        let mut touched: Vec<String> = Vec::new();
        for s in &self.steps {
            if s.path == Path::Statement {
                return Ok(());
            }
            for c in &s.checks {
                if !touched.iter().any(|t| t.eq_ignore_ascii_case(&c.table)) {
                    c.run(conn)?;
                }
            }
            touched.extend(s.table.clone());
        }
        Ok(())
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

/// Plans a parsed script against the database on `conn` (read only; nothing is written).
pub fn plan(conn: &Connection, statements: &[Statement]) -> Result<Plan> {
    let schema_version: i64 = conn
        .query_row("PRAGMA schema_version", [], |r| r.get(0))
        .map_err(|e| Error::sqlite("reading schema_version", e))?;
    // The scratch copy holds only the change's footprint: the tables it names, what their
    // triggers and views touch, and what those read. The rest of the schema is parsed (for
    // foreign keys, triggers and names) but not copied, so planning stays fast on big schemas.
    let rows = schema_rows(conn)?;
    let live = parse_rows(&rows)?;
    let kept = footprint(&rows, statements);
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
    };
    p.shadow_base = p
        .shadow
        .query_row("PRAGMA schema_version", [], |r| r.get(0))
        .map_err(|e| Error::sqlite("reading schema_version", e))?;
    let views_before = p.working_views();
    for st in statements {
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
                let idx = p.batch_for(&alter.table, text)?;
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
                    p.batches[idx].ops.push((op.clone(), text.clone()));
                }
            }
            Statement::Other {
                text,
                ddl,
                line,
                column,
            } => {
                let affected = p.affected_tables(text);
                if *ddl {
                    p.flush_all()?;
                } else {
                    // A statement that reads or writes a table (directly, through a view, a
                    // trigger or a foreign-key action) separates that table's batches.
                    let hit: Vec<usize> = (0..p.batches.len())
                        .filter(|&i| {
                            let b = &p.batches[i];
                            affected.contains(&b.name_now.to_lowercase())
                                || affected.contains(&b.start_name.to_lowercase())
                        })
                        .collect();
                    for i in hit.into_iter().rev() {
                        let b = p.batches.remove(i);
                        p.flush(b)?;
                    }
                }
                p.run_statement(text, &affected, (*line, *column))?;
            }
        }
    }
    p.flush_all()?;
    // Views that worked before must still work, and keep their columns (a `SELECT *` view
    // would silently lose a dropped column; PostgreSQL refuses the drop).
    let views_after = p.working_views();
    for (name, sql, cols) in &views_before {
        let Some(view) = p.schema.views.get(name) else {
            continue;
        };
        if &view.sql != sql {
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

struct Batch {
    start_name: String,
    name_now: String,
    ops: Vec<(Op, String)>,
}

struct Planner {
    shadow: Connection,
    /// The footprint's schema, as the scratch copy has it now.
    schema: Schema,
    /// The whole database's schema before the change (parsed without pragmas).
    live: Schema,
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
        self.schema = refresh_schema(&self.shadow, &self.schema)?;
        Ok(())
    }

    fn push(&mut self, step: Step) -> Result<()> {
        let what = step.description.clone();
        let table = step.table.clone().unwrap_or_default();
        let checked = matches!(step.path, Path::Rebuild | Path::Native) && !table.is_empty();
        let valid_before = checked && self.dependents_error(&table).is_none();
        self.shadow_exec(&step.sql, &table, &what)?;
        if valid_before {
            if let Some(msg) = self.dependents_error(&table) {
                return Err(Error::refused(
                    &table,
                    format!("{what} would break another object: {msg}"),
                    "drop or change that trigger or view in the same change first, as PostgreSQL requires",
                ));
            }
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
    ) -> Result<()> {
        self.refuse_drop_of_parent(text)?;
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
        self.shadow.execute_batch(text).map_err(|e| {
            // Where in the script SQLite stopped: the statement's start plus SQLite's offset.
            let (l, c) = match &e {
                rusqlite::Error::SqlInputError { offset, .. } => {
                    crate::sql::line_col(text, (*offset).max(0) as usize)
                }
                _ => (1, 1),
            };
            Error::Syntax {
                message: e.to_string(),
                line: at.0 + l - 1,
                column: if l == 1 { at.1 + c - 1 } else { c },
                statement: text.to_string(),
            }
        })?;
        self.schema = refresh_schema(&self.shadow, &self.schema)?;
        // Tables the statement created are checked too.
        for name in idents(text) {
            if let Some(t) = self.schema.table(&name) {
                self.fk_tables.insert(t.name.clone());
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
        let mut segment: Vec<(Op, String)> = Vec::new();
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
                }
                _ => segment.push((op, text)),
            }
        }
        self.segment(&table, segment)
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
    fn segment(&mut self, table: &str, mut ops: Vec<(Op, String)>) -> Result<()> {
        while !ops.is_empty() {
            let cut = self.shared_run(table, &ops)?;
            let rest = ops.split_off(cut);
            self.segment_once(table, ops)?;
            ops = rest;
        }
        Ok(())
    }

    /// How many leading ops can share one run (at least one).
    fn shared_run(&self, table: &str, ops: &[(Op, String)]) -> Result<usize> {
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
    fn segment_once(&mut self, table: &str, ops: Vec<(Op, String)>) -> Result<()> {
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
        // Native and edit ops, in order; consecutive edits share one step.
        let mut model = old.clone();
        let mut srcs = Source::all(&model);
        let mut pending_edit: Option<Step> = None;
        for ((op, text), path) in ops.iter().zip(&paths) {
            if is_noop(op, &model) {
                continue;
            }
            let mut op_checks = Vec::new();
            let mut drops = Vec::new();
            self.apply_op(&mut model, &mut srcs, op, text, &mut op_checks, &mut drops)?;
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
        if let Some(s) = pending_edit.take() {
            self.push(s)?;
        }
        Ok(())
    }

    /// Applies one op to the model, returning the cheapest path SQLite allows for it and
    /// collecting its preflight checks.
    fn apply_op(
        &self,
        t: &mut Table,
        sources: &mut Vec<Source>,
        op: &Op,
        text: &str,
        checks: &mut Vec<Check>,
        dropped_indexes: &mut Vec<String>,
    ) -> Result<Path> {
        let tn = t.name.clone();
        let col_idx = |t: &Table, c: &str| {
            t.column(c)
                .map(|(i, _)| i)
                .ok_or_else(|| unknown_column(&tn, c, text))
        };
        match op {
            Op::AddColumn {
                column,
                if_not_exists,
            } => {
                if t.column(&column.name).is_some() {
                    if *if_not_exists {
                        return Ok(Path::Native);
                    }
                    return Err(Error::refused(
                        &tn,
                        format!("column \"{}\" already exists", column.name),
                        "pick another name, or write ADD COLUMN IF NOT EXISTS",
                    ));
                }
                let mut c = column.clone();
                c.leading = t.new_item_leading();
                let not_null = c.not_null();
                let default = c.default().map(str::to_string);
                let generated = c.generated();
                if not_null
                    && generated.is_none()
                    && default
                        .as_deref()
                        .is_none_or(|d| d.eq_ignore_ascii_case("null"))
                {
                    checks.push(Check {
                        table: tn.clone(),
                        reason: format!("ADD COLUMN \"{}\" NOT NULL without a default on a table that has rows", c.name),
                        hint: "give the column a DEFAULT, or add it nullable, fill it, then SET NOT NULL".into(),
                        count_sql: format!("SELECT count(*) FROM {}", quote_ident(&tn)),
                        examples_sql: format!("SELECT {} FROM {} LIMIT 5", key_expr(t), quote_ident(&tn)),
                    });
                }
                let has = |f: fn(&ColumnConstraintKind) -> bool| c.has(f);
                let pk_or_unique = has(|k| {
                    matches!(
                        k,
                        ColumnConstraintKind::PrimaryKey { .. } | ColumnConstraintKind::Unique
                    )
                });
                let non_constant_default = default.as_deref().is_some_and(|d| {
                    d.starts_with('(')
                        || ["current_time", "current_date", "current_timestamp"]
                            .iter()
                            .any(|k| d.eq_ignore_ascii_case(k))
                });
                let fk_with_default = has(|k| matches!(k, ColumnConstraintKind::References(_)))
                    && default
                        .as_deref()
                        .is_some_and(|d| !d.eq_ignore_ascii_case("null"));
                let stored = generated.is_some_and(|(_, s)| s);
                let not_null_no_default = not_null
                    && default
                        .as_deref()
                        .is_none_or(|d| d.eq_ignore_ascii_case("null"));
                if pk_or_unique
                    && !t.primary_key().is_empty()
                    && has(|k| matches!(k, ColumnConstraintKind::PrimaryKey { .. }))
                {
                    return Err(Error::refused(
                        &tn,
                        "table already has a primary key",
                        "drop the existing primary key constraint first",
                    ));
                }
                let native_ok = !pk_or_unique
                    && !shadows_rowid(t)
                    && !is_rowid_name(&c.name)
                    && !non_constant_default
                    && !fk_with_default
                    && !stored
                    && !not_null_no_default;
                // Existing rows get the default: its CHECKs must hold for it on every row.
                let value = match (&default, generated) {
                    (_, Some((expr, _))) => Some(format!("({expr})")),
                    (Some(d), None) => Some(format!("({d})")),
                    (None, None) => None,
                };
                for k in &c.constraints {
                    if let (ColumnConstraintKind::Check(expr), Some(v)) = (&k.kind, &value) {
                        if let Some(cond) = crate::sql::substitute(expr, &c.name, v) {
                            checks.push(rows_check(
                                t,
                                &format!("new column \"{}\" gets {v} on existing rows, which breaks CHECK ({expr})", c.name),
                                &format!("NOT ({cond})"),
                                "choose a DEFAULT that satisfies the CHECK, or add the column without the CHECK, fill it, then ADD CONSTRAINT",
                            ));
                        }
                    }
                    if let ColumnConstraintKind::References(r) = &k.kind {
                        let (parent, pcols) = self.fk_parent(t, r, text)?;
                        self.require_parent_key(&tn, &parent, &pcols)?;
                    }
                }
                t.columns.push(c);
                sources.push(Source {
                    origin: None,
                    value: None,
                });
                Ok(if native_ok {
                    Path::Native
                } else {
                    Path::Rebuild
                })
            }
            Op::DropColumn { column, if_exists } => {
                let Some((i, _)) = t.column(column) else {
                    if *if_exists {
                        return Ok(Path::Native);
                    }
                    return Err(unknown_column(&tn, column, text));
                };
                let cname = t.columns[i].name.clone();
                if t.columns.len() == 1 {
                    return Err(Error::refused(
                        &tn,
                        format!("cannot drop \"{cname}\", the only column"),
                        "drop the table instead",
                    ));
                }
                self.refuse_if_referenced(t, &cname)?;
                let mut native_ok = !shadows_rowid(t);
                // Constraints that involve the column go with it, as in PostgreSQL.
                let before = t.constraints.len();
                t.constraints
                    .retain(|k| !constraint_mentions(&k.kind, &cname));
                if t.constraints.len() != before {
                    native_ok = false;
                }
                let col = &t.columns[i];
                if col.has(|k| {
                    matches!(
                        k,
                        ColumnConstraintKind::PrimaryKey { .. }
                            | ColumnConstraintKind::Unique
                            | ColumnConstraintKind::References(_)
                    )
                }) {
                    native_ok = false;
                }
                for (j, other) in t.columns.iter_mut().enumerate() {
                    if j == i {
                        continue;
                    }
                    if let Some((expr, _)) = other.generated() {
                        if mentions(expr, &cname) {
                            return Err(Error::refused(
                                &tn,
                                format!("generated column \"{}\" uses \"{cname}\"", other.name),
                                "drop or change the generated column first",
                            ));
                        }
                    }
                    let n = other.constraints.len();
                    other.constraints.retain(|k| !matches!(&k.kind, ColumnConstraintKind::Check(e) if mentions(e, &cname)));
                    if other.constraints.len() != n {
                        native_ok = false;
                    }
                }
                for idx in self.schema.indexes_on(&tn) {
                    let uses = idx
                        .columns
                        .iter()
                        .any(|c| c.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(&cname)))
                        || idx.sql.as_deref().is_some_and(|s| {
                            s.find('(').is_some_and(|p| mentions(&s[p..], &cname))
                        });
                    if uses {
                        if idx.sql.is_none() {
                            native_ok = false; // a UNIQUE/PK autoindex: the constraint goes in a rebuild
                        } else if !dropped_indexes.contains(&idx.name) {
                            dropped_indexes.push(idx.name.clone());
                        }
                    }
                }
                t.columns.remove(i);
                sources.remove(i);
                Ok(if native_ok {
                    Path::Native
                } else {
                    Path::Rebuild
                })
            }
            Op::AlterType {
                column,
                type_text,
                using,
            } => {
                let i = col_idx(t, column)?;
                let c = &mut t.columns[i];
                if c.generated().is_some() {
                    return Err(Error::refused(
                        &tn,
                        format!("\"{}\" is a generated column", c.name),
                        "drop and re-add the generated column instead",
                    ));
                }
                if c.has(|k| {
                    matches!(
                        k,
                        ColumnConstraintKind::PrimaryKey {
                            autoincrement: true,
                            ..
                        }
                    )
                }) && !type_text.eq_ignore_ascii_case("integer")
                {
                    return Err(Error::refused(
                        &tn,
                        format!("\"{}\" is an AUTOINCREMENT key, which SQLite allows only as INTEGER PRIMARY KEY", c.name),
                        "keep the type INTEGER",
                    ));
                }
                let was_alias = t
                    .rowid_alias()
                    .is_some_and(|a| a.name.eq_ignore_ascii_case(column));
                t.columns[i].type_text = type_text.clone();
                if let Some(u) = using {
                    sources[i].value = Some(format!("({u})"));
                }
                let becomes_alias = t
                    .rowid_alias()
                    .is_some_and(|a| a.name.eq_ignore_ascii_case(column));
                if becomes_alias && !was_alias {
                    if let Some(src) = &sources[i].value {
                        checks.push(rows_check(
                            t,
                            &format!("column \"{column}\" becomes the rowid (INTEGER PRIMARY KEY), which holds only integers"),
                            &format!("NOT kit_strict_ok({src}, 'INTEGER')"),
                            "convert or remove the rows whose key is not an integer first",
                        ));
                    }
                }
                if t.strict {
                    if let Some(src) = &sources[i].value {
                        checks.push(Check {
                            table: tn.clone(),
                            reason: format!("column \"{}\" of a STRICT table cannot hold some values as {type_text}", t.columns[i].name),
                            hint: "convert the values first (UPDATE ... SET c = CAST(c AS ...)) or add USING".into(),
                            count_sql: format!("SELECT count(*) FROM {} WHERE NOT kit_strict_ok({src}, {})", quote_ident(&tn), quote_str(type_text)),
                            examples_sql: format!(
                                "SELECT {} FROM {} WHERE NOT kit_strict_ok({src}, {}) LIMIT 5",
                                key_expr(t),
                                quote_ident(&tn),
                                quote_str(type_text)
                            ),
                        });
                    }
                }
                Ok(Path::Rebuild)
            }
            Op::SetNotNull { column } => {
                let i = col_idx(t, column)?;
                let c = &mut t.columns[i];
                if c.not_null() {
                    return Ok(Path::Edit);
                }
                c.constraints
                    .retain(|k| k.kind != ColumnConstraintKind::Null);
                c.push_constraint(ColumnConstraintKind::NotNull, "NOT NULL");
                let name = c.name.clone();
                if let Some(src) = &sources[i].value {
                    checks.push(rows_check(
                        t,
                        &format!("column \"{name}\" has NULLs, so it cannot be SET NOT NULL"),
                        &format!("{src} IS NULL"),
                        "UPDATE the NULLs to a value first, or set a DEFAULT and fill them",
                    ));
                }
                Ok(Path::Edit)
            }
            Op::DropNotNull { column } => {
                let i = col_idx(t, column)?;
                let name = t.columns[i].name.clone();
                if t.primary_key()
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&name))
                {
                    return Err(Error::refused(
                        &tn,
                        format!(
                            "column \"{name}\" is in the primary key, which is always NOT NULL"
                        ),
                        "drop the primary key constraint first (as PostgreSQL requires)",
                    ));
                }
                let c = &mut t.columns[i];
                c.constraints
                    .retain(|k| k.kind != ColumnConstraintKind::NotNull);
                Ok(Path::Edit)
            }
            Op::SetDefault { column, expr } => {
                let i = col_idx(t, column)?;
                let c = &mut t.columns[i];
                let text = if expr.starts_with('(') || is_literal(expr) {
                    expr.clone()
                } else {
                    format!("({expr})")
                };
                if let Some(k) = c
                    .constraints
                    .iter_mut()
                    .find(|k| matches!(k.kind, ColumnConstraintKind::Default(_)))
                {
                    k.kind = ColumnConstraintKind::Default(text.clone());
                    k.text = format!("DEFAULT {text}");
                    k.name = None;
                } else {
                    c.push_constraint(
                        ColumnConstraintKind::Default(text.clone()),
                        format!("DEFAULT {text}"),
                    );
                }
                // Rows stored before an ADD COLUMN read a missing value from the stored default,
                // so editing the default in place could change them: rebuild.
                Ok(Path::Rebuild)
            }
            Op::DropDefault { column } => {
                let i = col_idx(t, column)?;
                let c = &mut t.columns[i];
                c.constraints
                    .retain(|k| !matches!(k.kind, ColumnConstraintKind::Default(_)));
                Ok(Path::Rebuild)
            }
            Op::AddConstraint { constraint } => {
                self.add_constraint(t, sources, constraint, text, checks)
            }
            Op::DropConstraint { name, if_exists } => {
                let found = t
                    .named_constraints()
                    .into_iter()
                    .find(|n| n.name.eq_ignore_ascii_case(name));
                let Some(found) = found else {
                    if *if_exists {
                        return Ok(Path::Edit);
                    }
                    let known: Vec<String> =
                        t.named_constraints().into_iter().map(|n| n.name).collect();
                    return Err(Error::Unknown {
                        what: format!(
                            "constraint \"{name}\" on table \"{tn}\" (it has: {})",
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                        statement: text.to_string(),
                    });
                };
                let old_pk = t.primary_key();
                let path = match found.place {
                    ConstraintPlace::Column { column, index } => {
                        let c = &mut t.columns[column];
                        let k = c.constraints.remove(index);
                        constraint_path(&KindRef::Col(&k.kind))
                    }
                    ConstraintPlace::Table { index } => {
                        let k = t.constraints.remove(index);
                        constraint_path(&KindRef::Tab(&k.kind))
                    }
                };
                if path == Path::Rebuild {
                    self.refuse_if_key_referenced(t, &old_pk, name)?;
                }
                Ok(path)
            }
            Op::RenameColumn { .. } | Op::RenameTable { .. } => unreachable_rename(),
        }
    }

    fn add_constraint(
        &self,
        t: &mut Table,
        sources: &[Source],
        k: &TableConstraint,
        text: &str,
        checks: &mut Vec<Check>,
    ) -> Result<Path> {
        let tn = t.name.clone();
        let mut k = k.clone();
        k.leading = t.new_item_leading();
        if let Some(n) = &k.name {
            if t.named_constraints()
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(n))
            {
                return Err(Error::refused(
                    &tn,
                    format!("constraint \"{n}\" already exists"),
                    "pick another name",
                ));
            }
        }
        let src_of = |c: &str| -> Result<Option<String>> {
            let (i, _) = t.column(c).ok_or_else(|| unknown_column(&tn, c, text))?;
            Ok(sources[i].value.clone())
        };
        let path = match &k.kind {
            TableConstraintKind::PrimaryKey(cols) | TableConstraintKind::Unique(cols) => {
                let pk = matches!(k.kind, TableConstraintKind::PrimaryKey(_));
                if pk && !t.primary_key().is_empty() {
                    return Err(Error::refused(
                        &tn,
                        "table already has a primary key",
                        "drop the existing primary key constraint first",
                    ));
                }
                let srcs: Option<Vec<String>> = cols
                    .iter()
                    .map(|c| src_of(c))
                    .collect::<Result<Vec<_>>>()?
                    .into_iter()
                    .collect();
                if let Some(srcs) = srcs {
                    let list = srcs.join(", ");
                    let not_null: Vec<String> =
                        srcs.iter().map(|s| format!("{s} IS NOT NULL")).collect();
                    let what = if pk { "PRIMARY KEY" } else { "UNIQUE" };
                    let lhs = if srcs.len() == 1 {
                        list.clone()
                    } else {
                        format!("({list})")
                    };
                    checks.push(rows_check_showing(
                        t,
                        &format!("{what} ({}) over duplicate values: rows share a value", cols.join(", ")),
                        &format!(
                            "{lhs} IN (SELECT {list} FROM {} WHERE {} GROUP BY {list} HAVING count(*) > 1) ORDER BY {list}",
                            quote_ident(&tn),
                            not_null.join(" AND ")
                        ),
                        "remove or change the duplicate rows first",
                        &srcs,
                    ));
                    if pk {
                        let any_null: Vec<String> =
                            srcs.iter().map(|s| format!("{s} IS NULL")).collect();
                        checks.push(rows_check(
                            t,
                            "PRIMARY KEY over NULL values",
                            &any_null.join(" OR "),
                            "fill the NULLs first",
                        ));
                    }
                }
                Path::Rebuild
            }
            TableConstraintKind::Check(expr) => {
                let plain = t
                    .columns
                    .iter()
                    .zip(sources)
                    .all(|(c, s)| !mentions(expr, &c.name) || s.is_identity());
                if plain {
                    let label = k.name.clone().unwrap_or_else(|| format!("CHECK ({expr})"));
                    checks.push(rows_check(
                        t,
                        &format!("{label} is violated by existing rows"),
                        &format!("NOT ({expr})"),
                        "fix the rows first, or change the CHECK",
                    ));
                }
                Path::Edit
            }
            TableConstraintKind::ForeignKey { columns, refs } => {
                let (parent, pcols) = self.fk_parent(t, refs, text)?;
                if pcols.len() != columns.len() {
                    return Err(Error::refused(
                        &tn,
                        format!(
                            "foreign key has {} columns but the parent key of \"{}\" has {}",
                            columns.len(),
                            parent.name,
                            pcols.len()
                        ),
                        "name the parent columns explicitly",
                    ));
                }
                for c in &pcols {
                    if parent.column(c).is_none() {
                        return Err(unknown_column(&parent.name, c, text));
                    }
                }
                self.require_parent_key(&tn, &parent, &pcols)?;
                // Checked here for columns copied unchanged; the check before COMMIT covers the rest.
                let identity =
                    |c: &String| t.column(c).is_some_and(|(i, _)| sources[i].is_identity());
                let plain = columns.iter().all(identity)
                    && (!refs.table.eq_ignore_ascii_case(&tn) || pcols.iter().all(identity));
                let srcs: Option<Vec<String>> = columns
                    .iter()
                    .map(|c| src_of(c))
                    .collect::<Result<Vec<_>>>()?
                    .into_iter()
                    .collect();
                if let (true, Some(srcs)) = (plain, srcs) {
                    let nn: Vec<String> = srcs.iter().map(|s| format!("{s} IS NOT NULL")).collect();
                    let eq: Vec<String> = srcs
                        .iter()
                        .zip(&pcols)
                        .map(|(s, p)| {
                            format!("_kit_p.{} = {}.{s}", quote_ident(p), quote_ident(&tn))
                        })
                        .collect();
                    checks.push(rows_check(
                        t,
                        &format!(
                            "FOREIGN KEY ({}) REFERENCES \"{}\" has rows without a parent",
                            columns.join(", "),
                            parent.name
                        ),
                        &format!(
                            "{} AND NOT EXISTS (SELECT 1 FROM {} AS _kit_p WHERE {})",
                            nn.join(" AND "),
                            quote_ident(&parent.name),
                            eq.join(" AND ")
                        ),
                        "delete the orphan rows or insert their parents first",
                    ));
                }
                Path::Edit
            }
        };
        t.constraints.push(k);
        Ok(path)
    }

    /// The parent table of a foreign key of `t` (`t` itself, as changed so far, for a
    /// self-reference) and the parent columns it references.
    fn fk_parent(
        &self,
        t: &Table,
        r: &crate::schema::ForeignKeyRef,
        text: &str,
    ) -> Result<(Table, Vec<String>)> {
        let parent = if r.table.eq_ignore_ascii_case(&t.name) {
            Some(t.clone())
        } else {
            self.any_table(&r.table).cloned()
        };
        let Some(parent) = parent else {
            return Err(Error::Unknown {
                what: format!("table \"{}\" (named by REFERENCES)", r.table),
                statement: text.to_string(),
            });
        };
        let cols = if r.columns.is_empty() {
            parent.primary_key()
        } else {
            r.columns.clone()
        };
        Ok((parent, cols))
    }

    /// Refuses a foreign key whose parent columns are not its primary key or UNIQUE (SQLite
    /// would report "foreign key mismatch" on every later write; PostgreSQL refuses it).
    fn require_parent_key(&self, child: &str, parent: &Table, cols: &[String]) -> Result<()> {
        let same = |k: &[String]| {
            k.len() == cols.len()
                && cols
                    .iter()
                    .all(|c| k.iter().any(|x| x.eq_ignore_ascii_case(c)))
        };
        let keys = self.parent_keys(parent);
        if keys.iter().any(|k| same(k)) {
            return Ok(());
        }
        Err(Error::refused(
            child,
            format!(
                "foreign key references \"{}\" ({}), which is not its primary key or UNIQUE",
                parent.name,
                cols.join(", ")
            ),
            "reference the parent's primary key, or add a UNIQUE constraint on those columns first",
        ))
    }

    /// Refuses to drop a column that another table's foreign key references, or that a trigger
    /// uses (views are checked by compiling them afterwards).
    fn refuse_if_referenced(&self, t: &Table, col: &str) -> Result<()> {
        let pk = t.primary_key();
        for other in self
            .all_tables()
            .filter(|o| !o.name.eq_ignore_ascii_case(&t.name))
            .chain([t])
        {
            for (_, r) in other.foreign_keys() {
                if !r.table.eq_ignore_ascii_case(&t.name) {
                    continue;
                }
                let cols = if r.columns.is_empty() {
                    pk.clone()
                } else {
                    r.columns.clone()
                };
                if cols.iter().any(|c| c.eq_ignore_ascii_case(col)) {
                    return Err(Error::refused(
                        &t.name,
                        format!(
                            "column \"{col}\" is referenced by a foreign key of table \"{}\"",
                            other.name
                        ),
                        "drop that foreign key first (ALTER TABLE ... DROP CONSTRAINT ...)",
                    ));
                }
            }
        }
        for tr in self.all_triggers() {
            let on_table = tr.table.eq_ignore_ascii_case(&t.name) || mentions(&tr.sql, &t.name);
            if on_table && mentions(&tr.sql, col) {
                return Err(Error::refused(
                    &t.name,
                    format!("column \"{col}\" is used by trigger \"{}\"", tr.name),
                    "drop the trigger first (DROP TRIGGER ...) and create it again after, without the column",
                ));
            }
        }
        Ok(())
    }

    /// Refuses to drop a PRIMARY KEY or UNIQUE constraint that a foreign key relies on.
    fn refuse_if_key_referenced(&self, t: &Table, old_pk: &[String], name: &str) -> Result<()> {
        let keys = self.parent_keys(t);
        let is_key = |cols: &[String]| {
            keys.iter().any(|k| {
                k.len() == cols.len()
                    && cols
                        .iter()
                        .all(|c| k.iter().any(|x| x.eq_ignore_ascii_case(c)))
            })
        };
        for other in self
            .all_tables()
            .filter(|o| !o.name.eq_ignore_ascii_case(&t.name))
            .chain([t])
        {
            for (_, r) in other.foreign_keys() {
                if !r.table.eq_ignore_ascii_case(&t.name) {
                    continue;
                }
                // A reference without columns means the primary key, whatever it becomes.
                let still = if r.columns.is_empty() {
                    !old_pk.is_empty() && t.primary_key() == old_pk
                } else {
                    is_key(&r.columns)
                };
                if !still {
                    return Err(Error::refused(
                        &t.name,
                        format!("constraint \"{name}\" is the key that the foreign key of table \"{}\" references", other.name),
                        "drop that foreign key first",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The column sets of `t` that a foreign key may reference: its primary key, UNIQUE
    /// constraints and (non-partial) UNIQUE indexes.
    fn parent_keys(&self, t: &Table) -> Vec<Vec<String>> {
        let mut keys: Vec<Vec<String>> = Vec::new();
        if !t.primary_key().is_empty() {
            keys.push(t.primary_key());
        }
        for c in &t.columns {
            if c.has(|k| matches!(k, ColumnConstraintKind::Unique)) {
                keys.push(vec![c.name.clone()]);
            }
        }
        for k in &t.constraints {
            if let TableConstraintKind::Unique(c) = &k.kind {
                keys.push(c.clone());
            }
        }
        for i in self
            .schema
            .indexes_on(&t.name)
            .chain(self.live.indexes_on(&t.name))
        {
            let Some(sql) = &i.sql else { continue };
            let Ok(toks) = crate::sql::lex(sql) else {
                continue;
            };
            let unique = toks.get(1).is_some_and(|w| w.is_kw(sql, "unique"));
            let partial = toks.iter().any(|w| w.is_kw(sql, "where"));
            if unique && !partial && !i.columns.is_empty() && i.columns.iter().all(Option::is_some)
            {
                keys.push(i.columns.iter().flatten().cloned().collect());
            }
        }
        keys
    }

    /// Emits one rebuild of `old` into `new`, copying each column from its source.
    fn rebuild(
        &mut self,
        old: &Table,
        new: &Table,
        sources: &[Source],
        checks: Vec<Check>,
        desc: String,
    ) -> Result<()> {
        let name = old.name.clone();
        let mut tmp = format!("_kit_old_{name}");
        let mut n = 1;
        while self.name_taken(&tmp) {
            n += 1;
            tmp = format!("_kit_old_{name}_{n}");
        }
        // Columns to copy: not generated, with a source.
        let mut into = Vec::new();
        let mut from = Vec::new();
        for (c, s) in new.columns.iter().zip(sources) {
            if c.generated().is_some() {
                continue;
            }
            if let Some(v) = &s.value {
                into.push(quote_ident(&c.name));
                from.push(v.clone());
            }
        }
        // Keep rowids unless the new table's rowid alias already carries them.
        let alias_copied = new.rowid_alias().is_some_and(|a| {
            new.columns.iter().zip(sources).any(|(c, s)| {
                c.name == a.name
                    && s.is_identity()
                    && old
                        .rowid_alias()
                        .is_some_and(|oa| s.origin.as_deref() == Some(oa.name.as_str()))
            })
        });
        let new_has_alias_from_elsewhere = new.rowid_alias().is_some() && !alias_copied;
        if !alias_copied && !new_has_alias_from_elsewhere {
            if let (Some(nr), Some(or)) = (new.rowid_name(), old.rowid_name()) {
                into.insert(0, nr.to_string());
                from.insert(0, or.to_string());
            }
        }
        let mut sql = vec![
            "PRAGMA legacy_alter_table = ON".to_string(),
            format!(
                "ALTER TABLE {} RENAME TO {}",
                quote_ident(&name),
                quote_ident(&tmp)
            ),
            new.render(),
        ];
        // Same columns in the same order, rowids carried by a column (or none): `SELECT *`
        // lets SQLite copy records without decoding them when the definitions allow it.
        let same_shape = new.columns.len() == old.columns.len()
            && new
                .columns
                .iter()
                .zip(&old.columns)
                .zip(sources)
                .all(|((n, o), s)| {
                    n.generated().is_none()
                        && o.generated().is_none()
                        && s.is_identity()
                        && s.origin.as_deref() == Some(o.name.as_str())
                })
            && ((new.without_rowid && old.without_rowid) || alias_copied);
        let copy_idx = sql.len();
        if same_shape {
            sql.push(format!(
                "INSERT INTO {} SELECT * FROM {}",
                quote_ident(&name),
                quote_ident(&tmp)
            ));
        } else {
            sql.push(format!(
                "INSERT INTO {} ({}) SELECT {} FROM {}",
                quote_ident(&name),
                into.join(", "),
                from.join(", "),
                quote_ident(&tmp)
            ));
        }
        if old.autoincrement() && new.autoincrement() {
            sql.push(format!(
                "DELETE FROM sqlite_sequence WHERE name = {}",
                quote_str(&name)
            ));
            sql.push(format!(
                "INSERT INTO sqlite_sequence (name, seq) SELECT {}, seq FROM sqlite_sequence WHERE name = {}",
                quote_str(&name),
                quote_str(&tmp)
            ));
        }
        sql.push(format!("DROP TABLE {}", quote_ident(&tmp)));
        sql.push("PRAGMA legacy_alter_table = OFF".to_string());
        // Old columns no new column descends from (a column dropped and added again under the
        // same name is a new column: indexes on the old one go).
        let dropped: Vec<&Column> = old
            .columns
            .iter()
            .filter(|c| {
                !sources
                    .iter()
                    .any(|s| s.origin.as_deref() == Some(c.name.as_str()))
            })
            .collect();
        for idx in self.schema.indexes_on(&name) {
            let Some(text) = &idx.sql else { continue };
            let uses_dropped = dropped.iter().any(|c| {
                idx.columns.iter().any(|k| {
                    k.as_deref()
                        .is_some_and(|k| k.eq_ignore_ascii_case(&c.name))
                }) || text
                    .find('(')
                    .is_some_and(|p| mentions(&text[p..], &c.name))
            });
            if !uses_dropped {
                sql.push(text.clone());
            }
        }
        for tr in self.schema.triggers_on(&name) {
            sql.push(tr.sql.clone());
        }
        // Foreign keys only need checking where the copy can change what they compare: this
        // table's own keys when their columns changed, and its children when the parent key did.
        let intact = |col: &str| -> bool {
            let Some((i, c)) = new.column(col) else {
                return false;
            };
            let Some((_, o)) = old.column(col) else {
                return false;
            };
            sources[i].is_identity()
                && sources[i].origin.as_deref() == Some(o.name.as_str())
                && c.type_text == o.type_text
                && c.constraints
                    .iter()
                    .filter(|k| matches!(k.kind, ColumnConstraintKind::Collate(_)))
                    .eq(o
                        .constraints
                        .iter()
                        .filter(|k| matches!(k.kind, ColumnConstraintKind::Collate(_))))
        };
        let own_changed = old.foreign_keys() != new.foreign_keys()
            || new
                .foreign_keys()
                .iter()
                .any(|(cols, _)| cols.iter().any(|c| !intact(c)));
        if own_changed {
            self.fk_tables.insert(name.clone());
        }
        let mut children = Vec::new();
        for other in self.all_tables() {
            for (_, r) in other.foreign_keys() {
                if !r.table.eq_ignore_ascii_case(&name) {
                    continue;
                }
                let keys = if r.columns.is_empty() {
                    old.primary_key()
                } else {
                    r.columns.clone()
                };
                if keys.is_empty() || !keys.iter().all(|k| intact(k)) {
                    children.push(other.name.clone());
                }
            }
        }
        self.fk_tables.extend(children);
        self.push(Step {
            path: Path::Rebuild,
            table: Some(name),
            description: desc,
            checks,
            sql,
            copy_statement: Some(copy_idx),
        })
    }
}

/// The SQL that replaces a table's stored definition in place (constraint-only changes).
fn edit_sql(t: &Table, version: i64) -> Vec<String> {
    vec![
        ("PRAGMA writable_schema = ON".into()),
        (format!(
            "UPDATE sqlite_schema SET sql = {} WHERE type = 'table' AND name = {}",
            quote_str(&t.render()),
            quote_str(&t.name)
        )),
        (format!("PRAGMA schema_version = {version}")),
        ("PRAGMA writable_schema = OFF".into()),
    ]
}

fn native(table: &str, description: String, sql: String) -> Step {
    Step {
        path: Path::Native,
        table: Some(table.to_string()),
        description,
        checks: vec![],
        sql: vec![(sql)],
        copy_statement: None,
    }
}

enum KindRef<'a> {
    Col(&'a ColumnConstraintKind),
    Tab(&'a TableConstraintKind),
}

/// Dropping CHECK and FOREIGN KEY constraints only edits the definition; keys need a rebuild.
fn constraint_path(k: &KindRef) -> Path {
    match k {
        KindRef::Col(ColumnConstraintKind::Check(_))
        | KindRef::Col(ColumnConstraintKind::References(_)) => Path::Edit,
        KindRef::Tab(TableConstraintKind::Check(_))
        | KindRef::Tab(TableConstraintKind::ForeignKey { .. }) => Path::Edit,
        _ => Path::Rebuild,
    }
}

fn constraint_mentions(k: &TableConstraintKind, col: &str) -> bool {
    let eq = |c: &String| c.eq_ignore_ascii_case(col);
    match k {
        TableConstraintKind::PrimaryKey(cols) | TableConstraintKind::Unique(cols) => {
            cols.iter().any(eq)
        }
        TableConstraintKind::Check(e) => mentions(e, col),
        TableConstraintKind::ForeignKey { columns, .. } => columns.iter().any(eq),
    }
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
        Op::RenameTable { .. } => false,
    }
}

/// True when a column of `t` is named `rowid`, `oid` or `_rowid_`: SQLite's native ADD and
/// DROP COLUMN reject such tables, so they are rebuilt.
fn shadows_rowid(t: &Table) -> bool {
    t.columns.iter().any(|c| is_rowid_name(&c.name))
}

/// True for `rowid`, `oid` and `_rowid_`, in any case.
fn is_rowid_name(name: &str) -> bool {
    ["rowid", "oid", "_rowid_"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
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

fn unreachable_rename() -> Result<Path> {
    // Renames are emitted natively by `flush` and never reach a segment.
    Ok(Path::Native)
}

fn is_literal(s: &str) -> bool {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    t.starts_with('\'')
        || [
            "null",
            "true",
            "false",
            "current_time",
            "current_date",
            "current_timestamp",
        ]
        .contains(&lower.as_str())
        || t.trim_start_matches(['-', '+']).parse::<f64>().is_ok()
        || (lower.starts_with("x'") && lower.ends_with('\''))
}

/// The expression that names a row in messages: its key columns or rowid.
fn key_expr(t: &Table) -> String {
    let pk = t.primary_key();
    if !pk.is_empty() && (t.without_rowid || t.rowid_alias().is_some() || t.rowid_name().is_none())
    {
        let parts: Vec<String> = pk
            .iter()
            .map(|c| format!("{} || '=' || quote({})", quote_str(c), quote_ident(c)))
            .collect();
        return parts.join(" || ', ' || ");
    }
    match t.rowid_name() {
        Some(r) => format!("'rowid=' || {r}"),
        None => "'?'".to_string(),
    }
}

fn rows_check(t: &Table, reason: &str, condition: &str, hint: &str) -> Check {
    rows_check_showing(t, reason, condition, hint, &[])
}

/// Like [`rows_check`], with the values of `show` after each example key: `id=1 ('a@x')`.
fn rows_check_showing(
    t: &Table,
    reason: &str,
    condition: &str,
    hint: &str,
    show: &[String],
) -> Check {
    let mut key = key_expr(t);
    if !show.is_empty() {
        let vals: Vec<String> = show.iter().map(|s| format!("quote({s})")).collect();
        key = format!("{key} || ' (' || {} || ')'", vals.join(" || ', ' || "));
    }
    Check {
        table: t.name.clone(),
        reason: reason.to_string(),
        hint: hint.to_string(),
        count_sql: format!(
            "SELECT count(*) FROM {} WHERE {condition}",
            quote_ident(&t.name)
        ),
        examples_sql: format!(
            "SELECT {key} FROM {} WHERE {condition} LIMIT 5",
            quote_ident(&t.name)
        ),
    }
}

fn unknown_column(table: &str, col: &str, text: &str) -> Error {
    Error::Unknown {
        what: format!("column \"{col}\" of table \"{table}\""),
        statement: text.to_string(),
    }
}

/// The objects of the scratch copy (`now`) followed by those of the database (`before`) that
/// were not copied into it.
fn merged<'a, T>(
    now: &'a IndexMap<String, T>,
    before: &'a IndexMap<String, T>,
    kept: &'a HashSet<String>,
) -> impl Iterator<Item = &'a T> {
    now.values().chain(
        before
            .iter()
            .filter(move |(name, _)| !kept.contains(&name.to_lowercase()))
            .map(|(_, v)| v),
    )
}

/// Lowercased names of the objects a change can touch or needs to see: the tables it names
/// (fully: their triggers, the views over them, and triggers elsewhere that name them), and
/// what all of those read (as leaves), plus indexes and triggers of every kept table.
fn footprint(rows: &[SchemaRow], statements: &[Statement]) -> HashSet<String> {
    let lower = |s: &str| s.to_lowercase();
    let relations: HashMap<String, &SchemaRow> = rows
        .iter()
        .filter(|r| r.kind == "table" || r.kind == "view")
        .map(|r| (lower(&r.name), r))
        .collect();
    let named: Vec<(&SchemaRow, BTreeSet<String>)> = rows
        .iter()
        .filter(|r| r.kind == "view" || r.kind == "trigger")
        .map(|r| (r, idents(r.sql.as_deref().unwrap_or(""))))
        .collect();
    let mut work: Vec<(String, bool)> = Vec::new();
    let mut renamed: Vec<String> = Vec::new();
    for st in statements {
        match st {
            Statement::Alter { alter, text } => {
                work.push((lower(&alter.table), true));
                work.extend(idents(text).into_iter().map(|n| (n, false)));
                if alter
                    .ops
                    .iter()
                    .any(|o| matches!(o, Op::RenameTable { .. } | Op::RenameColumn { .. }))
                {
                    renamed.push(lower(&alter.table));
                }
            }
            Statement::Other { text, .. } => {
                work.extend(idents(text).into_iter().map(|n| (n, true)))
            }
        }
    }
    // A rename rewrites the foreign keys of the children: they must be in the copy too.
    if !renamed.is_empty() {
        for r in rows.iter().filter(|r| r.kind == "table") {
            let ids = idents(r.sql.as_deref().unwrap_or(""));
            if renamed.iter().any(|n| ids.contains(n)) {
                work.push((lower(&r.name), false));
            }
        }
    }
    let mut kept: HashSet<String> = HashSet::new();
    let mut full_done: HashSet<String> = HashSet::new();
    while let Some((n, full)) = work.pop() {
        let Some(row) = relations.get(&n) else {
            continue;
        };
        if full && !full_done.insert(n.clone()) {
            continue;
        }
        if !kept.insert(n.clone()) && !full {
            continue;
        }
        // What it reads (a view's sources, a table's foreign-key parents).
        work.extend(
            idents(row.sql.as_deref().unwrap_or(""))
                .into_iter()
                .map(|i| (i, false)),
        );
        for (r, ids) in &named {
            let attached = r.kind == "trigger" && lower(&r.tbl_name) == n;
            if attached {
                // Its triggers come along, with what they touch (in full if it is changed).
                kept.insert(lower(&r.name));
                work.extend(ids.iter().map(|i| (i.clone(), full)));
            } else if full && ids.contains(&n) {
                // Views over it (and so views over those), and triggers elsewhere naming it.
                if r.kind == "view" {
                    work.push((lower(&r.name), true));
                } else {
                    kept.insert(lower(&r.name));
                    work.push((lower(&r.tbl_name), false));
                    work.extend(ids.iter().map(|i| (i.clone(), false)));
                }
            }
        }
    }
    for r in rows {
        if (r.kind == "index" || r.kind == "trigger") && kept.contains(&lower(&r.tbl_name)) {
            kept.insert(lower(&r.name));
        }
    }
    kept
}

/// Tables named by the `REFERENCES` of foreign keys that `ops` add.
fn referenced_tables(ops: &[Op]) -> Vec<String> {
    let mut out = Vec::new();
    for op in ops {
        match op {
            Op::AddConstraint { constraint } => {
                if let TableConstraintKind::ForeignKey { refs, .. } = &constraint.kind {
                    out.push(refs.table.clone());
                }
            }
            Op::AddColumn { column, .. } => {
                for k in &column.constraints {
                    if let ColumnConstraintKind::References(r) = &k.kind {
                        out.push(r.table.clone());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Every identifier a statement names, lowercased.
fn idents(sql: &str) -> BTreeSet<String> {
    crate::sql::lex(sql)
        .map(|toks| {
            toks.iter()
                .filter_map(|t| t.ident_ref(sql))
                .map(|i| i.to_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or("");
    if l.len() < s.len() {
        format!("{l} ...")
    } else {
        l.to_string()
    }
}
