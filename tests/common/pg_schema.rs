//! Reading a PostgreSQL database back for the end-to-end tests: its schema as PostgreSQL's
//! catalog renders it, its tables' columns, every row normalised by type class, and the
//! `kit_migrations` table. Include it with `#[path = "common/pg_schema.rs"] mod pg_schema;`
//! (next to `common/pg.rs`).
#![allow(dead_code)]

use postgres::Client;

/// A value as both databases can be compared: by type class (SQLite's affinity on one side,
/// PostgreSQL's type on the other).
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    /// NULL.
    Null,
    /// An integer (SQLite INTEGER, PostgreSQL smallint/integer/bigint).
    Int(i64),
    /// A real (SQLite REAL, PostgreSQL double precision/real/numeric), compared exactly.
    Real(f64),
    /// Text (also dates and times, as text).
    Text(String),
    /// Bytes (SQLite BLOB, PostgreSQL bytea).
    Blob(Vec<u8>),
    /// A boolean (SQLite 0/1 in a BOOLEAN column, PostgreSQL boolean).
    Bool(bool),
}

/// The type class of a column, from which values are normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Integers.
    Int,
    /// Reals.
    Real,
    /// Text.
    Text,
    /// Bytes.
    Blob,
    /// Booleans.
    Bool,
}

/// The class of a PostgreSQL type (as `format_type` renders it).
pub fn pg_class(ty: &str) -> Class {
    let t = ty.to_ascii_lowercase();
    if ["smallint", "integer", "bigint"].contains(&t.as_str()) {
        Class::Int
    } else if t.starts_with("double") || t == "real" || t.starts_with("numeric") {
        Class::Real
    } else if t == "bytea" {
        Class::Blob
    } else if t == "boolean" {
        Class::Bool
    } else {
        Class::Text
    }
}

/// The class of a SQLite declared type: BOOLEAN/BOOL are booleans; dates, times, JSON and
/// UUIDs are text (SQLite stores them as text, PostgreSQL reads them back as text); the rest
/// by SQLite's affinity rules (NUMERIC affinity counts as real).
pub fn sqlite_class(declared: &str) -> Class {
    let t = declared.to_ascii_uppercase();
    let base = t.split('(').next().unwrap_or("").trim();
    if base == "BOOLEAN" || base == "BOOL" {
        Class::Bool
    } else if t.contains("INT") {
        Class::Int
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") || t.is_empty() {
        Class::Text
    } else if t.contains("BLOB") {
        Class::Blob
    } else if t.contains("DATE") || t.contains("TIME") || base == "JSON" || base == "UUID" {
        Class::Text
    } else {
        Class::Real
    }
}

/// A SQLite value normalised to `class`.
pub fn from_sqlite(v: &rusqlite::types::Value, class: Class) -> V {
    use rusqlite::types::Value as S;
    match (v, class) {
        (S::Null, _) => V::Null,
        (S::Integer(i), Class::Bool) => V::Bool(*i != 0),
        (S::Integer(i), Class::Real) => V::Real(*i as f64),
        (S::Integer(i), Class::Text) => V::Text(i.to_string()),
        (S::Integer(i), _) => V::Int(*i),
        (S::Real(f), Class::Text) => V::Text(f.to_string()),
        (S::Real(f), _) => V::Real(*f),
        (S::Text(s), Class::Int) => s.parse().map_or_else(|_| V::Text(s.clone()), V::Int),
        (S::Text(s), Class::Real) => s.parse().map_or_else(|_| V::Text(s.clone()), V::Real),
        (S::Text(s), _) => V::Text(s.clone()),
        (S::Blob(b), _) => V::Blob(b.clone()),
    }
}

/// A PostgreSQL value, read as text, normalised to `class`.
pub fn from_pg(text: Option<String>, class: Class) -> V {
    let Some(s) = text else { return V::Null };
    match class {
        Class::Int => V::Int(s.parse().unwrap_or_else(|_| panic!("integer {s:?}"))),
        Class::Real => V::Real(s.parse().unwrap_or_else(|_| panic!("real {s:?}"))),
        Class::Bool => V::Bool(s == "t" || s == "true"),
        Class::Blob => {
            let hex = s
                .strip_prefix("\\x")
                .unwrap_or_else(|| panic!("bytea {s:?}"));
            V::Blob(
                (0..hex.len() / 2)
                    .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                    .collect(),
            )
        }
        Class::Text => V::Text(s),
    }
}

/// Quotes a name for PostgreSQL.
pub fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Rows of `sql` with every column read as text (NULL as `None`).
pub fn text_rows(c: &mut Client, sql: &str) -> Vec<Vec<Option<String>>> {
    c.query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {}", show(&e)))
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r.get::<_, Option<String>>(i))
                .collect()
        })
        .collect()
}

/// Rows of `sql` as strings (NULL as `NULL`).
pub fn strings(c: &mut Client, sql: &str) -> Vec<Vec<String>> {
    text_rows(c, sql)
        .into_iter()
        .map(|r| r.into_iter().map(|v| v.unwrap_or("NULL".into())).collect())
        .collect()
}

fn show(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

/// The tables of the current schema, sorted.
pub fn tables(c: &mut Client) -> Vec<String> {
    strings(
        c,
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect()
}

/// A table's columns in order: (name, type as `format_type` renders it, NOT NULL).
pub fn columns(c: &mut Client, table: &str) -> Vec<(String, String, bool)> {
    strings(
        c,
        &format!(
            "SELECT attname::text, format_type(atttypid, atttypmod), attnotnull::text \
             FROM pg_attribute WHERE attrelid = to_regclass('{}') AND attnum > 0 \
             AND NOT attisdropped ORDER BY attnum",
            q(table).replace('\'', "''")
        ),
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone(), r[2] == "true"))
    .collect()
}

/// Every row of `table`, normalised by each column's type class, ordered by all columns.
pub fn rows(c: &mut Client, table: &str) -> Vec<Vec<V>> {
    let cols = columns(c, table);
    let list: Vec<String> = cols
        .iter()
        .map(|(n, _, _)| format!("{}::text", q(n)))
        .collect();
    let order: Vec<String> = (1..=cols.len()).map(|i| i.to_string()).collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        list.join(", "),
        q(table),
        order.join(", ")
    );
    text_rows(c, &sql)
        .into_iter()
        .map(|r| {
            r.into_iter()
                .zip(&cols)
                .map(|(v, (_, ty, _))| from_pg(v, pg_class(ty)))
                .collect()
        })
        .collect()
}

/// The database's schema as PostgreSQL renders it, one line per item: columns (type,
/// nullability, default, identity, generated), constraints, indexes, views, triggers and
/// functions of the current schema. With `kit_tables` false, `kit_migrations` is left out.
pub fn schema(c: &mut Client, kit_tables: bool) -> Vec<String> {
    let keep = |name: &str| kit_tables || !name.starts_with("kit_migrations");
    let mut out = Vec::new();
    for r in strings(
        c,
        "SELECT c.relname::text, c.relkind::text, a.attnum::text, a.attname::text, \
         format_type(a.atttypid, a.atttypmod), a.attnotnull::text, \
         coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity::text, \
         a.attgenerated::text, coalesce(co.collname::text, '') \
         FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid \
         LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum \
         LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 100 \
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v', 'm') \
         AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 3",
    ) {
        if keep(&r[0]) {
            out.push(format!(
                "{} {} column {}: {} notnull={} default={} identity={} generated={} collate={}",
                if r[1] == "r" { "table" } else { "view" },
                r[0],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                r[9]
            ));
        }
    }
    for r in strings(
        c,
        "SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) \
         FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2",
    ) {
        if keep(&r[0]) {
            out.push(format!("constraint {} {}: {}", r[0], r[1], r[2]));
        }
    }
    for r in strings(
        c,
        "SELECT tablename::text, indexname::text, indexdef FROM pg_indexes \
         WHERE schemaname = current_schema() ORDER BY 2",
    ) {
        if keep(&r[0]) {
            out.push(format!("index {}: {}", r[1], r[2]));
        }
    }
    for r in strings(
        c,
        "SELECT viewname::text, definition FROM pg_views WHERE schemaname = current_schema() \
         ORDER BY 1",
    ) {
        out.push(format!("view {}: {}", r[0], r[1]));
    }
    for r in strings(
        c,
        "SELECT tgname::text, pg_get_triggerdef(t.oid) FROM pg_trigger t \
         JOIN pg_class c ON c.oid = t.tgrelid \
         WHERE NOT tgisinternal AND c.relnamespace = current_schema()::regnamespace ORDER BY 1",
    ) {
        out.push(format!("trigger {}: {}", r[0], r[1]));
    }
    for r in strings(
        c,
        "SELECT proname::text, pg_get_functiondef(oid) FROM pg_proc \
         WHERE pronamespace = current_schema()::regnamespace ORDER BY 1",
    ) {
        out.push(format!("function {}: {}", r[0], r[1]));
    }
    for r in strings(
        c,
        "SELECT collname::text, collprovider::text FROM pg_collation \
         WHERE collnamespace = current_schema()::regnamespace ORDER BY 1",
    ) {
        out.push(format!("collation {}: {}", r[0], r[1]));
    }
    out
}

/// A database's schema lines and each table's rows.
pub type Snapshot = (Vec<String>, Vec<(String, Vec<Vec<V>>)>);

/// The schema and every row of every table (kit_migrations without its times).
pub fn snapshot(c: &mut Client) -> Snapshot {
    let schema = schema(c, true);
    let mut data = Vec::new();
    for t in tables(c) {
        let rows = if t == "kit_migrations" {
            strings(
                c,
                "SELECT version, name, checksum FROM kit_migrations ORDER BY version",
            )
            .into_iter()
            .map(|r| r.into_iter().map(V::Text).collect())
            .collect()
        } else {
            rows(c, &t)
        };
        data.push((t, rows));
    }
    (schema, data)
}

/// The versions in `kit_migrations`, in order (none when the table does not exist).
pub fn applied(c: &mut Client) -> Vec<String> {
    let exists = strings(
        c,
        "SELECT (to_regclass('kit_migrations') IS NOT NULL)::text",
    );
    if exists[0][0] != "true" {
        return vec![];
    }
    strings(c, "SELECT version FROM kit_migrations ORDER BY version")
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

/// The rows of a SQLite query, each value normalised by its column's type class in `classes`.
pub fn sqlite_values(c: &rusqlite::Connection, sql: &str, classes: &[Class]) -> Vec<Vec<V>> {
    let mut st = c.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    st.query_map([], |r| {
        (0..classes.len())
            .map(|i| Ok(from_sqlite(&r.get(i)?, classes[i])))
            .collect()
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// Every row of a SQLite table, normalised by its columns' declared types, sorted.
pub fn sqlite_rows(c: &rusqlite::Connection, table: &str) -> Vec<Vec<V>> {
    let classes: Vec<Class> = c
        .prepare("SELECT type FROM pragma_table_info(?1)")
        .unwrap()
        .query_map([table], |r| Ok(sqlite_class(&r.get::<_, String>(0)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut rows = sqlite_values(c, &format!("SELECT * FROM {}", q(table)), &classes);
    rows.sort_by_key(|r| format!("{r:?}"));
    rows
}

/// Every row of a PostgreSQL table (see [`rows`]), sorted as [`sqlite_rows`] sorts.
pub fn sorted_rows(c: &mut Client, table: &str) -> Vec<Vec<V>> {
    let mut rows = rows(c, table);
    rows.sort_by_key(|r| format!("{r:?}"));
    rows
}

/// (name, type class, NOT NULL with a primary key counted) of each column of a SQLite table.
pub fn sqlite_column_classes(c: &rusqlite::Connection, table: &str) -> Vec<(String, Class, bool)> {
    c.prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)")
        .unwrap()
        .query_map([table], |r| {
            let ty: String = r.get(1)?;
            let nn: bool = r.get(2)?;
            let pk: i64 = r.get(3)?;
            Ok((r.get(0)?, sqlite_class(&ty), nn || pk > 0))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// (name, type class, NOT NULL) of each column of a PostgreSQL table.
pub fn column_classes(c: &mut Client, table: &str) -> Vec<(String, Class, bool)> {
    columns(c, table)
        .into_iter()
        .map(|(n, ty, nn)| (n, pg_class(&ty), nn))
        .collect()
}
