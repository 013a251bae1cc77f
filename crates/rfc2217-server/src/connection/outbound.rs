//! Device to socket: device data and queued commands through the session
//! to the bytes the driver sends.

use rfc2217_device::Device;

use super::{Connection, Ending, Scratch, CHUNK, HOLD_LIMIT, OUT_LIMIT};

impl Connection {
    /// Moves device data and queued commands towards the socket until a
    /// stage refuses them or a chunk waits for the socket; returns the
    /// device bytes moved.
    pub(super) fn outbound(
        &mut self,
        device: &mut dyn Device,
        scratch: &mut Scratch,
    ) -> Result<usize, Ending> {
        let mut moved = 0;
        while self.wire_out.len() < OUT_LIMIT {
            if !self.from_device.is_empty() {
                let encoded =
                    (self.session).encode_data(self.from_device.as_slice(), &mut scratch.out);
                self.from_device.consume(encoded.consumed);
                moved += encoded.consumed;
                if encoded.written > 0 {
                    self.wire_out.extend(&scratch.out[..encoded.written]);
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
            if encoded.written == 0 {
                return Ok(moved);
            }
            self.wire_out.extend(&scratch.out[..encoded.written]);
        }
        Ok(moved)
    }

    /// Reads what the device has (nothing if `buf` is empty).
    fn read_device(&self, device: &mut dyn Device, buf: &mut [u8]) -> Result<usize, Ending> {
        if buf.is_empty() {
            return Ok(0);
        }
        device
            .read(buf)
            .map_err(|error| self.device_error(device, "reading", &error))
    }
}
