//! `--format sarif`: one SARIF 2.1.0 log, for code-scanning dashboards.
//!
//! Layout: `runs[0].tool.driver` lists every loaded rule; each finding is
//! one result referring to its rule by `ruleId` and `ruleIndex`, located by
//! `artifactLocation.uri` and a `region` of the located bytes, and
//! identified across runs by `partialFingerprints["secretscan/v1"]`.
//!
//! Invariants:
//! - Streamed: [`Sarif::start`] writes the log up to `"results": [` (one
//!   rule per line), each [`Sarif::report`] writes one result (one line),
//!   [`Sarif::finish`] closes the log; only the rule index (id → position)
//!   stays in memory.
//! - Secrets never appear in the log unless `--show-secrets` (and not
//!   `--redact`): the message shows the secret redacted, and neither the
//!   match, the encoded text nor a snippet is included.
//! - `ruleIndex` is the position in `tool.driver.rules` of the rule with
//!   the result's `ruleId`.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

use scanner_engine::{Finding, RuleInfo};
use serde::Serialize;

use super::provenance::Provenance;
use super::text::{end_position, shown};
use super::OutputOptions;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor<'a> {
    id: &'a str,
    name: &'a str,
    short_description: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Message>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

/// The property bag of a rule.
///
/// Rule metadata as GitHub code scanning reads it: the rule's confidence as
/// `precision` (`high`, `medium`, `low`) and its category as one more tag.
#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    precision: &'static str,
}

impl RuleProperties {
    fn of(rule: &RuleInfo) -> RuleProperties {
        RuleProperties {
            tags: vec![
                "security".to_string(),
                "secret".to_string(),
                rule.category.to_string(),
            ],
            precision: rule.confidence.as_str(),
        }
    }
}

impl<'a> ReportingDescriptor<'a> {
    fn of(rule: &'a RuleInfo) -> ReportingDescriptor<'a> {
        let help = (!rule.references.is_empty()).then(|| {
            let mut text = "References:".to_string();
            for r in &rule.references {
                text.push_str("\n- ");
                text.push_str(r);
            }
            Message { text }
        });
        ReportingDescriptor {
            id: &rule.id,
            name: &rule.name,
            short_description: Message {
                text: rule.name.to_string(),
            },
            help_uri: rule.references.first().map(String::as_str),
            help,
            default_configuration: Configuration { level: LEVEL },
            properties: RuleProperties::of(rule),
        }
    }
}

/// Level of every result: a leaked secret is an error.
const LEVEL: &str = "error";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Message,
    locations: [Location; 1],
    partial_fingerprints: PartialFingerprints,
    /// Git provenance (introducing commit, author, blob) for history scans.
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<GitProperties<'a>>,
}

#[derive(Serialize)]
struct GitProperties<'a> {
    git: &'a Provenance,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u64,
    start_column: u64,
    end_line: u64,
    end_column: u64,
}

#[derive(Serialize)]
struct PartialFingerprints {
    /// [`Finding::fingerprint`].
    #[serde(rename = "secretscan/v1")]
    v1: String,
}

pub struct Sarif {
    show_secrets: bool,
    /// Rule id → index in `tool.driver.rules`.
    rule_index: HashMap<Arc<str>, usize>,
    written: u64,
}

impl Sarif {
    /// Writes the log up to the opening of the results array.
    pub fn start<'r>(
        opts: &OutputOptions,
        rules: impl IntoIterator<Item = &'r RuleInfo>,
        out: &mut impl Write,
    ) -> io::Result<Sarif> {
        // Written by hand rather than serialised whole, to keep one rule
        // per line (the table has hundreds) and stop at the results.
        let q = |s: &str| serde_json::Value::from(s).to_string();
        let mut lines = vec![
            "{".to_string(),
            format!("  \"$schema\": {},", q(SCHEMA)),
            "  \"version\": \"2.1.0\",".to_string(),
            "  \"runs\": [".to_string(),
            "    {".to_string(),
            "      \"tool\": {".to_string(),
            "        \"driver\": {".to_string(),
            "          \"name\": \"secretscan\",".to_string(),
            format!("          \"version\": {},", q(env!("CARGO_PKG_VERSION"))),
        ];
        let repository = env!("CARGO_PKG_REPOSITORY");
        if !repository.is_empty() {
            lines.push(format!("          \"informationUri\": {},", q(repository)));
        }
        let mut head = lines.join("\n");
        head.push_str("\n          \"rules\": [");
        let mut rule_index = HashMap::new();
        for (i, r) in rules.into_iter().enumerate() {
            rule_index.entry(Arc::clone(&r.id)).or_insert(i);
            head.push_str(if i == 0 { "\n" } else { ",\n" });
            head.push_str("            ");
            head.push_str(&serde_json::to_string(&ReportingDescriptor::of(r))?);
        }
        if !rule_index.is_empty() {
            head.push_str("\n          ");
        }
        head.push_str("]\n        }\n      },\n      \"results\": [");
        out.write_all(head.as_bytes())?;
        Ok(Sarif {
            // --redact (meant for JSON, which SARIF is) wins.
            show_secrets: opts.show_secrets && !opts.redact,
            rule_index,
            written: 0,
        })
    }

    pub fn report(
        &mut self,
        out: &mut impl Write,
        path: &str,
        f: &Finding,
        git: Option<&Provenance>,
    ) -> io::Result<()> {
        let mut text = format!("{}: {}", f.rule_name, shown(&f.secret, self.show_secrets));
        if !f.decode_path.is_empty() {
            text.push_str(&format!(" (decoded via {})", f.decode_path_string()));
        }
        let (end_line, end_column) = end_position(f);
        let result = SarifResult {
            rule_id: &f.rule_id,
            rule_index: self.rule_index.get(&f.rule_id).copied(),
            level: LEVEL,
            message: Message { text },
            locations: [Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: path_to_uri(path),
                    },
                    region: Region {
                        start_line: f.line,
                        start_column: f.column,
                        end_line,
                        end_column,
                    },
                },
            }],
            partial_fingerprints: PartialFingerprints {
                v1: f.fingerprint.to_string(),
            },
            properties: git.map(|git| GitProperties { git }),
        };
        out.write_all(if self.written == 0 {
            b"\n        "
        } else {
            b",\n        "
        })?;
        serde_json::to_writer(&mut *out, &result)?;
        self.written += 1;
        Ok(())
    }

    /// Closes the results array and the log.
    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.written > 0 {
            out.write_all(b"\n      ")?;
        }
        out.write_all(b"]\n    }\n  ]\n}\n")
    }
}

/// A display path as a URI reference: `/` separators (also for Windows
/// `\`), percent-encoding every byte but unreserved characters, `/` and
/// the sub-delimiters (so an archive member `a.zip!dir/x.env` keeps its
/// `!`); `:` is encoded so a relative path never reads as a scheme. An
/// absolute path becomes a `file://` URI.
pub fn path_to_uri(path: &str) -> String {
    let path: std::borrow::Cow<str> = if cfg!(windows) {
        path.replace('\\', "/").into()
    } else {
        path.into()
    };
    let mut uri = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        uri.push_str("file://");
    } else if cfg!(windows) && path.as_bytes().get(1) == Some(&b':') {
        // C:/dir/file
        uri.push_str("file:///");
        uri.push_str(&path[..2]);
        return uri + &encode_path(&path[2..]);
    }
    uri + &encode_path(&path)
}

fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_relative_references() {
        assert_eq!(path_to_uri("src/main.rs"), "src/main.rs");
        assert_eq!(path_to_uri("my dir/a#b?.env"), "my%20dir/a%23b%3F.env");
        assert_eq!(path_to_uri("a.zip!dir/x.env"), "a.zip!dir/x.env");
        assert_eq!(path_to_uri("c:d"), "c%3Ad");
        assert_eq!(path_to_uri("100%.txt"), "100%25.txt");
        assert_eq!(path_to_uri("é"), "%C3%A9");
        assert_eq!(path_to_uri("<stdin>"), "%3Cstdin%3E");
        if !cfg!(windows) {
            assert_eq!(path_to_uri("/tmp/a b"), "file:///tmp/a%20b");
        }
    }
}
