//! The SQLite side: reading a live schema from `sqlite_schema` ([`read`]), planning changes as
//! native ALTERs, edits of the stored definition or table rebuilds ([`mod@plan`]), applying a
//! plan in one transaction ([`mod@apply`]), loading schema and seed scripts ([`load`]), and the
//! throwaway database file ([`throwaway`]).
//!
//! Everything here works on a `rusqlite::Connection`; the shared model, statements, operations
//! and diff do not depend on it.

pub mod affinity;
pub mod apply;
pub mod components;
pub mod guard;
pub mod load;
pub mod migrate;
pub mod phased;
pub mod plan;
pub mod read;
pub mod throwaway;
