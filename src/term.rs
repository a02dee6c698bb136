//! Output to the terminal: every line the CLI prints goes through these macros, so that names
//! and messages taken from databases and files (which may hold escape sequences or other
//! control characters) never reach a terminal raw.
//!
//! `say!` writes a human message to stderr and `show!` one to stdout, both with unsafe
//! characters escaped (newlines of multi-line messages kept). `show_sql!` writes SQL to stdout:
//! escaped when stdout is a terminal, byte-exact when it is a file or a pipe (SQLite has no
//! escape syntax for identifiers, so SQL meant for another tool must stay as it is).

use std::io::IsTerminal;

/// `text` with unsafe characters escaped, newlines kept.
pub fn safe(text: &str) -> String {
    text.split('\n')
        .map(kit::sql::escape_unsafe)
        .collect::<Vec<_>>()
        .join("\n")
}

/// SQL text for stdout: escaped like [`safe`] on a terminal, unchanged otherwise.
pub fn sql(text: &str) -> String {
    if std::io::stdout().is_terminal() {
        safe(text)
    } else {
        text.to_string()
    }
}

/// Prints a message line to stderr, unsafe characters escaped.
macro_rules! say {
    ($($arg:tt)*) => { eprintln!("{}", $crate::term::safe(&format!($($arg)*))) };
}

/// Prints a line to stdout, unsafe characters escaped.
macro_rules! show {
    ($($arg:tt)*) => { println!("{}", $crate::term::safe(&format!($($arg)*))) };
}

/// Prints SQL to stdout: escaped on a terminal, byte-exact into a file or pipe.
macro_rules! show_sql {
    ($($arg:tt)*) => { print!("{}", $crate::term::sql(&format!($($arg)*))) };
}
