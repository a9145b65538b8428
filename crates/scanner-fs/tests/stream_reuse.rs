//! An `InputScanner` streams inputs larger than the whole-input limit
//! through one reused `StreamScanner`: each large input must report what a
//! new scanner reports for it, whatever was streamed before.

mod common;

use scanner_engine::Finding;
use scanner_fs::input_scanner::WHOLE_INPUT_LIMIT;
use scanner_fs::sink::{Input, InputOutcome, Scanned};
use scanner_fs::{InputEvent, InputPolicy, InputScanner, Suppressions};

/// More than `WHOLE_INPUT_LIMIT` bytes of lines, a token every `every`
/// lines (numbered from `seed`), so every input differs.
fn large_input(seed: u64, every: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0u64;
    while (out.len() as u64) <= WHOLE_INPUT_LIMIT + 100_000 {
        if i.is_multiple_of(every) {
            out.extend_from_slice(format!("k = tok_{:012}\n", seed + i).as_bytes());
        } else {
            out.extend_from_slice(b"plain text line without anything to find\n");
        }
        i += 1;
    }
    out
}

fn scan(scanner: &mut InputScanner<'_>, data: &[u8]) -> (Vec<Finding>, Scanned) {
    let mut findings = Vec::new();
    let mut scanned = None;
    scanner.scan_reader(
        &mut &data[..],
        Some(data.len() as u64),
        Input::path("big.txt"),
        &mut |event| match event {
            InputEvent::Findings(_, batch) => findings.extend(batch),
            InputEvent::Done(report) => match report.outcome {
                InputOutcome::Scanned(s) => scanned = Some(*s),
                other => panic!("not scanned: {other:?}"),
            },
        },
    );
    (findings, scanned.expect("a report"))
}

#[test]
fn large_inputs_streamed_one_after_another_report_what_a_new_scanner_does() {
    let engine = common::token_engine();
    let suppressions = Suppressions::default();
    let inputs = [
        large_input(0, 997),
        large_input(5, 1499),
        large_input(9, 997),
    ];
    let mut reused = InputScanner::new(&engine, &suppressions, InputPolicy::default());
    for data in &inputs {
        let mut fresh = InputScanner::new(&engine, &suppressions, InputPolicy::default());
        let (want, want_scanned) = scan(&mut fresh, data);
        let (got, got_scanned) = scan(&mut reused, data);
        assert!(want_scanned.streamed && got_scanned.streamed);
        assert!(want.len() > 100, "{}", want.len());
        assert_eq!(got, want);
        assert_eq!(got_scanned.bytes, data.len() as u64);
        assert_eq!(got_scanned.stats, want_scanned.stats);
        assert_eq!(got_scanned.findings, want_scanned.findings);
    }
}
