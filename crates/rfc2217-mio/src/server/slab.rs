//! Connections by number: the number is the `mio::Token`, so an event
//! finds its connection without a search.

/// A vector of slots whose free slots are reused. Numbers stay small and
/// dense, so a `Vec` index is the whole lookup.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    slots: Vec<Option<T>>,
    free: Vec<usize>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
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
        match self.free.pop() {
            Some(key) => {
                self.slots[key] = Some(value);
                key
            }
            None => {
                self.slots.push(Some(value));
                self.slots.len() - 1
            }
        }
    }

    pub(crate) fn remove(&mut self, key: usize) -> Option<T> {
        let value = self.slots.get_mut(key)?.take()?;
        self.free.push(key);
        self.len -= 1;
        Some(value)
    }

    pub(crate) fn get(&self, key: usize) -> Option<&T> {
        self.slots.get(key)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, key: usize) -> Option<&mut T> {
        self.slots.get_mut(key)?.as_mut()
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
    fn numbers_are_reused_and_removed_values_are_gone() {
        let mut slab = Slab::default();
        let a = slab.insert("a");
        let b = slab.insert("b");
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.remove(a), None);
        assert_eq!(slab.get(a), None);
        assert_eq!(slab.next_key(), a);
        let c = slab.insert("c");
        assert_eq!(c, a);
        assert_eq!(slab.next_key(), 2);
        assert_eq!(slab.get(b), Some(&"b"));
        assert_eq!(slab.len(), 2);
        assert_eq!(slab.keys(), [a, b]);
    }
}
