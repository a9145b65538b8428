//! `EngineBuilder::min_confidence`: rules below the level are not compiled,
//! so their findings disappear and they are absent from `Engine::rules`.

use scanner_engine::{parse_rules_toml, Confidence, Engine};

const INPUT: &[u8] = b"DB_PASSWORD = \"q8Zr7t2Mw5xK9pL3vN\"\nGITHUB_TOKEN=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\n";

fn ids(engine: &Engine) -> Vec<String> {
    let mut v: Vec<String> = engine
        .scan_bytes(INPUT)
        .iter()
        .map(|f| f.rule_id.to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn low_confidence_finding_disappears_at_medium() {
    let all = Engine::builder().build().unwrap();
    assert_eq!(
        ids(&all),
        ["generic-secret-assignment", "github-pat-classic"],
        "the generic rule must report the password at the default level"
    );
    let medium = Engine::builder()
        .min_confidence(Confidence::Medium)
        .build()
        .unwrap();
    assert_eq!(ids(&medium), ["github-pat-classic"]);
    assert!(medium.rules().all(|r| r.confidence >= Confidence::Medium));
    assert!(medium.rules().len() < all.rules().len());
    let high = Engine::builder()
        .min_confidence(Confidence::High)
        .build()
        .unwrap();
    assert!(high.rules().all(|r| r.confidence == Confidence::High));
    assert_eq!(ids(&high), ["github-pat-classic"]);
}

#[test]
fn rule_info_exposes_confidence_category_and_provider() {
    let engine = Engine::builtin();
    let gh = engine
        .rules()
        .find(|r| &*r.id == "github-pat-classic")
        .unwrap();
    assert_eq!(gh.confidence, Confidence::High);
    assert_eq!(&*gh.category, "source-control");
    assert_eq!(gh.provider.as_deref(), Some("github"));
    let generic = engine
        .rules()
        .find(|r| &*r.id == "generic-secret-assignment")
        .unwrap();
    assert_eq!(generic.confidence, Confidence::Low);
    assert_eq!(generic.provider, None);
}

#[test]
fn unstated_confidence_defaults_apply_to_user_rules() {
    let rules = parse_rules_toml(
        r#"
[[rules]]
id = "acme-key"
name = "Acme key"
regex = '''\b(acme_[a-z0-9]{16})\b'''

[[rules]]
id = "acme-catch-all"
name = "Acme catch-all"
regex = '''acme_secret\s*=\s*([a-z0-9]{12,})'''
generic = true
"#,
        "acme.toml",
    )
    .unwrap();
    let engine = Engine::builder()
        .builtin_rules(false)
        .rules(rules.clone())
        .build()
        .unwrap();
    let levels: Vec<_> = engine
        .rules()
        .map(|r| (r.id.to_string(), r.confidence, r.category.to_string()))
        .collect();
    assert_eq!(
        levels,
        [
            (
                "acme-key".into(),
                Confidence::Medium,
                "uncategorized".into()
            ),
            (
                "acme-catch-all".into(),
                Confidence::Low,
                "uncategorized".into()
            ),
        ]
    );
    let medium = Engine::builder()
        .builtin_rules(false)
        .rules(rules)
        .min_confidence(Confidence::Medium)
        .build()
        .unwrap();
    assert_eq!(medium.rules().len(), 1);
}
