//! Definitions as comparable tokens, and small lookups the diff shares.
//!
//! Two definitions are the same when their tokens are: whitespace and comments dropped,
//! keywords and identifiers case-folded and unquoted, identifiers renamed through the renames
//! that apply. Definitions are never reprinted, only compared.

use super::KIT_TABLES;
use crate::schema::{ColumnConstraintKind, Schema};
use crate::sql::{lex, Tok};
use std::collections::HashSet;

/// A definition as a comparable token list: whitespace and comments dropped, keywords and
/// identifiers case-folded and unquoted, identifiers renamed through `map`.
pub(super) fn tokens(sql: &str, map: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let Ok(toks) = lex(sql) else {
        return vec![sql.to_string()];
    };
    toks.iter()
        .map(|t| {
            let text = t.text(sql);
            match t.kind {
                Tok::Word | Tok::Quoted => {
                    let name = crate::sql::unquote(text).to_ascii_lowercase();
                    map(&name).map(|n| n.to_ascii_lowercase()).unwrap_or(name)
                }
                _ => text.to_string(),
            }
        })
        .collect()
}

/// Every identifier a definition names, unquoted and ASCII-lowercased.
pub(super) fn identifiers(sql: &str) -> HashSet<String> {
    let Ok(toks) = lex(sql) else {
        return HashSet::new();
    };
    toks.iter()
        .filter_map(|t| t.ident_ref(sql))
        .map(|i| i.to_ascii_lowercase())
        .collect()
}

/// Tokens with no renaming.
pub(super) fn plain(sql: &str) -> Vec<String> {
    tokens(sql, &|_| None)
}

/// True when the output column names of a view (without a column list of its own) come from
/// `column` (lowercase): its first `SELECT` lists it bare (`c`, `t.c`, no `AS`) or uses `*`.
pub(super) fn output_names_use(view_sql: &str, column: &str) -> bool {
    let Ok(toks) = lex(view_sql) else {
        return true;
    };
    let Some(at) = toks.iter().position(|t| t.is_kw(view_sql, "as")) else {
        return true;
    };
    if toks[..at].iter().any(|t| t.is_punct(view_sql, "(")) {
        return false; // `CREATE VIEW v(a, b) AS ...`: the names are the view's own
    }
    let Some(select) = toks[at..].iter().position(|t| t.is_kw(view_sql, "select")) else {
        return true;
    };
    let mut depth = 0;
    let mut item: Vec<&crate::sql::Token> = Vec::new();
    let mut items: Vec<Vec<&crate::sql::Token>> = Vec::new();
    for t in &toks[at + select + 1..] {
        if t.is_punct(view_sql, "(") {
            depth += 1;
        } else if t.is_punct(view_sql, ")") {
            depth -= 1;
        } else if depth == 0 && (t.is_kw(view_sql, "from") || t.is_punct(view_sql, ";")) {
            break;
        } else if depth == 0 && t.is_punct(view_sql, ",") {
            items.push(std::mem::take(&mut item));
            continue;
        }
        item.push(t);
    }
    items.push(item);
    items.iter().any(|it| {
        let Some(last) = it.last() else { return false };
        let aliased = it.len() >= 2 && it[it.len() - 2].is_kw(view_sql, "as");
        let bare = it.len() == 1 || (it.len() == 3 && it[1].is_punct(view_sql, "."));
        last.is_punct(view_sql, "*")
            || (bare
                && !aliased
                && last
                    .ident_ref(view_sql)
                    .is_some_and(|n| n.eq_ignore_ascii_case(column)))
    })
}

/// Drops `IF NOT EXISTS` after `CREATE ... INDEX|TABLE|VIEW|TRIGGER`, which SQLite stores as
/// written but which does not change the object.
pub(super) fn without_if_not_exists(mut t: Vec<String>) -> Vec<String> {
    if let Some(p) = t.windows(3).position(|w| w == ["if", "not", "exists"]) {
        if p < 6 {
            t.drain(p..p + 3);
        }
    }
    t
}

/// The collation written on a column, lowercase.
pub(super) fn collation(c: &crate::schema::Column) -> Option<String> {
    c.constraints.iter().find_map(|k| match &k.kind {
        ColumnConstraintKind::Collate(n) => Some(n.to_ascii_lowercase()),
        _ => None,
    })
}

/// A declared type, normalized: tokens uppercased, one space apart.
pub(super) fn norm_type(t: &str) -> String {
    plain(t).join(" ").to_uppercase()
}

/// Shadow tables of virtual tables (FTS5, FTS4, R*Tree): created by their virtual table.
pub(super) fn is_shadow(schema: &Schema, name: &str) -> bool {
    const SUFFIXES: [&str; 9] = [
        "data", "idx", "content", "docsize", "config", "node", "parent", "rowid", "segments",
    ];
    let lower = name.to_ascii_lowercase();
    schema.virtual_tables.keys().any(|v| {
        let v = v.to_ascii_lowercase();
        lower
            .strip_prefix(&v)
            .and_then(|r| r.strip_prefix('_'))
            .is_some_and(|s| SUFFIXES.contains(&s) || s == "segdir" || s == "stat")
    })
}

/// True for tables a diff leaves alone: kit's own and virtual tables' shadow tables.
pub(super) fn ignored(schema: &Schema, name: &str) -> bool {
    KIT_TABLES.iter().any(|k| k.eq_ignore_ascii_case(name)) || is_shadow(schema, name)
}

/// Finds `name` in a map keyed by name, case-insensitively.
pub(super) fn find<'a, V>(map: &'a indexmap::IndexMap<String, V>, name: &str) -> Option<&'a V> {
    map.get(name).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}
