//! A client session playing a scenario's steps. The live recorder and the
//! replay drive the same player, so what a replay checks is exactly what
//! the session did live: only the source of bytes and time differs.

use std::time::Duration;

use rfc2217_proto::{Client, ClientEvent, Command, Config, Instant, RequestId, Session};

use super::scenario::{opening_batch, Step};

/// How long the scenarios' client waits for an answer: short, so that
/// servers that never answer some requests do not make captures slow.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(1);

/// A client session and everything it produced.
pub(crate) struct Player {
    session: Session<Client>,
    /// The session only watches: what it would send is dropped.
    silent: bool,
    /// Bytes to send, in order: what the session wrote, or (for raw steps
    /// and a silent session's data) what the scenario wrote itself.
    outbox: Vec<Outgoing>,
    /// Every event so far, as text (see [`Player::event_text`]).
    events: Vec<String>,
    /// Every event so far.
    typed: Vec<ClientEvent>,
    /// What each request asked, with its id if its answer was awaited.
    requests: Vec<(Option<RequestId>, Command)>,
    /// Requests whose answer (or timeout) has not come yet.
    awaited: Vec<RequestId>,
    /// COM-PORT-OPTION was agreed or refused.
    negotiated: bool,
    /// Data the session decoded from the peer.
    pub(crate) data: Vec<u8>,
}

/// Bytes for the wire and who wrote them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outgoing {
    /// Written by the session.
    Session(Vec<u8>),
    /// Written by the scenario itself, past the session.
    Raw(Vec<u8>),
}

impl Player {
    /// A new client session at `now` (its opening offers are queued).
    pub(crate) fn new(silent: bool, now: Instant) -> Player {
        let config = Config::client().with_request_timeout(REQUEST_TIMEOUT);
        let mut player = Player {
            session: Session::new(config, now),
            silent,
            outbox: Vec::new(),
            events: Vec::new(),
            typed: Vec::new(),
            requests: Vec::new(),
            awaited: Vec::new(),
            negotiated: false,
            data: Vec::new(),
        };
        player.drain();
        player
    }

    /// Starts `step` at `now`.
    pub(crate) fn start(&mut self, now: Instant, step: &Step) {
        self.session.handle_timeout(now);
        self.drain();
        let result = match step {
            Step::Negotiate | Step::FromDevice(_) | Step::Wait(_) => Ok(()),
            Step::OpeningBatch => opening_batch()
                .into_iter()
                .try_for_each(|request| self.request(now, request)),
            Step::Request(request) => self.request(now, *request),
            Step::RequestSignature => self.request(now, Command::Signature),
            Step::SendSignature(text) => {
                self.session.send_signature(text).map_err(|e| e.to_string())
            }
            Step::QueryModemState => self.session.query_modem_state().map_err(|e| e.to_string()),
            Step::QueryLineState => self.session.query_line_state().map_err(|e| e.to_string()),
            Step::Telnet(command) => self
                .session
                .send_telnet_command(*command)
                .map_err(|e| e.to_string()),
            Step::Raw { bytes, .. } => {
                self.outbox.push(Outgoing::Raw(bytes.clone()));
                Ok(())
            }
            Step::ToDevice(data) if self.silent => {
                self.outbox.push(Outgoing::Raw(escape_iac(data)));
                Ok(())
            }
            Step::ToDevice(data) => self.encode(data),
        };
        if let Err(error) = result {
            self.events.push(format!("error: {error}"));
        }
        self.drain();
    }

    /// Bytes from the peer at `now`.
    pub(crate) fn input(&mut self, now: Instant, mut bytes: &[u8]) {
        self.session.handle_timeout(now);
        self.drain();
        let mut data = [0; 4096];
        while !bytes.is_empty() {
            let received = self.session.handle_input(now, bytes, &mut data);
            self.data.extend_from_slice(&data[..received.data_len]);
            bytes = &bytes[received.consumed..];
            self.drain();
        }
    }

    /// The clock at `now`, with no input.
    pub(crate) fn tick(&mut self, now: Instant) {
        self.session.handle_timeout(now);
        self.drain();
    }

    /// When [`tick`](Self::tick) should next be called.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.session.poll_timeout()
    }

    /// Bytes to send since the last call.
    pub(crate) fn take_outgoing(&mut self) -> Vec<Outgoing> {
        std::mem::take(&mut self.outbox)
    }

    /// Every event so far, as text.
    pub(crate) fn events(&self) -> &[String] {
        &self.events
    }

    /// Every event so far.
    pub(crate) fn typed_events(&self) -> &[ClientEvent] {
        &self.typed
    }

    /// What request `id` asked.
    pub(crate) fn request_of(&self, id: RequestId) -> Option<Command> {
        self.requests
            .iter()
            .find_map(|&(known, request)| (known == Some(id)).then_some(request))
    }

    /// The requests whose answers were not awaited (the masks, by
    /// default), in the order they were made.
    pub(crate) fn unawaited_requests(&self) -> impl Iterator<Item = Command> + '_ {
        self.requests
            .iter()
            .filter(|(id, _)| id.is_none())
            .map(|&(_, request)| request)
    }

    /// Every awaited request has its answer or its timeout.
    pub(crate) fn is_answered(&self) -> bool {
        self.awaited.is_empty()
    }

    /// COM-PORT-OPTION was agreed or refused (or timed out).
    pub(crate) fn is_negotiated(&self) -> bool {
        self.negotiated
    }

    fn request(&mut self, now: Instant, request: Command) -> Result<(), String> {
        // `None`: the kind's ack policy awaits no answer.
        let id = self
            .session
            .request(now, request)
            .map_err(|error| error.to_string())?;
        self.requests.push((id, request));
        self.awaited.extend(id);
        Ok(())
    }

    fn encode(&mut self, mut data: &[u8]) -> Result<(), String> {
        let mut out = vec![0; 2 * data.len() + 1024];
        let mut written = 0;
        while !data.is_empty() {
            let encoded = self.session.encode_data(data, &mut out[written..]);
            if encoded.consumed == 0 && encoded.written == 0 {
                self.outbox.push(Outgoing::Session(out[..written].to_vec()));
                return Err(format!(
                    "the session takes no data ({} bytes left)",
                    data.len()
                ));
            }
            data = &data[encoded.consumed..];
            written += encoded.written;
        }
        self.outbox.push(Outgoing::Session(out[..written].to_vec()));
        Ok(())
    }

    /// An event as a capture's `event` line spells it: its `Debug`, as the
    /// captures were recorded when the session had one event type for both
    /// roles and numbered every request. So a signature answer is spelled
    /// as the `Reply` whose `reply` is `Signature` it was then (its text is
    /// in the peer's bytes), and a request is named by its place among the
    /// player's requests (the session now numbers only the requests whose
    /// answer it awaits). Every other event's `Debug` reads as it did, so
    /// committed captures replay unchanged.
    fn event_text(&self, event: &ClientEvent) -> String {
        let number = |id: RequestId| {
            self.requests
                .iter()
                .position(|(known, _)| *known == Some(id))
                .and_then(|place| u16::try_from(place).ok())
                .map_or(id, RequestId)
        };
        match *event {
            ClientEvent::Reply { id, reply, status } => format!(
                "{:?}",
                ClientEvent::Reply {
                    id: id.map(number),
                    reply,
                    status
                }
            ),
            ClientEvent::Signature { id, status, .. } => format!(
                "Reply {{ id: {:?}, reply: Signature, status: {status:?} }}",
                id.map(number)
            ),
            ClientEvent::Timeout { id, request } => format!(
                "{:?}",
                ClientEvent::Timeout {
                    id: number(id),
                    request
                }
            ),
            other => format!("{other:?}"),
        }
    }

    /// Moves the session's events and transmit queue out.
    fn drain(&mut self) {
        while let Some(event) = self.session.poll_event() {
            match event {
                ClientEvent::ComPortActive | ClientEvent::ComPortUnavailable(_) => {
                    self.negotiated = true;
                }
                ClientEvent::Reply { id: Some(id), .. }
                | ClientEvent::Signature { id: Some(id), .. }
                | ClientEvent::Timeout { id, .. } => {
                    self.awaited.retain(|awaited| *awaited != id);
                }
                _ => {}
            }
            self.events.push(self.event_text(&event));
            self.typed.push(event);
        }
        let mut bytes = Vec::new();
        let mut buffer = [0; 1024];
        loop {
            let n = self.session.poll_transmit(&mut buffer);
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&buffer[..n]);
        }
        if !bytes.is_empty() && !self.silent {
            self.outbox.push(Outgoing::Session(bytes));
        }
    }
}

/// `data` with every 0xFF doubled, as a Telnet client without a session
/// sends it.
fn escape_iac(data: &[u8]) -> Vec<u8> {
    let mut escaped = Vec::with_capacity(data.len() + data.len() / 8);
    for &byte in data {
        escaped.push(byte);
        if byte == 0xff {
            escaped.push(byte);
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A player whose peer agreed to COM-PORT at 1 ms.
    fn agreed() -> Player {
        let mut player = Player::new(false, Instant::ZERO);
        player.input(Instant::from_millis(1), &[0xff, 0xfd, 44]);
        player
    }

    #[test]
    fn a_request_is_awaited_until_its_answer() {
        let mut player = Player::new(false, Instant::ZERO);
        let opening = player.take_outgoing();
        assert!(matches!(&opening[..], [Outgoing::Session(bytes)] if bytes.starts_with(&[0xff])));
        // The server agrees to COM-PORT.
        player.input(Instant::from_millis(1), &[0xff, 0xfd, 44]);
        assert!(player.is_negotiated());
        let baud = Command::SetBaudRate(9600);
        player.start(Instant::from_millis(2), &Step::Request(baud));
        assert!(!player.is_answered());
        player.input(
            Instant::from_millis(3),
            &[0xff, 0xfa, 44, 101, 0, 0, 0x25, 0x80, 0xff, 0xf0, b'x'],
        );
        assert!(player.is_answered());
        assert_eq!(player.data, b"x");
        assert!(player
            .events()
            .iter()
            .any(|event| event.contains("Confirmed")));
    }

    #[test]
    fn an_unanswered_request_times_out_on_the_clock() {
        let mut player = agreed();
        player.start(
            Instant::from_millis(2),
            &Step::Request(Command::SetBaudRate(0)),
        );
        let deadline = player.deadline().expect("a deadline");
        player.tick(deadline);
        let last = player.events().last().cloned().unwrap_or_default();
        assert!(
            player.is_answered() && last.starts_with("Timeout"),
            "{last}"
        );
    }

    #[test]
    fn a_signature_answer_is_spelled_as_the_captures_spell_it() {
        let mut player = agreed();
        player.start(Instant::from_millis(2), &Step::RequestSignature);
        assert!(!player.is_answered());
        player.input(
            Instant::from_millis(3),
            &[0xff, 0xfa, 44, 100, b's', b'2', b'n', 0xff, 0xf0],
        );
        assert!(player.is_answered());
        assert!(matches!(
            player.typed_events().last(),
            Some(ClientEvent::Signature { signature, .. }) if signature.as_bytes() == b"s2n"
        ));
        assert_eq!(
            player.events().last().map(String::as_str),
            Some("Reply { id: Some(RequestId(0)), reply: Signature, status: Confirmed }")
        );
    }

    #[test]
    fn requests_are_numbered_in_the_order_made_awaited_or_not() {
        let mut player = agreed();
        player.start(Instant::from_millis(2), &Step::OpeningBatch);
        // The line state mask is not awaited, yet it has its number: the
        // signature request after it is the batch's last.
        let batch = opening_batch();
        assert!(batch[..batch.len() - 1]
            .contains(&Command::SetLineStateMask(rfc2217_client::LINE_STATE_MASK)));
        assert_eq!(batch.last(), Some(&Command::Signature));
        player.input(
            Instant::from_millis(3),
            &[0xff, 0xfa, 44, 100, b's', 0xff, 0xf0],
        );
        assert_eq!(
            player.events().last(),
            Some(&format!(
                "Reply {{ id: Some(RequestId({})), reply: Signature, status: Confirmed }}",
                batch.len() - 1
            ))
        );
    }

    #[test]
    fn a_silent_session_sends_nothing_but_the_scenarios_own_bytes() {
        let mut player = Player::new(true, Instant::ZERO);
        player.input(Instant::from_millis(1), &[0xff, 0xfd, 44]);
        player.start(Instant::from_millis(2), &Step::ToDevice(vec![b'a', 0xff]));
        assert_eq!(
            player.take_outgoing(),
            [Outgoing::Raw(vec![b'a', 0xff, 0xff])]
        );
    }
}
