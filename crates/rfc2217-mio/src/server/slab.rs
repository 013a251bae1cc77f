//! Connections by number: the number is the `mio::Token`, so an event
//! finds its connection without a search.

/// A vector of slots whose free slots are reused. Numbers stay small and
/// dense, so a `Vec` index is the whole lookup.
///
/// A number is reused, so each value also gets a serial, never reused: a
/// deadline or a turn queued for a value names both, and finds nothing
/// once the value is gone, even if another took its number.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    slots: Vec<Option<(u64, T)>>,
    free: Vec<usize>,
    len: usize,
    /// Values inserted so far: the next value's serial.
    inserted: u64,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            inserted: 0,
        }
    }
}

impl<T> Slab<T> {
    /// The number the next [`insert`](Self::insert) returns, so a value can
    /// be registered under its token before it is stored.
    pub(crate) fn next_key(&self) -> usize {
        self.free.last().copied().unwrap_or(self.slots.len())
    }

    /// Stores `value`; returns its number.
    pub(crate) fn insert(&mut self, value: T) -> usize {
        self.len += 1;
        self.inserted += 1;
        let value = Some((self.inserted, value));
        match self.free.pop() {
            Some(key) => {
                self.slots[key] = value;
                key
            }
            None => {
                self.slots.push(value);
                self.slots.len() - 1
            }
        }
    }

    pub(crate) fn remove(&mut self, key: usize) -> Option<T> {
        let (_, value) = self.slots.get_mut(key)?.take()?;
        self.free.push(key);
        self.len -= 1;
        Some(value)
    }

    pub(crate) fn get(&self, key: usize) -> Option<&T> {
        self.slots.get(key)?.as_ref().map(|(_, value)| value)
    }

    pub(crate) fn get_mut(&mut self, key: usize) -> Option<&mut T> {
        self.slots.get_mut(key)?.as_mut().map(|(_, value)| value)
    }

    /// The serial of the value stored under `key`.
    pub(crate) fn serial(&self, key: usize) -> Option<u64> {
        self.slots.get(key)?.as_ref().map(|(serial, _)| *serial)
    }

    /// The value under `key` if it is the one with `serial`.
    pub(crate) fn get_mut_if(&mut self, key: usize, serial: u64) -> Option<&mut T> {
        match self.slots.get_mut(key)? {
            Some((stored, value)) if *stored == serial => Some(value),
            _ => None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The numbers in use.
    pub(crate) fn keys(&self) -> Vec<usize> {
        let used = self.slots.iter().enumerate();
        used.filter_map(|(key, slot)| slot.as_ref().map(|_| key))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_reused_and_a_serial_tells_a_removed_value_from_its_successor() {
        let mut slab = Slab::default();
        let a = slab.insert("a");
        let b = slab.insert("b");
        let serial_a = slab.serial(a).unwrap();
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.remove(a), None);
        assert_eq!(slab.get(a), None);
        assert_eq!(slab.next_key(), a);
        let c = slab.insert("c");
        assert_eq!(c, a);
        assert_eq!(slab.get_mut_if(c, serial_a), None, "a's number, not a");
        let serial_c = slab.serial(c).unwrap();
        assert_eq!(slab.get_mut_if(c, serial_c), Some(&mut "c"));
        assert_eq!(slab.next_key(), 2);
        assert_eq!(slab.get(b), Some(&"b"));
        assert_eq!(slab.len(), 2);
        assert_eq!(slab.keys(), [a, b]);
    }
}
