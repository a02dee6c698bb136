//! The random schemas and changes the property tests share (`tests/proptest_rebuild.rs`,
//! `tests/proptest_diff.rs`, `tests/proptest_parity.rs`): recipes proptest generates and
//! shrinks ([`recipe`]), interpreted into a database and the test's own model of it
//! ([`build`], [`model`], [`convert`]), random supported `ALTER TABLE` changes that update the
//! model ([`change`]), reading a database back ([`read`]) and the shared runner ([`run`]).
//! Include it with `#[path = "common/gen/mod.rs"] mod gen;` and `use gen::*;`.
#![allow(dead_code, unused_imports, clippy::type_complexity)]

pub use proptest::prelude::*;
pub use proptest::test_runner::{
    Config, FileFailurePersistence, RngSeed, TestCaseError, TestRunner,
};
pub use rusqlite::types::Value;
pub use rusqlite::Connection;
pub use std::collections::{BTreeMap, BTreeSet};

pub mod build;
pub mod change;
pub mod convert;
pub mod model;
pub mod names;
pub mod read;
pub mod recipe;
pub mod run;

pub use build::*;
pub use change::*;
pub use convert::*;
pub use model::*;
pub use names::*;
pub use read::*;
pub use recipe::*;
pub use run::*;
