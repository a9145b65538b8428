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
/// that passes the rule's validator; each rule checked by a CRC, a
/// macaroon or a JWT validator has a negative example whose only fault is
/// its checksum or structure, and the engine counts that rejection.
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
        if !matches!(validator, Checksum::Slack) {
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

/// Base64url without padding, as PyPI and JWTs write it.
fn b64url(data: &[u8]) -> String {
    base64_simd::URL_SAFE_NO_PAD.encode_to_string(data)
}

/// A PyPI token as Warehouse serializes it: a version-2 macaroon with a
/// UUID identifier, one caveat and a 32-byte signature.
fn pypi_token(location: &str) -> String {
    let field = |m: &mut Vec<u8>, ty: u8, data: &[u8]| {
        m.extend_from_slice(&[ty, data.len() as u8]);
        m.extend_from_slice(data);
    };
    let mut m = vec![2u8];
    field(&mut m, 1, location.as_bytes());
    field(&mut m, 2, b"5f0c2b7e-93d4-4a61-8e2f-1b7c9d03a4e8");
    m.push(0);
    field(&mut m, 2, br#"[1,["acme-sdk"]]"#);
    m.push(0);
    m.push(0);
    let sig: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(73) ^ 0x5c).collect();
    field(&mut m, 6, &sig);
    format!("pypi-{}", b64url(&m))
}

/// `token` with the character at `at` replaced by a different one.
fn one_changed(token: &str, at: usize, to: char) -> String {
    assert_ne!(&token[at..at + 1], to.to_string(), "{token}");
    let mut t = token.to_string();
    t.replace_range(at..at + 1, &to.to_string());
    t
}

/// For each rule that verifies a checksum since the synthetic tokens of the
/// repository were made valid: a valid token is reported, and the same
/// token with one character changed is not, the drop counted in
/// `rejected_checksum`.
#[test]
fn newly_checksummed_rules_find_valid_tokens_and_reject_one_character_changes() {
    let ghp = Checksum::make_crc_token("ghp_", "Vb3nQ8rT2wLk5mZp9xHc4jDf7gYs1a");
    let npm = Checksum::make_crc_token("npm_", "Kd93LmQp02XvRt57YbWc1NzHe4GsUj");
    let pypi = pypi_token("pypi.org");
    let test_pypi = pypi_token("test.pypi.org");
    let jwt = format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64url(br#"{"sub":"4211","name":"svc-billing","iat":1716239022}"#),
        "75YX8XM5mSLFy5UBIHEYeD7p4Zdl_AK6j0KgodkDINz"
    );
    // (rule, valid token, the same token with one character changed)
    let cases = [
        (
            "github-pat-classic",
            ghp.clone(),
            one_changed(&ghp, 39, if ghp.ends_with('a') { 'b' } else { 'a' }),
        ),
        (
            "github-pat-classic",
            ghp.clone(),
            one_changed(&ghp, 10, if &ghp[10..11] == "a" { 'b' } else { 'a' }),
        ),
        (
            "npm-access-token",
            npm.clone(),
            one_changed(&npm, 39, if npm.ends_with('a') { 'b' } else { 'a' }),
        ),
        // The character after `pypi-AgEIcHlwaS5vcmcC` holds the identifier's length.
        (
            "pypi-upload-token",
            pypi.clone(),
            one_changed(&pypi, 21, 'A'),
        ),
        // The character after `pypi-AgENdGVzdC5weXBpLm9yZwI` holds the identifier's length.
        (
            "pypi-test-upload-token",
            test_pypi.clone(),
            one_changed(&test_pypi, 28, 'A'),
        ),
        // `eyJzdWIiOiI0` is `{"sub":"4`: an `A` for the last `I` drops the quote.
        ("jwt", jwt.clone(), one_changed(&jwt, 47, 'A')),
    ];
    let engine = Engine::builtin();
    for (rule, good, bad) in cases {
        assert_eq!(good.len(), bad.len());
        let hits = |token: &str| {
            let mut scratch = engine.new_scratch();
            let mut found = Vec::new();
            let text = format!("deploy {token}\n");
            engine.scan_bytes_with(&mut scratch, text.as_bytes(), &mut |f| {
                if *f.rule_id == *rule {
                    found.push(f.secret.clone());
                }
            });
            (found, scratch.stats().rejected_checksum)
        };
        let (found, rejected) = hits(&good);
        assert_eq!(found, [good.as_bytes()], "{rule}: {good}");
        assert_eq!(rejected, 0, "{rule}: {good}");
        let (found, rejected) = hits(&bad);
        assert!(found.is_empty(), "{rule}: {bad}");
        assert_eq!(rejected, 1, "{rule}: {bad}");
    }
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
