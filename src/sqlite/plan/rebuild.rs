//! The rebuild itself (rename old, create new, copy once, drop old, recreate indexes and
//! triggers) and the in-place edit of a stored definition.

use super::*;

impl Planner {
    /// Emits one rebuild of `old` into `new`, copying each column from its source.
    pub(super) fn rebuild(
        &mut self,
        old: &Table,
        new: &Table,
        sources: &[Source],
        checks: Vec<Check>,
        desc: String,
    ) -> Result<()> {
        let name = old.name.clone();
        let mut tmp = format!("_kit_old_{name}");
        let mut n = 1;
        while self.name_taken(&tmp) {
            n += 1;
            tmp = format!("_kit_old_{name}_{n}");
        }
        // Columns to copy: not generated, with a source.
        let mut into = Vec::new();
        let mut from = Vec::new();
        for (c, s) in new.columns.iter().zip(sources) {
            if c.generated().is_some() {
                continue;
            }
            if let Some(v) = &s.value {
                into.push(quote_ident(&c.name));
                from.push(v.clone());
            }
        }
        // Keep rowids. A new rowid alias (INTEGER PRIMARY KEY) column that gets no value of its
        // own takes the old rowids, so the key is the rowid the row always had; one that
        // descends from a column carries that column's values.
        let alias_copied = new.rowid_alias().is_some_and(|a| {
            new.columns.iter().zip(sources).any(|(c, s)| {
                c.name == a.name
                    && s.is_identity()
                    && old
                        .rowid_alias()
                        .is_some_and(|oa| s.origin.as_deref() == Some(oa.name.as_str()))
            })
        });
        let alias_source = new.rowid_alias().and_then(|a| {
            new.columns
                .iter()
                .zip(sources)
                .find(|(c, _)| c.name == a.name)
                .map(|(c, s)| (c.name.clone(), s.value.is_some()))
        });
        if let Some(or) = old.rowid_name().filter(|_| !alias_copied) {
            match alias_source {
                Some((_, true)) => {} // the alias column's own values become the rowids
                Some((alias, false)) => {
                    into.insert(0, quote_ident(&alias));
                    from.insert(0, or.to_string());
                }
                None => {
                    if let Some(nr) = new.rowid_name() {
                        into.insert(0, nr.to_string());
                        from.insert(0, or.to_string());
                    }
                }
            }
        }
        let mut sql = vec![
            "PRAGMA legacy_alter_table = ON".to_string(),
            format!(
                "ALTER TABLE {} RENAME TO {}",
                quote_ident(&name),
                quote_ident(&tmp)
            ),
            new.render(),
        ];
        // Same columns in the same order, rowids carried by a column (or none): `SELECT *`
        // lets SQLite copy records without decoding them when the definitions allow it.
        let same_shape = new.columns.len() == old.columns.len()
            && new
                .columns
                .iter()
                .zip(&old.columns)
                .zip(sources)
                .all(|((n, o), s)| {
                    n.generated().is_none()
                        && o.generated().is_none()
                        && s.is_identity()
                        && s.origin.as_deref() == Some(o.name.as_str())
                })
            && ((new.without_rowid && old.without_rowid) || alias_copied);
        let copy_idx = sql.len();
        if same_shape {
            sql.push(format!(
                "INSERT INTO {} SELECT * FROM {}",
                quote_ident(&name),
                quote_ident(&tmp)
            ));
        } else {
            sql.push(format!(
                "INSERT INTO {} ({}) SELECT {} FROM {}",
                quote_ident(&name),
                into.join(", "),
                from.join(", "),
                quote_ident(&tmp)
            ));
        }
        if old.autoincrement() && new.autoincrement() {
            sql.push(format!(
                "DELETE FROM sqlite_sequence WHERE name = {}",
                quote_str(&name)
            ));
            sql.push(format!(
                "INSERT INTO sqlite_sequence (name, seq) SELECT {}, seq FROM sqlite_sequence WHERE name = {}",
                quote_str(&name),
                quote_str(&tmp)
            ));
        }
        sql.push(format!("DROP TABLE {}", quote_ident(&tmp)));
        sql.push("PRAGMA legacy_alter_table = OFF".to_string());
        // Old columns no new column descends from (a column dropped and added again under the
        // same name is a new column: indexes on the old one go).
        let dropped: Vec<&Column> = old
            .columns
            .iter()
            .filter(|c| {
                !sources
                    .iter()
                    .any(|s| s.origin.as_deref() == Some(c.name.as_str()))
            })
            .collect();
        for idx in self.schema.indexes_on(&name) {
            let Some(text) = &idx.sql else { continue };
            let uses_dropped = dropped.iter().any(|c| {
                idx.columns.iter().any(|k| {
                    k.as_deref()
                        .is_some_and(|k| k.eq_ignore_ascii_case(&c.name))
                }) || text
                    .find('(')
                    .is_some_and(|p| mentions(&text[p..], &c.name))
            });
            if !uses_dropped {
                sql.push(text.clone());
            }
        }
        for tr in self.schema.triggers_on(&name) {
            sql.push(tr.sql.clone());
        }
        // Foreign keys only need checking where the copy can change what they compare: this
        // table's own keys when their columns changed, and its children when the parent key did.
        let intact = |col: &str| -> bool {
            let Some((i, c)) = new.column(col) else {
                return false;
            };
            let Some((_, o)) = old.column(col) else {
                return false;
            };
            sources[i].is_identity()
                && sources[i].origin.as_deref() == Some(o.name.as_str())
                && c.type_text == o.type_text
                && c.constraints
                    .iter()
                    .filter(|k| matches!(k.kind, ColumnConstraintKind::Collate(_)))
                    .eq(o
                        .constraints
                        .iter()
                        .filter(|k| matches!(k.kind, ColumnConstraintKind::Collate(_))))
        };
        let own_changed = old.foreign_keys() != new.foreign_keys()
            || new
                .foreign_keys()
                .iter()
                .any(|(cols, _)| cols.iter().any(|c| !intact(c)));
        if own_changed {
            self.fk_tables.insert(name.clone());
        }
        let mut children = Vec::new();
        for other in self.all_tables() {
            for (_, r) in other.foreign_keys() {
                if !r.table.eq_ignore_ascii_case(&name) {
                    continue;
                }
                let keys = if r.columns.is_empty() {
                    old.primary_key()
                } else {
                    r.columns.clone()
                };
                if keys.is_empty() || !keys.iter().all(|k| intact(k)) {
                    children.push(other.name.clone());
                }
            }
        }
        self.fk_tables.extend(children);
        self.push(Step {
            path: Path::Rebuild,
            table: Some(name),
            description: desc,
            checks,
            sql,
            copy_statement: Some(copy_idx),
        })
    }
}

/// The SQL that replaces a table's stored definition in place (constraint-only changes).
pub(super) fn edit_sql(t: &Table, version: i64) -> Vec<String> {
    edit_sql_text(&t.name, &t.render(), version)
}

/// The SQL that stores `sql` as the definition of table `name`, in place.
pub(super) fn edit_sql_text(name: &str, sql: &str, version: i64) -> Vec<String> {
    vec![
        ("PRAGMA writable_schema = ON".into()),
        (format!(
            "UPDATE sqlite_schema SET sql = {} WHERE type = 'table' AND name = {}",
            quote_str(sql),
            quote_str(name)
        )),
        (format!("PRAGMA schema_version = {version}")),
        ("PRAGMA writable_schema = OFF".into()),
    ]
}

pub(super) fn native(table: &str, description: String, sql: String) -> Step {
    Step {
        path: Path::Native,
        table: Some(table.to_string()),
        description,
        checks: vec![],
        sql: vec![(sql)],
        copy_statement: None,
    }
}
