//! Value conversion through SQLite itself (a scratch in-memory database): what a type
//! change, a default or a generated expression makes of the model's rows.

use super::*;

// ---------------------------------------------------------------------------------------------
// Value conversion through SQLite (the scratch database)
// ---------------------------------------------------------------------------------------------

/// Evaluates `expr` for every row of `t` (columns untyped, values as stored), in row order.
/// `uses` are the columns the expression reads: a row with an unknown one gives an unknown.
pub fn eval_rows(
    scratch: &Connection,
    t: &MTable,
    expr: &str,
    uses: &[String],
) -> Vec<Option<Value>> {
    let unknown_all = vec![None; t.rows.len()];
    let cols: Vec<String> = t.cols.iter().map(|c| q(&c.name)).collect();
    let ddl = format!(
        "DROP TABLE IF EXISTS temp.m; CREATE TEMP TABLE m ({})",
        if cols.is_empty() {
            "_dummy".to_string()
        } else {
            cols.join(", ")
        }
    );
    if scratch.execute_batch(&ddl).is_err() {
        return unknown_all;
    }
    let use_idx: Option<Vec<usize>> = uses.iter().map(|u| t.col(u)).collect();
    let Some(use_idx) = use_idx else {
        return unknown_all;
    };
    for r in &t.rows {
        let params: Vec<Value> = r
            .vals
            .iter()
            .map(|v| v.clone().unwrap_or(Value::Null))
            .collect();
        let sql = format!(
            "INSERT INTO temp.m VALUES ({})",
            vec!["?"; params.len().max(1)].join(", ")
        );
        let res = if params.is_empty() {
            scratch.execute(&sql, [Value::Null])
        } else {
            scratch.execute(&sql, rusqlite::params_from_iter(params))
        };
        if res.is_err() {
            return unknown_all;
        }
    }
    let Ok(mut st) = scratch.prepare(&format!("SELECT {expr} FROM temp.m ORDER BY rowid")) else {
        return unknown_all;
    };
    let Ok(vals) = st
        .query_map([], |r| r.get::<_, Value>(0))
        .and_then(|r| r.collect::<rusqlite::Result<Vec<Value>>>())
    else {
        return unknown_all;
    };
    vals.into_iter()
        .zip(&t.rows)
        .map(|(v, r)| {
            if use_idx.iter().any(|&i| r.vals[i].is_none()) {
                None
            } else {
                Some(v)
            }
        })
        .collect()
}

/// Stores each value into a column of type `ty` (STRICT when `strict`, the rowid alias when
/// `alias`) and reads it back: what SQLite's affinity makes of it. `Err` when one cannot be held.
pub fn convert(
    scratch: &Connection,
    vals: &[Option<Value>],
    ty: &str,
    strict: bool,
    alias: bool,
) -> Result<Vec<Option<Value>>, String> {
    let ddl = format!(
        "DROP TABLE IF EXISTS temp.conv; CREATE TEMP TABLE conv (x {ty}{}){}",
        if alias { " PRIMARY KEY" } else { "" },
        if strict { " STRICT" } else { "" }
    );
    scratch.execute_batch(&ddl).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for v in vals {
        match v {
            None => out.push(None),
            // NULL stored into the rowid alias becomes a new rowid: unpredictable.
            Some(Value::Null) if alias => out.push(None),
            Some(v) => {
                scratch
                    .execute("DELETE FROM temp.conv", [])
                    .map_err(|e| e.to_string())?;
                scratch
                    .execute("INSERT INTO temp.conv (x) VALUES (?1)", [v])
                    .map_err(|e| format!("{} cannot hold {}: {e}", ty, canon(v)))?;
                let got: Value = scratch
                    .query_row("SELECT x FROM temp.conv", [], |r| r.get(0))
                    .map_err(|e| e.to_string())?;
                out.push(Some(got));
            }
        }
    }
    Ok(out)
}

/// The value a new column with this default gets (affinity applied), or `None` if unknown.
pub fn default_value(
    scratch: &Connection,
    ty: &str,
    dflt: &str,
    strict: bool,
) -> Result<Option<Value>, String> {
    if lc(dflt).contains("current_") {
        return Ok(None);
    }
    let ddl = format!(
        "DROP TABLE IF EXISTS temp.d; CREATE TEMP TABLE d (x {} DEFAULT {dflt}, y {}){}",
        ty,
        if strict { "ANY" } else { "" },
        if strict { " STRICT" } else { "" }
    );
    scratch.execute_batch(&ddl).map_err(|e| e.to_string())?;
    scratch
        .execute("INSERT INTO temp.d (y) VALUES (1)", [])
        .map_err(|e| format!("{ty} cannot hold DEFAULT {dflt}: {e}"))?;
    scratch
        .query_row("SELECT x FROM temp.d", [], |r| r.get::<_, Value>(0))
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Recomputes generated columns and keeps rowids equal to the rowid alias.
pub fn refresh(scratch: &Connection, t: &mut MTable) {
    for gi in 0..t.cols.len() {
        let Some(g) = t.cols[gi].gen.clone() else {
            continue;
        };
        let raw = eval_rows(
            scratch,
            t,
            &gen_sql(g.kind, &g.input),
            std::slice::from_ref(&g.input),
        );
        let ty = if t.cols[gi].ty.is_empty() {
            String::new()
        } else {
            t.cols[gi].ty.clone()
        };
        let vals = convert(scratch, &raw, &ty, t.strict, false)
            .unwrap_or_else(|_| vec![None; t.rows.len()]);
        for (r, v) in t.rows.iter_mut().zip(vals) {
            r.vals[gi] = v;
        }
    }
    if let Some(a) = t.alias() {
        for r in &mut t.rows {
            r.rowid = match &r.vals[a] {
                Some(Value::Integer(i)) => Some(*i),
                _ => None,
            };
            if r.rowid.is_none() {
                t.rowids_known = false;
            }
        }
    }
}
