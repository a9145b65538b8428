//! Secrets inside the text encodings — hex, string-literal escapes, HTML
//! character references — alone and nested with Base64 and URL encoding
//! both ways, are found with the decode path, the span of the outermost
//! encoded text and the location of the secret's own encoded bytes; hashes
//! and ordinary escaped strings are not decoded at all.

mod common;

use common::{
    b64, escape_u, escape_x, hex_lower, html_refs, single, token_findings, url_encode_all, TOKEN,
};
use scanner_engine::transform::{TransformConfig, TransformKind};
use scanner_engine::{DecodeStep, Engine, Tuning};

#[test]
fn hex_alone() {
    let engine = Engine::builtin();
    let enc = hex_lower(format!("token={TOKEN}").as_bytes());
    let f = single(
        &engine,
        &format!("blob = 0x{enc};\n"),
        &enc,
        &[DecodeStep::Hex],
    );
    // The secret's own digits: two per byte, exactly.
    assert_eq!(f.encoded, hex_lower(TOKEN.as_bytes()).into_bytes());
    let upper = enc.to_uppercase();
    single(
        &engine,
        &format!("X'{upper}'\n"),
        &upper,
        &[DecodeStep::Hex],
    );
}

#[test]
fn escapes_alone() {
    let engine = Engine::builtin();
    let enc = escape_u(&format!("token={TOKEN}"));
    let f = single(
        &engine,
        &format!("{{\"config\": \"{enc}\"}}\n"),
        &enc,
        &[DecodeStep::Escape],
    );
    assert_eq!(f.encoded, escape_u(TOKEN).into_bytes());
    let enc = escape_x(format!("token={TOKEN}").as_bytes());
    single(
        &engine,
        &format!("s = b'{enc}'\n"),
        &enc,
        &[DecodeStep::Escape],
    );
    // Mixed with literal text and escaped slashes, as JSON writes URLs.
    let enc = format!(
        "https:\\/\\/api.example.com\\/v1?token=\\u0067hp{}",
        &TOKEN[3..]
    );
    single(
        &engine,
        &format!("{{\"url\":\"{enc}\"}}\n"),
        &enc,
        &[DecodeStep::Escape],
    );
}

#[test]
fn html_alone() {
    let engine = Engine::builtin();
    let enc = html_refs(&format!("token={TOKEN}"));
    single(
        &engine,
        &format!("<p>{enc}</p>\n"),
        &enc,
        &[DecodeStep::Html],
    );
    // Named references around a token written half as references.
    let enc = format!("token&equals;&#103;&#x68;p{}&amp;x&#61;1", &TOKEN[3..]);
    single(
        &engine,
        &format!("<a href=\"{enc}\">x</a>\n"),
        &enc,
        &[DecodeStep::Html],
    );
}

#[test]
fn nested_in_base64_and_url() {
    let engine = Engine::builtin();
    let line = format!("token={TOKEN}");
    // Base64 of \u-escaped JSON.
    let enc = b64(format!("{{\"t\":\"{}\"}}", escape_u(&line)).as_bytes());
    single(
        &engine,
        &format!("data: {enc}\n"),
        &enc,
        &[DecodeStep::Base64, DecodeStep::Escape],
    );
    // A hex string inside Base64.
    let enc = b64(format!("key={}\n", hex_lower(line.as_bytes())).as_bytes());
    single(
        &engine,
        &format!("data: {enc}\n"),
        &enc,
        &[DecodeStep::Base64, DecodeStep::Hex],
    );
    // HTML references inside a URL parameter.
    let enc = url_encode_all(html_refs(&line).as_bytes());
    let target = format!("/p?c={enc}");
    single(
        &engine,
        &format!("GET {target} HTTP/1.1\n"),
        &target,
        &[DecodeStep::Url, DecodeStep::Html],
    );
    // Hex inside a URL parameter.
    let enc = format!("/p?h=%22{}%22", hex_lower(line.as_bytes()));
    single(
        &engine,
        &format!("GET {enc} HTTP/1.1\n"),
        &enc,
        &[DecodeStep::Url, DecodeStep::Hex],
    );
}

#[test]
fn base64_and_url_inside_text_encodings() {
    let engine = Engine::builtin();
    let line = format!("token={TOKEN}");
    // A \u-escaped Base64 token.
    let enc = escape_u(&b64(line.as_bytes()));
    single(
        &engine,
        &format!("var s = \"{enc}\";\n"),
        &enc,
        &[DecodeStep::Escape, DecodeStep::Base64],
    );
    // Hex of Base64.
    let enc = hex_lower(b64(line.as_bytes()).as_bytes());
    single(
        &engine,
        &format!("h = {enc}\n"),
        &enc,
        &[DecodeStep::Hex, DecodeStep::Base64],
    );
    // HTML references of a URL-encoded query.
    let enc = html_refs(&format!("q={}", url_encode_all(line.as_bytes())));
    single(
        &engine,
        &format!("<i>{enc}</i>\n"),
        &enc,
        &[DecodeStep::Html, DecodeStep::Url],
    );
    // Three levels: Base64 of hex of \x escapes.
    let enc = b64(hex_lower(escape_x(line.as_bytes()).as_bytes()).as_bytes());
    single(
        &engine,
        &format!("v: {enc}\n"),
        &enc,
        &[DecodeStep::Base64, DecodeStep::Hex, DecodeStep::Escape],
    );
}

#[test]
fn hashes_and_plain_strings_are_not_decoded() {
    // Cargo.lock checksums, git object ids, UUIDs, escaped source strings,
    // prose with an &amp;.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut digest = || -> String {
        (0..32)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                format!("{:02x}", state as u8)
            })
            .collect()
    };
    let mut input = String::new();
    for _ in 0..200 {
        let h = digest();
        let id = digest();
        input.push_str(&format!(
            "checksum = \"{h}\"\ncommit {}\nid = 123e4567-e89b-12d3-a456-426614174000\n",
            &id[..40]
        ));
        input.push_str("printf(\"%s\\n\\t\\\"quoted\\\"\\n\", x); // Tom &amp; Jerry\n");
    }
    let spans = |transforms: Vec<TransformConfig>| {
        let engine = Engine::builder()
            .tuning(Tuning::default().with_transforms(transforms))
            .build()
            .unwrap();
        let mut scratch = engine.new_scratch();
        let mut found = Vec::new();
        engine.scan_bytes_with(&mut scratch, input.as_bytes(), &mut |f| found.push(f));
        assert!(found.is_empty(), "{found:?}");
        scratch.stats().spans_found
    };
    let all = spans(
        TransformKind::ALL
            .iter()
            .map(|&k| TransformConfig::default_for(k))
            .collect(),
    );
    let base64_url = spans(vec![
        TransformConfig::base64_default(),
        TransformConfig::url_default(),
    ]);
    // Base64 reports the hex digests (they hold digits); the text
    // encodings add no span.
    assert!(base64_url >= 400, "{base64_url}");
    assert_eq!(all, base64_url);
}

#[test]
fn one_escape_and_newlines_are_not_enough() {
    let engine = Engine::builtin();
    // The token behind one \u escape: the span holds only one strong escape,
    // so it is not decoded (and the raw pass does not see `ghp_`).
    let input = format!("s = \"\\u0067hp{}\\n\"\n", &TOKEN[3..]);
    assert!(token_findings(&engine, &input).is_empty());
    let mut cfg = TransformConfig::escape_default();
    cfg.min_len = 1;
    let one = Engine::builder()
        .tuning(Tuning::default().with_transforms(vec![cfg]))
        .build()
        .unwrap();
    assert_eq!(token_findings(&one, &input).len(), 1);
}

#[test]
fn each_encoding_can_be_turned_off() {
    let line = format!("token={TOKEN}");
    let inputs = [
        (TransformKind::Hex, hex_lower(line.as_bytes())),
        (TransformKind::Escape, escape_u(&line)),
        (TransformKind::Html, html_refs(&line)),
    ];
    for (kind, enc) in &inputs {
        let input = format!("\"{enc}\"\n");
        let without = Engine::builder()
            .tuning(
                Tuning::default().with_transforms(
                    TransformKind::ALL
                        .iter()
                        .filter(|k| *k != kind)
                        .map(|&k| TransformConfig::default_for(k))
                        .collect(),
                ),
            )
            .build()
            .unwrap();
        assert!(token_findings(&without, &input).is_empty(), "{kind:?}");
        let only = Engine::builder()
            .tuning(Tuning::default().with_transforms(vec![TransformConfig::default_for(*kind)]))
            .build()
            .unwrap();
        assert_eq!(token_findings(&only, &input).len(), 1, "{kind:?}");
    }
}

#[test]
fn streaming_path_matches_full_decode() {
    // Long spans go through the streaming path; a tiny stream threshold
    // sends short ones there too: both find the same.
    let line = format!("token={TOKEN}");
    let filler = "lorem ipsum dolor sit amet ".repeat(400);
    let inputs = [
        hex_lower(format!("{filler}{line}\n{filler}").as_bytes()),
        escape_u(&format!("{filler}{line}\n{filler}")),
        html_refs(&format!("{filler}{line}\n{filler}")).replace("&#32;", "&nbsp;"),
    ];
    let streaming = Engine::builder()
        .tuning(Tuning::default().with_stream_decode_min_len(0))
        .build()
        .unwrap();
    let full = Engine::builder()
        .tuning(Tuning::default().with_stream_decode_min_len(usize::MAX))
        .build()
        .unwrap();
    for enc in &inputs {
        let input = format!("x = \"{enc}\"\n");
        let a = token_findings(&streaming, &input);
        let b = token_findings(&full, &input);
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(
            a.iter()
                .map(|f| (f.start, f.end, f.decode_path_string()))
                .collect::<Vec<_>>(),
            b.iter()
                .map(|f| (f.start, f.end, f.decode_path_string()))
                .collect::<Vec<_>>()
        );
    }
}
