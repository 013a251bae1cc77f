//! The three payloads the issue asks for, 1 MiB each.

/// Payload size: 1 MiB.
pub(crate) const LEN: usize = 1 << 20;

/// One data kind of the benchmark.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// (a) No 0xFF at all: the decoder and encoder only scan and copy.
    NoIac,
    /// (b) Uniformly random bytes: an escaped 0xFF every 256 bytes on average.
    Random,
    /// (c) Every byte 0xFF: the wire form is twice as long.
    AllIac,
}

impl Kind {
    pub(crate) const ALL: [Kind; 3] = [Kind::NoIac, Kind::Random, Kind::AllIac];

    /// Name used for the criterion group and the summary table.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::NoIac => "a_no_iac",
            Kind::Random => "b_random",
            Kind::AllIac => "c_all_iac",
        }
    }

    /// The 1 MiB payload, the same on every run (fixed seed).
    pub(crate) fn payload(self) -> Vec<u8> {
        match self {
            // Every value but 0xFF, so the copy is not a memset in disguise.
            Kind::NoIac => (0..LEN).map(|i| (i % 255) as u8).collect(),
            Kind::Random => {
                let mut state = 0x9E37_79B9_7F4A_7C15_u64;
                (0..LEN).map(|_| splitmix64(&mut state) as u8).collect()
            }
            Kind::AllIac => vec![0xFF; LEN],
        }
    }
}

/// SplitMix64: a tiny, well-mixed generator, so the bench needs no `rand`.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
