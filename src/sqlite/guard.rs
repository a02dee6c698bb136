//! Input is data: SQL that comes from a user's file (a schema, a seed, a migration, `--sql`) may
//! change only the database kit was pointed at.
//!
//! While such SQL runs, an authorizer (SQLite's tool for exactly this) is installed on the
//! connection. It refuses `ATTACH` and `DETACH` (which reach other files), `PRAGMA`s that set
//! anything but the connection's own harmless settings, pragmas on other schemas, and the
//! functions that load code (`load_extension`, `fts3_tokenizer`). `VACUUM` has no authorizer
//! code, so statements are also checked by their first keyword ([`refused_statement`]). A
//! refusal names the statement kind and says why; the caller adds the file and line.

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::Connection;
use std::sync::{Arc, Mutex};

/// Pragmas a user's SQL may set: settings of its own connection or its own database header.
const SETTABLE_PRAGMAS: &[&str] = &[
    "analysis_limit",
    "application_id",
    "auto_vacuum",
    "automatic_index",
    "busy_timeout",
    "cache_size",
    "cache_spill",
    "case_sensitive_like",
    "cell_size_check",
    "checkpoint_fullfsync",
    "defer_foreign_keys",
    "encoding",
    "foreign_keys",
    "fullfsync",
    "ignore_check_constraints",
    "incremental_vacuum",
    "journal_mode",
    "journal_size_limit",
    "legacy_alter_table",
    "locking_mode",
    "max_page_count",
    "mmap_size",
    "optimize",
    "page_size",
    "query_only",
    "read_uncommitted",
    "recursive_triggers",
    "reverse_unordered_selects",
    "secure_delete",
    "synchronous",
    "temp_store",
    "threads",
    "user_version",
    "wal_autocheckpoint",
    "wal_checkpoint",
];

/// Pragmas that take an argument but only read.
const QUERY_PRAGMAS: &[&str] = &[
    "foreign_key_check",
    "foreign_key_list",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "quick_check",
    "table_info",
    "table_list",
    "table_xinfo",
];

/// Functions a user's SQL may never call.
const FORBIDDEN_FUNCTIONS: &[&str] = &["load_extension", "fts3_tokenizer"];

/// Why the authorizer refused the last statement (shared with its callback).
pub type Denial = Arc<Mutex<Option<String>>>;

/// The authorizer's verdict on one action, with the reason for a refusal.
fn judge(ctx: &AuthContext<'_>) -> Result<(), String> {
    let other_schema = ctx
        .database_name
        .is_some_and(|d| !d.eq_ignore_ascii_case("main") && !d.eq_ignore_ascii_case("temp"));
    match ctx.action {
        AuthAction::Attach { filename } => Err(format!(
            "ATTACH '{filename}' would open another database file"
        )),
        AuthAction::Detach { database_name } => {
            Err(format!("DETACH {database_name} names another database"))
        }
        AuthAction::Pragma { pragma_name, .. } if other_schema => Err(format!(
            "PRAGMA {}.{pragma_name} names another database",
            ctx.database_name.unwrap_or("")
        )),
        AuthAction::Pragma {
            pragma_name,
            pragma_value: Some(_),
        } if !SETTABLE_PRAGMAS
            .iter()
            .chain(QUERY_PRAGMAS)
            .any(|p| p.eq_ignore_ascii_case(pragma_name)) =>
        {
            Err(format!(
                "PRAGMA {pragma_name} = ... changes more than this database's own settings"
            ))
        }
        AuthAction::Function { function_name }
            if FORBIDDEN_FUNCTIONS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(function_name)) =>
        {
            Err(format!("{function_name}() would load code into kit"))
        }
        _ => Ok(()),
    }
}

/// Installs the authorizer on `conn`; the returned cell holds the reason of a refusal.
pub fn confine(conn: &mut Connection) -> Denial {
    let denial: Denial = Arc::new(Mutex::new(None));
    let seen = denial.clone();
    conn.authorizer(Some(move |ctx: AuthContext<'_>| match judge(&ctx) {
        Ok(()) => Authorization::Allow,
        Err(why) => {
            *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
            Authorization::Deny
        }
    }))
    .ok();
    denial
}

/// Removes the authorizer installed by [`confine`].
pub fn release(conn: &mut Connection) {
    conn.authorizer(None::<fn(AuthContext<'_>) -> Authorization>)
        .ok();
}

/// The refusal of a statement the authorizer cannot see: `VACUUM` (which can write a copy of
/// the database anywhere with `VACUUM INTO`).
pub fn refused_statement(sql: &str) -> Option<String> {
    let toks = crate::sql::lex(sql).ok()?;
    let first = toks
        .iter()
        .find(|t| !t.is_kw(sql, "explain") && !t.is_kw(sql, "query") && !t.is_kw(sql, "plan"))?;
    first
        .is_kw(sql, "vacuum")
        .then(|| "VACUUM rewrites the database file (VACUUM INTO writes another file)".to_string())
}

/// The reason the authorizer recorded, taken out of the cell.
pub fn take(denial: &Denial) -> Option<String> {
    denial.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// The message of a refused statement: what was refused and why SQL input cannot do it.
pub fn message(why: &str) -> String {
    format!(
        "not allowed: {why}; a schema, seed or migration file may change only the database kit was pointed at"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_reaches_beyond_the_database() {
        let mut c = Connection::open_in_memory().unwrap();
        let d = confine(&mut c);
        for bad in [
            "ATTACH ':memory:' AS x",
            "PRAGMA writable_schema = ON",
            "PRAGMA temp_store_directory = '/tmp'",
            "SELECT load_extension('x')",
        ] {
            assert!(c.execute_batch(bad).is_err(), "{bad}");
            assert!(take(&d).is_some(), "{bad}");
        }
        for good in [
            "PRAGMA foreign_keys = ON",
            "PRAGMA user_version = 3",
            "PRAGMA table_info('x')",
            "CREATE TABLE t (a)",
            "INSERT INTO t VALUES (1)",
        ] {
            let r = c.execute_batch(good);
            assert!(r.is_ok(), "{good}: {r:?} {:?}", take(&d));
        }
        release(&mut c);
        c.execute_batch("PRAGMA writable_schema = ON; PRAGMA writable_schema = OFF")
            .unwrap();
        assert!(refused_statement("vacuum into '/tmp/x'").is_some());
        assert!(refused_statement("EXPLAIN QUERY PLAN VACUUM").is_some());
        assert!(refused_statement("SELECT 'vacuum'").is_none());
    }
}
