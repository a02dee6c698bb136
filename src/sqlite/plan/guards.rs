//! Guards that keep foreign keys sound: parent keys, references into a table, and the keys
//! a constraint drop would take away.

use super::*;

impl Planner {
    /// The parent table of a foreign key of `t` (`t` itself, as changed so far, for a
    /// self-reference) and the parent columns it references.
    pub(super) fn fk_parent(
        &self,
        t: &Table,
        r: &crate::schema::ForeignKeyRef,
        text: &str,
    ) -> Result<(Table, Vec<String>)> {
        let parent = if r.table.eq_ignore_ascii_case(&t.name) {
            Some(t.clone())
        } else {
            self.any_table(&r.table).cloned()
        };
        let Some(parent) = parent else {
            return Err(Error::Unknown {
                what: format!("table \"{}\" (named by REFERENCES)", r.table),
                statement: text.to_string(),
            });
        };
        let cols = if r.columns.is_empty() {
            parent.primary_key()
        } else {
            r.columns.clone()
        };
        Ok((parent, cols))
    }

    /// Refuses a foreign key whose parent columns are not its primary key or UNIQUE (SQLite
    /// would report "foreign key mismatch" on every later write; PostgreSQL refuses it).
    pub(super) fn require_parent_key(
        &self,
        child: &str,
        parent: &Table,
        cols: &[String],
    ) -> Result<()> {
        let same = |k: &[String]| {
            k.len() == cols.len()
                && cols
                    .iter()
                    .all(|c| k.iter().any(|x| x.eq_ignore_ascii_case(c)))
        };
        let keys = self.parent_keys(parent);
        if keys.iter().any(|k| same(k)) {
            return Ok(());
        }
        Err(Error::refused(
            child,
            format!(
                "foreign key references \"{}\" ({}), which is not its primary key or UNIQUE",
                parent.name,
                cols.join(", ")
            ),
            "reference the parent's primary key, or add a UNIQUE constraint on those columns first",
        ))
    }

    /// Every foreign key that references `t` (its own included, as changed so far), with the
    /// table that holds it.
    pub(super) fn references_into<'a>(
        &'a self,
        t: &'a Table,
    ) -> Vec<(&'a Table, &'a crate::schema::ForeignKeyRef)> {
        self.all_tables()
            .filter(|o| !o.name.eq_ignore_ascii_case(&t.name))
            .chain([t])
            .flat_map(|o| o.foreign_keys().into_iter().map(move |(_, r)| (o, r)))
            .filter(|(_, r)| r.table.eq_ignore_ascii_case(&t.name))
            .collect()
    }

    /// Refuses to drop a column that another table's foreign key references, or that a trigger
    /// uses (views are checked by compiling them afterwards).
    pub(super) fn refuse_if_referenced(&self, t: &Table, col: &str) -> Result<()> {
        let pk = t.primary_key();
        for (other, r) in self.references_into(t) {
            let cols = if r.columns.is_empty() {
                pk.clone()
            } else {
                r.columns.clone()
            };
            if cols.iter().any(|c| c.eq_ignore_ascii_case(col)) {
                return Err(Error::refused(
                    &t.name,
                    format!(
                        "column \"{col}\" is referenced by a foreign key of table \"{}\"",
                        other.name
                    ),
                    "drop that foreign key first (ALTER TABLE ... DROP CONSTRAINT ...)",
                ));
            }
        }
        for tr in self.all_triggers() {
            let on_table = tr.table.eq_ignore_ascii_case(&t.name) || mentions(&tr.sql, &t.name);
            if on_table && mentions(&tr.sql, col) {
                return Err(Error::refused(
                    &t.name,
                    format!("column \"{col}\" is used by trigger \"{}\"", tr.name),
                    "drop the trigger first (DROP TRIGGER ...) and create it again after, without the column",
                ));
            }
        }
        Ok(())
    }

    /// Refuses to drop a PRIMARY KEY or UNIQUE constraint that a foreign key relies on.
    pub(super) fn refuse_if_key_referenced(
        &self,
        t: &Table,
        old_pk: &[String],
        name: &str,
    ) -> Result<()> {
        let keys = self.parent_keys(t);
        let is_key = |cols: &[String]| {
            keys.iter().any(|k| {
                k.len() == cols.len()
                    && cols
                        .iter()
                        .all(|c| k.iter().any(|x| x.eq_ignore_ascii_case(c)))
            })
        };
        for (other, r) in self.references_into(t) {
            // A reference without columns means the primary key, whatever it becomes.
            let still = if r.columns.is_empty() {
                !old_pk.is_empty() && t.primary_key() == old_pk
            } else {
                is_key(&r.columns)
            };
            if !still {
                return Err(Error::refused(
                    &t.name,
                    format!("constraint \"{name}\" is the key that the foreign key of table \"{}\" references", other.name),
                    "drop that foreign key first",
                ));
            }
        }
        Ok(())
    }

    /// The column sets of `t` that a foreign key may reference: its primary key, UNIQUE
    /// constraints and (non-partial) UNIQUE indexes.
    pub(super) fn parent_keys(&self, t: &Table) -> Vec<Vec<String>> {
        let mut keys: Vec<Vec<String>> = Vec::new();
        if !t.primary_key().is_empty() {
            keys.push(t.primary_key());
        }
        for c in &t.columns {
            if c.has(|k| matches!(k, ColumnConstraintKind::Unique)) {
                keys.push(vec![c.name.clone()]);
            }
        }
        for k in &t.constraints {
            if let TableConstraintKind::Unique(c) = &k.kind {
                keys.push(c.clone());
            }
        }
        for i in self
            .schema
            .indexes_on(&t.name)
            .chain(self.live.indexes_on(&t.name))
        {
            let Some(sql) = &i.sql else { continue };
            let Ok(toks) = crate::sql::lex(sql) else {
                continue;
            };
            let unique = toks.get(1).is_some_and(|w| w.is_kw(sql, "unique"));
            let partial = toks.iter().any(|w| w.is_kw(sql, "where"));
            if unique && !partial && !i.columns.is_empty() && i.columns.iter().all(Option::is_some)
            {
                keys.push(i.columns.iter().flatten().cloned().collect());
            }
        }
        keys
    }
}
