//! Reads the schema of a live connection: `sqlite_schema` text parsed by kit, cross-checked
//! against SQLite's own pragmas (`table_xinfo`, `index_xinfo`).

use crate::error::{Error, Result};
use crate::schema::*;
use rusqlite::Connection;
use std::collections::HashMap;

/// Reads every table, index, trigger and view of the `main` database.
pub fn read_schema(conn: &Connection) -> Result<Schema> {
    refresh_schema(conn, Schema::default())
}

/// One row of `sqlite_schema`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaRow {
    /// `table`, `index`, `view` or `trigger`.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// The table the object belongs to.
    pub tbl_name: String,
    /// The stored SQL text (`None` for automatic indexes).
    pub sql: Option<String>,
}

/// Reads the rows of `sqlite_schema`, in creation order.
pub fn schema_rows(conn: &Connection) -> Result<Vec<SchemaRow>> {
    let ctx = "reading the schema";
    let mut stmt = conn
        .prepare_cached("SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY rowid")
        .map_err(|e| Error::sqlite(ctx, e))?;
    stmt.query_map([], |r| {
        Ok(SchemaRow {
            kind: r.get(0)?,
            name: r.get(1)?,
            tbl_name: r.get(2)?,
            sql: r.get(3)?,
        })
    })
    .and_then(|rows| rows.collect())
    .map_err(|e| Error::sqlite(ctx, e))
}

/// Parses schema rows without consulting SQLite's pragmas: no cross-check of columns, and
/// index key columns left empty. For a quick whole-schema view (foreign keys, triggers, names).
pub fn parse_rows(rows: &[SchemaRow]) -> Result<Schema> {
    reparse_rows(rows, Schema::default())
}

/// [`parse_rows`], reusing from `previous` every table and index whose stored text is
/// unchanged (moved, not copied), so that parsing again after a change costs the changed
/// objects only.
pub fn reparse_rows(rows: &[SchemaRow], previous: Schema) -> Result<Schema> {
    build(None, rows, previous)
}

/// Reads the schema again, reusing from `previous` every table and index whose stored text is
/// unchanged (so re-reading after a step costs one query plus the changed objects). The
/// unchanged objects are moved, not copied, out of `previous`.
pub fn refresh_schema(conn: &Connection, previous: Schema) -> Result<Schema> {
    let rows = schema_rows(conn)?;
    build(Some(conn), &rows, previous)
}

fn build(conn: Option<&Connection>, rows: &[SchemaRow], mut previous: Schema) -> Result<Schema> {
    // STRICT and WITHOUT ROWID as SQLite sees them (one query: per-table lookups scan all).
    // `table_list` costs O(views x tables) (it prepares each view, restarting its scan after
    // each), so it runs only when a table kit parses can have either flag: SQLite takes them from
    // the stored text, so a table whose text has neither word has neither.
    let flags: HashMap<String, (bool, bool)> = match conn {
        Some(conn) if rows.iter().any(|r| may_have_table_options(r, &previous)) => conn
            .prepare_cached("SELECT name, wr, strict FROM pragma_table_list WHERE schema = 'main'")
            .and_then(|mut st| {
                st.query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?.to_lowercase(),
                        (r.get(1)?, r.get(2)?),
                    ))
                })
                .and_then(|r| r.collect())
            })
            .map_err(|e| Error::sqlite("reading table_list", e))?,
        _ => HashMap::new(),
    };
    let mut schema = Schema::default();
    // What kit parses afresh, to be checked against SQLite's pragmas after the loop.
    let (mut fresh_tables, mut fresh_indexes) = (Vec::new(), Vec::new());
    for row in rows {
        let (kind, name, tbl_name, sql) = (
            &row.kind,
            row.name.clone(),
            row.tbl_name.clone(),
            row.sql.clone(),
        );
        match kind.as_str() {
            "table" => {
                let Some(sql) = sql else { continue };
                if name.starts_with("sqlite_") {
                    continue;
                }
                if sql
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("create virtual")
                {
                    schema.virtual_tables.insert(name, sql);
                    continue;
                }
                if previous
                    .tables
                    .get(&name)
                    .is_some_and(|t| t.stored_sql == sql)
                {
                    if let Some(t) = previous.tables.swap_remove(&name) {
                        schema.tables.insert(name, t);
                        continue;
                    }
                }
                let table = parse_create_table(&sql).map_err(|e| Error::Database {
                    path: format!("table \"{name}\""),
                    message: format!(
                        "kit cannot parse its definition: {} at byte {}: {sql}",
                        e.message, e.offset
                    ),
                })?;
                fresh_tables.push(name.clone());
                schema.tables.insert(name, table);
            }
            "index" => {
                let cached = previous
                    .indexes
                    .get(&name)
                    .filter(|i| i.sql == sql && i.table == tbl_name)
                    .map(|i| i.columns.clone());
                let columns = cached.unwrap_or_else(|| {
                    fresh_indexes.push(name.clone());
                    Vec::new()
                });
                schema.indexes.insert(
                    name.clone(),
                    Index {
                        name,
                        table: tbl_name,
                        sql,
                        columns,
                    },
                );
            }
            "trigger" => {
                schema.triggers.insert(
                    name.clone(),
                    Trigger {
                        name,
                        table: tbl_name,
                        sql: sql.unwrap_or_default(),
                    },
                );
            }
            "view" => {
                schema.views.insert(
                    name.clone(),
                    View {
                        name,
                        sql: sql.unwrap_or_default(),
                    },
                );
            }
            _ => {}
        }
    }
    if let Some(conn) = conn {
        let columns = table_columns(conn, &fresh_tables)?;
        let fks = foreign_key_counts(conn, &fresh_tables)?;
        for name in &fresh_tables {
            if let Some(table) = schema.tables.get_mut(name) {
                let sqlite = SqliteTable {
                    columns: columns.get(name).map_or(&[][..], Vec::as_slice),
                    foreign_keys: fks.get(name).copied().unwrap_or(0),
                    flags: flags.get(&name.to_lowercase()).copied(),
                };
                check_columns(table, &sqlite)?;
            }
        }
        let mut keys = index_columns(conn, &fresh_indexes)?;
        for name in &fresh_indexes {
            if let Some(index) = schema.indexes.get_mut(name) {
                index.columns = keys.remove(name).unwrap_or_default();
            }
        }
    }
    // Shadow tables of virtual tables (FTS5's `x_data`, ...) belong to their virtual table.
    let shadows: Vec<String> = schema
        .tables
        .keys()
        .filter(|t| schema.shadow_owner(t).is_some())
        .cloned()
        .collect();
    for s in shadows {
        if let Some(t) = schema.tables.shift_remove(&s) {
            schema.virtual_tables.insert(s, t.render());
        }
    }
    Ok(schema)
}

/// Whether `row` is a table that `build` parses afresh (not reused from `previous`) and whose
/// stored text mentions `STRICT` or `ROWID`, the words of the two table options.
fn may_have_table_options(row: &SchemaRow, previous: &Schema) -> bool {
    let Some(sql) = row.sql.as_deref().filter(|_| row.kind == "table") else {
        return false;
    };
    let reused = previous
        .tables
        .get(&row.name)
        .is_some_and(|t| t.stored_sql == sql);
    if reused {
        return false;
    }
    let lower = sql.to_ascii_lowercase();
    lower.contains("strict") || lower.contains("rowid")
}

/// What SQLite reports of one table, for [`check_columns`].
struct SqliteTable<'a> {
    /// Its columns (`table_xinfo`), hidden ones included.
    columns: &'a [String],
    /// How many foreign keys `foreign_key_list` lists.
    foreign_keys: i64,
    /// `WITHOUT ROWID` and `STRICT` from `table_list`, when it was read.
    flags: Option<(bool, bool)>,
}

/// Verifies that kit's parse of a table agrees with SQLite's `table_xinfo` and
/// `foreign_key_list`, and takes `STRICT` / `WITHOUT ROWID` from `table_list`.
fn check_columns(table: &mut Table, sqlite: &SqliteTable<'_>) -> Result<()> {
    let (wr, strict) = sqlite.flags.unwrap_or_default();
    table.without_rowid = wr;
    table.strict = strict;
    let fks = sqlite.foreign_keys;
    if fks as usize != table.foreign_keys().len() {
        return Err(Error::Database {
            path: format!("table \"{}\"", table.name),
            message: format!(
                "kit read {} foreign keys but SQLite reports {fks}; please report this table definition",
                table.foreign_keys().len()
            ),
        });
    }
    let names = sqlite.columns;
    let ours: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    if names.len() != ours.len()
        || names
            .iter()
            .zip(&ours)
            .any(|(a, b)| !a.eq_ignore_ascii_case(b))
    {
        return Err(Error::Database {
            path: format!("table \"{}\"", table.name),
            message: format!("kit read columns {ours:?} but SQLite reports {names:?}; please report this table definition"),
        });
    }
    Ok(())
}

// The pragmas are read for many objects at once, one query each, with the names passed as a
// JSON array: a query per object costs about 2.5 times as much (each `pragma_*` call prepares
// a statement inside SQLite either way).

/// The columns (`table_xinfo`, in order) of each of `tables`.
fn table_columns(conn: &Connection, tables: &[String]) -> Result<HashMap<String, Vec<String>>> {
    grouped(
        conn,
        "SELECT j.value, x.name FROM json_each(?1) j, pragma_table_xinfo(j.value, 'main') x ORDER BY j.key, x.cid",
        tables,
        "reading table_xinfo",
    )
}

/// The key columns (`index_xinfo`, in order; `None` for an expression) of each of `indexes`.
fn index_columns(
    conn: &Connection,
    indexes: &[String],
) -> Result<HashMap<String, Vec<Option<String>>>> {
    grouped(
        conn,
        "SELECT j.value, x.name FROM json_each(?1) j, pragma_index_xinfo(j.value, 'main') x WHERE x.key = 1 ORDER BY j.key, x.seqno",
        indexes,
        "reading index_xinfo",
    )
}

/// How many foreign keys (`foreign_key_list`) each of `tables` has.
fn foreign_key_counts(conn: &Connection, tables: &[String]) -> Result<HashMap<String, i64>> {
    let counts: HashMap<String, Vec<i64>> = grouped(
        conn,
        "SELECT j.value, (SELECT count(DISTINCT f.id) FROM pragma_foreign_key_list(j.value, 'main') f) FROM json_each(?1) j",
        tables,
        "reading foreign_key_list",
    )?;
    Ok(counts
        .into_iter()
        .map(|(k, v)| (k, v.first().copied().unwrap_or(0)))
        .collect())
}

/// Runs `sql` (rows of name and value, `?1` the JSON array of `names`) and groups the values
/// by name, in row order.
fn grouped<T: rusqlite::types::FromSql>(
    conn: &Connection,
    sql: &str,
    names: &[String],
    ctx: &str,
) -> Result<HashMap<String, Vec<T>>> {
    let mut out: HashMap<String, Vec<T>> = HashMap::new();
    if names.is_empty() {
        return Ok(out);
    }
    let mut stmt = conn
        .prepare_cached(sql)
        .map_err(|e| Error::sqlite(ctx, e))?;
    let mut rows = stmt
        .query([json_array(names)])
        .map_err(|e| Error::sqlite(ctx, e))?;
    while let Some(r) = rows.next().map_err(|e| Error::sqlite(ctx, e))? {
        let name: String = r.get(0).map_err(|e| Error::sqlite(ctx, e))?;
        let value: T = r.get(1).map_err(|e| Error::sqlite(ctx, e))?;
        out.entry(name).or_default().push(value);
    }
    Ok(out)
}

/// `names` as a JSON array of strings.
fn json_array(names: &[String]) -> String {
    let mut s = String::from("[");
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('"');
        for c in n.chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                c if (c as u32) < 0x20 => s.push_str(&format!("\\u{:04x}", c as u32)),
                c => s.push(c),
            }
        }
        s.push('"');
    }
    s.push(']');
    s
}

/// Creates an in-memory database holding the same schema (no rows), for validating a plan.
pub fn shadow_copy(conn: &Connection) -> Result<Connection> {
    shadow_from_rows(&schema_rows(conn)?, &|_| true)
}

/// Creates an in-memory database holding the schema objects of `rows` that `keep` selects.
pub fn shadow_from_rows(
    rows: &[SchemaRow],
    keep: &dyn Fn(&SchemaRow) -> bool,
) -> Result<Connection> {
    let shadow =
        Connection::open_in_memory().map_err(|e| Error::sqlite("opening a scratch database", e))?;
    shadow
        .execute_batch("PRAGMA foreign_keys = OFF; BEGIN")
        .map_err(|e| Error::sqlite("preparing a scratch database", e))?;
    let mut made_by_modules = std::collections::HashSet::new();
    // Views and triggers own no b-tree: they are written straight into sqlite_schema and parsed
    // once at the end, because creating objects one by one costs SQLite a schema scan each.
    let mut no_storage = Vec::new();
    for row in rows.iter().filter(|r| keep(r)) {
        let Some(sql) = row.sql.clone() else { continue };
        let (kind, name, tbl_name) = (row.kind.clone(), row.name.clone(), row.tbl_name.clone());
        if name.starts_with("sqlite_") {
            continue;
        }
        if kind == "view" || kind == "trigger" {
            no_storage.push((kind, name, tbl_name, sql));
            continue;
        }
        if kind == "table" && made_by_modules.contains(&name.to_lowercase()) {
            continue; // a virtual table's shadow table, already made by the module
        }
        let is_virtual = kind == "table"
            && sql
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("create virtual");
        if let Err(e) = shadow.execute_batch(&sql) {
            // Virtual tables of modules this build lacks are kept out of the scratch copy.
            if is_virtual {
                continue;
            }
            return Err(Error::sqlite(
                format!("copying the definition of {kind} \"{name}\""),
                e,
            ));
        }
        if is_virtual {
            let mut st = shadow
                .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE ?1 || '\\_%' ESCAPE '\\'")
                .map_err(|e| Error::sqlite("preparing a scratch database", e))?;
            let names: Vec<String> = st
                .query_map([&name], |r| r.get(0))
                .and_then(|r| r.collect())
                .map_err(|e| Error::sqlite("preparing a scratch database", e))?;
            made_by_modules.extend(names.into_iter().map(|n| n.to_lowercase()));
        }
    }
    if !no_storage.is_empty() {
        let version: i64 = shadow
            .query_row("PRAGMA schema_version", [], |r| r.get(0))
            .map_err(|e| Error::sqlite("preparing a scratch database", e))?;
        shadow
            .set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, false)
            .map_err(|e| Error::sqlite("preparing a scratch database", e))?;
        shadow
            .execute_batch("PRAGMA writable_schema = ON")
            .map_err(|e| Error::sqlite("preparing a scratch database", e))?;
        {
            let mut ins = shadow
                .prepare("INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql) VALUES (?1, ?2, ?3, 0, ?4)")
                .map_err(|e| Error::sqlite("preparing a scratch database", e))?;
            for (kind, name, tbl_name, sql) in &no_storage {
                ins.execute((kind, name, tbl_name, sql)).map_err(|e| {
                    Error::sqlite(format!("copying the definition of {kind} \"{name}\""), e)
                })?;
            }
        }
        shadow
            .execute_batch(&format!(
                "PRAGMA schema_version = {}; PRAGMA writable_schema = OFF",
                version + 1
            ))
            .map_err(|e| Error::sqlite("preparing a scratch database", e))?;
    }
    shadow
        .execute_batch("COMMIT")
        .map_err(|e| Error::sqlite("preparing a scratch database", e))?;
    // Load the schema now, so a definition SQLite cannot parse is reported here.
    shadow
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| Error::sqlite("loading the scratch schema", e))?;
    Ok(shadow)
}
