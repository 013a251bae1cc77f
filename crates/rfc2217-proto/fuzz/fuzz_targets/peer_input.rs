//! Arbitrary peer input to a client and an access server; see `driver.rs`
//! for the input layout and the invariants checked.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "driver.rs"]
mod driver;

fuzz_target!(|input: &[u8]| driver::run(input));
