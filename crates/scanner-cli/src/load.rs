//! Builds the engine from the built-in rules plus `--rules` files; every
//! error names the file at fault.

use std::fs;

use scanner_engine::{parse_rules_toml, Engine};

use crate::args::RuleArgs;

pub fn engine(args: &RuleArgs) -> Result<Engine, String> {
    let mut builder = Engine::builder().builtin_rules(!args.no_builtin_rules);
    for path in &args.rule_files {
        let text = fs::read_to_string(path)
            .map_err(|e| format!("cannot read rule file {}: {e}", path.display()))?;
        let rules =
            parse_rules_toml(&text, &path.display().to_string()).map_err(|e| e.to_string())?;
        builder = builder.rules(rules);
    }
    builder.build().map_err(|e| e.to_string())
}
