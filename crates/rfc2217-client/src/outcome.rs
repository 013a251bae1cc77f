//! How an awaited request ended, and the result it becomes.

use std::time::Duration;

use rfc2217_proto::{Command, ReplyStatus};

use crate::Error;

/// How an awaited request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The server answered.
    Answered {
        /// What it says is in use.
        reply: Command,
        /// How that compares with the request.
        status: ReplyStatus,
    },
    /// No answer within the answer timeout.
    TimedOut,
}

impl Outcome {
    /// The value in use, or the error naming `request` and what went wrong
    /// (`waited`: the answer timeout, for the message).
    pub(crate) fn into_result(self, request: Command, waited: Duration) -> Result<Command, Error> {
        match self {
            Outcome::Answered {
                reply,
                status: ReplyStatus::Rejected,
            } => Err(Error::Rejected {
                request,
                in_use: reply,
            }),
            Outcome::Answered { reply, .. } => Ok(reply),
            Outcome::TimedOut => Err(Error::NoAnswer { request, waited }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc2217_proto::{Control, DataSize, Unavailable};

    #[test]
    fn outcomes_become_results_that_name_the_request() {
        let request = Command::SetDataSize(DataSize::Seven);
        let rejected = Outcome::Answered {
            reply: Command::SetDataSize(DataSize::Eight),
            status: ReplyStatus::Rejected,
        };
        let message = rejected
            .into_result(request, Duration::from_secs(1))
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "server rejected SET-DATASIZE 7 (in use: SET-DATASIZE 8)"
        );
        let timed_out = Outcome::TimedOut.into_result(request, Duration::from_secs(1));
        assert!(matches!(timed_out, Err(Error::NoAnswer { .. })));
        let tolerated = Outcome::Answered {
            reply: Command::SetControl(Control::NoFlowControl),
            status: ReplyStatus::Tolerated,
        };
        assert!(tolerated.into_result(request, Duration::ZERO).is_ok());
        assert_eq!(
            Error::no_com_port(Unavailable::Refused, Duration::ZERO).to_string(),
            "server does not support COM-PORT-OPTION (RFC 2217)"
        );
    }
}
