//! Migration runs and ad hoc changes on PostgreSQL, natively, with transactional DDL.
//!
//! A run is one transaction: `SET LOCAL lock_timeout`, then kit's advisory lock
//! (`pg_advisory_xact_lock`), so a second run waits for the first and then reads the history
//! it left; the history is read under that lock, and each migration runs in a savepoint with
//! its `kit_migrations` row. A failing migration is rolled back to its savepoint (nothing of it
//! stays) and the migrations before it are committed.
//!
//! Each migration part is planned ([`super::plan::plan_text`]) against a model of the tables:
//! the SQLite side of the migrations applied so far, which a [`ModelFactory`] (given by the
//! caller, so this side does not depend on SQLite's) builds once per run.

use super::plan::{plan_text, plan_text_until_model_fails, Model, PgPlan};
use super::{execute, statement_error, Sql, MIGRATION_LOCK_KEY};
use crate::db::{Database, DryRun, Run};
use crate::dialect::Dialect;
use crate::error::{Error, PgErrorKind, Result};
use crate::migrate::{Applied, Direction, Migration, Status, VERSION_TABLE};
use crate::phased::{PhasePlan, Schedule};
use crate::report::{Observer, Path, StepReport, Summary};
use crate::sql::quote_str;
use postgres::{Client, GenericClient, Transaction};
use std::time::{Duration, Instant};

/// How long a statement may wait for a lock on a table before it fails (`lock_timeout`).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a run waits for another kit run on the same database to finish.
pub const RUN_WAIT: Duration = Duration::from_secs(60);

/// The version table, as PostgreSQL creates it (the same columns as on SQLite).
pub const CREATE_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS kit_migrations (\n  component text NOT NULL DEFAULT '',\n  version text NOT NULL,\n  name text NOT NULL,\n  checksum text NOT NULL,\n  applied_at text NOT NULL,\n  PRIMARY KEY (component, version)\n)";

/// Brings a version table made before components to today's shape (a `component` column, the
/// key over component and version), in the caller's transaction.
pub const UPGRADE_VERSION_TABLE: &str = "DO $kit$ BEGIN IF to_regclass('kit_migrations') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'kit_migrations' AND column_name = 'component') THEN ALTER TABLE kit_migrations ADD COLUMN component text NOT NULL DEFAULT ''; ALTER TABLE kit_migrations DROP CONSTRAINT kit_migrations_pkey; ALTER TABLE kit_migrations ADD PRIMARY KEY (component, version); END IF; END $kit$";

/// Where a translation model starts from.
pub enum ModelSeed<'a> {
    /// The tables the migrations already applied make (oldest first), replayed.
    Migrations(&'a [&'a Migration]),
    /// The live tables, as `CREATE TABLE` statements read from the catalog
    /// ([`super::catalog::tables_ddl`]).
    Tables(&'a [String]),
}

/// Builds the model of the tables a [`ModelSeed`] describes, for translating what comes next.
pub type ModelFactory = Box<dyn Fn(ModelSeed<'_>) -> Result<Box<dyn Model>>>;

/// A PostgreSQL database kit works on.
pub struct PgDatabase {
    client: Client,
    url: String,
    lock_timeout: Duration,
    models: ModelFactory,
}

impl PgDatabase {
    /// Connects to `url`; `models` builds translation models for migration runs.
    pub fn connect(url: &str, lock_timeout: Duration, models: ModelFactory) -> Result<PgDatabase> {
        Ok(PgDatabase {
            client: super::connect(url)?,
            url: url.to_string(),
            lock_timeout,
            models,
        })
    }

    /// The client, for callers that need PostgreSQL itself (tests, the throwaway database).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Plans `sql` against the live tables (read from the catalog).
    fn plan_change(&mut self, sql: &str, origin: &str) -> Result<PgPlan> {
        let ddl = super::catalog::tables_ddl(&mut self.client)?;
        let mut model = (self.models)(ModelSeed::Tables(&ddl))?;
        plan_text(sql, origin, model.as_mut())
    }
}

/// The `kit_migrations` rows of the database on `client` (none when the table is missing).
pub fn applied(client: &mut impl GenericClient) -> Result<Vec<Applied>> {
    let exists_sql = "SELECT to_regclass('kit_migrations') IS NOT NULL";
    let exists: bool = client
        .query_one(exists_sql, &[])
        .map_err(|e| statement_error(&e, &Sql::new(exists_sql)))?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    let has_component: bool = client
        .query_one(
            "SELECT count(*) > 0 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'kit_migrations' AND column_name = 'component'",
            &[],
        )
        .map_err(|e| statement_error(&e, &Sql::new("reading the version table")))?
        .get(0);
    let component = if has_component { "component" } else { "''" };
    let sql =
        format!("SELECT {component}, version, name, checksum, applied_at FROM {VERSION_TABLE}");
    let rows = client
        .query(&sql, &[])
        .map_err(|e| statement_error(&e, &Sql::new(sql.clone())))?;
    let mut out: Vec<Applied> = rows
        .iter()
        .map(|r| Applied {
            component: r.get(0),
            version: r.get(1),
            name: r.get(2),
            checksum: r.get(3),
            applied_at: r.get(4),
        })
        .collect();
    out.sort_by_key(|a| {
        (
            a.version.parse::<u64>().unwrap_or(u64::MAX),
            a.version.clone(),
        )
    });
    Ok(out)
}

/// The statements that record (or, going down, forget) `m` in the version table.
pub fn bookkeeping(m: &Migration, dir: Direction) -> Vec<String> {
    match dir {
        Direction::Up => vec![
            CREATE_VERSION_TABLE.to_string(),
            format!(
                "INSERT INTO kit_migrations (component, version, name, checksum, applied_at) VALUES ({}, {}, {}, {}, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))",
                quote_str(&m.component),
                quote_str(&m.version),
                quote_str(&m.name),
                quote_str(&m.checksum)
            ),
        ],
        Direction::Down => vec![format!(
            "DELETE FROM kit_migrations WHERE component = {} AND version = {}",
            quote_str(&m.component),
            quote_str(&m.version)
        )],
    }
}

/// The text of `m`'s part for `dir`, or why it has none.
pub fn part(m: &Migration, dir: Direction) -> Result<&str> {
    match dir {
        Direction::Up => Ok(&m.up),
        Direction::Down => m.down.as_deref().ok_or_else(|| Error::Database {
            path: m.path.display().to_string(),
            message: "the migration says `-- kit:no-down`, so it cannot be downgraded".into(),
        }),
    }
}

/// Runs `statements` on `client`, echoing each, and reports one step per statement.
fn run_statements(
    client: &mut impl GenericClient,
    statements: &[Sql],
    observer: &mut Observer,
) -> Result<Summary> {
    let started = Instant::now();
    let mut summary = Summary::default();
    for s in statements {
        if let Some(f) = observer.on_statement.as_mut() {
            f(&s.text);
        }
        let t0 = Instant::now();
        execute(client, s)?;
        let is_alter = crate::sql::lex(&s.text)
            .ok()
            .and_then(|t| t.first().map(|f| f.is_kw(&s.text, "alter")))
            .unwrap_or(false);
        summary.steps.push(StepReport {
            table: None,
            path: if is_alter {
                Path::Native
            } else {
                Path::Statement
            },
            rows_copied: 0,
            elapsed: t0.elapsed(),
        });
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Notes of a plan, through the observer.
fn report_notes(plan: &PgPlan, observer: &mut Observer) {
    if let Some(f) = observer.on_note.as_mut() {
        for n in &plan.notes {
            f(n);
        }
    }
}

/// What a run executes after `BEGIN`, as `--sql` prints it: a `lock_timeout` of [`RUN_WAIT`]
/// for kit's migration lock, the lock, then `lock_timeout` for the migrations' statements.
pub fn run_preamble(lock_timeout: Duration) -> Vec<String> {
    vec![
        format!("SET LOCAL lock_timeout = '{}ms'", RUN_WAIT.as_millis()),
        format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"),
        format!("SET LOCAL lock_timeout = '{}ms'", lock_timeout.as_millis()),
    ]
}

/// `BEGIN`, `lock_timeout`, and kit's advisory lock (waiting up to [`RUN_WAIT`] for another
/// kit run): the statements of [`run_preamble`].
fn begin<'a>(client: &'a mut Client, lock_timeout: Duration, url: &str) -> Result<Transaction<'a>> {
    let mut tx = client
        .transaction()
        .map_err(|e| statement_error(&e, &Sql::new("BEGIN")))?;
    super::set_lock_timeout(&mut tx, RUN_WAIT)?;
    if let Err(e) = super::advisory_xact_lock(&mut tx, MIGRATION_LOCK_KEY) {
        return Err(match e {
            Error::Postgres(p) if p.sqlstate.as_deref() == Some("55P03") => Error::Database {
                path: super::redact(url),
                message: format!(
                    "another kit run holds the migration lock on this database; waited {} s. Let it finish (or find it in pg_stat_activity), then retry",
                    RUN_WAIT.as_secs()
                ),
            },
            other => other,
        });
    }
    super::set_lock_timeout(&mut tx, lock_timeout)?;
    Ok(tx)
}

impl Database for PgDatabase {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn location(&self) -> String {
        super::redact(&self.url)
    }

    fn applied(&mut self) -> Result<Vec<Applied>> {
        applied(&mut self.client)
    }

    fn begin_run<'a>(&'a mut self, _observer: &Observer) -> Result<Box<dyn Run + 'a>> {
        let url = self.url.clone();
        let mut tx = begin(&mut self.client, self.lock_timeout, &url)?;
        tx.batch_execute(UPGRADE_VERSION_TABLE)
            .map_err(|e| statement_error(&e, &Sql::new(UPGRADE_VERSION_TABLE)))?;
        Ok(Box::new(PgRun {
            tx: Some(tx),
            model: None,
            models: &self.models,
            plans: Default::default(),
            phase_plans: Vec::new(),
        }))
    }

    fn dry_run(&mut self, sql: &str, origin: &str) -> Result<DryRun> {
        let plan = self.plan_change(sql, origin)?;
        let mut script = vec!["BEGIN;".to_string()];
        script.push(format!(
            "SET LOCAL lock_timeout = '{}ms';",
            self.lock_timeout.as_millis()
        ));
        script.extend(plan.script());
        if plan.inserts {
            script.push(format!("{};", super::RESYNC_IDENTITIES));
        }
        script.push("COMMIT;".to_string());
        Ok(DryRun {
            script,
            notes: plan.notes,
        })
    }

    fn apply_change(
        &mut self,
        sql: &str,
        origin: &str,
        observer: &mut Observer,
    ) -> Result<Summary> {
        let plan = self.plan_change(sql, origin)?;
        report_notes(&plan, observer);
        let mut tx = self
            .client
            .transaction()
            .map_err(|e| statement_error(&e, &Sql::new("BEGIN")))?;
        super::set_lock_timeout(&mut tx, self.lock_timeout)?;
        let summary = run_statements(&mut tx, &plan.statements, observer)?;
        if plan.inserts {
            super::resync_identities(&mut tx)?;
        }
        commit(tx)?;
        Ok(summary)
    }
}

/// Commits, saying so plainly when the outcome cannot be known (the connection was lost).
fn commit(tx: Transaction<'_>) -> Result<()> {
    tx.commit().map_err(|e| {
        let closed = e.is_closed();
        let mut err = statement_error(&e, &Sql::new("COMMIT"));
        if let Error::Postgres(p) = &mut err {
            p.kind = PgErrorKind::Other;
            p.context = "COMMIT failed".into();
            if closed {
                p.hint = "the connection was lost during COMMIT, so whether the change took effect is unknown: check with `kit current`, `kit history` or `kit check`".into();
            }
        }
        err
    })
}

/// A migration run on PostgreSQL: the run's transaction, the translation model, and the
/// plans made before the first migration ran.
struct PgRun<'a> {
    tx: Option<Transaction<'a>>,
    model: Option<Box<dyn Model>>,
    models: &'a ModelFactory,
    plans: std::collections::VecDeque<Planned>,
    /// A phased run's plans: per phase, one per piece.
    phase_plans: Vec<Vec<PgPlan>>,
}

/// A migration planned for a run: its name, its statements, and SQLite's refusal of the
/// statement its plan stops at, if any.
type Planned = (String, PgPlan, Option<Error>);

impl PgRun<'_> {
    /// Plans `m` against the model (built on first use from the migrations applied where the
    /// run started), moving the model past it; with its bookkeeping, unless SQLite refused a
    /// statement (then the plan stops at it, see [`plan_text_until_model_fails`]).
    fn plan(&mut self, m: &Migration, dir: Direction, start: &Status) -> Result<Planned> {
        if self.model.is_none() {
            let done: Vec<&Migration> = start
                .migrations
                .iter()
                .filter(|x| start.is_applied(x))
                .collect();
            self.model = Some((self.models)(ModelSeed::Migrations(&done))?);
        }
        let model = self.model.as_mut().expect("built above");
        let origin = m.path.display().to_string();
        let (mut plan, refused) =
            plan_text_until_model_fails(part(m, dir)?, &origin, model.as_mut())?;
        if refused.is_none() {
            plan.statements
                .extend(bookkeeping(m, dir).into_iter().map(Sql::new));
        }
        Ok((m.name.clone(), plan, refused))
    }
}

impl Run for PgRun<'_> {
    fn applied(&mut self) -> Result<Vec<Applied>> {
        let tx = self.tx.as_mut().expect("the run's transaction is open");
        applied(tx)
    }

    fn prepare(&mut self, todo: &[Migration], dir: Direction, start: &Status) -> Result<()> {
        for m in todo {
            let planned = self
                .plan(m, dir, start)
                .map_err(|e| crate::migrate::in_file(e, m))?;
            // The model cannot follow past a refused statement: the run stops there anyway.
            let stop = planned.2.is_some();
            self.plans.push_back(planned);
            if stop {
                break;
            }
        }
        Ok(())
    }

    fn apply(
        &mut self,
        m: &Migration,
        dir: Direction,
        start: &Status,
        observer: &mut Observer,
    ) -> Result<Summary> {
        let (_, plan, refused) = match self.plans.front() {
            Some((name, _, _)) if *name == m.name => {
                self.plans.pop_front().expect("just looked at it")
            }
            _ => self.plan(m, dir, start)?,
        };
        report_notes(&plan, observer);
        let tx = self.tx.as_mut().expect("the run's transaction is open");
        let mut sp = tx
            .savepoint("kit_migration")
            .map_err(|e| statement_error(&e, &Sql::new("SAVEPOINT kit_migration")))?;
        let summary = run_statements(&mut sp, &plan.statements, observer)?;
        if let Some(e) = refused {
            // PostgreSQL accepted what SQLite refused; dropping `sp` rolls the migration back.
            return Err(e);
        }
        if plan.inserts {
            super::resync_identities(&mut sp)?;
        }
        sp.commit()
            .map_err(|e| statement_error(&e, &Sql::new("RELEASE SAVEPOINT kit_migration")))?;
        Ok(summary)
    }

    fn prepare_phases(
        &mut self,
        schedule: &Schedule,
        _observer: &mut Observer,
    ) -> Result<Vec<PhasePlan>> {
        // The model starts from the live tables: a phased history has no replay order.
        let tx = self.tx.as_mut().expect("the run's transaction is open");
        let ddl = super::catalog::tables_ddl(tx)?;
        let mut model = (self.models)(ModelSeed::Tables(&ddl))?;
        let mut out = Vec::new();
        self.phase_plans.clear();
        for phase in &schedule.phases {
            let mut plans = Vec::new();
            let mut info = PhasePlan {
                phase: phase.phase,
                ..PhasePlan::default()
            };
            for piece in &phase.pieces {
                let origin = schedule.origin(phase, piece);
                let (plan, refused) =
                    plan_text_until_model_fails(&piece.text, &origin.file, model.as_mut())
                        .map_err(|e| origin.wrap(None, e))?;
                if let Some(e) = refused {
                    return Err(origin.wrap(None, e));
                }
                info.pieces.push((piece.migration, plan.script()));
                plans.push(plan);
            }
            out.push(info);
            self.phase_plans.push(plans);
        }
        Ok(out)
    }

    fn apply_phase(
        &mut self,
        schedule: &Schedule,
        index: usize,
        observer: &mut Observer,
    ) -> Result<Summary> {
        let phase = &schedule.phases[index];
        let tx = self.tx.as_mut().expect("the run's transaction is open");
        let mut summary = Summary::default();
        let mut inserts = false;
        for (piece, plan) in phase.pieces.iter().zip(&self.phase_plans[index]) {
            report_notes(plan, observer);
            let s = run_statements(tx, &plan.statements, observer)
                .map_err(|e| schedule.origin(phase, piece).wrap(None, e))?;
            summary.steps.extend(s.steps);
            summary.elapsed += s.elapsed;
            inserts |= plan.inserts;
        }
        if inserts {
            super::resync_identities(tx)?;
        }
        Ok(summary)
    }

    fn record(&mut self, schedule: &Schedule) -> Result<()> {
        let tx = self.tx.as_mut().expect("the run's transaction is open");
        for m in &schedule.migrations {
            for q in bookkeeping(m, schedule.dir) {
                execute(tx, &Sql::new(q))?;
            }
        }
        Ok(())
    }

    fn rollback(mut self: Box<Self>) -> Result<()> {
        match self.tx.take() {
            Some(tx) => tx
                .rollback()
                .map_err(|e| statement_error(&e, &Sql::new("ROLLBACK"))),
            None => Ok(()),
        }
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        match self.tx.take() {
            Some(tx) => commit(tx),
            None => Ok(()),
        }
    }

    fn stop(mut self: Box<Self>, e: Error) -> Error {
        // The failing migration's savepoint was rolled back when it was dropped; what came
        // before it is committed.
        match self.tx.take() {
            Some(tx) => match commit(tx) {
                Ok(()) => e,
                Err(c) => c,
            },
            None => e,
        }
    }
}
