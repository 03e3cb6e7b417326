//! The layers to read: a description, read at each load.

use std::path::{Path, PathBuf};

/// The environment prefix when the application chooses none.
const DEFAULT_PREFIX: &str = "GREENLINE_";

/// Where settings come from: a file, an environment, `-X` overrides and
/// flags, read in that order by [`load`](Sources::load), later winning.
///
/// A `Sources` is a description, not a reading: every `load` reads the file
/// and the override files again, which is what a reload needs.
///
/// # Examples
///
/// ```
/// use greenline::service::settings::Sources;
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
/// let loaded = Sources::new()
///     .env_prefix("MYAPP_")
///     .env_vars([("MYAPP_TCP_PORT", "4321"), ("GREENLINE_HTTP_PORT", "1")])
///     .flag("http_port", "9090")
///     .load::<Ports>()
///     .unwrap();
/// assert_eq!((loaded.http_port, loaded.tcp_port), (9090, 4321));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The configuration file, if any.
    pub(super) file: Option<PathBuf>,
    /// The variables' prefix; `None` for `GREENLINE_`.
    pub(super) prefix: Option<String>,
    /// The environment to read; `None` for the process's, read at each load.
    pub(super) env: Option<Vec<(String, String)>>,
    /// The `-X` arguments, in order.
    pub(super) overrides: Vec<String>,
    /// Flags: key and value text, in order.
    pub(super) flags: Vec<(String, String)>,
}

impl Sources {
    /// No file, the process's environment under `GREENLINE_`, no
    /// overrides, no flags: defaults and the environment.
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Reads settings from a TOML file (a command's `-C`). Its absence is
    /// an error at load.
    pub fn file(mut self, path: impl Into<PathBuf>) -> Sources {
        self.file = Some(path.into());
        self
    }

    /// Reads variables named `prefix` + the key in upper case instead of
    /// `GREENLINE_…` (`"MYAPP_"` reads `MYAPP_HTTP_PORT`).
    pub fn env_prefix(mut self, prefix: impl Into<String>) -> Sources {
        self.prefix = Some(prefix.into());
        self
    }

    /// Reads these variables instead of the process's environment (for
    /// tests, and for a command that filters what it passes on). Without
    /// it, every load reads the process's environment as it is then.
    pub fn env_vars<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Sources
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Adds a `-X` argument: a TOML snippet (`http_port = 7070`, any
    /// argument holding an `=`) or the path of a TOML file. Later
    /// arguments win over earlier ones.
    pub fn override_arg(mut self, arg: impl Into<String>) -> Sources {
        self.overrides.push(arg.into());
        self
    }

    /// Adds a command-line flag's value for `key`, read as TOML when it is
    /// one value (`7070`, `true`), else as a string. Flags win over every
    /// other layer; a later flag over an earlier one.
    pub fn flag(mut self, key: impl Into<String>, value: impl Into<String>) -> Sources {
        self.flags.push((key.into(), value.into()));
        self
    }

    /// The configuration file, if one was given.
    pub fn config_file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The environment prefix in use (`GREENLINE_` unless chosen).
    pub fn prefix(&self) -> &str {
        self.prefix.as_deref().unwrap_or(DEFAULT_PREFIX)
    }
}
