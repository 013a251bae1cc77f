//! Typed values of the RFC 2217 commands. A value the RFC does not define
//! becomes `Unknown(byte)`, so decoding never fails on an unexpected number.

/// Declares a one-byte wire enum with an `Unknown(u8)` catch-all.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal => $word:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value RFC 2217 does not define, kept as it was received.
            Unknown(u8),
        }

        impl $name {
            /// The value for a wire byte.
            pub const fn from_byte(byte: u8) -> Self {
                match byte {
                    $($value => $name::$variant,)+
                    other => $name::Unknown(other),
                }
            }

            /// The wire byte.
            pub const fn to_byte(self) -> u8 {
                match self {
                    $($name::$variant => $value,)+
                    $name::Unknown(byte) => byte,
                }
            }
        }

        /// The value in RFC 2217's words; an unknown one as its number.
        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self {
                    $($name::$variant => f.write_str($word),)+
                    $name::Unknown(byte) => write!(f, "{byte}"),
                }
            }
        }
    };
}

wire_enum! {
    /// SET-DATASIZE value: bits per character.
    DataSize {
        /// Ask for the value in use.
        Query = 0 => "QUERY",
        /// 5 bits.
        Five = 5 => "5",
        /// 6 bits.
        Six = 6 => "6",
        /// 7 bits.
        Seven = 7 => "7",
        /// 8 bits.
        Eight = 8 => "8",
    }
}

wire_enum! {
    /// SET-PARITY value.
    Parity {
        /// Ask for the value in use.
        Query = 0 => "QUERY",
        /// No parity bit.
        None = 1 => "NONE",
        /// Odd parity.
        Odd = 2 => "ODD",
        /// Even parity.
        Even = 3 => "EVEN",
        /// Parity bit always 1.
        Mark = 4 => "MARK",
        /// Parity bit always 0.
        Space = 5 => "SPACE",
    }
}

wire_enum! {
    /// SET-STOPSIZE value. RFC 2217's table has a typo that repeats the
    /// parity values here; every implementation uses 1, 2 and 3 as below.
    StopSize {
        /// Ask for the value in use.
        Query = 0 => "QUERY",
        /// One stop bit.
        One = 1 => "1",
        /// Two stop bits.
        Two = 2 => "2",
        /// One and a half stop bits.
        OnePointFive = 3 => "1.5",
    }
}

wire_enum! {
    /// SET-CONTROL value: flow control, BREAK, DTR and RTS, with their queries.
    Control {
        /// Ask for the outbound (or combined) flow control in use.
        QueryFlowControl = 0 => "QUERY-FLOW",
        /// No outbound flow control.
        NoFlowControl = 1 => "FLOW-NONE",
        /// XON/XOFF outbound flow control.
        XonXoffFlowControl = 2 => "FLOW-XON-XOFF",
        /// Hardware (RTS/CTS) outbound flow control.
        HardwareFlowControl = 3 => "FLOW-HARDWARE",
        /// Ask for the BREAK state.
        QueryBreak = 4 => "QUERY-BREAK",
        /// BREAK on.
        BreakOn = 5 => "BREAK-ON",
        /// BREAK off.
        BreakOff = 6 => "BREAK-OFF",
        /// Ask for the DTR state.
        QueryDtr = 7 => "QUERY-DTR",
        /// DTR on.
        DtrOn = 8 => "DTR-ON",
        /// DTR off.
        DtrOff = 9 => "DTR-OFF",
        /// Ask for the RTS state.
        QueryRts = 10 => "QUERY-RTS",
        /// RTS on.
        RtsOn = 11 => "RTS-ON",
        /// RTS off.
        RtsOff = 12 => "RTS-OFF",
        /// Ask for the inbound flow control in use.
        QueryInboundFlowControl = 13 => "QUERY-INBOUND-FLOW",
        /// No inbound flow control.
        NoInboundFlowControl = 14 => "INBOUND-FLOW-NONE",
        /// XON/XOFF inbound flow control.
        XonXoffInboundFlowControl = 15 => "INBOUND-FLOW-XON-XOFF",
        /// Hardware inbound flow control.
        HardwareInboundFlowControl = 16 => "INBOUND-FLOW-HARDWARE",
        /// DCD outbound flow control.
        DcdFlowControl = 17 => "FLOW-DCD",
        /// DTR inbound flow control.
        DtrFlowControl = 18 => "INBOUND-FLOW-DTR",
        /// DSR outbound flow control.
        DsrFlowControl = 19 => "FLOW-DSR",
    }
}

/// The group a SET-CONTROL value belongs to: one query and its answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ControlGroup {
    /// Outbound (or combined) flow control: 0-3, 17, 19.
    OutboundFlow,
    /// BREAK: 4-6.
    Break,
    /// DTR: 7-9.
    Dtr,
    /// RTS: 10-12.
    Rts,
    /// Inbound flow control: 13-16, 18.
    InboundFlow,
}

impl Control {
    /// The group of this value, or `None` for an unknown value.
    pub const fn group(self) -> Option<ControlGroup> {
        Some(match self.to_byte() {
            0..=3 | 17 | 19 => ControlGroup::OutboundFlow,
            4..=6 => ControlGroup::Break,
            7..=9 => ControlGroup::Dtr,
            10..=12 => ControlGroup::Rts,
            13..=16 | 18 => ControlGroup::InboundFlow,
            _ => return None,
        })
    }

    /// True for the five query values (0, 4, 7, 10, 13).
    pub const fn is_query(self) -> bool {
        matches!(self.to_byte(), 0 | 4 | 7 | 10 | 13)
    }
}

wire_enum! {
    /// PURGE-DATA value: which of the access server's buffers to empty.
    Purge {
        /// The buffer of data received from the serial line.
        Receive = 1 => "RECEIVE",
        /// The buffer of data waiting to be sent on the serial line.
        Transmit = 2 => "TRANSMIT",
        /// Both buffers.
        Both = 3 => "BOTH",
    }
}

/// Declares a bit-set newtype over one byte.
macro_rules! bit_set {
    ($(#[$meta:meta])* $name:ident { $($(#[$cmeta:meta])* $flag:ident = $bit:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $name(pub u8);

        impl $name {
            $($(#[$cmeta])* pub const $flag: $name = $name($bit);)+
            /// No bit set.
            pub const EMPTY: $name = $name(0);
            /// Every bit set.
            pub const ALL: $name = $name(0xFF);

            /// True if every bit of `other` is set in `self`.
            pub const fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }

            /// True if no bit is set.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }
        }

        /// The set bits' names joined by `|`, most significant first, or
        /// `NONE`.
        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                if self.is_empty() {
                    return f.write_str("NONE");
                }
                let mut separator = "";
                $(if self.contains($name::$flag) {
                    write!(f, "{separator}{}", stringify!($flag))?;
                    separator = "|";
                })+
                Ok(())
            }
        }

        impl core::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, other: $name) -> $name {
                $name(self.0 | other.0)
            }
        }

        impl core::ops::BitAnd for $name {
            type Output = $name;
            fn bitand(self, other: $name) -> $name {
                $name(self.0 & other.0)
            }
        }
    };
}

bit_set! {
    /// NOTIFY-LINESTATE bits (also the SET-LINESTATE-MASK value).
    LineState {
        /// Time-out error.
        TIMEOUT = 128,
        /// Transfer shift register empty.
        SHIFT_REGISTER_EMPTY = 64,
        /// Transfer holding register empty.
        HOLDING_REGISTER_EMPTY = 32,
        /// Break detected.
        BREAK_DETECT = 16,
        /// Framing error.
        FRAMING_ERROR = 8,
        /// Parity error.
        PARITY_ERROR = 4,
        /// Overrun error.
        OVERRUN_ERROR = 2,
        /// Data ready.
        DATA_READY = 1,
    }
}

impl LineState {
    /// The error bits (overrun, parity, framing, break): events, reported
    /// once, unlike the other bits, which are levels.
    pub const ERRORS: LineState = LineState(0x1E);
}

bit_set! {
    /// NOTIFY-MODEMSTATE bits (also the SET-MODEMSTATE-MASK value).
    ModemState {
        /// Carrier detect (receive line signal detect).
        CD = 128,
        /// Ring indicator.
        RI = 64,
        /// Data set ready.
        DSR = 32,
        /// Clear to send.
        CTS = 16,
        /// CD changed since the last notification.
        CD_CHANGED = 8,
        /// RI went off since the last notification (trailing edge).
        RI_TRAILING_EDGE = 4,
        /// DSR changed since the last notification.
        DSR_CHANGED = 2,
        /// CTS changed since the last notification.
        CTS_CHANGED = 1,
    }
}

impl ModemState {
    /// The four line levels (CD, RI, DSR, CTS) without the change bits.
    pub const LINES: ModemState = ModemState(0xF0);

    /// The reading with `previous` -> `self` change bits computed: a changed
    /// CD, DSR or CTS sets its delta bit; RI going off sets the trailing-edge bit.
    pub const fn with_changes_since(self, previous: ModemState) -> ModemState {
        let now = self.0 & 0xF0;
        let before = previous.0 & 0xF0;
        let toggled = now ^ before;
        let mut delta = 0;
        if toggled & Self::CD.0 != 0 {
            delta |= Self::CD_CHANGED.0;
        }
        if before & Self::RI.0 != 0 && now & Self::RI.0 == 0 {
            delta |= Self::RI_TRAILING_EDGE.0;
        }
        if toggled & Self::DSR.0 != 0 {
            delta |= Self::DSR_CHANGED.0;
        }
        if toggled & Self::CTS.0 != 0 {
            delta |= Self::CTS_CHANGED.0;
        }
        ModemState(now | delta)
    }
}

/// A small text buffer for the tests of `Display` (the crate has no alloc).
#[cfg(test)]
#[derive(Default)]
pub(crate) struct Text {
    pub(crate) bytes: [u8; 32],
    pub(crate) len: usize,
}

#[cfg(test)]
impl core::fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(core::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips_through_every_enum() {
        for byte in 0..=255u8 {
            assert_eq!(DataSize::from_byte(byte).to_byte(), byte);
            assert_eq!(Parity::from_byte(byte).to_byte(), byte);
            assert_eq!(StopSize::from_byte(byte).to_byte(), byte);
            assert_eq!(Control::from_byte(byte).to_byte(), byte);
            assert_eq!(Purge::from_byte(byte).to_byte(), byte);
        }
        assert_eq!(Parity::from_byte(9), Parity::Unknown(9));
        assert_eq!(StopSize::from_byte(3), StopSize::OnePointFive);
    }

    #[test]
    fn control_groups_cover_all_twenty_values() {
        let groups = (0..=19u8).map(|b| Control::from_byte(b).group());
        assert!(groups.clone().all(|g| g.is_some()));
        assert_eq!(
            groups
                .filter(|g| *g == Some(ControlGroup::InboundFlow))
                .count(),
            5
        );
        assert_eq!(Control::from_byte(20).group(), None);
        let queries: [u8; 5] = [0, 4, 7, 10, 13];
        for byte in 0..=255u8 {
            assert_eq!(Control::from_byte(byte).is_query(), queries.contains(&byte));
        }
    }

    #[test]
    fn modem_deltas_follow_rfc_2217() {
        let none = ModemState::EMPTY;
        let cts_dsr = ModemState::CTS | ModemState::DSR;
        assert_eq!(
            cts_dsr.with_changes_since(none),
            cts_dsr | ModemState::CTS_CHANGED | ModemState::DSR_CHANGED
        );
        // RI rising sets no delta bit; RI falling sets the trailing edge.
        assert_eq!(ModemState::RI.with_changes_since(none), ModemState::RI);
        assert_eq!(
            none.with_changes_since(ModemState::RI),
            ModemState::RI_TRAILING_EDGE
        );
        assert_eq!(
            none.with_changes_since(ModemState::CD),
            ModemState::CD_CHANGED
        );
        // Delta bits in the inputs are ignored: only levels are compared.
        assert_eq!(ModemState(0x0F).with_changes_since(ModemState(0x0F)), none);
    }
}
