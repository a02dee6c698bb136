//! Where the time goes: one in-process apply of W1 or W2 through kit, timed statement by statement
//! with kit's apply observer, and the baseline's SQL with marks.

use super::*;

pub(crate) fn phases(
    template: &Path,
    dir: &Path,
    w: Workload,
) -> Result<Vec<(String, Duration)>, String> {
    let db = dir.join("phases.db");
    fs::copy(template, &db).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let t0 = Instant::now();
    let mut conn = kit::open(&db).map_err(|e| e.to_string())?;
    let t1 = Instant::now();
    out.push(("open".to_string(), t1 - t0));
    let plan = kit::plan_sql(&conn, w.sql()).map_err(|e| e.to_string())?;
    let t2 = Instant::now();
    out.push(("parse + plan".to_string(), t2 - t1));
    let mut marks: Vec<(String, Instant)> = Vec::new();
    let mut on_statement = |s: &str| marks.push((shorten(s), Instant::now()));
    let mut observer = kit::apply::Observer {
        on_statement: Some(&mut on_statement),
        ..Default::default()
    };
    kit::apply_observed(&mut conn, &plan, &mut observer).map_err(|e| e.to_string())?;
    drop(observer);
    let t3 = Instant::now();
    let mut prev = (
        "apply: BEGIN, schema_version, preflight checks".to_string(),
        t2,
    );
    for (label, at) in marks {
        out.push((prev.0, at - prev.1));
        prev = (label, at);
    }
    out.push((prev.0, t3 - prev.1));
    // The last mark's span runs to the end of apply: say so.
    if let Some(last) = out.last_mut() {
        last.0 = format!("{} (+ foreign_key_check, COMMIT)", last.0);
    }
    drop(conn);
    out.push(("total (in-process)".to_string(), t3 - t0));
    let _ = fs::remove_file(&db);
    Ok(out)
}

/// The same breakdown for the hand-written baseline.
pub(crate) fn baseline_phases(
    template: &Path,
    dir: &Path,
    w: Workload,
) -> Result<Vec<(String, Duration)>, String> {
    let db = dir.join("phases.db");
    fs::copy(template, &db).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let mut conn = Connection::open(&db).map_err(|e| e.to_string())?;
    let mut marks: Vec<(String, Instant)> = vec![("open".to_string(), t0)];
    twelve_step(&mut conn, w, true, &mut |s| {
        marks.push((shorten(s), Instant::now()))
    })
    .map_err(|e| e.to_string())?;
    let end = Instant::now();
    drop(conn);
    let mut out = Vec::new();
    for i in 0..marks.len() {
        let next = marks.get(i + 1).map_or(end, |m| m.1);
        out.push((marks[i].0.clone(), next - marks[i].1));
    }
    out.push(("total (in-process)".to_string(), end - t0));
    let _ = fs::remove_file(&db);
    Ok(out)
}

pub(crate) fn shorten(s: &str) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 90 {
        format!("{}...", one.chars().take(87).collect::<String>())
    } else {
        one
    }
}
