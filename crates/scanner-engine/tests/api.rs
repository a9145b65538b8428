//! The embedder API's promises: a sink that returns `ControlFlow::Break`
//! receives nothing more and stops `scan_reader` from reading on; a
//! `StreamScanner` reused after `finish` or `reset`, or owning an
//! `Arc<Engine>`, reports what a new one does.

use std::io::Read;
use std::ops::ControlFlow;
use std::sync::{Arc, OnceLock};

use scanner_engine::{parse_rules_toml, Engine, Finding, StreamScanner, StreamStats, Tuning};

/// One short rule and small stream rounds, so a few hundred KiB of input
/// take many rounds.
fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(build)
}

fn build() -> Engine {
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

/// What a new scanner reports for `text` fed in `piece`-byte chunks.
fn fresh(text: &[u8], piece: usize) -> (Vec<Finding>, StreamStats) {
    let mut stream = engine().stream();
    feed_all(&mut stream, text, piece)
}

fn feed_all<E: std::borrow::Borrow<Engine>>(
    stream: &mut StreamScanner<E>,
    text: &[u8],
    piece: usize,
) -> (Vec<Finding>, StreamStats) {
    let mut found = Vec::new();
    for p in text.chunks(piece) {
        stream.feed(p, &mut |f| found.push(f));
    }
    let stats = stream.finish(&mut |f| found.push(f));
    (found, stats)
}

#[test]
fn a_stream_scanner_reused_after_finish_or_reset_reports_what_a_new_one_does() {
    let e = engine();
    let long = input(6_000); // many rounds
    let mut short = b"first line\n  tok_abcdefabcdef\n".to_vec();
    short.extend_from_slice(&input(30));
    let (long_found, long_stats) = fresh(&long, 5_000);
    let (short_found, short_stats) = fresh(&short, 64);
    assert_eq!(long_found.len(), 600);
    assert!(long_stats.rounds > 2, "{long_stats:?}");
    assert_eq!((short_found[0].line, short_found[0].column), (2, 3));

    let mut reused = e.stream();
    for _ in 0..2 {
        assert_eq!(
            feed_all(&mut reused, &long, 5_000),
            (long_found.clone(), long_stats)
        );
        assert_eq!(
            feed_all(&mut reused, &short, 64),
            (short_found.clone(), short_stats)
        );
    }
    // Abandoned midway, or stopped by its sink: the next stream is unaffected.
    reused.feed(&long[..200_000], &mut |_| ());
    reused.reset();
    assert_eq!(
        feed_all(&mut reused, &short, 64),
        (short_found.clone(), short_stats)
    );
    reused.feed(&long, &mut |_| ControlFlow::Break(()));
    assert!(reused.is_stopped());
    reused.reset();
    assert!(!reused.is_stopped());
    assert_eq!(
        feed_all(&mut reused, &long, 5_000),
        (long_found, long_stats)
    );
}

#[test]
fn a_stream_scanner_can_own_an_arc_engine_on_another_thread() {
    let text = input(3_000);
    let (expected, _) = fresh(&text, 4_096);
    let engine = Arc::new(build());
    let mut scanner = StreamScanner::new(Arc::clone(&engine));
    let found = std::thread::spawn(move || feed_all(&mut scanner, &text, 4_096).0)
        .join()
        .unwrap();
    assert_eq!(found, expected);
}

mod rule_sets {
    use scanner_engine::compat::RuleFormat;
    use scanner_engine::{Engine, RuleError, RuleSet, Strictness};

    /// Parses, but does not compile: no literal anchor can be derived.
    const NO_ANCHOR: &str =
        "[[rules]]\nid = 'loose'\nname = 'Loose'\nregex = '''\\b([a-z0-9]{32})\\b'''\n";
    const GOOD: &str =
        "[[rules]]\nid = 'acme'\nname = 'Acme'\nregex = '''\\b(acme_[0-9a-f]{16})\\b'''\n";

    fn set(files: &[(&str, &str, Strictness)]) -> RuleSet {
        let mut set = RuleSet::new();
        for (text, origin, strictness) in files {
            set.add_text(text, origin, RuleFormat::Secretscan, *strictness)
                .unwrap();
        }
        set
    }

    fn ids(engine: &Engine) -> Vec<String> {
        engine.rules().map(|r| r.id.to_string()).collect()
    }

    #[test]
    fn invalid_rules_of_lenient_sources_are_skipped_and_of_strict_ones_fail() {
        use Strictness::{Lenient, Strict};
        let lenient = set(&[
            (GOOD, "good.toml", Strict),
            (NO_ANCHOR, "loose.toml", Lenient),
        ]);
        assert!(lenient.is_lenient("loose.toml") && !lenient.is_lenient("good.toml"));
        let (engine, skipped) = Engine::builder()
            .rule_set(lenient)
            .build_with_skipped()
            .unwrap();
        assert_eq!(
            ids(&engine),
            ["acme"],
            "the set replaces the built-in rules"
        );
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].origin(), "loose.toml");

        let strict = set(&[
            (GOOD, "good.toml", Lenient),
            (NO_ANCHOR, "loose.toml", Strict),
        ]);
        let err = Engine::builder()
            .rule_set(strict)
            .build_with_skipped()
            .unwrap_err();
        assert!(matches!(&err, RuleError::InvalidRule { rule_id, .. } if rule_id == "loose"));

        // One origin added both ways is strict.
        let mut both = set(&[(NO_ANCHOR, "x.toml", Lenient)]);
        both.add_text(GOOD, "x.toml", RuleFormat::Secretscan, Strict)
            .unwrap();
        assert!(!both.is_lenient("x.toml"));
        assert!(Engine::builder()
            .rule_set(both)
            .build_with_skipped()
            .is_err());
        // Also across two sets given to one builder.
        let first = set(&[(GOOD, "good.toml", Strict), (NO_ANCHOR, "y.toml", Lenient)]);
        let other = GOOD.replace("acme", "acme2");
        let second = set(&[(&other, "y.toml", Strict)]);
        assert!(Engine::builder()
            .rule_set(first.clone())
            .build_with_skipped()
            .is_ok());
        assert!(Engine::builder()
            .rule_set(first)
            .rule_set(second)
            .build_with_skipped()
            .is_err());
    }

    #[test]
    fn a_duplicate_id_is_skipped_only_when_its_second_definition_is_lenient() {
        use Strictness::{Lenient, Strict};
        let later_lenient = set(&[(GOOD, "a.toml", Strict), (GOOD, "b.toml", Lenient)]);
        let (engine, skipped) = Engine::builder()
            .rule_set(later_lenient)
            .build_with_skipped()
            .unwrap();
        assert_eq!(ids(&engine), ["acme"]);
        assert!(
            matches!(&skipped[..], [RuleError::DuplicateId { second_origin, .. }] if second_origin == "b.toml")
        );
        let later_strict = set(&[(GOOD, "a.toml", Lenient), (GOOD, "b.toml", Strict)]);
        assert!(Engine::builder()
            .rule_set(later_strict)
            .build_with_skipped()
            .is_err());
    }

    #[test]
    fn builtin_rules_come_in_strict_and_rules_in_code_keep_their_origin() {
        let mut set = RuleSet::builtin().unwrap();
        let n = set.rules().len();
        assert_eq!(n, scanner_engine::builtin_rules().unwrap().len());
        assert!(set.rules().iter().all(|r| !set.is_lenient(&r.origin)));
        let mut spec = scanner_engine::parse_rules_toml(NO_ANCHOR, "code").unwrap();
        spec[0].origin = "generated".into();
        set.add_rules(spec, Strictness::Lenient);
        set.retain(|r| r.id == "loose" || r.id.starts_with("aws"));
        assert!(set.is_lenient("generated"));
        let (engine, skipped) = Engine::builder()
            .rule_set(set)
            .build_with_skipped()
            .unwrap();
        assert_eq!(skipped.len(), 1);
        assert!(engine.rules().all(|r| r.id.starts_with("aws")));
    }

    #[test]
    fn a_foreign_file_loaded_strict_fails_on_a_rule_its_loader_skips() {
        let yaml = "rules:\n- name: Ok\n  id: ok.1\n  pattern: '\\b(okk_[0-9]{8})\\b'\n- name: Bad\n  id: bad.1\n  pattern: '(?<=x)abc_[0-9]{8}'\n";
        let loaded =
            scanner_engine::compat::load_rules(yaml, "np.yml", RuleFormat::NoseyParkerYaml)
                .unwrap();
        assert_eq!(loaded.rules.len(), 1);
        assert!(
            matches!(&loaded.skipped[..], [RuleError::InvalidRule { rule_id, .. }] if rule_id == "bad.1")
        );
        let mut set = RuleSet::new();
        let err = set
            .add_text(
                yaml,
                "np.yml",
                RuleFormat::NoseyParkerYaml,
                Strictness::Strict,
            )
            .unwrap_err();
        assert_eq!(err.origin(), "np.yml");
        assert!(set.rules().is_empty(), "nothing of a failed file is kept");
        set.add_text(
            yaml,
            "np.yml",
            RuleFormat::NoseyParkerYaml,
            Strictness::Lenient,
        )
        .unwrap();
        assert_eq!(set.rules().len(), 1);
        assert_eq!(set.take_warnings().len(), 1);
        assert!(set.warnings().is_empty());
    }
}

/// Every public error type is a `std::error::Error` that can cross threads
/// (and so go into `Box<dyn Error + Send + Sync>` or `anyhow::Error`), with
/// a message that says what is wrong.
#[test]
fn public_errors_are_std_errors_with_messages() {
    fn boxed<E: std::error::Error + Send + Sync + 'static>(
        e: E,
    ) -> Box<dyn std::error::Error + Send + Sync> {
        Box::new(e)
    }
    let rule = scanner_engine::parse_rules_toml("[[rules]]\nid = 1\n", "bad.toml").unwrap_err();
    assert!(boxed(rule)
        .to_string()
        .starts_with("bad.toml: invalid rule file:"));
    let unsupported = scanner_engine::compat::translate("(?<=a)b").unwrap_err();
    assert!(!boxed(unsupported).to_string().is_empty());
    let decode = scanner_engine::transform::stream_decode(
        &scanner_engine::TransformConfig::base64_default(),
        b"QUJD!",
        &mut Vec::new(),
        |_| std::ops::ControlFlow::Continue(()),
    )
    .unwrap_err();
    assert!(!boxed(decode).to_string().is_empty());
}
