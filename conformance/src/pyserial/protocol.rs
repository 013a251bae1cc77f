//! The line protocol of `conformance/peers/pyserial_client.py`: each line
//! the script prints is a request ([`Request`]) that gets one answer line,
//! `ok` or `fail TEXT` (the script describes the protocol in full).

use super::settings::{parse_setting, Setting};

/// A line of the script.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Request {
    /// `scenario NAME`: the scenario begins.
    Scenario(String),
    /// `step TEXT`: what the client does now, for failure messages.
    Step(String),
    /// `failed TEXT`: a pyserial call failed (the scenario fails).
    Failed(String),
    /// `note TEXT`: something worth a line in the report.
    Note(String),
    /// `expect FIELD=VALUE...`: the device must show these settings.
    Expect(Vec<(Setting, u32)>),
    /// `to-device LEN`: the far end starts receiving the payload.
    ToDevice(usize),
    /// `written`: the client wrote it all; check what arrived.
    Written,
    /// `from-device LEN`: the far end starts sending the payload.
    FromDevice(usize),
    /// `read`: the client read it all into its file; check it.
    Read,
    /// `end NAME`: the scenario ends.
    End(String),
}

/// Reads one line of the script.
pub(super) fn parse_line(line: &str) -> Result<Request, String> {
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let len = || {
        rest.parse::<usize>()
            .map_err(|_| format!("`{word}` needs a length, not {rest:?}"))
    };
    let bare = |request| match rest.is_empty() {
        true => Ok(request),
        false => Err(format!("`{word}` takes no argument")),
    };
    match word {
        "scenario" => Ok(Request::Scenario(rest.to_owned())),
        "step" => Ok(Request::Step(rest.to_owned())),
        "failed" => Ok(Request::Failed(rest.to_owned())),
        "note" => Ok(Request::Note(rest.to_owned())),
        "expect" => {
            let expected = rest
                .split_whitespace()
                .map(parse_setting)
                .collect::<Result<Vec<_>, _>>()?;
            match expected.is_empty() {
                true => Err("`expect` needs FIELD=VALUE".to_owned()),
                false => Ok(Request::Expect(expected)),
            }
        }
        "to-device" => Ok(Request::ToDevice(len()?)),
        "written" => bare(Request::Written),
        "from-device" => Ok(Request::FromDevice(len()?)),
        "read" => bare(Request::Read),
        "end" => Ok(Request::End(rest.to_owned())),
        _ => Err(format!("unknown request `{word}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_lines_are_read() {
        assert_eq!(
            parse_line("scenario open"),
            Ok(Request::Scenario("open".into()))
        );
        assert_eq!(
            parse_line("step baudrate 9600"),
            Ok(Request::Step("baudrate 9600".into()))
        );
        assert_eq!(
            parse_line("failed ValueError: remote rejected value for option 'datasize'"),
            Ok(Request::Failed(
                "ValueError: remote rejected value for option 'datasize'".into()
            ))
        );
        assert_eq!(
            parse_line("expect speed=57600 two_stop_bits=0"),
            Ok(Request::Expect(vec![
                (Setting::Speed, 57600),
                (Setting::TwoStopBits, 0)
            ]))
        );
        assert_eq!(
            parse_line("to-device 1048576"),
            Ok(Request::ToDevice(1 << 20))
        );
        assert_eq!(parse_line("written"), Ok(Request::Written));
        assert_eq!(parse_line("from-device 12"), Ok(Request::FromDevice(12)));
        assert_eq!(parse_line("read"), Ok(Request::Read));
        assert_eq!(parse_line("end modem"), Ok(Request::End("modem".into())));
    }

    #[test]
    fn bad_script_lines_are_errors() {
        for line in [
            "",
            "hello",
            "expect",
            "expect speed",
            "expect baud=9600",
            "expect speed=fast",
            "to-device",
            "to-device -1",
            "written 3",
            "read all",
        ] {
            assert!(parse_line(line).is_err(), "{line:?}");
        }
    }
}
