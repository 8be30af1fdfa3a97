#![no_main]
//! Fuzz target: see `streak_repair::fuzz_targets::query`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| streak_repair::fuzz_targets::query(data));
