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
        let mut take = |layer: Result<Vec<Raw>, Box<SettingError>>| match layer {
            Ok(found) => raws.extend(found),
            Err(problem) => problems.push(*problem),
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

        // Later layers come later in `raws`: the last value of a key wins,
        // but a table is merged key by key onto the one before it (and the
        // first onto the default's), so `-X 'backend.port = 2'` changes the
        // port and keeps the host.
        let mut settings = T::default();
        let mut winners: BTreeMap<String, Raw> = BTreeMap::new();
        for mut raw in raws {
            if !fields.iter().any(|f| f.key == raw.key) {
                problems.push(SettingError::UnknownKey {
                    suggestion: nearest(&raw.key, fields.iter().map(|f| f.key)),
                    key: raw.key,
                    at: raw.origin,
                });
                continue;
            }
            if let Value::Table(table) = &mut raw.value {
                let before = match winners.get(&raw.key) {
                    Some(previous) => Some(previous.value.clone()),
                    None => settings.get(&raw.key),
                };
                if let Some(Value::Table(mut base)) = before {
                    merge(&mut base, std::mem::take(table));
                    *table = base;
                }
            }
            winners.insert(raw.key.clone(), raw);
        }

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
            Some(vars) => vars
                .iter()
                .rev()
                .find(|(k, _)| k == var)
                .map(|(_, v)| v.clone()),
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

/// The wrong-type problem for `raw`. serde's words are kept when they say
/// more than "expected, found": for a table or an array (which field or
/// item is wrong), and for a value of the right kind that does not fit (a
/// number out of range).
fn wrong_type(field: &Field, raw: &Raw, detail: String) -> SettingError {
    let scalar = !matches!(raw.value, Value::Table(_) | Value::Array(_));
    let plain = scalar && detail.starts_with("invalid type:");
    SettingError::WrongType {
        key: field.key,
        expected: field.type_display(),
        found: format!("{} {}", raw.value.type_str(), raw.value),
        detail: (!plain).then_some(detail),
        at: raw.origin.clone(),
    }
}

/// Merges `over` into `base`: a key in both that holds a table in both is
/// merged in turn, any other key of `over` replaces `base`'s.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(inner)), Value::Table(value)) => merge(inner, value),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}
