//! `serialport::SerialPort` for [`RemotePort`], so a program written for a
//! local port works unchanged with a remote one.

use std::time::Duration;

use rfc2217_client::{
    data_bits_from, data_bits_request, flow_control_from, flow_control_request, parity_from,
    parity_request, stop_bits_from, stop_bits_request,
};
use rfc2217_proto::{Command, Control, DataSize, ModemState, Parity, Purge, StopSize};
use serialport::{ClearBuffer, DataBits, ErrorKind, FlowControl, SerialPort, StopBits};

use super::RemotePort;

type Result<T> = serialport::Result<T>;

impl RemotePort {
    /// Asks the server (a query) and converts the answer.
    fn query<T>(&self, query: Command, convert: impl Fn(Command) -> Option<T>) -> Result<T> {
        let answer = self.request(query)?;
        convert(answer).ok_or_else(|| {
            serialport::Error::new(
                ErrorKind::Unknown,
                format!("the server uses a setting serialport cannot express: {answer}"),
            )
        })
    }

    fn modem_line(&self, line: ModemState) -> Result<bool> {
        Ok(self.modem_state()?.contains(line))
    }
}

impl SerialPort for RemotePort {
    fn name(&self) -> Option<String> {
        Some(RemotePort::name(self).to_owned())
    }

    fn baud_rate(&self) -> Result<u32> {
        self.query(Command::SetBaudRate(0), |answer| match answer {
            Command::SetBaudRate(rate) if rate != 0 => Some(rate),
            _ => None,
        })
    }

    fn data_bits(&self) -> Result<DataBits> {
        self.query(
            Command::SetDataSize(DataSize::Query),
            |answer| match answer {
                Command::SetDataSize(size) => data_bits_from(size),
                _ => None,
            },
        )
    }

    fn flow_control(&self) -> Result<FlowControl> {
        self.query(
            Command::SetControl(Control::QueryFlowControl),
            |answer| match answer {
                Command::SetControl(control) => flow_control_from(control),
                _ => None,
            },
        )
    }

    fn parity(&self) -> Result<serialport::Parity> {
        self.query(Command::SetParity(Parity::Query), |answer| match answer {
            Command::SetParity(parity) => parity_from(parity),
            _ => None,
        })
    }

    fn stop_bits(&self) -> Result<StopBits> {
        self.query(
            Command::SetStopSize(StopSize::Query),
            |answer| match answer {
                Command::SetStopSize(size) => stop_bits_from(size),
                _ => None,
            },
        )
    }

    fn timeout(&self) -> Duration {
        self.read_timeout().unwrap_or(Duration::MAX)
    }

    fn set_baud_rate(&mut self, baud_rate: u32) -> Result<()> {
        self.request(Command::SetBaudRate(baud_rate))?;
        Ok(())
    }

    fn set_data_bits(&mut self, data_bits: DataBits) -> Result<()> {
        self.request(data_bits_request(data_bits))?;
        Ok(())
    }

    fn set_flow_control(&mut self, flow_control: FlowControl) -> Result<()> {
        self.request(flow_control_request(flow_control))?;
        Ok(())
    }

    fn set_parity(&mut self, parity: serialport::Parity) -> Result<()> {
        self.request(parity_request(parity))?;
        Ok(())
    }

    fn set_stop_bits(&mut self, stop_bits: StopBits) -> Result<()> {
        self.request(stop_bits_request(stop_bits))?;
        Ok(())
    }

    fn set_timeout(&mut self, timeout: Duration) -> Result<()> {
        self.set_read_timeout(Some(timeout));
        Ok(())
    }

    fn write_request_to_send(&mut self, level: bool) -> Result<()> {
        self.request(Command::SetControl(if level {
            Control::RtsOn
        } else {
            Control::RtsOff
        }))?;
        Ok(())
    }

    fn write_data_terminal_ready(&mut self, level: bool) -> Result<()> {
        self.request(Command::SetControl(if level {
            Control::DtrOn
        } else {
            Control::DtrOff
        }))?;
        Ok(())
    }

    fn read_clear_to_send(&mut self) -> Result<bool> {
        self.modem_line(ModemState::CTS)
    }

    fn read_data_set_ready(&mut self) -> Result<bool> {
        self.modem_line(ModemState::DSR)
    }

    fn read_ring_indicator(&mut self) -> Result<bool> {
        self.modem_line(ModemState::RI)
    }

    fn read_carrier_detect(&mut self) -> Result<bool> {
        self.modem_line(ModemState::CD)
    }

    fn bytes_to_read(&self) -> Result<u32> {
        Ok(u32::try_from(RemotePort::bytes_to_read(self)).unwrap_or(u32::MAX))
    }

    fn bytes_to_write(&self) -> Result<u32> {
        Ok(u32::try_from(RemotePort::bytes_to_write(self)).unwrap_or(u32::MAX))
    }

    fn clear(&self, buffer_to_clear: ClearBuffer) -> Result<()> {
        let purge = match buffer_to_clear {
            ClearBuffer::Input => Purge::Receive,
            ClearBuffer::Output => Purge::Transmit,
            ClearBuffer::All => Purge::Both,
        };
        Ok(self.purge(purge)?)
    }

    fn try_clone(&self) -> Result<Box<dyn SerialPort>> {
        Ok(Box::new(RemotePort::try_clone(self)))
    }

    fn set_break(&self) -> Result<()> {
        self.request(Command::SetControl(Control::BreakOn))?;
        Ok(())
    }

    fn clear_break(&self) -> Result<()> {
        self.request(Command::SetControl(Control::BreakOff))?;
        Ok(())
    }
}
