//! The change's footprint: which objects the scratch copy needs, and the names statements use.

use super::*;

/// The objects of the scratch copy (`now`) followed by those of the database (`before`) that
/// were not copied into it.
pub(super) fn merged<'a, T>(
    now: &'a IndexMap<String, T>,
    before: &'a IndexMap<String, T>,
    kept: &'a HashSet<String>,
) -> impl Iterator<Item = &'a T> {
    now.values().chain(
        before
            .iter()
            .filter(move |(name, _)| !kept.contains(&name.to_lowercase()))
            .map(|(_, v)| v),
    )
}

/// Lowercased names of the objects a change can touch or needs to see: the tables it names
/// (fully: their triggers, the views over them, and triggers elsewhere that name them), and
/// what all of those read (as leaves), plus indexes and triggers of every kept table.
pub(super) fn footprint(
    rows: &[SchemaRow],
    statements: &[Statement],
    cache: &mut IdentCache,
) -> HashSet<String> {
    let lower = |s: &str| s.to_lowercase();
    let relations: HashMap<String, &SchemaRow> = rows
        .iter()
        .filter(|r| r.kind == "table" || r.kind == "view")
        .map(|r| (lower(&r.name), r))
        .collect();
    let named: Vec<(&SchemaRow, Rc<BTreeSet<String>>)> = rows
        .iter()
        .filter(|r| r.kind == "view" || r.kind == "trigger")
        .map(|r| (r, cache.of(r.sql.as_deref().unwrap_or(""))))
        .collect();
    // Which views and triggers name each identifier, and which triggers each table has: looked
    // up per object instead of scanning every view and trigger for each one.
    let mut naming: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut attached_to: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (r, ids)) in named.iter().enumerate() {
        for id in ids.iter() {
            naming.entry(id.as_str()).or_default().push(i);
        }
        if r.kind == "trigger" {
            attached_to.entry(lower(&r.tbl_name)).or_default().push(i);
        }
    }
    let mut work: Vec<(String, bool)> = Vec::new();
    let mut renamed: Vec<String> = Vec::new();
    for st in statements {
        match st {
            Statement::Alter { alter, text } => {
                work.push((lower(&alter.table), true));
                work.extend(idents(text).into_iter().map(|n| (n, false)));
                if alter
                    .ops
                    .iter()
                    .any(|o| matches!(o, Op::RenameTable { .. } | Op::RenameColumn { .. }))
                {
                    renamed.push(lower(&alter.table));
                }
            }
            Statement::Other { text, .. } => {
                for n in idents(text) {
                    // An index or trigger it names brings its table (DROP INDEX i).
                    if let Some(r) = rows
                        .iter()
                        .find(|r| (r.kind == "index" || r.kind == "trigger") && lower(&r.name) == n)
                    {
                        work.push((lower(&r.tbl_name), true));
                    }
                    work.push((n, true));
                }
            }
        }
    }
    // A rename rewrites the foreign keys of the children: they must be in the copy too.
    if !renamed.is_empty() {
        for r in rows.iter().filter(|r| r.kind == "table") {
            let ids = cache.of(r.sql.as_deref().unwrap_or(""));
            if renamed.iter().any(|n| ids.contains(n)) {
                work.push((lower(&r.name), false));
            }
        }
    }
    let mut kept: HashSet<String> = HashSet::new();
    let mut full_done: HashSet<String> = HashSet::new();
    while let Some((n, full)) = work.pop() {
        let Some(row) = relations.get(&n) else {
            continue;
        };
        if full && !full_done.insert(n.clone()) {
            continue;
        }
        if !kept.insert(n.clone()) && !full {
            continue;
        }
        // What it reads (a view's sources, a table's foreign-key parents).
        work.extend(
            cache
                .of(row.sql.as_deref().unwrap_or(""))
                .iter()
                .map(|i| (i.clone(), false)),
        );
        let mut candidates: Vec<usize> = attached_to.get(&n).cloned().unwrap_or_default();
        if full {
            candidates.extend(naming.get(n.as_str()).into_iter().flatten().copied());
        }
        candidates.sort_unstable();
        candidates.dedup();
        for (r, ids) in candidates.into_iter().map(|i| &named[i]) {
            let attached = r.kind == "trigger" && lower(&r.tbl_name) == n;
            if attached {
                // Its triggers come along, with what they touch (in full if it is changed).
                kept.insert(lower(&r.name));
                work.extend(ids.iter().map(|i| (i.clone(), full)));
            } else if full && ids.contains(&n) {
                // Views over it (and so views over those), and triggers elsewhere naming it.
                if r.kind == "view" {
                    work.push((lower(&r.name), true));
                } else {
                    kept.insert(lower(&r.name));
                    work.push((lower(&r.tbl_name), false));
                    work.extend(ids.iter().map(|i| (i.clone(), false)));
                }
            }
        }
    }
    for r in rows {
        if (r.kind == "index" || r.kind == "trigger") && kept.contains(&lower(&r.tbl_name)) {
            kept.insert(lower(&r.name));
        }
    }
    kept
}

/// Tables named by the `REFERENCES` of foreign keys that `ops` add.
pub(super) fn referenced_tables(ops: &[Op]) -> Vec<String> {
    let mut out = Vec::new();
    for op in ops {
        match op {
            Op::AddConstraint { constraint } => {
                if let TableConstraintKind::ForeignKey { refs, .. } = &constraint.kind {
                    out.push(refs.table.clone());
                }
            }
            Op::AddColumn { column, .. } => {
                for k in &column.constraints {
                    if let ColumnConstraintKind::References(r) = &k.kind {
                        out.push(r.table.clone());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The identifiers of definitions, by text, kept from one plan to the next: only the texts
/// the last plan asked for are kept.
#[derive(Default)]
pub(super) struct IdentCache {
    now: HashMap<String, Rc<BTreeSet<String>>>,
    before: HashMap<String, Rc<BTreeSet<String>>>,
}

impl IdentCache {
    /// Starts a plan: what the last one did not ask for is forgotten after this one.
    pub(super) fn start(&mut self) {
        self.before = std::mem::take(&mut self.now);
    }

    /// [`idents`] of `sql`, from the cache when it has them.
    pub(super) fn of(&mut self, sql: &str) -> Rc<BTreeSet<String>> {
        if let Some(ids) = self.now.get(sql) {
            return Rc::clone(ids);
        }
        let ids = self
            .before
            .remove(sql)
            .unwrap_or_else(|| Rc::new(idents(sql)));
        self.now.insert(sql.to_string(), Rc::clone(&ids));
        ids
    }
}

/// Every identifier a statement names, lowercased.
pub(super) fn idents(sql: &str) -> BTreeSet<String> {
    crate::sql::lex(sql)
        .map(|toks| {
            toks.iter()
                .filter_map(|t| t.ident_ref(sql))
                .map(|i| i.to_lowercase())
                .collect()
        })
        .unwrap_or_default()
}
