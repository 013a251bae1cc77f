//! The RFC 2217 com-port layer: commands and their typed values.

mod command;
pub(crate) mod values;

pub use command::{Command, CommandKind, COM_PORT_OPTION, SERVER_OFFSET};
pub use values::{Control, ControlGroup, DataSize, LineState, ModemState, Parity, Purge, StopSize};
