//! SIGNATURE text, held inline: ours, given in the config, and the peer's,
//! delivered in an event.

use core::fmt;

/// Bytes of signature text a session holds, ours and the peer's.
pub const SIGNATURE_CAPACITY: usize = 64;

// A received signature and its command byte fit the subnegotiation buffer.
const _: () = assert!(crate::decode::SUBNEGOTIATION_CAPACITY == SIGNATURE_CAPACITY + 1);

/// A SIGNATURE text of at most [`SIGNATURE_CAPACITY`] bytes.
///
/// RFC 2217 sets no limit on a signature's length; a session keeps memory
/// bounded by holding the first [`SIGNATURE_CAPACITY`] bytes of a longer
/// one and saying so with [`is_truncated`](Self::is_truncated). That is our
/// limit, not the peer's fault, so it is no
/// [`Violation`](crate::Violation).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature {
    bytes: [u8; SIGNATURE_CAPACITY],
    len: u8,
    truncated: bool,
}

impl Signature {
    /// No text: as a request, "send me yours"; as an answer, "I have none".
    pub const EMPTY: Signature = Signature {
        bytes: [0; SIGNATURE_CAPACITY],
        len: 0,
        truncated: false,
    };

    /// The text, or `None` if it is longer than [`SIGNATURE_CAPACITY`].
    pub fn new(text: &[u8]) -> Option<Signature> {
        let mut held = Signature::EMPTY;
        held.bytes.get_mut(..text.len())?.copy_from_slice(text);
        held.len = text.len() as u8; // at most SIGNATURE_CAPACITY
        Some(held)
    }

    /// The first [`SIGNATURE_CAPACITY`] bytes of `text`, marked truncated
    /// if `text` was longer or `truncated` says the sender's was.
    pub(crate) fn cut(text: &[u8], truncated: bool) -> Signature {
        let kept = &text[..text.len().min(SIGNATURE_CAPACITY)];
        let mut held = Signature::new(kept).unwrap_or(Signature::EMPTY);
        held.truncated = truncated || kept.len() < text.len();
        held
    }

    /// The text (IAC doubling undone).
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// True if the text holds no byte.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The peer sent more than [`SIGNATURE_CAPACITY`] bytes; the rest was
    /// dropped.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.as_bytes().escape_ascii())?;
        if self.truncated {
            f.write_str(" (truncated)")?;
        }
        Ok(())
    }
}

/// The text with non-printable bytes escaped, as a log line shows it.
impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.as_bytes().utf8_chunks() {
            for c in chunk.valid().chars() {
                if c.is_control() {
                    write!(f, "{}", c.escape_default())?;
                } else {
                    write!(f, "{c}")?;
                }
            }
            write!(f, "{}", chunk.invalid().escape_ascii())?;
        }
        if self.truncated {
            f.write_str("...")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_cut_and_marked_truncated() {
        let long = [b'x'; 300];
        let signature = Signature::cut(&long, false);
        assert_eq!(signature.as_bytes(), &long[..SIGNATURE_CAPACITY]);
        assert!(signature.is_truncated());
        let fits = Signature::cut(b"ser2net", false);
        assert_eq!(
            (fits.as_bytes(), fits.is_truncated()),
            (&b"ser2net"[..], false)
        );
        assert_eq!(Signature::new(&long), None);
    }
}
