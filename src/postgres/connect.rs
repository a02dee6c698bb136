//! Connecting to PostgreSQL: which `database` values are PostgreSQL URLs, parsing them, hiding
//! their passwords, and turning every way a connection can fail into a kit error that says what
//! happened, which server and database (never the password), and how to fix it.
//!
//! Accepted forms: `postgresql://user:pass@host:5432/app`, `postgres://...`, and the Unix-socket
//! form `postgresql:///app?host=/path/to/socket-dir&port=5432&user=postgres`. Without a host,
//! kit uses the Unix socket directory `PGHOST`, else `/var/run/postgresql` or `/tmp` (whichever
//! exists), as libpq does. Without `connect_timeout`, kit waits at most 10 seconds.
//!
//! TLS is not supported yet: connections are made with `NoTls`, so `sslmode=prefer` (the
//! default) connects in plain text, and `sslmode=require` (or `verify-ca`, `verify-full`) is
//! refused with an error instead of silently connecting without TLS.

use crate::error::{Error, PgError, PgErrorKind, Result};
use postgres::config::Host;
use postgres::{Client, Config, NoTls};
use std::str::FromStr;
use std::time::Duration;

/// The wait for a server when the URL sets no `connect_timeout`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// True when `database` is a PostgreSQL URL (`postgres://` or `postgresql://`); anything else
/// is a SQLite path.
pub fn is_postgres_url(database: &str) -> bool {
    let lower = database.get(..13).unwrap_or(database).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// `url` with any password replaced by `***` (in the user-info part and in a `password=`
/// query parameter), safe to print.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|p| p + 3) else {
        return redact_query(url);
    };
    let (main, query) = match url[scheme_end..].find('?') {
        Some(q) => (&url[..scheme_end + q], Some(&url[scheme_end + q..])),
        None => (url, None),
    };
    let mut out = match main[scheme_end..].rfind('@') {
        Some(at) => {
            let userinfo = &main[scheme_end..scheme_end + at];
            let user = match userinfo.find(':') {
                Some(c) => format!("{}:***", &userinfo[..c]),
                None => userinfo.to_string(),
            };
            format!("{}{user}{}", &main[..scheme_end], &main[scheme_end + at..])
        }
        None => main.to_string(),
    };
    if let Some(q) = query {
        out.push_str(&redact_query(q));
    }
    out
}

/// Replaces the value of every `password=` parameter in a query string (or key-value text).
fn redact_query(q: &str) -> String {
    let mut out = String::new();
    let mut rest = q;
    while let Some(p) = find_param(rest, "password=") {
        let value_start = p + "password=".len();
        out.push_str(&rest[..value_start]);
        out.push_str("***");
        let value_end = rest[value_start..]
            .find(['&', ' '])
            .map_or(rest.len(), |e| value_start + e);
        rest = &rest[value_end..];
    }
    out.push_str(rest);
    out
}

/// Offset of parameter `key` (case-insensitive) at a parameter boundary in `s`.
fn find_param(s: &str, key: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find(key) {
        let at = from + p;
        if at == 0 || matches!(s.as_bytes()[at - 1], b'?' | b'&' | b' ') {
            return Some(at);
        }
        from = at + key.len();
    }
    None
}

/// The secrets of `url` as they may appear in messages: each password as written and decoded.
fn secrets(url: &str, config: Option<&Config>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = config.and_then(Config::get_password) {
        out.push(String::from_utf8_lossy(p).into_owned());
    }
    if let Some(scheme_end) = url.find("://") {
        let main = url[scheme_end + 3..].split('?').next().unwrap_or("");
        if let Some(at) = main.rfind('@') {
            if let Some(colon) = main[..at].find(':') {
                out.push(main[colon + 1..at].to_string());
            }
        }
    }
    let mut rest = url;
    while let Some(p) = find_param(rest, "password=") {
        let start = p + "password=".len();
        let end = rest[start..]
            .find(['&', ' '])
            .map_or(rest.len(), |e| start + e);
        out.push(rest[start..end].to_string());
        rest = &rest[end..];
    }
    let decoded: Vec<String> = out.iter().map(|s| percent_decode(s)).collect();
    out.extend(decoded);
    out.retain(|s| !s.is_empty());
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// Decodes `%XX` escapes (invalid ones are kept as written).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with every secret of `url` replaced by `***`.
pub fn scrub(text: &str, url: &str, config: Option<&Config>) -> String {
    let mut out = text.to_string();
    for s in secrets(url, config) {
        out = out.replace(&s, "***");
    }
    out
}

/// The server a config points at, for messages: host or socket directory, port, database and
/// user; never the password.
pub fn describe(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(name) => format!("host {name}"),
            Host::Unix(dir) => format!("Unix socket directory {}", dir.display()),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config
        .get_user()
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "(the OS user)".into());
    let db = config.get_dbname().unwrap_or(&user);
    format!(
        "{}, port {port}, database \"{db}\", user \"{user}\"",
        if hosts.is_empty() {
            "no host".to_string()
        } else {
            hosts.join(" or ")
        }
    )
}

fn pg_error(
    kind: PgErrorKind,
    context: &str,
    server: String,
    message: String,
    hint: &str,
) -> Error {
    Error::Postgres(Box::new(PgError {
        kind,
        context: context.to_string(),
        server,
        message,
        sqlstate: None,
        detail: None,
        hint: hint.to_string(),
        statement: None,
        position: None,
        location: None,
    }))
}

/// The TLS modes kit cannot honour with a plain-text connection.
fn requires_tls(url: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.eq_ignore_ascii_case("sslmode")
            && ["require", "verify-ca", "verify-full"]
                .iter()
                .any(|m| v.eq_ignore_ascii_case(m)))
        .then(|| v.to_string())
    })
}

/// The first existing default Unix socket directory (`PGHOST`, `/var/run/postgresql`, `/tmp`).
fn default_socket_dir() -> Option<std::path::PathBuf> {
    if let Some(h) = std::env::var_os("PGHOST").filter(|h| !h.is_empty()) {
        return Some(h.into());
    }
    ["/var/run/postgresql", "/tmp"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|d| d.join(".s.PGSQL.5432").exists() || d.is_dir())
}

/// Parses a PostgreSQL URL into a client config (defaults filled in: host, connect timeout).
pub fn parse(url: &str) -> Result<Config> {
    let shown = redact(url);
    if let Some(mode) = requires_tls(url) {
        return Err(pg_error(
            PgErrorKind::Tls,
            "cannot connect to PostgreSQL",
            shown,
            format!("sslmode={mode} asks for TLS, which kit does not support yet"),
            "connect over a Unix socket or a trusted network with sslmode=disable (or leave \
             sslmode out); kit never falls back to plain text when TLS is required",
        ));
    }
    let mut config = Config::from_str(url).map_err(|e| {
        pg_error(
            PgErrorKind::BadUrl,
            "invalid PostgreSQL connection string",
            shown.clone(),
            scrub(&error_text(&e), url, None),
            "use postgresql://user:password@host:5432/database, or \
             postgresql:///database?host=/socket/dir&port=5432&user=name for a Unix socket",
        )
    })?;
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        match default_socket_dir() {
            Some(dir) => config.host_path(dir),
            None => config.host("localhost"),
        };
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
    }
    Ok(config)
}

/// The client library's message with its causes (its `Display` alone says "db error").
fn error_text(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// Opens a connection to the PostgreSQL server `url` names (a `postgres://` or `postgresql://`
/// URL), mapping every failure to [`Error::Postgres`] without the password.
pub fn connect(url: &str) -> Result<Client> {
    let config = parse(url)?;
    config
        .connect(NoTls)
        .map_err(|e| connect_error(&e, url, &config))
}

/// Connects to `url` and, when `schema` is given (the config's `[postgresql] schema`), makes
/// that schema the session's whole `search_path` ([`use_schema`]).
pub fn connect_in(url: &str, schema: Option<&str>) -> Result<Client> {
    let mut client = connect(url)?;
    if let Some(schema) = schema {
        use_schema(&mut client, schema, url)?;
    }
    Ok(client)
}

/// Makes `schema` the session's whole `search_path`, so everything kit reads, creates and
/// records (`kit_migrations`, the tables, the throwaway marker) is in it; `pg_catalog` is still
/// searched first, as always, and a scratch schema's `SET LOCAL` ends with its transaction. The
/// name is quoted by the server (`quote_ident`), so any name works. A schema that does not
/// exist, or that the role may not use, is an error naming it with the fix.
pub fn use_schema(client: &mut Client, schema: &str, url: &str) -> Result<()> {
    let fail = |e: postgres::Error| Error::Database {
        path: redact(url),
        message: format!(
            "cannot switch to schema {} ([postgresql] schema): {}",
            crate::sql::quote_ident(schema),
            scrub(&error_text(&e), url, None)
        ),
    };
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1), \
             current_database()::text",
            &[&schema],
        )
        .map_err(fail)?;
    let (exists, database): (bool, String) = (row.get(0), row.get(1));
    let quoted = crate::sql::quote_ident(schema);
    if !exists {
        return Err(Error::Database {
            path: redact(url),
            message: format!(
                "schema {quoted} (the config's [postgresql] schema) does not exist in database {}; create it (`CREATE SCHEMA {quoted};`, as a role allowed to), or fix the name in the config",
                crate::sql::quote_ident(&database)
            ),
        });
    }
    client
        .execute(
            "SELECT pg_catalog.set_config('search_path', pg_catalog.quote_ident($1), false)",
            &[&schema],
        )
        .map_err(fail)?;
    let usable: bool = client
        .query_one(
            "SELECT pg_catalog.current_schema() IS NOT DISTINCT FROM $1",
            &[&schema],
        )
        .map_err(fail)?
        .get(0);
    if !usable {
        return Err(Error::Database {
            path: redact(url),
            message: format!(
                "the role in the URL may not use schema {quoted} (the config's [postgresql] schema) in database {}; grant it (`GRANT USAGE, CREATE ON SCHEMA {quoted} TO <role>;`), or connect as a role that may",
                crate::sql::quote_ident(&database)
            ),
        });
    }
    Ok(())
}

/// Maps a failed connection attempt to a kit error.
pub fn connect_error(e: &postgres::Error, url: &str, config: &Config) -> Error {
    let server = describe(config);
    let message = scrub(&error_text(e), url, Some(config));
    let context = "cannot connect to PostgreSQL";
    let db_name = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("the database")
        .to_string();
    let (kind, hint) = match e.code().map(|c| c.code()) {
        Some("3D000") => (
            PgErrorKind::NoDatabase,
            format!(
                "create it (`createdb{} {}`, or `CREATE DATABASE {}` as a role allowed to), or fix \
                 the database name in the URL",
                createdb_args(config),
                sh_word(&db_name),
                crate::sql::quote_ident(&db_name)
            ),
        ),
        Some("28P01") | Some("28000") => (
            PgErrorKind::LoginRefused,
            "check the user name and password in the URL (keep the password out of the config \
             file: database = \"${DATABASE_URL}\"), that the role exists and may log in, and \
             that the server's pg_hba.conf allows this connection"
                .to_string(),
        ),
        Some(_) => (
            PgErrorKind::Other,
            "see PostgreSQL's message above".to_string(),
        ),
        None => classify_client_error(&message),
    };
    let mut err = PgError {
        kind,
        context: context.to_string(),
        server,
        message,
        sqlstate: e.code().map(|c| c.code().to_string()),
        detail: None,
        hint,
        statement: None,
        position: None,
        location: None,
    };
    if let Some(db) = e.as_db_error() {
        err.detail = db.detail().map(|d| scrub(d, url, Some(config)));
        if let Some(h) = db.hint() {
            err.hint = format!("{}; {}", scrub(h, url, Some(config)), err.hint);
        }
    }
    Error::Postgres(Box::new(err))
}

/// `-h HOST -p PORT -U USER` for a `createdb` command line reaching the same server.
fn createdb_args(config: &Config) -> String {
    let mut out = String::new();
    if let Some(h) = config.get_hosts().first() {
        let h = match h {
            Host::Tcp(name) => name.clone(),
            Host::Unix(dir) => dir.display().to_string(),
        };
        out.push_str(&format!(" -h {}", sh_word(&h)));
    }
    if let Some(p) = config.get_ports().first() {
        out.push_str(&format!(" -p {p}"));
    }
    if let Some(u) = config.get_user() {
        out.push_str(&format!(" -U {}", sh_word(u)));
    }
    out
}

/// `s` as one shell word (quoted only when needed).
fn sh_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Kind and hint for a failure the client library reported (no SQLSTATE).
fn classify_client_error(message: &str) -> (PgErrorKind, String) {
    if message.starts_with("authentication error") || message.contains("password missing") {
        return (
            PgErrorKind::LoginRefused,
            "the server asks for a password: put it in the URL (postgresql://user:password@host/db), \
             ideally through an environment variable: database = \"${DATABASE_URL}\""
                .to_string(),
        );
    }
    if message.starts_with("error connecting to server") || message.starts_with("timeout") {
        return (
            PgErrorKind::Unreachable,
            "start the server, or fix the host and port in the URL (for a Unix socket, host= is \
             the directory holding .s.PGSQL.<port>); `pg_isready -h HOST -p PORT` checks"
                .to_string(),
        );
    }
    (
        PgErrorKind::Other,
        "check the server and the URL".to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_urls() {
        assert!(is_postgres_url("postgresql://u@h/db"));
        assert!(is_postgres_url("postgres://h/db"));
        assert!(is_postgres_url("PostgreSQL:///db?host=/tmp"));
        assert!(!is_postgres_url("app.db"));
        assert!(!is_postgres_url("postgres.db"));
        assert!(!is_postgres_url("./postgres://x"));
        assert!(!is_postgres_url(""));
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgresql://ann:s3cr%40t@db.example:5432/app?sslmode=disable"),
            "postgresql://ann:***@db.example:5432/app?sslmode=disable"
        );
        assert_eq!(
            redact("postgres://ann@h/app?password=hunter2&user=x"),
            "postgres://ann@h/app?password=***&user=x"
        );
        assert_eq!(
            redact("postgres://p@ss:w@rd@h/app"),
            "postgres://p@ss:***@h/app"
        );
        assert_eq!(
            redact("postgresql:///app?host=/tmp"),
            "postgresql:///app?host=/tmp"
        );
    }

    #[test]
    fn scrubs_raw_and_decoded_passwords() {
        let url = "postgresql://ann:s3cr%40t@h/app?password=other";
        let config = Config::from_str(url).unwrap();
        let text = "s3cr%40t and s3cr@t and other";
        let s = scrub(text, url, Some(&config));
        assert!(!s.contains("s3cr") && !s.contains("other"), "{s}");
    }

    #[test]
    fn parses_every_form() {
        for url in [
            "postgresql://user:pass@localhost:5432/app",
            "postgres://user@localhost/app",
            "postgresql:///app?host=/tmp/sock&port=5433&user=postgres",
        ] {
            let c = parse(url).unwrap();
            assert_eq!(c.get_dbname(), Some("app"), "{url}");
            assert!(!describe(&c).contains("pass"), "{}", describe(&c));
        }
        let c = parse("postgresql:///app?host=/tmp/sock&port=5433&user=postgres").unwrap();
        assert_eq!(
            describe(&c),
            "Unix socket directory /tmp/sock, port 5433, database \"app\", user \"postgres\""
        );
    }

    #[test]
    fn tls_modes_are_refused_not_downgraded() {
        let e = parse("postgresql://u:pw@h/app?sslmode=require").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("sslmode=require") && !text.contains("pw@"),
            "{text}"
        );
        assert!(matches!(e, Error::Postgres(p) if p.kind == PgErrorKind::Tls));
    }

    #[test]
    fn bad_urls_do_not_leak() {
        let e = parse("postgresql://u:topsecret@h:notaport/app").unwrap_err();
        let text = e.to_string();
        assert!(!text.contains("topsecret"), "{text}");
        assert!(matches!(e, Error::Postgres(p) if p.kind == PgErrorKind::BadUrl));
    }
}
