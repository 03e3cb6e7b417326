//! Settings as loaded: the typed value, and each key's value and origin.

use std::fmt::Write as _;
use std::ops::Deref;

use toml::Value;

use super::error::LoadError;
use super::origin::Origin;
use super::sources::Sources;
use super::{Field, Settings};

/// One setting as loaded: what it is, its value, where the value came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The declared setting.
    pub field: Field,
    /// The value as TOML; `None` when TOML cannot hold it (an unset
    /// `Option`).
    pub value: Option<Value>,
    /// The layer and place the value came from.
    pub origin: Origin,
}

/// Settings read from [`Sources`]: the typed settings (`Deref` reaches
/// them), each key's value and [`Origin`], and the sources, to load again.
///
/// # Examples
///
/// ```
/// use greenline::service::settings::Sources;
///
/// greenline::settings! {
///     /// One port.
///     pub struct Port {
///         /// The HTTP port.
///         pub http_port: u16 = 8080,
///     }
/// }
///
/// let loaded = Sources::new().env_vars([("X", "1")]).load::<Port>().unwrap();
/// assert_eq!(loaded.http_port, 8080);
/// assert_eq!(loaded.show(), "http_port = 8080  # default\n");
/// ```
#[derive(Clone, Debug)]
pub struct Loaded<T> {
    /// The typed settings.
    settings: T,
    /// One per declared key, in declaration order.
    entries: Vec<Entry>,
    /// What was read, for `reload`.
    sources: Sources,
}

impl<T: Settings> Loaded<T> {
    /// Assembles a load's result.
    pub(crate) fn new(settings: T, entries: Vec<Entry>, sources: Sources) -> Loaded<T> {
        Loaded {
            settings,
            entries,
            sources,
        }
    }

    /// The typed settings.
    pub fn settings(&self) -> &T {
        &self.settings
    }

    /// The typed settings, taken out.
    pub fn into_settings(self) -> T {
        self.settings
    }

    /// Every declared setting with its value and origin, in declaration
    /// order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry of `key`, `None` if no setting has that key.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.field.key == key)
    }

    /// Where the value of `key` came from, `None` if no setting has that
    /// key.
    pub fn origin(&self, key: &str) -> Option<&Origin> {
        self.entry(key).map(|e| &e.origin)
    }

    /// The sources these settings were read from.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// Reads the same sources again (the file and `-X` files as they are
    /// now) into new settings, leaving these as they are: the caller
    /// compares with [`diff`](super::diff) and swaps once it is valid.
    ///
    /// # Errors
    ///
    /// As [`Sources::load`].
    pub fn reload(&self) -> Result<Loaded<T>, LoadError> {
        self.sources.load()
    }

    /// Every setting, one a line, as TOML with the origin as a comment
    /// (`http_port = 7070  # -X #1 `http_port = 7070``), for `config show`.
    /// Values and origins line up in columns; an unset optional setting is
    /// a commented line. The text parses back as TOML to the same values.
    pub fn show(&self) -> String {
        let lines: Vec<(String, &Origin)> = self
            .entries
            .iter()
            .map(|e| {
                let assignment = match &e.value {
                    Some(value) => format!("{} = {}", e.field.key, inline(value)),
                    None => format!("# {} is unset", e.field.key),
                };
                (assignment, &e.origin)
            })
            .collect();
        let width = lines
            .iter()
            .map(|(a, _)| a.chars().count())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for (assignment, origin) in lines {
            let pad = width - assignment.chars().count();
            let _ = writeln!(out, "{assignment}{:pad$}  # {origin}", "");
        }
        out
    }
}

impl<T> Deref for Loaded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.settings
    }
}

/// A value on one line: tables inline, as `show` and templates need them.
pub(crate) fn inline(value: &Value) -> String {
    match value {
        Value::Table(table) => {
            let items: Vec<String> = table
                .iter()
                .map(|(k, v)| format!("{} = {}", key_text(k), inline(v)))
                .collect();
            if items.is_empty() {
                "{}".to_string()
            } else {
                format!("{{ {} }}", items.join(", "))
            }
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// A key as TOML writes it: bare when it can be, quoted otherwise.
fn key_text(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        Value::String(key.to_string()).to_string()
    }
}
