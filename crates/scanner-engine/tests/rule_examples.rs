//! Every built-in rule's examples must be found by the compiled engine under
//! that rule's id, and its negative examples must not be.

use scanner_engine::{builtin_rules, Engine};

#[test]
fn builtin_rule_examples_and_negative_examples() {
    let engine = Engine::builtin();
    let rules = builtin_rules().expect("built-in rules parse");
    let mut failures = Vec::new();
    for rule in &rules {
        if rule.examples.len() < 2 {
            failures.push(format!(
                "{} ({}): has {} example(s), needs 2",
                rule.id,
                rule.origin,
                rule.examples.len()
            ));
        }
        for ex in &rule.examples {
            let found = engine.scan_bytes(ex.as_bytes());
            if !found.iter().any(|f| *f.rule_id == *rule.id) {
                let got: Vec<_> = found.iter().map(|f| f.rule_id.to_string()).collect();
                failures.push(format!(
                    "{}: example not found (other rules: {got:?}): {ex:?}",
                    rule.id
                ));
            }
        }
        for neg in &rule.negative_examples {
            let found = engine.scan_bytes(neg.as_bytes());
            if let Some(f) = found.iter().find(|f| *f.rule_id == *rule.id) {
                failures.push(format!(
                    "{}: negative example reported (secret {:?}): {neg:?}",
                    rule.id,
                    String::from_utf8_lossy(&f.secret)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn builtin_rule_set_is_large_and_ids_are_well_formed() {
    let rules = builtin_rules().unwrap();
    assert!(rules.len() >= 80, "only {} built-in rules", rules.len());
    for r in &rules {
        assert!(
            r.id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "rule id `{}` is not lowercase kebab-case",
            r.id
        );
    }
}
