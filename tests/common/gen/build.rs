//! Building a case's database from its recipe: the tables rendered in one of several styles
//! (column or table constraints, quoting), rows that satisfy every constraint, and reading
//! rows back into the model.

use super::*;

// ---------------------------------------------------------------------------------------------
// Building a case's database
// ---------------------------------------------------------------------------------------------

pub fn seed_value(s: &Seed, strict_ty: Option<&str>) -> Option<Value> {
    let v = match s {
        Seed::Dflt => return None,
        Seed::Null => Value::Null,
        Seed::Int(i) => Value::Integer(*i),
        Seed::Real(f) => Value::Real(*f),
        Seed::Text(t) => Value::Text(t.clone()),
        Seed::Blob(b) => Value::Blob(b.clone()),
    };
    let Some(ty) = strict_ty else {
        return Some(v);
    };
    let len = |v: &Value| match v {
        Value::Text(t) => t.chars().count() as i64,
        Value::Blob(b) => b.len() as i64,
        _ => 0,
    };
    Some(match (ty, v) {
        (_, Value::Null) => Value::Null,
        ("ANY", v) => v,
        ("INTEGER" | "INT", Value::Real(f)) => Value::Integer(f.clamp(-1e15, 1e15) as i64),
        ("INTEGER" | "INT", v @ (Value::Text(_) | Value::Blob(_))) => Value::Integer(len(&v)),
        ("REAL", Value::Integer(i)) => Value::Real(i as f64),
        ("REAL", v @ (Value::Text(_) | Value::Blob(_))) => Value::Real(len(&v) as f64 + 0.5),
        ("TEXT", Value::Integer(i)) => Value::Text(format!("t{i}")),
        ("TEXT", Value::Real(f)) => Value::Text(format!("t{f}")),
        ("TEXT", Value::Blob(b)) => Value::Text(format!("b{}", b.len())),
        ("BLOB", Value::Integer(i)) => Value::Blob(i.to_string().into_bytes()),
        ("BLOB", Value::Real(_)) => Value::Blob(vec![1]),
        ("BLOB", Value::Text(t)) => Value::Blob(t.into_bytes()),
        (_, v) => v,
    })
}

pub struct Built {
    pub model: Model,
    /// Every setup statement, for failure messages.
    pub setup: Vec<String>,
}

pub fn exec(conn: &Connection, sql: &str, setup: &mut Vec<String>) {
    setup.push(sql.to_string());
    if let Err(e) = conn.execute_batch(sql) {
        panic!("generator bug: setup statement fails: {e}\n{sql}");
    }
}

pub fn build(c: &CaseR, conn: &Connection, scratch: &Connection) -> Built {
    let mut m = Model::default();
    let mut setup = Vec::new();
    let mut fk_targets: Vec<Option<(usize, String, String)>> = Vec::new(); // (parent, pcol, child col)
                                                                           // --- tables
    for (ti, tr) in c.tables.iter().enumerate() {
        let tname = fresh(TABLE_NAMES, tr.name, |n| m.name_taken(n));
        let wr = tr.wr;
        let strict = tr.strict;
        let mut pk = tr.pk;
        if wr && pk == 0 {
            pk = 2;
        }
        let ty_pool: &[&str] = if strict { STRICT_TYPES } else { TYPES };
        let mut cols: Vec<MCol> = Vec::new();
        let mut used: Vec<String> = Vec::new();
        for (ci, cr) in tr.cols.iter().enumerate() {
            let name = fresh(COL_NAMES, cr.name.wrapping_add(ci as u8 * 7), |n| {
                used.iter().any(|u| eq_i(u, n))
            });
            used.push(name.clone());
            let mut ty = ty_pool[cr.ty as usize % ty_pool.len()].to_string();
            let is_pk_col = match pk {
                1 | 2 | 3 | 5 => ci == 0,
                4 => ci < 2,
                _ => false,
            };
            let mut col = MCol::new(name, String::new());
            if is_pk_col {
                match pk {
                    1 | 5 => ty = "INTEGER".into(),
                    3 if eq_i(&ty, "INTEGER") => ty = "TEXT".into(),
                    _ => {}
                }
                if pk == 1 || pk == 3 || pk == 5 {
                    col.pk_desc = pk == 5;
                    col.autoinc = pk == 1 && tr.autoinc && !wr;
                    col.cons.push(Cons {
                        name: None,
                        kind: CK::Pk(vec![col.name.clone()]),
                    });
                }
            }
            let gen_ok = ci >= 2 && !is_pk_col;
            if let (Some((kind, stored, input)), true) = (cr.gen, gen_ok) {
                let inputs: Vec<&MCol> = cols.iter().filter(|c| c.gen.is_none()).collect();
                if !inputs.is_empty() {
                    let input = inputs[input as usize % inputs.len()].name.clone();
                    col.gen = Some(Gen {
                        kind,
                        input,
                        stored,
                    });
                    if strict {
                        ty = "ANY".into();
                    }
                }
            }
            col.ty = ty;
            if col.gen.is_none() {
                col.notnull = cr.notnull && !is_pk_col;
                if let Some(d) = cr.dflt {
                    let pool: Vec<&str> = if strict {
                        strict_defaults(&col.ty).to_vec()
                    } else {
                        LITERAL_DEFAULTS
                            .iter()
                            .chain(EXPR_DEFAULTS)
                            .chain(["CURRENT_TIMESTAMP"].iter())
                            .copied()
                            .collect()
                    };
                    col.dflt = Some(pool[d as usize % pool.len()].to_string());
                }
                col.nocase = cr.nocase;
                if cr.unique && !is_pk_col {
                    col.cons.push(Cons {
                        name: None,
                        kind: CK::Unique(vec![col.name.clone()]),
                    });
                }
                if let Some((kind, named)) = cr.check {
                    let name = named.then(|| {
                        fresh(CONS_NAMES, kind.wrapping_add(ci as u8), |n| {
                            cols.iter()
                                .chain(std::iter::once(&col))
                                .flat_map(|c| c.cons.iter())
                                .any(|k| k.name.as_deref().is_some_and(|x| eq_i(x, n)))
                        })
                    });
                    col.cons.push(Cons {
                        name,
                        kind: CK::Check(kind, vec![col.name.clone()]),
                    });
                }
            }
            cols.push(col);
        }
        let mut t = MTable {
            name: tname,
            cols,
            tcons: vec![],
            strict,
            wr,
            rows: vec![],
            rowids_known: true,
            seq: None,
        };
        match pk {
            2 => t.tcons.push(Cons {
                name: None,
                kind: CK::Pk(vec![t.cols[0].name.clone()]),
            }),
            4 => t.tcons.push(Cons {
                name: None,
                kind: CK::Pk(vec![t.cols[0].name.clone(), t.cols[1].name.clone()]),
            }),
            _ => {}
        }
        let plain: Vec<usize> = (0..t.cols.len())
            .filter(|&i| t.cols[i].gen.is_none())
            .collect();
        let explicit_names = |t: &MTable| -> Vec<String> {
            t.all_cons()
                .iter()
                .filter_map(|k| k.name.clone())
                .collect::<Vec<_>>()
        };
        if let Some((a, b, named)) = tr.tcheck {
            let ca = t.cols[plain[a as usize % plain.len()]].name.clone();
            let cb = t.cols[plain[b as usize % plain.len()]].name.clone();
            let (kind, cols) = if eq_i(&ca, &cb) {
                (0, vec![ca])
            } else {
                (10, vec![ca, cb])
            };
            let names = explicit_names(&t);
            let name = named.then(|| fresh(CONS_NAMES, a, |n| names.iter().any(|x| eq_i(x, n))));
            t.tcons.push(Cons {
                name,
                kind: CK::Check(kind, cols),
            });
        }
        if let Some((a, b, named)) = tr.tunique {
            let ca = t.cols[plain[a as usize % plain.len()]].name.clone();
            let cb = t.cols[plain[b as usize % plain.len()]].name.clone();
            let cols = if eq_i(&ca, &cb) {
                vec![ca]
            } else {
                vec![ca, cb]
            };
            let names = explicit_names(&t);
            let name = named.then(|| fresh(CONS_NAMES, b, |n| names.iter().any(|x| eq_i(x, n))));
            let pk = t.pk_cols();
            let has_pk_col = cols.iter().any(|c| pk.iter().any(|p| eq_i(p, c)));
            if !(excluded("rename-wr-pk-unique") && wr && has_pk_col) {
                t.tcons.push(Cons {
                    name,
                    kind: CK::Unique(cols),
                });
            }
        }
        // Foreign key to an earlier table or this one.
        let mut target = None;
        if let Some(fk) = &tr.fk {
            let pi = fk.parent as usize % (ti + 1);
            let keys = if pi == ti {
                t.keys()
            } else {
                m.tables[pi].keys()
            };
            let pk_cols = t.pk_cols();
            let children: Vec<usize> = plain
                .iter()
                .copied()
                .filter(|&i| !pk_cols.iter().any(|p| eq_i(p, &t.cols[i].name)))
                .collect();
            if !keys.is_empty() && !children.is_empty() {
                let (pcol, is_pk) = keys[fk.child as usize % keys.len()].clone();
                let ci = children[fk.parent as usize / 3 % children.len()];
                let parent = if pi == ti {
                    t.name.clone()
                } else {
                    m.tables[pi].name.clone()
                };
                let on_delete = ["NO ACTION", "CASCADE", "SET NULL"][fk.on_delete as usize % 3];
                let pcols = if is_pk && fk.implicit {
                    vec![]
                } else {
                    vec![pcol.clone()]
                };
                let names = explicit_names(&t);
                let name = fk
                    .named
                    .then(|| fresh(CONS_NAMES, fk.child, |n| names.iter().any(|x| eq_i(x, n))));
                let cons = Cons {
                    name,
                    kind: CK::Fk {
                        cols: vec![t.cols[ci].name.clone()],
                        parent: parent.clone(),
                        pcols,
                        on_delete,
                    },
                };
                if fk.table_level {
                    t.tcons.push(cons);
                } else {
                    t.cols[ci].cons.push(cons);
                }
                target = Some((pi, pcol, t.cols[ci].name.clone()));
            }
        }
        fk_targets.push(target);
        let ddl = render_table(&t, tr.style);
        exec(conn, &ddl, &mut setup);
        m.tables.push(t);
        // Indexes (before the rows: unique ones make duplicate rows fail and be skipped).
        for ir in &tr.indexes {
            let t = &m.tables[ti];
            let plain: Vec<&MCol> = t.cols.iter().filter(|c| c.gen.is_none()).collect();
            let a = plain[ir.a as usize % plain.len()].name.clone();
            let b = plain[ir.b as usize % plain.len()].name.clone();
            let name = fresh(INDEX_NAMES, ir.name, |n| m.name_taken(n));
            let (unique, keys, where_, uses): (
                bool,
                Vec<(String, Option<String>, bool, Option<String>)>,
                Option<String>,
                Vec<String>,
            ) = match ir.kind {
                0 => (
                    false,
                    vec![(q(&a), Some(a.clone()), false, None)],
                    None,
                    vec![a.clone()],
                ),
                1 => (
                    true,
                    vec![(q(&a), Some(a.clone()), false, None)],
                    None,
                    vec![a.clone()],
                ),
                2 if !eq_i(&a, &b) => (
                    false,
                    vec![
                        (format!("{} DESC", q(&a)), Some(a.clone()), true, None),
                        (q(&b), Some(b.clone()), false, None),
                    ],
                    None,
                    vec![a.clone(), b.clone()],
                ),
                3 => (
                    ir.b % 2 == 0,
                    vec![(q(&a), Some(a.clone()), false, None)],
                    Some(format!("{} IS NOT NULL", q(&b))),
                    vec![a.clone(), b.clone()],
                ),
                4 => (
                    false,
                    vec![(format!("lower({})", q(&a)), None, false, None)],
                    None,
                    vec![a.clone()],
                ),
                5 => (
                    false,
                    vec![(
                        format!("{} COLLATE NOCASE", q(&a)),
                        Some(a.clone()),
                        false,
                        Some("NOCASE".to_string()),
                    )],
                    None,
                    vec![a.clone()],
                ),
                _ => (
                    ir.b % 3 == 0,
                    vec![(format!("({} + 1) DESC", q(&a)), None, true, None)],
                    None,
                    vec![a.clone()],
                ),
            };
            let sql = format!(
                "CREATE {}INDEX {} ON {} ({}){}",
                if unique { "UNIQUE " } else { "" },
                q(&name),
                q(&m.tables[ti].name),
                keys.iter()
                    .map(|k| k.0.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                where_
                    .as_deref()
                    .map(|w| format!(" WHERE {w}"))
                    .unwrap_or_default()
            );
            exec(conn, &sql, &mut setup);
            m.indexes.push(MIndex {
                name,
                table: m.tables[ti].name.clone(),
                keys: keys.into_iter().map(|k| (k.1, k.2, k.3)).collect(),
                unique,
                partial: where_.is_some(),
                uses,
            });
        }
    }
    // --- rows, parents first
    for (ti, tr) in c.tables.iter().enumerate() {
        let t = m.tables[ti].clone();
        let fk = fk_targets[ti].clone();
        for (ri, seeds) in tr.rows.iter().enumerate() {
            let mut names = Vec::new();
            let mut vals = Vec::new();
            for (ci, col) in t.cols.iter().enumerate() {
                if col.gen.is_some() {
                    continue;
                }
                let s = &seeds[ci % seeds.len()];
                let mut v = seed_value(s, t.strict.then_some(col.ty.as_str()));
                if let Some((pi, pcol, child)) = &fk {
                    if eq_i(child, &col.name) {
                        let p = &m.tables[*pi];
                        let keys: Vec<Value> = conn
                            .prepare(&format!("SELECT {} FROM {}", q(pcol), q(&p.name)))
                            .unwrap()
                            .query_map([], |r| r.get::<_, Value>(0))
                            .unwrap()
                            .collect::<rusqlite::Result<_>>()
                            .unwrap();
                        v = match (s, keys.is_empty()) {
                            (Seed::Null, _) | (_, true) => Some(Value::Null),
                            _ => Some(keys[(ri * 7 + ci) % keys.len()].clone()),
                        };
                    }
                }
                if let Some(v) = v {
                    names.push(q(&col.name));
                    vals.push(v);
                }
            }
            let sql = if names.is_empty() {
                format!("INSERT INTO {} DEFAULT VALUES", q(&t.name))
            } else {
                format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    q(&t.name),
                    names.join(", "),
                    vec!["?"; vals.len()].join(", ")
                )
            };
            // Rows that break a constraint are simply not there.
            let _ = conn.execute(&sql, rusqlite::params_from_iter(vals));
        }
        if let Some(rn) = t.rowid_name() {
            let rowids: Vec<i64> = conn
                .prepare(&format!("SELECT {rn} FROM {} ORDER BY {rn}", q(&t.name)))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            for (i, r) in rowids.iter().enumerate() {
                if tr.delete[i % tr.delete.len()] {
                    let _ =
                        conn.execute(&format!("DELETE FROM {} WHERE {rn} = ?1", q(&t.name)), [r]);
                }
            }
        }
    }
    // --- triggers and views
    for (ti, tr) in c.tables.iter().enumerate() {
        let t = m.tables[ti].clone();
        let plain: Vec<&MCol> = t.cols.iter().filter(|c| c.gen.is_none()).collect();
        if let Some((kind, a, other)) = tr.trigger {
            let col = q(&plain[a as usize % plain.len()].name);
            let name = fresh(&["trg", "my trigger", "Trg\"Q"], a, |n| m.name_taken(n));
            let body = match kind {
                0 => format!(
                    "AFTER UPDATE OF {col} ON {} BEGIN SELECT NEW.{col}; END",
                    q(&t.name)
                ),
                1 => format!(
                    "BEFORE DELETE ON {} BEGIN SELECT RAISE(ABORT, 'zz-no') WHERE OLD.{col} = 'zz-sentinel'; END",
                    q(&t.name)
                ),
                _ => {
                    let o = &m.tables[other as usize % m.tables.len()];
                    let oc = q(&o
                        .cols
                        .iter()
                        .find(|c| c.gen.is_none())
                        .unwrap()
                        .name);
                    format!(
                        "AFTER INSERT ON {} BEGIN UPDATE {} SET {oc} = {oc} WHERE 0; END",
                        q(&t.name),
                        q(&o.name)
                    )
                }
            };
            exec(
                conn,
                &format!("CREATE TRIGGER {} {body}", q(&name)),
                &mut setup,
            );
            m.triggers.push((name, t.name.clone()));
        }
        if let Some((kind, a, b)) = tr.view {
            let na = plain[a as usize % plain.len()].name.clone();
            let nb = plain[b as usize % plain.len()].name.clone();
            let ca = q(&na);
            let cb = q(&nb);
            let name = fresh(&["v", "my view", "V\"Q", "vüe"], a, |n| m.name_taken(n));
            let over_view = kind == 2 && !m.views.is_empty();
            if kind != 0 && !over_view {
                m.view_uses.push((t.name.clone(), na.clone()));
                if kind == 1 {
                    m.view_uses.push((t.name.clone(), nb.clone()));
                }
            }
            let body = match kind {
                0 => format!("SELECT * FROM {}", q(&t.name)),
                1 => format!(
                    "SELECT {ca}, {cb} FROM {} WHERE {ca} IS NOT NULL",
                    q(&t.name)
                ),
                2 if !m.views.is_empty() => {
                    format!("SELECT * FROM {}", q(&m.views[b as usize % m.views.len()]))
                }
                _ => format!("SELECT count(*) AS n, max({ca}) AS top FROM {}", q(&t.name)),
            };
            exec(
                conn,
                &format!("CREATE VIEW {} AS {body}", q(&name)),
                &mut setup,
            );
            m.views.push(name);
        }
    }
    // --- read the rows back: the model starts from what SQLite stored
    for t in &mut m.tables {
        t.rows = read_rows(conn, t).expect("reading rows");
        if t.autoinc() {
            t.seq = read_seq(conn, &t.name);
        }
    }
    for t in &mut m.tables {
        refresh(scratch, t);
    }
    Built { model: m, setup }
}

pub fn render_col(c: &MCol) -> String {
    let mut s = q(&c.name);
    if !c.ty.is_empty() {
        s.push(' ');
        s.push_str(&c.ty);
    }
    let pk = c.cons.iter().any(|k| matches!(k.kind, CK::Pk(_)));
    if pk {
        s.push_str(" PRIMARY KEY");
        if c.pk_desc {
            s.push_str(" DESC");
        }
        if c.autoinc {
            s.push_str(" AUTOINCREMENT");
        }
    }
    if c.notnull {
        s.push_str(" NOT NULL");
    }
    if let Some(d) = &c.dflt {
        s.push_str(" DEFAULT ");
        s.push_str(d);
    }
    if c.nocase {
        s.push_str(" COLLATE NOCASE");
    }
    for k in &c.cons {
        let name = k
            .name
            .as_deref()
            .map(|n| format!(" CONSTRAINT {}", q(n)))
            .unwrap_or_default();
        match &k.kind {
            CK::Pk(_) => {}
            CK::Unique(_) => s.push_str(&format!("{name} UNIQUE")),
            CK::Check(kind, cols) => {
                s.push_str(&format!("{name} CHECK ({})", check_sql(*kind, cols)))
            }
            CK::Fk {
                parent,
                pcols,
                on_delete,
                ..
            } => s.push_str(&format!("{name} {}", references(parent, pcols, on_delete))),
        }
    }
    if let Some(g) = &c.gen {
        s.push_str(&format!(
            " GENERATED ALWAYS AS ({}){}",
            gen_sql(g.kind, &g.input),
            if g.stored { " STORED" } else { " VIRTUAL" }
        ));
    }
    s
}

pub fn references(parent: &str, pcols: &[String], on_delete: &str) -> String {
    let mut s = format!("REFERENCES {}", q(parent));
    if !pcols.is_empty() {
        s.push_str(&format!(
            " ({})",
            pcols.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
        ));
    }
    if on_delete != "NO ACTION" {
        s.push_str(&format!(" ON DELETE {on_delete}"));
    }
    s
}

pub fn render_tcons(k: &Cons) -> String {
    let name = k
        .name
        .as_deref()
        .map(|n| format!("CONSTRAINT {} ", q(n)))
        .unwrap_or_default();
    let list = |cols: &[String]| cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ");
    match &k.kind {
        CK::Pk(cols) => format!("{name}PRIMARY KEY ({})", list(cols)),
        CK::Unique(cols) => format!("{name}UNIQUE ({})", list(cols)),
        CK::Check(kind, cols) => format!("{name}CHECK ({})", check_sql(*kind, cols)),
        CK::Fk {
            cols,
            parent,
            pcols,
            on_delete,
        } => format!(
            "{name}FOREIGN KEY ({}) {}",
            list(cols),
            references(parent, pcols, on_delete)
        ),
    }
}

pub fn render_table(t: &MTable, style: u8) -> String {
    let items: Vec<String> = t
        .cols
        .iter()
        .map(render_col)
        .chain(t.tcons.iter().map(render_tcons))
        .collect();
    let (sep, open, close) = match style % 3 {
        0 => (", ".to_string(), "(".to_string(), ")".to_string()),
        1 => (",\n  ".to_string(), "(\n  ".to_string(), "\n)".to_string()),
        _ => (
            ", -- a comment, with a comma\n    ".to_string(),
            "( /* first */ ".to_string(),
            "\n  -- last\n)".to_string(),
        ),
    };
    let mut tail = Vec::new();
    if t.strict {
        tail.push("STRICT");
    }
    if t.wr {
        tail.push("WITHOUT ROWID");
    }
    format!(
        "CREATE TABLE {} {open}{}{close}{}",
        q(&t.name),
        items.join(&sep),
        if tail.is_empty() {
            String::new()
        } else {
            format!(" {}", tail.join(", "))
        }
    )
}

/// A value as a SQL literal.
pub fn literal(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => format!("{f:?}"),
        Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
        Value::Blob(b) => format!(
            "X'{}'",
            b.iter().map(|x| format!("{x:02X}")).collect::<String>()
        ),
    }
}

/// The model's rows as INSERT statements (for failure messages).
pub fn inserts(m: &Model) -> String {
    let mut out = String::new();
    for t in &m.tables {
        let cols: Vec<usize> = (0..t.cols.len())
            .filter(|&i| t.cols[i].gen.is_none())
            .collect();
        for r in &t.rows {
            let mut names: Vec<String> = cols.iter().map(|&i| q(&t.cols[i].name)).collect();
            let mut vals: Vec<String> = cols
                .iter()
                .map(|&i| {
                    r.vals[i]
                        .as_ref()
                        .map(literal)
                        .unwrap_or_else(|| "NULL".into())
                })
                .collect();
            if let (Some(rn), Some(id), None) = (t.rowid_name(), r.rowid, t.alias()) {
                names.insert(0, rn.to_string());
                vals.insert(0, id.to_string());
            }
            out.push_str(&format!(
                "INSERT INTO {} ({}) VALUES ({});\n",
                q(&t.name),
                names.join(", "),
                vals.join(", ")
            ));
        }
    }
    out
}

/// A column value; text that is not UTF-8 (a blob concatenated as text) is read lossily.
pub fn get_value(r: &rusqlite::Row, i: usize) -> rusqlite::Result<Value> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    })
}

/// The AUTOINCREMENT counter of `table` in `sqlite_sequence`, if it has one yet.
pub fn read_seq(conn: &Connection, table: &str) -> Option<i64> {
    conn.query_row(
        "SELECT seq FROM sqlite_sequence WHERE name = ?1",
        [table],
        |r| r.get(0),
    )
    .ok()
}

pub fn read_rows(conn: &Connection, t: &MTable) -> rusqlite::Result<Vec<MRow>> {
    let rn = t.rowid_name();
    let mut cols: Vec<String> = t.cols.iter().map(|c| q(&c.name)).collect();
    if let Some(r) = rn {
        cols.insert(0, r.to_string());
    }
    let sql = format!(
        "SELECT {} FROM {}{}",
        cols.join(", "),
        q(&t.name),
        rn.map(|r| format!(" ORDER BY {r}")).unwrap_or_default()
    );
    let mut st = conn.prepare(&sql)?;
    let n = t.cols.len();
    let rows = st
        .query_map([], |r| {
            let off = rn.is_some() as usize;
            let rowid = if rn.is_some() {
                Some(r.get::<_, i64>(0)?)
            } else {
                None
            };
            let vals = (0..n)
                .map(|i| get_value(r, i + off).map(Some))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(MRow { rowid, vals })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
