//! Running a variant as a child process and measuring it: wall time from spawn to exit, peak RSS
//! from wait4 (with the harness's own RSS reset before each spawn), the variants and the
//! environment they run in, and medians.

use super::*;

/// The largest RSS of the harness itself when it spawned a measured child.
pub(crate) static HARNESS_RSS_KIB: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

pub(crate) fn self_rss_kib() -> Option<u64> {
    fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|k| k.parse().ok())
    })
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample {
    pub(crate) wall: Duration,
    pub(crate) max_rss_kib: u64,
}

/// Spawns `cmd`, waits for it with wait4, and returns its wall time and peak RSS.
pub(crate) fn run_child(cmd: &mut Command, log: &Path) -> Result<Sample, String> {
    let err = File::create(log).map_err(|e| e.to_string())?;
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(err);
    // The child's ru_maxrss starts from this process's peak (the spawn shares or copies our
    // memory before exec): reset our peak to our current RSS first (Linux >= 4.0).
    let _ = fs::write("/proc/self/clear_refs", "5");
    if let Some(kib) = self_rss_kib() {
        HARNESS_RSS_KIB.fetch_max(kib, std::sync::atomic::Ordering::Relaxed);
    }
    let t0 = Instant::now();
    let child = cmd.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for the child we just spawned.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4: {e}"));
        }
    }
    let wall = t0.elapsed();
    drop(child); // already reaped; dropping neither waits nor kills
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let msg = fs::read_to_string(log).unwrap_or_default();
        let msg: String = msg.split_whitespace().collect::<Vec<_>>().join(" ");
        let chars: Vec<char> = msg.chars().collect();
        let msg: String = chars[chars.len().saturating_sub(300)..].iter().collect();
        return Err(format!("exit status {status:#x}: {msg}"));
    }
    Ok(Sample {
        wall,
        max_rss_kib: ru.ru_maxrss as u64, // kilobytes on Linux
    })
}

#[derive(Clone)]
pub(crate) enum Runner {
    /// kit, or another kit binary (`KIT_BENCH_KIT_B`).
    Kit(Option<PathBuf>),
    /// This harness as `--child <mode>`, with its own `KIT_BENCH_BASELINE_PRAGMAS` if given.
    Harness(&'static str, Option<String>),
    Peer(&'static str),
}

#[derive(Clone)]
pub(crate) struct Variant {
    pub(crate) name: &'static str,
    pub(crate) runner: Runner,
}

pub(crate) struct Env {
    pub(crate) kit: PathBuf,
    pub(crate) me: PathBuf,
    pub(crate) python: PathBuf,
    pub(crate) peers_py: PathBuf,
}

impl Variant {
    pub(crate) fn command(&self, env: &Env, w: Workload, db: &Path) -> Command {
        match &self.runner {
            Runner::Kit(bin) => {
                let mut c = Command::new(bin.as_ref().unwrap_or(&env.kit));
                c.arg("rebuild")
                    .arg("--db")
                    .arg(db)
                    .arg("--sql")
                    .arg(w.sql())
                    .arg("--quiet");
                c
            }
            Runner::Harness(mode, pragmas) => {
                let mut c = Command::new(&env.me);
                c.arg("--child").arg(mode).arg(db);
                if let Some(p) = pragmas {
                    c.env("KIT_BENCH_BASELINE_PRAGMAS", p);
                }
                c
            }
            Runner::Peer(tool) => {
                let mut c = Command::new(&env.python);
                c.arg(&env.peers_py).arg(tool).arg(w.arg()).arg(db);
                c
            }
        }
    }
}

pub(crate) struct Measured {
    pub(crate) samples: Vec<Sample>,
    pub(crate) failed: Option<String>,
    pub(crate) problems: Vec<String>,
}

impl Measured {
    pub(crate) fn median(&self) -> Option<Duration> {
        if self.failed.is_some() || self.samples.is_empty() {
            return None;
        }
        let mut v: Vec<Duration> = self.samples.iter().map(|s| s.wall).collect();
        v.sort();
        Some(median_sorted(&v))
    }
    pub(crate) fn peak_rss(&self) -> Option<u64> {
        self.samples.iter().map(|s| s.max_rss_kib).max()
    }
}

pub(crate) fn median_sorted(v: &[Duration]) -> Duration {
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2
    }
}

pub(crate) fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    median_sorted(&v)
}

/// Removes a run's database and whatever journal files it left.
pub(crate) fn remove_run_files(db: &Path) {
    let _ = fs::remove_file(db);
    for suffix in ["-journal", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let _ = fs::remove_file(PathBuf::from(p));
    }
}
