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
            match &alias_source {
                Some((_, true)) => {} // the alias column's own values become the rowids
                Some((alias, false)) => {
                    into.insert(0, quote_ident(alias));
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
        const CREATE_AT: usize = 2;
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
        // A column holds exactly the values it held before: copied unchanged from the old
        // column of the same name, with the same declared type (so the same affinity) and the
        // same collation, and computed by neither table.
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
        let rowids_kept = !old.without_rowid
            && !new.without_rowid
            && (alias_copied
                || (old.rowid_name().is_some()
                    && match alias_source {
                        Some((_, own_values)) => !own_values,
                        None => new.rowid_name().is_some(),
                    }));
        let mut adopted = Vec::new();
        let mut rebuilt = Vec::new();
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
            if uses_dropped {
                continue;
            }
            if rowids_kept && index_unchanged(idx, text, &intact, new, old) {
                adopted.push((idx.name.clone(), text.clone()));
            } else {
                rebuilt.push(text.clone());
            }
        }
        // The UNIQUE constraints' automatic indexes, when the copy cannot change them either:
        // the new table is created without its UNIQUE constraints (so the copy maintains no
        // index row by row), and its definition and the old indexes' b-trees are put in place
        // after the copy.
        let autos = if rowids_kept {
            self.adoptable_autoindexes(old, new, &intact)?
        } else {
            None
        };
        if let Some(autos) = &autos {
            let mut bare = new.clone();
            for c in &mut bare.columns {
                c.constraints
                    .retain(|k| !matches!(k.kind, ColumnConstraintKind::Unique));
            }
            bare.constraints
                .retain(|k| !matches!(k.kind, TableConstraintKind::Unique(_)));
            sql[CREATE_AT] = bare.render();
            let renamed: Vec<(String, String)> = autos
                .iter()
                .map(|(new_name, old_name)| {
                    // ALTER TABLE ... RENAME renames automatic indexes too:
                    // 'sqlite_autoindex_' || new name || the old name's suffix.
                    let suffix: String = old_name
                        .chars()
                        .skip("sqlite_autoindex_".len() + name.chars().count())
                        .collect();
                    (new_name.clone(), format!("sqlite_autoindex_{tmp}{suffix}"))
                })
                .collect();
            sql.push("PRAGMA writable_schema = ON".to_string());
            sql.extend(adopt_autoindex_sql(new, &tmp, &renamed));
        } else if !adopted.is_empty() {
            sql.push("PRAGMA writable_schema = ON".to_string());
        }
        if !adopted.is_empty() || autos.is_some() {
            sql.extend(adopt_sql(&name, &tmp, &adopted));
        }
        sql.push(format!("DROP TABLE {}", quote_ident(&tmp)));
        sql.push("PRAGMA legacy_alter_table = OFF".to_string());
        sql.extend(rebuilt);
        for tr in self.schema.triggers_on(&name) {
            sql.push(tr.sql.clone());
        }
        // Foreign keys only need checking where the copy can change what they compare: this
        // table's own keys when their columns changed, and its children when the parent key did.
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
        let adopts = !adopted.is_empty() || autos.is_some();
        self.push(Step {
            path: Path::Rebuild,
            table: Some(name.clone()),
            description: desc,
            checks,
            sql,
            copy_statement: Some(copy_idx),
        })?;
        if adopts {
            // The scratch copy ran the same SQL: every index SQLite now sees on the table must
            // have exactly one schema row with a b-tree of its own, or the plan is not applied.
            if let Some(why) = index_rows_unsound(&self.shadow, &name) {
                return Err(Error::Database {
                    path: "scratch copy".into(),
                    message: format!(
                        "moving the indexes of \"{name}\" to its new table left {why}; please report this table definition"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Why the indexes of `table` and their `sqlite_schema` rows disagree (an index without its own
/// row and b-tree, or a row without an index), or `None` when they agree.
fn index_rows_unsound(conn: &Connection, table: &str) -> Option<String> {
    let listed: rusqlite::Result<Vec<String>> = conn
        .prepare("SELECT lower(name) FROM pragma_index_list(?1) ORDER BY 1")
        .and_then(|mut st| st.query_map([table], |r| r.get(0))?.collect());
    let rows: rusqlite::Result<Vec<(String, i64)>> = conn
        .prepare("SELECT lower(name), rootpage FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1 COLLATE NOCASE ORDER BY 1")
        .and_then(|mut st| st.query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?.collect());
    let (listed, rows) = match (listed, rows) {
        (Ok(l), Ok(r)) => (l, r),
        (Err(e), _) | (_, Err(e)) => return Some(format!("a schema SQLite cannot read: {e}")),
    };
    let mut roots: Vec<i64> = rows.iter().map(|r| r.1).collect();
    roots.sort_unstable();
    roots.dedup();
    let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    if names != listed || roots.len() != rows.len() || rows.iter().any(|r| r.1 < 2) {
        return Some(format!("indexes {listed:?} with rows {rows:?}"));
    }
    None
}

/// True when the copy leaves the index's content exactly as it was: a plain index (column keys
/// only, no expression, no `WHERE`) whose every column holds the same values as before, on a
/// rowid table whose rowids the copy keeps. Such an index's b-tree is moved to the new table
/// instead of being built again.
fn index_unchanged(
    idx: &crate::schema::Index,
    text: &str,
    intact: &dyn Fn(&str) -> bool,
    new: &Table,
    old: &Table,
) -> bool {
    let Ok(toks) = crate::sql::lex(text) else {
        return false;
    };
    let plain = !idx.columns.is_empty()
        && idx.columns.iter().all(Option::is_some)
        && !toks.iter().any(|t| t.is_kw(text, "WHERE"));
    plain
        && idx.columns.iter().flatten().all(|c| {
            intact(c)
                && new.column(c).is_some_and(|(_, c)| c.generated().is_none())
                && old.column(c).is_some_and(|(_, c)| c.generated().is_none())
        })
}

/// The SQL that moves unchanged indexes (name, original text) from the old table `tmp` to the
/// new table `table` after the copy, keeping their b-trees: each index's `sqlite_schema` row is
/// written again after the new table's row (the schema is loaded in rowid order, and an index
/// must come after its table), with the table's name and the index's original text, and the old
/// row removed; then SQLite reloads the schema. Runs with `writable_schema` on. `DROP TABLE` of the old table then leaves these
/// b-trees alone.
pub(super) fn adopt_sql(table: &str, tmp: &str, indexes: &[(String, String)]) -> Vec<String> {
    let mut sql = Vec::new();
    for (name, text) in indexes {
        let row = format!(
            "type = 'index' AND name = {} COLLATE NOCASE AND tbl_name = {} COLLATE NOCASE",
            quote_str(name),
            quote_str(tmp)
        );
        sql.push(format!(
            "INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql) SELECT 'index', name, {}, rootpage, {} FROM sqlite_schema WHERE {row}",
            quote_str(table),
            quote_str(text)
        ));
        sql.push(format!("DELETE FROM sqlite_schema WHERE {row}"));
    }
    sql.push("PRAGMA writable_schema = RESET".to_string());
    sql
}

/// The SQL that gives the new table `new` (created without its UNIQUE constraints) its real
/// definition and moves the old table's automatic indexes (new name, name after the rename) to
/// it: the table's row gets the full `CREATE TABLE` text, and each index a row after it, named as
/// SQLite names the new table's automatic index for the same constraint, with the old b-tree.
/// Runs with `writable_schema` on; [`adopt_sql`] follows and ends it.
pub(super) fn adopt_autoindex_sql(
    new: &Table,
    tmp: &str,
    indexes: &[(String, String)],
) -> Vec<String> {
    let mut sql = vec![format!(
        "UPDATE sqlite_schema SET sql = {} WHERE type = 'table' AND name = {} COLLATE NOCASE",
        quote_str(&new.render()),
        quote_str(&new.name)
    )];
    for (name, old) in indexes {
        let row = format!(
            "type = 'index' AND name = {} COLLATE NOCASE AND tbl_name = {} COLLATE NOCASE AND sql IS NULL",
            quote_str(old),
            quote_str(tmp)
        );
        sql.push(format!(
            "INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql) SELECT 'index', {}, {}, rootpage, NULL FROM sqlite_schema WHERE {row}",
            quote_str(name),
            quote_str(&new.name)
        ));
        sql.push(format!("DELETE FROM sqlite_schema WHERE {row}"));
    }
    sql
}

/// One automatic index: its name and key columns (lowercased name, DESC, collation).
type AutoIndex = (String, Vec<(String, bool, String)>);

/// The automatic indexes (origin `u` or `pk`) of `table` on `conn`, with their keys; `None` when
/// one comes from a PRIMARY KEY.
fn autoindexes(conn: &Connection, table: &str) -> rusqlite::Result<Option<Vec<AutoIndex>>> {
    let list: Vec<(String, String)> = conn
        .prepare("SELECT name, origin FROM pragma_index_list(?1) WHERE origin IN ('u', 'pk') ORDER BY name")?
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if list.iter().any(|(_, o)| o == "pk") {
        return Ok(None);
    }
    let mut out = Vec::new();
    for (name, _) in list {
        let keys: Vec<(String, bool, String)> = conn
            .prepare("SELECT lower(name), \"desc\", lower(coll) FROM pragma_index_xinfo(?1) WHERE key = 1 AND cid >= 0 ORDER BY seqno")?
            .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        out.push((name, keys));
    }
    Ok(Some(out))
}

impl Planner {
    /// For a rebuild of `old` into `new` that keeps rowids: pairs (new name, old name) of
    /// automatic indexes the copy leaves unchanged, when there is at least one and *every*
    /// automatic index of the new table has such a twin (same key columns, order, collation, all
    /// `intact`). `None` otherwise, and then the rebuild copies as usual.
    fn adoptable_autoindexes(
        &self,
        old: &Table,
        new: &Table,
        intact: &dyn Fn(&str) -> bool,
    ) -> Result<Option<Vec<(String, String)>>> {
        // What SQLite makes of the new definition: created alone in a database of its own.
        let probe = Connection::open_in_memory()
            .map_err(|e| Error::sqlite("opening a scratch database", e))?;
        if probe.execute_batch(&new.render()).is_err() {
            return Ok(None);
        }
        let (Ok(Some(fresh)), Ok(Some(before))) = (
            autoindexes(&probe, &new.name),
            autoindexes(&self.shadow, &old.name),
        ) else {
            return Ok(None);
        };
        if fresh.is_empty() {
            return Ok(None);
        }
        let mut pairs = Vec::new();
        let mut used = HashSet::new();
        for (name, keys) in &fresh {
            let unchanged = keys.iter().all(|(c, _, _)| {
                intact(c)
                    && new.column(c).is_some_and(|(_, c)| c.generated().is_none())
                    && old.column(c).is_some_and(|(_, c)| c.generated().is_none())
            });
            let twin = before
                .iter()
                .find(|(n, k)| k == keys && !used.contains(n.as_str()));
            match twin {
                Some((old_name, _)) if unchanged && !keys.is_empty() => {
                    used.insert(old_name.as_str());
                    pairs.push((name.clone(), old_name.clone()));
                }
                _ => return Ok(None),
            }
        }
        Ok(Some(pairs))
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
