//! Bad rules are load-time errors that name the rule and the file, and
//! valid edge cases (keywords, anchorless rules, secret groups) work.

use scanner_engine::{parse_rules_toml, Engine, RuleError};

fn build(toml: &str) -> Result<Engine, RuleError> {
    Engine::builder()
        .builtin_rules(false)
        .rules(parse_rules_toml(toml, "user-rules.toml")?)
        .build()
}

fn err(toml: &str) -> String {
    build(toml).unwrap_err().to_string()
}

#[test]
fn invalid_regex_names_file_and_rule() {
    let msg = err("[[rules]]\nid='bad-re'\nname='x'\nregex='abc(['\n");
    assert!(
        msg.contains("user-rules.toml") && msg.contains("bad-re") && msg.contains("invalid regex"),
        "{msg}"
    );
}

#[test]
fn missing_anchor_is_an_error_unless_opted_in() {
    let msg = err("[[rules]]\nid='no-anchor'\nname='x'\nregex='''\\b[a-f0-9]{32}\\b'''\n");
    assert!(msg.contains("no-anchor") && msg.contains("anchor"), "{msg}");

    let engine =
        build("[[rules]]\nid='hex32'\nname='x'\nregex='''\\b[a-f0-9]{32}\\b'''\nanchorless=true\n")
            .unwrap();
    let found = engine.scan_bytes(b"id: 0123456789abcdef0123456789abcdef;");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].secret, b"0123456789abcdef0123456789abcdef");
    assert_eq!(found[0].column, 5);
}

#[test]
fn anchorless_rule_with_variable_length_and_trailing_boundary() {
    // The prefilter may report the shortest end of a match; the window
    // must still reach the longest one, or a trailing `\b` never holds.
    let engine = build(
        "[[rules]]\nid='bang'\nname='x'\nregex='''\\b([0-9]{2}![a-z]{4,20})\\b'''\nanchorless=true\n",
    )
    .unwrap();
    let found = engine.scan_bytes(b"k 12!abcdefghij z");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].secret, b"12!abcdefghij");
    let found = engine.scan_bytes(b"k 12!abcdefghij");
    assert_eq!(found.len(), 1, "at the end of the input: {found:?}");
}

#[test]
fn secret_group_out_of_range() {
    let msg = err("[[rules]]\nid='grp'\nname='x'\nregex='''abc_(\\d+)'''\nsecret_group=2\n");
    assert!(msg.contains("grp") && msg.contains("secret_group"), "{msg}");
}

#[test]
fn duplicate_ids_name_both_files() {
    let a = parse_rules_toml("[[rules]]\nid='dup'\nname='x'\nregex='abcd'\n", "a.toml").unwrap();
    let b = parse_rules_toml("[[rules]]\nid='dup'\nname='y'\nregex='efgh'\n", "b.toml").unwrap();
    let msg = Engine::builder()
        .builtin_rules(false)
        .rules(a)
        .rules(b)
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("dup") && msg.contains("a.toml") && msg.contains("b.toml"),
        "{msg}"
    );
}

#[test]
fn short_keyword_rejected() {
    let msg = err("[[rules]]\nid='short-kw'\nname='x'\nregex='ab[0-9]{8}'\nkeywords=['ab']\n");
    assert!(msg.contains("short-kw") && msg.contains("keyword"), "{msg}");
}

#[test]
fn bad_allow_regex_and_entropy_range() {
    let msg = err("[[rules]]\nid='al'\nname='x'\nregex='abc_[0-9]+'\nallow=['(']\n");
    assert!(msg.contains("al") && msg.contains("allow"), "{msg}");
    let msg = err("[[rules]]\nid='en'\nname='x'\nregex='abc_[0-9]+'\nmin_entropy=9.5\n");
    assert!(msg.contains("en") && msg.contains("min_entropy"), "{msg}");
}

#[test]
fn keywords_entropy_and_allow_filter() {
    let engine = build(
        r#"
[[rules]]
id = "ctx"
name = "context token"
regex = '''(?i)widget[_-]?secret\s*[:=]\s*"?([A-Za-z0-9]{16})'''
keywords = ["widget"]
min_entropy = 3.0
allow = ['''(?i)example''']
"#,
    )
    .unwrap();
    assert_eq!(
        engine
            .scan_bytes(b"WIDGET_SECRET = \"q8ZrT2mW5xK9pL3v\"")
            .len(),
        1
    );
    // Low entropy and allowlisted secrets are rejected.
    assert!(engine
        .scan_bytes(b"widget-secret: aaaaaaaaaaaaaaaa")
        .is_empty());
    assert!(engine
        .scan_bytes(b"widget_secret=EXAMPLEq8ZrT2mW5x")
        .is_empty());
}

#[test]
fn whole_match_when_no_group() {
    let engine = build("[[rules]]\nid='w'\nname='x'\nregex='''zzq_[0-9]{4}'''\n").unwrap();
    let f = &engine.scan_bytes(b"a\n  zzq_1234")[0];
    assert_eq!(
        (f.secret.as_slice(), f.line, f.column, f.start),
        (&b"zzq_1234"[..], 2, 3, 4)
    );
    assert_eq!(f.matched, f.secret);
}

#[test]
fn window_cap_falls_back_to_whole_buffer() {
    let engine = Engine::builder()
        .builtin_rules(false)
        .rules(
            parse_rules_toml(
                "[[rules]]\nid='t'\nname='x'\nregex='''\\b(tkn_[0-9]{4})\\b'''\n",
                "t.toml",
            )
            .unwrap(),
        )
        .tuning(scanner_engine::Tuning::default().with_max_windows_per_rule(3))
        .build()
        .unwrap();
    // Hits far enough apart that their windows do not merge.
    let input = format!("tkn_1234{}", " ".repeat(40)).repeat(10);
    let input = input.as_bytes();
    let mut scratch = engine.new_scratch();
    let mut n = 0;
    engine.scan_bytes_with(&mut scratch, input, &mut |_| n += 1);
    assert_eq!(n, 10);
    assert_eq!(scratch.stats().rules_fully_scanned, 1);
}

#[test]
fn findings_cap_counts_the_rest() {
    let engine = Engine::builder()
        .builtin_rules(false)
        .rules(
            parse_rules_toml(
                "[[rules]]\nid='t'\nname='x'\nregex='''\\b(tkn_[0-9]{4})\\b'''\n",
                "t.toml",
            )
            .unwrap(),
        )
        .tuning(scanner_engine::Tuning::default().with_max_findings_per_scan(4))
        .build()
        .unwrap();
    let mut scratch = engine.new_scratch();
    let mut n = 0;
    engine.scan_bytes_with(&mut scratch, &b"tkn_1234 ".repeat(10), &mut |_| n += 1);
    assert_eq!(n, 4);
    assert_eq!(scratch.stats().findings_dropped, 6);
}

#[test]
fn engine_is_send_and_sync_and_scratch_is_send() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync::<Engine>();
    assert_send::<scanner_engine::Scratch>();
}

#[test]
fn one_scratch_serves_two_engines() {
    let a = build("[[rules]]\nid='a'\nname='x'\nregex='''aaa_[0-9]{3}'''\n").unwrap();
    let b = build("[[rules]]\nid='b'\nname='x'\nregex='''bbb_[0-9]{3}'''\nkeywords=['bbb_']\n")
        .unwrap();
    let mut s = a.new_scratch();
    let input = b"aaa_123 bbb_456";
    let mut ids = Vec::new();
    a.scan_bytes_with(&mut s, input, &mut |f| ids.push(f.rule_id.to_string()));
    b.scan_bytes_with(&mut s, input, &mut |f| ids.push(f.rule_id.to_string()));
    a.scan_bytes_with(&mut s, input, &mut |f| ids.push(f.rule_id.to_string()));
    assert_eq!(ids, vec!["a", "b", "a"]);
}

#[test]
fn generic_rule_yields_to_specific_rule_on_overlap() {
    let engine = build(
        r#"
[[rules]]
id = "acme-token"
name = "Acme token"
regex = '''\b(acme_[a-z0-9]{12})\b'''

[[rules]]
id = "generic-assign"
name = "Generic assignment"
regex = '''(?i)secret\s*=\s*(\S{12,40})'''
generic = true
"#,
    )
    .unwrap();
    let ids = |input: &[u8]| -> Vec<String> {
        engine
            .scan_bytes(input)
            .iter()
            .map(|f| f.rule_id.to_string())
            .collect()
    };
    assert_eq!(ids(b"secret = acme_0a1b2c3d4e5f"), vec!["acme-token"]);
    assert_eq!(ids(b"secret = Zq8rT2mW5xK9pL3v"), vec!["generic-assign"]);
    assert_eq!(
        ids(b"secret = Zq8rT2mW5xK9pL3v acme_0a1b2c3d4e5f"),
        vec!["generic-assign", "acme-token"]
    );
}
