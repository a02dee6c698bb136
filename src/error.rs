//! The library's error type: every variant says what failed, where, and how to fix it.

use std::fmt;

/// Anything that can go wrong while reading, planning or applying a change.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SQL text could not be parsed.
    #[error("syntax error at line {line}, column {column}: {message}\n  in: {statement}")]
    Syntax {
        /// What is wrong.
        message: String,
        /// 1-based line in the input.
        line: usize,
        /// 1-based column in the input.
        column: usize,
        /// The statement (or its start) that failed.
        statement: String,
    },
    /// SQLite refused a statement of a schema, seed or other SQL file.
    #[error("{origin}, line {line}: {message}\n  in: {statement}")]
    Script {
        /// The file (or other source) of the statement.
        origin: String,
        /// 1-based line of the statement's start.
        line: usize,
        /// SQLite's message.
        message: String,
        /// The statement.
        statement: String,
    },
    /// SQL input that is not text kit can read: invalid UTF-8, or a NUL byte (where SQLite
    /// would silently stop reading the statement).
    #[error("{origin}:{line}:{column}: {message}")]
    Input {
        /// The file (or other source) of the input.
        origin: String,
        /// 1-based line of the first bad byte.
        line: usize,
        /// 1-based column (in characters) of the first bad byte.
        column: usize,
        /// Byte offset of the first bad byte.
        offset: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A statement kind or form kit does not handle.
    #[error("unsupported statement: {what}\n  in: {statement}\n  hint: {hint}")]
    Unsupported {
        /// What is not supported.
        what: String,
        /// The statement.
        statement: String,
        /// What to do instead.
        hint: String,
    },
    /// A table, column, constraint or index that does not exist.
    #[error("{what} does not exist{}", in_stmt(.statement))]
    Unknown {
        /// The missing object, e.g. `column "users"."age"`.
        what: String,
        /// The statement that named it.
        statement: String,
    },
    /// The change was refused before anything was written.
    #[error("{0}")]
    Refused(Refusal),
    /// SQLite reported an error.
    #[error("{context}: {source}")]
    Sqlite {
        /// What kit was doing.
        context: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The database file cannot be used.
    #[error("{path}: {message}")]
    Database {
        /// The file.
        path: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

fn in_stmt(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("\n  in: {s}")
    }
}

/// A change refused because of existing rows or dependent objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The table the change was for.
    pub table: String,
    /// Why, naming the column or constraint.
    pub reason: String,
    /// How many rows (or objects) are in the way; 0 when not about rows.
    pub count: u64,
    /// Up to five example keys, e.g. `id=4`.
    pub examples: Vec<String>,
    /// What to do about it.
    pub hint: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused: table \"{}\": {}", self.table, self.reason)?;
        if self.count > 0 {
            write!(
                f,
                " ({} row{}",
                self.count,
                if self.count == 1 { "" } else { "s" }
            )?;
            if !self.examples.is_empty() {
                write!(f, ", e.g. {}", self.examples.join(", "))?;
            }
            write!(f, ")")?;
        }
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", self.hint)?;
        }
        write!(f, "\n  nothing was changed")
    }
}

impl Error {
    /// Wraps a SQLite error with what kit was doing.
    pub fn sqlite(context: impl Into<String>, source: rusqlite::Error) -> Self {
        Error::Sqlite {
            context: context.into(),
            source,
        }
    }

    /// A refusal without rows.
    pub fn refused(table: &str, reason: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Refused(Refusal {
            table: table.to_string(),
            reason: reason.into(),
            count: 0,
            examples: vec![],
            hint: hint.into(),
        })
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
