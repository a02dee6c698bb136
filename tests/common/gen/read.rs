//! Reading a generated SQLite database back for the diff and parity properties: its schema
//! text, kit's diff to a target text, a column's rows as text, columns and their types,
//! and integrity.

use super::*;

/// The schema text of a database: every CREATE statement in creation order.
pub fn schema_text(conn: &Connection) -> String {
    let mut st = conn
        .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid")
        .unwrap();
    let rows: Vec<String> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.iter().map(|s| format!("{s};\n")).collect()
}

/// kit's diff from the database on `conn` to `target`.
pub fn diff_to(conn: &Connection, target: &str) -> kit::Result<kit::diff::Diff> {
    let live = kit::read_schema(conn)?;
    let (_mem, schema) = kit::sqlite::load::load_schema(target, "target")?;
    kit::diff::diff(&live, &schema, &kit::diff::Renames::default())
}

/// Every row of `cols` of `table`, sorted, as text.
pub fn column_rows(conn: &Connection, table: &str, cols: &[String]) -> Vec<String> {
    let list: Vec<String> = cols.iter().map(|c| format!("quote({})", q(c))).collect();
    let sql = format!("SELECT {} FROM {}", list.join(" || '|' || "), q(table));
    let mut st = conn.prepare(&sql).unwrap();
    let mut rows: Vec<String> = st
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.sort();
    rows
}

/// Column names and declared types of a table (columns whose default is the clock excluded:
/// two databases fill them at different times).
pub fn columns_of(conn: &Connection, table: &str) -> Vec<(String, String)> {
    let mut st = conn
        .prepare("SELECT name, type FROM pragma_table_xinfo(?1) WHERE hidden = 0 AND coalesce(dflt_value, '') NOT LIKE '%current%'")
        .unwrap();
    st.query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

pub fn health(conn: &Connection) -> Result<(), String> {
    let ic: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    if ic != "ok" {
        return Err(format!("integrity_check: {ic}"));
    }
    let fk: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    if fk != 0 {
        return Err(format!("{fk} foreign key violation(s)"));
    }
    Ok(())
}
