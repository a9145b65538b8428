//! Corpus builders for the secretscan benchmarks.
//!
//! The benchmarks measure scanning throughput over realistic input, so the
//! main corpus is real source code: the `.py` files of the Python 3 standard
//! library installed on the machine. When `python3` or its standard library is
//! not available, a deterministic synthetic generator produces source-like
//! text instead, so the benchmarks still run (with less realistic numbers).
//!
//! Every builder is deterministic for a given machine: files are visited in
//! sorted order and the synthetic generator uses a fixed seed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Environment variable that selects quick runs (`cargo xtask bench
/// --quick` sets it): short warm-up and measurement times, for a smoke run
/// of every benchmark rather than precise figures.
pub const QUICK_ENV: &str = "SECRETSCAN_BENCH_QUICK";

/// Whether [`QUICK_ENV`] is set to something other than empty or `0`.
pub fn quick() -> bool {
    std::env::var_os(QUICK_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Warm-up and measurement times for a benchmark group: the given ones, or
/// 0.5 s and 1 s in quick runs. Criterion's `--warm-up-time` and
/// `--measurement-time` flags do not override times set on a group, hence
/// the environment variable.
pub fn group_times(warm_up_secs: f64, measure_secs: f64) -> (Duration, Duration) {
    if quick() {
        (Duration::from_millis(500), Duration::from_secs(1))
    } else {
        (
            Duration::from_secs_f64(warm_up_secs),
            Duration::from_secs_f64(measure_secs),
        )
    }
}

/// Seed of the synthetic generator used by [`plain_source_corpus`].
pub const SYNTHETIC_SEED: u64 = 0x5EC2_E75C_A11E_D5EE;

/// Returns exactly `target_bytes` bytes of plain source code.
///
/// The `.py` files of the Python 3 standard library (excluding
/// `site-packages`) are concatenated in sorted path order, each followed by a
/// newline if it lacks one. If the library is smaller than `target_bytes` the
/// file list is repeated; the last file is cut at `target_bytes`. Falls back to
/// [`synthetic_source_corpus`] when Python or its standard library is
/// unavailable.
pub fn plain_source_corpus(target_bytes: usize) -> Vec<u8> {
    python_stdlib_dir()
        .and_then(|dir| concat_python_files(&dir, target_bytes))
        .unwrap_or_else(|| synthetic_source_corpus(target_bytes, SYNTHETIC_SEED))
}

/// Directory of the Python 3 standard library, as reported by `python3`.
pub fn python_stdlib_dir() -> Option<PathBuf> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()[\"stdlib\"])",
        ])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let dir = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    dir.is_dir().then_some(dir)
}

/// Concatenates the `.py` files under `dir` (sorted, skipping `site-packages`)
/// to exactly `target_bytes` bytes, repeating the file list if needed.
/// Returns `None` if `dir` holds no non-empty `.py` file.
pub fn concat_python_files(dir: &Path, target_bytes: usize) -> Option<Vec<u8>> {
    let mut files = Vec::new();
    collect_py_files(dir, &mut files);
    let mut corpus = Vec::with_capacity(target_bytes);
    while corpus.len() < target_bytes {
        let before = corpus.len();
        for path in &files {
            let Ok(contents) = fs::read(path) else {
                continue;
            };
            corpus.extend_from_slice(&contents);
            if !contents.is_empty() && !contents.ends_with(b"\n") {
                corpus.push(b'\n');
            }
            if corpus.len() >= target_bytes {
                break;
            }
        }
        if corpus.len() == before {
            return None;
        }
    }
    corpus.truncate(target_bytes);
    Some(corpus)
}

/// Appends the `.py` files under `dir` to `out`, in sorted order, depth first.
/// Unreadable directories and symbolic links are skipped.
fn collect_py_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if file_type.is_dir() {
            if entry.file_name() != "site-packages" {
                collect_py_files(&path, out);
            }
        } else if file_type.is_file() && path.extension().is_some_and(|ext| ext == "py") {
            out.push(path);
        }
    }
}

/// Returns exactly `target_bytes` bytes of deterministic, Python-like source
/// text: functions, assignments, calls, string literals and comments built
/// from a fixed vocabulary with a xorshift generator seeded by `seed`.
///
/// The vocabulary is plain lowercase English and keywords, so the output
/// should not contain anything resembling a credential.
pub fn synthetic_source_corpus(target_bytes: usize, seed: u64) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "buffer", "count", "value", "result", "index", "name", "path", "items", "config", "parser",
        "handler", "reader", "writer", "offset", "length", "total", "record", "entry", "cache",
        "state", "token", "line", "column", "source", "target", "options", "context", "message",
    ];
    const COMMENTS: &[&str] = &[
        "keep the original order",
        "this is only reached when the input is empty",
        "see the module docstring for details",
        "fall back to the default encoding",
        "the caller owns the returned list",
        "avoid quadratic behaviour on long inputs",
    ];
    const LITERALS: &[&str] = &[
        "utf-8",
        "unexpected end of input",
        "%s: %d",
        "",
        "\\n",
        "strict",
        "missing value",
        "default",
        "r+b",
    ];

    let mut rng = XorShift64::new(seed);
    let mut out = String::with_capacity(target_bytes + 128);
    while out.len() < target_bytes {
        let (a, b, c) = (rng.pick(WORDS), rng.pick(WORDS), rng.pick(WORDS));
        let n = rng.below(1000);
        let snippet = match rng.below(8) {
            0 => format!(
                "\ndef {a}_{b}({c}, *args, **kwargs):\n    \"\"\"Return the {a} of {c}.\"\"\"\n"
            ),
            1 => format!("    # {}\n", rng.pick(COMMENTS)),
            2 => format!("    {a} = {b}.get({:?}, {n})\n", rng.pick(LITERALS)),
            3 => format!("    if {a} is None or len({b}) > {n}:\n        return {c}\n"),
            4 => format!("    for {a} in {b}:\n        {c}.append({a}[{n}])\n"),
            5 => format!("    raise ValueError(\"{a}: \" + repr({b}))\n"),
            6 => format!("\nimport {a}\nfrom {b} import {a}_{c}\n"),
            _ => format!("    return {a}, self.{b}\n"),
        };
        out.push_str(&snippet);
    }
    let mut bytes = out.into_bytes();
    bytes.truncate(target_bytes);
    bytes
}

/// Returns exactly `target_bytes` bytes of YAML-like configuration dense
/// with Base64 blobs (Kubernetes `data:` style): each line is a key and the
/// Base64 of 40 to 400 bytes of printable text, some of it PEM-like wrapped.
pub fn base64_dense_corpus(target_bytes: usize, seed: u64) -> Vec<u8> {
    let mut rng = XorShift64::new(seed);
    let mut out = String::with_capacity(target_bytes + 1024);
    let mut plain = Vec::new();
    while out.len() < target_bytes {
        plain.clear();
        let len = 40 + rng.below(360) as usize;
        for _ in 0..len {
            plain.push(b' ' + rng.below(95) as u8);
        }
        let key = rng.below(100_000);
        out.push_str(&format!("  entry_{key}: {}\n", base64_encode(&plain)));
    }
    let mut bytes = out.into_bytes();
    bytes.truncate(target_bytes);
    bytes
}

/// Returns exactly `target_bytes` bytes of web-server access-log lines whose
/// request paths carry percent-encoded query strings.
pub fn url_heavy_corpus(target_bytes: usize, seed: u64) -> Vec<u8> {
    const KEYS: &[&str] = &[
        "q",
        "redirect",
        "state",
        "next",
        "filter",
        "callback",
        "return_to",
    ];
    let mut rng = XorShift64::new(seed);
    let mut out = String::with_capacity(target_bytes + 1024);
    while out.len() < target_bytes {
        let mut query = String::new();
        for i in 0..1 + rng.below(4) {
            if i > 0 {
                query.push('&');
            }
            query.push_str(rng.pick(KEYS));
            query.push('=');
            for _ in 0..8 + rng.below(60) {
                let b = b' ' + rng.below(95) as u8;
                if b.is_ascii_alphanumeric() {
                    query.push(b as char);
                } else {
                    query.push_str(&format!("%{b:02X}"));
                }
            }
        }
        let ip = rng.below(255);
        let status = [200, 302, 404][rng.below(3) as usize];
        out.push_str(&format!(
            "10.0.0.{ip} - - [23/Nov/2026:12:00:00 +0000] \"GET /search?{query} HTTP/1.1\" {status} 512\n"
        ));
    }
    let mut bytes = out.into_bytes();
    bytes.truncate(target_bytes);
    bytes
}

/// Returns one line of exactly `target_bytes` bytes (plus a newline) of
/// Base64 of pseudo-random bytes: the shape of a large embedded binary
/// (an image in a data URL, a Helm release secret, a database dump column).
pub fn base64_one_line_corpus(target_bytes: usize, seed: u64) -> Vec<u8> {
    let mut rng = XorShift64::new(seed);
    let raw: Vec<u8> = (0..target_bytes / 4 * 3)
        .map(|_| rng.below(256) as u8)
        .collect();
    let mut bytes = base64_encode(&raw).into_bytes();
    bytes.truncate(target_bytes);
    bytes.push(b'\n');
    bytes
}

/// Returns `count` short Base64 values (12 to 45 bytes of pseudo-random data
/// each), one per line after a key: lock files, Kubernetes secrets, logs.
pub fn short_base64_values_corpus(count: usize, seed: u64) -> Vec<u8> {
    let mut rng = XorShift64::new(seed);
    let mut out = String::new();
    let mut raw = Vec::new();
    for i in 0..count {
        raw.clear();
        for _ in 0..12 + rng.below(34) {
            raw.push(rng.below(256) as u8);
        }
        out.push_str(&format!("  value_{i}: {}\n", base64_encode(&raw)));
    }
    out.into_bytes()
}

/// Returns exactly `target_bytes` bytes of source-like text in which every
/// line names one of `anchors` (the prefilter's literal keywords, cycled in a
/// shuffled order) next to a harmless, low-entropy value:
/// `    settings["<anchor>"] = lookup("<anchor>_name", 42)  # <word>`.
///
/// This is the worst case for the confirmation stage: an anchor hit on
/// nearly every line, and (almost) no secret to report. Callers that need
/// "no secrets at all" drop the lines the engine still reports (see
/// [`drop_lines`]). With no anchors the result is synthetic source text.
pub fn anchor_dense_corpus(target_bytes: usize, anchors: &[&str], seed: u64) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "default", "example", "unused", "disabled", "see docs", "legacy", "fallback", "todo",
    ];
    if anchors.is_empty() {
        return synthetic_source_corpus(target_bytes, seed);
    }
    let mut rng = XorShift64::new(seed);
    let mut order: Vec<&str> = anchors.to_vec();
    let mut out = String::with_capacity(target_bytes + 256);
    'fill: loop {
        // Fisher-Yates, so every anchor appears once per round in a new order.
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for anchor in &order {
            if out.len() >= target_bytes {
                break 'fill;
            }
            let n = rng.below(100);
            let word = rng.pick(WORDS);
            out.push_str(&format!(
                "    settings[\"{anchor}\"] = lookup(\"{anchor}_name\", {n})  # {word}\n"
            ));
        }
    }
    let mut bytes = out.into_bytes();
    bytes.truncate(target_bytes);
    bytes
}

/// Returns `base` with one of `inserts` (cycled) placed on its own line
/// after roughly every `every` bytes (at the next line break), e.g. rule
/// examples planted in source text to make a secret-dense corpus.
pub fn sprinkle_lines(base: &[u8], inserts: &[&str], every: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(base.len() + base.len() / every.max(1) * 64);
    let mut next = 0usize;
    let mut since = 0usize;
    for line in base.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(line);
        since += line.len();
        if since >= every && !inserts.is_empty() {
            if !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            out.extend_from_slice(inserts[next % inserts.len()].as_bytes());
            out.push(b'\n');
            next += 1;
            since = 0;
        }
    }
    out
}

/// Removes the given 1-based line numbers from `text`.
pub fn drop_lines(text: &[u8], lines: &std::collections::BTreeSet<usize>) -> Vec<u8> {
    text.split_inclusive(|&b| b == b'\n')
        .enumerate()
        .filter(|(i, _)| !lines.contains(&(i + 1)))
        .flat_map(|(_, line)| line.iter().copied())
        .collect()
}

/// Standard Base64 with padding (a small encoder so the corpus builders need
/// no dependency).
fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Marsaglia's xorshift64: small, fast and deterministic; not for security.
struct XorShift64(u64);

impl XorShift64 {
    fn new(seed: u64) -> Self {
        // The all-zero state is a fixed point; avoid it.
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_corpus_is_deterministic_and_exact() {
        let a = synthetic_source_corpus(100_000, 7);
        let b = synthetic_source_corpus(100_000, 7);
        assert_eq!(a.len(), 100_000);
        assert_eq!(a, b);
        assert_ne!(a, synthetic_source_corpus(100_000, 8));
        assert!(std::str::from_utf8(&a).is_ok());
        assert!(synthetic_source_corpus(0, 7).is_empty());
    }

    #[test]
    fn plain_corpus_has_requested_size() {
        let corpus = plain_source_corpus(200_000);
        assert_eq!(corpus.len(), 200_000);
        assert_eq!(corpus, plain_source_corpus(200_000));
    }

    #[test]
    fn python_files_repeat_to_fill_target() {
        let dir = std::env::temp_dir().join(format!("secretscan-benches-{}", std::process::id()));
        fs::create_dir_all(dir.join("site-packages")).unwrap();
        fs::write(dir.join("b.py"), "b = 2").unwrap();
        fs::write(dir.join("a.py"), "a = 1\n").unwrap();
        fs::write(dir.join("notes.txt"), "ignored").unwrap();
        fs::write(dir.join("site-packages").join("c.py"), "ignored").unwrap();
        let corpus = concat_python_files(&dir, 20);
        let empty = dir.join("empty");
        fs::create_dir_all(&empty).unwrap();
        let none = concat_python_files(&empty, 20);
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(corpus.as_deref(), Some(&b"a = 1\nb = 2\na = 1\nb "[..]));
        assert_eq!(none, None);
    }

    #[test]
    fn anchor_dense_and_sprinkled_corpora() {
        let a = anchor_dense_corpus(10_000, &["ghp_", "akia", "password"], 3);
        assert_eq!(a.len(), 10_000);
        assert_eq!(
            a,
            anchor_dense_corpus(10_000, &["ghp_", "akia", "password"], 3)
        );
        let text = String::from_utf8(a).unwrap();
        assert!(text
            .lines()
            .take(100)
            .all(|l| l.contains("ghp_") || l.contains("akia") || l.contains("password")));
        let s = sprinkle_lines(b"aaaa\nbbbb\ncccc\ndddd\n", &["X", "Y"], 8);
        assert_eq!(s, b"aaaa\nbbbb\nX\ncccc\ndddd\nY\n");
        let dropped = drop_lines(b"1\n2\n3\n4", &[2, 4].into_iter().collect());
        assert_eq!(dropped, b"1\n3\n");
    }
}
