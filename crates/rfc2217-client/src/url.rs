//! `rfc2217://host:port?options` URLs, in pyserial's form.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use log::LevelFilter;

/// A parsed `rfc2217://` URL; its form is documented on
/// [`OpenOptions::from_url`](crate::OpenOptions::from_url), the one way in.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PortUrl {
    /// Host name or address (IPv6 without brackets).
    pub(crate) host: String,
    /// TCP port.
    pub(crate) port: u16,
    /// Do not wait for SET-CONTROL answers.
    pub(crate) ign_set_control: bool,
    /// Poll the modem state when the cached one is stale.
    pub(crate) poll_modem: bool,
    /// How long to wait for each answer, if given.
    pub(crate) timeout: Option<Duration>,
    /// The log level asked for, if given.
    pub(crate) logging: Option<LevelFilter>,
}

/// Why a string is not a valid `rfc2217://` URL. The message names the
/// problem and the part of the URL at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlError {
    /// The URL does not start with `rfc2217://`.
    Scheme(String),
    /// No host before the port.
    MissingHost,
    /// No `:PORT` after the host.
    MissingPort,
    /// The port is not a number from 1 to 65535.
    BadPort(String),
    /// An IPv6 address without its closing `]`.
    UnclosedBracket,
    /// An option this crate does not know.
    UnknownOption(String),
    /// An option that needs `=VALUE` has none, or one that takes none has one.
    BadOptionValue {
        /// The option.
        option: String,
        /// What was wrong.
        problem: &'static str,
    },
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const FORM: &str = "expected rfc2217://HOST:PORT[?OPTION[&OPTION...]]";
        match self {
            UrlError::Scheme(url) => write!(f, "`{url}` is not an rfc2217:// URL ({FORM})"),
            UrlError::MissingHost => write!(f, "the URL has no host ({FORM})"),
            UrlError::MissingPort => write!(f, "the URL has no port ({FORM})"),
            UrlError::BadPort(port) => {
                write!(f, "`{port}` is not a TCP port (a number from 1 to 65535)")
            }
            UrlError::UnclosedBracket => write!(f, "an IPv6 host needs a closing `]`"),
            UrlError::UnknownOption(option) => write!(
                f,
                "unknown option `{option}` (known: ign_set_control, poll_modem, timeout=SECONDS, logging=LEVEL)"
            ),
            UrlError::BadOptionValue { option, problem } => write!(f, "option `{option}`: {problem}"),
        }
    }
}

impl std::error::Error for UrlError {}

impl FromStr for PortUrl {
    type Err = UrlError;

    fn from_str(url: &str) -> Result<Self, UrlError> {
        let rest = strip_scheme(url).ok_or_else(|| UrlError::Scheme(url.to_owned()))?;
        let (authority, options) = match rest.find(['?', '/']) {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        let (host, port) = split_host_port(authority)?;
        let mut parsed = PortUrl {
            host: host.to_owned(),
            port,
            ign_set_control: false,
            poll_modem: false,
            timeout: None,
            logging: None,
        };
        for option in options.into_iter().flat_map(|o| o.split(['&', '/'])) {
            if !option.is_empty() {
                parsed.apply_option(option)?;
            }
        }
        Ok(parsed)
    }
}

impl PortUrl {
    /// `host:port` for connecting (IPv6 in brackets).
    pub(crate) fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn apply_option(&mut self, option: &str) -> Result<(), UrlError> {
        let (name, value) = match option.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (option, None),
        };
        let bad = |problem| UrlError::BadOptionValue {
            option: name.to_owned(),
            problem,
        };
        match (name, value) {
            ("ign_set_control", None) => self.ign_set_control = true,
            ("poll_modem", None) => self.poll_modem = true,
            ("ign_set_control" | "poll_modem", Some(_)) => return Err(bad("takes no value")),
            ("timeout", Some(seconds)) => {
                let seconds: f64 = seconds
                    .parse()
                    .map_err(|_| bad("needs a number of seconds, e.g. timeout=2.5"))?;
                let timeout = Duration::try_from_secs_f64(seconds)
                    .map_err(|_| bad("needs a positive number of seconds"))?;
                self.timeout = Some(timeout);
            }
            ("logging", Some(level)) => {
                self.logging = Some(match level {
                    "debug" => LevelFilter::Debug,
                    "info" => LevelFilter::Info,
                    "warning" => LevelFilter::Warn,
                    "error" => LevelFilter::Error,
                    _ => return Err(bad("needs debug, info, warning or error")),
                });
            }
            ("timeout" | "logging", None) => return Err(bad("needs a value")),
            _ => return Err(UrlError::UnknownOption(name.to_owned())),
        }
        Ok(())
    }
}

fn strip_scheme(url: &str) -> Option<&str> {
    const SCHEME: &str = "rfc2217://";
    let head = url.get(..SCHEME.len())?;
    head.eq_ignore_ascii_case(SCHEME)
        .then(|| &url[SCHEME.len()..])
}

fn split_host_port(authority: &str) -> Result<(&str, u16), UrlError> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or(UrlError::UnclosedBracket)?;
        let port = after.strip_prefix(':').ok_or(UrlError::MissingPort)?;
        (host, port)
    } else {
        authority.rsplit_once(':').ok_or(if authority.is_empty() {
            UrlError::MissingHost
        } else {
            UrlError::MissingPort
        })?
    };
    if host.is_empty() {
        return Err(UrlError::MissingHost);
    }
    match port.parse::<u16>() {
        Ok(port) if port > 0 => Ok((host, port)),
        _ if port.is_empty() => Err(UrlError::MissingPort),
        _ => Err(UrlError::BadPort(port.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<PortUrl, UrlError> {
        url.parse()
    }

    #[test]
    fn host_and_port() {
        let url = parse("rfc2217://lab-3.local:2217").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("lab-3.local", 2217));
        assert_eq!(url.address(), "lab-3.local:2217");
        assert!(!url.ign_set_control && !url.poll_modem);
        assert_eq!(parse("RFC2217://10.0.0.7:7000").unwrap().host, "10.0.0.7");
    }

    #[test]
    fn ipv6_in_brackets() {
        let url = parse("rfc2217://[::1]:2217?poll_modem").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.poll_modem),
            ("::1", 2217, true)
        );
        assert_eq!(url.address(), "[::1]:2217");
        assert_eq!(parse("rfc2217://[::1:2217"), Err(UrlError::UnclosedBracket));
        assert_eq!(parse("rfc2217://[::1]"), Err(UrlError::MissingPort));
    }

    #[test]
    fn every_option_in_both_forms() {
        for url in [
            "rfc2217://h:1?ign_set_control&poll_modem&timeout=0.5&logging=debug",
            "rfc2217://h:1/ign_set_control/poll_modem/timeout=0.5/logging=debug",
        ] {
            let url = parse(url).unwrap();
            assert!(url.ign_set_control && url.poll_modem);
            assert_eq!(url.timeout, Some(Duration::from_millis(500)));
            assert_eq!(url.logging, Some(LevelFilter::Debug));
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let message = |url: &str| parse(url).unwrap_err().to_string();
        assert!(message("tcp://h:1").contains("not an rfc2217:// URL"));
        assert!(message("rfc2217://h").contains("no port"));
        assert!(message("rfc2217://:2217").contains("no host"));
        assert!(message("rfc2217://h:99999").contains("`99999` is not a TCP port"));
        assert!(message("rfc2217://h:0").contains("`0` is not a TCP port"));
        assert!(message("rfc2217://h:1?turbo").contains("unknown option `turbo`"));
        assert!(message("rfc2217://h:1?timeout=soon").contains("option `timeout`"));
        assert!(message("rfc2217://h:1?timeout=-1").contains("positive"));
        assert!(message("rfc2217://h:1?timeout").contains("needs a value"));
        assert!(message("rfc2217://h:1?logging=loud").contains("debug, info, warning or error"));
        assert!(message("rfc2217://h:1?poll_modem=yes").contains("takes no value"));
    }
}
