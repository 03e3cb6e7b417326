//! `settings!`: a struct of settings, each with a doc line and a default.
//!
//! serde's derive alone gives neither the docs nor the defaults a template
//! needs, so the macro writes the struct and, from the same declaration,
//! `Default`, `Settings` (keys, docs, types; a value in and out as TOML),
//! and `Serialize`/`Deserialize` by hand. The hand-written serde impls name
//! serde through `$crate`, where a derive would need the application to
//! depend on serde itself (`#[serde(crate = ...)]` takes a string, and
//! `$crate` does not expand inside one).

/// Declares a struct of settings: a doc comment and a default per field.
///
/// Generates the struct (its own attributes, such as `#[derive(Debug,
/// Clone)]`, are kept), `Default` from the declared defaults,
/// [`Settings`](crate::service::settings::Settings) (the keys, docs and
/// types, for templates, `config show` and the loader), and serde's
/// `Serialize` and `Deserialize` (a missing key takes its default, an
/// unknown key is an error). A field's type may be any type serde reads
/// from TOML: numbers, `bool`, `String`, `PathBuf`, `Vec`s, `Option`s
/// (`None` by default: left out of files), or a table type of the
/// application's own that derives `Deserialize` and `Serialize`.
///
/// # Examples
///
/// ```
/// use greenline::service::settings::{template, Settings};
///
/// greenline::settings! {
///     /// The talk's example.
///     #[derive(Debug, Clone, PartialEq)]
///     pub struct Example {
///         /// The HTTP server's port.
///         pub http_port: u16 = 8080,
///         /// The pidfile, written by `greenline start`.
///         pub pidfile: String = "example.pid".into(),
///         /// A logfile, when there is one.
///         pub logfile: Option<String> = None,
///     }
/// }
///
/// assert_eq!(Example::default().http_port, 8080);
/// let keys: Vec<_> = Example::fields().iter().map(|f| f.key).collect();
/// assert_eq!(keys, ["http_port", "pidfile", "logfile"]);
/// assert!(template::<Example>().contains("# type: u16\nhttp_port = 8080\n"));
/// ```
#[macro_export]
macro_rules! settings {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $field_vis:vis $field:ident : $ty:ty = $default:expr
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $(
                $(#[doc = $doc])*
                $field_vis $field: $ty,
            )*
        }

        impl ::core::default::Default for $name {
            fn default() -> Self {
                $name { $( $field: $default, )* }
            }
        }

        impl $crate::service::settings::Settings for $name {
            fn fields() -> ::std::vec::Vec<$crate::service::settings::Field> {
                ::std::vec![$(
                    $crate::service::settings::Field {
                        key: ::core::stringify!($field),
                        doc: ::core::concat!($($doc, "\n",)*),
                        type_name: ::core::stringify!($ty),
                    },
                )*]
            }

            fn set(
                &mut self,
                key: &str,
                value: $crate::service::settings::toml::Value,
            ) -> ::core::result::Result<bool, $crate::service::settings::toml::de::Error> {
                match key {
                    $(::core::stringify!($field) => {
                        self.$field = <$ty as $crate::service::settings::serde::Deserialize>
                            ::deserialize(value)?;
                        ::core::result::Result::Ok(true)
                    })*
                    _ => ::core::result::Result::Ok(false),
                }
            }

            fn get(&self, key: &str) -> ::core::option::Option<$crate::service::settings::toml::Value> {
                match key {
                    $(::core::stringify!($field) =>
                        $crate::service::settings::toml::Value::try_from(&self.$field).ok(),)*
                    _ => ::core::option::Option::None,
                }
            }
        }

        impl $crate::service::settings::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: $crate::service::settings::serde::Serializer,
            {
                use $crate::service::settings::serde::ser::SerializeStruct as _;
                let keys: &[&str] = &[$(::core::stringify!($field)),*];
                let mut out = serializer.serialize_struct(::core::stringify!($name), keys.len())?;
                $( out.serialize_field(::core::stringify!($field), &self.$field)?; )*
                out.end()
            }
        }

        impl<'de> $crate::service::settings::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: $crate::service::settings::serde::Deserializer<'de>,
            {
                use $crate::service::settings::serde::de;
                const KEYS: &[&str] = &[$(::core::stringify!($field)),*];
                struct Visit;
                impl<'de> de::Visitor<'de> for Visit {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(::core::concat!("a table of ", ::core::stringify!($name)))
                    }
                    fn visit_map<M>(self, mut map: M) -> ::core::result::Result<$name, M::Error>
                    where
                        M: de::MapAccess<'de>,
                    {
                        let mut out = <$name as ::core::default::Default>::default();
                        while let ::core::option::Option::Some(key) =
                            map.next_key::<::std::string::String>()?
                        {
                            match key.as_str() {
                                $(::core::stringify!($field) => out.$field = map.next_value()?,)*
                                _ => return ::core::result::Result::Err(
                                    <M::Error as de::Error>::unknown_field(&key, KEYS),
                                ),
                            }
                        }
                        ::core::result::Result::Ok(out)
                    }
                }
                deserializer.deserialize_struct(::core::stringify!($name), KEYS, Visit)
            }
        }
    };
}
