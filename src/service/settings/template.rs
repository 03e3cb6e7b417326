//! A commented TOML file of every setting with its doc and default.

use std::fmt::Write as _;

use super::loaded::inline;
use super::Settings;

/// A TOML file of every setting `T` declares: its doc as comments, its
/// type, and the setting at its default (for `config template`).
///
/// The file parses back to the defaults. A setting TOML cannot write at its
/// default (an `Option` that is `None`) is a commented-out line, so it
/// stays unset.
///
/// # Examples
///
/// ```
/// use greenline::service::settings::{template, Sources};
///
/// greenline::settings! {
///     /// The talk's ports.
///     pub struct Ports {
///         /// The HTTP server's port.
///         pub http_port: u16 = 8080,
///         /// The user to run as, if any.
///         pub user: Option<String> = None,
///     }
/// }
///
/// let text = template::<Ports>();
/// let lines: Vec<&str> = text.lines().collect();
/// assert_eq!(lines, [
///     "# The HTTP server's port.",
///     "# type: u16",
///     "http_port = 8080",
///     "",
///     "# The user to run as, if any.",
///     "# type: Option<String>",
///     "# user = (unset)",
/// ]);
/// ```
pub fn template<T: Settings>() -> String {
    let defaults = T::default();
    let mut out = String::new();
    for (i, field) in T::fields().iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for line in field.doc.lines() {
            // A doc comment's text starts with the space after `///`.
            let line = line.strip_prefix(' ').unwrap_or(line);
            if line.is_empty() {
                out.push_str("#\n");
            } else {
                let _ = writeln!(out, "# {line}");
            }
        }
        let _ = writeln!(out, "# type: {}", field.type_display());
        match defaults.get(field.key) {
            Some(value) => {
                let _ = writeln!(out, "{} = {}", field.key, inline(&value));
            }
            None => {
                let _ = writeln!(out, "# {} = (unset)", field.key);
            }
        }
    }
    out
}
