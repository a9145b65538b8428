#![no_main]
//! `Engine::scan_bytes` never panics, every finding lies inside the input
//! and inside its encoded span, and the findings counter equals what the
//! caller receives.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scanner_engine::Engine;

static ENGINE: OnceLock<Engine> = OnceLock::new();

// The engine is built before fuzzing starts, so its compile time is not
// charged to the first input (libFuzzer reports units slower than 10 s).
fuzz_target!(init: {
    ENGINE.get_or_init(Engine::builtin);
}, |data: &[u8]| {
    let engine = ENGINE.get_or_init(Engine::builtin);
    let mut scratch = engine.new_scratch();
    let mut findings = Vec::new();
    engine.scan_bytes_with(&mut scratch, data, &mut |f| findings.push(f));
    assert_eq!(scratch.stats().findings, findings.len() as u64, "findings counter");
    let len = data.len() as u64;
    for f in &findings {
        assert!(
            f.encoded_start <= f.start && f.end <= f.encoded_end,
            "finding {} at {}..{} outside its encoded span {}..{}",
            f.rule_id,
            f.start,
            f.end,
            f.encoded_start,
            f.encoded_end
        );
        assert!(
            f.start <= f.end && f.end <= len,
            "finding {} span {}..{} outside input of {} bytes",
            f.rule_id,
            f.start,
            f.end,
            len
        );
        assert!(f.line >= 1, "finding {} has line {}", f.rule_id, f.line);
        assert!(
            f.column >= 1,
            "finding {} has column {}",
            f.rule_id,
            f.column
        );
    }
});
