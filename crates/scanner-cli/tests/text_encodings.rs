//! Secrets of five built-in rules hex-encoded, string-escaped (`\u`, `\x`)
//! and written as HTML character references — alone, inside Base64 or URL
//! encoding, and around them — are printed by `secretscan dir` with the
//! right decode path, in a few-KiB file and in a generated file of tens of
//! MiB (streamed); `--decode` selects the encodings. Inputs are generated
//! here, never checked in.

mod common;

use common::{b64, secretscan, stderr, stdout, url_escape_all};
use std::collections::BTreeMap;

/// One line per rule; the rule and secret each gives are learnt from a
/// scan of the raw line.
const LINES: &[&str] = &[
    "token = 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",
    "aws_access_key_id = AKIAQ3EGRTXP4W7ZC2NB",
    "SLACK=xoxb-2841561223-5907812344410-Vq7cT2mK9pXzR4wL8sNd3bHf",
    "stripe: sk_live_51Hq8ZpL2kR7vX9mN4tB6wY3cD0fG5jH8aQe",
    "npm_token: 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",
];

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn escape_u(text: &str) -> String {
    text.encode_utf16().map(|u| format!("\\u{u:04x}")).collect()
}

fn escape_x(data: &[u8]) -> String {
    data.iter().map(|b| format!("\\x{b:02X}")).collect()
}

fn html(text: &str) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                format!("&#{};", c as u32)
            } else {
                format!("&#x{:x};", c as u32)
            }
        })
        .collect()
}

/// Every planted form of `line`: the text to write (on a line of its own)
/// and the decode path expected for it.
fn forms(line: &str) -> Vec<(String, Vec<&'static str>)> {
    let quoted = |s: String| format!("\"{s}\"");
    vec![
        (hex(line.as_bytes()), vec!["hex"]),
        (quoted(escape_u(line)), vec!["escape"]),
        (quoted(escape_x(line.as_bytes())), vec!["escape"]),
        (format!("<p>{}</p>", html(line)), vec!["html"]),
        // Inside Base64 and URL encoding.
        (
            b64(format!("v={}\n", hex(line.as_bytes())).as_bytes()),
            vec!["base64", "hex"],
        ),
        (
            b64(format!("{{\"v\":\"{}\"}}", escape_u(line)).as_bytes()),
            vec!["base64", "escape"],
        ),
        (
            b64(format!("<b>{}</b>", html(line)).as_bytes()),
            vec!["base64", "html"],
        ),
        (
            format!(
                "/p?v={}",
                url_escape_all(escape_x(line.as_bytes()).as_bytes())
            ),
            vec!["url", "escape"],
        ),
        (
            format!("/p?v={}", url_escape_all(html(line).as_bytes())),
            vec!["url", "html"],
        ),
        // Around Base64 and URL encoding.
        (hex(b64(line.as_bytes()).as_bytes()), vec!["hex", "base64"]),
        (
            quoted(escape_u(&b64(line.as_bytes()))),
            vec!["escape", "base64"],
        ),
        (
            html(&format!("q={}", url_escape_all(line.as_bytes()))),
            vec!["html", "url"],
        ),
    ]
}

type Found = BTreeMap<(String, String, String), usize>;

/// Findings (rule, secret, decode path) in JSON lines, counted.
fn parse(jsonl: &str) -> Found {
    let mut found = Found::new();
    for l in jsonl.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let path: Vec<&str> = v["decode_path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        *found
            .entry((
                v["rule_id"].as_str().unwrap().to_string(),
                v["secret"].as_str().unwrap().to_string(),
                path.join(" > "),
            ))
            .or_default() += 1;
    }
    found
}

fn scan(name: &str, content: &[u8], extra: &[&str]) -> (Found, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), content).unwrap();
    let mut args = vec!["dir", name, "--format", "jsonl", "--stats"];
    args.extend_from_slice(extra);
    let o = secretscan(&args, dir.path());
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{name}: {}",
        stderr(&o)
    );
    (parse(&stdout(&o)), stderr(&o))
}

/// The (rule, secret) of each raw line.
fn rules() -> Vec<(String, String)> {
    LINES
        .iter()
        .map(|line| {
            let (found, _) = scan("raw.txt", format!("{line}\n").as_bytes(), &[]);
            assert_eq!(found.len(), 1, "{line}: {found:?}");
            let ((rule, secret, _), _) = found.into_iter().next().unwrap();
            (rule, secret)
        })
        .collect()
}

/// Every form of every line, and what it must give.
fn planted() -> (Vec<String>, Found) {
    let mut pieces = Vec::new();
    let mut want = Found::new();
    for ((rule, secret), line) in rules().into_iter().zip(LINES) {
        for (text, path) in forms(line) {
            pieces.push(text);
            *want
                .entry((rule.clone(), secret.clone(), path.join(" > ")))
                .or_default() += 1;
        }
    }
    let rule_ids: std::collections::BTreeSet<_> = want.keys().map(|k| k.0.clone()).collect();
    assert_eq!(rule_ids.len(), 5, "five different rules: {rule_ids:?}");
    (pieces, want)
}

/// Deterministic filler that looks like source and lockfiles: words,
/// SHA-256-like hex digests, escaped strings with `\n` only, `&amp;`.
fn filler(seed: u64, n: usize) -> String {
    const WORDS: &[&str] = &[
        "let", "value", "compute", "return", "config", "for", "item", "in", "list", "self", "map",
        "the", "of", "data", "deadbeef", "cafe", "0x1f", "if", "else", "match",
    ];
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut s = String::with_capacity(n + 128);
    while s.len() < n {
        match next() % 16 {
            0 => {
                let h: String = (0..4).map(|_| format!("{:016x}", next())).collect();
                s.push_str(&format!("checksum = \"{h}\"\n"));
            }
            1 => s.push_str("println!(\"a\\tb\\n\\\"c\\\"\"); // x &amp; y\n"),
            _ => {
                s.push_str(WORDS[(next() % WORDS.len() as u64) as usize]);
                s.push(if next() % 10 == 0 { '\n' } else { ' ' });
            }
        }
    }
    s
}

/// `pieces` each on its own line, with `gap` bytes of filler between.
fn build(pieces: &[String], gap: usize) -> Vec<u8> {
    let mut out = String::new();
    for (i, p) in pieces.iter().enumerate() {
        out.push_str(&filler(i as u64 + 1, gap));
        out.push_str(p);
        out.push('\n');
    }
    out.push_str(&filler(999, gap));
    out.into_bytes()
}

#[test]
fn five_rules_in_every_text_encoding_small_and_at_scale() {
    let (pieces, want) = planted();
    assert_eq!(pieces.len(), 60);
    // A few KiB: filler lines between the pieces.
    let small = build(&pieces, 40);
    assert!(small.len() < 64 << 10);
    let (found, stats) = scan("small.txt", &small, &[]);
    assert_eq!(found, want, "{stats}");
    // Tens of MiB (streamed): the same pieces spread through 24 MiB.
    let big = build(&pieces, (24 << 20) / pieces.len());
    assert!(big.len() > 20 << 20);
    let (found, stats) = scan("big.txt", &big, &[]);
    assert_eq!(found, want, "{stats}");
    assert!(stats.contains("streamed_files=1"), "{stats}");
}

#[test]
fn decode_flag_selects_encodings() {
    let (pieces, want) = planted();
    let input = build(&pieces, 40);
    // Only hex: the forms whose whole path is hex steps.
    let (found, _) = scan("in.txt", &input, &["--decode", "hex"]);
    let hex_only: Found = want
        .iter()
        .filter(|(k, _)| k.2 == "hex")
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    assert_eq!(found, hex_only);
    // Names in any order, with spaces and repeats, and `all`.
    let (found, _) = scan(
        "in.txt",
        &input,
        &["--decode", "html, escape,url,base64,hex,html"],
    );
    assert_eq!(found, want);
    let (found, _) = scan("in.txt", &input, &["--decode", "all"]);
    assert_eq!(found, want);
    // Base64 and URL only: none of the new paths.
    let (found, _) = scan("in.txt", &input, &["--decode", "base64,url"]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn decode_flag_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "x\n").unwrap();
    let o = secretscan(&["dir", "a.txt", "--decode", "base64,rot13"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("unknown encoding 'rot13'"), "{err}");
    assert!(
        err.contains("base64, url, hex, escape, html, gzip, all"),
        "{err}"
    );
    let o = secretscan(&["dir", "a.txt", "--decode", "hex,,url"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("empty encoding name"), "{}", stderr(&o));
    let o = secretscan(
        &["dir", "a.txt", "--decode", "hex", "--no-decode"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--no-decode"), "{}", stderr(&o));
    let o = secretscan(&["dir", "--help"], dir.path());
    assert!(stdout(&o).contains("--decode <LIST>"), "{}", stdout(&o));
}

/// `gzip` in the list turns inflation on; a list without it turns it off.
#[test]
fn decode_list_selects_inflation() {
    use flate2::write::GzEncoder;
    use std::io::Write;
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(format!("{}\n", LINES[0]).as_bytes()).unwrap();
    let input = format!("release: {}\n", b64(&gz.finish().unwrap()));
    let paths = |extra: &[&str]| -> Vec<String> {
        let (found, _) = scan("in.txt", input.as_bytes(), extra);
        found.into_keys().map(|(_, _, path)| path).collect()
    };
    assert_eq!(paths(&["--decode", "base64,gzip"]), ["base64 > gzip"]);
    assert_eq!(paths(&["--decode", "all"]), ["base64 > gzip"]);
    // Without inflation the token is still found when the compressor
    // stored it verbatim, but never through `gzip`.
    let off = paths(&["--decode", "base64,url"]);
    assert!(off.iter().all(|p| !p.contains("gzip")), "{off:?}");
}
