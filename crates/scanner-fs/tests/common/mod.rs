//! Shared by the scanner-fs integration tests.

use scanner_engine::{parse_rules_toml, Engine};

/// An engine with one rule only: `tok_` and 12 lowercase letters or digits.
pub fn token_engine() -> Engine {
    let rules = parse_rules_toml(
        "[[rules]]\nid = \"t-token\"\nname = \"test token\"\nregex = '''\\b(tok_[a-z0-9]{12})\\b'''\n",
        "token.toml",
    )
    .unwrap();
    Engine::builder()
        .builtin_rules(false)
        .rules(rules)
        .build()
        .unwrap()
}
