//! A fixed-capacity FIFO queue of small `Copy` values.

#[derive(Clone, Debug)]
pub(crate) struct Ring<T: Copy, const N: usize> {
    slots: [Option<T>; N],
    head: u8,
    len: u8,
}

impl<T: Copy, const N: usize> Default for Ring<T, N> {
    fn default() -> Self {
        Ring {
            slots: [None; N],
            head: 0,
            len: 0,
        }
    }
}

impl<T: Copy, const N: usize> Ring<T, N> {
    pub(crate) fn free(&self) -> usize {
        N - usize::from(self.len)
    }

    /// Appends `value`; returns false (dropping nothing already queued) if full.
    pub(crate) fn push(&mut self, value: T) -> bool {
        if self.free() == 0 {
            return false;
        }
        let slot = (usize::from(self.head) + usize::from(self.len)) % N;
        self.slots[slot] = Some(value);
        self.len += 1;
        true
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        let value = self.slots.get_mut(usize::from(self.head))?.take()?;
        // Capacities are tiny (a session uses 8), so the index fits a u8.
        self.head = ((usize::from(self.head) + 1) % N) as u8;
        self.len -= 1;
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_across_wrap_around_and_refuses_when_full() {
        let mut ring = Ring::<u8, 3>::default();
        for round in 0..5u8 {
            assert!(ring.push(round) && ring.push(round + 10) && ring.push(round + 20));
            assert!(!ring.push(99));
            assert_eq!(ring.pop(), Some(round));
            assert!(ring.push(round + 30));
            assert_eq!(
                [ring.pop(), ring.pop(), ring.pop(), ring.pop()],
                [Some(round + 10), Some(round + 20), Some(round + 30), None]
            );
            assert_eq!(ring.free(), 3);
        }
    }
}
