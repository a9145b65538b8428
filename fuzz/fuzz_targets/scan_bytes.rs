#![no_main]
//! `Engine::scan_bytes` never panics, and every finding lies inside the input.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scanner_engine::Engine;

static ENGINE: OnceLock<Engine> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let engine = ENGINE.get_or_init(Engine::builtin);
    let findings = engine.scan_bytes(data);
    let len = data.len() as u64;
    for f in &findings {
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
