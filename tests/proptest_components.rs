//! A property test of phased runs (issue 11): random components (each owning one table, with
//! random dependencies among them) and random migrations of each (columns added, typed and
//! dropped, defaults, indexes, keys into a dependency's table, rows inserted and updated),
//! every statement in a random phase its kind allows, and the statements on one object going
//! forward in phase order (the discipline phases ask for: phases run across every migration of
//! a run, so a type set in `pre_alter` by a newer migration would run before one set in
//! `alter` by an older one). From the same start, one phased run of
//! every pending migration must reach exactly the schema and rows that applying the migrations
//! one by one in the schedule's order reaches; when the phased run is refused (a later phase
//! of one migration can need what an earlier phase of another removed), the database file is
//! byte-identical.
//!
//! Fixed seed by default (`KIT_PT_SEED=random` or a number explores others), 32 cases
//! (`KIT_PT_COMPONENT_CASES=n`), outcome counts with `KIT_PT_STATS=1`; failures are kept in
//! `proptest-regressions/proptest_components.txt`.

mod common;

use kit::migrate::Direction;
use kit::phased::{self, ComponentStatus, Schedule, UpTarget};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestCaseError, TestRunner};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One generated statement: its kind, the phase choice and a parameter.
type Op = (u8, u8, u8);

/// A generated case: how many components, each one's dependency mask over the earlier ones,
/// and the migrations (component index, statements).
#[derive(Debug, Clone)]
struct Case {
    deps: Vec<u8>,
    migrations: Vec<(u8, Vec<Op>)>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(any::<u8>(), 1..=3),
        prop::collection::vec(
            (
                any::<u8>(),
                prop::collection::vec((0u8..9, any::<u8>(), 1u8..50), 1..5),
            ),
            1..6,
        ),
    )
        .prop_map(|(deps, migrations)| Case { deps, migrations })
}

/// What the generator knows of a component's table as the migrations go, in order: the
/// columns added, the type of `b`, a counter for names, and the latest phase each object
/// (`b`'s type, `a`'s default) was changed in.
struct TableState {
    added: Vec<String>,
    b_text: bool,
    next: usize,
    last: std::collections::BTreeMap<&'static str, usize>,
}

/// The phases of `allowed` not before the latest phase `object` was changed in (phases run
/// across every migration of a run, so statements on one object must go forward in phase
/// order for the run to mean what the migrations one by one mean).
fn forward(s: &TableState, object: &str, allowed: &[&'static str]) -> Vec<&'static str> {
    let last = s.last.get(object).copied().unwrap_or(0);
    allowed
        .iter()
        .copied()
        .filter(|p| kit::components::phase_index(p).unwrap_or(0) >= last)
        .collect()
}

/// The files of a case: the config and every migration file (path, text).
fn files(c: &Case) -> (String, Vec<(String, String)>) {
    let n = c.deps.len();
    let mut config = String::from("database = \"app.db\"\n");
    let mut depends: Vec<Vec<usize>> = Vec::new();
    for i in 0..n {
        let d: Vec<usize> = (0..i).filter(|j| c.deps[i] & (1 << j) != 0).collect();
        let list: Vec<String> = d.iter().map(|j| format!("\"c{j}\"")).collect();
        config.push_str(&format!(
            "\n[components.c{i}]\nschema = \"c{i}/schema.sql\"\nmigrations = \"c{i}/migrations\"\ndepends = [{}]\n",
            list.join(", ")
        ));
        depends.push(d);
    }
    let mut out = Vec::new();
    let mut state: Vec<TableState> = Vec::new();
    for i in 0..n {
        out.push((
            format!("c{i}/migrations/0001_create.sql"),
            format!("-- kit:up\nCREATE TABLE t{i} (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);\nINSERT INTO t{i} (a, b) VALUES (1, 'x'), (2, 'y'), (3, NULL);\n-- kit:down\nDROP TABLE t{i};\n"),
        ));
        state.push(TableState {
            added: Vec::new(),
            b_text: true,
            next: 0,
            last: Default::default(),
        });
    }
    let mut version = vec![1u32; n];
    for (comp, ops) in &c.migrations {
        let i = *comp as usize % n;
        version[i] += 1;
        let t = format!("t{i}");
        let mut up = String::from("-- kit:up\n");
        for &(kind, choice, p) in ops {
            let pick = |phases: &[&str]| phases[choice as usize % phases.len()].to_string();
            let s = &mut state[i];
            let (phase, sql) = match kind {
                0 => {
                    let ok = forward(s, "columns", &["pre_alter", "alter"]);
                    let Some(phase) = ok.get(choice as usize % ok.len().max(1)) else {
                        continue;
                    };
                    s.last
                        .insert("columns", kit::components::phase_index(phase).unwrap_or(0));
                    s.next += 1;
                    let col = format!("c{}", s.next);
                    s.added.push(col.clone());
                    (
                        phase.to_string(),
                        format!("ALTER TABLE {t} ADD COLUMN {col} INTEGER DEFAULT {p}"),
                    )
                }
                1 => (pick(&["data"]), format!("UPDATE {t} SET a = a + {p}")),
                2 => (
                    pick(&["data"]),
                    format!("INSERT INTO {t} (a, b) VALUES ({p}, 'v{p}')"),
                ),
                3 | 4 => {
                    let object = if kind == 3 { "b type" } else { "a default" };
                    let ok = forward(s, object, &["pre_alter", "alter", "cleanup"]);
                    let Some(phase) = ok.get(choice as usize % ok.len().max(1)) else {
                        continue;
                    };
                    s.last
                        .insert(object, kit::components::phase_index(phase).unwrap_or(0));
                    let sql = if kind == 3 {
                        s.b_text = !s.b_text;
                        let ty = if s.b_text { "TEXT" } else { "INTEGER" };
                        format!("ALTER TABLE {t} ALTER COLUMN b TYPE {ty}")
                    } else {
                        format!("ALTER TABLE {t} ALTER COLUMN a SET DEFAULT {p}")
                    };
                    (phase.to_string(), sql)
                }
                5 => match s.added.pop() {
                    Some(col) => (
                        pick(&["cleanup"]),
                        format!("ALTER TABLE {t} DROP COLUMN {col}"),
                    ),
                    None => continue,
                },
                // A row whose key is taken: the whole run must be refused.
                8 if p % 4 == 0 => (
                    pick(&["data", "cleanup"]),
                    format!("INSERT INTO {t} (id) VALUES (1)"),
                ),
                8 => continue,
                6 => {
                    s.next += 1;
                    (
                        pick(&["indexes"]),
                        format!("CREATE INDEX {t}_ix{} ON {t} (a)", s.next),
                    )
                }
                _ => match depends[i].get(choice as usize % depends[i].len().max(1)) {
                    Some(j) if forward(s, "columns", &["alter"]).len() == 1 => {
                        s.last.insert(
                            "columns",
                            kit::components::phase_index("alter").unwrap_or(0),
                        );
                        s.next += 1;
                        let col = format!("r{}", s.next);
                        s.added.push(col.clone());
                        (
                            "alter".to_string(),
                            format!(
                                "ALTER TABLE {t} ADD COLUMN {col} INTEGER REFERENCES t{j} (id)"
                            ),
                        )
                    }
                    _ => continue,
                },
            };
            up.push_str(&format!("-- kit:phase {phase}\n{sql};\n"));
        }
        up.push_str("-- kit:no-down\n");
        out.push((format!("c{i}/migrations/{:04}_m.sql", version[i]), up));
    }
    (config, out)
}

/// Writes a case's project into `dir` with every component's first migration applied.
fn project(dir: &Path, c: &Case) -> kit::config::Config {
    let (config, migrations) = files(c);
    std::fs::write(dir.join("sqlite.toml"), config).unwrap();
    for (rel, text) in &migrations {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let cfg = kit::config::Config::load(&dir.join("sqlite.toml"), None).unwrap();
    rusqlite::Connection::open(&cfg.database).unwrap();
    // The first versions: each component's table, in one run.
    run(&cfg, |st| {
        let firsts: Vec<kit::migrate::Migration> = st
            .iter()
            .flat_map(|s| s.status.pending().into_iter().take(1).cloned())
            .collect();
        Ok(firsts)
    })
    .expect("the first versions apply");
    cfg
}

/// One phased run of what `pick` chooses.
fn run(
    cfg: &kit::config::Config,
    pick: impl Fn(&[ComponentStatus]) -> kit::Result<Vec<kit::migrate::Migration>>,
) -> kit::Result<usize> {
    let loaded = phased::load(&cfg.components())?;
    let mut db = kit::db::open(cfg)?;
    let make = |st: &[ComponentStatus]| Schedule::new(pick(st)?, Direction::Up);
    let (s, _, _) = phased::run(
        db.as_mut(),
        &loaded,
        &make,
        false,
        &mut kit::Observer::default(),
    )?;
    Ok(s.migrations.len())
}

/// The schema (kit's model) and every row of every table.
fn state(
    cfg: &kit::config::Config,
) -> (
    kit::schema::Schema,
    std::collections::BTreeMap<String, Vec<Vec<rusqlite::types::Value>>>,
) {
    let conn = rusqlite::Connection::open(&cfg.database).unwrap();
    let schema = kit::sqlite::read::read_schema(&conn).unwrap();
    let rows = schema
        .tables
        .keys()
        .filter(|t| t.starts_with('t'))
        .map(|t| {
            let rows = common::query(&conn, &format!("SELECT * FROM \"{t}\" ORDER BY id"));
            (t.clone(), rows)
        })
        .collect();
    (schema, rows)
}

static APPLIED: AtomicUsize = AtomicUsize::new(0);
static REFUSED: AtomicUsize = AtomicUsize::new(0);

fn check(c: &Case) -> Result<(), TestCaseError> {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ca = project(a.path(), c);
    let cb = project(b.path(), c);
    let before = std::fs::read(&ca.database).unwrap();
    let all = |st: &[ComponentStatus]| phased::upgrade_schedule(st, &UpTarget::All);
    match run(&ca, all) {
        Err(e) => {
            REFUSED.fetch_add(1, Ordering::Relaxed);
            prop_assert!(!e.to_string().contains("panicked"));
            prop_assert_eq!(
                std::fs::read(&ca.database).unwrap(),
                before,
                "a refused run leaves the file byte-identical ({})",
                e
            );
        }
        Ok(n) => {
            APPLIED.fetch_add(1, Ordering::Relaxed);
            // One by one, in the schedule's order.
            for _ in 0..n {
                let one = |st: &[ComponentStatus]| {
                    Ok(phased::upgrade_schedule(st, &UpTarget::All)?
                        .into_iter()
                        .take(1)
                        .collect())
                };
                run(&cb, one).map_err(|e| {
                    TestCaseError::fail(format!("the phased run applied, one by one fails: {e}"))
                })?;
            }
            let (sa, ra) = state(&ca);
            let (sb, rb) = state(&cb);
            let d = kit::diff::diff(&sa, &sb, &kit::diff::Renames::default()).unwrap();
            prop_assert!(d.is_empty(), "schemas differ:\n{}", d.script());
            prop_assert_eq!(ra, rb, "rows differ");
        }
    }
    Ok(())
}

fn rng_seed() -> RngSeed {
    match std::env::var("KIT_PT_SEED").ok().as_deref() {
        Some("random") => RngSeed::Random,
        Some(n) => n.parse().map_or(RngSeed::Random, RngSeed::Fixed),
        None => RngSeed::Fixed(0x6b69_7400_0000_0011),
    }
}

#[test]
fn phased_runs_match_one_by_one() {
    let cases = std::env::var("KIT_PT_COMPONENT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let mut runner = TestRunner::new(Config {
        cases,
        max_shrink_iters: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/proptest_components.txt",
        ))),
        rng_seed: rng_seed(),
        ..Config::default()
    });
    let result = runner.run(&case(), |c| check(&c));
    if std::env::var_os("KIT_PT_STATS").is_some() {
        eprintln!(
            "phased runs: {} applied (equal to one by one), {} refused (file unchanged)",
            APPLIED.load(Ordering::Relaxed),
            REFUSED.load(Ordering::Relaxed)
        );
    }
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        APPLIED.load(Ordering::Relaxed) > 0,
        "no generated run applied: the generator tests nothing"
    );
}
