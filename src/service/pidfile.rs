//! A daemon's pidfile: written atomically, locked while the daemon runs,
//! so a second daemon is refused with the first one's pid and a pidfile
//! left by a crash is recognised as stale and replaced.
//!
//! # How it works
//!
//! The lock is flock(2) on the pidfile itself, held by the daemon for its
//! whole life; the kernel drops it when the process ends, however it
//! ends, so "locked" means "its writer still runs" without trusting the
//! pid inside (which a crash leaves behind and the system may reuse).
//!
//! Writing is atomic: the pid goes into `<path>.<pid>.tmp`, which is
//! locked, then renamed over `<path>`, so a reader sees the old content
//! or the whole new one, never a half-written file. The rename happens
//! while the writer holds the lock of the file it replaces, and a writer
//! that took a lock checks that the file it locked is still the one at
//! `<path>` (a rival may have renamed a new one there meanwhile) and
//! otherwise starts over: two daemons started at once never both win.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::sys::daemon::try_lock_exclusive;

/// A pidfile this process wrote and holds locked. Dropping it removes the
/// file (if it is still this process's) and releases the lock.
#[derive(Debug)]
pub struct Pidfile {
    path: PathBuf,
    /// The locked file, open for as long as the daemon runs.
    file: File,
    /// The pid of a dead writer whose pidfile this one replaced.
    replaced_stale: Option<u32>,
}

/// Who holds a pidfile, as [`holder`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// There is no pidfile.
    Absent,
    /// A running process holds it locked: its pid.
    Running(u32),
    /// A pidfile nobody holds (its writer ended without removing it): the
    /// pid it names, if it names one.
    Stale(Option<u32>),
}

/// Why [`Pidfile::create`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum PidfileError {
    /// Another process holds the pidfile: it runs.
    AlreadyRunning {
        /// The pidfile.
        path: PathBuf,
        /// The pid written in it (`None`: the holder has not written it yet).
        pid: Option<u32>,
    },
    /// The pidfile (or its temporary twin) could not be opened, written,
    /// locked or renamed.
    Io {
        /// The file the operation was about.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
}

impl fmt::Display for PidfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PidfileError::AlreadyRunning {
                path,
                pid: Some(pid),
            } => {
                write!(
                    f,
                    "already running as pid {pid} (pidfile {})",
                    path.display()
                )
            }
            PidfileError::AlreadyRunning { path, pid: None } => {
                write!(f, "already running (pidfile {} is locked)", path.display())
            }
            PidfileError::Io { path, source } => {
                write!(f, "pidfile {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for PidfileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PidfileError::Io { source, .. } => Some(source),
            PidfileError::AlreadyRunning { .. } => None,
        }
    }
}

impl From<PidfileError> for io::Error {
    fn from(e: PidfileError) -> io::Error {
        let kind = match &e {
            PidfileError::AlreadyRunning { .. } => io::ErrorKind::AlreadyExists,
            PidfileError::Io { source, .. } => source.kind(),
        };
        io::Error::new(kind, e.to_string())
    }
}

impl Pidfile {
    /// Writes this process's pid to `path` and locks it until the
    /// returned value is dropped.
    ///
    /// A pidfile that no running process holds (stale) is replaced; its
    /// pid is kept in [`replaced_stale`](Pidfile::replaced_stale) for the
    /// log.
    ///
    /// # Errors
    ///
    /// [`PidfileError::AlreadyRunning`] with the holder's pid when a
    /// running process holds `path`; [`PidfileError::Io`] naming the file
    /// when it cannot be written (a missing directory, no permission).
    pub fn create(path: impl AsRef<Path>) -> Result<Pidfile, PidfileError> {
        let path = path.as_ref().to_path_buf();
        let io_err = |p: &Path, source| PidfileError::Io {
            path: p.to_path_buf(),
            source,
        };
        loop {
            let mut old = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o644)
                .open(&path)
                .map_err(|e| io_err(&path, e))?;
            if !try_lock_exclusive(&old).map_err(|e| io_err(&path, e))? {
                return Err(PidfileError::AlreadyRunning {
                    pid: read_pid(&mut old),
                    path,
                });
            }
            // The file locked must still be the one at `path`: a rival
            // that held it may have renamed its own over it and let go.
            let locked = old.metadata().map_err(|e| io_err(&path, e))?;
            match std::fs::metadata(&path) {
                Ok(now) if now.ino() == locked.ino() && now.dev() == locked.dev() => {}
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(&path, e)),
            }
            let replaced_stale = read_pid(&mut old);
            let file = match write_locked(&path) {
                Ok(file) => file,
                Err((p, e)) => {
                    // Leave no empty pidfile behind that this call made.
                    if locked.len() == 0 {
                        let _ = std::fs::remove_file(&path);
                    }
                    return Err(io_err(&p, e));
                }
            };
            // `old` (its lock and its unlinked inode) goes now.
            return Ok(Pidfile {
                path,
                file,
                replaced_stale,
            });
        }
    }

    /// Takes the pidfile at `path` over from process `from` (an upgrade's
    /// predecessor, which holds it locked and ends soon): writes this
    /// process's pid and lock as [`create`](Pidfile::create) does, without
    /// waiting for `from`'s lock. `from`'s pidfile value then no longer
    /// removes the file when dropped (it is not its file any more).
    ///
    /// # Errors
    ///
    /// [`PidfileError::AlreadyRunning`] when a process other than `from`
    /// holds it; [`PidfileError::Io`] as for `create`.
    pub fn take_over(path: impl AsRef<Path>, from: u32) -> Result<Pidfile, PidfileError> {
        let path = path.as_ref().to_path_buf();
        let io_err = |p: &Path, source| PidfileError::Io {
            path: p.to_path_buf(),
            source,
        };
        match holder(&path).map_err(|e| io_err(&path, e))? {
            Holder::Running(pid) if pid != from => {
                return Err(PidfileError::AlreadyRunning {
                    path,
                    pid: Some(pid),
                })
            }
            Holder::Running(_) => {}
            Holder::Absent | Holder::Stale(_) => return Pidfile::create(path),
        }
        let file = write_locked(&path).map_err(|(p, e)| io_err(&p, e))?;
        Ok(Pidfile {
            path,
            file,
            replaced_stale: None,
        })
    }

    /// The pidfile's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The pid of a process that had left a stale pidfile here, replaced
    /// by this one.
    pub fn replaced_stale(&self) -> Option<u32> {
        self.replaced_stale
    }

    /// Whether the file at the path is still the one this value wrote.
    fn is_ours(&self) -> bool {
        match (self.file.metadata(), std::fs::metadata(&self.path)) {
            (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
            _ => false,
        }
    }
}

impl Drop for Pidfile {
    fn drop(&mut self) {
        // Removed while still locked, so a starter never finds it
        // unlocked yet still naming this process.
        if self.is_ours() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes the pid into a locked temporary file and renames it to `path`.
fn write_locked(path: &Path) -> Result<File, (PathBuf, io::Error)> {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(name);
    let result = (|| {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&tmp)?;
        if !try_lock_exclusive(&file)? {
            return Err(io::Error::new(
                io::ErrorKind::ResourceBusy,
                "another process locked this process's temporary pidfile",
            ));
        }
        writeln!(file, "{}", std::process::id())?;
        file.sync_all()?;
        Ok(file)
    })();
    let file = match result {
        Ok(file) => file,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err((tmp, e));
        }
    };
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err((path.to_path_buf(), e));
    }
    Ok(file)
}

/// The pid written in a pidfile, if it holds one.
fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok().filter(|&pid| pid > 0)
}

/// Who holds the pidfile at `path`: nobody (no file), a running process
/// (the file is locked), or nobody any more (stale). Takes the lock for a
/// moment to find out, and changes nothing.
///
/// # Errors
///
/// The system's error when the file exists but cannot be opened.
pub fn holder(path: impl AsRef<Path>) -> io::Result<Holder> {
    let mut file = match File::open(path.as_ref()) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Holder::Absent),
        Err(e) => return Err(e),
    };
    let pid = read_pid(&mut file);
    if try_lock_exclusive(&file)? {
        return Ok(Holder::Stale(pid));
    }
    Ok(match pid {
        Some(pid) => Holder::Running(pid),
        // Locked but still empty: a writer between its lock and its
        // rename. Read again, once.
        None => match read_pid(&mut File::open(path.as_ref())?) {
            Some(pid) => Holder::Running(pid),
            None => Holder::Stale(None),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("greenline-pidfile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("app.pid")
    }

    #[test]
    fn written_locked_and_removed_on_drop() {
        let path = scratch("basic");
        assert_eq!(holder(&path).unwrap(), Holder::Absent);
        let pidfile = Pidfile::create(&path).unwrap();
        let me = std::process::id();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{me}\n"));
        assert_eq!(holder(&path).unwrap(), Holder::Running(me));
        // flock locks belong to the open file: a second open in this
        // process is refused like another process would be.
        match Pidfile::create(&path) {
            Err(PidfileError::AlreadyRunning { pid, .. }) => assert_eq!(pid, Some(me)),
            other => panic!("second create: {other:?}"),
        }
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary files left: {leftovers:?}");
        drop(pidfile);
        assert!(!path.exists());
    }

    #[test]
    fn a_stale_pidfile_is_reported_and_replaced() {
        let path = scratch("stale");
        std::fs::write(&path, "999999\n").unwrap();
        assert_eq!(holder(&path).unwrap(), Holder::Stale(Some(999999)));
        let pidfile = Pidfile::create(&path).unwrap();
        assert_eq!(pidfile.replaced_stale(), Some(999999));
        assert_eq!(holder(&path).unwrap(), Holder::Running(std::process::id()));
    }

    #[test]
    fn an_unwritable_place_names_the_file() {
        let err = Pidfile::create("/nonexistent-dir/app.pid").unwrap_err();
        assert!(matches!(err, PidfileError::Io { .. }));
        assert!(
            err.to_string()
                .starts_with("pidfile /nonexistent-dir/app.pid: "),
            "{err}"
        );
    }
}
