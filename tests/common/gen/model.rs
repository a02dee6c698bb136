//! The test's own model of a generated database: every table's columns, constraints,
//! indexes and rows by rowid, with the names kit and PostgreSQL give unnamed constraints;
//! updated for each change, compared with what the database reads back.

use super::*;

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub enum CK {
    Pk(Vec<String>),
    Unique(Vec<String>),
    /// A CHECK from a template (`check_sql`) over these columns.
    Check(u8, Vec<String>),
    Fk {
        cols: Vec<String>,
        parent: String,
        pcols: Vec<String>,
        on_delete: &'static str,
    },
}

#[derive(Debug, Clone)]
pub struct Cons {
    pub name: Option<String>,
    pub kind: CK,
}

#[derive(Debug, Clone)]
pub struct Gen {
    pub kind: u8,
    pub input: String,
    pub stored: bool,
}

#[derive(Debug, Clone)]
pub struct MCol {
    pub name: String,
    pub ty: String,
    pub notnull: bool,
    pub dflt: Option<String>,
    pub nocase: bool,
    pub gen: Option<Gen>,
    pub pk_desc: bool,
    pub autoinc: bool,
    /// Column constraints that have names (PRIMARY KEY, UNIQUE, CHECK, REFERENCES), in text order.
    pub cons: Vec<Cons>,
}

impl MCol {
    /// A plain column: `name` of type `ty`, no constraints or options yet.
    pub fn new(name: String, ty: String) -> MCol {
        MCol {
            name,
            ty,
            notnull: false,
            dflt: None,
            nocase: false,
            gen: None,
            pk_desc: false,
            autoinc: false,
            cons: vec![],
        }
    }
}

#[derive(Debug, Clone)]
pub struct MRow {
    /// The rowid (rowid tables), `None` for WITHOUT ROWID or when it cannot be predicted.
    pub rowid: Option<i64>,
    pub vals: Vec<Option<Value>>,
}

#[derive(Debug, Clone)]
pub struct MTable {
    pub name: String,
    pub cols: Vec<MCol>,
    pub tcons: Vec<Cons>,
    pub strict: bool,
    pub wr: bool,
    pub rows: Vec<MRow>,
    pub rowids_known: bool,
    pub seq: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct MIndex {
    pub name: String,
    pub table: String,
    /// Key parts: column (None for an expression), DESC, explicit collation.
    pub keys: Vec<(Option<String>, bool, Option<String>)>,
    pub unique: bool,
    pub partial: bool,
    pub uses: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub tables: Vec<MTable>,
    pub indexes: Vec<MIndex>,
    /// (trigger name, table name)
    pub triggers: Vec<(String, String)>,
    pub views: Vec<String>,
    /// (table, column) that some view reads by name.
    pub view_uses: Vec<(String, String)>,
    /// Why the pending change must be refused (a value the new column cannot hold).
    pub expect_refuse: Option<String>,
    /// Tables that a change of the current script made a foreign key point to.
    pub group_fk_parents: Vec<String>,
    /// (table, column) that a change of the current script gave a USING conversion.
    pub group_using: Vec<(String, String)>,
    /// (table, column) added by a change of the current script.
    pub group_added: Vec<(String, String)>,
    /// Tables on which a change of the current script dropped a constraint by its default name.
    pub group_default_drops: Vec<String>,
    /// New names of tables renamed by a change of the current script.
    pub group_renamed: Vec<String>,
    /// Tables (old and new names) changed by the current script.
    pub group_touched: Vec<String>,
    /// (table, column) dropped by a change of the current script.
    pub group_dropped: Vec<(String, String)>,
    /// (table, new column name) renamed by a change of the current script.
    pub group_renamed_cols: Vec<(String, String)>,
    /// Tables of which the current script dropped a column another table's foreign key uses.
    pub group_dropped_referenced: Vec<String>,
    /// Tables of which the current script changed the type of a key a foreign key uses.
    pub group_retyped_keys: Vec<String>,
    /// (table, column) whose type a change of the current script changed.
    pub group_retyped: Vec<(String, String)>,
}

pub fn check_sql(kind: u8, cols: &[String]) -> String {
    let a = q(&cols[0]);
    match kind {
        0 => format!("{a} IS NULL OR length({a}) <= 40"),
        1 => format!("{a} <> 'zz-forbidden'"),
        2 => format!("typeof({a}) <> 'zz-none'"),
        3 => format!("{a} IS NOT NULL"),
        _ => {
            let b = q(&cols[1]);
            format!("{a} IS NOT {b} OR {a} IS NULL")
        }
    }
}

pub fn gen_sql(kind: u8, input: &str) -> String {
    let a = q(input);
    match kind {
        0 => format!("{a} * 2"),
        1 => format!("{a} || 'zz'"),
        2 => format!("length({a})"),
        _ => format!("coalesce({a}, 0) + 1"),
    }
}

impl MTable {
    pub fn col(&self, name: &str) -> Option<usize> {
        self.cols.iter().position(|c| eq_i(&c.name, name))
    }

    pub fn pk_cols(&self) -> Vec<String> {
        for c in &self.cols {
            for k in &c.cons {
                if let CK::Pk(cols) = &k.kind {
                    return cols.clone();
                }
            }
        }
        for k in &self.tcons {
            if let CK::Pk(cols) = &k.kind {
                return cols.clone();
            }
        }
        vec![]
    }

    /// The rowid alias column, if any.
    pub fn alias(&self) -> Option<usize> {
        if self.wr {
            return None;
        }
        let pk = self.pk_cols();
        if pk.len() != 1 {
            return None;
        }
        let i = self.col(&pk[0])?;
        let c = &self.cols[i];
        (eq_i(&c.ty, "INTEGER") && !c.pk_desc).then_some(i)
    }

    pub fn autoinc(&self) -> bool {
        self.cols.iter().any(|c| c.autoinc)
    }

    pub fn rowid_name(&self) -> Option<&'static str> {
        if self.wr {
            return None;
        }
        ["rowid", "_rowid_", "oid"]
            .into_iter()
            .find(|n| self.col(n).is_none())
    }

    /// Every constraint with kit's/PostgreSQL's default name, in definition order, with where
    /// it lives: (name, Some(column index, constraint index) | None + table constraint index).
    ///
    /// Written apart from `kit::schema`'s naming (`Table::named_constraints`) on purpose: the
    /// model is the test's oracle for the names kit gives, so it must not borrow them.
    pub fn named(&self) -> Vec<(String, Option<usize>, usize)> {
        let mut taken: Vec<String> = self
            .cols
            .iter()
            .flat_map(|c| c.cons.iter().filter_map(|k| k.name.clone()))
            .chain(self.tcons.iter().filter_map(|k| k.name.clone()))
            .map(|n| n.to_lowercase())
            .collect();
        let pick = |explicit: &Option<String>, base: String, taken: &mut Vec<String>| {
            if let Some(n) = explicit {
                return n.clone();
            }
            let mut name = base.clone();
            let mut n = 0;
            while taken.contains(&name.to_lowercase()) {
                n += 1;
                name = format!("{base}{n}");
            }
            taken.push(name.to_lowercase());
            name
        };
        let t = &self.name;
        let mut out = Vec::new();
        for (ci, c) in self.cols.iter().enumerate() {
            for (ki, k) in c.cons.iter().enumerate() {
                let base = match &k.kind {
                    CK::Pk(_) => format!("{t}_pkey"),
                    CK::Unique(_) => format!("{t}_{}_key", c.name),
                    CK::Check(..) => format!("{t}_{}_check", c.name),
                    CK::Fk { .. } => format!("{t}_{}_fkey", c.name),
                };
                out.push((pick(&k.name, base, &mut taken), Some(ci), ki));
            }
        }
        for (i, k) in self.tcons.iter().enumerate() {
            let base = match &k.kind {
                CK::Pk(_) => format!("{t}_pkey"),
                CK::Unique(cols) => format!("{t}_{}_key", cols.join("_")),
                CK::Check(_, cols) => {
                    let distinct: BTreeSet<String> = cols.iter().map(|c| lc(c)).collect();
                    if distinct.len() == 1 {
                        format!("{t}_{}_check", cols[0])
                    } else {
                        format!("{t}_check")
                    }
                }
                CK::Fk { cols, .. } => format!("{t}_{}_fkey", cols.join("_")),
            };
            out.push((pick(&k.name, base, &mut taken), None, i));
        }
        out
    }

    pub fn all_cons(&self) -> Vec<&Cons> {
        self.cols
            .iter()
            .flat_map(|c| c.cons.iter())
            .chain(self.tcons.iter())
            .collect()
    }

    /// Single-column keys another table may reference: (column, is the primary key).
    pub fn keys(&self) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let pk = self.pk_cols();
        if pk.len() == 1 {
            if let Some(i) = self.col(&pk[0]) {
                if self.cols[i].gen.is_none() {
                    out.push((self.cols[i].name.clone(), true));
                }
            }
        }
        for k in self.all_cons() {
            if let CK::Unique(cols) = &k.kind {
                if cols.len() == 1 {
                    if let Some(i) = self.col(&cols[0]) {
                        if self.cols[i].gen.is_none() && !out.iter().any(|(c, _)| eq_i(c, &cols[0]))
                        {
                            out.push((self.cols[i].name.clone(), false));
                        }
                    }
                }
            }
        }
        out
    }
}

impl Model {
    pub fn name_taken(&self, name: &str) -> bool {
        let n = lc(name);
        n.starts_with("sqlite_")
            || n.starts_with("_kit")
            || self.tables.iter().any(|t| lc(&t.name) == n)
            || self.indexes.iter().any(|i| lc(&i.name) == n)
            || self.triggers.iter().any(|(t, _)| lc(t) == n)
            || self.views.iter().any(|v| lc(v) == n)
    }
}

/// SQLite's column affinity of a declared type (ANY counts as none: only STRICT tables use it).
pub fn affinity(ty: &str) -> &'static str {
    let t = ty.to_ascii_uppercase();
    if t.contains("INT") {
        "INTEGER"
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        "TEXT"
    } else if t.contains("BLOB") || t.is_empty() || t == "ANY" {
        "BLOB"
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        "REAL"
    } else {
        "NUMERIC"
    }
}

/// The affinity of a column by name, if it exists.
pub fn col_affinity(t: &MTable, c: &str) -> Option<&'static str> {
    t.col(c).map(|i| affinity(&t.cols[i].ty))
}

/// True when some table's foreign key references column `col` of table `ti`.
pub fn fk_referenced(m: &Model, ti: usize, col: &str) -> bool {
    let t = &m.tables[ti];
    m.tables.iter().any(|o| {
        o.all_cons().iter().any(|k| match &k.kind {
            CK::Fk { parent, pcols, .. } if eq_i(parent, &t.name) => {
                let cols = if pcols.is_empty() {
                    t.pk_cols()
                } else {
                    pcols.clone()
                };
                cols.iter().any(|c| eq_i(c, col))
            }
            _ => false,
        })
    })
}

pub fn fresh(pool: &[&str], pick: u8, taken: impl Fn(&str) -> bool) -> String {
    let base = pool[pick as usize % pool.len()];
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}_{n}"))
        .find(|s| !taken(s))
        .unwrap()
}
