//! What SQLite's column affinity does to a value, asked of SQLite itself.
//!
//! A non-STRICT column converts some values as they are stored: a NUMERIC column turns the text
//! `'12.50'` into the real `12.5` and the real `1.0` into the integer `1`. Preflight checks that
//! must refuse a change which would convert stored values (`SET NOT STRICT` over an `ANY`
//! column) use [`numeric_changes`] through the SQL function `kit_numeric_changes(v)`. Rather
//! than reimplementing SQLite's number parser, the value is stored in a NUMERIC column of a
//! private in-memory database and read back.

use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;
use std::cell::RefCell;

thread_local! {
    /// A private in-memory database with one NUMERIC column, per thread.
    static SCRATCH: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

fn scratch() -> rusqlite::Result<Connection> {
    let c = Connection::open_in_memory()?;
    c.execute_batch("CREATE TABLE a (n NUMERIC)")?;
    Ok(c)
}

/// True when storing `v` in a column of NUMERIC affinity would change its storage class or
/// value (only text and real values can change). Errors count as a change, so a check refuses
/// rather than passes when SQLite cannot tell.
pub fn numeric_changes(v: ValueRef<'_>) -> bool {
    if !matches!(v, ValueRef::Text(_) | ValueRef::Real(_)) {
        return false;
    }
    let before = match v {
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Real(f) => Value::Real(f),
        _ => return false,
    };
    SCRATCH.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = scratch().ok();
        }
        let Some(conn) = slot.as_ref() else {
            return true;
        };
        let stored: rusqlite::Result<Value> = conn
            .prepare_cached("INSERT INTO a (n) VALUES (?1) RETURNING n")
            .and_then(|mut st| st.query_row([&before], |r| r.get(0)));
        let _ = conn.execute("DELETE FROM a", []);
        match (stored, &before) {
            (Ok(Value::Real(a)), Value::Real(b)) => a.to_bits() != b.to_bits(),
            (Ok(after), _) => after != before,
            (Err(_), _) => true,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_affinity_as_sqlite_applies_it() {
        let t = |s: &str| numeric_changes(ValueRef::Text(s.as_bytes()));
        assert!(t("12.50") && t("1e3") && t("7") && t(" 42 "));
        assert!(!t("12abc") && !t("abc") && !t("") && !t("0x10"));
        assert!(numeric_changes(ValueRef::Real(1.0)));
        assert!(!numeric_changes(ValueRef::Real(1.5)));
        assert!(!numeric_changes(ValueRef::Integer(3)));
        assert!(!numeric_changes(ValueRef::Blob(b"12")));
        assert!(!numeric_changes(ValueRef::Null));
    }
}
