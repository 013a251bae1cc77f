//! The pty settings the script asks to see, and their check at the device.

use crate::termios::Termios;

/// A pty setting the script can ask about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Setting {
    Speed,
    DataBits,
    Parity,
    TwoStopBits,
    RtsCts,
    XonXoff,
}

impl Setting {
    /// The setting's value in `termios`; flags are 0 or 1.
    fn of(self, termios: &Termios) -> u32 {
        match self {
            Setting::Speed => termios.speed,
            Setting::DataBits => termios.data_bits.into(),
            Setting::Parity => termios.parity.into(),
            Setting::TwoStopBits => termios.two_stop_bits.into(),
            Setting::RtsCts => termios.rts_cts.into(),
            Setting::XonXoff => termios.xon_xoff.into(),
        }
    }

    /// How the report names the setting with `value`.
    fn describe(self, value: u32) -> String {
        let flag = |name: &str| format!("{name} {}", if value == 0 { "off" } else { "on" });
        match self {
            Setting::Speed => format!("speed {value}"),
            Setting::DataBits => format!("{value} data bits"),
            Setting::Parity => flag("parity"),
            Setting::TwoStopBits => flag("two stop bits"),
            Setting::RtsCts => flag("RTS/CTS"),
            Setting::XonXoff => flag("XON/XOFF"),
        }
    }
}

/// `FIELD=VALUE` as the script spells a setting.
pub(super) fn parse_setting(text: &str) -> Result<(Setting, u32), String> {
    let bad = || format!("cannot read the setting {text:?}");
    let (name, value) = text.split_once('=').ok_or_else(bad)?;
    let setting = match name {
        "speed" => Setting::Speed,
        "data_bits" => Setting::DataBits,
        "parity" => Setting::Parity,
        "two_stop_bits" => Setting::TwoStopBits,
        "rts_cts" => Setting::RtsCts,
        "xon_xoff" => Setting::XonXoff,
        _ => return Err(bad()),
    };
    Ok((setting, value.parse().map_err(|_| bad())?))
}

/// `Ok` if the device has every expected setting, else says which differ.
pub(super) fn check_settings(termios: &Termios, expected: &[(Setting, u32)]) -> Result<(), String> {
    let differences: Vec<String> = expected
        .iter()
        .filter(|&&(setting, value)| setting.of(termios) != value)
        .map(|&(setting, value)| {
            format!(
                "the device has {}, not {}",
                setting.describe(setting.of(termios)),
                setting.describe(value)
            )
        })
        .collect();
    match differences.is_empty() {
        true => Ok(()),
        false => Err(differences.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_against_the_device() {
        let termios = Termios {
            speed: 9600,
            data_bits: 8,
            parity: false,
            two_stop_bits: true,
            rts_cts: false,
            xon_xoff: true,
        };
        assert_eq!(
            check_settings(
                &termios,
                &[
                    (Setting::Speed, 9600),
                    (Setting::TwoStopBits, 1),
                    (Setting::XonXoff, 1)
                ]
            ),
            Ok(())
        );
        assert_eq!(
            check_settings(&termios, &[(Setting::Speed, 57600), (Setting::RtsCts, 1)]),
            Err("the device has speed 9600, not speed 57600, \
                 the device has RTS/CTS off, not RTS/CTS on"
                .into())
        );
        assert_eq!(
            check_settings(&termios, &[(Setting::DataBits, 7), (Setting::Parity, 1)]),
            Err("the device has 8 data bits, not 7 data bits, \
                 the device has parity off, not parity on"
                .into())
        );
    }
}
