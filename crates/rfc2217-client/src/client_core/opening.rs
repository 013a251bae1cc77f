//! The opening batch: which of its answers are still awaited, and the
//! verdict once COM-PORT-OPTION is settled and every answer came.

use std::time::Instant;

use rfc2217_proto::{Command, RequestId};

use crate::Error;

/// An opening request and, once it ended, whether it was applied.
struct Awaited {
    id: RequestId,
    request: Command,
    result: Option<Result<(), Error>>,
}

pub(super) struct Opening {
    awaited: Vec<Awaited>,
    pub(super) started: Instant,
}

impl Opening {
    pub(super) fn new(started: Instant) -> Self {
        Opening {
            awaited: Vec::new(),
            started,
        }
    }

    /// Waits for the answer to `request`, sent as `id`.
    pub(super) fn expect(&mut self, id: RequestId, request: Command) {
        self.awaited.push(Awaited {
            id,
            request,
            result: None,
        });
    }

    /// The request `id` stands for, if it is an opening request still
    /// awaited.
    pub(super) fn request(&self, id: RequestId) -> Option<Command> {
        self.awaited
            .iter()
            .find(|awaited| awaited.id == id && awaited.result.is_none())
            .map(|awaited| awaited.request)
    }

    /// Records how request `id` ended.
    pub(super) fn conclude(&mut self, id: RequestId, result: Result<(), Error>) {
        if let Some(awaited) = self.awaited.iter_mut().find(|awaited| awaited.id == id) {
            awaited.result = Some(result);
        }
    }

    /// Every answer came.
    pub(super) fn is_complete(&self) -> bool {
        self.awaited.iter().all(|awaited| awaited.result.is_some())
    }

    /// The port is open, or the first failure in the order the requests
    /// were sent (so a rejected baud rate is named before the DTR it
    /// delayed). Call once complete.
    pub(super) fn verdict(self) -> Result<(), Error> {
        self.awaited
            .into_iter()
            .filter_map(|awaited| awaited.result)
            .collect()
    }
}
