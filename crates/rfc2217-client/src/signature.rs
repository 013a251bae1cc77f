//! What an access server answers SIGNATURE with.

use rfc2217_proto::{Error, SIGNATURE_CAPACITY};

/// A server's signature: the text it was configured with, or else its own
/// name and the device's, cut to fit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerSignature(Option<Vec<u8>>);

impl ServerSignature {
    /// A configured signature: 1 to [`SIGNATURE_CAPACITY`] bytes, as the
    /// core's `Config::with_signature` (an empty one would read as a request).
    pub fn configured(text: &[u8]) -> Result<Self, Error> {
        if text.is_empty() || text.len() > SIGNATURE_CAPACITY {
            return Err(Error::InvalidSignature);
        }
        Ok(ServerSignature(Some(text.to_vec())))
    }

    /// The configured text, if any.
    pub fn text(&self) -> Option<&[u8]> {
        self.0.as_deref()
    }

    /// The signature to send for `device` from a server calling itself `server`.
    pub fn for_device(&self, server: &str, device: &str) -> Vec<u8> {
        if let Some(text) = &self.0 {
            return text.clone();
        }
        let mut text = format!("{server} {device}").into_bytes();
        text.truncate(SIGNATURE_CAPACITY);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_text_must_fit_and_the_default_names_server_and_device() {
        assert!(ServerSignature::configured(b"").is_err());
        assert!(ServerSignature::configured(&[b'x'; SIGNATURE_CAPACITY + 1]).is_err());
        let named = ServerSignature::configured(b"bench 3").unwrap();
        assert_eq!(named.for_device("srv", "loop://"), b"bench 3");
        assert_eq!(
            ServerSignature::default().for_device("srv 1.0", "loop://"),
            b"srv 1.0 loop://"
        );
        let long = ServerSignature::default().for_device("srv", &"/dev/x".repeat(20));
        assert_eq!(long.len(), SIGNATURE_CAPACITY);
    }
}
