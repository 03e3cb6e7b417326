//! The system calls a daemon makes about itself: fork(2) while it is still
//! one thread, setsid(2), its standard streams onto a log file, flock(2)
//! on its pidfile, dropping privileges (initgroups(3), setgid(2),
//! setuid(2)), signals to another process, and taking over descriptors a
//! service manager passed it (sd_listen_fds(3)).

use std::collections::HashSet;
use std::ffi::{CStr, CString};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

/// The number of threads in this process, counted in `/proc/self/task`.
pub(crate) fn thread_count() -> io::Result<usize> {
    Ok(std::fs::read_dir("/proc/self/task")?.count())
}

/// What [`fork`] returned to each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forked {
    /// In the parent: the child's pid.
    Parent(u32),
    /// In the child.
    Child,
}

/// fork(2), refused unless the process has exactly one thread.
///
/// A child gets only the thread that forked: a runtime thread's locks,
/// queues and half-done work would be copies nobody drives any more. So
/// the count is checked first and a second thread is an error
/// (`ErrorKind::Other`, naming the count), never a silent fork.
#[inline(never)] // reads errno: see `socket::socket_syscall`
pub(crate) fn fork() -> io::Result<Forked> {
    let threads = thread_count()?;
    if threads != 1 {
        return Err(io::Error::other(format!(
            "cannot fork: the process already runs {threads} threads (a daemon forks before any greenlet or runtime thread starts)"
        )));
    }
    // SAFETY: the process has one thread (checked just above, and nothing
    // of this call starts one), so the child's copy of memory is
    // consistent: no lock is held by a thread that does not exist there.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(pid as u32)),
    }
}

/// setsid(2): detaches from the controlling terminal, so a
/// terminal's hang-up no longer reaches the daemon.
#[inline(never)]
pub(crate) fn setsid() -> io::Result<()> {
    // SAFETY: setsid takes no arguments.
    if unsafe { libc::setsid() } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Points standard output and standard error at `log` (dup2(2)) and
/// standard input at `/dev/null`. Called again with a reopened file, it
/// moves both streams to it without a moment where they are closed.
#[inline(never)]
pub(crate) fn redirect_stdio(log: &File, stdin_null: bool) -> io::Result<()> {
    if stdin_null {
        let null = File::open("/dev/null")?;
        dup2(null.as_raw_fd(), libc::STDIN_FILENO)?;
    }
    dup2(log.as_raw_fd(), libc::STDOUT_FILENO)?;
    dup2(log.as_raw_fd(), libc::STDERR_FILENO)
}

#[inline(never)]
fn dup2(from: RawFd, to: RawFd) -> io::Result<()> {
    // SAFETY: dup2 takes two descriptor numbers; `to` is one of the three
    // standard streams, which std's handles refer to by number only, so
    // replacing it leaves no Rust owner with a dangling descriptor.
    if unsafe { libc::dup2(from, to) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// flock(2) with `LOCK_EX | LOCK_NB` on `file`: `Ok(true)` when this call
/// took the lock, `Ok(false)` when another open file holds it. The lock
/// lasts as long as the open file (and its duplicates, across fork).
#[inline(never)]
pub(crate) fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    loop {
        // SAFETY: flock takes a descriptor `file` keeps open and a flag.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(e),
        }
    }
}

/// kill(2) of any process; `signal` 0 checks that it exists (`ESRCH`
/// when not, `EPERM` when it exists but belongs to someone else).
#[inline(never)]
pub(crate) fn signal_process(pid: u32, signal: i32) -> io::Result<()> {
    if pid == 0 || pid > i32::MAX as u32 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{pid} is no process id"),
        ));
    }
    // SAFETY: kill takes no pointers; a positive pid names one process.
    if unsafe { libc::kill(pid as libc::pid_t, signal) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A user account, as getpwnam(3) gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    /// The login name.
    pub(crate) name: String,
    /// The user id.
    pub(crate) uid: u32,
    /// The primary group id.
    pub(crate) gid: u32,
}

/// getpwnam_r(3): the account called `name`; `NotFound` when there is
/// none.
#[inline(never)]
pub(crate) fn account(name: &str) -> io::Result<Account> {
    let c_name = CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a user name holds a NUL byte"))?;
    let mut buf = vec![0u8; 4096];
    loop {
        // SAFETY: an all-zero passwd is a valid value to be overwritten.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call: the name is a
        // NUL-terminated string, `pwd` and `found` are writable, and `buf`
        // is writable for its length; the strings written into `pwd`
        // point into `buf`, which outlives their reading below.
        let r = unsafe {
            libc::getpwnam_r(
                c_name.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut found,
            )
        };
        if r == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if r != 0 {
            return Err(io::Error::from_raw_os_error(r));
        }
        if found.is_null() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no user named {name:?}"),
            ));
        }
        // SAFETY: getpwnam_r succeeded, so `pw_name` is a NUL-terminated
        // string inside `buf`.
        let login = unsafe { CStr::from_ptr(pwd.pw_name) };
        return Ok(Account {
            name: login.to_string_lossy().into_owned(),
            uid: pwd.pw_uid,
            gid: pwd.pw_gid,
        });
    }
}

/// Becomes `account`: its supplementary groups (initgroups(3)), its group
/// (setgid(2)), then its user (setuid(2)), in that order since only root
/// may change groups. Already being that user is not an error.
#[inline(never)]
pub(crate) fn become_user(account: &Account) -> io::Result<()> {
    // SAFETY: these calls take plain ids; geteuid takes nothing.
    if unsafe { libc::geteuid() } == account.uid && unsafe { libc::getegid() } == account.gid {
        return Ok(());
    }
    let name = CString::new(account.name.as_str())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a user name holds a NUL byte"))?;
    // SAFETY: `name` is a NUL-terminated string valid for the call.
    if unsafe { libc::initgroups(name.as_ptr(), account.gid as _) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: plain ids.
    if unsafe { libc::setgid(account.gid) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: plain ids.
    if unsafe { libc::setuid(account.uid) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The descriptors already adopted, so none gets two owners.
static ADOPTED: Mutex<Option<HashSet<RawFd>>> = Mutex::new(None);

/// Takes ownership of descriptor `fd`, which this process inherited
/// without any Rust value owning it (a service manager's listening
/// socket, sd_listen_fds(3): numbers from 3 on), and marks it
/// close-on-exec as sd_listen_fds(3) does.
///
/// `InvalidInput` for a number below 3 (the standard streams) or one
/// already adopted; `EBADF` when no such descriptor is open.
#[inline(never)]
pub(crate) fn adopt_inherited_fd(fd: RawFd) -> io::Result<OwnedFd> {
    if fd < 3 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("descriptor {fd} is a standard stream, not an inherited socket"),
        ));
    }
    let mut adopted = ADOPTED.lock().unwrap_or_else(|p| p.into_inner());
    let adopted = adopted.get_or_insert_with(HashSet::new);
    if adopted.contains(&fd) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("descriptor {fd} was already taken"),
        ));
    }
    // SAFETY: F_GETFD takes no pointer; a closed descriptor is EBADF.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above; F_SETFD takes an int.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    adopted.insert(fd);
    // SAFETY: `fd` is open (F_GETFD succeeded), was inherited rather than
    // opened by Rust code in this process (the caller's contract, from the
    // service manager's LISTEN_FDS), and the set above hands it out once.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A close-on-exec duplicate of descriptor `fd` (fcntl(2)
/// `F_DUPFD_CLOEXEC`), owned by the caller: kept to hand a listening
/// socket to a successor process while its server owns the original.
#[inline(never)]
pub(crate) fn dup_cloexec(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC takes an int; a closed `fd` is EBADF.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if new < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `new` is a descriptor this call just made; nothing else
    // owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// Makes `cmd`'s child start with `fds` as its descriptors 3, 4, …
/// (sd_listen_fds(3)'s numbering), in order. The caller keeps `fds` open
/// until the spawn returns.
pub(crate) fn pass_fds(cmd: &mut std::process::Command, fds: Vec<RawFd>) {
    use std::os::unix::process::CommandExt;
    let first_free = 3 + fds.len() as RawFd;
    // SAFETY: between fork and exec the closure calls only fcntl(2),
    // dup2(2) and close(2) (of the copies it made), which are
    // async-signal-safe, and allocates nothing (the
    // vector was made before the fork). Each descriptor is first moved
    // above the target range, so placing one never overwrites another
    // still to be placed; dup2 leaves the placed copies inheritable.
    unsafe {
        cmd.pre_exec(move || {
            let mut moved = [0 as RawFd; 16];
            if fds.len() > moved.len() {
                return Err(io::Error::from_raw_os_error(libc::EMFILE));
            }
            for (i, &fd) in fds.iter().enumerate() {
                let high = libc::fcntl(fd, libc::F_DUPFD, first_free);
                if high < 0 {
                    return Err(io::Error::last_os_error());
                }
                moved[i] = high;
            }
            for (i, &high) in moved[..fds.len()].iter().enumerate() {
                if libc::dup2(high, 3 + i as RawFd) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            // The temporary copies would outlive the exec: a pipe's
            // writing end kept open twice never reports its end.
            for &high in &moved[..fds.len()] {
                libc::close(high);
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_refuses_a_process_with_threads() {
        // The test harness runs each test on a thread of its own, so this
        // process has two at least. (No thread is spawned here: one made
        // while the runtime starts would confuse the watchdog's search
        // for may's timer thread in a test running beside this one.)
        assert!(thread_count().unwrap() >= 2);
        let err = fork().unwrap_err();
        assert!(err.to_string().contains("threads"), "{err}");
    }

    #[test]
    fn signal_0_tells_whether_a_process_exists() {
        signal_process(std::process::id(), 0).unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let err = signal_process(pid, 0).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ESRCH));
        assert_eq!(
            signal_process(0, 0).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn an_account_by_name() {
        let root = account("root").unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        let err = account("no-such-user-greenline").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn adopting_a_standard_stream_is_refused() {
        let err = adopt_inherited_fd(1).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
