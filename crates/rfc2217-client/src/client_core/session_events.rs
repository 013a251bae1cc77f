//! What the session's events mean for the remote port: the state they
//! update, the request they end, the opening they decide.

use std::time::Instant;

use log::{debug, info, trace, warn};
use rfc2217_proto::{ClientEvent, Command, RequestId};

use super::ClientCore;
use crate::outcome::Outcome;
use crate::{Error, PortEvent};

impl ClientCore {
    /// Takes every event the session queued (at `now`); true if there was
    /// any.
    pub(super) fn drain_session_events(&mut self, now: Instant) -> bool {
        let mut any = false;
        while let Some(event) = self.session.poll_event() {
            any = true;
            self.handle_session_event(event, now);
        }
        any
    }

    fn handle_session_event(&mut self, event: ClientEvent, now: Instant) {
        match event {
            ClientEvent::Reply { id, reply, status } => {
                debug!("{}: answer {reply} ({status:?})", self.name);
                self.state.record_reply(&reply);
                if let Some(id) = id {
                    self.conclude(id, Outcome::Answered { reply, status }, now);
                }
            }
            ClientEvent::Signature {
                id,
                signature,
                status,
            } => {
                debug!("{}: server signature {signature} ({status:?})", self.name);
                self.state.record_signature(signature);
                if let Some(id) = id {
                    let reply = Command::Signature;
                    self.conclude(id, Outcome::Answered { reply, status }, now);
                }
            }
            ClientEvent::Timeout { id, request } => {
                debug!("{}: no answer to {request}", self.name);
                self.conclude(id, Outcome::TimedOut, now);
            }
            ClientEvent::ModemState(lines) => {
                debug!("{}: modem state {lines}", self.name);
                self.state.record_modem(lines, now);
                self.events.push_back(PortEvent::ModemState(lines));
            }
            ClientEvent::LineState(state) => {
                debug!("{}: line state {:#04x}", self.name, state.0);
                self.state.record_line(state);
                self.events.push_back(PortEvent::LineState(state));
            }
            ClientEvent::ComPortActive => self.check_opening(now),
            ClientEvent::ComPortUnavailable(why) => {
                self.fail(Error::no_com_port(why, self.answer_timeout));
            }
            ClientEvent::Suspended => {
                debug!("{}: the server suspended our sending", self.name);
                self.events.push_back(PortEvent::Suspended);
            }
            ClientEvent::Resumed => {
                debug!("{}: the server resumed our sending", self.name);
                self.events.push_back(PortEvent::Resumed);
            }
            ClientEvent::PeerViolation(violation) => {
                warn!("{}: the server broke the protocol: {violation}", self.name)
            }
            other => trace!("{}: {other:?}", self.name),
        }
    }

    /// Reports how request `id` ended: to the opening, or to the caller.
    /// A late answer to a request already reported is dropped.
    fn conclude(&mut self, id: RequestId, outcome: Outcome, now: Instant) {
        if let Some(opening) = &mut self.opening {
            if let Some(request) = opening.request(id) {
                let result = outcome.into_result(request, self.answer_timeout);
                opening.conclude(id, result.map(drop));
                return self.check_opening(now);
            }
        }
        if let Some(at) = self
            .awaited
            .iter()
            .position(|awaited| awaited.session == id)
        {
            let awaited = self.awaited.remove(at);
            let result = outcome.into_result(awaited.request, self.answer_timeout);
            self.events.push_back(PortEvent::Answer {
                id: awaited.id,
                result,
            });
        }
    }

    /// Reports the port open, or the opening's first failure, once
    /// COM-PORT-OPTION is agreed and every opening answer came.
    fn check_opening(&mut self, now: Instant) {
        let decided = self
            .opening
            .as_ref()
            .is_some_and(|opening| opening.is_complete() && self.session.is_com_port_active());
        if !decided {
            return;
        }
        let Some(opening) = self.opening.take() else {
            return;
        };
        let started = opening.started;
        match opening.verdict() {
            Ok(()) => {
                info!(
                    "{}: opened in {:.1} ms",
                    self.name,
                    now.saturating_duration_since(started).as_secs_f64() * 1000.0
                );
                self.modem_asked = Some(now);
                self.events.push_back(PortEvent::Opened);
            }
            Err(error) => {
                self.events.push_back(PortEvent::OpenFailed(error));
                self.close("the port could not be opened".to_owned());
            }
        }
    }
}
