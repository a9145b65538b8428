//! No input makes the engine panic, and every finding it reports is
//! consistent with the input: the span is in bounds and holds the secret.

use proptest::prelude::*;
use scanner_engine::{Engine, Finding};
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(Engine::builtin)
}

fn check(input: &[u8]) {
    let findings: Vec<Finding> = engine().scan_bytes(input);
    for f in &findings {
        assert!(
            f.start <= f.end && f.end <= input.len() as u64,
            "span out of bounds"
        );
        assert_eq!(&input[f.start as usize..f.end as usize], &f.secret[..]);
        assert!(f.line >= 1 && f.column >= 1);
    }
}

#[test]
fn adversarial_inputs() {
    const MIB: usize = 1 << 20;
    check(b"");
    check(&vec![b'A'; MIB]);
    check(&vec![0u8; MIB]);
    check(&vec![0xffu8; MIB]);
    check(&b"ghp_".repeat(MIB / 4));
    check(&b"AKIA".repeat(MIB / 4));
    check(&b"-----BEGIN ".repeat(MIB / 11));
    check(&b"postgres://".repeat(MIB / 11));
    // One 1 MiB line with a secret in the middle and at the very end.
    let mut line = vec![b'x'; MIB];
    line[MIB / 2] = b' ';
    line.extend_from_slice(b" 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");
    check(&line);
    // Invalid UTF-8 around anchors.
    check(b"\xff\xfeghp_\xc3\x28R7vX2kq9LmN4pT8sW1yZ3bC6dF0gH52jIYXo\xa0\xa1");
    check(&b"\xf0\x28\x8c\x28xoxb-".repeat(50_000));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes(input in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check(&input);
    }

    #[test]
    fn random_token_soup(parts in proptest::collection::vec(prop_oneof![
        Just(&b"ghp_"[..]), Just(&b"AKIA"[..]), Just(&b"xoxb-"[..]), Just(&b"sk_live_"[..]),
        Just(&b"eyJ"[..]), Just(&b"-----BEGIN RSA PRIVATE KEY-----\n"[..]), Just(&b"://u:p@h"[..]),
        Just(&b"\n"[..]), Just(&b"\0"[..]), Just(&b"\xff"[..]), Just(&b"="[..]), Just(&b"%2F"[..]),
        Just(&b"0123456789abcdefABCDEF"[..]), Just(&b"zZ9_-+/"[..]),
    ], 0..200)) {
        check(&parts.concat());
    }
}
