//! Finding the next byte that needs attention in a run of data, and copying
//! the plain bytes before it.
//!
//! This is the hot loop of both directions: on ordinary data it decides how
//! fast the session moves bytes. Without `unsafe` there are no SIMD
//! intrinsics, so the code is written for the auto-vectorizer:
//!
//! * Each 64-byte block is tested with a branch-free OR of byte comparisons
//!   over a fixed-size chunk, which becomes SSE2 `pcmpeqb`/`por` on x86-64
//!   (NEON on AArch64). A `u8::max` fold or `Iterator::any` looks
//!   equivalent but is not: `u8::max` compiles to a compare-and-branch per
//!   byte, `any` exits early, and neither vectorizes (the first made the
//!   old scan 8x slower than a copy).
//! * Only a block that holds a hit is searched for its position, without
//!   branches: SWAR on its eight 64-bit words gives one bit per byte, and
//!   the lowest bit is the first hit. Searching byte by byte instead costs a
//!   mispredicted branch per hit, which dominates on random data.
//! * Copying is fused with scanning, block by block, so a block is read from
//!   memory once and copied while it is still in L1: scanning a whole run and
//!   copying it afterwards reads it twice.

use crate::telnet::{CR, IAC};

/// Bytes tested per step: enough to amortise the test and branch over four
/// vector registers, and eight words for the position search.
const BLOCK: usize = 64;

/// Index of the first `IAC` (0xFF) in `bytes`.
pub(crate) fn find_iac(bytes: &[u8]) -> Option<usize> {
    find::<Iac>(bytes)
}

/// Copies `src` into `dst` up to the first `IAC`, the end of `src` or the
/// end of `dst`, whichever comes first; returns the bytes copied.
pub(crate) fn copy_until_iac(src: &[u8], dst: &mut [u8]) -> usize {
    copy_until::<Iac>(src, dst)
}

/// As [`copy_until_iac`], also stopping at `CR` (the stops of NVT mode).
pub(crate) fn copy_until_iac_or_cr(src: &[u8], dst: &mut [u8]) -> usize {
    copy_until::<IacOrCr>(src, dst)
}

/// Length of the run of `IAC` bytes at the start of `bytes`: all-0xFF data
/// is escaped and unescaped a run at a time instead of a byte at a time.
pub(crate) fn iac_run(bytes: &[u8]) -> usize {
    // In ordinary data a 0xFF comes alone (one escaped pair on the wire):
    // one word answers without setting up a block scan.
    if let Some(Ok(word)) = bytes.get(..8).map(<[u8; 8]>::try_from) {
        let ends = NotIac::in_word(u64::from_le_bytes(word));
        if ends != 0 {
            return ends.trailing_zeros() as usize / 8;
        }
    }
    find::<NotIac>(bytes).unwrap_or(bytes.len())
}

/// A set of bytes to stop at, as a byte test (for the vectorized block
/// test) and as a word test (for the position search).
trait Stops {
    fn is_stop(byte: u8) -> bool;
    /// 0x80 in every byte of `word` that is a stop, 0 in every other byte.
    /// Exact, unlike the classic "has a zero byte" trick, whose borrows can
    /// mark bytes after a hit: here every bit counts.
    fn in_word(word: u64) -> u64;
}

struct Iac;
struct IacOrCr;
struct NotIac;

impl Stops for Iac {
    #[inline(always)]
    fn is_stop(byte: u8) -> bool {
        byte == IAC
    }
    #[inline(always)]
    fn in_word(word: u64) -> u64 {
        equal_bytes(word, IAC)
    }
}

impl Stops for IacOrCr {
    #[inline(always)]
    fn is_stop(byte: u8) -> bool {
        byte == IAC || byte == CR
    }
    #[inline(always)]
    fn in_word(word: u64) -> u64 {
        equal_bytes(word, IAC) | equal_bytes(word, CR)
    }
}

impl Stops for NotIac {
    #[inline(always)]
    fn is_stop(byte: u8) -> bool {
        byte != IAC
    }
    #[inline(always)]
    fn in_word(word: u64) -> u64 {
        !equal_bytes(word, IAC) & HIGH_BITS
    }
}

const LOW_7_BITS: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// 0x80 in every byte of `word` equal to `byte`, 0 elsewhere. Adding 0x7F
/// to the low seven bits of a byte carries into its top bit unless they are
/// all zero, and never into the next byte.
#[inline(always)]
fn equal_bytes(word: u64, byte: u8) -> u64 {
    let diff = word ^ (u64::from(byte) * 0x0101_0101_0101_0101);
    let nonzero = ((diff & LOW_7_BITS) + LOW_7_BITS) | diff;
    !nonzero & HIGH_BITS
}

/// Whether any byte of `block` is a stop. No early exit, so that the loop
/// vectorizes.
#[inline(always)]
fn has_stop<S: Stops>(block: &[u8; BLOCK]) -> bool {
    block
        .iter()
        .fold(0u8, |hit, &b| hit | u8::from(S::is_stop(b)))
        != 0
}

/// Index of the first stop in `block`, or `BLOCK` if there is none.
#[inline(always)]
fn first_in_block<S: Stops>(block: &[u8; BLOCK]) -> usize {
    let mut hits = 0u64;
    for (k, chunk) in block.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        hits |= gather(S::in_word(word)) << (8 * k);
    }
    hits.trailing_zeros() as usize
}

/// Packs the top bit of each byte of `marks` (the only bits set) into the
/// low byte, byte `i` to bit `i`. Shifts and ORs, not the usual multiply:
/// the loop above vectorizes, and SSE2 has no 64-bit multiply.
#[inline(always)]
fn gather(marks: u64) -> u64 {
    let mut bits = marks >> 7; // bit 0 of each byte
    bits |= bits >> 7; // bits 0-1 of each byte: its own and the next byte's
    bits |= bits >> 14; // bits 0-3
    bits |= bits >> 28; // bits 0-7
    bits & 0xFF
}

/// Index of the first stop in `bytes` (at most a block long), or its
/// length if there is none. A short slice is padded: a stop in the padding
/// comes after every real byte, so it reads as "none".
#[inline(always)]
fn first_within<S: Stops>(bytes: &[u8]) -> usize {
    let at = match <&[u8; BLOCK]>::try_from(bytes) {
        Ok(block) => first_in_block::<S>(block),
        Err(_) => {
            let mut block = [0u8; BLOCK];
            let len = bytes.len().min(BLOCK);
            block[..len].copy_from_slice(&bytes[..len]);
            first_in_block::<S>(&block)
        }
    };
    at.min(bytes.len())
}

/// The blocks of `bytes` as arrays, so the compiler knows their length.
fn blocks(bytes: &[u8]) -> impl Iterator<Item = &[u8; BLOCK]> {
    bytes
        .chunks_exact(BLOCK)
        .filter_map(|block| block.try_into().ok())
}

#[inline(always)]
fn find<S: Stops>(bytes: &[u8]) -> Option<usize> {
    let mut offset = 0;
    for block in blocks(bytes) {
        if has_stop::<S>(block) {
            return Some(offset + first_in_block::<S>(block));
        }
        offset += BLOCK;
    }
    let tail = &bytes[offset..];
    let at = first_within::<S>(tail);
    (at < tail.len()).then_some(offset + at)
}

#[inline(always)]
fn copy_until<S: Stops>(src: &[u8], dst: &mut [u8]) -> usize {
    let len = src.len().min(dst.len());
    let (src, dst) = (&src[..len], &mut dst[..len]);
    let mut done = 0;
    for (from, to) in blocks(src).zip(dst.chunks_exact_mut(BLOCK)) {
        if has_stop::<S>(from) {
            break;
        }
        to.copy_from_slice(from);
        done += BLOCK;
    }
    // The block with the stop, or the tail shorter than a block.
    let rest = &src[done..];
    let run = first_within::<S>(&rest[..rest.len().min(BLOCK)]);
    let to = dst[done..]
        .get_mut(..BLOCK)
        .and_then(|to| to.try_into().ok());
    match (blocks(rest).next(), to) {
        (Some(from), Some(to)) => copy_prefix(from, to, run),
        _ => dst[done..done + run].copy_from_slice(&rest[..run]),
    }
    done + run
}

/// Copies the first `len` bytes of `from` into `to`. Written as a bitwise
/// select over the whole block, which vectorizes without branches: a
/// `memcpy` of a random length below 64 mispredicts on its size classes,
/// and there is one per stop on random data. The bytes from `len` on are
/// rewritten with the values they had.
#[inline(always)]
fn copy_prefix(from: &[u8; BLOCK], to: &mut [u8; BLOCK], len: usize) {
    /// Byte indices, so that the comparison is bytewise (`pcmpgtb`); a
    /// `usize` loop counter would be compared in 64-bit lanes.
    const INDEX: [u8; BLOCK] = {
        let mut index = [0u8; BLOCK];
        let mut i = 0;
        while i < BLOCK {
            index[i] = i as u8;
            i += 1;
        }
        index
    };
    // At most BLOCK, so it fits in a byte.
    let len = len.min(BLOCK) as u8;
    for ((to, &from), &i) in to.iter_mut().zip(from).zip(&INDEX) {
        let keep = 0u8.wrapping_sub(u8::from(i < len));
        *to = (from & keep) | (*to & !keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(bytes: &[u8], stops: &[u8]) -> Option<usize> {
        bytes.iter().position(|b| stops.contains(b))
    }

    /// `copy_until_*` must copy exactly the bytes before the first stop,
    /// bounded by both buffers, and leave the rest of `dst` alone.
    fn check_copy(src: &[u8], room: usize, stops: &[u8]) {
        let mut dst = [0xA5u8; 1400];
        let n = if stops.len() == 1 {
            copy_until_iac(src, &mut dst[..room])
        } else {
            copy_until_iac_or_cr(src, &mut dst[..room])
        };
        let expected = naive(src, stops).unwrap_or(src.len()).min(room);
        assert_eq!(n, expected, "src len {} room {room}", src.len());
        assert_eq!(&dst[..n], &src[..n]);
        assert!(dst[n..].iter().all(|&b| b == 0xA5));
    }

    #[test]
    fn finds_the_first_hit_at_every_position_and_length() {
        for len in 0..300 {
            for at in 0..len {
                let mut bytes = [7u8; 300];
                bytes[at] = IAC;
                if at + 3 < len {
                    bytes[at + 3] = IAC;
                }
                assert_eq!(find_iac(&bytes[..len]), Some(at), "len {len} at {at}");
                check_copy(&bytes[..len], len, &[IAC]);
                check_copy(&bytes[..len], at / 2, &[IAC]);
                bytes[at] = CR;
                check_copy(&bytes[..len], len, &[IAC, CR]);
            }
            assert_eq!(find_iac(&[0u8; 300][..len]), None);
            check_copy(&[0u8; 300][..len], len, &[IAC]);
        }
    }

    #[test]
    fn measures_runs_of_iac_of_every_length() {
        for len in 0..300 {
            let mut bytes = [IAC; 301];
            bytes[len] = 0;
            assert_eq!(iac_run(&bytes), len);
            assert_eq!(iac_run(&bytes[..len]), len);
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_a_naive_search(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
            room in 0usize..700,
        ) {
            proptest::prop_assert_eq!(find_iac(&bytes), naive(&bytes, &[IAC]));
            check_copy(&bytes, room, &[IAC]);
            check_copy(&bytes, room, &[IAC, CR]);
            let run = bytes.iter().take_while(|&&b| b == IAC).count();
            proptest::prop_assert_eq!(iac_run(&bytes), run);
        }

        #[test]
        fn agrees_on_sparse_stops(
            len in 0usize..1200,
            hits in proptest::collection::vec((0usize..1200, proptest::bool::ANY), 0..4),
            room in 0usize..1300,
        ) {
            let mut bytes = [b'x'; 1200];
            let bytes = &mut bytes[..len];
            for (at, iac) in hits {
                if let Some(slot) = bytes.get_mut(at) {
                    *slot = if iac { IAC } else { CR };
                }
            }
            proptest::prop_assert_eq!(find_iac(bytes), naive(bytes, &[IAC]));
            check_copy(bytes, room, &[IAC]);
            check_copy(bytes, room, &[IAC, CR]);
        }
    }
}
