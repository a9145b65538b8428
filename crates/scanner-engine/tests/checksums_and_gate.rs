//! The rule fields `checksum`, `value_gate` and the keyword-context fields,
//! end to end through the engine: built-in checksummed rules have valid
//! examples and a rejected wrong-checksum negative, failures are counted in
//! `ScanStats`, and bad fields are load errors naming file and rule.

use scanner_engine::{builtin_rules, parse_rules_toml, Checksum, Engine, RuleError};

fn build(toml: &str) -> Result<Engine, RuleError> {
    Engine::builder()
        .builtin_rules(false)
        .rules(parse_rules_toml(toml, "user-rules.toml")?)
        .build()
}

/// Every example of a checksummed built-in rule is reported with a secret
/// that passes the rule's validator; each CRC-checksummed rule has a
/// negative example whose only fault is its checksum, and the engine counts
/// that rejection.
#[test]
fn builtin_checksummed_examples_are_valid_and_wrong_checksums_rejected() {
    let engine = Engine::builtin();
    let mut checked = 0;
    for rule in builtin_rules().unwrap() {
        let Some(name) = rule.checksum.as_deref() else {
            continue;
        };
        let validator = Checksum::from_name(name).expect("known validator");
        for ex in &rule.examples {
            let found = engine.scan_bytes(ex.as_bytes());
            let f = found
                .iter()
                .find(|f| *f.rule_id == *rule.id)
                .unwrap_or_else(|| panic!("{}: example not found: {ex:?}", rule.id));
            assert!(validator.verify(&f.secret), "{}: {ex:?}", rule.id);
            checked += 1;
        }
        if matches!(validator, Checksum::Github | Checksum::Npm) {
            let mut rejected = 0;
            for neg in &rule.negative_examples {
                let mut scratch = engine.new_scratch();
                engine.scan_bytes_with(&mut scratch, neg.as_bytes(), &mut |_| {});
                rejected += scratch.stats().rejected_checksum;
            }
            assert!(
                rejected > 0,
                "{}: no wrong-checksum negative example",
                rule.id
            );
        }
    }
    assert!(checked >= 10, "only {checked} checksummed examples");
}

#[test]
fn unknown_checksum_names_file_and_rule() {
    let msg =
        build("[[rules]]\nid='acme-tok'\nname='x'\nregex='''acme_[a-z]{8}'''\nchecksum='luhn'\n")
            .unwrap_err()
            .to_string();
    assert!(
        msg.contains("user-rules.toml") && msg.contains("acme-tok") && msg.contains("luhn"),
        "{msg}"
    );
}

#[test]
fn user_rule_with_checksum_drops_and_counts_failures() {
    let engine = build(
        "[[rules]]\nid='acme-npm'\nname='x'\nregex='''\\b(npm_[A-Za-z0-9]{36})\\b'''\nchecksum='npm'\n",
    )
    .unwrap();
    let good = Checksum::make_crc_token("npm_", "q7Rt2xVp9LmK4wZsXq3vR8tL2mN7pK");
    let mut bad = good.clone();
    bad.replace_range(10..11, if &good[10..11] == "A" { "B" } else { "A" });
    let mut scratch = engine.new_scratch();
    let mut found = Vec::new();
    let text = format!("a={good}\nb={bad}\n");
    engine.scan_bytes_with(&mut scratch, text.as_bytes(), &mut |f| found.push(f));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].secret, good.as_bytes());
    assert_eq!(scratch.stats().rejected_checksum, 1);
}

#[test]
fn context_rule_with_regex_too_names_file_and_rule() {
    let msg = build(
        "[[rules]]\nid='acme-both'\nname='x'\nregex='''acme_[a-z]{8}'''\ncontext_names=['acmecorp']\nvalue='[a-f0-9]{32}'\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        msg.contains("user-rules.toml") && msg.contains("acme-both") && msg.contains("both"),
        "{msg}"
    );
    let msg = build(
        "[[rules]]\nid='acme-short'\nname='x'\ncontext_names=['acm']\nvalue='[a-f0-9]{32}'\n",
    )
    .unwrap_err()
    .to_string();
    assert!(msg.contains("acme-short") && msg.contains("`acm`"), "{msg}");
}

/// A context rule: found through its generated regex, anchored on the
/// provider name, and gated: placeholders and low-entropy values are
/// rejected and counted.
#[test]
fn context_rule_is_gated_and_counted() {
    let engine = build(
        "[[rules]]\nid='acme-key'\nname='Acme'\ncontext_names=['acmecorp']\ncontext_key='api[_-]?key'\nvalue='[a-f0-9]{32}'\n",
    )
    .unwrap();
    let info = engine.rules().next().unwrap();
    assert_eq!(info.anchors, vec!["acmecorp".to_string()]);
    let found = engine.scan_bytes(b"ACMECORP_API_KEY=0fc9aaf5f7b1bbcc738491da18f2531c\n");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].secret, b"0fc9aaf5f7b1bbcc738491da18f2531c");

    let mut scratch = engine.new_scratch();
    let mut n = 0;
    let text = b"ACMECORP_API_KEY=00000000000000000000000000000000\n\
                 acmecorp.api_key: 0123456789abcdef0123456789abcdef\n\
                 ACMECORP_APIKEY=0fc9aaf5f7b1bbcc738491da18abcdef\n";
    engine.scan_bytes_with(&mut scratch, text, &mut |_| n += 1);
    assert_eq!(n, 0);
    let stats = scratch.stats();
    assert_eq!(
        stats.rejected_placeholder + stats.rejected_entropy,
        3,
        "{stats:?}"
    );
    assert!(stats.rejected_placeholder >= 2, "{stats:?}");

    // value_gate = false turns the gate off.
    let engine = build(
        "[[rules]]\nid='acme-key'\nname='Acme'\ncontext_names=['acmecorp']\nvalue='[a-f0-9]{32}'\nvalue_gate=false\n",
    )
    .unwrap();
    assert_eq!(
        engine
            .scan_bytes(b"acmecorp_key = 0123456789abcdef0123456789abcdef")
            .len(),
        1
    );
}
