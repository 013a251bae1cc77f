//! `serve --config ports.toml`: many devices, each on its own listener
//! with its own options, in the format of [`EXAMPLE`] (which
//! `rfc2217 serve --help` shows). Every error names the file, the line and
//! the field.

use std::fmt::Display;
use std::fs;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use rfc2217_client::Settings;
use rfc2217_device::DeviceSpec;
use rfc2217_server::{SecondClient, ServerConfig};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serialport::{DataBits, FlowControl, Parity, StopBits};
use toml::Spanned;

use super::Listener;
use crate::failure::{Failure, Result};
use crate::names::{self, SettingWord};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    port: Vec<Port>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Port {
    #[serde(deserialize_with = "parsed")]
    device: DeviceSpec,
    listen: Spanned<SocketAddr>,
    signature: Option<Spanned<String>>,
    #[serde(default)]
    second_client: Policy,
    #[serde(default, deserialize_with = "seconds")]
    idle_timeout: Option<Duration>,
    /// Client addresses allowed to connect (CIDR networks or addresses).
    allow: Option<Spanned<Vec<String>>>,
    baud: Option<u32>,
    #[serde(default, deserialize_with = "word")]
    data_bits: Option<DataBits>,
    #[serde(default, deserialize_with = "word")]
    parity: Option<Parity>,
    #[serde(default, deserialize_with = "word")]
    stop_bits: Option<StopBits>,
    #[serde(default, deserialize_with = "word")]
    flow: Option<FlowControl>,
}

/// Every option of the file, shown by `rfc2217 serve --help`.
pub(super) const EXAMPLE: &str = r#"A config file lists ports (every key but device and listen is optional):

  [[port]]
  device = "/dev/ttyUSB0"       # or "loop://"
  listen = "0.0.0.0:2217"
  signature = "bench 3"         # default: the server and the device
  second-client = "kick-old"    # or "refuse", the default
  idle-timeout = 600            # seconds without a byte from the client
  allow = ["10.1.0.0/16", "192.168.1.20"]  # client addresses; default: any
  baud = 115200                 # the settings the device gets at start
  data-bits = 8                 # and after every client; by default
  parity = "none"               # 9600 8N1 without flow control
  stop-bits = 1
  flow = "none"                 # or "xonxoff", "rtscts"

  [[port]]
  device = "loop://"
  listen = "127.0.0.1:2218""#;

/// [`SecondClient`] as the file spells it.
#[derive(Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Policy {
    #[default]
    Refuse,
    KickOld,
}

/// Reads `path` into the listeners it describes.
pub(super) fn load(path: &Path) -> Result<Vec<Listener>> {
    let text = fs::read_to_string(path)
        .map_err(|error| Failure::new(format!("{}: {error}", path.display())))?;
    let place = Place { path, text: &text };
    let file = parse(&text).map_err(|(span, field, message)| {
        Failure::new(format!("{}: {message}", place.at(span, &field)))
    })?;
    if file.port.is_empty() {
        return Err(Failure::new(format!(
            "{}: no [[port]] to serve",
            path.display()
        )));
    }
    file.port
        .into_iter()
        .enumerate()
        .map(|(index, port)| port.listener(&place, index))
        .collect()
}

/// A deserialization error's span, field path and message.
type Located = (Option<Range<usize>>, String, String);

fn parse(text: &str) -> std::result::Result<File, Located> {
    let deserializer = toml::Deserializer::parse(text)
        .map_err(|error| (error.span(), String::new(), error.message().to_owned()))?;
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        // The root shows as `.`, and `Spanned` as a private field: leave
        // them out.
        let path = error.path().to_string();
        let field: Vec<&str> = path
            .split('.')
            .filter(|part| !part.is_empty() && !part.starts_with("$__"))
            .collect();
        let inner = error.into_inner();
        (inner.span(), field.join("."), inner.message().to_owned())
    })
}

impl Port {
    fn listener(self, place: &Place, index: usize) -> Result<Listener> {
        let field = |name: &str| format!("port[{index}].{name}");
        let defaults = Settings::default();
        let mut config = ServerConfig::new(self.device.clone())
            .with_defaults(Settings {
                baud_rate: self.baud.unwrap_or(defaults.baud_rate),
                data_bits: self.data_bits.unwrap_or(defaults.data_bits),
                parity: self.parity.unwrap_or(defaults.parity),
                stop_bits: self.stop_bits.unwrap_or(defaults.stop_bits),
                flow_control: self.flow.unwrap_or(defaults.flow_control),
            })
            .with_second_client(match self.second_client {
                Policy::Refuse => SecondClient::Refuse,
                Policy::KickOld => SecondClient::KickOld,
            })
            .with_idle_timeout(self.idle_timeout);
        if let Some(allow) = &self.allow {
            let networks = allowed_networks(allow.get_ref()).map_err(|message| {
                let at = place.at(Some(allow.span()), &field("allow"));
                Failure::new(format!("{at}: {message}"))
            })?;
            config = config.with_client_filter(move |address| {
                networks.iter().any(|network| network.contains(&address))
            });
        }
        if let Some(signature) = &self.signature {
            config = config
                .with_signature(signature.get_ref().as_bytes())
                .map_err(|_| {
                    Failure::new(format!(
                        "{}: must be 1 to {} bytes",
                        place.at(Some(signature.span()), &field("signature")),
                        rfc2217_proto::SIGNATURE_CAPACITY
                    ))
                })?;
        }
        Ok(Listener {
            addr: *self.listen.get_ref(),
            device: self.device,
            config,
            origin: place.at(Some(self.listen.span()), &field("listen")),
        })
    }
}

/// CIDR networks (`10.1.0.0/16`) or single addresses (`192.168.1.20`).
fn allowed_networks(entries: &[String]) -> std::result::Result<Vec<IpNet>, String> {
    entries
        .iter()
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!("`{entry}` is not an address or a CIDR network (e.g. 10.1.0.0/16)")
                })
        })
        .collect()
}

/// The file being read, to turn spans into lines.
struct Place<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Place<'_> {
    /// `ports.toml:7: port[1].listen` (the parts that are known).
    fn at(&self, span: Option<Range<usize>>, field: &str) -> String {
        let mut at = self.path.display().to_string();
        if let Some(span) = span {
            let before = self.text.get(..span.start).unwrap_or(self.text);
            at += &format!(":{}", before.matches('\n').count() + 1);
        }
        if !field.is_empty() {
            at += &format!(": {field}");
        }
        at
    }
}

/// A value the file gives as a string and that parses like on the command line.
fn parsed<'de, D, T>(deserializer: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr<Err: Display>,
{
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(D::Error::custom)
}

/// A number of seconds.
fn seconds<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Duration>, D::Error> {
    let seconds = f64::deserialize(deserializer)?;
    names::seconds(&seconds.to_string())
        .map(Some)
        .map_err(D::Error::custom)
}

/// A setting's word (`"even"`); sizes may be numbers (`data-bits = 8`,
/// `stop-bits = 1.5`).
fn word<'de, D, T>(deserializer: D) -> std::result::Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: SettingWord,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Spelled {
        Word(String),
        Integer(u64),
        Number(f64),
    }
    let text = match Spelled::deserialize(deserializer)? {
        Spelled::Word(word) => word,
        Spelled::Integer(number) => number.to_string(),
        Spelled::Number(number) => number.to_string(),
    };
    T::from_word(&text).map(Some).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    #[test]
    fn allow_takes_networks_and_single_addresses() {
        let entries = [
            "10.1.0.0/16".to_owned(),
            "::1".to_owned(),
            "192.168.1.20".to_owned(),
        ];
        let networks = super::allowed_networks(&entries).unwrap();
        let allowed = |ip: &str| {
            networks
                .iter()
                .any(|n| n.contains(&ip.parse::<std::net::IpAddr>().unwrap()))
        };
        assert!(allowed("10.1.200.3") && allowed("::1") && allowed("192.168.1.20"));
        assert!(!allowed("10.2.0.1") && !allowed("192.168.1.21") && !allowed("127.0.0.1"));
    }

    use super::*;

    fn load_text(text: &str) -> Result<Vec<Listener>> {
        let path = std::env::temp_dir().join(format!(
            "rfc2217-cli-config-{}-{:?}.toml",
            std::process::id(),
            std::thread::current().id()
        ));
        fs::write(&path, text).unwrap();
        let loaded = load(&path);
        fs::remove_file(&path).unwrap();
        loaded
    }

    fn error(text: &str) -> String {
        let message = load_text(text).err().expect("an error").to_string();
        // Drop the temporary file's name.
        message[message.find(".toml").unwrap() + 5..].to_owned()
    }

    #[test]
    fn every_option_is_read() {
        let listeners = load_text(
            r#"
            [[port]]
            device = "loop://"
            listen = "127.0.0.1:2217"
            signature = "bench 3"
            second-client = "kick-old"
            idle-timeout = 1.5
            baud = 115200
            data-bits = 7
            parity = "even"
            stop-bits = 2
            flow = "rtscts"

            [[port]]
            device = "/dev/ttyUSB0"
            listen = "[::1]:2218"
            "#,
        )
        .unwrap();
        let [first, second] = listeners.as_slice() else {
            panic!("two ports")
        };
        assert_eq!(first.device, DeviceSpec::Loopback);
        assert_eq!(first.addr, "127.0.0.1:2217".parse().unwrap());
        assert!(first.origin.ends_with(".toml:4: port[0].listen"));
        assert_eq!(first.config.second_client(), SecondClient::KickOld);
        assert_eq!(
            first.config.idle_timeout(),
            Some(Duration::from_millis(1500))
        );
        let defaults = first.config.defaults();
        assert_eq!(defaults.baud_rate, 115_200);
        assert_eq!(defaults.data_bits, DataBits::Seven);
        assert_eq!(defaults.parity, Parity::Even);
        assert_eq!(defaults.stop_bits, StopBits::Two);
        assert_eq!(defaults.flow_control, FlowControl::Hardware);
        assert_eq!(second.device, DeviceSpec::Path("/dev/ttyUSB0".to_owned()));
        assert_eq!(second.config.second_client(), SecondClient::Refuse);
        assert_eq!(second.config.defaults(), &Settings::default());
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let port = "[[port]]\ndevice = \"loop://\"\nlisten = \"127.0.0.1:2217\"\n";
        assert_eq!(
            error(&format!("{port}baud = \"fast\"\n")),
            ":4: port[0].baud: invalid type: string \"fast\", expected u32"
        );
        assert_eq!(
            error(&format!("{port}parity = \"evn\"\n")),
            ":4: port[0].parity: unknown parity `evn` (expected none, odd, even, mark, space)"
        );
        assert_eq!(
            error(&format!(
                "{port}[[port]]\ndevice = \"loop://\"\nlisten = \"nowhere\"\n"
            )),
            ":6: port[1].listen: invalid socket address syntax"
        );
        assert!(error(&format!("{port}turbo = true\n"))
            .starts_with(":4: port[0].turbo: unknown field `turbo`"));
        assert_eq!(
            error("[[port]]\nlisten = \"127.0.0.1:2217\"\n"),
            ":1: port[0]: missing field `device`"
        );
        assert_eq!(
            error(&format!("{port}idle-timeout = -1\n")),
            ":4: port[0].idle-timeout: `-1`: seconds cannot be negative"
        );
        assert_eq!(
            error(&format!("{port}signature = \"\"\n")),
            ":4: port[0].signature: must be 1 to 64 bytes"
        );
        assert_eq!(
            error(&format!("{port}allow = [\"10.0.0.0/8\", \"10.0.0.300\"]\n")),
            ":4: port[0].allow: `10.0.0.300` is not an address or a CIDR network (e.g. 10.1.0.0/16)"
        );
        assert!(error("[[port]\n").starts_with(":1: "));
        assert_eq!(error("\n"), ":1: missing field `port`");
        assert_eq!(error("port = []\n"), ": no [[port]] to serve");
    }
}
