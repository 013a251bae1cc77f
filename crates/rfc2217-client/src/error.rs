//! What can go wrong with a remote port, in words a user can act on. Both
//! clients report the same errors, so a program reads the same message
//! whichever transport it uses.

use std::fmt;
use std::io;
use std::time::Duration;

use rfc2217_proto::{self as proto, Command, Unavailable};

use crate::UrlError;

/// Why opening or using a remote port failed.
#[derive(Debug)]
pub enum Error {
    /// The `rfc2217://` URL is malformed.
    Url(UrlError),
    /// The TCP connection could not be made.
    Connect {
        /// `host:port`.
        address: String,
        /// What the OS said.
        source: io::Error,
    },
    /// The server refused COM-PORT-OPTION, or never agreed to it.
    NoComPortOption {
        /// It did not answer at all within this time (else: it refused).
        timed_out: Option<Duration>,
    },
    /// The server did not answer a request in time.
    NoAnswer {
        /// What we asked.
        request: Command,
        /// How long we waited.
        waited: Duration,
    },
    /// The server answered with another value than the one requested.
    Rejected {
        /// What we asked.
        request: Command,
        /// What the server says is in use.
        in_use: Command,
    },
    /// The server has not reported the modem lines.
    NoModemState,
    /// The connection is closed (by the server, or after an error).
    Closed(String),
    /// A socket error.
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Url(error) => error.fmt(f),
            Error::Connect { address, source } => {
                write!(f, "cannot connect to {address}: {source}")
            }
            Error::NoComPortOption { timed_out: None } => {
                f.write_str("server does not support COM-PORT-OPTION (RFC 2217)")
            }
            Error::NoComPortOption {
                timed_out: Some(waited),
            } => write!(
                f,
                "server did not agree to COM-PORT-OPTION (RFC 2217) within {}",
                seconds(*waited)
            ),
            Error::NoAnswer { request, waited } => {
                write!(f, "no answer to {request} within {}", seconds(*waited))
            }
            Error::Rejected { request, in_use } => {
                write!(f, "server rejected {request} (in use: {in_use})")
            }
            Error::NoModemState => f.write_str("server sends no NOTIFY-MODEMSTATE"),
            Error::Closed(reason) => write!(f, "connection closed: {reason}"),
            Error::Io(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Url(error) => Some(error),
            Error::Connect { source, .. } => Some(source),
            Error::Io(error) => Some(error),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        Error::Io(error)
    }
}

impl From<proto::Error> for Error {
    /// The session refused a call: its queues are full (`WouldBlock`: wait
    /// for answers or for the socket, then try again) or the call is wrong.
    fn from(error: proto::Error) -> Self {
        let kind = if error.is_queue_full() {
            io::ErrorKind::WouldBlock
        } else {
            io::ErrorKind::InvalidInput
        };
        Error::Io(io::Error::new(kind, error))
    }
}

impl Error {
    /// COM-PORT-OPTION is unavailable for `why`, after waiting `waited`.
    pub fn no_com_port(why: Unavailable, waited: Duration) -> Self {
        Error::NoComPortOption {
            timed_out: (why == Unavailable::TimedOut).then_some(waited),
        }
    }

    /// The error as an `io::Error` of the matching kind.
    pub fn into_io(self) -> io::Error {
        let error = self;
        let kind = match &error {
            Error::Io(error) => return io::Error::new(error.kind(), error.to_string()),
            Error::Url(_) => io::ErrorKind::InvalidInput,
            Error::Connect { source, .. } => source.kind(),
            Error::NoAnswer { .. } => io::ErrorKind::TimedOut,
            Error::NoComPortOption { .. } | Error::Rejected { .. } | Error::NoModemState => {
                io::ErrorKind::Unsupported
            }
            Error::Closed(_) => io::ErrorKind::BrokenPipe,
        };
        io::Error::new(kind, error)
    }
}

impl From<Error> for io::Error {
    fn from(error: Error) -> Self {
        error.into_io()
    }
}

impl From<Error> for serialport::Error {
    fn from(error: Error) -> Self {
        let kind = match &error {
            Error::Url(_) => serialport::ErrorKind::InvalidInput,
            Error::Connect { .. } | Error::NoComPortOption { .. } | Error::Closed(_) => {
                serialport::ErrorKind::NoDevice
            }
            other => serialport::ErrorKind::Io(io::Error::from(clone_kind(other)).kind()),
        };
        serialport::Error::new(kind, error.to_string())
    }
}

/// A cheap copy of the error's kind, for the conversion above.
fn clone_kind(error: &Error) -> Error {
    match error {
        Error::Io(io) => Error::Io(io::Error::from(io.kind())),
        Error::NoAnswer { request, waited } => Error::NoAnswer {
            request: *request,
            waited: *waited,
        },
        _ => Error::Closed(String::new()),
    }
}

fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc2217_proto::{Control, DataSize};

    #[test]
    fn messages_name_the_command_and_the_values() {
        let no_answer = Error::NoAnswer {
            request: Command::SetBaudRate(115_200),
            waited: Duration::from_secs(3),
        };
        assert_eq!(
            no_answer.to_string(),
            "no answer to SET-BAUDRATE 115200 within 3 s"
        );
        let rejected = Error::Rejected {
            request: Command::SetDataSize(DataSize::Seven),
            in_use: Command::SetDataSize(DataSize::Eight),
        };
        assert_eq!(
            rejected.to_string(),
            "server rejected SET-DATASIZE 7 (in use: SET-DATASIZE 8)"
        );
        let control = Error::NoAnswer {
            request: Command::SetControl(Control::DtrOn),
            waited: Duration::from_millis(500),
        };
        assert_eq!(
            control.to_string(),
            "no answer to SET-CONTROL DTR-ON within 0.5 s"
        );
        let refused = Error::NoComPortOption { timed_out: None };
        assert_eq!(
            refused.to_string(),
            "server does not support COM-PORT-OPTION (RFC 2217)"
        );
        assert_eq!(io::Error::from(no_answer).kind(), io::ErrorKind::TimedOut);
    }
}
