//! `generic-secret-assignment` across the syntaxes secrets are assigned in:
//! one positive and one negative per syntax through the built-in engine, and
//! a vendor token in the same kind of assignment is reported under the
//! vendor's rule only.

use scanner_engine::{Checksum, Engine, Finding};

const GENERIC: &str = "generic-secret-assignment";

fn scan(engine: &Engine, text: &str) -> Vec<Finding> {
    engine.scan_bytes(text.as_bytes())
}

fn ids(found: &[Finding]) -> Vec<String> {
    found.iter().map(|f| f.rule_id.to_string()).collect()
}

/// `(syntax, positive, secret, negative)`: each negative fails one gate
/// (placeholder, template or variable reference, code identifier, entropy,
/// length).
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "yaml",
        "database:\n  password: Tz8kL2mQ9vRx4pW1\n",
        "Tz8kL2mQ9vRx4pW1",
        "database:\n  password: \"{{ vault_db_password }}\"\n",
    ),
    (
        "json",
        "{\"api_key\": \"PcEJIukB4geqNfngAFTCloiADN5RpVI2\"}",
        "PcEJIukB4geqNfngAFTCloiADN5RpVI2",
        "{\"api_key\": \"xxxxxxxxxxxxxxxxxxxxxxxx\"}",
    ),
    (
        "toml",
        "[service]\nsecret = \"q9Lr2VxT7mKp4ZsW\"\n",
        "q9Lr2VxT7mKp4ZsW",
        "[service]\nsecret = \"changeme-changeme\"\n",
    ),
    (
        "ini",
        "[database]\npassword = Hq8xiM0OGr4hTxY2\n",
        "Hq8xiM0OGr4hTxY2",
        "[database]\npassword = %(db_password)s\n",
    ),
    (
        "env",
        "DB_PASSWORD=q7Rt2xVp9LmK4wZs\n",
        "q7Rt2xVp9LmK4wZs",
        "DB_PASSWORD=${DB_PASSWORD}\n",
    ),
    (
        "shell",
        "export AUTH_TOKEN='b5e803b61ba4168160adb59261ff2d3c'\n",
        "b5e803b61ba4168160adb59261ff2d3c",
        "export AUTH_TOKEN=$GITHUB_TOKEN_VALUE\n",
    ),
    (
        "python",
        "API_KEY = \"Xq3vR8tL2mN7pK4wJ9zB\"\n",
        "Xq3vR8tL2mN7pK4wJ9zB",
        "API_KEY = os.environ[\"API_KEY\"]\n",
    ),
    (
        "javascript",
        "const apiKey = 'Lm4pQ8vR2xT7kN9wZ3';\n",
        "Lm4pQ8vR2xT7kN9wZ3",
        "const apiKey = config.apiKey;\n",
    ),
    (
        "typescript",
        "private readonly authToken: string = \"Lm4pQ8vR2xT7kN9wZ3\";\n",
        "Lm4pQ8vR2xT7kN9wZ3",
        "private readonly authToken: string = \"<your-token-here>\";\n",
    ),
    (
        "java-properties",
        "spring.datasource.password=Hq8xiM0OGr4hTx\n",
        "Hq8xiM0OGr4hTx",
        "spring.datasource.password=hellohellohello1\n",
    ),
    (
        "xml",
        "<connection user=\"app\" password=\"Vb7nQ2xL9kRt4pZm\" />\n",
        "Vb7nQ2xL9kRt4pZm",
        "<connection user=\"app\" password=\"Vb7nQ2x\" />\n",
    ),
    (
        "go",
        "apiKey := \"7ena8D5VfLDpgyyjQ2w\"\n",
        "7ena8D5VfLDpgyyjQ2w",
        "apiKey := os.Getenv(\"API_KEY\")\n",
    ),
    (
        "rust",
        "let api_key = \"mR4xT8qL2vN7pK9w\";\n",
        "mR4xT8qL2vN7pK9w",
        "let api_key = std::env::var(\"API_KEY\")?;\n",
    ),
    (
        "csharp",
        "string Password = \"Wq5tY8uI2oP4aS7d\";\n",
        "Wq5tY8uI2oP4aS7d",
        "string Password = \"0123456789abcdefXYZ\";\n",
    ),
];

#[test]
fn positive_and_negative_per_syntax() {
    let engine = Engine::builtin();
    let mut failures = Vec::new();
    for &(syntax, pos, secret, neg) in CASES {
        let found = scan(&engine, pos);
        let hit = found
            .iter()
            .find(|f| *f.rule_id == *GENERIC && f.secret == secret.as_bytes());
        if hit.is_none() {
            failures.push(format!("{syntax}: not found in {pos:?}: {:?}", ids(&found)));
        }
        let found = scan(&engine, neg);
        if found.iter().any(|f| *f.rule_id == *GENERIC) {
            failures.push(format!("{syntax}: negative reported: {neg:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A vendor token assigned to a credential name is one finding, under the
/// vendor's rule: the generic rule yields.
#[test]
fn vendor_token_in_an_assignment_is_reported_by_the_vendor_rule_only() {
    let engine = Engine::builtin();
    let gho = Checksum::make_crc_token("gho_", "bPaP7uEqvczfVH2QjEm5AMA0QokeRR");
    let cases = [
        (format!("api_key = \"{gho}\"\n"), "github-oauth-token"),
        (format!("  \"token\": \"{gho}\",\n"), "github-oauth-token"),
        (
            "DATADOG_API_KEY=0fc9aaf5f7b1bbcc738491da18f2531c\n".to_string(),
            "datadog-api-key",
        ),
        (
            "client_secret: xoxb-072481465726-7947640719949-x6VY28Ny2nDfOvxs2F0nIApc\n".to_string(),
            "slack-bot-token",
        ),
    ];
    for (text, vendor) in cases {
        let found = scan(&engine, &text);
        assert_eq!(ids(&found), vec![vendor.to_string()], "{text:?}");
    }
}
