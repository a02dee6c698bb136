//! Parity as a property: the random schemas and changes of `tests/common/gen` (those of
//! `diff_properties`), kept to what PostgreSQL can take, are written as two migrations (the
//! tables, then kit's changes as applied on SQLite) and replayed on both databases by
//! `kit::judge::parity` (SQLite in memory, PostgreSQL in a scratch schema that is rolled back).
//! Parity must hold: no statement PostgreSQL rejects, no logical difference between the two
//! results. What is generated is kept portable up front ([`portable`]: no STRICT or WITHOUT
//! ROWID tables, no SQLite trigger bodies, text columns (the generator's expressions are
//! written for any SQLite column), defaults and
//! generated expressions, foreign keys and keys other than the rowid's left out, CHECKs
//! and indexes type-neutral; changes to a type PostgreSQL cannot
//! cast to are not generated), so a refusal is a failure unless kit refuses at plan time for a
//! reason the README documents ([`DOCUMENTED`]). 32 cases by default from a fixed seed
//! (`KIT_PT_PARITY_CASES=n`, `KIT_PT_SEED=random`), `KIT_PT_STATS=1` prints the outcome
//! counts; failure seeds are kept in `proptest-regressions/proptest_parity.txt`.

#[path = "common/gen/mod.rs"]
mod gen;
#[path = "common/pg.rs"]
mod pg;

use gen::*;
use std::path::Path;
use std::sync::Mutex;

/// Plan-time refusals kit documents (a statement with no PostgreSQL form): counted, not failed.
const DOCUMENTED: &[&str] = &["cannot be translated to PostgreSQL"];

/// Declared types (indexes into `TYPES`): the text ones, so that the generator's CHECKs and
/// index expressions (`length(c)`, `lower(c)`, `c <> 'zz'`), which SQLite takes on any column,
/// are well typed on PostgreSQL too.
const PORTABLE_TYPES: &[u8] = &[2, 7];

/// Keeps a recipe to what PostgreSQL can take.
fn portable(mut c: CaseR) -> CaseR {
    for t in &mut c.tables {
        t.wr = false;
        t.strict = false;
        t.trigger = None;
        // A foreign key between a text column and an INTEGER PRIMARY KEY: PostgreSQL refuses
        // the type mismatch SQLite takes (a trap of its own, not what this property is about).
        t.fk = None;
        t.rows.clear();
        // `typeof(c)` is SQLite's own function; `c + 1` is arithmetic on text.
        // The key column is an INTEGER PRIMARY KEY whatever its recipe says: CHECKs and index
        // expressions over functions of text (`length`, `lower`, `COLLATE`) are not well typed
        // on it in PostgreSQL, so only the type-neutral ones are generated.
        // SQLite lets a PRIMARY KEY column other than an INTEGER PRIMARY KEY hold NULL, and
        // the generator never declares key columns NOT NULL: a trap parity reports (see
        // tests/pg_parity.rs), so only the rowid key (or none) is generated here.
        t.pk %= 2;
        if t.pk == 1 {
            t.cols[0].nocase = false; // an INTEGER key has no collation on PostgreSQL
                                      // A UNIQUE over the key: PostgreSQL makes none (a trap parity reports).
            t.cols[0].unique = false;
            t.tunique = None;
        }
        t.tcheck = None;
        // The same UNIQUE twice (on a column and on the table): PostgreSQL makes one.
        if t.tunique.is_some() {
            for col in &mut t.cols {
                col.unique = false;
            }
        }
        // Two distinct columns in a two-column view (PostgreSQL refuses a view whose column
        // names repeat, SQLite takes it: a trap of its own).
        if let Some((_, a, b)) = &mut t.view {
            *a %= 128;
            *b = *a + 1;
        } // table CHECKs compare two columns, of different types here
        for ix in &mut t.indexes {
            ix.kind %= 4;
            // Two distinct columns for the two-column index (else it falls back to `c + 1`).
            ix.a %= 128;
            ix.b = ix.a + 1;
        }
        for col in &mut t.cols {
            col.ty = PORTABLE_TYPES[col.ty as usize % PORTABLE_TYPES.len()];
            col.dflt = None;
            col.gen = None;
            if let Some((k, _)) = &mut col.check {
                *k = 3;
            }
            let text = matches!(TYPES[col.ty as usize], "TEXT" | "VARCHAR(20)");
            col.nocase &= text;
        }
    }
    c
}

/// True for a change PostgreSQL can take: no type change of the key, no SQLite table options, no type outside the
/// portable ones, no default (its literal may not be of the column's type), no foreign key.
fn portable_change(m: &Model, ch: &Change) -> bool {
    let a = ch.action.to_ascii_uppercase();
    // The rowid key is an identity on PostgreSQL, which stays an integer.
    let key_retyped = a.starts_with("ALTER COLUMN") && a.contains(" TYPE ") && {
        m.tables
            .iter()
            .filter(|t| eq_i(&t.name, &ch.table))
            .any(|t| {
                t.cols.iter().any(|c| {
                    c.cons.iter().any(|k| matches!(k.kind, CK::Pk(_)))
                        && ch
                            .action
                            .starts_with(&format!("ALTER COLUMN {} ", q(&c.name)))
                })
            })
    };
    // A UNIQUE or PRIMARY KEY constraint is an index on PostgreSQL, whose names are the
    // schema's: one named like another table's constraint is refused there (a trap of its own).
    let shared_name = a.starts_with("ADD CONSTRAINT")
        && (a.contains(" UNIQUE") || a.contains(" PRIMARY KEY"))
        && m.tables
            .iter()
            .filter(|t| !eq_i(&t.name, &ch.table))
            .any(|t| {
                t.all_cons().iter().any(|k| {
                    k.name.as_deref().is_some_and(|n| {
                        ch.action.starts_with(&format!("ADD CONSTRAINT {} ", q(n)))
                            || a.starts_with(&format!(
                                "ADD CONSTRAINT {} ",
                                q(&n.to_ascii_uppercase())
                            ))
                    })
                })
            });
    // A new column without a declared type holds any value on SQLite (a trap parity reports).
    let words: Vec<&str> = a.split_whitespace().collect();
    let type_at = if words.get(1) == Some(&"COLUMN") {
        3
    } else {
        2
    };
    let untyped = words.first() == Some(&"ADD")
        && words.get(1) != Some(&"CONSTRAINT")
        && words.get(type_at).is_none_or(|w| {
            [
                "NOT",
                "NULL",
                "CHECK",
                "CONSTRAINT",
                "UNIQUE",
                "REFERENCES",
                "COLLATE",
                "PRIMARY",
                "DEFAULT",
                "GENERATED",
            ]
            .contains(w)
        });
    if key_retyped || shared_name || untyped {
        return false;
    }
    let types_ok = match a.find(" TYPE ") {
        Some(at) => {
            let ty = a[at + 6..].trim();
            PORTABLE_TYPES
                .iter()
                .any(|&i| ty.starts_with(TYPES[i as usize]))
                && !ty.starts_with("INTEGER PRIMARY")
        }
        None => true,
    };
    types_ok
        && !a.contains("STRICT")
        && !a.contains("ROWID")
        && !a.contains("DEFAULT")
        && !a.contains("GENERATED")
        && !a.contains("REFERENCES") // a text column to an INTEGER key: see `portable`
        && !a.contains(" IS NOT \"") // a CHECK comparing two columns, of different types
        && !a.contains(" USING ") // the generator's USING is arithmetic, on text columns here
        && !a.contains("LENGTH(") // text functions, on a column that may be an integer key
        && !a.contains("LOWER(")
        // A new column's CHECK and collation are written for text (`length(c)`).
        && (!a.starts_with("ADD")
            || a.starts_with("ADD CONSTRAINT")
            || !(a.contains("COLLATE") || a.contains("CHECK"))
            || a.contains("TEXT")
            || a.contains("VARCHAR"))
}

#[derive(Default)]
struct Stats {
    cases: u64,
    parity: u64,
    refused: u64,
    changes: u64,
    skipped_changes: u64,
    reasons: BTreeMap<String, u64>,
}

static STATS: Mutex<Option<Stats>> = Mutex::new(None);

fn stats(f: impl FnOnce(&mut Stats)) {
    f(STATS.lock().unwrap().get_or_insert_with(Stats::default));
}

fn migration(file: &str, up: &str) -> kit::migrate::Migration {
    let text = format!("-- kit:up\n{up}\n-- kit:down\n");
    kit::migrate::parse_migration(Path::new(file), text.as_bytes()).unwrap()
}

fn run_parity_case(client: &mut postgres::Client, c: &CaseR) -> Result<(), TestCaseError> {
    let mut a = Connection::open_in_memory().unwrap();
    a.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let scratch = Connection::open_in_memory().unwrap();
    let Built { mut model, setup } = build(c, &a, &scratch);
    let setup_text = format!("{};\n", setup.join(";\n"));
    // kit's changes on SQLite, the portable ones, up to the first refusal.
    let mut applied = String::new();
    for r in &c.ops {
        let Some(ch) = make_change(&mut model, r, &scratch) else {
            continue;
        };
        if !portable_change(&model, &ch) {
            stats(|s| {
                s.skipped_changes += 1;
                *s.reasons.entry(format!("cut at {}", ch.kind)).or_default() += 1;
            });
            break; // the model moved past it: later changes would not match the database
        }
        let sql = script(&[(ch, false)]);
        if kit::run_sql(&mut a, &sql).is_err() {
            break;
        }
        stats(|s| s.changes += 1);
        applied.push_str(&format!("{sql};\n"));
    }
    let m1 = migration("0001_tables.sql", &setup_text);
    let m2 = migration("0002_changes.sql", &applied);
    let problems = kit::judge::parity(client, &[&m1, &m2])
        .map_err(|e| TestCaseError::fail(format!("parity failed to run: {e}")))?;
    stats(|s| s.cases += 1);
    if problems.is_empty() {
        stats(|s| s.parity += 1);
        return Ok(());
    }
    let lines: Vec<String> = problems.iter().map(|p| p.0.clone()).collect();
    if lines
        .iter()
        .all(|l| DOCUMENTED.iter().any(|d| l.contains(d)))
    {
        stats(|s| {
            s.refused += 1;
            for l in &lines {
                let reason = l.lines().next().unwrap_or("").to_string();
                *s.reasons.entry(reason).or_default() += 1;
            }
        });
        return Ok(());
    }
    Err(TestCaseError::fail(format!(
        "parity does not hold:\n{}\n--- 0001_tables.sql:\n{setup_text}--- 0002_changes.sql:\n{applied}",
        lines.join("\n")
    )))
}

#[test]
fn parity_properties() {
    let db = pg::database();
    let client = std::cell::RefCell::new(db.client());
    let mut runner = runner(
        "KIT_PT_PARITY_CASES",
        32,
        256,
        "proptest-regressions/proptest_parity.txt",
    );
    let result = runner.run(&case_r().prop_map(portable), |c| {
        run_parity_case(&mut client.borrow_mut(), &c)
    });
    if std::env::var("KIT_PT_STATS").is_ok_and(|v| !v.is_empty()) {
        if let Some(s) = STATS.lock().unwrap().as_ref() {
            eprintln!(
                "parity cases {} at parity {} refused (documented) {}; changes applied {}, cases cut at a non-portable change {}",
                s.cases, s.parity, s.refused, s.changes, s.skipped_changes
            );
            for (r, n) in &s.reasons {
                eprintln!("  {n:4} {r}");
            }
        }
    }
    if let Err(e) = result {
        panic!("{e}");
    }
}
