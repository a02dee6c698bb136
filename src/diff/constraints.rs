//! Constraints in table form: a constraint written on a column and the same one written as a
//! table constraint compare equal, and `REFERENCES p` compares as `p`'s primary key.

use super::renames::Mapper;
use super::text::{plain, tokens};
use crate::schema::{ColumnConstraintKind, ConstraintPlace, Schema, Table, TableConstraintKind};
use crate::sql::{lex, quote_ident};

/// A constraint in table form, comparable across column- and table-level spellings.
pub(super) struct Con {
    /// Explicit or PostgreSQL default name.
    pub(super) name: String,
    /// `CONSTRAINT n` was written.
    pub(super) explicit: bool,
    /// The definition in table form without its name, e.g. `UNIQUE ("email")`.
    pub(super) body: String,
    /// The comparable identity.
    pub(super) ident: Vec<String>,
    /// The column it is written on, for column constraints.
    pub(super) column: Option<String>,
}

/// Strips a leading `CONSTRAINT name` from a constraint's text.
pub(super) fn strip_name(text: &str) -> &str {
    let Ok(toks) = lex(text) else { return text };
    if toks.len() > 2 && toks[0].is_kw(text, "constraint") {
        text[toks[2].start..].trim()
    } else {
        text.trim()
    }
}

/// The comparable identity of a foreign key: child columns, parent (renamed), parent columns
/// (renamed through the parent's renames) and the rest (actions) as tokens.
/// `REFERENCES p` without columns means p's primary key, so it is compared as that key.
fn fk_ident(
    child: &[String],
    refs_text: &str,
    own: &Mapper,
    table: &str,
    schema: &Schema,
) -> Vec<String> {
    let own_map = own.for_tables(&[table.to_string()]);
    let mut out: Vec<String> = vec!["fk".into()];
    out.extend(
        child
            .iter()
            .map(|c| own_map(&c.to_ascii_lowercase()).unwrap_or_else(|| c.to_ascii_lowercase())),
    );
    let Ok(toks) = lex(refs_text) else {
        out.push(refs_text.to_string());
        return out;
    };
    let Some(r) = toks.iter().position(|t| t.is_kw(refs_text, "references")) else {
        return out;
    };
    let Some(parent) = toks.get(r + 1).and_then(|t| t.ident(refs_text)) else {
        return out;
    };
    out.push("references".into());
    out.push(own.table(&parent));
    let parent_map = own.for_tables(std::slice::from_ref(&parent));
    let mut i = r + 2;
    if !toks.get(i).is_some_and(|t| t.is_punct(refs_text, "(")) {
        if let Some(p) = schema.table(&parent) {
            for c in p.primary_key() {
                let c = c.to_ascii_lowercase();
                out.push(parent_map(&c).unwrap_or(c));
            }
        }
    } else {
        i += 1;
        while let Some(t) = toks.get(i) {
            i += 1;
            if t.is_punct(refs_text, ")") {
                break;
            }
            if let Some(c) = t.ident(refs_text) {
                let c = c.to_ascii_lowercase();
                out.push(parent_map(&c).unwrap_or(c));
            }
        }
    }
    let rest = toks.get(i).map_or("", |t| &refs_text[t.start..]);
    out.extend(plain(rest));
    out
}

/// Every constraint of `t` in table form; `map` renames live names to target names.
pub(super) fn constraints(t: &Table, map: &Mapper, schema: &Schema) -> Vec<Con> {
    let col_map = map.for_tables(std::slice::from_ref(&t.name));
    let cols = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .map(|c| col_map(&c.to_ascii_lowercase()).unwrap_or_else(|| c.to_ascii_lowercase()))
            .collect()
    };
    let mut out = Vec::new();
    for nc in t.named_constraints() {
        let con = match nc.place {
            ConstraintPlace::Column { column, index } => {
                let col = &t.columns[column];
                let k = &col.constraints[index];
                let q = quote_ident(&col.name);
                let one = std::slice::from_ref(&col.name);
                let (body, ident) = match &k.kind {
                    ColumnConstraintKind::PrimaryKey { desc, .. } => (
                        format!("PRIMARY KEY ({q}{})", if *desc { " DESC" } else { "" }),
                        [vec!["pk".to_string()], cols(one)].concat(),
                    ),
                    ColumnConstraintKind::Unique => (
                        format!("UNIQUE ({q})"),
                        [vec!["unique".to_string()], cols(one)].concat(),
                    ),
                    ColumnConstraintKind::Check(expr) => (
                        format!("CHECK ({expr})"),
                        [vec!["check".to_string()], tokens(expr, &col_map)].concat(),
                    ),
                    ColumnConstraintKind::References(_) => {
                        let refs = strip_name(&k.text);
                        (
                            format!("FOREIGN KEY ({q}) {refs}"),
                            fk_ident(one, refs, map, &t.name, schema),
                        )
                    }
                    _ => continue,
                };
                Con {
                    name: nc.name,
                    explicit: k.name.is_some(),
                    body,
                    ident,
                    column: Some(col.name.clone()),
                }
            }
            ConstraintPlace::Table { index } => {
                let c = &t.constraints[index];
                let body = strip_name(&c.text).to_string();
                let ident = match &c.kind {
                    TableConstraintKind::PrimaryKey(k) => {
                        [vec!["pk".to_string()], cols(k)].concat()
                    }
                    TableConstraintKind::Unique(k) => {
                        [vec!["unique".to_string()], cols(k)].concat()
                    }
                    TableConstraintKind::Check(expr) => {
                        [vec!["check".to_string()], tokens(expr, &col_map)].concat()
                    }
                    TableConstraintKind::ForeignKey { columns, .. } => {
                        let refs_at = lex(&body).ok().and_then(|toks| {
                            toks.iter()
                                .find(|t| t.is_kw(&body, "references"))
                                .map(|t| t.start)
                        });
                        fk_ident(columns, &body[refs_at.unwrap_or(0)..], map, &t.name, schema)
                    }
                };
                Con {
                    name: nc.name,
                    explicit: c.name.is_some(),
                    body,
                    ident,
                    column: None,
                }
            }
        };
        out.push(con);
    }
    out
}
