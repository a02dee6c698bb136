//! The PostgreSQL test harness itself: a real server starts, each test gets its own database,
//! and the cluster is stopped and removed when the test binary exits, even after a panic.

#[path = "common/pg.rs"]
mod pg;

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn server_starts_and_databases_are_separate() {
    let s = pg::server();
    eprintln!(
        "harness start-up: {:?} (owned cluster: {})",
        s.startup, s.owned
    );
    let a = pg::database();
    let b = pg::database();
    assert_ne!(a.name, b.name);
    let mut ca = a.client();
    let mut cb = b.client();
    ca.batch_execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
        .unwrap();
    let n: i64 = ca.query_one("SELECT count(*) FROM t", &[]).unwrap().get(0);
    assert_eq!(n, 1);
    let err = cb.batch_execute("SELECT * FROM t").unwrap_err();
    assert_eq!(err.code().unwrap().code(), "42P01", "{err}");
    let v: String = ca.query_one("SHOW server_version", &[]).unwrap().get(0);
    assert!(v.starts_with(|c: char| c.is_ascii_digit()), "{v}");
}

#[test]
fn a_dropped_guard_drops_its_database() {
    let db = pg::database();
    let name = db.name.clone();
    drop(db);
    let mut admin = postgres::Client::connect(&pg::server().admin_url, postgres::NoTls).unwrap();
    let n: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[test]
fn with_dbname_replaces_only_the_database() {
    assert_eq!(
        pg::with_dbname("postgresql:///postgres?host=/tmp/x&port=5432", "d1"),
        "postgresql:///d1?host=/tmp/x&port=5432"
    );
    assert_eq!(
        pg::with_dbname("postgres://u:p@h:5/app", "d2"),
        "postgres://u:p@h:5/d2"
    );
    assert_eq!(pg::with_dbname("postgres://u@h", "d3"), "postgres://u@h/d3");
}

/// Run by `cluster_is_removed_after_the_binary_exits` in a child process: starts the cluster,
/// prints where it is, then panics (the cleanup must still happen).
#[test]
#[ignore = "helper: run in a child process by cluster_is_removed_after_the_binary_exits"]
fn child_starts_server_then_panics() {
    let s = pg::server();
    let _db = pg::database();
    println!("KIT_CLUSTER_DIR={}", s.dir.as_ref().unwrap().display());
    panic!("deliberate panic after starting the cluster");
}

#[test]
fn cluster_is_removed_after_the_binary_exits() {
    if !pg::server().owned {
        eprintln!("KIT_TEST_PG_URL is set: the harness starts no cluster, nothing to clean up");
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_starts_server_then_panics",
            "--nocapture",
        ])
        .env_remove("KIT_TEST_PG_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the child was meant to panic");
    let dir = stdout
        .lines()
        .find_map(|l| l.strip_prefix("KIT_CLUSTER_DIR="))
        .unwrap_or_else(|| panic!("no cluster dir in the child's output:\n{stdout}"));
    let dir = std::path::PathBuf::from(dir);
    let t0 = Instant::now();
    while dir.exists() && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!dir.exists(), "{} still exists", dir.display());
}

/// Run by `without_binaries_the_tests_fail_with_install_instructions` with an empty `PATH`.
#[test]
#[ignore = "helper: run in a child process without PATH"]
fn child_asks_for_a_server() {
    let _ = pg::server();
}

#[test]
fn without_binaries_the_tests_fail_with_install_instructions() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child_asks_for_a_server"])
        .env("PATH", "")
        .env("KIT_TEST_PG_BINDIR", "/nonexistent")
        .env_remove("KIT_TEST_PG_URL")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("apt-get install postgresql") && text.contains("KIT_TEST_PG_URL"),
        "{text}"
    );
}
