//! The PostgreSQL side: connecting ([`connect`]), translating SQLite's dialect and kit's
//! operations to PostgreSQL ([`translate`]), and running statements in one transaction with
//! errors that carry PostgreSQL's SQLSTATE, message, position, detail and hint.
//!
//! Everything here is synchronous (the `postgres` crate); the library has no async API.

pub mod connect;
pub mod translate;

pub use connect::{connect, is_postgres_url, redact};
