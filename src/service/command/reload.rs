//! A reload (HUP, or `greenline reload`): read every layer again,
//! validate, and apply only what is valid.
//!
//! ```text
//!  HUP ─▶ RELOADING=1 ─▶ load again ──invalid──▶ keep the old settings,
//!                           │                    record the reason
//!                         valid
//!                           ▼
//!          print the diff, swap the settings, tell the services
//!          (do_reload with the changed keys; a failure swaps back)
//!                           │
//!                           ▼
//!          reload count + 1 in the status file ─▶ READY=1
//! ```
//!
//! `greenline reload` waits for the count to move and exits with the
//! recorded outcome.

use std::sync::{Arc, Mutex};

use super::book::Book;
use super::current::Current;
use super::options::CommandSettings;
use crate::service::settings::{diff, Loaded, Settings};
use crate::service::ServiceTree;
use crate::sync::Semaphore;

/// What a reload needs, shared with the HUP handler's greenlets.
pub(crate) struct Reloader<S> {
    /// The settings as last loaded (the sources to read again, and the
    /// values a diff compares with).
    loaded: Mutex<Loaded<(CommandSettings, S)>>,
    current: Current<S>,
    tree: ServiceTree,
    book: Arc<Book>,
    /// One reload at a time: a greenline semaphore, since a reload waits
    /// (file reads, `do_reload` hooks) and a std lock must not be held
    /// across a wait.
    one_at_a_time: Semaphore,
}

impl<S: Settings + Clone + Send + Sync + 'static> Reloader<S> {
    /// A reloader for `tree`, whose settings in force are `loaded`.
    pub(crate) fn new(
        loaded: Loaded<(CommandSettings, S)>,
        current: Current<S>,
        tree: ServiceTree,
        book: Arc<Book>,
    ) -> Reloader<S> {
        Reloader {
            loaded: Mutex::new(loaded),
            current,
            tree,
            book,
            one_at_a_time: Semaphore::new(1),
        }
    }

    /// Reloads; prints what changed or why nothing did, and records the
    /// outcome in the status file.
    pub(crate) fn reload(&self) {
        let Ok(_turn) = self.one_at_a_time.acquire() else {
            return;
        };
        if let Some(n) = self.book.notifier() {
            if let Err(e) = n.reloading() {
                log::warn!("{e}");
            }
        }
        let outcome = self.try_reload();
        match &outcome {
            Ok(summary) => println!("greenline: reloaded: {summary}"),
            Err(why) => eprintln!("greenline: reload refused, old settings kept: {why}"),
        }
        self.book.update(|s| {
            s.reloads += 1;
            match outcome {
                Ok(summary) => {
                    s.reload_error = None;
                    s.reload_summary = summary;
                }
                Err(why) => s.reload_error = Some(why),
            }
            s.state = self.tree.state().as_str().to_string();
        });
        if let Some(n) = self.book.notifier() {
            if let Err(e) = n.ready() {
                log::warn!("{e}");
            }
        }
    }

    /// The reload itself: `Ok` with a summary of the changes, or `Err`
    /// with the reason the old settings stay.
    fn try_reload(&self) -> Result<String, String> {
        let old = self
            .loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        // Reading files may block: on the pool's thread, not a worker.
        let reading = old.clone();
        let new = crate::threadpool::spawn_blocking(move || reading.reload())
            .join()
            .map_err(|e| format!("reading the settings: {e}"))?
            .map_err(|e| e.to_string().replace('\n', "; "))?;
        let changes = diff(&old, &new);
        if changes.is_empty() {
            *self.loaded.lock().unwrap_or_else(|p| p.into_inner()) = new;
            return Ok("no setting changed".into());
        }
        for change in &changes {
            println!("greenline: reload: {change}");
        }
        let keys: Vec<String> = changes.iter().map(|c| c.key.to_string()).collect();
        let command_keys: Vec<&str> = CommandSettings::fields()
            .iter()
            .map(|f| f.key)
            .filter(|k| keys.iter().any(|c| c == k))
            .collect();
        if !command_keys.is_empty() {
            // pidfile, logfile and user are the process's, fixed at start.
            println!(
                "greenline: reload: {} take effect at the next start",
                command_keys.join(", ")
            );
        }
        let previous = self.current.replace(Arc::new(new.settings().1.clone()));
        if let Err(e) = self.tree.reload(&keys) {
            self.current.replace(previous);
            return Err(format!("{e} (the services keep the old settings)"));
        }
        *self.loaded.lock().unwrap_or_else(|p| p.into_inner()) = new;
        Ok(format!("changed {}", keys.join(", ")))
    }
}
