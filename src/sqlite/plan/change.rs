//! What each operation does to a table's model: the cheapest path SQLite allows for it, the
//! preflight checks it needs, and the refusals PostgreSQL's semantics call for.

use super::*;

impl Planner {
    /// Applies one op to the model, returning the cheapest path SQLite allows for it and
    /// collecting its preflight checks.
    pub(super) fn apply_op(
        &self,
        t: &mut Table,
        sources: &mut Vec<Source>,
        op: &Op,
        text: &str,
        checks: &mut Vec<Check>,
        dropped_indexes: &mut Vec<String>,
    ) -> Result<Path> {
        let tn = t.name.clone();
        let col_idx = |t: &Table, c: &str| {
            t.column(c)
                .map(|(i, _)| i)
                .ok_or_else(|| unknown_column(&tn, c, text))
        };
        match op {
            Op::SetStrict { on } => {
                if t.strict == *on {
                    return Ok(Path::Native); // nothing to do
                }
                t.strict = *on;
                t.tail = table_options(t);
                if !*on {
                    // A non-STRICT ANY column has NUMERIC affinity, which converts some values.
                    for (i, c) in t.columns.iter().enumerate() {
                        let any = c.type_text.trim().eq_ignore_ascii_case("any");
                        if let (true, None, Some(src)) = (any, c.generated(), &sources[i].value) {
                            checks.push(rows_check(
                                t,
                                &format!(
                                    "column \"{}\" holds values that a non-STRICT ANY column (NUMERIC affinity) would convert, e.g. the text '1e3' to the number 1000",
                                    c.name
                                ),
                                &format!("kit_numeric_changes({src})"),
                                "keep the table STRICT, change the column's type first (ALTER COLUMN ... TYPE TEXT or BLOB), or convert those values yourself",
                            ));
                        }
                    }
                }
                if *on {
                    for (i, c) in t.columns.iter().enumerate() {
                        let ty = c.type_text.trim().to_ascii_uppercase();
                        if !STRICT_TYPES.contains(&ty.as_str()) {
                            return Err(Error::refused(
                                &tn,
                                format!(
                                    "column \"{}\" has type {}, which a STRICT table does not accept",
                                    c.name,
                                    if ty.is_empty() { "(none)".to_string() } else { c.type_text.clone() }
                                ),
                                "change it first with ALTER COLUMN ... TYPE INT, INTEGER, REAL, TEXT, BLOB or ANY, in the same change",
                            ));
                        }
                        if ty == "ANY" || c.generated().is_some() {
                            continue;
                        }
                        if let Some(src) = &sources[i].value {
                            checks.push(rows_check(
                                t,
                                &format!(
                                    "column \"{}\" holds values a STRICT {ty} column cannot",
                                    c.name
                                ),
                                &format!("NOT kit_strict_ok({src}, {})", quote_str(&ty)),
                                "convert the values first (UPDATE ... SET c = CAST(c AS ...))",
                            ));
                        }
                    }
                }
                Ok(Path::Rebuild)
            }
            Op::SetWithoutRowid { on } => {
                if t.without_rowid == *on {
                    return Ok(Path::Native); // nothing to do
                }
                if *on {
                    let pk = t.primary_key();
                    if pk.is_empty() {
                        return Err(Error::refused(
                            &tn,
                            "a WITHOUT ROWID table needs a PRIMARY KEY".to_string(),
                            "add one first (ALTER TABLE ... ADD PRIMARY KEY (...)), in the same change",
                        ));
                    }
                    if t.autoincrement() {
                        return Err(Error::refused(
                            &tn,
                            "AUTOINCREMENT needs a rowid, so the table cannot be WITHOUT ROWID".to_string(),
                            "drop AUTOINCREMENT first (ALTER COLUMN ... TYPE INTEGER keeps the key)",
                        ));
                    }
                    let nulls: Vec<String> = pk
                        .iter()
                        .filter_map(|k| t.column(k).map(|(i, _)| i))
                        .filter_map(|i| sources[i].value.clone())
                        .map(|v| format!("{v} IS NULL"))
                        .collect();
                    if !nulls.is_empty() {
                        checks.push(rows_check(
                            t,
                            "PRIMARY KEY columns of a WITHOUT ROWID table cannot hold NULL",
                            &nulls.join(" OR "),
                            "fill or delete those rows first",
                        ));
                    }
                    t.without_rowid = true;
                } else {
                    t.without_rowid = false;
                    if let Some(alias) = t.rowid_alias() {
                        let (i, _) = t.column(&alias.name.clone()).unwrap_or((0, alias));
                        if let Some(src) = sources[i].value.clone() {
                            checks.push(rows_check(
                                t,
                                &format!("column \"{}\" becomes the rowid (INTEGER PRIMARY KEY), which holds only integers", t.columns[i].name),
                                &format!("NOT kit_strict_ok({src}, 'INTEGER')"),
                                "convert or remove the rows whose key is not an integer first",
                            ));
                        }
                    }
                }
                t.tail = table_options(t);
                Ok(Path::Rebuild)
            }
            Op::AddColumn {
                column,
                if_not_exists,
            } => {
                if t.column(&column.name).is_some() {
                    if *if_not_exists {
                        return Ok(Path::Native);
                    }
                    return Err(Error::refused(
                        &tn,
                        format!("column \"{}\" already exists", column.name),
                        "pick another name, or write ADD COLUMN IF NOT EXISTS",
                    ));
                }
                let mut c = column.clone();
                c.leading = t.new_item_leading();
                let not_null = c.not_null();
                let default = c.default().map(str::to_string);
                let generated = c.generated();
                if not_null
                    && generated.is_none()
                    && default
                        .as_deref()
                        .is_none_or(|d| d.eq_ignore_ascii_case("null"))
                {
                    checks.push(Check {
                        table: tn.clone(),
                        reason: format!("ADD COLUMN \"{}\" NOT NULL without a default on a table that has rows", c.name),
                        hint: "give the column a DEFAULT, or add it nullable, fill it, then SET NOT NULL".into(),
                        count_sql: format!("SELECT count(*) FROM {}", quote_ident(&tn)),
                        examples_sql: format!("SELECT {} FROM {} LIMIT 5", key_expr(t), quote_ident(&tn)),
                    });
                }
                if t.strict && generated.is_none() {
                    let ty = c.type_text.trim().to_ascii_uppercase();
                    if let Some(d) = default.as_deref().filter(|_| ty != "ANY") {
                        checks.push(rows_check(
                            t,
                            &format!(
                                "the DEFAULT of new column \"{}\" ({d}) is not a value a STRICT {ty} column can hold, and existing rows would get it",
                                c.name
                            ),
                            &format!("NOT kit_strict_ok({d}, {})", quote_str(&ty)),
                            "use a default of the column's type, or add the column to an empty table",
                        ));
                    }
                }
                let has = |f: fn(&ColumnConstraintKind) -> bool| c.has(f);
                let pk_or_unique = has(|k| {
                    matches!(
                        k,
                        ColumnConstraintKind::PrimaryKey { .. } | ColumnConstraintKind::Unique
                    )
                });
                let non_constant_default = default.as_deref().is_some_and(|d| {
                    d.starts_with('(')
                        || ["current_time", "current_date", "current_timestamp"]
                            .iter()
                            .any(|k| d.eq_ignore_ascii_case(k))
                });
                let fk_with_default = has(|k| matches!(k, ColumnConstraintKind::References(_)))
                    && default
                        .as_deref()
                        .is_some_and(|d| !d.eq_ignore_ascii_case("null"));
                let stored = generated.is_some_and(|(_, s)| s);
                let not_null_no_default = not_null
                    && default
                        .as_deref()
                        .is_none_or(|d| d.eq_ignore_ascii_case("null"));
                if pk_or_unique
                    && !t.primary_key().is_empty()
                    && has(|k| matches!(k, ColumnConstraintKind::PrimaryKey { .. }))
                {
                    return Err(Error::refused(
                        &tn,
                        "table already has a primary key",
                        "drop the existing primary key constraint first",
                    ));
                }
                let native_ok = !pk_or_unique
                    && !shadows_rowid(t)
                    && !is_rowid_name(&c.name)
                    && !non_constant_default
                    && !fk_with_default
                    && !stored
                    && !not_null_no_default;
                // Existing rows get the default: its CHECKs must hold for it on every row.
                let value = match (&default, generated) {
                    (_, Some((expr, _))) => Some(format!("({expr})")),
                    (Some(d), None) => Some(format!("({d})")),
                    (None, None) => None,
                };
                for k in &c.constraints {
                    if let (ColumnConstraintKind::Check(expr), Some(v)) = (&k.kind, &value) {
                        if let Some(cond) = crate::sql::substitute(expr, &c.name, v) {
                            checks.push(rows_check(
                                t,
                                &format!("new column \"{}\" gets {v} on existing rows, which breaks CHECK ({expr})", c.name),
                                &format!("NOT ({cond})"),
                                "choose a DEFAULT that satisfies the CHECK, or add the column without the CHECK, fill it, then ADD CONSTRAINT",
                            ));
                        }
                    }
                    if let ColumnConstraintKind::References(r) = &k.kind {
                        let (parent, pcols) = self.fk_parent(t, r, text)?;
                        self.require_parent_key(&tn, &parent, &pcols)?;
                    }
                }
                t.columns.push(c);
                sources.push(Source {
                    origin: None,
                    value: None,
                });
                Ok(if native_ok {
                    Path::Native
                } else {
                    Path::Rebuild
                })
            }
            Op::DropColumn { column, if_exists } => {
                let Some((i, _)) = t.column(column) else {
                    if *if_exists {
                        return Ok(Path::Native);
                    }
                    return Err(unknown_column(&tn, column, text));
                };
                let cname = t.columns[i].name.clone();
                if t.columns.len() == 1 {
                    return Err(Error::refused(
                        &tn,
                        format!("cannot drop \"{cname}\", the only column"),
                        "drop the table instead",
                    ));
                }
                self.refuse_if_referenced(t, &cname)?;
                let mut native_ok = !shadows_rowid(t);
                // Constraints that involve the column go with it, as in PostgreSQL.
                let before = t.constraints.len();
                t.constraints
                    .retain(|k| !constraint_mentions(&k.kind, &cname));
                if t.constraints.len() != before {
                    native_ok = false;
                }
                let col = &t.columns[i];
                if col.has(|k| {
                    matches!(
                        k,
                        ColumnConstraintKind::PrimaryKey { .. }
                            | ColumnConstraintKind::Unique
                            | ColumnConstraintKind::References(_)
                    )
                }) {
                    native_ok = false;
                }
                for (j, other) in t.columns.iter_mut().enumerate() {
                    if j == i {
                        continue;
                    }
                    if let Some((expr, _)) = other.generated() {
                        if mentions(expr, &cname) {
                            return Err(Error::refused(
                                &tn,
                                format!("generated column \"{}\" uses \"{cname}\"", other.name),
                                "drop or change the generated column first",
                            ));
                        }
                    }
                    let n = other.constraints.len();
                    other.constraints.retain(|k| !matches!(&k.kind, ColumnConstraintKind::Check(e) if mentions(e, &cname)));
                    if other.constraints.len() != n {
                        native_ok = false;
                    }
                }
                for idx in self.schema.indexes_on(&tn) {
                    let uses = idx
                        .columns
                        .iter()
                        .any(|c| c.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(&cname)))
                        || idx.sql.as_deref().is_some_and(|s| {
                            s.find('(').is_some_and(|p| mentions(&s[p..], &cname))
                        });
                    if uses {
                        if idx.sql.is_none() {
                            native_ok = false; // a UNIQUE/PK autoindex: the constraint goes in a rebuild
                        } else if !dropped_indexes.contains(&idx.name) {
                            dropped_indexes.push(idx.name.clone());
                        }
                    }
                }
                t.columns.remove(i);
                sources.remove(i);
                Ok(if native_ok {
                    Path::Native
                } else {
                    Path::Rebuild
                })
            }
            Op::AlterType {
                column,
                type_text,
                collate,
                using,
            } => {
                let i = col_idx(t, column)?;
                let c = &mut t.columns[i];
                if c.generated().is_some() {
                    return Err(Error::refused(
                        &tn,
                        format!("\"{}\" is a generated column", c.name),
                        "drop and re-add the generated column instead",
                    ));
                }
                if c.has(|k| {
                    matches!(
                        k,
                        ColumnConstraintKind::PrimaryKey {
                            autoincrement: true,
                            ..
                        }
                    )
                }) && !type_text.eq_ignore_ascii_case("integer")
                {
                    return Err(Error::refused(
                        &tn,
                        format!("\"{}\" is an AUTOINCREMENT key, which SQLite allows only as INTEGER PRIMARY KEY", c.name),
                        "keep the type INTEGER",
                    ));
                }
                let was_alias = t
                    .rowid_alias()
                    .is_some_and(|a| a.name.eq_ignore_ascii_case(column));
                t.columns[i].set_type(type_text);
                if let Some(name) = collate {
                    let col = &mut t.columns[i];
                    col.constraints
                        .retain(|k| !matches!(k.kind, ColumnConstraintKind::Collate(_)));
                    if !name.eq_ignore_ascii_case("default") {
                        col.push_constraint(
                            ColumnConstraintKind::Collate(name.clone()),
                            format!("COLLATE {}", quote_ident(name)),
                        );
                    }
                }
                if let Some(u) = using {
                    sources[i].value = Some(format!("({u})"));
                }
                let becomes_alias = t
                    .rowid_alias()
                    .is_some_and(|a| a.name.eq_ignore_ascii_case(column));
                if becomes_alias && !was_alias {
                    if let Some(src) = &sources[i].value {
                        checks.push(rows_check(
                            t,
                            &format!("column \"{column}\" becomes the rowid (INTEGER PRIMARY KEY), which holds only integers"),
                            &format!("NOT kit_strict_ok({src}, 'INTEGER')"),
                            "convert or remove the rows whose key is not an integer first",
                        ));
                    }
                }
                if t.strict {
                    if let Some(src) = &sources[i].value {
                        checks.push(Check {
                            table: tn.clone(),
                            reason: format!("column \"{}\" of a STRICT table cannot hold some values as {type_text}", t.columns[i].name),
                            hint: "convert the values first (UPDATE ... SET c = CAST(c AS ...)) or add USING".into(),
                            count_sql: format!("SELECT count(*) FROM {} WHERE NOT kit_strict_ok({src}, {})", quote_ident(&tn), quote_str(type_text)),
                            examples_sql: format!(
                                "SELECT {} FROM {} WHERE NOT kit_strict_ok({src}, {}) LIMIT 5",
                                key_expr(t),
                                quote_ident(&tn),
                                quote_str(type_text)
                            ),
                        });
                    }
                }
                Ok(Path::Rebuild)
            }
            Op::SetNotNull { column } => {
                let i = col_idx(t, column)?;
                let c = &mut t.columns[i];
                if c.not_null() {
                    return Ok(Path::Edit);
                }
                c.constraints
                    .retain(|k| k.kind != ColumnConstraintKind::Null);
                c.push_constraint(ColumnConstraintKind::NotNull, "NOT NULL");
                let name = c.name.clone();
                if let Some(src) = &sources[i].value {
                    checks.push(rows_check(
                        t,
                        &format!("column \"{name}\" has NULLs, so it cannot be SET NOT NULL"),
                        &format!("{src} IS NULL"),
                        "UPDATE the NULLs to a value first, or set a DEFAULT and fill them",
                    ));
                }
                Ok(Path::Edit)
            }
            Op::DropNotNull { column } => {
                let i = col_idx(t, column)?;
                let name = t.columns[i].name.clone();
                if t.primary_key()
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&name))
                {
                    return Err(Error::refused(
                        &tn,
                        format!(
                            "column \"{name}\" is in the primary key, which is always NOT NULL"
                        ),
                        "drop the primary key constraint first (as PostgreSQL requires)",
                    ));
                }
                let c = &mut t.columns[i];
                c.constraints
                    .retain(|k| k.kind != ColumnConstraintKind::NotNull);
                Ok(Path::Edit)
            }
            Op::SetDefault { column, expr } => {
                let i = col_idx(t, column)?;
                let c = &mut t.columns[i];
                let text = if expr.starts_with('(') || is_literal(expr) {
                    expr.clone()
                } else {
                    format!("({expr})")
                };
                if let Some(k) = c
                    .constraints
                    .iter_mut()
                    .find(|k| matches!(k.kind, ColumnConstraintKind::Default(_)))
                {
                    k.kind = ColumnConstraintKind::Default(text.clone());
                    k.text = format!("DEFAULT {text}");
                    k.name = None;
                } else {
                    c.push_constraint(
                        ColumnConstraintKind::Default(text.clone()),
                        format!("DEFAULT {text}"),
                    );
                }
                // Rows stored before an ADD COLUMN read a missing value from the stored default,
                // so editing the default in place could change them: rebuild.
                Ok(Path::Rebuild)
            }
            Op::DropDefault { column } => {
                let i = col_idx(t, column)?;
                let c = &mut t.columns[i];
                c.constraints
                    .retain(|k| !matches!(k.kind, ColumnConstraintKind::Default(_)));
                Ok(Path::Rebuild)
            }
            Op::AddConstraint { constraint } => {
                self.add_constraint(t, sources, constraint, text, checks)
            }
            Op::DropConstraint { name, if_exists } => {
                let found = t
                    .named_constraints()
                    .into_iter()
                    .find(|n| n.name.eq_ignore_ascii_case(name));
                let Some(found) = found else {
                    if *if_exists {
                        return Ok(Path::Edit);
                    }
                    let known: Vec<String> =
                        t.named_constraints().into_iter().map(|n| n.name).collect();
                    return Err(Error::Unknown {
                        what: format!(
                            "constraint \"{name}\" on table \"{tn}\" (it has: {})",
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                        statement: text.to_string(),
                    });
                };
                let old_pk = t.primary_key();
                let path = match found.place {
                    ConstraintPlace::Column { column, index } => {
                        let c = &mut t.columns[column];
                        let k = c.constraints.remove(index);
                        constraint_path(&KindRef::Col(&k.kind))
                    }
                    ConstraintPlace::Table { index } => {
                        let k = t.constraints.remove(index);
                        constraint_path(&KindRef::Tab(&k.kind))
                    }
                };
                if path == Path::Rebuild {
                    self.refuse_if_key_referenced(t, &old_pk, name)?;
                }
                Ok(path)
            }
            Op::RenameColumn { .. } | Op::RenameTable { .. } => unreachable_rename(),
        }
    }

    pub(super) fn add_constraint(
        &self,
        t: &mut Table,
        sources: &[Source],
        k: &TableConstraint,
        text: &str,
        checks: &mut Vec<Check>,
    ) -> Result<Path> {
        let tn = t.name.clone();
        let mut k = k.clone();
        k.leading = t.new_item_leading();
        if let Some(n) = &k.name {
            if t.named_constraints()
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(n))
            {
                return Err(Error::refused(
                    &tn,
                    format!("constraint \"{n}\" already exists"),
                    "pick another name",
                ));
            }
        }
        let src_of = |c: &str| -> Result<Option<String>> {
            let (i, _) = t.column(c).ok_or_else(|| unknown_column(&tn, c, text))?;
            Ok(sources[i].value.clone())
        };
        let path = match &k.kind {
            TableConstraintKind::PrimaryKey(cols) | TableConstraintKind::Unique(cols) => {
                let pk = matches!(k.kind, TableConstraintKind::PrimaryKey(_));
                if pk && !t.primary_key().is_empty() {
                    return Err(Error::refused(
                        &tn,
                        "table already has a primary key",
                        "drop the existing primary key constraint first",
                    ));
                }
                let srcs: Option<Vec<String>> = cols
                    .iter()
                    .map(|c| src_of(c))
                    .collect::<Result<Vec<_>>>()?
                    .into_iter()
                    .collect();
                if let Some(srcs) = srcs {
                    let list = srcs.join(", ");
                    let not_null: Vec<String> =
                        srcs.iter().map(|s| format!("{s} IS NOT NULL")).collect();
                    let what = if pk { "PRIMARY KEY" } else { "UNIQUE" };
                    let lhs = if srcs.len() == 1 {
                        list.clone()
                    } else {
                        format!("({list})")
                    };
                    checks.push(rows_check_showing(
                        t,
                        &format!("{what} ({}) over duplicate values: rows share a value", cols.join(", ")),
                        &format!(
                            "{lhs} IN (SELECT {list} FROM {} WHERE {} GROUP BY {list} HAVING count(*) > 1) ORDER BY {list}",
                            quote_ident(&tn),
                            not_null.join(" AND ")
                        ),
                        "remove or change the duplicate rows first",
                        &srcs,
                    ));
                    if pk {
                        // `PRIMARY KEY (c)` on an INTEGER column makes c the rowid, which holds
                        // only integers (even when written DESC at table level).
                        let mut after = t.clone();
                        after.constraints.push(k.clone());
                        if let Some(alias) = after.rowid_alias() {
                            if let Some(src) = src_of(&alias.name)? {
                                checks.push(rows_check(
                                    t,
                                    &format!("column \"{}\" becomes the rowid (INTEGER PRIMARY KEY), which holds only integers", alias.name),
                                    &format!("NOT kit_strict_ok({src}, 'INTEGER')"),
                                    "convert or remove the rows whose key is not an integer first",
                                ));
                            }
                        }
                        let any_null: Vec<String> =
                            srcs.iter().map(|s| format!("{s} IS NULL")).collect();
                        checks.push(rows_check(
                            t,
                            "PRIMARY KEY over NULL values",
                            &any_null.join(" OR "),
                            "fill the NULLs first",
                        ));
                    }
                }
                Path::Rebuild
            }
            TableConstraintKind::Check(expr) => {
                let plain = t
                    .columns
                    .iter()
                    .zip(sources)
                    .all(|(c, s)| !mentions(expr, &c.name) || s.is_identity());
                if plain {
                    let label = k.name.clone().unwrap_or_else(|| format!("CHECK ({expr})"));
                    checks.push(rows_check(
                        t,
                        &format!("{label} is violated by existing rows"),
                        &format!("NOT ({expr})"),
                        "fix the rows first, or change the CHECK",
                    ));
                }
                Path::Edit
            }
            TableConstraintKind::ForeignKey { columns, refs } => {
                let (parent, pcols) = self.fk_parent(t, refs, text)?;
                if pcols.len() != columns.len() {
                    return Err(Error::refused(
                        &tn,
                        format!(
                            "foreign key has {} columns but the parent key of \"{}\" has {}",
                            columns.len(),
                            parent.name,
                            pcols.len()
                        ),
                        "name the parent columns explicitly",
                    ));
                }
                for c in &pcols {
                    if parent.column(c).is_none() {
                        return Err(unknown_column(&parent.name, c, text));
                    }
                }
                self.require_parent_key(&tn, &parent, &pcols)?;
                // Checked here for columns copied unchanged; the check before COMMIT covers the rest.
                let identity =
                    |c: &String| t.column(c).is_some_and(|(i, _)| sources[i].is_identity());
                let plain = columns.iter().all(identity)
                    && (!refs.table.eq_ignore_ascii_case(&tn) || pcols.iter().all(identity));
                let srcs: Option<Vec<String>> = columns
                    .iter()
                    .map(|c| src_of(c))
                    .collect::<Result<Vec<_>>>()?
                    .into_iter()
                    .collect();
                if let (true, Some(srcs)) = (plain, srcs) {
                    let nn: Vec<String> = srcs.iter().map(|s| format!("{s} IS NOT NULL")).collect();
                    let eq: Vec<String> = srcs
                        .iter()
                        .zip(&pcols)
                        .map(|(s, p)| {
                            format!("_kit_p.{} = {}.{s}", quote_ident(p), quote_ident(&tn))
                        })
                        .collect();
                    checks.push(rows_check(
                        t,
                        &format!(
                            "FOREIGN KEY ({}) REFERENCES \"{}\" has rows without a parent",
                            columns.join(", "),
                            parent.name
                        ),
                        &format!(
                            "{} AND NOT EXISTS (SELECT 1 FROM {} AS _kit_p WHERE {})",
                            nn.join(" AND "),
                            quote_ident(&parent.name),
                            eq.join(" AND ")
                        ),
                        "delete the orphan rows or insert their parents first",
                    ));
                }
                Path::Edit
            }
        };
        t.constraints.push(k);
        Ok(path)
    }
}

pub(super) enum KindRef<'a> {
    Col(&'a ColumnConstraintKind),
    Tab(&'a TableConstraintKind),
}

/// Dropping CHECK and FOREIGN KEY constraints only edits the definition; keys need a rebuild.
pub(super) fn constraint_path(k: &KindRef) -> Path {
    match k {
        KindRef::Col(ColumnConstraintKind::Check(_))
        | KindRef::Col(ColumnConstraintKind::References(_)) => Path::Edit,
        KindRef::Tab(TableConstraintKind::Check(_))
        | KindRef::Tab(TableConstraintKind::ForeignKey { .. }) => Path::Edit,
        _ => Path::Rebuild,
    }
}

pub(super) fn constraint_mentions(k: &TableConstraintKind, col: &str) -> bool {
    let eq = |c: &String| c.eq_ignore_ascii_case(col);
    match k {
        TableConstraintKind::PrimaryKey(cols) | TableConstraintKind::Unique(cols) => {
            cols.iter().any(eq)
        }
        TableConstraintKind::Check(e) => mentions(e, col),
        TableConstraintKind::ForeignKey { columns, .. } => columns.iter().any(eq),
    }
}

/// True when a column of `t` is named `rowid`, `oid` or `_rowid_`: SQLite's native ADD and
/// DROP COLUMN reject such tables, so they are rebuilt.
pub(super) fn shadows_rowid(t: &Table) -> bool {
    t.columns.iter().any(|c| is_rowid_name(&c.name))
}

/// True for `rowid`, `oid` and `_rowid_`, in any case.
pub(super) fn is_rowid_name(name: &str) -> bool {
    ["rowid", "oid", "_rowid_"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
}

pub(super) fn unreachable_rename() -> Result<Path> {
    // Renames are emitted natively by `flush` and never reach a segment.
    Ok(Path::Native)
}

pub(super) fn is_literal(s: &str) -> bool {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    t.starts_with('\'')
        || [
            "null",
            "true",
            "false",
            "current_time",
            "current_date",
            "current_timestamp",
        ]
        .contains(&lower.as_str())
        || t.trim_start_matches(['-', '+']).parse::<f64>().is_ok()
        || (lower.starts_with("x'") && lower.ends_with('\''))
}

/// The expression that names a row in messages: its key columns or rowid.
pub(super) fn key_expr(t: &Table) -> String {
    let pk = t.primary_key();
    if !pk.is_empty() && (t.without_rowid || t.rowid_alias().is_some() || t.rowid_name().is_none())
    {
        let parts: Vec<String> = pk
            .iter()
            .map(|c| format!("{} || '=' || quote({})", quote_str(c), quote_ident(c)))
            .collect();
        return parts.join(" || ', ' || ");
    }
    match t.rowid_name() {
        Some(r) => format!("'rowid=' || {r}"),
        None => "'?'".to_string(),
    }
}

/// The type names a STRICT table accepts.
const STRICT_TYPES: [&str; 6] = ["INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"];

/// The text after a table's closing parenthesis for its options.
fn table_options(t: &Table) -> String {
    let mut opts = Vec::new();
    if t.strict {
        opts.push("STRICT");
    }
    if t.without_rowid {
        opts.push("WITHOUT ROWID");
    }
    if opts.is_empty() {
        String::new()
    } else {
        format!(" {}", opts.join(", "))
    }
}

pub(super) fn rows_check(t: &Table, reason: &str, condition: &str, hint: &str) -> Check {
    rows_check_showing(t, reason, condition, hint, &[])
}

/// Like [`rows_check`], with the values of `show` after each example key: `id=1 ('a@x')`.
pub(super) fn rows_check_showing(
    t: &Table,
    reason: &str,
    condition: &str,
    hint: &str,
    show: &[String],
) -> Check {
    let mut key = key_expr(t);
    if !show.is_empty() {
        let vals: Vec<String> = show.iter().map(|s| format!("quote({s})")).collect();
        key = format!("{key} || ' (' || {} || ')'", vals.join(" || ', ' || "));
    }
    Check {
        table: t.name.clone(),
        reason: reason.to_string(),
        hint: hint.to_string(),
        count_sql: format!(
            "SELECT count(*) FROM {} WHERE {condition}",
            quote_ident(&t.name)
        ),
        examples_sql: format!(
            "SELECT {key} FROM {} WHERE {condition} LIMIT 5",
            quote_ident(&t.name)
        ),
    }
}
