//! Replay: a committed capture fed to `rfc2217-proto`.
//!
//! The client half replays the peer's bytes to a client session driven by
//! the same [`Player`] as the live run, at the recorded times: the session
//! must send the same bytes and report the same events as it did live, get
//! an outcome for every request, and come out with the device's data. The
//! server half feeds what the client sent (bad input included) to a server
//! session, which must deliver every data byte in order.

use std::collections::BTreeSet;

use rfc2217_proto::{
    ClientEvent, Command, Config, Control, DataSize, Instant, Parity, ReplyStatus, RequestId,
    ServerEvent, Session, StopSize, Unavailable,
};

use super::capture::{Capture, Record, CLIENT_GOT_ALL, PEER_CLOSED};
use super::player::Player;
use super::scenario::{self, Scenario, Step};
use super::wire;
use crate::verdict::{Cell, Outcome, Part};

/// Replays `capture` and says how it went.
pub(crate) fn replay(capture: &Capture) -> Cell {
    let (outcome, observations) = match scenario::by_name(&capture.scenario) {
        Some(scenario) => {
            let client = replay_client(capture, &scenario);
            let server = replay_server(capture, &scenario);
            let outcome = match (client.result, server) {
                (Ok(()), Ok(())) => Outcome::Pass,
                (Err(error), _) => Outcome::Fail(format!("client session: {error}")),
                (_, Err(error)) => Outcome::Fail(format!("server session: {error}")),
            };
            (outcome, client.observations)
        }
        None => (
            Outcome::Fail(format!("no scenario `{}`", capture.scenario)),
            Vec::new(),
        ),
    };
    let mut cell = Cell::new(Part::Replay, &capture.scenario, &capture.peer, outcome);
    cell.observations = observations;
    cell
}

struct ClientReplay {
    result: Result<(), String>,
    observations: Vec<String>,
}

fn replay_client(capture: &Capture, scenario: &Scenario) -> ClientReplay {
    let mut player = Player::new(scenario.session_silent, Instant::ZERO);
    let mut sent = Vec::new();
    let mut expected_events = Vec::new();
    let mut next_step = 0;
    let mut step_error = None;
    for line in &capture.lines {
        let now = Instant::from_micros(line.micros);
        match &line.record {
            Record::Step { index, text } => {
                let step = scenario.steps.get(*index);
                match step {
                    Some(step) if *index == next_step && step.describe() == *text => {
                        player.start(now, step);
                        next_step += 1;
                    }
                    _ => {
                        step_error.get_or_insert(format!(
                            "the capture's step {index} `{text}` is not the scenario's \
                             (re-record it with `cargo xtask record {} {}`)",
                            capture.peer, capture.scenario
                        ));
                    }
                }
            }
            Record::Received(bytes) => player.input(now, bytes),
            Record::Tick => player.tick(now),
            Record::Event(text) => expected_events.push(text.clone()),
            Record::Sent(_) | Record::SentRaw(_) | Record::Note(_) => {}
        }
        sent.extend(
            player
                .take_outgoing()
                .into_iter()
                .filter_map(|out| match out {
                    super::player::Outgoing::Session(bytes) => Some(bytes),
                    super::player::Outgoing::Raw(_) => None,
                }),
        );
    }
    let sent: Vec<u8> = sent.concat();
    let observations = observations(capture, &player);
    let closed = capture.has_note(PEER_CLOSED);
    let result = step_error.map_or(Ok(()), Err).and_then(|()| {
        if next_step < scenario.steps.len() && !closed {
            return Err(format!(
                "the capture stops at step {next_step} of {}",
                scenario.steps.len()
            ));
        }
        if !scenario.session_silent {
            let recorded = capture.bytes(|record| match record {
                Record::Sent(bytes) => Some(bytes),
                _ => None,
            });
            crate::device::compare("what the session sends", &recorded, &sent)?;
        }
        if let Some(at) = first_difference(&expected_events, player.events()) {
            return Err(format!(
                "event {at} differs: recorded `{}`, replayed `{}`",
                expected_events.get(at).map_or("(none)", String::as_str),
                player.events().get(at).map_or("(none)", String::as_str)
            ));
        }
        if !player.typed_events().contains(&ClientEvent::ComPortActive) {
            return Err("COM-PORT-OPTION never became active".into());
        }
        if !player.is_answered() && !closed {
            return Err("a request got neither an answer nor a timeout".into());
        }
        if capture.has_note(CLIENT_GOT_ALL) {
            let expected = scenario.data_from_device();
            crate::device::compare("data from the device", &expected, &player.data)?;
        }
        Ok(())
    });
    ClientReplay {
        result,
        observations,
    }
}

/// Feeds everything the client sent to a server session, answering each
/// request as a device that takes every setting would. The session reads
/// no further input until a request is answered; each is answered as soon
/// as its event is drained, before the rest of the input is fed.
fn replay_server(capture: &Capture, scenario: &Scenario) -> Result<(), String> {
    let mut session = Session::new(Config::server(), Instant::ZERO);
    let mut data = Vec::new();
    let mut events = Vec::new();
    let mut buffer = [0; 4096];
    let mut discard = [0; 4096];
    for line in &capture.lines {
        let (Record::Sent(bytes) | Record::SentRaw(bytes)) = &line.record else {
            continue;
        };
        let now = Instant::from_micros(line.micros);
        session.handle_timeout(now);
        let mut input = bytes.as_slice();
        while !input.is_empty() {
            let received = session.handle_input(now, input, &mut buffer);
            data.extend_from_slice(&buffer[..received.data_len]);
            input = &input[received.consumed..];
            while let Some(event) = session.poll_event() {
                if let ServerEvent::Request(request) = event {
                    session
                        .respond(answer(request))
                        .map_err(|error| format!("cannot answer {request}: {error}"))?;
                }
                events.push(event);
            }
            while session.poll_transmit(&mut discard) > 0 {}
        }
    }
    let closed = capture.has_note(PEER_CLOSED);
    if !closed {
        let expected = scenario.data_to_device();
        crate::device::compare("data from the client", &expected, &data)?;
    }
    let refused = scenario.steps.iter().any(|step| {
        matches!(step, Step::Raw { bytes, .. } if bytes.windows(3).any(|w| w == [0xff, 0xfc, 44]))
    });
    if refused && !events.contains(&ServerEvent::ComPortUnavailable(Unavailable::Refused)) {
        return Err("the client's refusal of COM-PORT-OPTION was not reported".into());
    }
    Ok(())
}

/// What a device that takes every setting answers.
fn answer(request: Command) -> Command {
    match request {
        Command::SetBaudRate(0) => Command::SetBaudRate(115_200),
        Command::SetDataSize(DataSize::Query) => Command::SetDataSize(DataSize::Eight),
        Command::SetParity(Parity::Query) => Command::SetParity(Parity::None),
        Command::SetStopSize(StopSize::Query) => Command::SetStopSize(StopSize::One),
        Command::SetControl(Control::QueryFlowControl) => {
            Command::SetControl(Control::NoFlowControl)
        }
        Command::SetControl(Control::QueryBreak) => Command::SetControl(Control::BreakOff),
        Command::SetControl(Control::QueryDtr) => Command::SetControl(Control::DtrOn),
        Command::SetControl(Control::QueryRts) => Command::SetControl(Control::RtsOn),
        Command::SetControl(Control::QueryInboundFlowControl) => {
            Command::SetControl(Control::NoInboundFlowControl)
        }
        other => other,
    }
}

fn first_difference(a: &[String], b: &[String]) -> Option<usize> {
    (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))
}

/// The peer's behaviour worth a line in the report: answers that differ
/// from the request, missing and unasked answers, broken rules, odd bytes
/// on the wire, and what the device end saw go wrong while recording.
fn observations(capture: &Capture, player: &Player) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let described = |id: Option<RequestId>| {
        id.and_then(|id| player.request_of(id))
            .map_or_else(|| "?".to_owned(), |request| request.to_string())
    };
    // Answers to requests that were not awaited come unsolicited, in order.
    let mut unawaited: Vec<Command> = player.unawaited_requests().collect();
    for event in player.typed_events() {
        // A signature answer is judged as the reply it is.
        let reply = match *event {
            ClientEvent::Reply { id, reply, status } => Some((id, reply, status)),
            ClientEvent::Signature { id, status, .. } => Some((id, Command::Signature, status)),
            _ => None,
        };
        let text = match (reply, *event) {
            (Some((id, reply, status)), _) => match status {
                ReplyStatus::Confirmed => continue,
                ReplyStatus::Rejected => format!("answers {} with {reply}", described(id)),
                ReplyStatus::Tolerated => {
                    format!("answers {} with {reply} (tolerated)", described(id))
                }
                ReplyStatus::Late => format!("answers {} late, after 1 s", described(id)),
                ReplyStatus::Unsolicited => {
                    match unawaited
                        .iter()
                        .position(|asked| asked.kind() == reply.kind())
                    {
                        Some(at) => {
                            let asked = unawaited.remove(at);
                            if asked == reply {
                                continue;
                            }
                            format!("answers {asked} with {reply} (not awaited)")
                        }
                        None => format!("sends {reply} unasked"),
                    }
                }
                _ => format!("answers {} with {reply} ({status:?})", described(id)),
            },
            (None, ClientEvent::Timeout { request, .. }) => {
                format!("no answer to {request} within 1 s")
            }
            (None, ClientEvent::PeerViolation(violation)) => format!("breaks a rule: {violation}"),
            (None, ClientEvent::ComPortUnavailable(why)) => {
                format!("COM-PORT-OPTION unavailable: {why:?}")
            }
            // A pty has no modem lines: anything but 0 is made up.
            (None, ClientEvent::ModemState(state)) if state.0 != 0 => {
                format!(
                    "reports modem lines {:#04x} on a pty, which has none",
                    state.0
                )
            }
            _ => continue,
        };
        seen.insert(text);
    }
    let received = capture.bytes(|record| match record {
        Record::Received(bytes) => Some(bytes),
        _ => None,
    });
    seen.extend(wire::oddities(&received));
    for line in &capture.lines {
        if let Record::Note(text) = &line.record {
            if let Some(problem) = text.strip_prefix("FAILED: ") {
                seen.insert(format!("live: {problem}"));
            } else if text.contains(PEER_CLOSED) {
                seen.insert(format!("live: {text}"));
            }
        }
    }
    seen.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: &str = include_str!("../../captures/ser2net-settings.cap");
    const REFUSE: &str = include_str!("../../captures/ser2net-refuse.cap");
    const OPEN: &str = include_str!("../../captures/ser2net-open.cap");

    fn outcome(text: &str) -> Outcome {
        replay(&Capture::parse(text).expect("a capture")).outcome
    }

    fn failure(text: &str) -> String {
        match outcome(text) {
            Outcome::Fail(why) => why,
            other => panic!("expected a failure, got {other}"),
        }
    }

    #[test]
    fn committed_captures_replay() {
        assert_eq!(outcome(SETTINGS), Outcome::Pass);
        assert_eq!(outcome(REFUSE), Outcome::Pass);
        // Its events name requests that are not awaited, and a signature.
        assert_eq!(outcome(OPEN), Outcome::Pass);
    }

    #[test]
    fn a_changed_answer_changes_the_events() {
        let changed = SETTINGS.replacen(
            "s< ff fa 2c 65 00 00 25 80",
            "s< ff fa 2c 65 00 00 25 81",
            1,
        );
        assert!(
            failure(&changed).contains("differs: recorded `Reply"),
            "{changed}"
        );
    }

    #[test]
    fn a_changed_request_changes_what_the_session_sends() {
        let changed = SETTINGS.replacen(
            "c> ff fa 2c 01 00 00 25 80",
            "c> ff fa 2c 01 00 00 25 81",
            1,
        );
        assert!(failure(&changed).contains("what the session sends"));
    }

    #[test]
    fn a_step_the_scenario_does_not_have_is_stale() {
        let changed =
            SETTINGS.replacen("request SetBaudRate(9600)", "request SetBaudRate(4800)", 1);
        assert!(failure(&changed).contains("re-record"));
    }

    #[test]
    fn data_the_server_session_does_not_deliver_fails() {
        let changed = REFUSE.replacen("r> 70 6c 61 69 6e", "r> 70 6c 61 69 6f", 1);
        assert!(failure(&changed).starts_with("server session: data from the client"));
        let no_refusal = REFUSE.replacen("r> ff fe 2c ff fc 2c", "r> ff fe 2c ff fe 2c", 1);
        assert!(
            failure(&no_refusal).contains("refusal"),
            "{}",
            failure(&no_refusal)
        );
    }
}
