//! Secrets inside Base64, URL encoding and their nestings are found, with the
//! decode path, the span of the outermost encoded text and the location of
//! the secret's own encoded bytes; budgets and caps are counted, never
//! silent.

mod common;

use common::{b64, single, token_findings, url_encode_all, utf16_with_bom as utf16, TOKEN};
use scanner_engine::{DecodeStep, Engine, Tuning};

#[test]
fn base64() {
    let engine = Engine::builtin();
    let enc = b64(format!("token={TOKEN}\n").as_bytes());
    single(
        &engine,
        &format!("kind: Secret\ndata:\n  config: {enc}\n"),
        &enc,
        &[DecodeStep::Base64],
    );
}

#[test]
fn url() {
    let engine = Engine::builtin();
    let enc = url_encode_all(format!("token={TOKEN}").as_bytes());
    // The URL span is the whole request target, the run of URL characters
    // that holds the escapes.
    let target = format!("/cb?state={enc}");
    single(
        &engine,
        &format!("GET {target} HTTP/1.1\n"),
        &target,
        &[DecodeStep::Url],
    );
}

#[test]
fn base64_in_url() {
    let engine = Engine::builtin();
    let enc = url_encode_all(b64(format!("{{\"token\":\"{TOKEN}\"}}").as_bytes()).as_bytes());
    single(
        &engine,
        &format!("state = \"{enc}\"\n"),
        &enc,
        &[DecodeStep::Url, DecodeStep::Base64],
    );
}

#[test]
fn url_in_base64() {
    let engine = Engine::builtin();
    let enc = b64(format!(
        "next=https%3A%2F%2Fapi.test%2F%3Ftoken%3D{}",
        TOKEN.replace('_', "%5F")
    )
    .as_bytes());
    single(
        &engine,
        &format!("blob: {enc}\n"),
        &enc,
        &[DecodeStep::Base64, DecodeStep::Url],
    );
}

#[test]
fn base64_of_base64() {
    let engine = Engine::builtin();
    let enc = b64(b64(format!("GITHUB_TOKEN={TOKEN}").as_bytes()).as_bytes());
    single(
        &engine,
        &format!("x\n\n   data {enc} end\n"),
        &enc,
        &[DecodeStep::Base64, DecodeStep::Base64],
    );
}

#[test]
fn raw_secret_inside_encoded_span_is_reported_once() {
    let engine = Engine::builtin();
    // The URL span holds the raw token and %-escapes: the raw pass finds it,
    // the URL-decoded copy must not be reported again.
    let input = format!("q={TOKEN}%20and%20more\n");
    let found = token_findings(&engine, &input);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].decode_path.is_empty());
}

#[test]
fn depth_limit_and_disabling() {
    let four =
        b64(b64(b64(b64(format!("token={TOKEN}").as_bytes()).as_bytes()).as_bytes()).as_bytes());
    let input = format!("v: {four}\n");
    assert!(
        token_findings(&Engine::builtin(), &input).is_empty(),
        "depth 4 is beyond the default 3"
    );
    let deep = Engine::builder()
        .tuning(Tuning::default().with_max_transform_depth(4))
        .build()
        .unwrap();
    assert_eq!(token_findings(&deep, &input).len(), 1);

    let off = Engine::builder()
        .tuning(Tuning::default().with_max_transform_depth(0))
        .build()
        .unwrap();
    let enc = b64(format!("token={TOKEN}").as_bytes());
    assert!(token_findings(&off, &format!("v: {enc}\n")).is_empty());
}

#[test]
fn budgets_are_counted() {
    let engine = Engine::builder()
        .tuning(Tuning::default().with_max_total_decoded_bytes(40))
        .build()
        .unwrap();
    let enc = b64(format!("token={TOKEN} and padding to exceed the budget").as_bytes());
    let mut scratch = engine.new_scratch();
    let mut n = 0;
    engine.scan_bytes_with(&mut scratch, format!("v: {enc}\n").as_bytes(), &mut |_| {
        n += 1
    });
    assert_eq!(n, 0);
    assert!(scratch.stats().decode_aborted >= 1, "{:?}", scratch.stats());

    let engine = Engine::builder()
        .tuning(Tuning::default().with_max_decode_queue(1))
        .build()
        .unwrap();
    // A full queue of root spans is drained, not truncated: both blobs are
    // decoded and the token in the second one is found.
    let input = format!(
        "{} {}\n",
        b64(b"first secret-free blob of text"),
        b64(format!("token={TOKEN}").as_bytes())
    );
    let mut scratch = engine.new_scratch();
    let mut found = Vec::new();
    engine.scan_bytes_with(&mut scratch, input.as_bytes(), &mut |f| found.push(f));
    let stats = scratch.stats();
    assert_eq!(stats.spans_dropped, 0, "{stats:?}");
    assert!(stats.spans_decoded >= 2, "{stats:?}");
    assert_eq!(found.len(), 1, "{found:?}");
    // Nested spans found while the queue is full wait for room: none is
    // dropped, and the token in the last one is found.
    let nested = url_encode_all(
        format!(
            "{} {} {}",
            b64(b"first nested secret-free blob"),
            b64(b"second nested secret-free blob"),
            b64(format!("token={TOKEN}").as_bytes())
        )
        .as_bytes(),
    );
    let mut scratch = engine.new_scratch();
    let mut found = Vec::new();
    engine.scan_bytes_with(&mut scratch, format!("q={nested}\n").as_bytes(), &mut |f| {
        found.push(f)
    });
    let stats = scratch.stats();
    assert_eq!(stats.spans_dropped, 0, "{stats:?}");
    assert!(stats.spans_decoded >= 4, "{stats:?}");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].decode_path.as_slice(),
        &[DecodeStep::Url, DecodeStep::Base64]
    );
}

#[test]
fn identical_children_under_one_root_are_decoded_once() {
    let engine = Engine::builtin();
    // One URL span whose decoded form holds the same Base64 blob 50 times.
    let blob = b64(format!("token={TOKEN}").as_bytes());
    let decoded = vec![blob.as_str(); 50].join(" ");
    let enc = url_encode_all(decoded.as_bytes());
    let mut scratch = engine.new_scratch();
    let mut found = Vec::new();
    engine.scan_bytes_with(
        &mut scratch,
        format!("d=\"{enc}\"\n").as_bytes(),
        &mut |f| found.push(f),
    );
    let tokens: Vec<_> = found
        .iter()
        .filter(|f| f.secret == TOKEN.as_bytes())
        .collect();
    assert_eq!(tokens.len(), 1, "{tokens:#?}");
    assert_eq!(
        tokens[0].decode_path.as_slice(),
        &[DecodeStep::Url, DecodeStep::Base64]
    );
    assert!(scratch.stats().dedupe_hits >= 49, "{:?}", scratch.stats());
}

#[test]
fn same_blob_at_two_places_is_reported_at_both() {
    let engine = Engine::builtin();
    let enc = b64(format!("token={TOKEN}").as_bytes());
    let found = token_findings(&engine, &format!("a: {enc}\nb: {enc}\n"));
    assert_eq!(found.iter().map(|f| f.line).collect::<Vec<_>>(), vec![1, 2]);
}

#[test]
fn utf16_with_bom_little_and_big_endian() {
    let engine = Engine::builtin();
    for (be, step) in [(false, DecodeStep::Utf16Le), (true, DecodeStep::Utf16Be)] {
        let text = format!("# settings\r\nGITHUB_TOKEN={TOKEN}\r\n");
        let input = utf16(&text, be);
        let found = engine.scan_bytes(&input);
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = &found[0];
        assert_eq!(f.secret, TOKEN.as_bytes());
        assert_eq!(f.decode_path.as_slice(), &[step]);
        let start = 2 + 2 * text.find("ghp_").unwrap() as u64;
        assert_eq!((f.start, f.end), (start, start + 2 * TOKEN.len() as u64));
        assert_eq!((f.line, f.column), (2, 14));
    }
}

#[test]
fn utf16_inside_base64() {
    // Like PowerShell's -EncodedCommand: Base64 of UTF-16LE text.
    let engine = Engine::builtin();
    let script = format!("$env:GITHUB_TOKEN = '{TOKEN}'");
    let le: Vec<u8> = script.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let enc = b64(&le);
    single(
        &engine,
        &format!("powershell -EncodedCommand {enc}\n"),
        &enc,
        &[DecodeStep::Base64, DecodeStep::Utf16Le],
    );
}

/// Many short values, some nested (Base64 of Base64, Base64 of URL
/// encoding, URL encoding of Base64), a few holding the token: the batched
/// prefilter of short outputs and the parking of nested searches when the
/// queue is full (capacity 1, 2, 5) report what the default queue reports,
/// and drop nothing.
#[test]
fn short_nested_values_survive_any_queue_capacity() {
    let mut text = String::new();
    for i in 0..300 {
        let inner = if i % 37 == 5 {
            format!("token={TOKEN}")
        } else {
            format!("value number {i} without a secret")
        };
        let value = match i % 4 {
            0 => b64(inner.as_bytes()),
            1 => b64(b64(inner.as_bytes()).as_bytes()),
            2 => b64(url_encode_all(inner.as_bytes()).as_bytes()),
            _ => url_encode_all(b64(inner.as_bytes()).as_bytes()),
        };
        text.push_str(&format!("  key_{i}: {value}\n"));
    }
    let key =
        |f: &scanner_engine::Finding| (f.start, f.end, f.rule_id.to_string(), f.secret.clone());
    let reference: Vec<_> = Engine::builtin()
        .scan_bytes(text.as_bytes())
        .iter()
        .map(key)
        .collect();
    assert_eq!(
        reference.iter().filter(|k| k.3 == TOKEN.as_bytes()).count(),
        (0..300).filter(|i| i % 37 == 5).count(),
        "{reference:?}"
    );
    for capacity in [1, 2, 5] {
        let engine = Engine::builder()
            .tuning(Tuning::default().with_max_decode_queue(capacity))
            .build()
            .unwrap();
        // Parked searches used to park each other forever once the queue
        // held nothing else: a hang fails the test instead of stalling it.
        let (tx, rx) = std::sync::mpsc::channel();
        let input = text.clone();
        std::thread::spawn(move || {
            let mut scratch = engine.new_scratch();
            let mut found = Vec::new();
            engine.scan_bytes_with(&mut scratch, input.as_bytes(), &mut |f| found.push(key(&f)));
            let _ = tx.send((found, scratch.stats().spans_dropped));
        });
        let (found, dropped) = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("capacity {capacity}: the scan did not finish"));
        assert_eq!(found, reference, "capacity {capacity}");
        assert_eq!(dropped, 0, "capacity {capacity}");
    }
}
