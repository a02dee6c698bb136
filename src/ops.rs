//! Operations: dialect-neutral values for each change kit can make to a table.
//!
//! An operation names its table and columns and carries SQL fragments (types, defaults,
//! expressions) exactly as the user wrote them. The SQLite planner turns operations into native
//! ALTERs or rebuilds; a PostgreSQL renderer can print them as native ALTERs.

use crate::schema::{Column, TableConstraint};
use crate::sql::quote_ident;

/// One change to one table.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `ADD [COLUMN] def`.
    AddColumn {
        /// The new column.
        column: Column,
        /// `IF NOT EXISTS` was written.
        if_not_exists: bool,
    },
    /// `DROP [COLUMN] [IF EXISTS] c`.
    DropColumn {
        /// The column.
        column: String,
        /// `IF EXISTS` was written.
        if_exists: bool,
    },
    /// `RENAME [COLUMN] a TO b`.
    RenameColumn {
        /// The current name.
        from: String,
        /// The new name.
        to: String,
    },
    /// `RENAME TO u`.
    RenameTable {
        /// The new table name.
        to: String,
    },
    /// `ALTER [COLUMN] c [SET DATA] TYPE t [USING expr]`.
    AlterType {
        /// The column.
        column: String,
        /// The new type, as written.
        type_text: String,
        /// `COLLATE name`: the new collation (`default` removes it), as PostgreSQL spells it.
        collate: Option<String>,
        /// The conversion expression, as written.
        using: Option<String>,
    },
    /// `ALTER [COLUMN] c SET NOT NULL`.
    SetNotNull {
        /// The column.
        column: String,
    },
    /// `ALTER [COLUMN] c DROP NOT NULL`.
    DropNotNull {
        /// The column.
        column: String,
    },
    /// `ALTER [COLUMN] c SET DEFAULT expr`.
    SetDefault {
        /// The column.
        column: String,
        /// The default, as written.
        expr: String,
    },
    /// `ALTER [COLUMN] c DROP DEFAULT`.
    DropDefault {
        /// The column.
        column: String,
    },
    /// `ADD [CONSTRAINT n] PRIMARY KEY | UNIQUE | CHECK | FOREIGN KEY ...`.
    AddConstraint {
        /// The constraint, with its text.
        constraint: TableConstraint,
    },
    /// `SET STRICT` / `SET NOT STRICT` (a kit extension for SQLite; PostgreSQL has no such
    /// table option, so a PostgreSQL run skips it).
    SetStrict {
        /// The table becomes STRICT (`false`: stops being STRICT).
        on: bool,
    },
    /// `SET WITHOUT ROWID` / `SET WITH ROWID` (a kit extension for SQLite, skipped on
    /// PostgreSQL).
    SetWithoutRowid {
        /// The table becomes WITHOUT ROWID (`false`: gets a rowid again).
        on: bool,
    },
    /// `DROP CONSTRAINT [IF EXISTS] n`.
    DropConstraint {
        /// The constraint's explicit or default name.
        name: String,
        /// `IF EXISTS` was written.
        if_exists: bool,
    },
}

/// An `ALTER TABLE` statement: a table and its actions, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterTable {
    /// The table, as named in the statement.
    pub table: String,
    /// The actions, in order.
    pub ops: Vec<Op>,
}

impl Op {
    /// The portable (PostgreSQL-flavoured) text of this action, without `ALTER TABLE t`.
    pub fn to_sql(&self) -> String {
        match self {
            Op::AddColumn {
                column,
                if_not_exists,
            } => {
                format!(
                    "ADD COLUMN {}{}",
                    if *if_not_exists { "IF NOT EXISTS " } else { "" },
                    column.render()
                )
            }
            Op::DropColumn { column, if_exists } => {
                format!(
                    "DROP COLUMN {}{}",
                    if *if_exists { "IF EXISTS " } else { "" },
                    quote_ident(column)
                )
            }
            Op::RenameColumn { from, to } => {
                format!("RENAME COLUMN {} TO {}", quote_ident(from), quote_ident(to))
            }
            Op::RenameTable { to } => format!("RENAME TO {}", quote_ident(to)),
            Op::AlterType {
                column,
                type_text,
                collate,
                using,
            } => {
                let mut s = format!("ALTER COLUMN {} TYPE {type_text}", quote_ident(column));
                if let Some(c) = collate {
                    s.push_str(" COLLATE ");
                    s.push_str(&quote_ident(c));
                }
                if let Some(u) = using {
                    s.push_str(" USING ");
                    s.push_str(u);
                }
                s
            }
            Op::SetNotNull { column } => {
                format!("ALTER COLUMN {} SET NOT NULL", quote_ident(column))
            }
            Op::DropNotNull { column } => {
                format!("ALTER COLUMN {} DROP NOT NULL", quote_ident(column))
            }
            Op::SetDefault { column, expr } => {
                format!("ALTER COLUMN {} SET DEFAULT {expr}", quote_ident(column))
            }
            Op::DropDefault { column } => {
                format!("ALTER COLUMN {} DROP DEFAULT", quote_ident(column))
            }
            Op::AddConstraint { constraint } => format!("ADD {}", constraint.text),
            Op::SetStrict { on: true } => "SET STRICT".into(),
            Op::SetStrict { on: false } => "SET NOT STRICT".into(),
            Op::SetWithoutRowid { on: true } => "SET WITHOUT ROWID".into(),
            Op::SetWithoutRowid { on: false } => "SET WITH ROWID".into(),
            Op::DropConstraint { name, if_exists } => {
                format!(
                    "DROP CONSTRAINT {}{}",
                    if *if_exists { "IF EXISTS " } else { "" },
                    quote_ident(name)
                )
            }
        }
    }
}

impl AlterTable {
    /// The portable SQL text of the whole statement.
    pub fn to_sql(&self) -> String {
        let actions: Vec<String> = self.ops.iter().map(Op::to_sql).collect();
        format!(
            "ALTER TABLE {} {}",
            quote_ident(&self.table),
            actions.join(", ")
        )
    }
}
