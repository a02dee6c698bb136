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
    #[error("{origin}, line {line}, column {column}: {message}\n  in: {statement}")]
    Script {
        /// The file (or other source) of the statement.
        origin: String,
        /// 1-based line of the error (where SQLite says it is, else the statement's start).
        line: usize,
        /// 1-based column of the error, likewise.
        column: usize,
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
    /// The change failed and kit cannot confirm that the database is unchanged: an I/O error
    /// while committing in WAL mode (the outcome is unknown), or a rollback SQLite could not
    /// finish. The message says how to find out and what to run.
    #[error("{path}: {message}")]
    Uncertain {
        /// The database file.
        path: String,
        /// The error, what is not known, and what to run.
        message: String,
    },
    /// PostgreSQL could not be reached, refused the login, or refused a statement.
    #[error("{0}")]
    Postgres(Box<PgError>),
    /// Something in SQLite's dialect that has no PostgreSQL translation.
    #[error("{0}")]
    Untranslatable(Box<Untranslatable>),
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

/// What went wrong with PostgreSQL, in the terms a user can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgErrorKind {
    /// The connection string cannot be used (syntax, an unsupported option).
    BadUrl,
    /// No server answered at the host/socket and port.
    Unreachable,
    /// The server refused the login (wrong password, no such role, pg_hba.conf).
    LoginRefused,
    /// The server has no such database.
    NoDatabase,
    /// TLS was required, which kit does not support yet.
    Tls,
    /// A statement failed.
    Statement,
    /// Anything else the server or the client reported.
    Other,
}

/// A PostgreSQL failure: what kit was doing, where, PostgreSQL's own report and the fix.
/// Never holds a password: the server is described by [`PgError::server`] (redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgError {
    /// The kind of failure.
    pub kind: PgErrorKind,
    /// What kit was doing, e.g. `cannot connect to PostgreSQL`.
    pub context: String,
    /// The server: host or socket directory, port, database and user; never the password.
    pub server: String,
    /// PostgreSQL's (or the client library's) message.
    pub message: String,
    /// The SQLSTATE code, when the server sent one.
    pub sqlstate: Option<String>,
    /// PostgreSQL's DETAIL, if any.
    pub detail: Option<String>,
    /// How to fix it (PostgreSQL's HINT, or kit's).
    pub hint: String,
    /// The failing statement, if any.
    pub statement: Option<String>,
    /// 1-based character position in `statement` PostgreSQL pointed at, if any.
    pub position: Option<usize>,
    /// Where the statement came from, e.g. `migrations/0002_x.sql, line 7, column 12`.
    pub location: Option<String>,
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = &self.location {
            write!(f, "{l}: ")?;
        }
        write!(f, "{}: {}", self.context, self.message)?;
        if let Some(code) = &self.sqlstate {
            write!(f, " (SQLSTATE {code})")?;
        }
        if !self.server.is_empty() {
            write!(f, "\n  server: {}", self.server)?;
        }
        if let Some(d) = &self.detail {
            write!(f, "\n  detail: {d}")?;
        }
        if let Some(s) = &self.statement {
            write!(f, "\n  in: {s}")?;
        }
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", self.hint)?;
        }
        Ok(())
    }
}

/// A piece of SQLite's dialect that kit refuses to translate for PostgreSQL, found at plan
/// time before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslatable {
    /// The object, e.g. `column "users"."created"` or `trigger "users_touch"`.
    pub object: String,
    /// What cannot be translated and why.
    pub reason: String,
    /// The fix (usually a `-- kit:only` dialect block).
    pub hint: String,
    /// Where it was written, e.g. `schema.sql, line 4`; filled in by the caller.
    pub location: Option<String>,
}

impl fmt::Display for Untranslatable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = &self.location {
            write!(f, "{l}: ")?;
        }
        write!(
            f,
            "{} cannot be translated to PostgreSQL: {}",
            self.object, self.reason
        )?;
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", self.hint)?;
        }
        Ok(())
    }
}

impl Error {
    /// A refusal to translate `object` for PostgreSQL.
    pub fn untranslatable(
        object: impl Into<String>,
        reason: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Error::Untranslatable(Box::new(Untranslatable {
            object: object.into(),
            reason: reason.into(),
            hint: hint.into(),
            location: None,
        }))
    }

    /// Sets where the failing SQL was written (`origin`, `line`), for PostgreSQL and
    /// translation errors; other errors are returned unchanged.
    pub fn at(self, origin: &str, line: usize) -> Self {
        let place = if origin.is_empty() {
            format!("line {line}")
        } else {
            format!("{origin}, line {line}")
        };
        match self {
            Error::Untranslatable(mut u) => {
                u.location.get_or_insert(place);
                Error::Untranslatable(u)
            }
            Error::Postgres(mut p) => {
                p.location.get_or_insert(place);
                Error::Postgres(p)
            }
            other => other,
        }
    }

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
