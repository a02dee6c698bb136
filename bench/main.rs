//! kit's benchmark harness (issue 4). Run with `cargo bench --bench rebuild`; see bench/README.md.
//!
//! It builds the reference workload (users + orders, N rows each, fixed seed) once per N in a
//! temporary directory, copies the file for every run, and times each variant as a child
//! process (wall time and peak RSS via wait4):
//!
//! - `kit`: the release binary, `kit rebuild --db run.db --sql <W> --quiet`;
//! - `baseline`: this harness re-executed as `--child <mode> run.db`, running hand-written SQL
//!   through the same bundled SQLite (rusqlite) as kit;
//! - `floor`: the same, with the checks left out;
//! - peers (optional): Alembic batch mode and sqlite-utils `transform`, through bench/peers.py.
//!
//! It also times planning on a generated 2,000-table schema, and `kit throwaway-reset` of a
//! generated 150-table project (schema, seed rows, migrations) as a whole process, on SQLite
//! and on PostgreSQL (a throwaway cluster started like the test harness's, or the server
//! KIT_BENCH_PG_URL names; without either the PostgreSQL rows are skipped with a note).
//!
//! Environment: KIT_BENCH_ONLY (sections to run, comma-separated: `rebuild`, `planning`,
//! `reset`; default all three), KIT_BENCH_N (e.g. `100k` or `100000,1M`; default `100k,1M,4M`),
//! KIT_BENCH_RUNS (default 5), KIT_BENCH_DIR (where the temporary directory goes),
//! KIT_BENCH_PEERS=0 (skip peers), KIT_BENCH_PYTHON (interpreter for peers),
//! KIT_BENCH_PLAN_TABLES (default 2000; 0 skips planning), KIT_BENCH_PHASES=0 (skip the
//! per-statement breakdown), KIT_BENCH_RESET_TABLES (default 150; 0 skips the reset),
//! KIT_BENCH_RESET_RUNS (default 15), KIT_BIN (kit binary), KIT_BENCH_BASELINE_PRAGMAS (SQL run
//! by the baseline and floor after opening: an experiment knob), KIT_BENCH_PG_URL (a PostgreSQL
//! server the reset section may create and drop `kit_bench_*` databases on),
//! KIT_BENCH_SCALE_TABLES (sizes of the large-schema section, default `150,2000`; empty skips
//! it), KIT_BENCH_SCALE_RUNS (default 3), KIT_BENCH_SCALE_CHECK_MAX (the largest size `kit check`
//! is timed at, default 2000). Issue 12, big tables: KIT_BENCH_WORKLOADS (`W1,W2`),
//! KIT_BENCH_JOURNAL (`delete`, `wal` or both), KIT_BENCH_BASELINE=0 (skip the 12-step
//! baseline), KIT_BENCH_KIT_B (other kit binaries, `:`-separated, as extra columns) and
//! KIT_BENCH_FLOOR_B_PRAGMAS (floors after other settings, `|`-separated).

use rusqlite::{params, Connection};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The PostgreSQL test harness (a throwaway cluster), reused for the reset figures.
#[path = "../tests/common/pg.rs"]
mod pg;

mod baseline;
mod format;
mod machine;
mod measure;
mod phases;
mod planning;
mod report;
mod reset;
mod scale;
mod workload;

use baseline::*;
use format::*;
use machine::*;
use measure::*;
use phases::*;
use planning::*;
use report::*;
use reset::*;
use scale::*;
use workload::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() >= 4 && args[1] == "--child" {
        std::process::exit(child_main(
            &args[2],
            Path::new(&args[3]),
            args.get(4).map(String::as_str),
        ));
    }
    // `cargo bench` passes `--bench` (and maybe a filter): nothing to do with them.

    let ns: Vec<u64> = env_or("KIT_BENCH_N", "100k,1M,4M")
        .split(',')
        .map(|s| parse_n(s).unwrap_or_else(|| panic!("KIT_BENCH_N: cannot read {s:?}")))
        .collect();
    let runs: usize = env_or("KIT_BENCH_RUNS", "5")
        .parse()
        .expect("KIT_BENCH_RUNS");
    let runs = runs.max(1);
    let plan_tables: usize = env_or("KIT_BENCH_PLAN_TABLES", "2000")
        .parse()
        .expect("KIT_BENCH_PLAN_TABLES");
    let reset_tables: usize = env_or("KIT_BENCH_RESET_TABLES", "150")
        .parse()
        .expect("KIT_BENCH_RESET_TABLES");
    let reset_runs: usize = env_or("KIT_BENCH_RESET_RUNS", "15")
        .parse()
        .expect("KIT_BENCH_RESET_RUNS");
    let reset_runs = reset_runs.max(1);
    let scale_tables: Vec<usize> = env_or("KIT_BENCH_SCALE_TABLES", "150,2000")
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().expect("KIT_BENCH_SCALE_TABLES"))
        .filter(|n| *n > 0)
        .collect();
    let scale_runs: usize = env_or("KIT_BENCH_SCALE_RUNS", "3")
        .parse()
        .expect("KIT_BENCH_SCALE_RUNS");
    let scale_runs = scale_runs.max(1);
    let scale_check_max: usize = env_or("KIT_BENCH_SCALE_CHECK_MAX", "2000")
        .parse()
        .expect("KIT_BENCH_SCALE_CHECK_MAX");
    let workloads: Vec<Workload> = env_or("KIT_BENCH_WORKLOADS", "W1,W2")
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| match s.trim().to_ascii_uppercase().as_str() {
            "W1" => Workload::W1,
            "W2" => Workload::W2,
            other => panic!("KIT_BENCH_WORKLOADS: unknown workload {other:?} (W1, W2)"),
        })
        .collect();
    let journals: Vec<Journal> = env_or("KIT_BENCH_JOURNAL", "delete")
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| match s.trim().to_ascii_lowercase().as_str() {
            "delete" => Journal::Delete,
            "wal" => Journal::Wal,
            other => panic!("KIT_BENCH_JOURNAL: unknown journal mode {other:?} (delete, wal)"),
        })
        .collect();
    let only: Vec<String> = env_or("KIT_BENCH_ONLY", "rebuild,planning,reset,scale")
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    for o in &only {
        assert!(
            ["rebuild", "planning", "reset", "scale"].contains(&o.as_str()),
            "KIT_BENCH_ONLY: unknown section {o:?} (rebuild, planning, reset, scale)"
        );
    }
    let section = |name: &str| only.iter().any(|o| o == name);
    let ns = if section("rebuild") { ns } else { Vec::new() };
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let venv_python = manifest.join("target/bench-venv/bin/python");
    let env = Env {
        kit: std::env::var_os("KIT_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kit"))),
        me: std::env::current_exe().expect("current_exe"),
        python: std::env::var_os("KIT_BENCH_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                if venv_python.exists() {
                    venv_python
                } else {
                    PathBuf::from("python3")
                }
            }),
        peers_py: manifest.join("bench/peers.py"),
    };
    let mut notes: Vec<String> = Vec::new();
    let header = machine();
    eprintln!("bench: {header}");
    eprintln!("bench: kit binary {}", env.kit.display());

    let parent = std::env::var_os("KIT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let tmp = tempfile::Builder::new()
        .prefix("kit-bench-")
        .tempdir_in(&parent)
        .expect("temporary directory");
    let dir = tmp.path();

    // Peers, when installed.
    let mut variants = vec![
        Variant {
            name: "kit",
            runner: Runner::Kit(None),
        },
        Variant {
            name: "baseline",
            runner: Runner::Harness("", None),
        },
        Variant {
            name: "floor",
            runner: Runner::Harness("", None),
        },
    ];
    let with_baseline = env_or("KIT_BENCH_BASELINE", "1") != "0";
    // Experiment variants, reported as extra columns against the floor of the same run.
    let mut extra_names: Vec<&'static str> = Vec::new();
    if let Ok(list) = std::env::var("KIT_BENCH_KIT_B") {
        // Other kit binaries, separated by `:`: kit B, or kit B1, kit B2, ...
        let list: Vec<&str> = list.split(':').filter(|s| !s.is_empty()).collect();
        for (i, b) in list.iter().enumerate() {
            let name: &'static str = if list.len() == 1 {
                "kit B"
            } else {
                Box::leak(format!("kit B{}", i + 1).into_boxed_str())
            };
            notes.push(format!("{name}: {b}"));
            variants.push(Variant {
                name,
                runner: Runner::Kit(Some(PathBuf::from(b))),
            });
            extra_names.push(name);
        }
    }
    if let Ok(list) = std::env::var("KIT_BENCH_FLOOR_B_PRAGMAS") {
        // Several experiments separated by `|`: floor B1, floor B2, ...
        let list: Vec<&str> = list.split('|').map(str::trim).collect();
        for (i, p) in list.iter().enumerate() {
            let name: &'static str = if list.len() == 1 {
                "floor B"
            } else {
                Box::leak(format!("floor B{}", i + 1).into_boxed_str())
            };
            notes.push(format!("{name}: the floor after `{p}`"));
            variants.push(Variant {
                name,
                runner: Runner::Harness("", Some(p.to_string())),
            });
            extra_names.push(name);
        }
    }
    let mut peer_names: Vec<&'static str> = Vec::new();
    if !section("rebuild") {
        // Nothing to compare the peers with.
    } else if env_or("KIT_BENCH_PEERS", "1") != "0" {
        for (tool, label) in [
            ("alembic", "alembic batch"),
            ("sqlite-utils", "sqlite-utils transform"),
        ] {
            let ok = Command::new(&env.python)
                .arg(&env.peers_py)
                .arg("--check")
                .arg(tool)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                variants.push(Variant {
                    name: label,
                    runner: Runner::Peer(tool),
                });
                peer_names.push(label);
                // Interpreter start + imports, which every peer run pays.
                let mut cmd = Command::new(&env.python);
                cmd.arg(&env.peers_py).arg(tool).arg("noop").arg("-");
                let mut t = Vec::new();
                for _ in 0..3 {
                    if let Ok(s) = run_child(&mut cmd, &dir.join("peer.log")) {
                        t.push(s.wall);
                    }
                }
                if !t.is_empty() {
                    notes.push(format!(
                        "{label}: Python start + imports alone take {} (included in its times)",
                        fmt_d(median(t))
                    ));
                }
            } else {
                notes.push(format!(
                    "{label}: skipped, not installed for {} (bash bench/setup-peers.sh installs bench/requirements.txt)",
                    env.python.display()
                ));
            }
        }
    } else {
        notes.push("peers skipped (KIT_BENCH_PEERS=0)".into());
    }

    let mut rows_out: Vec<String> = Vec::new();
    let mut phase_out: Vec<String> = Vec::new();
    let run_db = dir.join("run.db");
    let log = dir.join("child.log");
    let mut templates: Vec<(u64, PathBuf)> = Vec::new();
    for &n in &ns {
        let template = dir.join(format!("ref-{n}.db"));
        let t0 = Instant::now();
        let mut cmd = Command::new(&env.me);
        cmd.args(["--child", "build"])
            .arg(&template)
            .arg(n.to_string());
        if let Err(e) = run_child(&mut cmd, &dir.join("build.log")) {
            panic!("building the reference workload: {e}");
        }
        let size = fs::metadata(&template).map(|m| m.len()).unwrap_or(0);
        let expect = fingerprint(&Connection::open(&template).unwrap()).unwrap();
        eprintln!(
            "bench: N={}: reference database {:.1} MiB built in {}",
            fmt_n(n),
            size as f64 / 1048576.0,
            fmt_d(t0.elapsed())
        );
        for &journal in &journals {
            // The WAL variant: the same file, switched to WAL (the switch is a header change;
            // closing the connection checkpoints and removes the -wal file).
            let source = match journal {
                Journal::Delete => template.clone(),
                Journal::Wal => {
                    let wal = dir.join(format!("ref-{n}-wal.db"));
                    fs::copy(&template, &wal).expect("copying the reference database");
                    let c = Connection::open(&wal).expect("opening the WAL copy");
                    let mode: String = c
                        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                        .expect("switching to WAL");
                    assert_eq!(mode, "wal", "journal_mode = WAL refused");
                    drop(c);
                    wal
                }
            };
            for &w in &workloads {
                let vs: Vec<Variant> = variants
                    .iter()
                    .cloned()
                    .map(|mut v| {
                        if let Runner::Harness(_, pragmas) = v.runner {
                            let mode = match (w, v.name) {
                                (Workload::W1, "baseline") => "w1-baseline",
                                (Workload::W1, _) => "w1-floor",
                                (Workload::W2, "baseline") => "w2-baseline",
                                (Workload::W2, _) => "w2-floor",
                            };
                            v.runner = Runner::Harness(mode, pragmas);
                        }
                        v
                    })
                    .collect();
                let mut measured: Vec<Measured> = vs
                    .iter()
                    .map(|_| Measured {
                        samples: Vec::new(),
                        failed: None,
                        problems: Vec::new(),
                    })
                    .collect();
                let label = format!("{}{}", w.label(), journal.suffix());
                let load_before = load_average();
                for r in 0..runs {
                    // Alternate, and rotate who goes first, so drift and cache state are shared.
                    for k in 0..vs.len() {
                        let i = (k + r) % vs.len();
                        if measured[i].failed.is_some()
                            || (vs[i].name == "baseline" && !with_baseline)
                        {
                            continue;
                        }
                        remove_run_files(&run_db);
                        fs::copy(&source, &run_db).expect("copying the reference database");
                        let res = run_child(&mut vs[i].command(&env, w, &run_db), &log);
                        match res {
                            Ok(s) => {
                                eprintln!(
                                    "bench: N={} {label} run {}/{runs}: {:<22} {:>9}  {}",
                                    fmt_n(n),
                                    r + 1,
                                    vs[i].name,
                                    fmt_d(s.wall),
                                    fmt_mib(s.max_rss_kib)
                                );
                                measured[i].samples.push(s);
                                if r == 0 {
                                    measured[i].problems = verify(&run_db, w, expect, n, journal);
                                }
                            }
                            Err(e) => {
                                eprintln!(
                                    "bench: N={} {label} {}: FAILED: {e}",
                                    fmt_n(n),
                                    vs[i].name
                                );
                                measured[i].failed = Some(e);
                            }
                        }
                        remove_run_files(&run_db);
                    }
                }
                notes.push(format!(
                    "N={} {label}: load average {load_before} before the runs, {} after",
                    fmt_n(n),
                    load_average()
                ));
                let med: Vec<Option<Duration>> = measured.iter().map(Measured::median).collect();
                let mut row = format!(
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    fmt_n(n),
                    label,
                    fmt_opt(med[0], &measured[0]),
                    fmt_opt(med[1], &measured[1]),
                    fmt_opt(med[2], &measured[2]),
                    ratio(med[0], med[1]),
                    ratio(med[0], med[2]),
                    med[0].map_or("-".into(), |d| fmt_rate(n, d)),
                    measured[0].peak_rss().map_or("-".into(), fmt_mib),
                    measured[1].peak_rss().map_or("-".into(), fmt_mib),
                );
                for (i, _) in extra_names.iter().enumerate() {
                    let k = 3 + i;
                    let cell = match med[k] {
                        Some(d) => format!(
                            "{} ({} floor, {})",
                            fmt_d(d),
                            ratio(Some(d), med[2]),
                            measured[k].peak_rss().map_or("-".into(), fmt_mib)
                        ),
                        None => fmt_opt(None, &measured[k]),
                    };
                    let _ = write!(row, " {cell} |");
                }
                for (i, _) in peer_names.iter().enumerate() {
                    let k = 3 + extra_names.len() + i;
                    let cell = match med[k] {
                        Some(d) => format!("{} ({}x)", fmt_d(d), ratio(Some(d), med[0])),
                        None => fmt_opt(None, &measured[k]),
                    };
                    let _ = write!(row, " {cell} |");
                }
                rows_out.push(row);
                for (v, m) in vs.iter().zip(&measured) {
                    if let Some(e) = &m.failed {
                        notes.push(format!("N={} {label} {}: failed: {e}", fmt_n(n), v.name));
                    }
                    if !m.problems.is_empty() {
                        notes.push(format!(
                            "N={} {label} {}: result differs from the expected schema: {}",
                            fmt_n(n),
                            v.name,
                            m.problems.join("; ")
                        ));
                    }
                }
            }
            if journal == Journal::Wal {
                let _ = fs::remove_file(&source);
            }
        }
        templates.push((n, template));
    }
    let harness_rss = HARNESS_RSS_KIB.load(std::sync::atomic::Ordering::Relaxed);

    // In-process parts last, so that the harness stays small while it spawns the runs.
    if env_or("KIT_BENCH_PHASES", "1") != "0" {
        for (n, template) in &templates {
            let n = *n;
            for w in workloads.iter().copied() {
                for (who, res) in [
                    ("kit", phases(template, dir, w)),
                    ("baseline", baseline_phases(template, dir, w)),
                ] {
                    match res {
                        Ok(ph) => {
                            let total = ph.last().map(|p| p.1).unwrap_or_default();
                            phase_out.push(format!(
                                "\n#### N = {}, {}: where the {who}'s time goes (one in-process run, total {})\n\n| step | time | share |\n|---|---:|---:|",
                                fmt_n(n),
                                w.label(),
                                fmt_d(total)
                            ));
                            for (label, d) in &ph[..ph.len() - 1] {
                                phase_out.push(format!(
                                    "| `{}` | {} | {:.0}% |",
                                    label.replace('|', "\\|"),
                                    fmt_d(*d),
                                    100.0 * d.as_secs_f64() / total.as_secs_f64()
                                ));
                            }
                        }
                        Err(e) => notes.push(format!(
                            "N={} {} {who}: in-process breakdown failed: {e}",
                            fmt_n(n),
                            w.label()
                        )),
                    }
                }
            }
        }
    }
    for (_, t) in &templates {
        let _ = fs::remove_file(t);
    }
    let planning = if plan_tables > 0 && section("planning") {
        Some(bench_planning(&env, dir, plan_tables, runs))
    } else {
        None
    };

    let has_reset = Command::new(&env.kit)
        .arg("--help")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("throwaway-reset"));
    let reset = if reset_tables > 0 && section("reset") && has_reset {
        Some(bench_reset(&env, dir, reset_tables, reset_runs))
    } else {
        None
    };

    let scale: Vec<ScaleFigures> = if section("scale") {
        scale_tables
            .iter()
            .map(|t| bench_scale(&env, dir, *t, scale_runs, scale_check_max))
            .collect()
    } else {
        Vec::new()
    };
    let add_columns = if section("scale") && !scale_tables.is_empty() {
        bench_add_columns(&env, dir, scale_runs)
    } else {
        Vec::new()
    };

    // The report.
    let mut out = String::new();
    let _ = writeln!(out, "## kit rebuild benchmark\n\n{header}\n");
    if !rows_out.is_empty() {
        write_rebuild_table(&mut out, runs, &extra_names, &peer_names, &rows_out);
    }
    if let Some(r) = &reset {
        write_reset(&mut out, r, &mut notes);
    }
    if let Some(p) = &planning {
        let _ = writeln!(
            out,
            "\n### Planning W1 on a {}-table schema ({} schema objects), median of {runs}\n",
            p.tables, p.objects
        );
        let _ = writeln!(out, "| what | median |\n|---|---:|");
        let cell = |d: Option<Duration>| d.map_or("-".to_string(), fmt_d);
        let _ = writeln!(
            out,
            "| `kit::plan_sql` (read + plan, in-process) | {} |",
            cell(p.plan)
        );
        let _ = writeln!(
            out,
            "| `kit::open` + `kit::plan_sql` | {} |",
            cell(p.open_plan)
        );
        let _ = writeln!(
            out,
            "| `kit rebuild --dry-run` (whole process) | {} |",
            cell(p.dry_run)
        );
        let _ = writeln!(
            out,
            "| for reference: `kit::read_schema` of every object | {} |",
            cell(p.read_schema)
        );
        let _ = writeln!(
            out,
            "| for reference: `kit::sqlite::read::shadow_copy` of every object | {} |",
            cell(p.shadow_copy)
        );
        if let Some(n) = &p.note {
            notes.push(format!("planning: {n}"));
        }
    }
    if !scale.is_empty() {
        write_scale(&mut out, &scale, scale_runs);
    }
    if !add_columns.is_empty() {
        write_add_columns(&mut out, &add_columns, scale_runs);
    }
    if let Ok(extra) = std::env::var("KIT_BENCH_BASELINE_PRAGMAS") {
        notes.push(format!(
            "baseline and floor ran with KIT_BENCH_BASELINE_PRAGMAS=`{extra}` (an experiment, not the reference settings)"
        ));
    }
    if !rows_out.is_empty() {
        notes.push(format!(
            "peak RSS is the child's ru_maxrss (wait4), which on Linux starts from the RSS of the harness at spawn: at most {} here, so small figures are upper bounds",
            fmt_mib(harness_rss)
        ));
    }
    if !has_reset {
        notes
            .push("throwaway-reset (150 tables): not measured, kit has no such command yet".into());
    }
    for p in &phase_out {
        let _ = writeln!(out, "{p}");
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "\n### Notes\n");
        for n in &notes {
            let _ = writeln!(out, "- {n}");
        }
    }
    print!("{out}");
}
