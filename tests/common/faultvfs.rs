//! A fault-injecting SQLite VFS for tests, after SQLite's own ioerr and full-disk tests: it
//! wraps the default `unix` VFS, registers itself as the default, and makes the Nth write,
//! sync or truncate (or, for a full disk, the Nth write) fail, once or from then on.
//!
//! Faults are armed per thread ([`arm`] ... [`disarm`]): SQLite calls the VFS on the thread that
//! runs the statement, so tests in other threads are unaffected. The wrapper adds nothing but
//! the failure: every other call goes straight to the real VFS.
#![allow(dead_code)]

use rusqlite::ffi;
use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Once;

/// What the failing call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Writes, syncs and truncates are counted; the failing one returns its `SQLITE_IOERR_*`.
    IoErr,
    /// Only writes are counted; the failing one returns `SQLITE_FULL` (syncs never fail).
    Full,
}

/// One fault: the `n`th counted call fails; with `persistent`, every counted call after it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// 1-based index of the first failing call.
    pub n: u64,
    /// Keep failing after the first failure (a disk that stays broken or full).
    pub persistent: bool,
    /// Which calls count and what they return.
    pub kind: Kind,
}

/// What happened while a fault was armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Report {
    /// Counted calls made.
    pub calls: u64,
    /// True when at least one call was failed.
    pub fired: bool,
}

thread_local! {
    static ARMED: Cell<Option<Fault>> = const { Cell::new(None) };
    static PAUSED: Cell<bool> = const { Cell::new(false) };
    static REPORT: Cell<Report> = const { Cell::new(Report { calls: 0, fired: false }) };
}

static REAL: AtomicPtr<ffi::sqlite3_vfs> = AtomicPtr::new(ptr::null_mut());
static INSTALL: Once = Once::new();

/// Installs the fault VFS as SQLite's default (once per process). Connections opened before
/// keep their VFS.
pub fn install() {
    INSTALL.call_once(|| unsafe {
        // SAFETY: FFI calls during start-up; the VFS object is leaked so it lives as long as
        // SQLite may use it.
        assert_eq!(ffi::sqlite3_initialize(), ffi::SQLITE_OK);
        let real = ffi::sqlite3_vfs_find(ptr::null());
        assert!(!real.is_null(), "no default VFS");
        REAL.store(real, Ordering::SeqCst);
        let mut vfs: ffi::sqlite3_vfs = *real;
        vfs.pNext = ptr::null_mut();
        vfs.zName = c"kitfault".as_ptr();
        vfs.szOsFile = (std::mem::size_of::<FaultFile>() as c_int) + (*real).szOsFile;
        vfs.xOpen = Some(x_open);
        let vfs = Box::leak(Box::new(vfs));
        assert_eq!(ffi::sqlite3_vfs_register(vfs, 1), ffi::SQLITE_OK);
    });
}

/// Arms `fault` on this thread and resets the report.
pub fn arm(fault: Fault) {
    install();
    REPORT.with(|r| r.set(Report::default()));
    PAUSED.with(|p| p.set(false));
    ARMED.with(|a| a.set(Some(fault)));
}

/// Stops counting and failing on this thread until [`resume`].
pub fn pause() {
    PAUSED.with(|p| p.set(true));
}

/// Counts and fails again after [`pause`].
pub fn resume() {
    PAUSED.with(|p| p.set(false));
}

/// Disarms this thread's fault and returns what happened.
pub fn disarm() -> Report {
    ARMED.with(|a| a.set(None));
    PAUSED.with(|p| p.set(false));
    REPORT.with(|r| r.get())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Call {
    Write,
    Sync,
    Truncate,
}

/// The error code this call returns, if it is to fail.
fn fault_for(call: Call) -> Option<c_int> {
    let fault = ARMED.with(|a| a.get())?;
    if PAUSED.with(|p| p.get()) || (fault.kind == Kind::Full && call != Call::Write) {
        return None;
    }
    let mut report = REPORT.with(|r| r.get());
    report.calls += 1;
    let fail = if fault.persistent {
        report.calls >= fault.n
    } else {
        report.calls == fault.n
    };
    report.fired |= fail;
    REPORT.with(|r| r.set(report));
    fail.then_some(match (fault.kind, call) {
        (Kind::Full, _) => ffi::SQLITE_FULL,
        (Kind::IoErr, Call::Write) => ffi::SQLITE_IOERR_WRITE,
        (Kind::IoErr, Call::Sync) => ffi::SQLITE_IOERR_FSYNC,
        (Kind::IoErr, Call::Truncate) => ffi::SQLITE_IOERR_TRUNCATE,
    })
}

/// Our file: the `sqlite3_file` header SQLite sees, then the real VFS's file.
#[repr(C)]
struct FaultFile {
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
}

unsafe fn real(
    f: *mut ffi::sqlite3_file,
) -> (*mut ffi::sqlite3_file, &'static ffi::sqlite3_io_methods) {
    let real = (*(f as *mut FaultFile)).real;
    (real, &*(*real).pMethods)
}

unsafe extern "C" fn x_open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let real_vfs = REAL.load(Ordering::SeqCst);
    let ours = file as *mut FaultFile;
    let inner = (file as *mut u8).add(std::mem::size_of::<FaultFile>()) as *mut ffi::sqlite3_file;
    (*ours).real = inner;
    (*ours).base.pMethods = ptr::null();
    (*inner).pMethods = ptr::null();
    let rc = ((*real_vfs).xOpen.expect("xOpen"))(real_vfs, name, inner, flags, out_flags);
    if !(*inner).pMethods.is_null() {
        (*ours).base.pMethods = &METHODS;
    }
    rc
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: Some(x_fetch),
    xUnfetch: Some(x_unfetch),
};

unsafe extern "C" fn x_close(f: *mut ffi::sqlite3_file) -> c_int {
    let (r, m) = real(f);
    m.xClose.map_or(ffi::SQLITE_OK, |x| x(r))
}

unsafe extern "C" fn x_read(
    f: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    n: c_int,
    off: i64,
) -> c_int {
    let (r, m) = real(f);
    (m.xRead.expect("xRead"))(r, buf, n, off)
}

unsafe extern "C" fn x_write(
    f: *mut ffi::sqlite3_file,
    buf: *const c_void,
    n: c_int,
    off: i64,
) -> c_int {
    if let Some(code) = fault_for(Call::Write) {
        return code;
    }
    let (r, m) = real(f);
    (m.xWrite.expect("xWrite"))(r, buf, n, off)
}

unsafe extern "C" fn x_truncate(f: *mut ffi::sqlite3_file, size: i64) -> c_int {
    if let Some(code) = fault_for(Call::Truncate) {
        return code;
    }
    let (r, m) = real(f);
    (m.xTruncate.expect("xTruncate"))(r, size)
}

/// Syncs are counted (and failed) but not passed on: these tests simulate I/O errors and
/// process crashes, not power loss, so an fsync would only cost time.
unsafe extern "C" fn x_sync(_f: *mut ffi::sqlite3_file, _flags: c_int) -> c_int {
    fault_for(Call::Sync).unwrap_or(ffi::SQLITE_OK)
}

unsafe extern "C" fn x_file_size(f: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    let (r, m) = real(f);
    (m.xFileSize.expect("xFileSize"))(r, size)
}

unsafe extern "C" fn x_lock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    let (r, m) = real(f);
    (m.xLock.expect("xLock"))(r, level)
}

unsafe extern "C" fn x_unlock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    let (r, m) = real(f);
    (m.xUnlock.expect("xUnlock"))(r, level)
}

unsafe extern "C" fn x_check_reserved_lock(f: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    let (r, m) = real(f);
    (m.xCheckReservedLock.expect("xCheckReservedLock"))(r, out)
}

unsafe extern "C" fn x_file_control(
    f: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    let (r, m) = real(f);
    (m.xFileControl.expect("xFileControl"))(r, op, arg)
}

unsafe extern "C" fn x_sector_size(f: *mut ffi::sqlite3_file) -> c_int {
    let (r, m) = real(f);
    m.xSectorSize.map_or(4096, |x| x(r))
}

unsafe extern "C" fn x_device_characteristics(f: *mut ffi::sqlite3_file) -> c_int {
    let (r, m) = real(f);
    m.xDeviceCharacteristics.map_or(0, |x| x(r))
}

unsafe extern "C" fn x_shm_map(
    f: *mut ffi::sqlite3_file,
    region: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    let (r, m) = real(f);
    match (m.iVersion >= 2).then_some(m.xShmMap).flatten() {
        Some(x) => x(r, region, size, extend, out),
        None => ffi::SQLITE_IOERR_SHMMAP,
    }
}

unsafe extern "C" fn x_shm_lock(
    f: *mut ffi::sqlite3_file,
    off: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    let (r, m) = real(f);
    match (m.iVersion >= 2).then_some(m.xShmLock).flatten() {
        Some(x) => x(r, off, n, flags),
        None => ffi::SQLITE_IOERR_SHMLOCK,
    }
}

unsafe extern "C" fn x_shm_barrier(f: *mut ffi::sqlite3_file) {
    let (r, m) = real(f);
    if let Some(x) = (m.iVersion >= 2).then_some(m.xShmBarrier).flatten() {
        x(r)
    }
}

unsafe extern "C" fn x_shm_unmap(f: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    let (r, m) = real(f);
    match (m.iVersion >= 2).then_some(m.xShmUnmap).flatten() {
        Some(x) => x(r, delete),
        None => ffi::SQLITE_OK,
    }
}

unsafe extern "C" fn x_fetch(
    f: *mut ffi::sqlite3_file,
    off: i64,
    n: c_int,
    out: *mut *mut c_void,
) -> c_int {
    let (r, m) = real(f);
    match (m.iVersion >= 3).then_some(m.xFetch).flatten() {
        Some(x) => x(r, off, n, out),
        None => {
            *out = ptr::null_mut();
            ffi::SQLITE_OK
        }
    }
}

unsafe extern "C" fn x_unfetch(f: *mut ffi::sqlite3_file, off: i64, p: *mut c_void) -> c_int {
    let (r, m) = real(f);
    match (m.iVersion >= 3).then_some(m.xUnfetch).flatten() {
        Some(x) => x(r, off, p),
        None => ffi::SQLITE_OK,
    }
}
