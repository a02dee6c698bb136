//! SQLite's side of a phased run ([`crate::phased`]): each phase of the run is planned as one
//! change, all its pieces' statements together in the run's order, so the planner batches the
//! ALTERs of one table from every migration of every component into one rebuild (a table is
//! copied at most once per phase, unless a statement that reads or writes it sits between its
//! ALTERs). Every phase is first planned and applied on a schema-only copy, so the run is
//! refused before anything is written and knows whether it needs foreign keys off.
//!
//! Errors name the component, the migration file, the phase and the statement's line: a plan
//! that fails is planned again statement by statement until the failing one is found.

use super::plan::{plan, Plan};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::phased::{Origin, PhasePlan, Schedule};
use crate::statements::{parse_script, Statement};
use rusqlite::Connection;
use std::collections::BTreeSet;

/// The statements of one phase of a run, each with the piece it comes from and its line in the
/// migration file.
pub struct PhaseStatements {
    /// The statements, in the run's order.
    pub statements: Vec<Statement>,
    /// (piece index in the phase, line) of each statement.
    pub origins: Vec<(usize, usize)>,
}

/// Parses the pieces of phase `index` of `schedule` (SQLite's dialect blocks).
pub fn phase_statements(schedule: &Schedule, index: usize) -> Result<PhaseStatements> {
    let phase = &schedule.phases[index];
    let mut out = PhaseStatements {
        statements: Vec::new(),
        origins: Vec::new(),
    };
    for (k, piece) in phase.pieces.iter().enumerate() {
        let origin = schedule.origin(phase, piece);
        let m = &schedule.migrations[piece.migration];
        let text = crate::dialect::select(&piece.text, Dialect::Sqlite)
            .map_err(|e| origin.wrap(None, e))?;
        let statements =
            parse_script(&text).map_err(|e| origin.wrap(None, crate::migrate::in_file(e, m)))?;
        let starts = crate::sql::split_statements(&text).map_err(|e| Error::Syntax {
            message: e.message,
            line: 0,
            column: 0,
            statement: String::new(),
        })?;
        for (st, p) in statements.into_iter().zip(starts) {
            out.origins
                .push((k, crate::sql::line_col(&text, p.offset).0));
            out.statements.push(st);
        }
    }
    Ok(out)
}

/// Plans phase `index` against `conn`; an error names the statement's component, file,
/// phase and line.
pub fn plan_phase(
    conn: &Connection,
    schedule: &Schedule,
    index: usize,
    ps: &PhaseStatements,
) -> Result<Plan> {
    plan(conn, &ps.statements).map_err(|e| {
        // The first prefix that cannot be planned ends with the failing statement.
        for k in 1..=ps.statements.len() {
            if let Err(e) = plan(conn, &ps.statements[..k]) {
                return statement_origin(schedule, index, ps, k - 1, e);
            }
        }
        phase_origin(schedule, index, e)
    })
}

/// Names the statement `k` of a phase in `e`.
fn statement_origin(
    schedule: &Schedule,
    index: usize,
    ps: &PhaseStatements,
    k: usize,
    e: Error,
) -> Error {
    let phase = &schedule.phases[index];
    let (piece, line) = ps.origins[k];
    schedule
        .origin(phase, &phase.pieces[piece])
        .wrap(Some(line), e)
}

/// Names a phase's origin in an error that comes from running it: the statement whose text
/// the error quotes, else every migration of the phase.
pub fn phase_error(schedule: &Schedule, index: usize, ps: &PhaseStatements, e: Error) -> Error {
    let shown = e.to_string();
    let quoted = ps
        .statements
        .iter()
        .position(|s| !s.text().trim().is_empty() && shown.contains(s.text().trim()));
    match quoted.or_else(|| refused_statement(ps, &e)) {
        Some(k) => statement_origin(schedule, index, ps, k, e),
        None => phase_origin(schedule, index, e),
    }
}

/// For a refusal about a table: the ALTER of that table whose text names what the reason
/// names (a constraint, a column), else the only piece's first ALTER of it.
fn refused_statement(ps: &PhaseStatements, e: &Error) -> Option<usize> {
    let Error::Refused(r) = e else { return None };
    let alters: Vec<usize> = (0..ps.statements.len())
        .filter(|&k| match &ps.statements[k] {
            Statement::Alter { alter, .. } => alter.table.eq_ignore_ascii_case(&r.table),
            _ => false,
        })
        .collect();
    let words: Vec<String> = crate::sql::lex(&r.reason)
        .map(|toks| toks.iter().filter_map(|t| t.ident(&r.reason)).collect())
        .unwrap_or_default();
    let named = alters.iter().copied().find(|&k| {
        let ids: Vec<String> = crate::sql::lex(ps.statements[k].text())
            .map(|toks| {
                toks.iter()
                    .filter_map(|t| t.ident(ps.statements[k].text()))
                    .collect()
            })
            .unwrap_or_default();
        words.iter().any(|w| {
            !w.eq_ignore_ascii_case(&r.table) && ids.iter().any(|i| i.eq_ignore_ascii_case(w))
        })
    });
    let one_piece = alters
        .first()
        .filter(|&&f| alters.iter().all(|&k| ps.origins[k].0 == ps.origins[f].0))
        .copied();
    named.or(one_piece)
}

/// Names the phase and every migration contributing to it in `e`.
fn phase_origin(schedule: &Schedule, index: usize, e: Error) -> Error {
    let phase = &schedule.phases[index];
    if let [only] = phase.pieces.as_slice() {
        return schedule.origin(phase, only).wrap(None, e);
    }
    let files: Vec<String> = phase
        .pieces
        .iter()
        .map(|p| {
            let o = schedule.origin(phase, p);
            if o.component.is_empty() {
                o.file
            } else {
                format!("{} ({})", o.file, o.component)
            }
        })
        .collect();
    Origin {
        component: String::new(),
        file: format!("one of {}", files.join(", ")),
        phase: crate::components::PHASES[phase.phase].to_string(),
    }
    .wrap(None, e)
}

/// Plans and applies every phase of `schedule` on a schema-only copy of `conn`: what the run
/// will do per phase, and whether some phase needs foreign keys off.
pub fn rehearse(conn: &Connection, schedule: &Schedule) -> Result<(Vec<PhasePlan>, bool)> {
    let mut copy = super::read::shadow_copy(conn)?;
    super::apply::register_functions(&copy)?;
    let mut out = Vec::new();
    let mut off = false;
    for index in 0..schedule.phases.len() {
        let ps = phase_statements(schedule, index)?;
        let p = plan_phase(&copy, schedule, index, &ps)?;
        off |= p.needs_foreign_keys_off();
        out.push(describe(schedule, index, &ps, &p));
        super::apply::apply(&mut copy, &p).map_err(|e| phase_error(schedule, index, &ps, e))?;
    }
    Ok((out, off))
}

/// What phase `index` does: each piece's statements, and the tables its plan copies.
fn describe(schedule: &Schedule, index: usize, ps: &PhaseStatements, p: &Plan) -> PhasePlan {
    let phase = &schedule.phases[index];
    let mut pieces: Vec<(usize, Vec<String>)> = phase
        .pieces
        .iter()
        .map(|pc| (pc.migration, Vec::new()))
        .collect();
    for (st, (k, _)) in ps.statements.iter().zip(&ps.origins) {
        pieces[*k].1.push(st.text().trim().to_string());
    }
    let mut copied: Vec<String> = Vec::new();
    for t in p.rebuilt_tables() {
        if !copied.iter().any(|c| c == t) {
            copied.push(t.to_string());
        }
    }
    PhasePlan {
        phase: phase.phase,
        pieces,
        copied,
    }
}

/// A row of `PRAGMA foreign_key_check`: (table, rowid, parent, key index).
pub type Violation = (String, Option<i64>, String, i64);

/// Every foreign-key violation in the database.
pub fn violations(conn: &Connection) -> Result<BTreeSet<Violation>> {
    let mut st = conn
        .prepare("PRAGMA foreign_key_check")
        .map_err(|e| Error::sqlite("checking foreign keys", e))?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .and_then(|r| r.collect::<std::result::Result<BTreeSet<Violation>, _>>())
        .map_err(|e| Error::sqlite("checking foreign keys", e))?;
    Ok(rows)
}

/// Refuses when the database has foreign-key violations that were not in `before`.
pub fn refuse_new_violations(conn: &Connection, before: &BTreeSet<Violation>) -> Result<()> {
    let now = violations(conn)?;
    let new: Vec<&Violation> = now.difference(before).collect();
    let Some((table, rowid, parent, _)) = new.first() else {
        return Ok(());
    };
    Err(Error::Refused(crate::error::Refusal {
        table: table.clone(),
        reason: format!(
            "the run leaves {} row(s) whose foreign keys reference missing rows, e.g. a \"{table}\" row referencing \"{parent}\"",
            new.len()
        ),
        count: new.len() as u64,
        examples: rowid.map(|r| format!("rowid={r}")).into_iter().collect(),
        hint: "the run switched foreign-key enforcement off to rebuild tables; fix the migrations' data statements so every key still points at a row".into(),
    }))
}
