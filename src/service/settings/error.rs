//! What can be wrong with a configuration, each one line naming the cause
//! and the place.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::origin::Origin;

/// One problem found while loading settings.
///
/// Each variant's `Display` is one line naming the cause and the place
/// ([`Origin`]), so a command can print it as it is. Every variant is a
/// configuration error: a command maps all of them to exit status 2.
#[derive(Debug)]
#[non_exhaustive]
pub enum SettingError {
    /// A file (the configuration file, or one a `-X` names) could not be
    /// read.
    Read {
        /// The file as it was named.
        path: PathBuf,
        /// The `-X` argument's position (from 1) when an override named it.
        override_index: Option<usize>,
        /// Why it could not be read.
        error: io::Error,
    },
    /// The file or snippet is not valid TOML.
    Syntax {
        /// The file or `-X` argument, with the line of the error.
        at: Origin,
        /// The column of the error, from 1.
        column: usize,
        /// The TOML parser's description, on one line.
        message: String,
    },
    /// A key no declared setting has.
    UnknownKey {
        /// The key as written.
        key: String,
        /// Where it was written.
        at: Origin,
        /// The declared key nearest to it by edit distance, when one is
        /// near enough to be a likely typo.
        suggestion: Option<&'static str>,
    },
    /// A value the setting's type does not accept.
    WrongType {
        /// The setting's key.
        key: &'static str,
        /// The setting's declared type (`u16`, `String`).
        expected: String,
        /// The value found, with its TOML type (`string "eighty"`).
        found: String,
        /// serde's own words, when they add to "expected, found" (a missing
        /// field in a table, a number out of range).
        detail: Option<String>,
        /// Where the value came from.
        at: Origin,
    },
}

impl SettingError {
    /// Where the cause is.
    pub fn origin(&self) -> Option<&Origin> {
        match self {
            SettingError::Read { .. } => None,
            SettingError::Syntax { at, .. }
            | SettingError::UnknownKey { at, .. }
            | SettingError::WrongType { at, .. } => Some(at),
        }
    }
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingError::Read {
                path,
                override_index: None,
                error,
            } => write!(f, "cannot read config file {}: {error}", path.display()),
            SettingError::Read {
                path,
                override_index: Some(index),
                error,
            } => write!(
                f,
                "cannot read -X #{index} file {}: {error}",
                path.display()
            ),
            SettingError::Syntax {
                at,
                column,
                message,
            } => write!(f, "TOML syntax error at {at}, column {column}: {message}"),
            SettingError::UnknownKey {
                key,
                at,
                suggestion,
            } => {
                write!(f, "unknown setting `{key}` at {at}")?;
                match suggestion {
                    Some(near) => write!(f, "; did you mean `{near}`?"),
                    None => Ok(()),
                }
            }
            SettingError::WrongType {
                key,
                expected,
                found,
                detail,
                at,
            } => {
                write!(
                    f,
                    "wrong type for setting `{key}` at {at}: expected {expected}, found {found}"
                )?;
                match detail {
                    Some(detail) => write!(f, " ({detail})"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for SettingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SettingError::Read { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Why settings could not be loaded: every problem found, in the order of
/// the layers (file, environment, overrides, flags), never empty.
///
/// `Display` writes one problem a line. Nothing was applied: whoever held
/// settings before still holds them.
#[derive(Debug)]
pub struct LoadError {
    problems: Vec<SettingError>,
}

impl LoadError {
    /// Wraps a non-empty list of problems.
    pub(crate) fn new(problems: Vec<SettingError>) -> LoadError {
        debug_assert!(!problems.is_empty());
        LoadError { problems }
    }

    /// The first problem, the one to show when there is room for one line.
    pub fn first(&self) -> &SettingError {
        &self.problems[0]
    }

    /// Every problem found.
    pub fn problems(&self) -> &[SettingError] {
        &self.problems
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.first())
    }
}

/// The key among `known` nearest to `key` by edit distance, when it is near
/// enough to be a typo: at most a third of the longer key's length, and at
/// least one edit allowed.
pub(crate) fn nearest<'a>(key: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for candidate in known {
        let distance = edit_distance(key, candidate);
        let limit = (key.chars().count().max(candidate.chars().count()) / 3).max(1);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Levenshtein distance (insertions, deletions, substitutions) over
/// characters, one row at a time.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        for (a, b, d) in [
            ("", "", 0),
            ("abc", "", 3),
            ("htp_port", "http_port", 1),
            ("tcp_prot", "tcp_port", 2),
            ("kitten", "sitting", 3),
        ] {
            assert_eq!(edit_distance(a, b), d, "{a} / {b}");
            assert_eq!(edit_distance(b, a), d, "{b} / {a}");
        }
    }

    #[test]
    fn nearest_suggests_only_likely_typos() {
        let known = ["http_port", "tcp_port", "pidfile"];
        assert_eq!(nearest("htp_port", known), Some("http_port"));
        assert_eq!(nearest("tcp_prot", known), Some("tcp_port"));
        assert_eq!(nearest("pidfle", known), Some("pidfile"));
        assert_eq!(nearest("colour", known), None);
        assert_eq!(nearest("x", known), None);
    }
}
