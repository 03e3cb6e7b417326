//! The header fields of a parsed request.

use std::ops::Range;

use bytes::Bytes;

/// The header fields of a request, in the order received.
///
/// Names are compared ASCII case-insensitively (RFC 9110 §5.1: "Field names
/// are case-insensitive"). Values are raw bytes with surrounding whitespace
/// removed; a field repeated on several lines stays several entries, read
/// them with [`Headers::get_all`]. The storage is the request head's own
/// buffer, so cloning is cheap and nothing is copied per field.
#[derive(Clone, Debug, Default)]
pub struct Headers {
    /// The bytes of the whole head; `fields` index into it.
    buf: Bytes,
    /// One entry per field line, in order.
    fields: Vec<Field>,
}

/// Where one field line's name and value sit in `Headers::buf`.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub(crate) name: Range<usize>,
    pub(crate) value: Range<usize>,
}

impl Headers {
    /// Builds headers over `buf`; the parser guarantees names are tokens.
    pub(crate) fn new(buf: Bytes, fields: Vec<Field>) -> Headers {
        Headers { buf, fields }
    }

    /// The whole head's bytes, which the fields index into.
    pub(crate) fn buf(&self) -> &Bytes {
        &self.buf
    }

    /// Gives back the field index, emptied, for the next head to reuse.
    pub(crate) fn into_fields(self) -> Vec<Field> {
        let mut fields = self.fields;
        fields.clear();
        fields
    }

    /// The number of field lines.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are no field lines.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The value of the first field named `name` (any case), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenline::http::proto::{Limits, RequestHead};
    /// let raw = b"GET / HTTP/1.1\r\nHost: a\r\nX-Id: 7\r\n\r\n";
    /// let (head, _) = RequestHead::parse(raw, &Limits::default()).unwrap().unwrap();
    /// assert_eq!(head.headers().get("x-id"), Some(&b"7"[..]));
    /// ```
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|f| self.buf[f.name.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(|f| &self.buf[f.value.clone()])
    }

    /// The value of the first field named `name` as text, if it is UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Whether a field named `name` (any case) is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The values of every field line named `name` (any case), in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields
            .iter()
            .filter(move |f| self.buf[f.name.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(move |f| &self.buf[f.value.clone()])
    }

    /// Every field line as `(name, value)`, in the order received, names in
    /// the case the client sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.fields.iter().map(move |f| {
            // Names passed httparse's token check, so they are ASCII and this
            // never falls back to "".
            let name = std::str::from_utf8(&self.buf[f.name.clone()]).unwrap_or_default();
            (name, &self.buf[f.value.clone()])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Headers {
        let buf = Bytes::from_static(b"Accept: a\r\nX-A: 1\r\nACCEPT: b\r\n");
        Headers::new(
            buf,
            vec![
                Field {
                    name: 0..6,
                    value: 8..9,
                },
                Field {
                    name: 11..14,
                    value: 16..17,
                },
                Field {
                    name: 19..25,
                    value: 27..28,
                },
            ],
        )
    }

    #[test]
    fn lookup_is_case_insensitive_and_ordered() {
        let h = sample();
        assert_eq!(h.len(), 3);
        assert_eq!(h.get("accept"), Some(&b"a"[..]));
        assert_eq!(h.get_str("x-a"), Some("1"));
        assert!(h.contains("X-a"));
        assert!(!h.contains("host"));
        let all: Vec<&[u8]> = h.get_all("Accept").collect();
        assert_eq!(all, vec![&b"a"[..], &b"b"[..]]);
        let names: Vec<&str> = h.iter().map(|(n, _)| n).collect();
        assert_eq!(names, vec!["Accept", "X-A", "ACCEPT"]);
    }
}
