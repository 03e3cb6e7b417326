//! Typed settings read from layers, each value knowing where it came from.
//!
//! An application declares its settings on its own struct with
//! [`settings!`](crate::settings), a default and a doc line per field, and
//! loads them through [`Sources`], which reads the layers; later wins:
//!
//! ```text
//! defaults < config file (-C) < environment < -X overrides < flags
//! ```
//!
//! * the file: TOML, one key per setting (`http_port = 8080`);
//! * the environment: `GREENLINE_HTTP_PORT` (the prefix is the
//!   application's choice), its text read as a TOML value (`8080`, `true`,
//!   `[1, 2]`) and as a plain string when that is not TOML or not of the
//!   setting's type (`127.0.0.1:1234`); variables for keys not declared are
//!   ignored, since the prefix is shared with greenline's own variables;
//! * `-X` overrides: each argument a TOML snippet (`http_port = 7070`) when
//!   it holds an `=`, else the path of a TOML file; later ones win;
//! * flags: key and value pairs a command line passes in, read as the
//!   environment's are.
//!
//! A later value replaces an earlier one, but for a table, which is merged
//! key by key onto the one before (the first onto the default), so
//! `-X 'backend.port = 2'` keeps the file's `backend.host`; its origin is
//! the last layer that wrote into it. Arrays are replaced whole.
//!
//! Loading is all or nothing: [`Sources::load`] returns a [`Loaded`] (the
//! settings, and each value's [`Origin`]) or a [`LoadError`] listing every
//! problem, one line each (a syntax error's file, line and column; an
//! unknown key's place and the nearest declared key; a wrong type's key,
//! expected and found). It changes nothing: a reload is a second load, then
//! [`diff`] against the settings in force, then the caller's choice to
//! swap, so a broken file never replaces working settings.
//!
//! # Examples
//!
//! ```
//! use greenline::service::settings::{Sources, Origin};
//!
//! greenline::settings! {
//!     /// The talk's application.
//!     #[derive(Debug)]
//!     pub struct AppSettings {
//!         /// The HTTP server's port.
//!         pub http_port: u16 = 8080,
//!         /// Where the client connects.
//!         pub connect_address: String = "127.0.0.1:1234".to_string(),
//!     }
//! }
//!
//! let loaded = Sources::new()
//!     .env_vars([("GREENLINE_CONNECT_ADDRESS", "10.0.0.1:1234")])
//!     .override_arg("http_port = 7070")
//!     .load::<AppSettings>()
//!     .unwrap();
//! assert_eq!(loaded.http_port, 7070);
//! assert_eq!(loaded.connect_address, "10.0.0.1:1234");
//! assert_eq!(loaded.origin("http_port").unwrap().to_string(), "-X #1 `http_port = 7070`");
//! ```

mod declare;
mod diff;
mod error;
mod layer;
mod load;
mod loaded;
mod origin;
mod sources;
mod template;

pub use diff::{diff, Change};
pub use error::{LoadError, SettingError};
pub use loaded::{Entry, Loaded};
pub use origin::Origin;
pub use sources::Sources;
pub use template::template;

/// serde, re-exported for the code [`settings!`](crate::settings)
/// generates, and for an application's nested setting tables:
/// `#[derive(greenline::service::settings::serde::Deserialize)]` with
/// `#[serde(crate = "greenline::service::settings::serde")]`.
pub use serde;
/// The toml crate, re-exported: [`Settings`] speaks in `toml::Value`s.
pub use toml;

/// A struct of settings: what [`settings!`](crate::settings) implements.
///
/// The loader sees a settings type through this trait only: the declared
/// keys with their docs and types, and a value's way in and out as TOML.
/// A pair `(A, B)` is settings too, its keys those of both (a key both
/// declare is set in both), so a command can load its own settings (a
/// pidfile) beside the application's from the same file.
pub trait Settings: Default {
    /// Every declared setting, in declaration order.
    fn fields() -> Vec<Field>;

    /// Sets `key` from a TOML value.
    ///
    /// Returns `Ok(false)` for a key not declared, and leaves the setting
    /// as it was when the value does not fit its type.
    ///
    /// # Errors
    ///
    /// The deserializer's error when the value does not fit the type.
    fn set(&mut self, key: &str, value: toml::Value) -> Result<bool, toml::de::Error>;

    /// The value of `key` as TOML; `None` for a key not declared, or a
    /// value TOML cannot hold (an `Option` that is `None`).
    fn get(&self, key: &str) -> Option<toml::Value>;
}

/// One declared setting: its key, doc and type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// The key, as written in a file (`http_port`).
    pub key: &'static str,
    /// The doc comment's lines, each ending in a newline.
    pub doc: &'static str,
    /// The type as declared, as `stringify!` wrote it.
    pub type_name: &'static str,
}

impl Field {
    /// The declared type with `stringify!`'s spacing removed:
    /// `Option<String>`, `Vec<u16>`.
    pub fn type_display(&self) -> String {
        let mut out = String::with_capacity(self.type_name.len());
        for c in self.type_name.chars() {
            if c == ' ' && !out.ends_with(',') {
                continue;
            }
            out.push(c);
        }
        out
    }

    /// The doc as one line: its lines joined by spaces.
    pub fn summary(&self) -> String {
        self.doc.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

impl<A: Settings, B: Settings> Settings for (A, B) {
    fn fields() -> Vec<Field> {
        let mut fields = A::fields();
        for field in B::fields() {
            if !fields.iter().any(|f| f.key == field.key) {
                fields.push(field);
            }
        }
        fields
    }

    fn set(&mut self, key: &str, value: toml::Value) -> Result<bool, toml::de::Error> {
        let in_a = A::fields().iter().any(|f| f.key == key);
        let in_b = B::fields().iter().any(|f| f.key == key);
        match (in_a, in_b) {
            (false, false) => Ok(false),
            (true, false) => self.0.set(key, value),
            (false, true) => self.1.set(key, value),
            (true, true) => {
                // Try A on a scratch value first, so that a value only B
                // accepts changes neither.
                A::default().set(key, value.clone())?;
                self.1.set(key, value.clone())?;
                self.0.set(key, value)
            }
        }
    }

    fn get(&self, key: &str) -> Option<toml::Value> {
        self.0.get(key).or_else(|| self.1.get(key))
    }
}
