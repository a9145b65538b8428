//! `secretscan rules list`: shows the loaded rules.

use std::io::{self, Write};

use crate::args::{Format, RulesArgs, RulesCommand};
use crate::{load, EXIT_CLEAN};

pub fn run(args: &RulesArgs) -> Result<u8, String> {
    match &args.command {
        RulesCommand::List { rules, format } => {
            let engine = load::engine(rules)?;
            let mut out = io::BufWriter::new(io::stdout());
            let write = |out: &mut io::BufWriter<io::Stdout>| -> io::Result<()> {
                if *format == Format::Human {
                    writeln!(out, "{:<40} {:<55} KEYWORDS", "ID", "NAME")?;
                }
                for r in engine.rules() {
                    if *format == Format::Human {
                        writeln!(out, "{:<40} {:<55} {}", r.id, r.name, r.anchors.join(", "))?;
                    } else {
                        let obj = serde_json::json!({
                            "id": &*r.id, "name": &*r.name, "keywords": r.anchors,
                            "origin": r.origin, "references": r.references,
                        });
                        serde_json::to_writer(&mut *out, &obj)?;
                        writeln!(out)?;
                    }
                }
                if *format == Format::Human {
                    writeln!(out, "{} rules", engine.rules().len())?;
                }
                out.flush()
            };
            write(&mut out).map_err(|e| format!("cannot write to stdout: {e}"))?;
            Ok(EXIT_CLEAN)
        }
    }
}
