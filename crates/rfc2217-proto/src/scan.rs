//! Finding the next byte that needs attention in a run of data.
//!
//! This is the hot loop of both directions: on ordinary data it decides how
//! fast the session moves bytes. It checks whole blocks with a branch-free
//! reduction that the compiler turns into vector instructions, and looks at
//! single bytes only in the block that holds a hit.

use crate::telnet::{CR, IAC};

const BLOCK: usize = 32;

/// Index of the first `IAC` (0xFF) in `bytes`.
pub(crate) fn find_iac(bytes: &[u8]) -> Option<usize> {
    find(
        bytes,
        |block| block.iter().fold(0, |max, &b| max.max(b)) == IAC,
        |b| b == IAC,
    )
}

/// Index of the first `IAC` or `CR` in `bytes` (the stops of NVT mode).
pub(crate) fn find_iac_or_cr(bytes: &[u8]) -> Option<usize> {
    find(
        bytes,
        |block| {
            block
                .iter()
                .fold(false, |hit, &b| hit | (b == IAC) | (b == CR))
        },
        |b| b == IAC || b == CR,
    )
}

fn find(
    bytes: &[u8],
    block_has_hit: impl Fn(&[u8]) -> bool,
    is_hit: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut blocks = bytes.chunks_exact(BLOCK);
    let mut offset = 0;
    for block in &mut blocks {
        if block_has_hit(block) {
            return block.iter().position(|&b| is_hit(b)).map(|i| offset + i);
        }
        offset += BLOCK;
    }
    blocks
        .remainder()
        .iter()
        .position(|&b| is_hit(b))
        .map(|i| offset + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(bytes: &[u8], stops: &[u8]) -> Option<usize> {
        bytes.iter().position(|b| stops.contains(b))
    }

    #[test]
    fn finds_the_first_hit_at_every_position_and_length() {
        for len in 0..100 {
            for at in 0..len {
                let mut bytes = [7u8; 100];
                bytes[at] = IAC;
                if at + 3 < len {
                    bytes[at + 3] = IAC;
                }
                assert_eq!(find_iac(&bytes[..len]), Some(at), "len {len} at {at}");
                bytes[at] = CR;
                assert_eq!(find_iac_or_cr(&bytes[..len]), Some(at));
            }
            assert_eq!(find_iac(&[0u8; 100][..len]), None);
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_a_naive_search(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            proptest::prop_assert_eq!(find_iac(&bytes), naive(&bytes, &[IAC]));
            proptest::prop_assert_eq!(find_iac_or_cr(&bytes), naive(&bytes, &[IAC, CR]));
        }
    }
}
