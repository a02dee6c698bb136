//! Reads the schema of a live connection: `sqlite_schema` text parsed by kit, cross-checked
//! against SQLite's own pragmas (`table_xinfo`, `index_xinfo`).

use super::*;
use crate::error::{Error, Result};
use rusqlite::Connection;

/// Reads every table, index, trigger and view of the `main` database.
pub fn read_schema(conn: &Connection) -> Result<Schema> {
    let ctx = "reading the schema";
    let mut stmt = conn
        .prepare("SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY rowid")
        .map_err(|e| Error::sqlite(ctx, e))?;
    let rows: Vec<(String, String, String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .and_then(|rows| rows.collect())
        .map_err(|e| Error::sqlite(ctx, e))?;
    let mut schema = Schema::default();
    for (kind, name, tbl_name, sql) in rows {
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
                let table = parse_create_table(&sql).map_err(|e| Error::Database {
                    path: format!("table \"{name}\""),
                    message: format!(
                        "kit cannot parse its definition: {} at byte {}: {sql}",
                        e.message, e.offset
                    ),
                })?;
                let mut table = table;
                check_columns(conn, &mut table)?;
                schema.tables.insert(name, table);
            }
            "index" => {
                let columns = index_columns(conn, &name)?;
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
    // Shadow tables of virtual tables (FTS5's `x_data`, ...) belong to their virtual table.
    let shadows: Vec<String> = schema
        .tables
        .keys()
        .filter(|t| {
            schema.virtual_tables.keys().any(|v| {
                t.len() > v.len() + 1
                    && t[..v.len()].eq_ignore_ascii_case(v)
                    && t.as_bytes()[v.len()] == b'_'
            })
        })
        .cloned()
        .collect();
    for s in shadows {
        if let Some(t) = schema.tables.shift_remove(&s) {
            schema.virtual_tables.insert(s, t.render());
        }
    }
    Ok(schema)
}

/// Verifies that kit's parse of a table agrees with SQLite's `table_xinfo` and
/// `foreign_key_list`, and takes `STRICT` / `WITHOUT ROWID` from `table_list`.
fn check_columns(conn: &Connection, table: &mut Table) -> Result<()> {
    let flags: Option<(bool, bool)> = conn
        .query_row(
            "SELECT wr, strict FROM pragma_table_list WHERE schema = 'main' AND name = ?1",
            [&table.name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(Error::sqlite("reading table_list", e)),
        })?;
    if let Some((wr, strict)) = flags {
        table.without_rowid = wr;
        table.strict = strict;
    }
    let fks: i64 = conn
        .query_row(
            "SELECT count(DISTINCT id) FROM pragma_foreign_key_list(?1, 'main')",
            [&table.name],
            |r| r.get(0),
        )
        .map_err(|e| Error::sqlite("reading foreign_key_list", e))?;
    if fks as usize != table.foreign_keys().len() {
        return Err(Error::Database {
            path: format!("table \"{}\"", table.name),
            message: format!(
                "kit read {} foreign keys but SQLite reports {fks}; please report this table definition",
                table.foreign_keys().len()
            ),
        });
    }
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_xinfo(?1, 'main')")
        .map_err(|e| Error::sqlite("reading table_xinfo", e))?;
    let names: Vec<String> = stmt
        .query_map([&table.name], |r| r.get(0))
        .and_then(|r| r.collect())
        .map_err(|e| Error::sqlite("reading table_xinfo", e))?;
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

fn index_columns(conn: &Connection, index: &str) -> Result<Vec<Option<String>>> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_index_xinfo(?1, 'main') WHERE key = 1 ORDER BY seqno")
        .map_err(|e| Error::sqlite("reading index_xinfo", e))?;
    let cols = stmt
        .query_map([index], |r| r.get::<_, Option<String>>(0))
        .and_then(|r| r.collect())
        .map_err(|e| Error::sqlite("reading index_xinfo", e))?;
    Ok(cols)
}

/// Creates an in-memory database holding the same schema (no rows), for validating a plan.
pub fn shadow_copy(conn: &Connection) -> Result<Connection> {
    let shadow =
        Connection::open_in_memory().map_err(|e| Error::sqlite("opening a scratch database", e))?;
    let mut stmt = conn
        .prepare(
            "SELECT type, name, sql FROM main.sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid",
        )
        .map_err(|e| Error::sqlite("reading the schema", e))?;
    let rows: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .and_then(|r| r.collect())
        .map_err(|e| Error::sqlite("reading the schema", e))?;
    shadow
        .execute_batch("PRAGMA foreign_keys = OFF; BEGIN")
        .map_err(|e| Error::sqlite("preparing a scratch database", e))?;
    for (kind, name, sql) in rows {
        if name.starts_with("sqlite_") {
            continue;
        }
        if kind == "table" {
            let exists: bool = shadow
                .query_row(
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                    [&name],
                    |r| r.get(0),
                )
                .map_err(|e| Error::sqlite("preparing a scratch database", e))?;
            if exists {
                continue; // a virtual table's shadow table, already made by the module
            }
        }
        if let Err(e) = shadow.execute_batch(&sql) {
            // Virtual tables of modules this build lacks are kept out of the scratch copy.
            if kind == "table"
                && sql
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("create virtual")
            {
                continue;
            }
            return Err(Error::sqlite(
                format!("copying the definition of {kind} \"{name}\""),
                e,
            ));
        }
    }
    shadow
        .execute_batch("COMMIT")
        .map_err(|e| Error::sqlite("preparing a scratch database", e))?;
    Ok(shadow)
}
