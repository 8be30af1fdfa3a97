#![no_main]
//! Fuzz target: see `streak_repair::fuzz_targets::log_line`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| streak_repair::fuzz_targets::log_line(data));
