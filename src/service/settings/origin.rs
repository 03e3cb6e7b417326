//! Where a setting's value came from: the layer, and the place in it.

use std::fmt;
use std::path::PathBuf;

/// The layer a setting's value came from, and the place inside it.
///
/// Every value a [`Loaded`](super::Loaded) holds carries one, so
/// `config show` can say why a value is what it is, and every
/// [`SettingError`](super::SettingError) names the place of its cause.
/// Lines are 1-based.
///
/// # Examples
///
/// ```
/// use greenline::service::settings::Origin;
///
/// let origin = Origin::File { path: "example.toml".into(), line: 5 };
/// assert_eq!(origin.to_string(), "example.toml:5");
/// let origin = Origin::Env { var: "GREENLINE_HTTP_PORT".into() };
/// assert_eq!(origin.to_string(), "environment variable GREENLINE_HTTP_PORT");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// The default declared with the setting.
    Default,
    /// The configuration file (`-C`), at a line.
    File {
        /// The file as it was named.
        path: PathBuf,
        /// The line of the key (of the table header, for a `[table]`).
        line: usize,
    },
    /// An environment variable (`GREENLINE_HTTP_PORT`).
    Env {
        /// The variable's name.
        var: String,
    },
    /// A `-X` override: a TOML snippet, or a file it named.
    Override {
        /// The override's position among the `-X` arguments, from 1.
        index: usize,
        /// The argument as given: the snippet, or the file's name.
        arg: String,
        /// The file the argument named; `None` for a snippet.
        path: Option<PathBuf>,
        /// The line in the snippet or the file.
        line: usize,
    },
    /// A command-line flag the program passed in.
    Flag {
        /// The setting's key; the flag is shown as `--key-with-dashes`.
        key: String,
    },
}

impl Origin {
    /// The layer's name, one word: `default`, `file`, `env`, `override`,
    /// `flag`.
    pub fn layer(&self) -> &'static str {
        match self {
            Origin::Default => "default",
            Origin::File { .. } => "file",
            Origin::Env { .. } => "env",
            Origin::Override { .. } => "override",
            Origin::Flag { .. } => "flag",
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Env { var } => write!(f, "environment variable {var}"),
            // A file override reads like a file place; a snippet shows the
            // line of it that set the value, so a long snippet stays short.
            Origin::Override {
                index,
                path: Some(path),
                line,
                ..
            } => write!(f, "-X #{index} {}:{line}", path.display()),
            Origin::Override {
                index, arg, line, ..
            } => {
                let text = arg.lines().nth(line.saturating_sub(1)).unwrap_or(arg);
                write!(f, "-X #{index} `{}`", text.trim())
            }
            Origin::Flag { key } => write!(f, "flag --{}", key.replace('_', "-")),
        }
    }
}

/// The 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    // Columns count characters, as an editor shows them.
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 9), (2, 4));
        assert_eq!(line_column(text, 100), (3, 1));
    }

    #[test]
    fn origins_render_their_place() {
        let snippet = Origin::Override {
            index: 2,
            arg: "a = 1\nhttp_port = 7070".into(),
            path: None,
            line: 2,
        };
        assert_eq!(snippet.to_string(), "-X #2 `http_port = 7070`");
        let file = Origin::Override {
            index: 1,
            arg: "extra.toml".into(),
            path: Some("extra.toml".into()),
            line: 3,
        };
        assert_eq!(file.to_string(), "-X #1 extra.toml:3");
        let flag = Origin::Flag {
            key: "http_port".into(),
        };
        assert_eq!(flag.to_string(), "flag --http-port");
    }
}
