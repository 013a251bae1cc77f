//! What the `rfc2217` transports (threads and `mio`) share, kept out of the
//! `no_std` core: `rfc2217://` URLs in pyserial's form, serial settings in
//! the `serialport` crate's types as RFC 2217 commands, the opening batch,
//! the cached state of a remote port, and the client's options, errors and
//! request outcomes.

mod client;
mod error;
mod settings;
mod signature;
mod state;
mod url;

pub use client::{ClientOptions, Outcome, DEFAULT_MODEM_MAX_AGE};
pub use error::Error;
pub use settings::{
    data_bits_from, data_bits_request, flow_control_from, flow_control_request, opening_requests,
    parity_from, parity_request, stop_bits_from, stop_bits_request, Settings, LINE_STATE_MASK,
};
pub use signature::ServerSignature;
pub use state::PortState;
pub use url::{PortUrl, UrlError};
