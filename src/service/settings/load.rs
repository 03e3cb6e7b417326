//! The load: reads every layer, merges them (later wins) and checks the
//! result against the settings' keys and types, all before anything is
//! applied.

use std::collections::BTreeMap;

use toml::Value;

use super::error::{nearest, LoadError, SettingError};
use super::layer::{self, Raw};
use super::loaded::{Entry, Loaded};
use super::origin::Origin;
use super::sources::Sources;
use super::{Field, Settings};

impl Sources {
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
fn wrong_type(field: &Field, raw: &Raw, detail: String) -> SettingError {
    let plain = detail.starts_with("invalid type:");
    SettingError::WrongType {
        key: field.key,
        expected: field.type_display(),
        found: format!("{} {}", raw.value.type_str(), raw.value),
        detail: (!plain).then_some(detail),
        at: raw.origin.clone(),
    }
}
