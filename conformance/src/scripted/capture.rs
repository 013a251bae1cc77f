//! The capture format: one conversation between a scenario's client and a
//! live peer, as text that diffs well.
//!
//! ```text
//! # rfc2217 conformance capture: ser2net / settings
//! # peer: ser2net 4.3.11
//! # Recorded by `cargo xtask record ser2net settings`; format in docs/conformance.md.
//!     0.000000 step 0 open
//!     0.000210 c> ff fb 00 ff fd 00 ff fb 03 ff fd 03 ff fb 2c
//!     0.001034 s< ff fb 03 ff fd 03 ff fb 01 ff fe 01 ff fd 00 ff fb 00
//!     0.001034 s< ff fd 2c
//!     0.001050 event OptionChanged { option: SuppressGoAhead, side: Remote, enabled: true }
//! ```
//!
//! Each line is the time since the connection was made (seconds, to the
//! microsecond), a tag and its text:
//!
//! * `step I TEXT`: the client started step I of the scenario.
//! * `c>`: bytes our client session sent, in hex.
//! * `r>`: bytes the scenario sent itself, past the session (refusals, bad input).
//! * `s<`: bytes the peer sent, in the order the session was given them.
//! * `tick`: the client's clock fired with no input (a deadline passed).
//! * `event TEXT`: what the client session reported, as the
//!   [`Player`](super::player::Player) spells it.
//! * `note TEXT`: what the scenario saw at the device end (not replayed).
//!
//! Long byte runs are cut into lines of [`BYTES_PER_LINE`]; consecutive
//! lines with the same time and tag are one chunk.

use std::fmt::Write as _;

/// Hex bytes per line.
const BYTES_PER_LINE: usize = 24;

/// Part of the note a recording makes when the peer hung up.
pub(crate) const PEER_CLOSED: &str = "the peer closed the connection";
/// The start of the note that says the client got all the device's data.
pub(crate) const CLIENT_GOT_ALL: &str = "ok: the client got all";

/// What one line records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Record {
    /// The client started a step.
    Step {
        /// Its index in the scenario.
        index: usize,
        /// What it does, as the scenario describes it.
        text: String,
    },
    /// Bytes the client session sent.
    Sent(Vec<u8>),
    /// Bytes the scenario sent past the session.
    SentRaw(Vec<u8>),
    /// Bytes the peer sent.
    Received(Vec<u8>),
    /// The client's clock fired.
    Tick,
    /// An event of the client session.
    Event(String),
    /// An observation at the device end.
    Note(String),
}

impl Record {
    fn tag(&self) -> &'static str {
        match self {
            Record::Step { .. } => "step",
            Record::Sent(_) => "c>",
            Record::SentRaw(_) => "r>",
            Record::Received(_) => "s<",
            Record::Tick => "tick",
            Record::Event(_) => "event",
            Record::Note(_) => "note",
        }
    }
}

/// A record and when it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    /// Microseconds since the connection was made.
    pub(crate) micros: u64,
    /// What happened.
    pub(crate) record: Record,
}

/// A whole capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Capture {
    /// The peer's short name, e.g. `ser2net`.
    pub(crate) peer: String,
    /// The scenario's name.
    pub(crate) scenario: String,
    /// What the peer said it is, e.g. `ser2net 4.3.11`.
    pub(crate) version: String,
    /// The conversation.
    pub(crate) lines: Vec<Line>,
}

impl Capture {
    /// The file name of the capture of `scenario` against `peer`.
    pub(crate) fn file_name(peer: &str, scenario: &str) -> String {
        format!("{peer}-{scenario}.cap")
    }

    /// The capture as text.
    pub(crate) fn to_text(&self) -> String {
        let mut text = format!(
            "# rfc2217 conformance capture: {} / {}\n# peer: {}\n\
             # Recorded by `cargo xtask record {} {}`; format in docs/conformance.md.\n",
            self.peer, self.scenario, self.version, self.peer, self.scenario
        );
        for line in &self.lines {
            let time = format!(
                "{:>5}.{:06}",
                line.micros / 1_000_000,
                line.micros % 1_000_000
            );
            let tag = line.record.tag();
            match &line.record {
                Record::Step { index, text: what } => {
                    let _ = writeln!(text, "{time} {tag} {index} {what}");
                }
                Record::Sent(bytes) | Record::SentRaw(bytes) | Record::Received(bytes) => {
                    for chunk in bytes.chunks(BYTES_PER_LINE) {
                        let _ = writeln!(text, "{time} {tag} {}", hex(chunk));
                    }
                }
                Record::Tick => {
                    let _ = writeln!(text, "{time} {tag}");
                }
                Record::Event(what) | Record::Note(what) => {
                    let _ = writeln!(text, "{time} {tag} {what}");
                }
            }
        }
        text
    }

    /// Reads a capture written by [`Capture::to_text`].
    pub(crate) fn parse(text: &str) -> Result<Capture, String> {
        let header = |key: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix("# ")?.strip_prefix(key))
                .map(str::trim)
        };
        let (peer, scenario) = header("rfc2217 conformance capture:")
            .and_then(|names| names.split_once(" / "))
            .ok_or("no `# rfc2217 conformance capture: PEER / SCENARIO` header")?;
        let version = header("peer:").ok_or("no `# peer:` header")?;
        let mut lines: Vec<Line> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parsed =
                parse_line(line).map_err(|error| format!("line {}: {error}", number + 1))?;
            // A continuation of the chunk above.
            if let Some(last) = lines.last_mut() {
                if last.micros == parsed.micros {
                    match (&mut last.record, &parsed.record) {
                        (Record::Sent(a), Record::Sent(b))
                        | (Record::SentRaw(a), Record::SentRaw(b))
                        | (Record::Received(a), Record::Received(b)) => {
                            a.extend_from_slice(b);
                            continue;
                        }
                        _ => {}
                    }
                }
            }
            lines.push(parsed);
        }
        Ok(Capture {
            peer: peer.to_owned(),
            scenario: scenario.to_owned(),
            version: version.to_owned(),
            lines,
        })
    }

    /// Some `note` line contains `text`.
    pub(crate) fn has_note(&self, text: &str) -> bool {
        self.lines
            .iter()
            .any(|line| matches!(&line.record, Record::Note(note) if note.contains(text)))
    }

    /// All bytes of one direction, in order.
    pub(crate) fn bytes(&self, pick: fn(&Record) -> Option<&Vec<u8>>) -> Vec<u8> {
        self.lines
            .iter()
            .filter_map(|line| pick(&line.record))
            .flatten()
            .copied()
            .collect()
    }
}

fn parse_line(line: &str) -> Result<Line, String> {
    let (time, rest) = line.split_once(' ').ok_or("no tag")?;
    let micros = parse_time(time).ok_or_else(|| format!("bad time `{time}`"))?;
    let (tag, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let record = match tag {
        "step" => {
            let (index, what) = text.split_once(' ').unwrap_or((text, ""));
            Record::Step {
                index: index
                    .parse()
                    .map_err(|_| format!("bad step number `{index}`"))?,
                text: what.to_owned(),
            }
        }
        "c>" => Record::Sent(unhex(text)?),
        "r>" => Record::SentRaw(unhex(text)?),
        "s<" => Record::Received(unhex(text)?),
        "tick" => Record::Tick,
        "event" => Record::Event(text.to_owned()),
        "note" => Record::Note(text.to_owned()),
        other => return Err(format!("unknown tag `{other}`")),
    };
    Ok(Line { micros, record })
}

fn parse_time(time: &str) -> Option<u64> {
    let (seconds, fraction) = time.split_once('.')?;
    if fraction.len() != 6 {
        return None;
    }
    Some(seconds.parse::<u64>().ok()? * 1_000_000 + fraction.parse::<u64>().ok()?)
}

fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 3);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            text.push(' ');
        }
        let _ = write!(text, "{byte:02x}");
    }
    text
}

fn unhex(text: &str) -> Result<Vec<u8>, String> {
    text.split_whitespace()
        .map(|pair| u8::from_str_radix(pair, 16).map_err(|_| format!("bad byte `{pair}`")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Capture {
        let line = |micros, record| Line { micros, record };
        Capture {
            peer: "ser2net".into(),
            scenario: "settings".into(),
            version: "ser2net 4.3.11".into(),
            lines: vec![
                line(
                    0,
                    Record::Step {
                        index: 0,
                        text: "open".into(),
                    },
                ),
                line(210, Record::Sent((0..=60).collect())),
                line(1_034, Record::Received(vec![0xff, 0xfb, 0x03])),
                line(1_050, Record::Event("ComPortActive".into())),
                line(2_000_001, Record::SentRaw(vec![0xff, 0xf0])),
                line(3_500_000, Record::Tick),
                line(3_600_000, Record::Note("device got 3 of 3 bytes".into())),
            ],
        }
    }

    #[test]
    fn text_round_trips_and_long_chunks_are_split_and_rejoined() {
        let capture = sample();
        let text = capture.to_text();
        assert_eq!(text.lines().filter(|l| l.contains(" c> ")).count(), 3);
        assert!(text.contains("    2.000001 r> ff f0\n"), "{text}");
        assert_eq!(Capture::parse(&text), Ok(capture));
    }

    #[test]
    fn the_bytes_of_one_direction_are_joined() {
        let capture = sample();
        let received = capture.bytes(|record| match record {
            Record::Received(bytes) => Some(bytes),
            _ => None,
        });
        assert_eq!(received, [0xff, 0xfb, 0x03]);
    }

    #[test]
    fn bad_lines_are_errors_that_name_the_line() {
        let header = "# rfc2217 conformance capture: a / b\n# peer: a 1\n";
        let bad = |body: &str| Capture::parse(&format!("{header}{body}")).unwrap_err();
        assert_eq!(bad("    0.000001 c> zz\n"), "line 3: bad byte `zz`");
        assert_eq!(bad("    0.01 tick\n"), "line 3: bad time `0.01`");
        assert_eq!(bad("    0.000001 what\n"), "line 3: unknown tag `what`");
        assert!(Capture::parse("    0.000001 tick\n").is_err());
    }
}
