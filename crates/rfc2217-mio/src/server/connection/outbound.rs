//! Device to socket: device data and queued commands through the session
//! to the client.

use super::{Connection, Ending, Scratch, BUDGET, CHUNK, HOLD_LIMIT};
use crate::server::device::PortDevice;

impl Connection {
    /// Moves device data and queued commands to the socket until a stage
    /// refuses them; returns the device bytes moved.
    pub(super) fn outbound(
        &mut self,
        device: &mut PortDevice,
        scratch: &mut Scratch,
    ) -> Result<usize, Ending> {
        let mut moved = 0;
        while moved < BUDGET {
            if !self.wire_out.is_empty() {
                let n = self.socket.write(self.wire_out.as_slice())?;
                self.wire_out.consume(n);
                if !self.wire_out.is_empty() {
                    return Ok(moved);
                }
            }
            if !self.from_device.is_empty() {
                let encoded =
                    (self.session).encode_data(self.from_device.as_slice(), &mut scratch.out);
                self.from_device.consume(encoded.consumed);
                moved += encoded.consumed;
                if encoded.written > 0 {
                    self.send(&scratch.out[..encoded.written])?;
                    continue;
                }
                // The session takes no data now: hold more, up to the limit.
                let room = HOLD_LIMIT.saturating_sub(self.from_device.len());
                let n = self.read_device(device, &mut scratch.device[..room.min(CHUNK)])?;
                if n == 0 {
                    return Ok(moved);
                }
                self.from_device.extend(&scratch.device[..n]);
                moved += n;
                continue;
            }
            let n = self.read_device(device, &mut scratch.device)?;
            let fresh = &scratch.device[..n];
            let encoded = self.session.encode_data(fresh, &mut scratch.out);
            self.from_device.extend(&fresh[encoded.consumed..]);
            moved += n;
            let written = encoded.written;
            if written == 0 {
                return Ok(moved);
            }
            self.send(&scratch.out[..written])?;
        }
        Ok(moved)
    }

    /// Reads what the device has (nothing if `buf` is empty).
    fn read_device(&self, device: &mut PortDevice, buf: &mut [u8]) -> Result<usize, Ending> {
        if buf.is_empty() {
            return Ok(0);
        }
        device
            .read(buf)
            .map_err(|error| self.device_error(device, "reading", &error))
    }
}
