//! What a running service tells the world about itself on every state
//! change: the status file beside the pidfile (for `status`, `stop`,
//! `reload`) and `STATUS=` to systemd.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::status::Status;
use crate::service::systemd::Notifier;
use crate::service::{ServiceTree, State};

/// The status of this process, kept up to date and written out.
pub(crate) struct Book {
    status: Mutex<Status>,
    /// The status file (`None`: no pidfile, so no status file).
    path: Option<PathBuf>,
    notifier: Option<Arc<Notifier>>,
    /// Set once an upgrade's successor took over: this process writes
    /// and removes nothing any more.
    handed_over: AtomicBool,
}

impl Book {
    /// A book for this process, writing to `path` and telling `notifier`.
    pub(crate) fn new(path: Option<PathBuf>, notifier: Option<Arc<Notifier>>) -> Arc<Book> {
        Arc::new(Book {
            status: Mutex::new(Status::new()),
            path,
            notifier,
            handed_over: AtomicBool::new(false),
        })
    }

    /// The systemd notifier, if the process has one.
    pub(crate) fn notifier(&self) -> Option<&Notifier> {
        self.notifier.as_deref()
    }

    /// Follows `tree`'s state changes from now on.
    pub(crate) fn follow(self: &Arc<Book>, tree: &ServiceTree) {
        let book = Arc::downgrade(self);
        let root = tree.clone();
        // The hook runs in the greenlet or thread making the change, with
        // no lock of the tree held, so reading the tree's states is safe.
        tree.on_state_change(move |path, state| {
            if let Some(book) = book.upgrade() {
                book.changed(&root, path, state);
            }
        });
        self.update(|s| s.services = services(tree));
    }

    fn changed(&self, tree: &ServiceTree, path: &str, state: State) {
        let all = tree.states();
        self.update(|s| {
            s.state = tree.state().as_str().to_string();
            // The deepest service still stopping is the one a stop waits
            // for (a parent stops after its children).
            s.stopping = all
                .iter()
                .filter(|(p, st)| *st == State::Stopping && p.as_str() != tree.path())
                .max_by_key(|(p, _)| p.matches('/').count())
                .map(|(p, _)| p.clone());
            s.services = all
                .iter()
                .filter(|(p, _)| p.as_str() != tree.path())
                .map(|(p, st)| (p.clone(), st.as_str().to_string()))
                .collect();
        });
        if let Some(n) = &self.notifier {
            if let Err(e) = n.status(&format!("{path}: {state}")) {
                log::warn!("{e}");
            }
        }
    }

    /// Changes the status with `f` and writes it out.
    pub(crate) fn update(&self, f: impl FnOnce(&mut Status)) {
        // Written under the lock (plain file calls, which never yield), so
        // two changes at once cannot write the temporary file together.
        let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut status);
        if self.handed_over.load(Ordering::SeqCst) {
            return;
        }
        if let Some(path) = &self.path {
            if let Err(e) = status.write(path) {
                eprintln!("greenline: status file: {e}");
            }
        }
    }

    /// Leaves the status file to an upgrade's successor from now on.
    pub(crate) fn hand_over(&self) {
        let _guard = self.status.lock().unwrap_or_else(|p| p.into_inner());
        self.handed_over.store(true, Ordering::SeqCst);
    }

    /// Removes the status file (the process is ending).
    pub(crate) fn remove(&self) {
        if self.handed_over.load(Ordering::SeqCst) {
            return;
        }
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn services(tree: &ServiceTree) -> Vec<(String, String)> {
    tree.states()
        .into_iter()
        .filter(|(p, _)| *p != tree.path())
        .map(|(p, s)| (p, s.as_str().to_string()))
        .collect()
}
