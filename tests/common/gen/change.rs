//! Changes: each `OpR` interpreted against the model as one supported `ALTER TABLE` action
//! (or `None` when it does not apply), the model updated as kit documents the change.

use super::*;

// ---------------------------------------------------------------------------------------------
// Changes: interpreted against the model, which they update
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
pub struct Change {
    /// The table's name when the change starts.
    pub table: String,
    /// The action text (after `ALTER TABLE t `).
    pub action: String,
    pub rename: bool,
    pub kind: &'static str,
}

pub fn pick(n: usize, a: u8) -> usize {
    a as usize % n
}

pub fn pick_col(t: &MTable, a: u8, ok: impl Fn(&MCol) -> bool) -> Option<usize> {
    let oid = |c: &MCol| ["rowid", "oid", "_rowid_"].iter().any(|n| eq_i(n, &c.name));
    let idx: Vec<usize> = (0..t.cols.len())
        .filter(|&i| ok(&t.cols[i]) && !(excluded("oid-column") && oid(&t.cols[i])))
        .collect();
    (!idx.is_empty()).then(|| idx[pick(idx.len(), a)])
}

pub fn rename_in(cols: &mut [String], from: &str, to: &str) {
    for c in cols {
        if eq_i(c, from) {
            *c = to.to_string();
        }
    }
}

pub fn rename_cons(k: &mut CK, from: &str, to: &str) {
    match k {
        CK::Pk(cols) | CK::Unique(cols) | CK::Check(_, cols) => rename_in(cols, from, to),
        CK::Fk { cols, .. } => rename_in(cols, from, to),
    }
}

pub fn cons_mentions(k: &CK, col: &str) -> bool {
    match k {
        CK::Pk(cols) | CK::Unique(cols) | CK::Check(_, cols) => cols.iter().any(|c| eq_i(c, col)),
        CK::Fk { cols, .. } => cols.iter().any(|c| eq_i(c, col)),
    }
}

pub fn make_change(m: &mut Model, r: &OpR, scratch: &Connection) -> Option<Change> {
    let ti = pick(m.tables.len(), r.t);
    let tname = m.tables[ti].name.clone();
    if excluded("fk-across-batches") && m.group_fk_parents.contains(&lc(&tname)) {
        return None;
    }
    let bare = r.d.is_multiple_of(4);
    let lower = r.d % 5 == 1;
    let kw = |s: &str| {
        if lower {
            s.to_lowercase()
        } else {
            s.to_string()
        }
    };
    let mut rename = false;
    let (kind, action): (&'static str, String) = match r.kind {
        // ADD COLUMN
        0 => {
            let t = &m.tables[ti];
            let name = fresh(COL_NAMES, r.a, |n| t.col(n).is_some());
            if excluded("oid-column") && ["rowid", "oid", "_rowid_"].iter().any(|n| eq_i(n, &name))
            {
                return None;
            }
            if excluded("drop-then-readd") && m.group_dropped.contains(&(lc(&tname), lc(&name))) {
                return None;
            }
            let strict = t.strict;
            let pool: &[&str] = if strict { STRICT_TYPES } else { TYPES };
            let ty = pool[pick(pool.len(), r.c)].to_string();
            let variant = r.b % 9;
            let lit_pool: Vec<&str> = if strict {
                strict_defaults(&ty)
                    .iter()
                    .copied()
                    .filter(|d| !d.starts_with('('))
                    .collect()
            } else {
                LITERAL_DEFAULTS.to_vec()
            };
            let expr_pool: Vec<&str> = if strict {
                strict_defaults(&ty)
                    .iter()
                    .copied()
                    .filter(|d| d.starts_with('('))
                    .collect()
            } else {
                EXPR_DEFAULTS.to_vec()
            };
            let mut col = MCol::new(name.clone(), ty.clone());
            match variant {
                1 | 2 => {
                    col.dflt = Some(lit_pool[pick(lit_pool.len(), r.d)].to_string());
                    col.notnull = variant == 2;
                }
                3 if !expr_pool.is_empty() => {
                    col.dflt = Some(expr_pool[pick(expr_pool.len(), r.d)].to_string());
                    col.notnull = r.d.is_multiple_of(2);
                }
                4 => col.notnull = true,
                5 => col.cons.push(Cons {
                    name: None,
                    kind: CK::Unique(vec![name.clone()]),
                }),
                6 => col.cons.push(Cons {
                    name: None,
                    kind: CK::Check(0, vec![name.clone()]),
                }),
                7 => {
                    let pi = pick(m.tables.len(), r.d);
                    let keys = m.tables[pi].keys();
                    if !keys.is_empty() {
                        let (pcol, is_pk) = keys[pick(keys.len(), r.a)].clone();
                        if excluded("fk-across-batches")
                            && m.group_touched.contains(&lc(&m.tables[pi].name))
                        {
                            return None;
                        }
                        if excluded("fk-affinity-mismatch")
                            && col_affinity(&m.tables[pi], &pcol) != Some(affinity(&ty))
                        {
                            return None;
                        }
                        m.group_fk_parents.push(lc(&m.tables[pi].name));
                        col.cons.push(Cons {
                            name: None,
                            kind: CK::Fk {
                                cols: vec![name.clone()],
                                parent: m.tables[pi].name.clone(),
                                pcols: if is_pk && r.d.is_multiple_of(2) {
                                    vec![]
                                } else {
                                    vec![pcol]
                                },
                                on_delete: if r.d.is_multiple_of(3) {
                                    "SET NULL"
                                } else {
                                    "NO ACTION"
                                },
                            },
                        });
                    }
                }
                8 => {
                    let inputs: Vec<&MCol> = t.cols.iter().filter(|c| c.gen.is_none()).collect();
                    if inputs.is_empty() {
                        return None;
                    }
                    let input = inputs[pick(inputs.len(), r.d)].name.clone();
                    col.gen = Some(Gen {
                        kind: r.a % 4,
                        input,
                        stored: r.d.is_multiple_of(2),
                    });
                    if strict {
                        col.ty = "ANY".into();
                    }
                }
                _ => {}
            }
            let mut def = render_col(&col);
            if bare {
                def = def.replacen(&q(&name), &ident(&name, true), 1);
            }
            // Values for existing rows.
            let value = match &col.dflt {
                Some(d) => default_value(scratch, &col.ty, d, strict),
                None => Ok(Some(Value::Null)),
            };
            let value = match value {
                Ok(v) => v,
                Err(e) => {
                    m.expect_refuse.get_or_insert(e);
                    None
                }
            };
            m.group_added.push((lc(&tname), lc(&col.name)));
            let t = &mut m.tables[ti];
            for row in &mut t.rows {
                row.vals.push(value.clone());
            }
            t.cols.push(col);
            let add = if r.a.is_multiple_of(3) {
                "ADD"
            } else {
                "ADD COLUMN"
            };
            ("add column", format!("{} {def}", kw(add)))
        }
        // DROP COLUMN
        1 => {
            let t = &m.tables[ti];
            let ci = pick_col(t, r.a, |_| true)?;
            let cname = t.cols[ci].name.clone();
            if excluded("wr-drop-pk") && t.wr && t.pk_cols().iter().any(|p| eq_i(p, &cname)) {
                return None;
            }
            let key_col = t.pk_cols().iter().any(|p| eq_i(p, &cname))
                || t.all_cons()
                    .iter()
                    .any(|k| matches!(&k.kind, CK::Unique(c) if c.iter().any(|c| eq_i(c, &cname))));
            if excluded("drop-key-after-add-fk")
                && key_col
                && m.group_fk_parents.contains(&lc(&tname))
            {
                return None;
            }
            let fk_referenced = fk_referenced(m, ti, &cname);
            let renamed_here = m.group_renamed_cols.iter().any(|(t, _)| *t == lc(&tname))
                || m.group_renamed.contains(&lc(&tname));
            if excluded("drop-referenced-and-rename") && fk_referenced && renamed_here {
                return None;
            }
            if fk_referenced {
                m.group_dropped_referenced.push(lc(&tname));
            }
            if excluded("drop-column-used-by-view")
                && m.view_uses
                    .iter()
                    .any(|(vt, vc)| eq_i(vt, &tname) && eq_i(vc, &cname))
            {
                return None;
            }
            if excluded("drop-keyword-column") && ["desc", "where"].iter().any(|n| eq_i(n, &cname))
            {
                return None;
            }
            if excluded("oid-column") && ["rowid", "oid", "_rowid_"].iter().any(|n| eq_i(n, &cname))
            {
                return None;
            }
            m.group_dropped.push((lc(&tname), lc(&cname)));
            drop_column(m, ti, ci);
            let word = if r.b.is_multiple_of(3) {
                "DROP"
            } else {
                "DROP COLUMN"
            };
            (
                "drop column",
                format!("{} {}", kw(word), ident(&cname, bare)),
            )
        }
        // RENAME COLUMN
        2 => {
            let t = &m.tables[ti];
            let ci = pick_col(t, r.a, |_| true)?;
            let from = t.cols[ci].name.clone();
            if excluded("drop-referenced-and-rename")
                && m.group_dropped_referenced.contains(&lc(&tname))
            {
                return None;
            }
            let to = fresh(COL_NAMES, r.b, |n| t.col(n).is_some());
            if excluded("oid-column") && ["rowid", "oid", "_rowid_"].iter().any(|n| eq_i(n, &to)) {
                return None;
            }
            let in_pk = t.pk_cols().iter().any(|p| eq_i(p, &from));
            let in_unique = t
                .all_cons()
                .iter()
                .any(|k| matches!(&k.kind, CK::Unique(c) if c.iter().any(|c| eq_i(c, &from))));
            if excluded("rename-wr-pk-unique") && t.wr && in_pk && in_unique {
                return None;
            }
            rename_column(m, ti, &from, &to);
            m.group_renamed_cols.push((lc(&tname), lc(&to)));
            rename = true;
            let word = if r.c.is_multiple_of(3) {
                "RENAME"
            } else {
                "RENAME COLUMN"
            };
            (
                "rename column",
                format!(
                    "{} {} {} {}",
                    kw(word),
                    ident(&from, bare),
                    kw("TO"),
                    ident(&to, bare)
                ),
            )
        }
        // RENAME TO
        3 => {
            if excluded("default-name-then-rename") && m.group_default_drops.contains(&lc(&tname)) {
                return None;
            }
            if excluded("drop-referenced-and-rename")
                && m.group_dropped_referenced.contains(&lc(&tname))
            {
                return None;
            }
            if excluded("retype-parent-key-and-rename")
                && m.group_retyped_keys.contains(&lc(&tname))
            {
                return None;
            }
            let to = fresh(TABLE_NAMES, r.a, |n| m.name_taken(n));
            m.group_renamed.push(lc(&tname));
            m.group_renamed.push(lc(&to));
            let from = tname.clone();
            for t in &mut m.tables {
                for k in t
                    .cols
                    .iter_mut()
                    .flat_map(|c| c.cons.iter_mut())
                    .chain(t.tcons.iter_mut())
                {
                    if let CK::Fk { parent, .. } = &mut k.kind {
                        if eq_i(parent, &from) {
                            *parent = to.clone();
                        }
                    }
                }
            }
            for i in &mut m.indexes {
                if eq_i(&i.table, &from) {
                    i.table = to.clone();
                }
            }
            for (_, t) in &mut m.triggers {
                if eq_i(t, &from) {
                    *t = to.clone();
                }
            }
            for (t, _) in &mut m.view_uses {
                if eq_i(t, &from) {
                    *t = to.clone();
                }
            }
            for (t, _) in m
                .group_added
                .iter_mut()
                .chain(m.group_using.iter_mut())
                .chain(m.group_retyped.iter_mut())
            {
                if eq_i(t, &from) {
                    *t = lc(&to);
                }
            }
            m.tables[ti].name = to.clone();
            rename = true;
            (
                "rename table",
                format!("{} {}", kw("RENAME TO"), ident(&to, bare)),
            )
        }
        // ALTER TYPE
        4 => {
            let t = &m.tables[ti];
            let ci = pick_col(t, r.a, |c| c.gen.is_none())?;
            let pool: &[&str] = if t.strict { STRICT_TYPES } else { TYPES };
            let pool: Vec<&str> = pool.iter().copied().filter(|x| !x.is_empty()).collect();
            let ty = pool[pick(pool.len(), r.b)].to_string();
            if excluded("autoinc-retype") && t.cols[ci].autoinc && ty != "INTEGER" {
                return None;
            }
            let cname = t.cols[ci].name.clone();
            let c = q(&cname);
            let using = match r.c % 7 {
                0 => Some(format!("{c} || ''")),
                1 => Some(format!("CAST({c} AS TEXT)")),
                2 => Some(format!("length({c})")),
                3 => Some(format!("{c} * 1")),
                _ => None,
            };
            let t = &m.tables[ti];
            let raw: Vec<Option<Value>> = match &using {
                Some(u) => eval_rows(scratch, t, u, std::slice::from_ref(&cname)),
                None => t.rows.iter().map(|r| r.vals[ci].clone()).collect(),
            };
            let was_alias = t.alias() == Some(ci);
            let mut after = t.clone();
            after.cols[ci].ty = ty.clone();
            let alias = after.alias() == Some(ci);
            let converted = convert(scratch, &raw, &ty, t.strict, alias);
            if excluded("retype-to-rowid-alias") && alias && !was_alias && converted.is_err() {
                return None;
            }
            let parent_key = fk_referenced(m, ti, &cname);
            if excluded("retype-parent-key-and-rename")
                && m.group_renamed.contains(&lc(&tname))
                && parent_key
            {
                return None;
            }
            if excluded("retype-new-column") && m.group_added.contains(&(lc(&tname), lc(&cname))) {
                return None;
            }
            if excluded("retype-twice") && m.group_retyped.contains(&(lc(&tname), lc(&cname))) {
                return None;
            }
            m.group_retyped.push((lc(&tname), lc(&cname)));
            if parent_key {
                m.group_retyped_keys.push(lc(&tname));
            }
            if using.is_some() {
                m.group_using.push((lc(&tname), lc(&cname)));
            }
            m.tables[ti].cols[ci].ty = ty.clone();
            if alias && !was_alias {
                // The column becomes the rowid alias, so rowids become its values; but a later
                // change in the same script may drop the key again, and then kit keeps the
                // original rowids. Either is fine: do not predict them.
                m.tables[ti].rowids_known = false;
            }
            let vals = match converted {
                Ok(vals) => vals,
                Err(e) => {
                    m.expect_refuse.get_or_insert(e);
                    vec![None; raw.len()]
                }
            };
            for (row, v) in m.tables[ti].rows.iter_mut().zip(vals) {
                row.vals[ci] = v;
            }
            let head = match r.d % 3 {
                0 => format!(
                    "{} {} {} {ty}",
                    kw("ALTER COLUMN"),
                    ident(&cname, bare),
                    kw("TYPE")
                ),
                1 => format!(
                    "{} {} {} {ty}",
                    kw("ALTER"),
                    ident(&cname, bare),
                    kw("SET DATA TYPE")
                ),
                _ => format!(
                    "{} {} {} {ty}",
                    kw("ALTER COLUMN"),
                    ident(&cname, bare),
                    kw("SET DATA TYPE")
                ),
            };
            let action = match &using {
                Some(u) => format!("{head} {} {u}", kw("USING")),
                None => head,
            };
            ("alter type", action)
        }
        // SET NOT NULL / DROP NOT NULL
        5 | 6 => {
            let t = &mut m.tables[ti];
            let ci = pick_col(t, r.a, |_| true)?;
            let cname = t.cols[ci].name.clone();
            let set = r.kind == 5;
            t.cols[ci].notnull = set;
            (
                if set { "set not null" } else { "drop not null" },
                format!(
                    "{} {} {}",
                    kw("ALTER COLUMN"),
                    ident(&cname, bare),
                    kw(if set { "SET NOT NULL" } else { "DROP NOT NULL" })
                ),
            )
        }
        // SET DEFAULT
        7 => {
            let added = m.group_added.clone();
            let t = &mut m.tables[ti];
            let ci = pick_col(t, r.a, |c| c.gen.is_none())?;
            let cname = t.cols[ci].name.clone();
            if excluded("default-after-add") && added.contains(&(lc(&tname), lc(&cname))) {
                return None;
            }
            let (written, stored) = [
                ("7", "7"),
                ("'zz'", "'zz'"),
                ("-2.5", "-2.5"),
                ("NULL", "NULL"),
                ("(1+1)", "(1+1)"),
                ("2*3", "(2*3)"),
                ("lower('ABC')", "(lower('ABC'))"),
                ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
            ][pick(8, r.b)];
            t.cols[ci].dflt = Some(stored.to_string());
            (
                "set default",
                format!(
                    "{} {} {} {written}",
                    kw("ALTER COLUMN"),
                    ident(&cname, bare),
                    kw("SET DEFAULT")
                ),
            )
        }
        // DROP DEFAULT
        8 => {
            let added = m.group_added.clone();
            let t = &mut m.tables[ti];
            let ci = pick_col(t, r.a, |c| c.gen.is_none())?;
            let cname = t.cols[ci].name.clone();
            if excluded("default-after-add") && added.contains(&(lc(&tname), lc(&cname))) {
                return None;
            }
            t.cols[ci].dflt = None;
            (
                "drop default",
                format!(
                    "{} {} {}",
                    kw("ALTER COLUMN"),
                    ident(&cname, bare),
                    kw("DROP DEFAULT")
                ),
            )
        }
        // ADD CHECK / UNIQUE / FOREIGN KEY
        9..=11 => {
            let t = &m.tables[ti];
            let ca = pick_col(t, r.a, |c| c.gen.is_none())?;
            let cb = pick_col(t, r.b, |c| c.gen.is_none())?;
            let a = t.cols[ca].name.clone();
            let b = t.cols[cb].name.clone();
            let kind = match r.kind {
                9 => {
                    if ca != cb && r.c.is_multiple_of(3) {
                        CK::Check(10, vec![a, b])
                    } else {
                        CK::Check(r.c % 4, vec![a])
                    }
                }
                10 => {
                    let cols = if ca != cb && r.c.is_multiple_of(2) {
                        vec![a, b]
                    } else {
                        vec![a]
                    };
                    let pk = t.pk_cols();
                    if excluded("rename-wr-pk-unique")
                        && t.wr
                        && cols.iter().any(|c| pk.iter().any(|p| eq_i(p, c)))
                    {
                        return None;
                    }
                    CK::Unique(cols)
                }
                _ => {
                    let pi = pick(m.tables.len(), r.c);
                    let keys = m.tables[pi].keys();
                    if keys.is_empty() {
                        return None;
                    }
                    let (pcol, is_pk) = keys[pick(keys.len(), r.b)].clone();
                    if excluded("using-then-add-fk")
                        && m.group_using.contains(&(lc(&tname), lc(&a)))
                    {
                        return None;
                    }
                    if excluded("fk-across-batches")
                        && m.group_touched.contains(&lc(&m.tables[pi].name))
                    {
                        return None;
                    }
                    if excluded("fk-affinity-mismatch")
                        && col_affinity(&m.tables[pi], &pcol) != col_affinity(&m.tables[ti], &a)
                    {
                        return None;
                    }
                    m.group_fk_parents.push(lc(&m.tables[pi].name));
                    CK::Fk {
                        cols: vec![a],
                        parent: m.tables[pi].name.clone(),
                        pcols: if is_pk && r.d.is_multiple_of(2) {
                            vec![]
                        } else {
                            vec![pcol]
                        },
                        on_delete: ["NO ACTION", "CASCADE", "SET NULL"][pick(3, r.d / 2)],
                    }
                }
            };
            let taken: Vec<String> = m.tables[ti].named().into_iter().map(|n| n.0).collect();
            let name = (r.d % 2 == 1).then(|| {
                fresh(CONS_NAMES, r.a, |n| {
                    taken.iter().any(|x| eq_i(x, n)) || m.name_taken(n)
                })
            });
            let k = Cons { name, kind };
            let text = render_tcons(&k);
            m.tables[ti].tcons.push(k);
            ("add constraint", format!("{} {text}", kw("ADD")))
        }
        // DROP CONSTRAINT (by explicit or PostgreSQL default name)
        _ => {
            let t = &mut m.tables[ti];
            let named = t.named();
            if named.is_empty() {
                return None;
            }
            let (name, col, idx) = named[pick(named.len(), r.a)].clone();
            let is_pk = match col {
                Some(ci) => matches!(t.cols[ci].cons[idx].kind, CK::Pk(_)),
                None => matches!(t.tcons[idx].kind, CK::Pk(_)),
            };
            if excluded("wr-drop-pk") && t.wr && is_pk {
                return None;
            }
            let tn = t.name.clone();
            let implicit_child = m.tables.iter().any(|o| {
                o.all_cons().iter().any(|k| {
                    matches!(&k.kind, CK::Fk { parent, pcols, .. } if eq_i(parent, &tn) && pcols.is_empty())
                })
            });
            if excluded("drop-pk-implicit-fk") && is_pk && implicit_child {
                return None;
            }
            let explicit = match col {
                Some(ci) => m.tables[ti].cols[ci].cons[idx].name.is_some(),
                None => m.tables[ti].tcons[idx].name.is_some(),
            };
            let is_key = is_pk
                || match col {
                    Some(ci) => matches!(m.tables[ti].cols[ci].cons[idx].kind, CK::Unique(_)),
                    None => matches!(m.tables[ti].tcons[idx].kind, CK::Unique(_)),
                };
            let referenced = m.tables.iter().any(|o| {
                o.all_cons()
                    .iter()
                    .any(|k| matches!(&k.kind, CK::Fk { parent, .. } if eq_i(parent, &tn)))
            });
            let partial_unique = m
                .indexes
                .iter()
                .any(|i| eq_i(&i.table, &tn) && i.unique && i.partial);
            if excluded("drop-key-partial-index") && is_key && referenced && partial_unique {
                return None;
            }
            if excluded("drop-key-after-add-fk") && is_key && m.group_fk_parents.contains(&lc(&tn))
            {
                return None;
            }
            if !explicit {
                m.group_default_drops.push(lc(&tn));
            }
            let t = &mut m.tables[ti];
            match col {
                Some(ci) => {
                    let k = t.cols[ci].cons.remove(idx);
                    if matches!(k.kind, CK::Pk(_)) {
                        t.cols[ci].autoinc = false;
                        t.cols[ci].pk_desc = false;
                    }
                }
                None => {
                    t.tcons.remove(idx);
                }
            }
            (
                "drop constraint",
                format!("{} {}", kw("DROP CONSTRAINT"), ident(&name, bare)),
            )
        }
    };
    let t = &mut m.tables[ti];
    refresh(scratch, t);
    let now = lc(&t.name);
    m.group_touched.push(lc(&tname));
    m.group_touched.push(now);
    Some(Change {
        table: tname,
        action,
        rename,
        kind,
    })
}

pub fn drop_column(m: &mut Model, ti: usize, ci: usize) {
    let t = &mut m.tables[ti];
    let cname = t.cols[ci].name.clone();
    t.cols.remove(ci);
    for r in &mut t.rows {
        r.vals.remove(ci);
    }
    for c in &mut t.cols {
        c.cons
            .retain(|k| !(matches!(k.kind, CK::Check(..)) && cons_mentions(&k.kind, &cname)));
    }
    t.tcons.retain(|k| !cons_mentions(&k.kind, &cname));
    let tn = t.name.clone();
    m.indexes
        .retain(|i| !(eq_i(&i.table, &tn) && i.uses.iter().any(|u| eq_i(u, &cname))));
}

pub fn rename_column(m: &mut Model, ti: usize, from: &str, to: &str) {
    let tn = m.tables[ti].name.clone();
    for (t, c) in m
        .group_added
        .iter_mut()
        .chain(m.group_using.iter_mut())
        .chain(m.group_retyped.iter_mut())
    {
        if eq_i(t, &tn) && eq_i(c, from) {
            *c = lc(to);
        }
    }
    for (t, c) in &mut m.view_uses {
        if eq_i(t, &tn) && eq_i(c, from) {
            *c = to.to_string();
        }
    }
    {
        let t = &mut m.tables[ti];
        for c in &mut t.cols {
            if eq_i(&c.name, from) {
                c.name = to.to_string();
            }
            if let Some(g) = &mut c.gen {
                if eq_i(&g.input, from) {
                    g.input = to.to_string();
                }
            }
            for k in &mut c.cons {
                rename_cons(&mut k.kind, from, to);
            }
        }
        for k in &mut t.tcons {
            rename_cons(&mut k.kind, from, to);
        }
    }
    for t in &mut m.tables {
        for k in t
            .cols
            .iter_mut()
            .flat_map(|c| c.cons.iter_mut())
            .chain(t.tcons.iter_mut())
        {
            if let CK::Fk { parent, pcols, .. } = &mut k.kind {
                if eq_i(parent, &tn) {
                    rename_in(pcols, from, to);
                }
            }
        }
    }
    for i in &mut m.indexes {
        if eq_i(&i.table, &tn) {
            rename_in(&mut i.uses, from, to);
            for k in &mut i.keys {
                if let Some(c) = &mut k.0 {
                    if eq_i(c, from) {
                        *c = to.to_string();
                    }
                }
            }
        }
    }
}
