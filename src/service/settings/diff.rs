//! What a reload changed: the keys whose values differ, old and new.

use std::fmt;

use toml::Value;

use super::loaded::{inline, Loaded};
use super::Settings;

/// One setting a reload changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// The setting's key.
    pub key: &'static str,
    /// The value in force; `None` when it was unset.
    pub old: Option<Value>,
    /// The value loaded; `None` when it is unset.
    pub new: Option<Value>,
}

impl fmt::Display for Change {
    /// `http_port: 8080 -> 7070`, `(unset)` for an unset value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |value: &Option<Value>| value.as_ref().map_or("(unset)".to_string(), inline);
        write!(
            f,
            "{}: {} -> {}",
            self.key,
            show(&self.old),
            show(&self.new)
        )
    }
}

/// The settings whose values differ between `old` and `new`, in
/// declaration order; empty when nothing changed.
///
/// Values are compared as TOML, so a change of origin alone (the same
/// port, now from `-X`) is no change. The keys are what a service's
/// `do_reload` is told.
///
/// # Examples
///
/// ```
/// use greenline::service::settings::{diff, Sources};
///
/// greenline::settings! {
///     /// Two ports.
///     pub struct Ports {
///         /// The HTTP port.
///         pub http_port: u16 = 8080,
///         /// The TCP port.
///         pub tcp_port: u16 = 1234,
///     }
/// }
///
/// let sources = Sources::new().env_vars([("", "")]);
/// let old = sources.load::<Ports>().unwrap();
/// let new = sources.clone().override_arg("http_port = 7070").load::<Ports>().unwrap();
/// let changes = diff(&old, &new);
/// assert_eq!(changes.len(), 1);
/// assert_eq!(changes[0].to_string(), "http_port: 8080 -> 7070");
/// ```
pub fn diff<T: Settings>(old: &Loaded<T>, new: &Loaded<T>) -> Vec<Change> {
    new.entries()
        .iter()
        .filter_map(|entry| {
            let before = old.entry(entry.field.key).and_then(|e| e.value.clone());
            (before != entry.value).then(|| Change {
                key: entry.field.key,
                old: before,
                new: entry.value.clone(),
            })
        })
        .collect()
}
