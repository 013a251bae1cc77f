//! Time as the caller tells it: the core never reads a clock.

use core::time::Duration;

/// A point in time on the caller's monotonic clock, in microseconds since an
/// epoch the caller picks (typically the moment the session was created).
///
/// The session only compares instants and adds durations to them, so any
/// monotonic source works: `std::time::Instant`, a hardware tick counter, or
/// a virtual clock in tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    micros: u64,
}

impl Instant {
    /// The epoch.
    pub const ZERO: Instant = Instant { micros: 0 };

    /// The instant `micros` microseconds after the epoch.
    pub const fn from_micros(micros: u64) -> Self {
        Instant { micros }
    }

    /// The instant `millis` milliseconds after the epoch (saturating).
    pub const fn from_millis(millis: u64) -> Self {
        Instant {
            micros: millis.saturating_mul(1000),
        }
    }

    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> u64 {
        self.micros
    }

    /// `self + duration`, saturating at the end of time instead of wrapping.
    #[must_use]
    pub fn saturating_add(self, duration: Duration) -> Self {
        let add = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        Instant {
            micros: self.micros.saturating_add(add),
        }
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_micros(self.micros.saturating_sub(earlier.micros))
    }
}

impl core::ops::Add<Duration> for Instant {
    type Output = Instant;

    fn add(self, duration: Duration) -> Instant {
        self.saturating_add(duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_saturates_instead_of_wrapping() {
        let late = Instant::from_micros(u64::MAX - 1);
        assert_eq!(
            late + Duration::from_secs(1),
            Instant::from_micros(u64::MAX)
        );
        assert_eq!(Instant::from_millis(u64::MAX).as_micros(), u64::MAX);
    }

    #[test]
    fn duration_since_never_goes_negative() {
        let a = Instant::from_millis(5);
        let b = Instant::from_millis(7);
        assert_eq!(b.saturating_duration_since(a), Duration::from_millis(2));
        assert_eq!(a.saturating_duration_since(b), Duration::ZERO);
    }
}
