//! How a file is read (whole after a sniff, streamed, with or without the
//! head read for archive detection) must not change what is found: files
//! of every size around the head, the sniff and the whole-input limit,
//! with tokens at their start, inside and at their end, report every token
//! at its offset and count every byte; a binary head skips the file.

mod common;

use scanner_fs::archive::{ArchiveLimits, DETECT_HEAD_LEN};
use scanner_fs::sink::{Input, InputOutcome, Skip};
use scanner_fs::sniff::SNIFF_LEN;
use scanner_fs::{InputEvent, InputPolicy, InputScanner, Suppressions};

/// `len` bytes of text with a token at each of `at` (clamped to fit).
fn text_with_tokens(len: usize, at: &[usize]) -> (Vec<u8>, Vec<u64>) {
    let token = |i: usize| format!("tok_{i:012}");
    let mut data: Vec<u8> = b"plain words. ".iter().copied().cycle().take(len).collect();
    let mut starts = Vec::new();
    for (i, &a) in at.iter().enumerate() {
        let t = token(i);
        if len < t.len() + 2 {
            continue;
        }
        let start = a.min(len - t.len() - 1).max(1);
        if starts
            .iter()
            .any(|&s: &u64| (s as usize).abs_diff(start) < t.len() + 2)
        {
            continue;
        }
        data[start - 1] = b' ';
        data[start..start + t.len()].copy_from_slice(t.as_bytes());
        data[start + t.len()] = b' ';
        starts.push(start as u64);
    }
    starts.sort_unstable();
    (data, starts)
}

#[test]
fn every_size_around_the_read_limits_reports_every_token() {
    let engine = common::token_engine();
    let suppressions = Suppressions::default();
    let dir = tempfile::tempdir().unwrap();
    let head = DETECT_HEAD_LEN;
    let limit = scanner_fs::input_scanner::WHOLE_INPUT_LIMIT as usize;
    let eager = scanner_fs::input_scanner::EAGER_READ_LIMIT as usize;
    let sizes = [
        20,
        head - 1,
        head,
        head + 1,
        SNIFF_LEN - 1,
        SNIFF_LEN,
        SNIFF_LEN + 1,
        3 * SNIFF_LEN,
        eager - 1,
        eager,
        eager + 1,
        limit,
        limit + 1,
        limit + SNIFF_LEN,
    ];
    for archives in [None, Some(ArchiveLimits::default())] {
        let policy = InputPolicy {
            archives,
            ..InputPolicy::default()
        };
        let mut scanner = InputScanner::new(&engine, &suppressions, policy);
        for &len in &sizes {
            let at = [
                0,
                head - 10,
                head + 3,
                SNIFF_LEN - 8,
                SNIFF_LEN + 5,
                eager - 7,
                eager + 2,
                len / 2,
                len,
            ];
            let (data, want) = text_with_tokens(len, &at);
            let path = dir.path().join(format!("f{len}.txt"));
            std::fs::write(&path, &data).unwrap();
            let mut found = Vec::new();
            let mut outcome = None;
            scanner.scan_file(&path, Input::path("f.txt"), &mut |event| match event {
                InputEvent::Findings(_, batch) => found.extend(batch.iter().map(|f| f.start)),
                InputEvent::Done(report) => outcome = Some(report.outcome),
            });
            found.sort_unstable();
            assert_eq!(found, want, "size {len}, archives {}", archives.is_some());
            match outcome {
                Some(InputOutcome::Scanned(s)) => {
                    assert_eq!(s.bytes, len as u64, "size {len}");
                    assert_eq!(s.streamed, len > limit, "size {len}");
                }
                other => panic!("size {len}: {other:?}"),
            }
        }
        // A NUL in the head: skipped, whatever the size.
        for len in [
            head + 1,
            SNIFF_LEN + 1,
            4 * SNIFF_LEN,
            eager,
            eager + 1,
            limit + 1,
        ] {
            let (mut data, _) = text_with_tokens(len, &[len / 2]);
            data[100] = 0;
            let path = dir.path().join(format!("b{len}.bin"));
            std::fs::write(&path, &data).unwrap();
            let mut outcome = None;
            scanner.scan_file(&path, Input::path("b.bin"), &mut |event| {
                if let InputEvent::Done(report) = event {
                    outcome = Some(report.outcome);
                }
            });
            assert!(
                matches!(outcome, Some(InputOutcome::Skipped(Skip::Binary))),
                "size {len}: {outcome:?}"
            );
        }
    }
}
