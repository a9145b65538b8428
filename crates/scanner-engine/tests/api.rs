//! The embedder API's promises: a sink that returns `ControlFlow::Break`
//! receives nothing more and stops `scan_reader` from reading on.

use std::io::Read;
use std::ops::ControlFlow;
use std::sync::OnceLock;

use scanner_engine::{parse_rules_toml, Engine, Finding, Tuning};

/// One short rule and small stream rounds, so a few hundred KiB of input
/// take many rounds.
fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        let rules = parse_rules_toml(
            "[[rules]]\nid = \"t-token\"\nname = \"test token\"\nregex = '''\\b(tok_[a-z0-9]{12})\\b'''\n",
            "api.toml",
        )
        .unwrap();
        Engine::builder()
            .builtin_rules(false)
            .rules(rules)
            .tuning(Tuning::default().with_stream_step(1024))
            .build()
            .unwrap()
    })
}

/// `lines` lines of filler, every tenth holding a distinct token.
fn input(lines: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..lines {
        if i % 10 == 3 {
            out.extend_from_slice(format!("key{i} = tok_{i:012}\n").as_bytes());
        } else {
            out.extend_from_slice(b"just some filler text on this line, nothing secret\n");
        }
    }
    out
}

fn secrets(found: &[Finding]) -> Vec<Vec<u8>> {
    found.iter().map(|f| f.secret.clone()).collect()
}

#[test]
fn scan_bytes_with_stops_at_break_and_leaves_the_scratch_clean() {
    let e = engine();
    let text = input(100);
    let all = e.scan_bytes(&text);
    assert_eq!(all.len(), 10);
    let mut scratch = e.new_scratch();
    let mut got = Vec::new();
    e.scan_bytes_with(&mut scratch, &text, &mut |f| {
        got.push(f);
        if got.len() == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert_eq!(got, all[..3]);
    assert_eq!(scratch.stats().findings, 3);
    // The next scan with the same scratch reports everything.
    let mut again = Vec::new();
    e.scan_bytes_with(&mut scratch, &text, &mut |f| again.push(f));
    assert_eq!(again, all);
}

#[test]
fn stream_scanner_delivers_nothing_after_break() {
    let e = engine();
    let text = input(20_000);
    let all = e.scan_bytes(&text);
    assert_eq!(all.len(), 2_000);
    let mut stream = e.stream();
    let mut got = Vec::new();
    let mut calls_after_break = 0;
    let mut sink = |f: Finding| {
        if got.len() == 5 {
            calls_after_break += 1;
            return ControlFlow::Break(());
        }
        got.push(f);
        ControlFlow::Continue(())
    };
    for piece in text.chunks(7_000) {
        stream.feed(piece, &mut sink);
    }
    assert!(stream.is_stopped());
    let stats = stream.finish(&mut sink);
    assert_eq!(calls_after_break, 1, "one Break, then silence");
    assert_eq!(secrets(&got), secrets(&all[..5]));
    assert!(
        stats.bytes_fed < text.len() as u64 / 2,
        "input after the stop is ignored: {} of {} bytes taken",
        stats.bytes_fed,
        text.len()
    );
}

/// A reader that counts what it hands out.
struct Counting<'a> {
    data: &'a [u8],
    read: usize,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.data.len() - self.read);
        buf[..n].copy_from_slice(&self.data[self.read..self.read + n]);
        self.read += n;
        Ok(n)
    }
}

#[test]
fn scan_reader_stops_reading_after_break() {
    let e = engine();
    let text = input(100_000); // about 5 MiB
    let mut reader = Counting {
        data: &text,
        read: 0,
    };
    let mut first = None;
    e.scan_reader(&mut reader, &mut |f| {
        assert!(first.is_none(), "a finding after Break");
        first = Some(f);
        ControlFlow::Break(())
    })
    .unwrap();
    assert_eq!(first.unwrap().secret, b"tok_000000000003");
    // The first round needs about two overlaps plus a step.
    let limit = 2 * e.stream_overlap() + 64 * 1024;
    assert!(
        reader.read < limit,
        "read {} bytes of {}",
        reader.read,
        text.len()
    );
    // A closure without a result still takes everything.
    let mut n = 0;
    e.scan_reader(&text[..], &mut |_| n += 1).unwrap();
    assert_eq!(n, 10_000);
}
