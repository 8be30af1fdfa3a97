#![no_main]
//! Fuzz target: see `streak_repair::fuzz_targets::tables`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| streak_repair::fuzz_targets::tables(data));
