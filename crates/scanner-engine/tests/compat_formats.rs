//! Foreign rule formats (Nosey Parker / Kingfisher YAML, gitleaks TOML) load
//! into rules that behave as their authors meant, unsupported rules are
//! skipped with a message naming file and rule, and the engine can be built
//! leaving invalid rules out.

use std::path::Path;

use scanner_engine::compat::{load_rules, LoadedRules, RuleFormat};
use scanner_engine::{Engine, RuleError};

const NP_YAML: &str = r#"
rules:
- name: Demo Service Token
  id: np.demo.1
  pattern: '\b(dmo_[A-Za-z0-9]{20})\b'
  description: A made-up token format.
  categories: [api, secret]
  references:
  - https://example.invalid/demo-tokens
  examples:
  - 'DEMO_TOKEN=dmo_q8ZrT2mW5xK9pL3vN7bC'
  negative_examples:
  - 'dmo_short'

- name: Widget Key (free-spacing)
  id: np.widget.1
  pattern: |
    (?xi)
    widget [_-]? key        # the variable name
    [ \t#]* [:=] \s*        # a space or '#' inside a class is literal
    ([a-z0-9]{16}+)         # possessive in the original dialect
    \b
  examples:
  - 'WIDGET_KEY = q8zrt2mw5xk9pl3v'

- name: Kingfisher Style
  id: kingfisher.acme.1
  pattern: |
    (?x)
    \b
    (acme_live_[A-Za-z0-9]{24})
    \b
  min_entropy: 3.5
  confidence: medium
  visible: true
  validation:
    type: Http
    content:
      request:
        method: GET
        url: https://api.acme.invalid/v1/me
  depends_on_rule:
  - rule_id: kingfisher.acme.2
    variable: ACME_ID
  examples:
  - 'ACME=acme_live_R7vX2kq9LmN4pT8sW1yZ3bC6'

- name: Needs Lookahead
  id: np.look.1
  pattern: 'secret_(?=[0-9])[0-9a-z]{10}'

- name: Has Unknown Field
  id: np.unknown.1
  pattern: '\bunk_[0-9]{8}\b'
  shiny_new_field: true
"#;

const GITLEAKS: &str = r#"
title = "team gitleaks config"

[extend]
useDefault = true

[allowlist]
description = "global"
regexes = ['''^EXAMPLE''']
stopwords = ["notreal"]
paths = ['''(?:^|/)testdata/''']

[[rules]]
id = "acme-api-key"
description = "Acme API key"
regex = '''(?i)acme[_-]?key\s*[:=]\s*["']?([a-z0-9]{32})\b'''
secretGroup = 1
entropy = 3.0
keywords = ["acme", "ak"]
tags = ["acme", "key"]

[[rules.allowlists]]
description = "fixtures"
regexes = ['''^0{8}''']
stopwords = ["deadbeef"]

[[rules]]
id = "zeta-token"
description = "Zeta token"
regex = '''\b(zt-[A-Z0-9]{12}+)\Z'''
path = '''\.env$'''

[rules.allowlist]
regexTarget = "line"
regexes = ['''ignore-me''']

[[rules]]
id = "pem-file"
description = "A path-only rule"
path = '''\.pem$'''

[[rules]]
id = "lookbehind-rule"
regex = '''(?<=token=)[a-z]{20}'''

[[rules]]
id = "and-allowlist"
regex = '''\bqq_[0-9]{10}\b'''

[[rules.allowlists]]
condition = "AND"
regexes = ['''^qq_1''']
paths = ['''vendor/''']
"#;

fn yaml() -> LoadedRules {
    load_rules(NP_YAML, "team.yml", RuleFormat::NoseyParkerYaml).expect("YAML loads")
}

fn gitleaks() -> LoadedRules {
    load_rules(GITLEAKS, "gitleaks.toml", RuleFormat::Gitleaks).expect("gitleaks loads")
}

fn engine(rules: &LoadedRules) -> Engine {
    let (engine, skipped) = Engine::builder()
        .builtin_rules(false)
        .rules(rules.rules.clone())
        .build_skipping_invalid()
        .expect("engine builds");
    assert!(skipped.is_empty(), "{skipped:?}");
    engine
}

fn secrets(engine: &Engine, input: &str) -> Vec<(String, String)> {
    engine
        .scan_bytes(input.as_bytes())
        .into_iter()
        .map(|f| {
            (
                f.rule_id.to_string(),
                String::from_utf8_lossy(&f.secret).into_owned(),
            )
        })
        .collect()
}

fn has_warning(w: &[String], needle: &str) -> bool {
    w.iter().any(|x| x.contains(needle))
}

#[test]
fn detects_formats() {
    assert_eq!(
        RuleFormat::detect(Path::new("rules/team.yaml"), NP_YAML),
        RuleFormat::NoseyParkerYaml
    );
    assert_eq!(
        RuleFormat::detect(Path::new("gitleaks.toml"), GITLEAKS),
        RuleFormat::Gitleaks
    );
    let ours = "[[rules]]\nid = 'x'\nname = 'X'\nregex = 'xyz_[0-9]+'\n";
    assert_eq!(
        RuleFormat::detect(Path::new("mine.toml"), ours),
        RuleFormat::Secretscan
    );
    // No extension: detected from the content.
    assert_eq!(
        RuleFormat::detect(Path::new(".gitleaks"), GITLEAKS),
        RuleFormat::Gitleaks
    );
}

#[test]
fn yaml_maps_fields_and_skips_lookaround() {
    let loaded = yaml();
    let ids: Vec<&str> = loaded.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "np.demo.1",
            "np.widget.1",
            "kingfisher.acme.1",
            "np.unknown.1"
        ]
    );
    let demo = &loaded.rules[0];
    assert_eq!(demo.name, "Demo Service Token");
    assert_eq!(demo.origin, "team.yml");
    assert_eq!(demo.references, ["https://example.invalid/demo-tokens"]);
    assert_eq!(demo.examples.len(), 1);
    assert_eq!(demo.negative_examples, ["dmo_short"]);
    assert_eq!(loaded.rules[2].min_entropy, Some(3.5));

    let w = &loaded.warnings;
    assert!(
        w.iter()
            .any(|x| x.starts_with("team.yml: rule `np.look.1`: skipped: look-ahead")),
        "{w:?}"
    );
    assert!(
        has_warning(w, "team.yml: rule `np.widget.1`: possessive"),
        "{w:?}"
    );
    assert!(has_warning(w, "`shiny_new_field` (1 rule(s))"), "{w:?}");
    // Documented metadata fields are ignored silently.
    assert!(!has_warning(w, "confidence"), "{w:?}");
    assert!(!has_warning(w, "depends_on_rule"), "{w:?}");
}

#[test]
fn yaml_rules_find_what_they_should() {
    let loaded = yaml();
    let engine = engine(&loaded);
    assert_eq!(
        secrets(&engine, "DEMO_TOKEN=dmo_q8ZrT2mW5xK9pL3vN7bC\n"),
        [("np.demo.1".into(), "dmo_q8ZrT2mW5xK9pL3vN7bC".into())]
    );
    // Free-spacing: the comment is gone and `#` in the class stays literal.
    assert_eq!(
        secrets(&engine, "widget-key #= q8zrt2mw5xk9pl3v"),
        [("np.widget.1".into(), "q8zrt2mw5xk9pl3v".into())]
    );
    assert_eq!(
        secrets(&engine, "x = acme_live_R7vX2kq9LmN4pT8sW1yZ3bC6;"),
        [(
            "kingfisher.acme.1".into(),
            "acme_live_R7vX2kq9LmN4pT8sW1yZ3bC6".into()
        )]
    );
    // Kingfisher's min_entropy is honoured.
    assert!(secrets(&engine, "acme_live_aaaaaaaaaaaaaaaaaaaaaaaa").is_empty());
    // Every example and negative example behaves.
    for rule in &loaded.rules {
        for ex in &rule.examples {
            assert!(
                secrets(&engine, ex).iter().any(|(id, _)| *id == rule.id),
                "{}: {ex}",
                rule.id
            );
        }
        for ex in &rule.negative_examples {
            assert!(
                !secrets(&engine, ex).iter().any(|(id, _)| *id == rule.id),
                "{}: {ex}",
                rule.id
            );
        }
    }
}

#[test]
fn gitleaks_maps_fields_and_reports_what_it_cannot_honour() {
    let loaded = gitleaks();
    let ids: Vec<&str> = loaded.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["acme-api-key", "zeta-token", "and-allowlist"]);
    let acme = &loaded.rules[0];
    assert_eq!(acme.name, "Acme API key");
    assert_eq!(acme.secret_group, Some(1));
    assert_eq!(acme.min_entropy, Some(3.0));
    // "acme" is derivable from the regex, so anchors come from the regex.
    assert_eq!(acme.keywords, None);
    // Rule allowlist (regex + stopword) and the global one (regex + stopword).
    assert_eq!(acme.allow.len(), 4, "{:?}", acme.allow);
    // Possessive quantifier and \Z translated.
    assert_eq!(loaded.rules[1].regex, r"\b(zt-[A-Z0-9]{12})\z");

    let w = &loaded.warnings;
    let expect = [
        "gitleaks.toml: [extend] useDefault: gitleaks' default rules are not loaded",
        "gitleaks.toml: global allowlist \"global\": `paths` ignored",
        "gitleaks.toml: rule `acme-api-key`: keyword(s) `ak` shorter than 3 bytes dropped",
        "gitleaks.toml: rule `zeta-token`: `path` restriction ignored",
        "gitleaks.toml: rule `zeta-token`: allowlist: regexes with regexTarget = \"line\" ignored",
        "gitleaks.toml: rule `zeta-token`: `\\Z` translated to `\\z`",
        "gitleaks.toml: rule `pem-file`: skipped: matches file paths only",
        "gitleaks.toml: rule `lookbehind-rule`: skipped: look-behind",
        "gitleaks.toml: rule `and-allowlist`: allowlist with condition = \"AND\" ignored",
    ];
    for e in expect {
        assert!(has_warning(w, e), "missing {e:?} in {w:#?}");
    }
}

#[test]
fn gitleaks_rules_apply_entropy_and_allowlists() {
    let engine = engine(&gitleaks());
    let key = "k3v9x2m8q7w4z1p6r5t0y8u2i4o6a1s3";
    assert_eq!(
        secrets(&engine, &format!("ACME_KEY={key}")),
        [("acme-api-key".to_string(), key.to_string())]
    );
    // Entropy below 3.0.
    assert!(secrets(&engine, "acme_key: abababababababababababababababab").is_empty());
    // Rule allowlist: regex and stopword.
    assert!(secrets(&engine, "acme_key=00000000k3v9x2m8q7w4z1p6r5t0y8u2").is_empty());
    assert!(secrets(&engine, "acme_key=k3v9x2m8deadbeefq7w4z1p6r5t0y8u2").is_empty());
    // Global allowlist: regex (case-sensitive, as written) and stopword (any case).
    assert!(secrets(&engine, "acme_key=EXAMPLEk3v9x2m8q7w4z1p6r5t0y8u2")
        .iter()
        .all(|(id, _)| id != "acme-api-key"));
    assert!(secrets(&engine, "acme_key=k3v9x2m8NOTREALq7w4z1p6r5t0y8u2").is_empty());
    // The AND allowlist was dropped, so its regex does not hide anything.
    assert_eq!(secrets(&engine, "qq_1234567890").len(), 1);
    assert_eq!(
        secrets(&engine, "TOKEN=zt-AB12CD34EF56"),
        [("zeta-token".to_string(), "zt-AB12CD34EF56".to_string())]
    );
}

#[test]
fn keywords_stand_in_when_nothing_can_be_derived() {
    let text = r#"
[[rules]]
id = "hex-after-name"
regex = '''(?i)\b[a-z]+[ \t]*=[ \t]*([a-f0-9]{32})\b'''
keywords = ["vendorx"]
"#;
    let loaded = load_rules(text, "g.toml", RuleFormat::Gitleaks).unwrap();
    assert_eq!(
        loaded.rules[0].keywords.as_deref(),
        Some(&["vendorx".to_string()][..])
    );
    assert!(
        has_warning(
            &loaded.warnings,
            "g.toml: rule `hex-after-name`: no literal can be derived"
        ),
        "{:?}",
        loaded.warnings
    );
    let engine = engine(&loaded);
    assert_eq!(
        secrets(&engine, "VENDORX = 0123456789abcdef0123456789abcdef").len(),
        1
    );
    assert!(secrets(&engine, "other = 0123456789abcdef0123456789abcdef").is_empty());
}

#[test]
fn build_skipping_invalid_reports_each_bad_rule() {
    let text = r#"
[[rules]]
id = "no-anchor"
regex = '''\b[a-f0-9]{32}\b'''

[[rules]]
id = "good"
regex = '''\bgood_[0-9]{6}\b'''

[[rules]]
id = "good"
regex = '''\bdupe_[0-9]{6}\b'''

[[rules]]
id = "bad-group"
regex = '''\bgrp_([0-9]{6})\b'''
secretGroup = 3
"#;
    let loaded = load_rules(text, "bad.toml", RuleFormat::Gitleaks).unwrap();
    assert_eq!(loaded.rules.len(), 4);
    let (engine, skipped) = Engine::builder()
        .builtin_rules(false)
        .rules(loaded.rules)
        .build_skipping_invalid()
        .unwrap();
    // The rule without a literal loads anchorless (its regex prefilters).
    let ids: Vec<&str> = engine.rules().map(|r| &*r.id).collect();
    assert_eq!(ids, ["no-anchor", "good"]);
    assert!(engine.rules().next().unwrap().anchors.is_empty());
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(matches!(&skipped[0], RuleError::DuplicateId { rule_id, .. } if rule_id == "good"));
    assert!(skipped[1].to_string().contains("secret_group"));
    assert_eq!(engine.scan_bytes(b"good_123456").len(), 1);

    // Nothing valid left: an error, not an empty engine.
    let only_bad = load_rules(
        "[[rules]]\nid='x'\nregex='''(x)[0-9]{9}'''\nsecretGroup=4\n",
        "b.toml",
        RuleFormat::Gitleaks,
    )
    .unwrap();
    assert!(Engine::builder()
        .builtin_rules(false)
        .rules(only_bad.rules)
        .build_skipping_invalid()
        .is_err());
}

#[test]
fn malformed_files_and_rules_are_errors_or_skips_never_panics() {
    let e = load_rules("rules: [", "x.yml", RuleFormat::NoseyParkerYaml).unwrap_err();
    assert!(e.to_string().starts_with("x.yml:"), "{e}");
    let e = load_rules("- a\n- b\n", "x.yml", RuleFormat::NoseyParkerYaml).unwrap_err();
    assert!(e.to_string().contains("x.yml"), "{e}");
    let e = load_rules("[[rules]\n", "g.toml", RuleFormat::Gitleaks).unwrap_err();
    assert!(e.to_string().starts_with("g.toml:"), "{e}");

    // A rule missing `pattern` is skipped; its neighbours load.
    let loaded = load_rules(
        "rules:\n- name: A\n  id: a.1\n- name: B\n  id: b.1\n  pattern: 'bbb_[0-9]{4}'\n",
        "x.yml",
        RuleFormat::NoseyParkerYaml,
    )
    .unwrap();
    assert_eq!(loaded.rules.len(), 1);
    assert!(
        has_warning(
            &loaded.warnings,
            "x.yml: rule `a.1`: skipped: malformed rule"
        ),
        "{:?}",
        loaded.warnings
    );

    // Patterns the Rust regex crate rejects are reported per rule.
    let loaded = load_rules(
        "[[rules]]\nid='bad-class'\nregex='''[z-a]'''\n[[rules]]\nid='backref'\nregex='''(a)\\1'''\n",
        "g.toml",
        RuleFormat::Gitleaks,
    )
    .unwrap();
    assert!(loaded.rules.is_empty());
    assert!(has_warning(
        &loaded.warnings,
        "g.toml: rule `bad-class`: skipped: pattern does not compile as a Rust regex"
    ));
    assert!(has_warning(
        &loaded.warnings,
        "g.toml: rule `backref`: skipped: back-reference"
    ));

    // Arbitrary bytes never panic.
    for junk in [
        "",
        "rules:",
        "rules: 3",
        "\u{0}\u{1}",
        "[[rules]]",
        "rules:\n- 1\n- [x]\n",
    ] {
        for f in [RuleFormat::NoseyParkerYaml, RuleFormat::Gitleaks] {
            let _ = load_rules(junk, "j", f);
        }
    }
}

/// A double-quoted string valid in both TOML and YAML.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Translation and loading never panic, whatever the pattern; a pattern
    /// that translates without error parses or is reported, never crashes.
    #[test]
    fn arbitrary_patterns_never_panic(pattern in "[ -~\\n\\t]{0,40}") {
        let _ = scanner_engine::compat::translate(&pattern);
        let yaml = format!(
            "rules:\n- name: P\n  id: p.1\n  pattern: {}\n",
            quoted(&pattern)
        );
        let _ = load_rules(&yaml, "p.yml", RuleFormat::NoseyParkerYaml);
        let toml = format!(
            "[[rules]]\nid = 'p'\nregex = {}\n",
            quoted(&pattern)
        );
        if let Ok(loaded) = load_rules(&toml, "p.toml", RuleFormat::Gitleaks) {
            let _ = Engine::builder()
                .builtin_rules(false)
                .rules(loaded.rules)
                .build_skipping_invalid();
        }
    }

    /// Any Unicode input, including multi-byte characters next to escapes.
    #[test]
    fn arbitrary_unicode_never_panics(pattern in "(?s).{0,40}") {
        let _ = scanner_engine::compat::translate(&pattern);
        let _ = scanner_engine::compat::translate(&format!("(?x)[{pattern}\\"));
    }

    /// Free-spacing translation keeps the meaning of PCRE: a literal run with
    /// interleaved spaces and a comment matches the run without spaces.
    #[test]
    fn free_spacing_literals(word in "[a-z]{3,12}") {
        let spaced: String = word.chars().flat_map(|c| [c, ' ']).collect();
        let t = scanner_engine::compat::translate(&format!("(?x) {spaced} # note\n")).unwrap();
        let re = regex::Regex::new(&t.pattern).unwrap();
        proptest::prop_assert!(re.is_match(&word));
        proptest::prop_assert!(!re.is_match(&spaced));
    }
}
