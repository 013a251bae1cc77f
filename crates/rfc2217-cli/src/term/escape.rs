//! The escape key, `Ctrl-]`, as in telnet and picocom: the key after it is
//! a command for the terminal; every other key goes to the port.

/// `Ctrl-]`.
const ESCAPE: u8 = 0x1d;

/// What to tell the user about the keys.
pub(super) const HELP: &str = "Ctrl-] then: q quit, b send a break, d toggle DTR, r toggle RTS, \
     s show settings and modem lines, + or - change baud, Ctrl-] send Ctrl-]";

/// What a typed byte means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Key {
    /// A byte for the port.
    Data(u8),
    /// The escape key: the next key says what to do.
    Escape,
    /// Leave the terminal.
    Quit,
    /// Anything else the terminal does.
    Action(Action),
}

/// What the terminal does for a key after the escape key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Action {
    Break,
    ToggleDtr,
    ToggleRts,
    Show,
    BaudUp,
    BaudDown,
    /// Any key without a meaning: tell what the keys mean.
    Help,
}

/// Reads typed bytes one by one, remembering an escape key across reads.
#[derive(Default)]
pub(super) struct Keys {
    escaped: bool,
}

impl Keys {
    pub(super) fn feed(&mut self, byte: u8) -> Key {
        if !std::mem::take(&mut self.escaped) {
            self.escaped = byte == ESCAPE;
            return if self.escaped {
                Key::Escape
            } else {
                Key::Data(byte)
            };
        }
        Key::Action(match byte {
            ESCAPE => return Key::Data(ESCAPE),
            b'q' | b'Q' | b'x' | b'X' => return Key::Quit,
            b'b' | b'B' => Action::Break,
            b'd' | b'D' => Action::ToggleDtr,
            b'r' | b'R' => Action::ToggleRts,
            b's' | b'S' => Action::Show,
            b'+' | b'=' => Action::BaudUp,
            b'-' | b'_' => Action::BaudDown,
            _ => Action::Help,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(typed: &[u8]) -> Vec<Key> {
        let mut keys = Keys::default();
        typed.iter().map(|&byte| keys.feed(byte)).collect()
    }

    #[test]
    fn only_the_key_after_the_escape_is_a_command() {
        assert_eq!(
            keys(b"a\x1dbq\x1dq"),
            [
                Key::Data(b'a'),
                Key::Escape,
                Key::Action(Action::Break),
                Key::Data(b'q'),
                Key::Escape,
                Key::Quit,
            ]
        );
        assert_eq!(
            keys(b"\x1d\x1d\x1d"),
            [Key::Escape, Key::Data(0x1d), Key::Escape]
        );
        assert_eq!(keys(b"\x1d?"), [Key::Escape, Key::Action(Action::Help)]);
        assert_eq!(
            keys(b"\x1d+\x1d-"),
            [
                Key::Escape,
                Key::Action(Action::BaudUp),
                Key::Escape,
                Key::Action(Action::BaudDown)
            ]
        );
    }
}
