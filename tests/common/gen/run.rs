//! Running generated cases: changes joined into one script, type changes counted, and the
//! proptest runner every property shares (case count from an environment variable, fixed
//! seed unless `KIT_PT_SEED` says otherwise, failure seeds kept under `proptest-regressions/`).

use super::*;

/// Joins changes into a script: consecutive non-rename actions on one table may share one
/// `ALTER TABLE` (comma-separated).
pub fn script(changes: &[(Change, bool)]) -> String {
    let mut stmts: Vec<(String, Vec<String>, bool)> = Vec::new();
    for (c, join) in changes {
        if let Some(last) = stmts.last_mut() {
            if *join && !c.rename && !last.2 && last.0 == c.table {
                last.1.push(c.action.clone());
                continue;
            }
        }
        stmts.push((c.table.clone(), vec![c.action.clone()], c.rename));
    }
    stmts
        .into_iter()
        .map(|(t, actions, _)| format!("ALTER TABLE {} {}", q(&t), actions.join(", ")))
        .collect::<Vec<_>>()
        .join(";\n")
}

pub fn type_changes(script: &str, table: &str, col: &str) -> usize {
    let head = format!("ALTER TABLE {} ", q(table));
    let names = [col.to_string(), q(col)];
    script
        .lines()
        .filter(|l| l.starts_with(&head))
        .flat_map(|l| {
            l[head.len()..]
                .split(", ALTER COLUMN ")
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|a| {
            let a = a.trim_start_matches("ALTER COLUMN ");
            names.iter().any(|n| {
                a.starts_with(&format!("{n} TYPE "))
                    || a.starts_with(&format!("{n} SET DATA TYPE "))
            })
        })
        .count()
}

/// A runner of `cases` cases (or `$env` when set) keeping failure seeds in `regressions`.
pub fn runner(env: &str, cases: u32, shrink: u32, regressions: &'static str) -> TestRunner {
    let cases = std::env::var(env)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(Config {
        cases,
        max_shrink_iters: shrink,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        rng_seed: rng_seed(),
        ..Config::default()
    })
}

/// The seed of the generated cases: fixed by default, so every run (CI's included) explores
/// the same cases and a failure reproduces; `KIT_PT_SEED=random` (or a number) explores others,
/// and `PROPTEST_RNG_SEED` is honoured as proptest documents it.
pub fn rng_seed() -> RngSeed {
    const DEFAULT_SEED: u64 = 0x6b69_7400_0000_0008;
    if std::env::var_os("PROPTEST_RNG_SEED").is_some() {
        return Config::default().rng_seed;
    }
    match std::env::var("KIT_PT_SEED").ok().as_deref() {
        Some("random") => RngSeed::Random,
        Some(n) => n.parse().map_or(RngSeed::Random, RngSeed::Fixed),
        None => RngSeed::Fixed(DEFAULT_SEED),
    }
}
