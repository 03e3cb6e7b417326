//! The layers to read, and the load that merges and checks them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Value;

use super::error::{nearest, LoadError, SettingError};
use super::layer::{self, Raw};
use super::loaded::{Entry, Loaded};
use super::origin::Origin;
use super::Settings;

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
    file: Option<PathBuf>,
    /// The variables' prefix; `None` for `GREENLINE_`.
    prefix: Option<String>,
    /// The environment to read; `None` for the process's, read at each load.
    env: Option<Vec<(String, String)>>,
    /// The `-X` arguments, in order.
    overrides: Vec<String>,
    /// Flags: key and value text, in order.
    flags: Vec<(String, String)>,
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
        self.env = Some(vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect());
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

    /// Reads every layer and checks the result against `T`.
    ///
    /// Changes nothing outside the returned value, so a caller swaps its
    /// settings only once the new ones are whole.
    ///
    /// # Errors
    ///
    /// [`LoadError`] with every problem found: an unreadable file, a syntax
    /// error, an unknown key (a variable is never one: variables for keys
    /// not declared are ignored), a value of the wrong type.
    pub fn load<T: Settings>(&self) -> Result<Loaded<T>, LoadError> {
        let fields = T::fields();
        let mut problems = Vec::new();
        let mut raws: Vec<Raw> = Vec::new();
        let mut take = |layer: Result<Vec<Raw>, SettingError>| match layer {
            Ok(found) => raws.extend(found),
            Err(problem) => problems.push(problem),
        };
        if let Some(path) = &self.file {
            take(layer::read_file(path));
        }
        take(Ok(self.read_env(fields.iter().map(|f| f.key))));
        for (i, arg) in self.overrides.iter().enumerate() {
            take(layer::read_override(i + 1, arg));
        }
        for (key, text) in &self.flags {
            let origin = Origin::Flag { key: key.clone() };
            take(Ok(vec![layer::text_value(key, text, origin)]));
        }

        // Later layers come later in `raws`: the last value of a key wins.
        let mut winners: BTreeMap<&str, &Raw> = BTreeMap::new();
        for raw in &raws {
            if fields.iter().any(|f| f.key == raw.key) {
                winners.insert(&raw.key, raw);
            } else {
                problems.push(SettingError::UnknownKey {
                    key: raw.key.clone(),
                    at: raw.origin.clone(),
                    suggestion: nearest(&raw.key, fields.iter().map(|f| f.key)),
                });
            }
        }

        let mut settings = T::default();
        let mut entries = Vec::with_capacity(fields.len());
        for field in &fields {
            let origin = match winners.get(field.key) {
                None => Origin::Default,
                Some(raw) => match set_raw(&mut settings, raw) {
                    Ok(()) => raw.origin.clone(),
                    Err(detail) => {
                        problems.push(wrong_type(field, raw, detail));
                        continue;
                    }
                },
            };
            entries.push(Entry {
                field: *field,
                value: settings.get(field.key),
                origin,
            });
        }
        if !problems.is_empty() {
            return Err(LoadError::new(problems));
        }
        Ok(Loaded::new(settings, entries, self.clone()))
    }

    /// The declared keys' variables, from the given environment or the
    /// process's.
    fn read_env<'a>(&self, keys: impl Iterator<Item = &'a str>) -> Vec<Raw> {
        let prefix = self.prefix();
        let lookup = |var: &str| match &self.env {
            Some(vars) => vars.iter().rev().find(|(k, _)| k == var).map(|(_, v)| v.clone()),
            // A variable that is not Unicode cannot be a setting's text;
            // it is treated as unset rather than mangled.
            None => std::env::var(var).ok(),
        };
        keys.filter_map(|key| {
            let var = layer::env_var(prefix, key);
            let text = lookup(&var)?;
            Some(layer::text_value(key, &text, Origin::Env { var }))
        })
        .collect()
    }
}

/// Sets one value; a value given as text that does not fit as TOML is
/// tried as the string itself (`GREENLINE_NAME=8080` for a `String`).
fn set_raw<T: Settings>(settings: &mut T, raw: &Raw) -> Result<(), String> {
    let first = match settings.set(&raw.key, raw.value.clone()) {
        Ok(_) => return Ok(()),
        Err(error) => error.message().to_string(),
    };
    match &raw.text {
        Some(text) if !matches!(raw.value, Value::String(_)) => {
            match settings.set(&raw.key, Value::String(text.clone())) {
                Ok(_) => Ok(()),
                Err(_) => Err(first),
            }
        }
        _ => Err(first),
    }
}

/// The wrong-type problem for `raw`, with serde's words kept only when
/// they say more than "expected, found".
fn wrong_type(field: &super::Field, raw: &Raw, detail: String) -> SettingError {
    let plain = detail.starts_with("invalid type:");
    SettingError::WrongType {
        key: field.key,
        expected: field.type_display(),
        found: format!("{} {}", raw.value.type_str(), raw.value),
        detail: (!plain).then_some(detail),
        at: raw.origin.clone(),
    }
}
