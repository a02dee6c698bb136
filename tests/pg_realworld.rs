//! kit's translation on the real-world SQLite schemas in `../shared/realworld` (the databases'
//! stored DDL and the schema files): every table, index and view either runs on PostgreSQL as
//! translated or is refused at plan time with a reason. The only PostgreSQL errors allowed are
//! on views and indexes: its type checks, which SQLite's affinity lets through
//! (`boolean = integer`), the application functions SQLite had registered, and views over
//! those; they are reported. Foreign keys to tables created later, and foreign-key cycles, are
//! handled as kit's diff does: tables first, then `ALTER TABLE ADD FOREIGN KEY`.

#[path = "common/pg.rs"]
mod pg;
#[path = "common/realworld.rs"]
mod realworld;

use kit::error::Error;
use kit::postgres::translate;
use kit::schema::{
    parse_create_table, ColumnConstraintKind, ConstraintPlace, Schema, Table, TableConstraintKind,
};
use realworld::REALWORLD;
use std::path::Path;

/// One schema object: its kind (`table`, `index`, ...), where it was written, and its SQL.
struct Object {
    kind: String,
    place: String,
    sql: String,
}

/// What loading one schema on PostgreSQL gave.
#[derive(Default)]
struct Outcome {
    ran: usize,
    refused: Vec<String>,
    by_postgres: Vec<String>,
    failures: Vec<String>,
}

/// The objects of a SQLite database file, tables first: its stored DDL.
fn db_objects(path: &Path) -> Vec<Object> {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let mut st = c
        .prepare(
            "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL \
             AND name NOT LIKE 'sqlite_%' ORDER BY type <> 'table', rowid",
        )
        .unwrap();
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    let rows = st
        .query_map([], |r| {
            let (kind, name, sql): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            Ok(Object {
                place: format!("{file}: {kind} {name}"),
                kind,
                sql,
            })
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// The CREATE statements of a schema file, in order.
fn file_objects(path: &Path) -> Vec<Object> {
    let text = std::fs::read_to_string(path).unwrap();
    let shown = path
        .strip_prefix(REALWORLD)
        .unwrap_or(path)
        .display()
        .to_string();
    kit::sql::split_statements(&text)
        .unwrap()
        .into_iter()
        .filter_map(|p| {
            let words: Vec<String> = p
                .text
                .split_whitespace()
                .take(4)
                .map(str::to_ascii_lowercase)
                .filter(|w| !["temp", "temporary", "unique", "virtual"].contains(&w.as_str()))
                .collect();
            (words.first()? == "create").then(|| Object {
                kind: words.get(1).cloned().unwrap_or_default(),
                place: format!("{shown}:{}", kit::sql::line_col(&text, p.offset).0),
                sql: p.text,
            })
        })
        .collect()
}

/// `table` without its foreign keys, and those as `CONSTRAINT name FOREIGN KEY ...` texts.
fn without_foreign_keys(table: &Table) -> (Table, Vec<String>) {
    let names = table.named_constraints();
    let name_at = |place| {
        names
            .iter()
            .find(|n| n.place == place)
            .map(|n| kit::sql::quote_ident(&n.name))
            .unwrap()
    };
    let mut bare = table.clone();
    let mut fks = Vec::new();
    for (ci, col) in bare.columns.iter_mut().enumerate() {
        let mut ki = 0;
        col.constraints.retain(|k| {
            let keep = !matches!(k.kind, ColumnConstraintKind::References(_));
            if !keep {
                let refs = &k.text[k.text.to_ascii_lowercase().find("references").unwrap()..];
                fks.push(format!(
                    "CONSTRAINT {} FOREIGN KEY ({}) {refs}",
                    name_at(ConstraintPlace::Column {
                        column: ci,
                        index: ki
                    }),
                    kit::sql::quote_ident(&col.name)
                ));
            }
            ki += 1;
            keep
        });
    }
    let mut index = 0;
    bare.constraints.retain(|c| {
        let keep = !matches!(c.kind, TableConstraintKind::ForeignKey { .. });
        if !keep {
            fks.push(match &c.name {
                Some(_) => c.text.clone(),
                None => format!(
                    "CONSTRAINT {} {}",
                    name_at(ConstraintPlace::Table { index }),
                    c.text
                ),
            });
        }
        index += 1;
        keep
    });
    (bare, fks)
}

/// Runs `statements` in one transaction; PostgreSQL's error on failure.
fn try_run(c: &mut postgres::Client, statements: &[String]) -> Result<(), String> {
    let mut tx = c.transaction().unwrap();
    for s in statements {
        tx.batch_execute(s)
            .map_err(|e| format!("{}\n{s}", pg::show(&e)))?;
    }
    tx.commit().map_err(|e| pg::show(&e))
}

/// Translates and runs every object on a fresh database.
fn load(objects: Vec<Object>) -> Outcome {
    let db = pg::database();
    let mut c = db.client();
    let mut out = Outcome::default();
    let mut schema = Schema::default();
    let mut pending: Vec<(Object, Vec<String>)> = Vec::new();
    for o in objects {
        match translate::statement(&o.sql, Some(&schema)) {
            Ok(tr) => {
                if o.kind == "table" {
                    if let Ok(t) = parse_create_table(&o.sql) {
                        schema.tables.insert(t.name.clone(), t);
                    }
                }
                pending.push((o, tr.statements));
            }
            Err(Error::Untranslatable(u)) => out
                .refused
                .push(format!("{}: {}: {}", o.place, u.object, u.reason)),
            Err(e) => out.failures.push(format!("{}: {e}", o.place)),
        }
    }
    let mut errors: Vec<(String, String, String)> = Vec::new(); // kind, place, error
    let mut later = Vec::new();
    loop {
        let before = pending.len();
        errors.clear();
        pending.retain(|(o, statements)| match try_run(&mut c, statements) {
            Ok(()) => {
                out.ran += 1;
                false
            }
            Err(e) => {
                errors.push((o.kind.clone(), o.place.clone(), e));
                true
            }
        });
        if pending.is_empty() {
            break;
        }
        if pending.len() < before {
            continue;
        }
        // Stuck: tables wait for each other. Create them without foreign keys.
        let (tables, rest): (Vec<_>, Vec<_>) =
            pending.drain(..).partition(|(o, _)| o.kind == "table");
        pending = rest;
        if tables.is_empty() {
            break;
        }
        for (o, _) in tables {
            let t = parse_create_table(&o.sql).unwrap();
            let (bare, fks) = without_foreign_keys(&t);
            let statements = translate::create_table(&bare).unwrap().statements;
            match try_run(&mut c, &statements) {
                Ok(()) => out.ran += 1,
                Err(e) => out.failures.push(format!("{}: {e}", o.place)),
            }
            let name = kit::sql::quote_ident(&t.name);
            later.extend(
                fks.into_iter()
                    .map(|fk| (o.place.clone(), format!("ALTER TABLE {name} ADD {fk}"))),
            );
        }
    }
    for (place, alter) in later {
        let statements = translate::statement(&alter, Some(&schema))
            .unwrap()
            .statements;
        if let Err(e) = try_run(&mut c, &statements) {
            out.failures.push(format!("{place}: {e}"));
        }
    }
    for (kind, place, e) in errors {
        let allowed = ["(42883)", "(42804)", "(42P01)"]
            .iter()
            .any(|code| e.contains(code))
            && (kind == "view" || kind == "index");
        if allowed {
            out.by_postgres
                .push(format!("{place}: {}", e.lines().next().unwrap_or("")));
        } else {
            out.failures.push(format!("{place}: {e}"));
        }
    }
    out
}

fn check(sources: Vec<(String, Vec<Object>)>) {
    let mut failures = Vec::new();
    for (name, objects) in sources {
        let o = load(objects);
        eprintln!(
            "{name}: {} ran, {} refused by kit at plan time, {} by PostgreSQL",
            o.ran,
            o.refused.len(),
            o.by_postgres.len()
        );
        for r in o.refused.iter().chain(&o.by_postgres) {
            eprintln!("  {r}");
        }
        failures.extend(o.failures);
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn real_world_databases_translate_or_are_refused_with_a_reason() {
    let dir = Path::new(REALWORLD).join("dbs");
    check(
        realworld::files_under(&dir, "")
            .into_iter()
            .map(|f| (f.display().to_string(), db_objects(&f)))
            .collect(),
    );
}

#[test]
fn real_world_schema_files_translate_or_are_refused_with_a_reason() {
    let dir = Path::new(REALWORLD).join("schemas");
    check(
        realworld::files_under(&dir, "sql")
            .into_iter()
            .map(|f| (f.display().to_string(), file_objects(&f)))
            .collect(),
    );
}
