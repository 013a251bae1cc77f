//! Why a command failed, for the user: one line, printed by `main` as
//! `rfc2217: ...` with exit status 1.

use std::fmt;

/// A failed command's reason.
#[derive(Debug)]
pub(crate) struct Failure(String);

impl Failure {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        Failure(reason.into())
    }
}

/// Any library error is a failure with its own message, which the
/// libraries already word for users.
impl<E: std::error::Error> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure(error.to_string())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the commands return.
pub(crate) type Result<T = ()> = std::result::Result<T, Failure>;
