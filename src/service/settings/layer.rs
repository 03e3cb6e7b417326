//! Reading one layer into raw values: a key, a TOML value and its origin,
//! not yet checked against the settings' types.

use std::path::Path;

use toml::de::DeTable;
use toml::{Table, Value};

use super::error::SettingError;
use super::origin::{line_column, Origin};

/// A value as a layer gave it.
#[derive(Clone, Debug)]
pub(crate) struct Raw {
    /// The key as written.
    pub key: String,
    /// The value, parsed as TOML.
    pub value: Value,
    /// For text from the environment or a flag: the text itself, tried as a
    /// string when the parsed value does not fit the setting's type.
    pub text: Option<String>,
    /// Where it came from.
    pub origin: Origin,
}

/// Reads a TOML document's top-level keys; `place(line)` names where each
/// is (a file, a `-X` argument).
pub(crate) fn parse_document(
    text: &str,
    place: impl Fn(usize) -> Origin,
) -> Result<Vec<Raw>, Box<SettingError>> {
    let syntax = |error: toml::de::Error| {
        let (line, column) = line_column(text, error.span().map_or(0, |s| s.start));
        Box::new(SettingError::Syntax {
            at: place(line),
            column,
            message: one_line(error.message()),
        })
    };
    // The spanned parse gives each key's line; the plain one the values.
    // Both read the same text, so they agree on what is there.
    let spans = DeTable::parse(text).map_err(syntax)?;
    let table: Table = text.parse().map_err(syntax)?;
    let mut raws = Vec::with_capacity(table.len());
    for (key, value) in table {
        let offset = spans
            .get_ref()
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key.as_str())
            .map_or(0, |(k, _)| k.span().start);
        let (line, _) = line_column(text, offset);
        raws.push(Raw {
            key,
            value,
            text: None,
            origin: place(line),
        });
    }
    // The file's order, so problems are reported top to bottom.
    raws.sort_by_key(|raw| match raw.origin {
        Origin::File { line, .. } | Origin::Override { line, .. } => line,
        _ => 0,
    });
    Ok(raws)
}

/// Reads the configuration file.
pub(crate) fn read_file(path: &Path) -> Result<Vec<Raw>, Box<SettingError>> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        Box::new(SettingError::Read {
            path: path.to_path_buf(),
            override_index: None,
            error,
        })
    })?;
    parse_document(&text, |line| Origin::File {
        path: path.to_path_buf(),
        line,
    })
}

/// Reads the `index`th `-X` argument (from 1): a snippet when it holds an
/// `=`, else the path of a file.
pub(crate) fn read_override(index: usize, arg: &str) -> Result<Vec<Raw>, Box<SettingError>> {
    if arg.contains('=') {
        return parse_document(arg, |line| Origin::Override {
            index,
            arg: arg.to_string(),
            path: None,
            line,
        });
    }
    let path = Path::new(arg);
    let text = std::fs::read_to_string(path).map_err(|error| {
        Box::new(SettingError::Read {
            path: path.to_path_buf(),
            override_index: Some(index),
            error,
        })
    })?;
    parse_document(&text, |line| Origin::Override {
        index,
        arg: arg.to_string(),
        path: Some(path.to_path_buf()),
        line,
    })
}

/// A value given as text (a variable, a flag): TOML when it reads as one
/// value, else the string itself.
pub(crate) fn text_value(key: &str, text: &str, origin: Origin) -> Raw {
    let value = text
        .parse::<Value>()
        .unwrap_or_else(|_| Value::String(text.to_string()));
    Raw {
        key: key.to_string(),
        value,
        text: Some(text.to_string()),
        origin,
    }
}

/// The environment variable for `key`: the prefix, then the key in upper
/// case (`GREENLINE_HTTP_PORT`).
pub(crate) fn env_var(prefix: &str, key: &str) -> String {
    format!("{prefix}{}", key.to_ascii_uppercase())
}

/// A parser message on one line: its lines joined by "; ".
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_their_lines() {
        let text = "# comment\n\nhttp_port = 8080\n[db]\nhost = \"x\"\n";
        let raws = parse_document(text, |line| Origin::File {
            path: "a.toml".into(),
            line,
        })
        .unwrap();
        let lines: Vec<_> = raws
            .iter()
            .map(|r| (r.key.as_str(), r.origin.to_string()))
            .collect();
        assert_eq!(
            lines,
            [
                ("http_port", "a.toml:3".to_string()),
                ("db", "a.toml:4".to_string())
            ]
        );
    }

    #[test]
    fn text_reads_as_toml_or_as_a_string() {
        let origin = Origin::Env { var: "V".into() };
        assert_eq!(
            text_value("k", "8080", origin.clone()).value,
            Value::Integer(8080)
        );
        assert_eq!(
            text_value("k", "true", origin.clone()).value,
            Value::Boolean(true)
        );
        assert_eq!(
            text_value("k", "127.0.0.1:1234", origin.clone()).value,
            Value::String("127.0.0.1:1234".into())
        );
        assert_eq!(
            text_value("k", "\"quoted\"", origin).value,
            Value::String("quoted".into())
        );
    }
}
