//! Refusals of a script's statements that need no planning: bound parameters (which would run
//! as NULL) and direct changes to the shadow tables of virtual tables (which corrupt them).

use super::*;
use crate::sql::{lex, Tok, Token};

/// Refuses statements kit cannot run as meant, before anything is planned.
pub(super) fn refuse_inputs(live: &Schema, statements: &[Statement]) -> Result<()> {
    for st in statements {
        let text = st.text();
        let Ok(toks) = lex(text) else { continue };
        if let Some(v) = toks.iter().find(|t| t.kind == Tok::Variable) {
            return Err(Error::Unsupported {
                what: format!("the bound parameter `{}`", v.text(text)),
                statement: text.to_string(),
                hint:
                    "a script has no values to bind (SQLite would use NULL): write the value itself"
                        .into(),
            });
        }
        let targets = match st {
            Statement::Alter { alter, .. } => vec![alter.table.clone()],
            Statement::Other { .. } => written_tables(text, &toks),
        };
        for t in targets {
            if let Some(owner) = live.shadow_owner(&t) {
                return Err(Error::refused(
                    &t,
                    format!("\"{t}\" is a shadow table of virtual table \"{owner}\", which changing it directly would corrupt"),
                    format!("change \"{owner}\" itself (its rows through INSERT/UPDATE/DELETE on \"{owner}\", its definition with DROP TABLE and CREATE VIRTUAL TABLE)"),
                ));
            }
        }
    }
    Ok(())
}

/// The tables a statement (a trigger body included) writes or drops by name: the targets of
/// `INSERT`/`REPLACE INTO`, `UPDATE`, `DELETE FROM`, `DROP TABLE`, `ALTER TABLE`, and the
/// tables `CREATE INDEX` / `CREATE TRIGGER` attach to.
fn written_tables(text: &str, toks: &[Token]) -> Vec<String> {
    let kw = |i: usize, k: &str| toks.get(i).is_some_and(|t| t.is_kw(text, k));
    // The name at `i` (`schema.name` gives `name`).
    let name_at = |i: usize| -> Option<String> {
        if toks.get(i + 1).is_some_and(|t| t.is_punct(text, ".")) {
            toks.get(i + 2).and_then(|t| t.ident(text))
        } else {
            toks.get(i).and_then(|t| t.ident(text))
        }
    };
    let mut out = Vec::new();
    for i in 0..toks.len() {
        let mut j = i + 1;
        let target = if kw(i, "into") && i > 0 {
            name_at(j)
        } else if kw(i, "update")
            && !["on", "of", "after", "before", "do"]
                .iter()
                .any(|k| kw(i.wrapping_sub(1), k))
        {
            if kw(j, "or") {
                j += 2;
            }
            name_at(j)
        } else if kw(i, "delete") && kw(j, "from") {
            name_at(j + 1)
        } else if (kw(i, "drop") || kw(i, "alter")) && kw(j, "table") {
            j += 1;
            if kw(j, "if") {
                j += 2;
            }
            name_at(j)
        } else if kw(i, "on")
            && toks[..i]
                .iter()
                .any(|t| t.is_kw(text, "index") || t.is_kw(text, "trigger"))
            && !kw(i.wrapping_sub(1), "do")
        {
            name_at(j)
        } else {
            None
        };
        out.extend(target);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_written_tables() {
        let w = |s: &str| written_tables(s, &lex(s).unwrap());
        assert_eq!(w("INSERT OR REPLACE INTO main.a (x) VALUES (1)"), ["a"]);
        assert_eq!(w("UPDATE OR IGNORE b SET x = 1"), ["b"]);
        assert_eq!(w("DELETE FROM \"c d\" WHERE 1"), ["c d"]);
        assert_eq!(w("DROP TABLE IF EXISTS e"), ["e"]);
        assert_eq!(w("CREATE INDEX i ON f (x)"), ["f"]);
        assert_eq!(
            w("CREATE TRIGGER t AFTER UPDATE OF x ON g BEGIN DELETE FROM h; END"),
            ["g", "h"]
        );
        assert!(w("SELECT * FROM docs_data").is_empty());
    }
}
