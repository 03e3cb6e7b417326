//! One whole message, as pipes queue it: its frames, in order.
//!
//! Most messages are one frame, so [`Msg`] keeps a single frame inline
//! and only a multipart message pays for a `Vec`: sending or receiving a
//! one-frame message allocates nothing besides its payload. It derefs to
//! `[Bytes]`, so reading code treats both forms alike; the rarer edits
//! (REQ's delimiter, ROUTER's routing id, REP's envelope) turn it into the
//! `Vec` form first.

use std::ops::Deref;

use bytes::Bytes;

/// See the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Msg {
    /// Exactly one frame, no heap allocation of its own.
    One(Bytes),
    /// Any number of frames (an empty message being built, or multipart).
    Many(Vec<Bytes>),
}

impl Msg {
    /// A message with no frames yet.
    pub(crate) const fn new() -> Msg {
        Msg::Many(Vec::new())
    }

    /// Appends a frame; the first frame of an empty message stays inline.
    pub(crate) fn push(&mut self, frame: Bytes) {
        match self {
            Msg::Many(v) if v.is_empty() => *self = Msg::One(frame),
            Msg::Many(v) => v.push(frame),
            Msg::One(_) => self.frames_mut().push(frame),
        }
    }

    /// Inserts a frame at `index` (a delimiter or a routing id in front).
    pub(crate) fn insert(&mut self, index: usize, frame: Bytes) {
        self.frames_mut().insert(index, frame);
    }

    /// Removes and returns the frame at `index`.
    ///
    /// # Panics
    ///
    /// If `index` is out of bounds, as `Vec::remove`.
    pub(crate) fn remove(&mut self, index: usize) -> Bytes {
        self.frames_mut().remove(index)
    }

    /// Splits off the frames from `at` on, as `Vec::split_off`.
    pub(crate) fn split_off(&mut self, at: usize) -> Msg {
        Msg::Many(self.frames_mut().split_off(at))
    }

    /// The frames as a `Vec` (what `recv_multipart` returns).
    pub(crate) fn into_vec(self) -> Vec<Bytes> {
        match self {
            Msg::One(frame) => vec![frame],
            Msg::Many(v) => v,
        }
    }

    /// The `Vec` form, for the edits that need one.
    fn frames_mut(&mut self) -> &mut Vec<Bytes> {
        if let Msg::One(frame) = self {
            let frame = std::mem::take(frame);
            *self = Msg::Many(vec![frame]);
        }
        match self {
            Msg::Many(v) => v,
            Msg::One(_) => unreachable!("turned into Many above"),
        }
    }
}

impl Default for Msg {
    fn default() -> Msg {
        Msg::new()
    }
}

impl Deref for Msg {
    type Target = [Bytes];
    fn deref(&self) -> &[Bytes] {
        match self {
            Msg::One(frame) => std::slice::from_ref(frame),
            Msg::Many(v) => v,
        }
    }
}

impl From<Bytes> for Msg {
    fn from(frame: Bytes) -> Msg {
        Msg::One(frame)
    }
}

impl Extend<Bytes> for Msg {
    fn extend<I: IntoIterator<Item = Bytes>>(&mut self, frames: I) {
        for frame in frames {
            self.push(frame);
        }
    }
}

impl IntoIterator for Msg {
    type Item = Bytes;
    type IntoIter = std::vec::IntoIter<Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_frame_stays_inline_and_more_frames_spill() {
        let mut m = Msg::new();
        assert!(m.is_empty());
        m.push(Bytes::from_static(b"a"));
        assert!(matches!(m, Msg::One(_)));
        m.push(Bytes::from_static(b"b"));
        assert_eq!(&m[..], ["a", "b"]);
        m.insert(0, Bytes::new());
        assert_eq!(m.remove(0), "");
        let tail = m.split_off(1);
        assert_eq!(&m[..], ["a"]);
        assert_eq!(&tail[..], ["b"]);
        assert_eq!(tail.into_vec(), ["b"]);
    }

    #[test]
    fn edits_on_a_single_frame() {
        let mut m = Msg::from(Bytes::from_static(b"x"));
        assert_eq!(m.remove(0), "x");
        assert!(m.is_empty());
        let mut m = Msg::from(Bytes::from_static(b"x"));
        m.extend([Bytes::from_static(b"y")]);
        assert_eq!(m.into_iter().collect::<Vec<_>>(), ["x", "y"]);
    }
}
