//! Connection metadata: the property list carried by READY.
//!
//! RFC 23 §"The NULL Security Mechanism":
//!
//! ```text
//! metadata = *property
//! property = name value
//! name = short-size 1*255name-char
//! value = 4OCTET *OCTET       ; Size in network byte order
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{escape, CodecError};
use super::socket_type::SocketType;

/// The property naming the sender's socket type, spelled as libzmq compares
/// it (case-sensitively, although the RFC says names are case-insensitive).
pub const SOCKET_TYPE: &str = "Socket-Type";
/// The property carrying the sender's routing identity.
pub const IDENTITY: &str = "Identity";

/// An ordered list of metadata properties (name, value), as sent in READY.
///
/// Names keep the case they were given or received in; lookups ignore case
/// ("The case (upper or lower) of names SHALL NOT be significant"). Unknown
/// properties are kept so the socket layer can expose them (`X-` names are
/// application metadata).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    /// Properties in wire order; duplicates are kept.
    properties: Vec<(Bytes, Bytes)>,
}

impl Metadata {
    /// An empty property list.
    pub fn new() -> Metadata {
        Metadata::default()
    }

    /// The properties a socket announces in its READY: `Socket-Type`, then
    /// `Identity` for the types libzmq sends it for (REQ, DEALER, ROUTER),
    /// empty when `identity` is `None`.
    pub fn for_socket(socket_type: SocketType, identity: Option<Bytes>) -> Metadata {
        let mut metadata = Metadata::new();
        metadata.push(
            SOCKET_TYPE,
            Bytes::from_static(socket_type.as_str().as_bytes()),
        );
        if socket_type.sends_identity() {
            metadata.push(IDENTITY, identity.unwrap_or_default());
        }
        metadata
    }

    /// Appends a property, keeping the exact case of `name`.
    ///
    /// # Panics
    ///
    /// If `name` is empty or longer than 255 octets, or `value` is longer than
    /// 2^31-1 octets: the grammar cannot carry them.
    pub fn push(&mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) {
        let (name, value) = (name.into(), value.into());
        assert!(
            (1..=255).contains(&name.len()),
            "metadata name must be 1 to 255 octets"
        );
        assert!(
            value.len() <= i32::MAX as usize,
            "metadata value must be under 2^31 octets"
        );
        self.properties.push((name, value));
    }

    /// The value of the first property called `name`, compared without case.
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// The properties in order, as (name, value).
    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &Bytes)> + '_ {
        self.properties.iter().map(|(n, v)| (n, v))
    }

    /// The peer's socket type, or `None` if it sent no `Socket-Type`
    /// ("The sender SHOULD specify the Socket-Type": libzmq always does).
    ///
    /// # Errors
    ///
    /// [`CodecError::UnknownSocketType`] if the value is not one of the eleven
    /// RFC 23 names.
    pub fn socket_type(&self) -> Result<Option<SocketType>, CodecError> {
        let Some(name) = self.get(SOCKET_TYPE) else {
            return Ok(None);
        };
        match SocketType::from_name(name) {
            Some(socket_type) => Ok(Some(socket_type)),
            None => Err(CodecError::UnknownSocketType { name: escape(name) }),
        }
    }

    /// The peer's `Identity`, if it sent one (possibly empty).
    pub fn identity(&self) -> Option<&Bytes> {
        self.get(IDENTITY)
    }

    /// Parses a property list, slicing names and values out of `data`
    /// without copying.
    ///
    /// Property names are not checked against `name-char`, and values are
    /// opaque, as in libzmq's `parse_metadata`.
    ///
    /// # Errors
    ///
    /// [`CodecError::MalformedMetadata`] if a name is empty ("Zero-sized names
    /// are not valid") or a name or value runs past the end of `data`.
    pub fn parse(data: &Bytes) -> Result<Metadata, CodecError> {
        let mut properties = Vec::new();
        let mut at = 0;
        while at < data.len() {
            let name_len = usize::from(data[at]);
            at += 1;
            if name_len == 0 || data.len() - at < name_len + 4 {
                return Err(CodecError::MalformedMetadata);
            }
            let name = data.slice(at..at + name_len);
            at += name_len;
            let size: [u8; 4] = data[at..at + 4].try_into().expect("4 octets");
            at += 4;
            // Compared as u64: a size of 2^32-1 must not wrap on 32-bit targets.
            let value_len = u64::from(u32::from_be_bytes(size));
            if value_len > (data.len() - at) as u64 {
                return Err(CodecError::MalformedMetadata);
            }
            let value = data.slice(at..at + value_len as usize);
            at += value_len as usize;
            properties.push((name, value));
        }
        Ok(Metadata { properties })
    }

    /// The encoded length of the property list.
    pub fn encoded_len(&self) -> usize {
        self.iter().map(|(n, v)| 1 + n.len() + 4 + v.len()).sum()
    }

    /// Appends the property list to `dst`, names in the case they were given.
    pub fn encode(&self, dst: &mut BytesMut) {
        dst.reserve(self.encoded_len());
        for (name, value) in self.iter() {
            dst.put_u8(name.len() as u8);
            dst.put_slice(name);
            dst.put_u32(value.len() as u32);
            dst.put_slice(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 23 §"Worked Example": DEALER with an empty Identity (the body of
    /// the READY after its name).
    const DEALER: &[u8] = b"\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00";

    #[test]
    fn encodes_the_rfc_worked_example() {
        let mut dst = BytesMut::new();
        let metadata = Metadata::for_socket(SocketType::Dealer, None);
        metadata.encode(&mut dst);
        assert_eq!(&dst[..], DEALER);
        assert_eq!(metadata.encoded_len(), DEALER.len());
    }

    #[test]
    fn only_req_dealer_router_announce_identity() {
        let rep = Metadata::for_socket(SocketType::Rep, Some(Bytes::from_static(b"me")));
        assert_eq!(rep.iter().count(), 1);
        let req = Metadata::for_socket(SocketType::Req, Some(Bytes::from_static(b"me")));
        assert_eq!(req.identity(), Some(&Bytes::from_static(b"me")));
    }

    #[test]
    fn parses_case_insensitively_and_keeps_unknown_properties() {
        let data = Bytes::from_static(
            b"\x0bsocket-TYPE\x00\x00\x00\x03PUB\x05X-Foo\x00\x00\x00\x02hi\x08IDENTITY\x00\x00\x00\x01A",
        );
        let metadata = Metadata::parse(&data).unwrap();
        assert_eq!(metadata.socket_type(), Ok(Some(SocketType::Pub)));
        assert_eq!(metadata.identity(), Some(&Bytes::from_static(b"A")));
        assert_eq!(metadata.get("x-foo"), Some(&Bytes::from_static(b"hi")));
        let names: Vec<&[u8]> = metadata.iter().map(|(n, _)| &n[..]).collect();
        assert_eq!(names, [&b"socket-TYPE"[..], b"X-Foo", b"IDENTITY"]);
        let mut dst = BytesMut::new();
        metadata.encode(&mut dst);
        assert_eq!(dst.freeze(), data, "names keep their case on re-encode");
    }

    #[test]
    fn socket_type_is_optional_but_must_be_known() {
        assert_eq!(Metadata::new().socket_type(), Ok(None));
        let data = Bytes::from_static(b"\x0bSocket-Type\x00\x00\x00\x06CLIENT");
        assert_eq!(
            Metadata::parse(&data).unwrap().socket_type(),
            Err(CodecError::UnknownSocketType {
                name: "CLIENT".into()
            })
        );
    }

    #[test]
    fn rejects_malformed_property_lists() {
        let cases: [(&str, &[u8]); 6] = [
            ("empty name", b"\x00\x00\x00\x00\x00"),
            ("name past end", b"\x0bSocket"),
            ("no value size", b"\x03abc\x00\x00"),
            ("value past end", b"\x03abc\x00\x00\x00\x05ab"),
            ("huge value size", b"\x03abc\xff\xff\xff\xffab"),
            ("trailing octet", b"\x03abc\x00\x00\x00\x00\x07"),
        ];
        for (name, data) in cases {
            let data = Bytes::copy_from_slice(data);
            assert_eq!(
                Metadata::parse(&data),
                Err(CodecError::MalformedMetadata),
                "{name}"
            );
        }
        assert_eq!(Metadata::parse(&Bytes::new()), Ok(Metadata::new()));
    }
}
