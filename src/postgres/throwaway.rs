//! The throwaway database on PostgreSQL: the database the URL names is dropped and built
//! again, from the schema (or by replaying the migrations) plus the seeds, through the
//! server's maintenance database.
//!
//! Safe like SQLite's "build next to the old one, move it into place":
//!
//! 1. Every file is read and planned ([`super::plan::plan_text`]: dialect blocks, translation,
//!    [`super::confine`]) before the server is touched.
//! 2. kit connects to the maintenance database ([`MAINTENANCE_DATABASE`], same server and
//!    credentials) and refuses a target that is the maintenance database, a template, or the
//!    database that connection uses, and takes an advisory lock on the target's name there
//!    (two resets of one database run one after the other). A target that exists must carry
//!    kit's marker (a `kit_throwaway` table in its current schema) unless `--force`; one that
//!    cannot be checked is refused.
//! 3. `CREATE DATABASE "<name>_kit_new"` (a leftover of an interrupted reset, recognised by
//!    kit's comment on it, is dropped first), built in one transaction: the schema, the seeds,
//!    identities moved past explicit ids, the version rows and the marker, sent in one round
//!    trip (and, when that fails, again statement by statement, so the error names the file
//!    and line). With `from = "migrations"` the migrations are replayed first, as `kit upgrade`
//!    runs them.
//! 4. Only then `DROP DATABASE "<name>" WITH (FORCE)` and `ALTER DATABASE "<name>_kit_new"
//!    RENAME TO "<name>"`. A failure before this step drops the new database and leaves the old
//!    one as it was.
//!
//! Database names are always quoted; URLs are printed only through [`super::redact`].

use super::migrate::{bookkeeping, ModelFactory, ModelSeed, PgDatabase};
use super::plan::{plan_text, Model, NoModel, PgPlan};
use super::{connect, execute, redact, statement_error, Sql};
use crate::error::{Error, PgErrorKind, Result};
use crate::migrate::{Direction, Migration};
use crate::report::Observer;
use crate::schema::Schema;
use crate::sql::{quote_ident, quote_str};
use crate::throwaway::{Sources, MARKER_TABLE};
use postgres::GenericClient;
use std::time::Duration;

/// The database kit connects to for creating, dropping and renaming the throwaway.
pub const MAINTENANCE_DATABASE: &str = "postgres";

/// The suffix of the name the new database is built under.
pub const NEW_SUFFIX: &str = "_kit_new";

/// The comment kit puts on the databases it creates (`COMMENT ON DATABASE`), by which a
/// leftover `<name>_kit_new` of an interrupted reset is recognised.
pub const DATABASE_COMMENT: &str = "kit throwaway database (made by kit throwaway-reset)";

/// PostgreSQL's longest identifier, in bytes (longer names are silently truncated).
const MAX_NAME: usize = 63;

/// Where the translation models come from (the SQLite side of the same files), given by the
/// caller so this side does not depend on SQLite's.
#[derive(Clone, Copy)]
pub struct Models {
    /// The tables after some migrations, replayed.
    pub replayed: fn() -> ModelFactory,
    /// The tables a schema file (text, origin) makes, read once; `None` when the file must
    /// be followed statement by statement (then an empty replayed model is).
    pub schema_file: fn(&str, &str) -> Option<Box<dyn Model>>,
}

/// Receives each statement executed, when echo is on.
type Echo<'a, 'b> = &'a mut Option<&'b mut dyn FnMut(&str)>;

/// Drops and recreates the database `url` names from `sources`; returns its number of tables
/// (kit's own excluded). `schema` (the config's `[postgresql] schema`) is the schema the
/// build happens in, created in the new database, and where the old one's marker is looked
/// for. `force` replaces a database without kit's marker. `lock_timeout`
/// applies to replayed migrations; `models` builds translation models; `echo` receives every
/// statement executed.
pub fn reset(
    url: &str,
    schema: Option<&str>,
    sources: &Sources,
    force: bool,
    lock_timeout: Duration,
    models: Models,
    mut echo: Option<&mut dyn FnMut(&str)>,
) -> Result<usize> {
    let mut target = Target::new(url)?;
    target.schema = schema;
    let plans = plan_sources(sources, models)?;
    let mut admin = connect_maintenance(&target)?;
    check_maintenance(&mut admin, &target)?;
    lock_target(&mut admin, &target)?;
    if let Some(existing) = database_info(&mut admin, &target.name)? {
        check_replaceable(&target, &existing, force)?;
    }
    drop_leftover(&mut admin, &target, &mut echo)?;
    create_new(&mut admin, &target, &mut echo)?;
    match build(&target, sources, &plans, lock_timeout, models, &mut echo) {
        Ok(tables) => {
            swap(&mut admin, &target, &mut echo)?;
            Ok(tables)
        }
        Err(e) => {
            discard_new(&mut admin, &target, &mut echo);
            Err(e)
        }
    }
}

/// The database a reset replaces, and the names and URLs kit derives from its URL.
struct Target<'a> {
    /// The URL as configured (never printed: [`redact`] it).
    url: &'a str,
    /// The database's name.
    name: String,
    /// The name the new database is built under.
    new_name: String,
    /// The URL of the new database.
    new_url: String,
    /// The URL of the maintenance database.
    maintenance_url: String,
    /// The schema the throwaway lives in (`[postgresql] schema`); `None`: the current schema.
    schema: Option<&'a str>,
}

impl<'a> Target<'a> {
    /// Reads the target's name from `url` and derives the other URLs; refuses names kit must
    /// never drop or cannot handle.
    fn new(url: &'a str) -> Result<Target<'a>> {
        let refuse = |message: String| Error::Database {
            path: redact(url),
            message,
        };
        let config = super::connect::parse(url)?;
        let name = config.get_dbname().map(str::to_string).ok_or_else(|| {
            refuse("the URL names no database; name the throwaway database in it (postgresql://user@host/<database>), kit drops and recreates that database".into())
        })?;
        if name.len() > MAX_NAME {
            return Err(refuse(format!(
                "the database name {} is {} bytes long, and PostgreSQL names are at most {MAX_NAME}; choose a shorter name",
                quote_ident(&name),
                name.len()
            )));
        }
        if let Some(why) = never_dropped(&name) {
            return Err(refuse(format!(
                "{} is {why}, and kit never drops it; name a database of its own for the throwaway in the URL (postgresql://.../app_throwaway)",
                quote_ident(&name)
            )));
        }
        let new_name = new_name(&name);
        if new_name == name {
            return Err(refuse(format!(
                "kit builds the new database under the name {} and that is the database's own name; choose a shorter name",
                quote_ident(&new_name)
            )));
        }
        Ok(Target {
            url,
            new_url: with_database(url, &new_name)?,
            maintenance_url: with_database(url, MAINTENANCE_DATABASE)?,
            name,
            new_name,
            schema: None,
        })
    }

    /// The target's URL as it may be printed.
    fn shown(&self) -> String {
        redact(self.url)
    }

    /// An error about the target database.
    fn error(&self, message: String) -> Error {
        Error::Database {
            path: self.shown(),
            message,
        }
    }
}

/// Why kit never drops database `name` (the maintenance database, a template), if so.
fn never_dropped(name: &str) -> Option<&'static str> {
    match name {
        MAINTENANCE_DATABASE => Some(
            "the server's maintenance database (kit creates and drops throwaway databases through it)",
        ),
        "template0" | "template1" => Some("a template database of the server"),
        _ => None,
    }
}

/// `<name>_kit_new`, with `name` shortened (at a character boundary) to keep it within
/// PostgreSQL's 63 bytes.
fn new_name(name: &str) -> String {
    let mut keep = name.len().min(MAX_NAME - NEW_SUFFIX.len());
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}{NEW_SUFFIX}", &name[..keep])
}

/// `url` naming database `name` instead: the path replaced (percent-encoded) and any
/// `dbname=` parameter dropped, read back to check that only the database changed.
pub fn with_database(url: &str, name: &str) -> Result<String> {
    let derived = replace_database(url, name);
    let (a, b) = (
        super::connect::parse(url)?,
        super::connect::parse(&derived)?,
    );
    let same = a.get_user() == b.get_user()
        && a.get_password() == b.get_password()
        && a.get_hosts() == b.get_hosts()
        && a.get_ports() == b.get_ports()
        && a.get_options() == b.get_options();
    if same && b.get_dbname() == Some(name) {
        return Ok(derived);
    }
    Err(Error::Database {
        path: redact(url),
        message: format!(
            "cannot derive the URL of database {} on the same server from this URL; write it as postgresql://user:password@host:port/database (or postgresql:///database?host=/socket/dir&user=name)",
            quote_ident(name)
        ),
    })
}

/// `url` with its database path replaced by `name`, read the way the client library reads
/// URLs: credentials up to the first `@`, the host up to `/` or `?`, the path up to `?`.
fn replace_database(url: &str, name: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |p| p + 3);
    let rest = &url[scheme_end..];
    let creds_end = rest.find('@').map_or(0, |p| p + 1);
    let after = &rest[creds_end..];
    let host_end = after.find(['/', '?']).unwrap_or(after.len());
    let tail = &after[host_end..];
    let query = tail.find('?').map(|q| &tail[q + 1..]);
    let mut out = format!(
        "{}{}/{}",
        &url[..scheme_end + creds_end],
        &after[..host_end],
        percent_encode(name)
    );
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some("dbname"))
        .collect();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    out
}

/// `s` with every byte but URL-unreserved characters written as `%XX`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The plans of the schema (when built from it) and of each seed file, made before anything
/// runs.
struct Plans {
    schema: Option<PgPlan>,
    seeds: Vec<PgPlan>,
}

impl Plans {
    /// True when a plan inserts rows (identities may need moving past explicit ids).
    fn inserts(&self) -> bool {
        self.schema.iter().chain(&self.seeds).any(|p| p.inserts)
    }
}

/// Plans the schema and seed files for PostgreSQL. The schema is translated against a model
/// that follows it (an empty SQLite database the schema is loaded into), the seeds against the
/// same model; with `from = "migrations"` the seeds get the replayed migrations' model only
/// when they hold more than rows to insert, update or delete.
fn plan_sources(sources: &Sources, models: Models) -> Result<Plans> {
    let mut model: Box<dyn Model> = match &sources.schema {
        Some(s) => match (models.schema_file)(&s.text, &s.origin) {
            Some(m) => m,
            None => (models.replayed)()(ModelSeed::Migrations(&[]))?,
        },
        None if sources.seeds.iter().any(|s| !only_dml(&s.text)) => {
            let all: Vec<&Migration> = sources.migrations.iter().collect();
            (models.replayed)()(ModelSeed::Migrations(&all))?
        }
        None => Box::new(NoModel),
    };
    let mut model = Following(model.as_mut());
    let schema = match &sources.schema {
        Some(s) => Some(plan_text(&s.text, &s.origin, &mut model)?),
        None => None,
    };
    let seeds = sources
        .seeds
        .iter()
        .map(|s| plan_text(&s.text, &s.origin, &mut model))
        .collect::<Result<Vec<_>>>()?;
    Ok(Plans { schema, seeds })
}

/// True when every portable statement of `text` is DML (rows, not tables).
fn only_dml(text: &str) -> bool {
    crate::dialect::blocks(text, crate::dialect::Dialect::Postgres).is_ok_and(|blocks| {
        blocks
            .iter()
            .filter(|b| !b.only)
            .all(|b| is_dml(&b.piece.text))
    })
}

/// True for `INSERT`, `UPDATE`, `DELETE`, `REPLACE`, `SELECT`, `VALUES` and `WITH` statements.
fn is_dml(statement: &str) -> bool {
    let first = statement
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    [
        "insert", "update", "delete", "replace", "select", "values", "with",
    ]
    .contains(&first.as_str())
}

/// The translation model of a throwaway build: it follows the schema statements (not the
/// rows, which only PostgreSQL needs to hold), and a statement SQLite refuses is left to
/// PostgreSQL to judge (its error names the file, line and column), so the model just goes
/// on without it.
struct Following<'a>(&'a mut dyn Model);

impl Model for Following<'_> {
    fn schema(&mut self) -> Result<Schema> {
        self.0.schema()
    }

    fn schema_for(&mut self, statement: &str) -> Result<Schema> {
        self.0.schema_for(statement)
    }

    fn advance(&mut self, statement: &str) -> Result<()> {
        if is_dml(statement) {
            return Ok(());
        }
        let _ = self.0.advance(statement);
        Ok(())
    }
}

/// Connects to the maintenance database of the target's server.
fn connect_maintenance(target: &Target) -> Result<postgres::Client> {
    connect(&target.maintenance_url).map_err(|e| match e {
        Error::Postgres(mut p) => {
            p.context = format!(
                "cannot connect to the server's maintenance database {} (kit creates, drops and renames the throwaway database {} through it)",
                quote_ident(MAINTENANCE_DATABASE),
                quote_ident(&target.name)
            );
            if p.kind == PgErrorKind::NoDatabase {
                p.hint = format!(
                    "create it (`createdb {MAINTENANCE_DATABASE}`, as a role allowed to), or use a server that has one"
                );
            }
            Error::Postgres(p)
        }
        other => other,
    })
}

/// Runs one query on the maintenance connection (or another), mapping its error.
fn query(
    client: &mut impl GenericClient,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Vec<postgres::Row>> {
    client
        .query(sql, params)
        .map_err(|e| statement_error(&e, &Sql::new(sql)))
}

/// Refuses a server older than PostgreSQL 13 (no `DROP DATABASE ... WITH (FORCE)`) and a
/// target that is the database the maintenance connection uses.
fn check_maintenance(admin: &mut postgres::Client, target: &Target) -> Result<()> {
    let rows = query(
        admin,
        "SELECT current_database()::text, current_setting('server_version_num')::int",
        &[],
    )?;
    let (current, version): (String, i32) = (rows[0].get(0), rows[0].get(1));
    if current == target.name || current == target.new_name {
        return Err(target.error(format!(
            "{} is the database kit is connected through to create and drop the throwaway, so kit never drops it; name another database in the URL",
            quote_ident(&current)
        )));
    }
    if version < 130_000 {
        return Err(target.error(format!(
            "the server runs PostgreSQL {}.{}, and a throwaway reset needs PostgreSQL 13 or later (DROP DATABASE ... WITH (FORCE))",
            version / 10_000,
            version % 10_000 / 100
        )));
    }
    Ok(())
}

/// How long a reset waits for another reset of the same database to finish.
const RESET_WAIT: Duration = Duration::from_secs(60);

/// Takes a session advisory lock on the target's name in the maintenance database (released
/// when the connection closes), so two resets of one database (a `--watch` and a manual one)
/// run one after the other instead of dropping each other's new database.
fn lock_target(admin: &mut postgres::Client, target: &Target) -> Result<()> {
    execute(
        admin,
        &Sql::new(format!("SET lock_timeout = '{}ms'", RESET_WAIT.as_millis())),
    )?;
    // 1802073204 is 0x6b697474, "kitt": kit's throwaway resets.
    let sql = "SELECT pg_advisory_lock(1802073204, hashtext($1))";
    admin
        .execute(sql, &[&target.name])
        .map_err(|e| match e.code().map(|c| c.code()) {
            Some("55P03") => target.error(format!(
                "another `kit throwaway-reset` of this database has been running for {} s; let it finish, then retry",
                RESET_WAIT.as_secs()
            )),
            _ => statement_error(&e, &Sql::new(sql)),
        })?;
    execute(admin, &Sql::new("RESET lock_timeout"))
}

/// What the server says about an existing database.
struct DatabaseInfo {
    /// The connecting role owns it (or is a member of its owner, or a superuser).
    owned: bool,
    /// Its comment (empty when none).
    comment: String,
}

/// The database `name`, when it exists.
fn database_info(admin: &mut postgres::Client, name: &str) -> Result<Option<DatabaseInfo>> {
    let rows = query(
        admin,
        "SELECT pg_has_role(datdba, 'MEMBER'), coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = $1",
        &[&name],
    )?;
    Ok(rows.first().map(|r| DatabaseInfo {
        owned: r.get(0),
        comment: r.get(1),
    }))
}

/// Refuses to replace an existing target the role cannot drop, or (without `force`) one
/// without kit's marker.
fn check_replaceable(target: &Target, existing: &DatabaseInfo, force: bool) -> Result<()> {
    if !existing.owned {
        return Err(target.error(format!(
            "the role in the URL does not own the database {}, so it cannot drop it; connect as its owner, or name a database this role owns",
            quote_ident(&target.name)
        )));
    }
    if force {
        return Ok(());
    }
    check_marker(target)
}

/// Refuses unless the target carries kit's marker: a `kit_throwaway` table in its current
/// schema. A database that cannot be checked is refused too.
fn check_marker(target: &Target) -> Result<()> {
    let refuse = |why: String| {
        target.error(format!(
            "{why}, so kit will not drop it; point the config at a throwaway database, or pass --force to replace it anyway"
        ))
    };
    let unreadable = |e: &dyn std::fmt::Display| {
        refuse(format!(
            "this database cannot be checked for kit's throwaway marker ({})",
            one_line(&e.to_string())
        ))
    };
    let mut client = connect(target.url).map_err(|e| {
        refuse(format!(
            "this database cannot be checked for kit's throwaway marker (a {MARKER_TABLE} table) because connecting to it failed ({}); fix the access (the role needs CONNECT on it)",
            one_line(&e.to_string())
        ))
    })?;
    if let Some(schema) = target.schema {
        let found = query(
            &mut client,
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)",
            &[&schema],
        )
        .map_err(|e| unreadable(&e))?
        .first()
        .is_some_and(|r| r.get::<_, bool>(0));
        if !found {
            return Err(refuse(format!(
                "this database has no schema {} (the config's [postgresql] schema), so it has no {MARKER_TABLE} table there and was not created by `kit throwaway-reset` with this config",
                quote_ident(schema)
            )));
        }
        super::use_schema(&mut client, schema, target.url).map_err(|e| unreadable(&e))?;
    }
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = {})",
        quote_str(MARKER_TABLE)
    );
    let marked = query(&mut client, &sql, &[])
        .map_err(|e| unreadable(&e))?
        .first()
        .is_some_and(|r| r.get::<_, bool>(0));
    if marked {
        Ok(())
    } else {
        Err(refuse(format!(
            "this database was not created by `kit throwaway-reset` (it has no {MARKER_TABLE} table in its current schema)"
        )))
    }
}

/// `text` on one line (an error's lines joined).
fn one_line(text: &str) -> String {
    text.lines().map(str::trim).collect::<Vec<_>>().join("; ")
}

/// Runs one statement on the maintenance connection, echoing it.
fn admin_run(admin: &mut postgres::Client, sql: &str, echo: Echo) -> Result<()> {
    if let Some(f) = echo.as_mut() {
        f(sql);
    }
    execute(admin, &Sql::new(sql))
}

/// Drops a `<name>_kit_new` left by an interrupted reset; refuses one kit did not make.
fn drop_leftover(admin: &mut postgres::Client, target: &Target, echo: Echo) -> Result<()> {
    let Some(leftover) = database_info(admin, &target.new_name)? else {
        return Ok(());
    };
    if leftover.comment != DATABASE_COMMENT {
        return Err(target.error(format!(
            "kit builds the new throwaway under the name {new}, and a database of that name exists that kit did not make (it lacks kit's comment); drop or rename it (DROP DATABASE {new}), then retry",
            new = quote_ident(&target.new_name)
        )));
    }
    admin_run(
        admin,
        &format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&target.new_name)
        ),
        echo,
    )
}

/// `CREATE DATABASE "<name>_kit_new"`, with kit's comment on it.
fn create_new(admin: &mut postgres::Client, target: &Target, echo: Echo) -> Result<()> {
    let new = quote_ident(&target.new_name);
    admin_run(admin, &format!("CREATE DATABASE {new}"), echo).map_err(|e| match e {
        Error::Postgres(mut p) if p.sqlstate.as_deref() == Some("42501") => {
            p.hint = "the role in the URL needs the CREATEDB privilege (ALTER ROLE <role> CREATEDB) to make the throwaway database".into();
            Error::Postgres(p)
        }
        other => other,
    })?;
    admin_run(
        admin,
        &format!(
            "COMMENT ON DATABASE {new} IS {}",
            quote_str(DATABASE_COMMENT)
        ),
        echo,
    )
}

/// Drops the new database after a failed build (best effort: a leftover is dropped by the
/// next reset).
fn discard_new(admin: &mut postgres::Client, target: &Target, echo: Echo) {
    let _ = admin_run(
        admin,
        &format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&target.new_name)
        ),
        echo,
    );
}

/// Drops the old database and renames the new one into its place.
fn swap(admin: &mut postgres::Client, target: &Target, echo: Echo) -> Result<()> {
    let (name, new) = (quote_ident(&target.name), quote_ident(&target.new_name));
    if let Err(e) = admin_run(
        admin,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        echo,
    ) {
        discard_new(admin, target, echo);
        return Err(e);
    }
    admin_run(admin, &format!("ALTER DATABASE {new} RENAME TO {name}"), echo).map_err(|e| {
        target.error(format!(
            "the previous database was dropped, but renaming the new one into its place failed ({}); the new database is complete under the name {new}: rename it (ALTER DATABASE {new} RENAME TO {name}) or run `kit throwaway-reset` again",
            one_line(&e.to_string())
        ))
    })
}

/// Builds the new database: the schema (or the migrations replayed), the seeds, identities
/// moved past explicit ids, the version rows and the marker. Returns its number of tables.
fn build(
    target: &Target,
    sources: &Sources,
    plans: &Plans,
    lock_timeout: Duration,
    models: Models,
    echo: Echo,
) -> Result<usize> {
    let mut db = PgDatabase::connect(&target.new_url, lock_timeout, (models.replayed)())?;
    if let Some(schema) = target.schema {
        // A new database has `public` only: the configured schema is made here, then used.
        run(
            db.client(),
            &Sql::new(format!(
                "CREATE SCHEMA IF NOT EXISTS {}",
                quote_ident(schema)
            )),
            echo,
        )?;
        super::use_schema(db.client(), schema, &target.new_url)?;
    }
    if plans.schema.is_none() {
        replay(&mut db, &sources.migrations, echo)?;
    }
    let statements = build_statements(sources, plans);
    if echo.is_none() {
        // One round trip; when it fails, again statement by statement (in a new transaction,
        // the first one having changed nothing), so the error names the file and line.
        if let Ok(tables) = in_one_round_trip(db.client(), &statements) {
            return Ok(tables);
        }
    }
    one_by_one(db.client(), &statements, echo)
}

/// The statements of the build's transaction, in order.
fn build_statements(sources: &Sources, plans: &Plans) -> Vec<Sql> {
    let mut out: Vec<Sql> = plans
        .schema
        .iter()
        .chain(&plans.seeds)
        .flat_map(|p| p.statements.iter().cloned())
        .collect();
    if plans.inserts() {
        out.push(Sql::new(super::RESYNC_IDENTITIES));
    }
    if plans.schema.is_some() {
        for m in &sources.migrations {
            out.extend(bookkeeping(m, Direction::Up).into_iter().map(Sql::new));
        }
    }
    out.extend(marker(&sources.source).into_iter().map(Sql::new));
    out
}

/// Runs `statements` in one transaction sent as one query; returns the number of tables.
fn in_one_round_trip(client: &mut postgres::Client, statements: &[Sql]) -> Result<usize> {
    let text = statements
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join("\n;\n");
    let mut tx = begin(client)?;
    execute(&mut tx, &Sql::new(text))?;
    finish(tx)
}

/// Runs `statements` in one transaction, one at a time (echoing each; a statement naming a
/// table created further down waits for it); returns the number of tables.
fn one_by_one(client: &mut postgres::Client, statements: &[Sql], echo: Echo) -> Result<usize> {
    let mut tx = begin(client)?;
    let mut shown = |s: &Sql| {
        if let Some(f) = echo.as_mut() {
            f(&s.text);
        }
    };
    super::run_allowing_forward_references(&mut tx, statements, &mut shown)?;
    finish(tx)
}

/// `BEGIN`.
fn begin(client: &mut postgres::Client) -> Result<postgres::Transaction<'_>> {
    client
        .transaction()
        .map_err(|e| statement_error(&e, &Sql::new("BEGIN")))
}

/// Counts the tables and commits.
fn finish(mut tx: postgres::Transaction<'_>) -> Result<usize> {
    let tables = count_tables(&mut tx)?;
    tx.commit()
        .map_err(|e| statement_error(&e, &Sql::new("COMMIT")))?;
    Ok(tables)
}

/// Runs one statement of the build, echoing it.
fn run(client: &mut impl GenericClient, sql: &Sql, echo: Echo) -> Result<()> {
    if let Some(f) = echo.as_mut() {
        f(&sql.text);
    }
    execute(client, sql)
}

/// Replays every migration into the new database, as `kit upgrade` runs them.
fn replay(db: &mut PgDatabase, migrations: &[Migration], echo: Echo) -> Result<()> {
    let mut observer = Observer {
        on_statement: echo.as_mut().map(|f| &mut **f as &mut dyn FnMut(&str)),
        ..Observer::default()
    };
    crate::migrate::run(db, migrations, Direction::Up, "head", &mut observer, |_| {})?;
    Ok(())
}

/// The marker table and its row.
fn marker(source: &str) -> [String; 2] {
    [
        format!("CREATE TABLE {MARKER_TABLE} (created_at text NOT NULL, source text NOT NULL)"),
        format!(
            "INSERT INTO {MARKER_TABLE} (created_at, source) VALUES (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), {})",
            quote_str(source)
        ),
    ]
}

/// Tables in the current schema, kit's own excluded.
fn count_tables(client: &mut impl GenericClient) -> Result<usize> {
    let sql = "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename NOT IN ('kit_migrations', 'kit_throwaway')";
    let n: i64 = query(client, sql, &[])?.first().map_or(0, |r| r.get(0));
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_urls_on_the_same_server() {
        assert_eq!(
            with_database("postgresql://ann:pw@h:5433/app?sslmode=disable", "postgres").unwrap(),
            "postgresql://ann:pw@h:5433/postgres?sslmode=disable"
        );
        assert_eq!(
            with_database(
                "postgresql:///app?host=/tmp/s&port=5432&user=u",
                "app_kit_new"
            )
            .unwrap(),
            "postgresql:///app_kit_new?host=/tmp/s&port=5432&user=u"
        );
        assert_eq!(
            with_database("postgres://u@h/?dbname=app&user=u", "my db").unwrap(),
            "postgres://u@h/my%20db?user=u"
        );
        let odd = "naïve \"q\" 'x'/%?&";
        let url = with_database("postgresql://u@h/x", odd).unwrap();
        assert_eq!(
            super::super::connect::parse(&url).unwrap().get_dbname(),
            Some(odd)
        );
    }

    #[test]
    fn new_names_fit_in_63_bytes() {
        assert_eq!(new_name("app"), "app_kit_new");
        let long = "é".repeat(31); // 62 bytes
        let n = new_name(&long);
        assert!(n.len() <= MAX_NAME && n.ends_with(NEW_SUFFIX), "{n}");
    }

    #[test]
    fn refuses_names_kit_never_drops() {
        for url in [
            "postgresql://u@h/postgres",
            "postgresql://u@h/template1",
            "postgresql://u@h/",
        ] {
            assert!(Target::new(url).is_err(), "{url}");
        }
        let long = format!("postgresql://u@h/{}", "x".repeat(64));
        assert!(Target::new(&long).is_err());
        let t = Target::new("postgresql://u:secret@h/app").unwrap();
        assert_eq!(t.new_name, "app_kit_new");
        assert!(!t.shown().contains("secret"));
    }

    #[test]
    fn dml_is_told_from_ddl() {
        assert!(only_dml("INSERT INTO t VALUES (1);\n-- kit:only postgresql\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n-- kit:all\nupdate t set x = 1;"));
        assert!(!only_dml(
            "INSERT INTO t VALUES (1); CREATE INDEX i ON t (x);"
        ));
    }
}
