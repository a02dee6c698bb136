//! The report's markdown tables: the rebuild table, the throwaway-reset table and its PostgreSQL
//! ratio, with the notes against each target.

use super::*;

pub(crate) fn write_rebuild_table(
    out: &mut String,
    runs: usize,
    extra_names: &[&str],
    peer_names: &[&str],
    rows: &[String],
) {
    let _ = writeln!(
        out,
        "Medians of {runs} alternating runs per variant, each a child process on a fresh copy of the reference database.\n"
    );
    let mut head = "| N | change | kit | baseline | floor | kit/baseline | kit/floor | kit rows/s | kit peak RSS | baseline peak RSS |".to_string();
    let mut rule = "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|".to_string();
    for e in extra_names {
        let _ = write!(head, " {e} (x floor, peak RSS) |");
        rule.push_str("---:|");
    }
    for p in peer_names {
        let _ = write!(head, " {p} (x kit) |");
        rule.push_str("---:|");
    }
    let _ = writeln!(out, "{head}\n{rule}");
    for r in rows {
        let _ = writeln!(out, "{r}");
    }
}

/// PostgreSQL's reset times as a ratio to SQLite's, both measured in this run (or why there
/// are none).
pub(crate) fn write_pg_ratio(out: &mut String, f: &ResetFigures) {
    if let Some(why) = &f.pg_skipped {
        let _ = writeln!(
            out,
            "\nPostgreSQL: not measured in this run ({}).",
            why.lines().next().unwrap_or("")
        );
        return;
    }
    let med = |i: usize| {
        f.rows
            .get(i)
            .filter(|r| r.failed.is_none() && !r.walls.is_empty())
            .map(|r| median(r.walls.clone()))
    };
    for (k, from) in ["schema", "migrations"].iter().enumerate() {
        if let (Some(pg), Some(lite)) = (med(PG_RESET_ROWS + k), med(k)) {
            let _ = writeln!(
                out,
                "{}PostgreSQL / SQLite, `from = \"{from}\"`: {} / {} = **{}x**.",
                if k == 0 { "\n" } else { "" },
                fmt_d(pg),
                fmt_d(lite),
                ratio(Some(pg), Some(lite))
            );
        }
    }
    if let (Some(pg), Some(floor)) = (med(PG_RESET_ROWS), med(PG_RESET_ROWS + 2)) {
        let _ = writeln!(
            out,
            "kit / floor on PostgreSQL, `from = \"schema\"`: {} / {} = {}x.",
            fmt_d(pg),
            fmt_d(floor),
            ratio(Some(pg), Some(floor))
        );
    }
}

/// Issue 4's target for a 150-table throwaway reset.
pub(crate) const RESET_TARGET: Duration = Duration::from_millis(300);

pub(crate) fn write_reset(out: &mut String, f: &ResetFigures, notes: &mut Vec<String>) {
    notes.extend(f.notes.iter().cloned());
    let Some(p) = &f.project else {
        return;
    };
    let _ = writeln!(
        out,
        "\n### Throwaway reset of a {}-table schema with {} seed rows, {} runs each\n",
        p.tables,
        fmt_n(p.rows as u64),
        f.runs
    );
    let _ = writeln!(
        out,
        "{} tables of 4 to 8 columns, {} indexes ({} partial) besides the {} UNIQUE ones, {} triggers, {} views; schema.sql {:.0} KiB, seed.sql {:.0} KiB ({} rows per table), {} migrations recorded. Each run is the whole process, deleting the previous throwaway first; one warm-up round is not counted.\n",
        p.tables,
        p.indexes,
        p.partial,
        p.tables,
        p.triggers,
        p.views,
        p.schema_bytes as f64 / 1024.0,
        p.seed_bytes as f64 / 1024.0,
        RESET_ROWS,
        p.migrations
    );
    let _ = writeln!(
        out,
        "| what | median | min | max | kit's own \"in X ms\", median | peak RSS |\n|---|---:|---:|---:|---:|---:|"
    );
    for r in &f.rows {
        if let Some(e) = &r.failed {
            let _ = writeln!(out, "| {} | failed | | | | |", r.label);
            notes.push(format!("reset: {}: failed: {e}", r.label));
            continue;
        }
        if r.walls.is_empty() {
            continue;
        }
        let inner = if r.inner.is_empty() {
            "-".to_string()
        } else {
            fmt_d(median(r.inner.clone()))
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {inner} | {} |",
            r.label,
            fmt_d(median(r.walls.clone())),
            fmt_d(*r.walls.iter().min().unwrap()),
            fmt_d(*r.walls.iter().max().unwrap()),
            fmt_mib(r.rss)
        );
    }
    write_pg_ratio(out, f);
    if let Some(r) = f
        .rows
        .first()
        .filter(|r| r.failed.is_none() && !r.walls.is_empty())
    {
        let m = median(r.walls.clone());
        let verdict = if m <= RESET_TARGET {
            format!("met, {} under", fmt_d(RESET_TARGET - m))
        } else {
            format!("**missed** by {}", fmt_d(m - RESET_TARGET))
        };
        let _ = writeln!(
            out,
            "\nTarget (issue 4): a {}-table throwaway reset under {}: median {} (`from = \"schema\"`), {verdict}.",
            p.tables,
            fmt_d(RESET_TARGET),
            fmt_d(m)
        );
    }
}
