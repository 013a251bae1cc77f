//! The RFC 2217 client application layer, free of I/O and kept out of the
//! `no_std` core: one [`OpenOptions`] builder, and [`ClientCore`], a remote
//! port with everything but the socket (the opening batch and its verdict,
//! awaited requests, the [`PortState`] the server reports, modem polling,
//! the flush barrier, received data). A transport adds only connecting and
//! waiting (and, if its callers wait by request id, keeps their
//! [`Answers`]). Also here: `rfc2217://` URLs in pyserial's form, the client's
//! errors in the RFC's words, and serial settings in the `serialport`
//! crate's types as RFC 2217 commands.

mod answers;
mod client_core;
mod error;
mod event;
mod options;
mod outcome;
mod settings;
mod state;
mod url;

pub use answers::Answers;
pub use client_core::ClientCore;
pub use error::Error;
pub use event::PortEvent;
pub use options::OpenOptions;
// The settings and their conversions are the device crate's; re-exported
// so a client names them from here.
pub use rfc2217_device::{
    data_bits_from, data_bits_request, flow_control_from, flow_control_request, parity_from,
    parity_request, stop_bits_from, stop_bits_request, Settings,
};
pub use settings::LINE_STATE_MASK;
pub use state::PortState;
pub use url::UrlError;
