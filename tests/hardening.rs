//! Regression tests of issue 8 (hardening): each bug found by trying kit the way others would
//! break it, through the real binary, asserting on the database read back.

mod common;

use common::*;

/// A dry run whose preflight check depends on a statement of the same change (an INSERT of a
/// duplicate, then ADD UNIQUE) evaluates it on an in-memory copy and refuses, as the real run
/// does; the database is not changed by either.
#[test]
fn dry_run_evaluates_checks_that_depend_on_the_changes_own_statements() {
    let db = Db::new(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
         INSERT INTO users (email) VALUES ('a@x'), ('b@x');",
    );
    let before = db.bytes();
    let sql = "INSERT INTO users (email) VALUES ('a@x'); ALTER TABLE users ADD UNIQUE (email)";
    let dry = db.dry_run(sql);
    dry.assert_code(1);
    dry.assert_stderr_has(&["UNIQUE (email)", "duplicate", "2 rows"]);
    db.assert_untouched(&before);
    let real = db.kit(sql);
    real.assert_code(1);
    real.assert_stderr_has(&["UNIQUE (email)", "duplicate"]);
    db.assert_untouched(&before);
    // Without the duplicate, the dry run says the dependent check was evaluated and passes.
    let ok = db.dry_run("INSERT INTO users (email) VALUES ('c@x'); ALTER TABLE users ADD UNIQUE (email)");
    ok.assert_ok();
    ok.assert_stderr_has(&["1 check(s) depend on statements of this change", "pass"]);
    db.assert_untouched(&before);
}
