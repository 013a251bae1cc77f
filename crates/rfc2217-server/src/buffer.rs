//! Bytes a connection holds while the next stage cannot take them.

/// A queue of bytes that owns memory only while it holds some.
///
/// A connection keeps one of these per stage (socket to session, session to
/// device, device to session, session to socket), and in steady state most
/// of them are empty: bytes go from a shared scratch buffer straight to the
/// next stage, and only what that stage refuses lands here. Giving the
/// memory back when the queue empties keeps an idle connection small, which
/// is what lets one thread hold thousands of them. Callers bound the length:
/// a stage that has bytes waiting is not fed more.
#[derive(Debug, Default)]
pub(crate) struct Buffer {
    bytes: Vec<u8>,
    /// Bytes before this position were taken already.
    start: usize,
}

impl Buffer {
    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.bytes.len()
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len() - self.start
    }

    /// Memory held, for the server's accounting.
    pub(crate) fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    /// Queues `data` after what is held.
    pub(crate) fn extend(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if self.start > 0 && self.start >= self.bytes.len() / 2 {
            // Most of the vector was taken: move the rest to the front
            // rather than grow.
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        self.bytes.extend_from_slice(data);
    }

    /// Drops the first `n` bytes (taken by the next stage); the memory goes
    /// back once nothing is left.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.bytes.len());
        if self.is_empty() {
            self.clear();
        }
    }

    /// Drops everything and gives the memory back.
    pub(crate) fn clear(&mut self) {
        self.bytes = Vec::new();
        self.start = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_come_out_in_order_and_memory_goes_back_when_empty() {
        let mut buffer = Buffer::default();
        assert!(buffer.is_empty());
        assert_eq!(buffer.capacity(), 0);
        buffer.extend(b"hello");
        buffer.extend(b" world");
        buffer.consume(6);
        assert_eq!(buffer.as_slice(), b"world");
        buffer.extend(b"!");
        assert_eq!(buffer.as_slice(), b"world!");
        assert_eq!(buffer.len(), 6);
        buffer.consume(6);
        assert!(buffer.is_empty());
        assert_eq!(buffer.capacity(), 0);
    }

    #[test]
    fn a_mostly_taken_buffer_is_compacted_instead_of_grown() {
        let mut buffer = Buffer::default();
        buffer.extend(&[1; 100]);
        let capacity = buffer.capacity();
        for _ in 0..1000 {
            buffer.consume(60);
            buffer.extend(&[2; 60]);
        }
        assert_eq!(buffer.len(), 100);
        assert!(buffer.capacity() <= 2 * capacity.max(160));
    }
}
