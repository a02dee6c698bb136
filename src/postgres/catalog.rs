//! Reading the live tables of a PostgreSQL database from `pg_catalog`, as a model kit's
//! translation can use: for each table of the connection's current schema a `CREATE TABLE` in
//! SQLite's dialect, with each column's exact PostgreSQL type kept as a
//! `-- kit:postgresql-type` override, `kit_nocase` back as `COLLATE NOCASE`, and every
//! constraint under the name PostgreSQL gave it; then stand-ins for its indexes and views.
//!
//! Translating an ad hoc change (`kit rebuild --db postgresql://... --sql`) needs the tables as
//! they are: a type change's `USING`, a boolean column's default, the real names of the
//! constraints a `DROP CONSTRAINT` addresses. The statements are loaded into a scratch model by
//! the caller.
//!
//! A constraint whose name is the default name kit gives an unnamed one (`t_pkey`,
//! `t_c_check`, ...) is left unnamed in the model, as the migrations that made it wrote it, so a
//! rename made with `kit rebuild` renames it along (`RENAME CONSTRAINT`) as a migration's does,
//! and the default names keep agreeing with SQLite's.

use super::{statement_error, Sql};
use crate::error::Result;
use crate::sql::quote_ident;
use postgres::GenericClient;

/// The tables (name, columns) of the current schema, kit's own tables left out.
const COLUMNS: &str =
    "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
     coalesce(co.collname::text, '') \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
     LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 100 \
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
     ORDER BY c.relname, a.attnum";

/// The indexes that are not a constraint's: name, table, unique, and the columns they read
/// (keys, expressions and predicate, from `pg_depend`).
const INDEXES: &str = "SELECT i.relname::text, t.relname::text, x.indisunique, \
     array(SELECT a.attname::text FROM pg_depend d JOIN pg_attribute a \
       ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
       WHERE d.classid = 'pg_class'::regclass AND d.objid = x.indexrelid \
       AND d.refobjid = x.indrelid AND d.refobjsubid > 0 ORDER BY a.attnum) \
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
     JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
     WHERE n.nspname = current_schema() \
     AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) \
     ORDER BY i.relname";

/// The views, in creation order.
const VIEWS: &str = "SELECT c.relname::text FROM pg_class c \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm') ORDER BY c.oid";

/// The constraints of those tables: table, name, definition.
const CONSTRAINTS: &str = "SELECT c.relname::text, k.conname::text, pg_get_constraintdef(k.oid) \
     FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname = current_schema() AND k.contype IN ('p', 'u', 'c', 'f') \
     ORDER BY c.relname, k.contype = 'f', k.conname";

/// One item of a `CREATE TABLE` (a column or a constraint) and the comment after its comma.
type Item = (String, Option<String>);

/// A constraint of a table: its name and its definition for the model.
type Constraint = (String, String);

/// A SQLite type of the same affinity as a PostgreSQL type (the exact type rides along as the
/// override).
fn sqlite_type(pg: &str) -> &'static str {
    let t = pg.to_ascii_lowercase();
    if t.contains("int") {
        "INTEGER"
    } else if t.contains("char") || t.contains("text") || t.contains("json") || t == "uuid" {
        "TEXT"
    } else if t == "bytea" {
        "BLOB"
    } else if t.contains("double") || t == "real" || t.contains("float") {
        "REAL"
    } else if t == "boolean" {
        "BOOLEAN"
    } else {
        "NUMERIC"
    }
}

/// The `CREATE TABLE` statements (SQLite's dialect) of the current schema's tables, with
/// PostgreSQL's exact column types as `-- kit:postgresql-type` overrides and every
/// constraint named as PostgreSQL named it.
pub fn tables_ddl(client: &mut impl GenericClient) -> Result<Vec<String>> {
    let cols = client
        .query(COLUMNS, &[])
        .map_err(|e| statement_error(&e, &Sql::new(COLUMNS)))?;
    let cons = client
        .query(CONSTRAINTS, &[])
        .map_err(|e| statement_error(&e, &Sql::new(CONSTRAINTS)))?;
    // Per table: its items (a column or a constraint) and the override comment of each.
    let mut tables: Vec<(String, Vec<Item>)> = Vec::new();
    for r in &cols {
        let (table, column, pg_type, not_null, collation): (String, String, String, bool, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        if crate::diff::KIT_TABLES.contains(&table.as_str()) {
            continue;
        }
        let item = format!(
            "{} {}{}{}",
            quote_ident(&column),
            sqlite_type(&pg_type),
            if not_null { " NOT NULL" } else { "" },
            // The collation kit translates NOCASE to, back as NOCASE.
            if collation == super::translate::NOCASE_COLLATION {
                " COLLATE NOCASE"
            } else {
                ""
            }
        );
        let comment = Some(format!("kit:postgresql-type {pg_type}"));
        match tables.last_mut() {
            Some((t, items)) if *t == table => items.push((item, comment)),
            _ => tables.push((table, vec![(item, comment)])),
        }
    }
    // Per table: its constraints (name, definition for the model).
    let mut constraints: Vec<(String, Vec<Constraint>)> = Vec::new();
    for r in &cons {
        let (table, name, read): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        // A CHECK in PostgreSQL's own syntax (casts) is kept by name and the columns it uses
        // only: the model needs the constraint's name (a default name comes from the one
        // column used), and SQLite must be able to read the definition.
        let def = if read.starts_with("CHECK") && read.contains("::") {
            let used: String = cols
                .iter()
                .filter(|c| c.get::<_, String>(0) == table)
                .map(|c| c.get::<_, String>(1))
                .filter(|c| crate::sql::mentions(&read, c))
                .map(|c| format!(" OR {} IS NULL", quote_ident(&c)))
                .collect();
            format!("CHECK (1{used})")
        } else {
            read
        };
        match constraints.last_mut() {
            Some((t, list)) if *t == table => list.push((name, def)),
            _ => constraints.push((table, vec![(name, def)])),
        }
    }
    for (table, list) in constraints {
        if let Some((_, items)) = tables.iter_mut().find(|(t, _)| *t == table) {
            let defaults = default_names(&table, items, &list);
            for ((name, def), default) in list.iter().zip(defaults) {
                let item = match default {
                    Some(d) if d == *name => def.clone(),
                    _ => format!("CONSTRAINT {} {def}", quote_ident(name)),
                };
                items.push((item, None));
            }
        }
    }
    let mut out: Vec<String> = tables
        .iter()
        .map(|(t, items)| create_table(t, items))
        .collect();
    out.extend(objects_ddl(client, &tables)?);
    Ok(out)
}

/// Stand-ins for the indexes (not a constraint's) and views of the current schema, so that a
/// change naming them (`DROP INDEX`, `DROP VIEW`) finds them in the model: each index on the
/// columns it reads (a column it reads cannot go unnoticed), each view as `SELECT 1` (the
/// model never writes a view back: PostgreSQL keeps its own definition).
fn objects_ddl(
    client: &mut impl GenericClient,
    tables: &[(String, Vec<Item>)],
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let indexes = client
        .query(INDEXES, &[])
        .map_err(|e| statement_error(&e, &Sql::new(INDEXES)))?;
    for r in &indexes {
        let (name, table, unique, cols): (String, String, bool, Vec<String>) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        if !tables.iter().any(|(t, _)| *t == table) {
            continue; // kit's own tables
        }
        let mut cols: Vec<String> = cols.iter().map(|c| quote_ident(c)).collect();
        cols.dedup();
        if cols.is_empty() {
            continue; // an index on constants only: nothing a change could break
        }
        out.push(format!(
            "CREATE {}INDEX {} ON {} ({})",
            if unique { "UNIQUE " } else { "" },
            quote_ident(&name),
            quote_ident(&table),
            cols.join(", ")
        ));
    }
    let views = client
        .query(VIEWS, &[])
        .map_err(|e| statement_error(&e, &Sql::new(VIEWS)))?;
    for r in &views {
        let name: String = r.get(0);
        out.push(format!("CREATE VIEW {} AS SELECT 1", quote_ident(&name)));
    }
    Ok(out)
}

/// The default name kit gives each of `list`'s constraints (name, definition for the model)
/// when unnamed, on table `table` with columns `columns`; `None` where it
/// cannot tell (then the constraint keeps its name in the model).
fn default_names(table: &str, columns: &[Item], list: &[Constraint]) -> Vec<Option<String>> {
    let mut items = columns.to_vec();
    items.extend(list.iter().map(|(_, def)| (def.clone(), None)));
    let Ok(parsed) = crate::schema::parse_create_table(&create_table(table, &items)) else {
        return vec![None; list.len()];
    };
    (0..list.len())
        .map(|index| {
            super::translate::pg_default_name(
                &parsed,
                crate::schema::ConstraintPlace::Table { index },
            )
        })
        .collect()
}

/// `CREATE TABLE t (items)`, each item on its line with its comment after its comma.
fn create_table(table: &str, items: &[Item]) -> String {
    let mut s = format!("CREATE TABLE {} (\n", quote_ident(table));
    for (i, (item, comment)) in items.iter().enumerate() {
        s.push_str("  ");
        s.push_str(item);
        if i + 1 < items.len() {
            s.push(',');
        }
        if let Some(c) = comment {
            s.push_str(" -- ");
            s.push_str(c);
        }
        s.push('\n');
    }
    s.push(')');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_of_postgresql_types() {
        assert_eq!(sqlite_type("bigint"), "INTEGER");
        assert_eq!(sqlite_type("character varying(20)"), "TEXT");
        assert_eq!(sqlite_type("bytea"), "BLOB");
        assert_eq!(sqlite_type("double precision"), "REAL");
        assert_eq!(sqlite_type("timestamp without time zone"), "NUMERIC");
    }

    #[test]
    fn overrides_stay_on_their_column() {
        let sql = create_table(
            "t",
            &[
                (
                    "\"a\" INTEGER".into(),
                    Some("kit:postgresql-type bigint".into()),
                ),
                (
                    "\"b\" NUMERIC".into(),
                    Some("kit:postgresql-type numeric(10,2)".into()),
                ),
            ],
        );
        let t = crate::schema::parse_create_table(&sql).unwrap();
        assert_eq!(
            crate::postgres::translate::type_override(&t, 0)
                .unwrap()
                .as_deref(),
            Some("bigint")
        );
        assert_eq!(
            crate::postgres::translate::type_override(&t, 1)
                .unwrap()
                .as_deref(),
            Some("numeric(10,2)")
        );
    }
}
