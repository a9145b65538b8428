//! `cargo xtask bench`: the criterion benchmarks of `benches/`, then
//! end-to-end runs of the release `secretscan dir` binary, with a table of
//! the results printed to stdout and written into `docs/performance.md`
//! between `<!-- bench:begin -->` and `<!-- bench:end -->`.
//!
//! End-to-end runs (each: one warm-up run, then N measured runs, medians
//! reported; wall, user + sys CPU and peak RSS from `wait4`):
//!
//! - the benchmark tree (`tree.rs`) with `--threads 1` and `--threads 2`;
//! - decode-heavy single files, one thread, next to a plain-text file of
//!   the same size: 256 MiB of Python source (the first 16 MiB of the
//!   standard library's `.py` files, 16 times), one 256 MiB line of Base64
//!   (with a Base64-encoded token planted in the middle, which must be
//!   found), and 60,000 short Base64 values one per line (the generators
//!   of `benches/src/lib.rs` and `rss.rs`);
//! - start-up: a scan of one small file, warm (page cache warm) and cold
//!   (the binary, its shared libraries and the file evicted from the page
//!   cache with `posix_fadvise` before each run).
//!
//! Inputs are generated deterministically into
//! `$HOME/.cache/secretscan/bench-inputs` (reused when present); nothing is
//! checked in. Criterion's own output goes to stderr.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use crate::measure::{self, markdown_table, mib, Usage};
use crate::tree::{self, Tree};

pub const USAGE: &str = "\
Usage: cargo xtask bench [--quick] [--filter REGEX] [--runs N] [--criterion-only | --e2e-only]
                         [--tree PATH | --tree-mb MB] [--native] [--no-write] [-- CRITERION ARGS]

Runs the criterion benchmarks of benches/ (raw pass on plain source, anchor-dense and
secret-dense text; full scans with decoding on Base64-dense YAML, URL-heavy logs, a one-line
Base64 file and 60k short Base64 values; span finders; ring buffer, timing wheel, dedupe set;
rule-set compilation), then the release `secretscan dir` binary end to end: the benchmark tree
with 1 and 2 threads, decode-heavy files against plain text of the same size, and start-up on
one small file (cold and warm). Each end-to-end run: one warm-up, then N measured runs
(medians). Prints a Markdown table to stdout (criterion's output goes to stderr) and writes it
into docs/performance.md between <!-- bench:begin --> and <!-- bench:end -->.

  --quick           short criterion warm-up and measurement times (0.5 s / 1 s per group,
                    through SECRETSCAN_BENCH_QUICK=1) and 3 end-to-end runs
  --filter REGEX    run only the criterion benchmarks whose id matches (criterion's filter)
  --runs N          measured end-to-end runs per row (default 5, 3 with --quick)
  --criterion-only  skip the end-to-end runs (the document is not touched)
  --e2e-only        skip the criterion benchmarks
  --tree PATH       scan PATH instead of the assembled benchmark tree
  --tree-mb MB      size of the assembled tree in decimal MB (default 600), built once into
                    $HOME/.cache/secretscan/bench-tree-<MB>MB from /usr/include, /usr/lib/python3*,
                    the cargo registry sources and /usr/share (hard links)
  --native          also build secretscan with Vectorscan compiled from source for this CPU
                    (--features vendored-native, in <target dir>-native; the first build takes
                    about 10 minutes) and add its tree (2 threads), plain-source and one-line
                    Base64 rows to the table
  --no-write        print the table but do not update docs/performance.md";

/// Parsed arguments.
#[derive(Debug, Default, PartialEq)]
pub struct Options {
    pub quick: bool,
    pub filter: Option<String>,
    pub runs: Option<usize>,
    pub criterion: bool,
    pub e2e: bool,
    pub tree: Option<PathBuf>,
    pub tree_mb: u64,
    pub write: bool,
    pub native: bool,
    pub criterion_args: Vec<OsString>,
}

impl Options {
    /// Measured runs per end-to-end row.
    pub fn runs(&self) -> usize {
        self.runs.unwrap_or(if self.quick { 3 } else { 5 })
    }
}

/// `Ok(None)` for `--help`.
pub fn parse(args: &[OsString]) -> Result<Option<Options>, String> {
    let mut opts = Options {
        criterion: true,
        e2e: true,
        tree_mb: 600,
        write: true,
        ..Options::default()
    };
    let mut flags = crate::Flags::new(args);
    while let Some(arg) = flags.next_flag() {
        let arg = arg?;
        match arg {
            "-h" | "--help" => return Ok(None),
            "--quick" => opts.quick = true,
            "--filter" => opts.filter = Some(flags.value(arg)?),
            "--runs" => opts.runs = Some(flags.positive(arg)? as usize),
            "--criterion-only" => opts.e2e = false,
            "--e2e-only" => opts.criterion = false,
            "--tree" => opts.tree = Some(PathBuf::from(flags.value(arg)?)),
            "--tree-mb" => opts.tree_mb = flags.positive(arg)?,
            "--no-write" => opts.write = false,
            "--native" => opts.native = true,
            "--" => {
                opts.criterion_args = flags.rest();
                break;
            }
            other => return Err(format!("bench: unknown argument `{other}` (see --help)")),
        }
    }
    if !opts.criterion && !opts.e2e {
        return Err("--criterion-only and --e2e-only exclude each other".into());
    }
    if opts.native && !opts.e2e {
        return Err("--native adds end-to-end rows: it excludes --criterion-only".into());
    }
    Ok(Some(opts))
}

/// Runs `cargo bench -p secretscan-benches`, its stdout sent to our stderr;
/// returns the summary table of the benchmarks this run measured.
pub fn criterion(opts: &Options) -> Result<String, crate::Failure> {
    use std::os::fd::AsFd;
    let target_dir = crate::target_dir();
    let started = SystemTime::now();
    let mut command = crate::cargo(&target_dir);
    command.args(["bench", "-p", "secretscan-benches", "--"]);
    if let Some(filter) = &opts.filter {
        command.arg(filter);
    }
    command.args(&opts.criterion_args);
    if opts.quick {
        command.env(secretscan_benches::QUICK_ENV, "1");
    }
    let stderr = std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| crate::Failure::new(2, format!("cannot duplicate stderr: {e}")))?;
    command.stdout(Stdio::from(stderr));
    crate::run(&mut command)?;
    Ok(criterion_table(
        &target_dir.path().join("criterion"),
        started,
    ))
}

/// A table of the criterion results written since `since`: median time per
/// iteration and throughput, from `<dir>/**/new/{benchmark,estimates}.json`.
fn criterion_table(dir: &Path, since: SystemTime) -> String {
    let mut found = Vec::new();
    collect_criterion(dir, since, &mut found);
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let rows: Vec<Vec<String>> = found
        .into_iter()
        .map(|(id, ns, throughput)| {
            let per_sec = |n: f64| n / (ns / 1e9);
            let rate = match throughput {
                Some(Throughput::Bytes(b)) => format!("{:.0} MiB/s", per_sec(b) / 1048576.0),
                Some(Throughput::Elements(n)) => format!("{:.1} M/s", per_sec(n) / 1e6),
                None => String::new(),
            };
            vec![id, format_duration(ns), rate]
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    markdown_table(&["criterion benchmark", "median time", "throughput"], &rows)
}

#[derive(Debug, PartialEq, PartialOrd)]
enum Throughput {
    Bytes(f64),
    Elements(f64),
}

fn collect_criterion(
    dir: &Path,
    since: SystemTime,
    out: &mut Vec<(String, f64, Option<Throughput>)>,
) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let new = path.join("new");
        let estimates = new.join("estimates.json");
        let fresh = fs::metadata(&estimates)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= since);
        if fresh {
            let bench = fs::read_to_string(new.join("benchmark.json")).unwrap_or_default();
            let est = fs::read_to_string(&estimates).unwrap_or_default();
            if let (Some(id), Some(ns)) = (
                json_string(&bench, "full_id"),
                json_number_after(&est, "\"median\"", "\"point_estimate\":"),
            ) {
                let throughput = json_number_after(&bench, "\"Bytes\"", ":")
                    .map(Throughput::Bytes)
                    .or_else(|| {
                        json_number_after(&bench, "\"Elements\"", ":").map(Throughput::Elements)
                    });
                out.push((id, ns, throughput));
            }
        } else if path.file_name().is_some_and(|n| n != "report") {
            collect_criterion(&path, since, out);
        }
    }
}

/// The string value of `"key":"value"` in a JSON text (no escapes).
fn json_string(json: &str, key: &str) -> Option<String> {
    let rest = &json[json.find(&format!("\"{key}\":\""))? + key.len() + 4..];
    Some(rest[..rest.find('"')?].to_string())
}

/// The number after the first `field` that follows the first `anchor`.
fn json_number_after(json: &str, anchor: &str, field: &str) -> Option<f64> {
    let rest = &json[json.find(anchor)? + anchor.len()..];
    let rest = rest[rest.find(field)? + field.len()..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn format_duration(ns: f64) -> String {
    match ns {
        n if n >= 1e9 => format!("{:.2} s", n / 1e9),
        n if n >= 1e6 => format!("{:.2} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.2} µs", n / 1e3),
        n => format!("{n:.0} ns"),
    }
}

// ---------------------------------------------------------------------------
// End to end
// ---------------------------------------------------------------------------

/// The machine, as a sentence for the document.
pub fn describe_machine(secretscan: &Path) -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU".to_string(), |(_, m)| m.trim().to_string());
    let flags = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("flags"))
        .unwrap_or_default();
    let simd = if flags.contains(" avx512bw") {
        ", AVX-512"
    } else if flags.contains(" avx2") {
        ", AVX2"
    } else {
        ""
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let ram_gib = fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1048576.0);
    let version = version_of(secretscan);
    let rules = output_of(Command::new(secretscan).args(["rules", "list", "--summary"]));
    let rules = rules
        .lines()
        .next()
        .unwrap_or("rules: ?")
        .trim()
        .to_string();
    format!("{model}{simd}, {cores} cores, {ram_gib:.0} GiB RAM; `{version}`; {rules} (built-in)")
}

/// `secretscan --version`, trimmed.
fn version_of(secretscan: &Path) -> String {
    output_of(Command::new(secretscan).arg("--version"))
        .trim()
        .to_string()
}

/// The 1-minute load average (`/proc/loadavg`), as text: other work on
/// the machine shows up in every figure.
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn output_of(command: &mut Command) -> String {
    command
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// One end-to-end result: medians of the runs plus what secretscan reported.
pub struct Row {
    pub label: String,
    pub threads: usize,
    pub usage: Usage,
    /// Size of the input (files as stored; archives compressed).
    pub input_bytes: u64,
    /// `bytes_scanned` from `--stats`: what the engine's raw pass read,
    /// archive members decompressed and the overlap between the blocks of
    /// streamed files counted again.
    pub bytes: u64,
    /// Median scan seconds of secretscan's summary line (without start-up).
    pub scan_secs: f64,
    pub findings: usize,
}

impl Row {
    /// Input megabytes per wall-clock second (start-up included).
    fn mb_per_s(&self) -> f64 {
        self.input_bytes as f64 / 1e6 / self.usage.wall.max(1e-9)
    }

    /// Input megabytes per second of scanning as secretscan reports it
    /// (rule compilation left out).
    fn scan_mb_per_s(&self) -> f64 {
        self.input_bytes as f64 / 1e6 / self.scan_secs.max(1e-9)
    }
}

/// `secretscan dir PATH --threads T --stats --format jsonl`, one warm-up
/// run and `runs` measured ones; stdout and stderr kept in `work`.
pub fn scan_row(
    secretscan: &Path,
    work: &Path,
    label: &str,
    path: &Path,
    threads: usize,
    runs: usize,
) -> Result<(Row, String), String> {
    let out = work.join("secretscan.out");
    let err = work.join("secretscan.err");
    let mut samples = Vec::new();
    let mut scan_secs = Vec::new();
    let mut bytes = 0;
    for i in 0..=runs {
        let mut command = Command::new(secretscan);
        command
            .arg("dir")
            .arg(path)
            .args(["--stats", "--format", "jsonl", "--color", "never"])
            .arg("--threads")
            .arg(threads.to_string());
        let usage = measure::run(&mut command, &out, &err)?;
        let stderr = fs::read_to_string(&err).unwrap_or_default();
        if !matches!(usage.code, Some(0 | 1)) {
            return Err(format!(
                "{label}: secretscan exited with {:?}:\n{}",
                usage.code,
                tail(&stderr, 20)
            ));
        }
        eprintln!(
            "xtask: {label}, {threads} thread(s), {}: {:.2} s wall, {:.2} s CPU, {}",
            if i == 0 { "warm-up" } else { "run" },
            usage.wall,
            usage.cpu(),
            mib(usage.peak_rss_kib)
        );
        if i == 0 {
            continue;
        }
        bytes = stat_field(&stderr, "bytes_scanned").unwrap_or(0);
        scan_secs.push(summary_seconds(&stderr).unwrap_or(usage.wall));
        samples.push(usage);
    }
    let findings_text = fs::read_to_string(&out).unwrap_or_default();
    let row = Row {
        label: label.to_string(),
        threads,
        usage: measure::median_usage(&samples),
        input_bytes: tree::size_of(path).1,
        bytes,
        scan_secs: measure::median(&scan_secs),
        findings: findings_text.lines().count(),
    };
    Ok((row, findings_text))
}

/// `name=N` from secretscan's `--stats` lines.
fn stat_field(stderr: &str, name: &str) -> Option<u64> {
    let prefix = format!("{name}=");
    stderr
        .split_whitespace()
        .find_map(|w| w.strip_prefix(prefix.as_str()))
        .and_then(|v| v.parse().ok())
}

/// The scan time of the summary line `... M MB in S s (R MB/s, ...)`:
/// `M / R` when the rate is given (`S` has two decimals, too coarse for
/// a scan of a few hundredths of a second), else `S`.
fn summary_seconds(stderr: &str) -> Option<f64> {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("secretscan: ") && l.contains(" MB in "))?;
    let (before, after) = line.split_once(" MB in ")?;
    let seconds: f64 = after.split(" s").next()?.trim().parse().ok()?;
    let mb: Option<f64> = before.rsplit(' ').next().and_then(|m| m.parse().ok());
    let rate: Option<f64> = after
        .split_once('(')
        .and_then(|(_, r)| r.split(" MB/s").next())
        .and_then(|r| r.trim().parse().ok());
    match (mb, rate) {
        (Some(mb), Some(rate)) if rate > 0.0 && mb > 0.0 => Some(mb / rate),
        _ => Some(seconds),
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The generated single-file inputs (created when missing).
struct Inputs {
    plain: PathBuf,
    base64_line: PathBuf,
    short_values: PathBuf,
    small: PathBuf,
}

/// Size of the plain-text and one-line Base64 files.
const DECODE_FILE_BYTES: u64 = 256 << 20;

/// The plain-text file is this much Python source, repeated.
const PLAIN_CHUNK_BYTES: usize = 16 << 20;

fn inputs() -> Result<Inputs, String> {
    let home = std::env::var_os("HOME").ok_or("HOME is not set")?;
    let dir = Path::new(&home).join(".cache/secretscan/bench-inputs");
    // Each input in a directory of its own: `secretscan dir` takes directories.
    let make = |name: &str| -> Result<PathBuf, String> {
        let d = dir.join(name);
        fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        Ok(d.join(format!("{name}.txt")))
    };
    let inputs = Inputs {
        plain: make("plain-source-256MiB")?,
        // Named after the planted token's checksum characters, so a file
        // written with another token is not reused.
        base64_line: make(&format!(
            "base64-one-line-256MiB-{}",
            &crate::rss::PLANTED_TOKEN[crate::rss::PLANTED_TOKEN.len() - 6..]
        ))?,
        short_values: make("base64-short-60k")?,
        small: make("small")?,
    };
    let exists = |p: &Path, size: Option<u64>| {
        fs::metadata(p).is_ok_and(|m| size.is_none_or(|s| m.len() == s))
    };
    if !exists(&inputs.plain, Some(DECODE_FILE_BYTES)) {
        eprintln!("xtask: writing {}", inputs.plain.display());
        // 16 MiB at a time, so that xtask's own memory stays small (see
        // `measure::run` on how it bounds the peak RSS measured).
        let chunk = secretscan_benches::plain_source_corpus(PLAIN_CHUNK_BYTES);
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut file = fs::File::create(&inputs.plain)?;
            for _ in 0..DECODE_FILE_BYTES as usize / PLAIN_CHUNK_BYTES {
                file.write_all(&chunk)?;
            }
            file.flush()
        };
        write().map_err(|e| format!("{}: {e}", inputs.plain.display()))?;
    }
    if !exists(&inputs.base64_line, Some(DECODE_FILE_BYTES)) {
        eprintln!("xtask: writing {}", inputs.base64_line.display());
        crate::rss::write_input(
            &inputs.base64_line,
            DECODE_FILE_BYTES,
            crate::rss::Kind::Base64Line,
        )
        .map_err(|e| format!("{}: {e}", inputs.base64_line.display()))?;
    }
    if !exists(&inputs.short_values, None) {
        let text = secretscan_benches::short_base64_values_corpus(60_000, 17);
        fs::write(&inputs.short_values, text)
            .map_err(|e| format!("{}: {e}", inputs.short_values.display()))?;
    }
    if !exists(&inputs.small, None) {
        fs::write(&inputs.small, "name = \"example\"\nvalue = 42\n")
            .map_err(|e| format!("{}: {e}", inputs.small.display()))?;
    }
    Ok(inputs)
}

/// Start-up rows: warm and cold scans of one small file.
fn startup_rows(
    secretscan: &Path,
    work: &Path,
    small: &Path,
    runs: usize,
) -> Result<Vec<Row>, String> {
    let dir = small.parent().unwrap_or(small);
    let (warm, _) = scan_row(
        secretscan,
        work,
        "start-up, warm (one small file)",
        dir,
        1,
        runs,
    )?;
    let mut evict: Vec<PathBuf> = vec![secretscan.to_path_buf(), small.to_path_buf()];
    evict.extend(measure::shared_libraries(secretscan));
    let mut samples = Vec::new();
    let mut scan_secs = Vec::new();
    let (out, err) = (work.join("cold.out"), work.join("cold.err"));
    for _ in 0..runs {
        for path in &evict {
            if let Err(e) = measure::evict_from_page_cache(path) {
                eprintln!(
                    "xtask: cannot evict {} from the page cache: {e}",
                    path.display()
                );
            }
        }
        let mut command = Command::new(secretscan);
        command
            .arg("dir")
            .arg(dir)
            .args(["--stats", "--threads", "1"]);
        let usage = measure::run(&mut command, &out, &err)?;
        let stderr = fs::read_to_string(&err).unwrap_or_default();
        eprintln!(
            "xtask: start-up, cold: {:.3} s wall, {:.3} s CPU, {}",
            usage.wall,
            usage.cpu(),
            mib(usage.peak_rss_kib)
        );
        scan_secs.push(summary_seconds(&stderr).unwrap_or(0.0));
        samples.push(usage);
    }
    let cold = Row {
        label: "start-up, cold (binary, libraries and file evicted from the page cache)".into(),
        threads: 1,
        usage: measure::median_usage(&samples),
        input_bytes: warm.input_bytes,
        bytes: warm.bytes,
        scan_secs: measure::median(&scan_secs),
        findings: 0,
    };
    Ok(vec![cold, warm])
}

/// The end-to-end runs; returns the Markdown section for the document.
/// The end-to-end rows and their table; `native` is a second binary (built
/// with Vectorscan for this CPU) whose tree (2 threads), plain-source and
/// one-line Base64 rows follow the others.
pub fn end_to_end(
    opts: &Options,
    secretscan: &Path,
    native: Option<&Path>,
    work: &Path,
) -> Result<String, String> {
    fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let runs = opts.runs();
    let machine = describe_machine(secretscan);
    let load_before = load_average();
    let tree = match &opts.tree {
        Some(path) => {
            let (files, bytes) = tree::size_of(path);
            Tree {
                path: path.clone(),
                files,
                bytes,
            }
        }
        None => tree::ensure(opts.tree_mb)?,
    };
    let tree_text = if opts.tree.is_some() {
        tree.describe()
    } else {
        format!("the benchmark tree, {}", tree.describe())
    };
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut thread_counts = vec![1, 2];
    if cores > 2 {
        thread_counts.push(cores);
    }
    let mut rows = Vec::new();
    for &threads in &thread_counts {
        rows.push(scan_row(secretscan, work, "tree", &tree.path, threads, runs)?.0);
    }
    let inputs = inputs()?;
    let mut decode_rows = Vec::new();
    for (label, file) in [
        ("plain source, 256 MiB", &inputs.plain),
        ("one line of Base64, 256 MiB", &inputs.base64_line),
        ("60,000 short Base64 values", &inputs.short_values),
    ] {
        let dir = file.parent().unwrap_or(file);
        let (row, findings) = scan_row(secretscan, work, label, dir, 1, runs)?;
        if file == &inputs.base64_line && !findings.contains(crate::rss::PLANTED_TOKEN) {
            return Err("the token planted in the one-line Base64 file was not reported".into());
        }
        decode_rows.push(row);
    }
    let plain_rate = decode_rows[0].scan_mb_per_s();
    let startup = startup_rows(secretscan, work, &inputs.small, runs)?;
    let mut native_rows = Vec::new();
    if let Some(native) = native {
        let suffix = " (Vectorscan built for this CPU)";
        let tree_label = format!("tree{suffix}");
        native_rows.push(scan_row(native, work, &tree_label, &tree.path, 2, runs)?.0);
        for (label, file) in [
            ("plain source, 256 MiB", &inputs.plain),
            ("one line of Base64, 256 MiB", &inputs.base64_line),
        ] {
            let dir = file.parent().unwrap_or(file);
            let label = format!("{label}{suffix}");
            native_rows.push(scan_row(native, work, &label, dir, 1, runs)?.0);
        }
    }
    let native_plain_rate = native_rows.get(1).map_or(plain_rate, Row::scan_mb_per_s);

    let mut table_rows = Vec::new();
    // Each binary's decode rows against its own plain-source row.
    let with_plain = rows
        .iter()
        .chain(&decode_rows)
        .map(|row| (row, plain_rate))
        .chain(native_rows.iter().map(|row| (row, native_plain_rate)));
    for (row, plain) in with_plain {
        let ratio = if row.label.contains("Base64") {
            format!("{:.2}", row.scan_mb_per_s() / plain.max(1e-9))
        } else if row.label.starts_with("plain") {
            "1".into()
        } else {
            String::new()
        };
        table_rows.push(vec![
            row.label.clone(),
            row.threads.to_string(),
            format!("{:.1} MB", row.input_bytes as f64 / 1e6),
            format!("{:.1} MB", row.bytes as f64 / 1e6),
            format!("{:.2} s", row.usage.wall),
            format!("{:.0}", row.mb_per_s()),
            format!("{:.0}", row.scan_mb_per_s()),
            ratio,
            format!("{:.2} s", row.usage.cpu()),
            mib(row.usage.peak_rss_kib),
            row.findings.to_string(),
        ]);
    }
    for row in &startup {
        table_rows.push(vec![
            row.label.clone(),
            "1".into(),
            format!("{} B", row.input_bytes),
            format!("{} B", row.bytes),
            format!("{:.3} s", row.usage.wall),
            String::new(),
            String::new(),
            String::new(),
            format!("{:.3} s", row.usage.cpu()),
            mib(row.usage.peak_rss_kib),
            String::new(),
        ]);
    }
    let table = markdown_table(
        &[
            "run",
            "threads",
            "input",
            "scanned",
            "wall",
            "MB/s",
            "scan MB/s",
            "vs plain",
            "user+sys CPU",
            "peak RSS",
            "findings",
        ],
        &table_rows,
    );
    let native_text = match native {
        Some(native) => format!(
            " Rows marked \"Vectorscan built for this CPU\": `{}`, built with \
             `--features vendored-native`.",
            version_of(native)
        ),
        None => String::new(),
    };
    Ok(format!(
        "Machine: {machine}; load average (1 min) {load_before} before the runs, {} after.\n\n\
         Tree: {tree_text}. Medians of {runs} runs after one warm-up run \
         (`cargo xtask bench{}{}`).{native_text}\n\n{table}",
        load_average(),
        if opts.quick { " --quick" } else { "" },
        if native.is_some() { " --native" } else { "" },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        let args = |l: &[&str]| l.iter().map(OsString::from).collect::<Vec<_>>();
        let o = parse(&args(&["--quick", "--filter", "raw", "--", "--noplot"]))
            .unwrap()
            .unwrap();
        assert!(o.quick && o.criterion && o.e2e && o.write);
        assert_eq!(o.filter.as_deref(), Some("raw"));
        assert_eq!(o.criterion_args, args(&["--noplot"]));
        assert_eq!(o.runs(), 3);
        assert_eq!(parse(&args(&["--help"])).unwrap(), None);
        assert!(parse(&args(&["--criterion-only", "--e2e-only"])).is_err());
        assert!(parse(&args(&["--runs", "0"])).is_err());
        assert!(parse(&args(&["--nope"])).is_err());
        assert!(!o.native);
        assert!(
            parse(&args(&["--native", "--e2e-only"]))
                .unwrap()
                .unwrap()
                .native
        );
        assert!(parse(&args(&["--native", "--criterion-only"])).is_err());
    }

    #[test]
    fn secretscan_output_is_parsed() {
        let err = "secretscan: 2 finding(s) in 6 file(s), 0.1 MB in 0.03 s (2.3 MB/s, 2 thread(s)); skipped: none\n\
                   stats: bytes_scanned=75147 anchor_hits=113\n";
        let secs = summary_seconds(err).unwrap();
        assert!((secs - 0.1 / 2.3).abs() < 1e-9, "{secs}");
        let no_rate =
            "secretscan: 0 finding(s) in 1 file(s), 0.0 MB in 0.01 s (0.0 MB/s, 1 thread(s))\n";
        assert_eq!(summary_seconds(no_rate), Some(0.01));
        assert_eq!(stat_field(err, "bytes_scanned"), Some(75147));
    }

    #[test]
    fn criterion_json_is_parsed() {
        let bench = r#"{"group_id":"raw_pass","function_id":"x","full_id":"raw_pass/x","throughput":{"Bytes":1048576}}"#;
        let est = r#"{"mean":{"point_estimate":2.0},"median":{"confidence_interval":{"lower_bound":1.0},"point_estimate":1000000000.0,"standard_error":1.0}}"#;
        assert_eq!(json_string(bench, "full_id").as_deref(), Some("raw_pass/x"));
        assert_eq!(json_number_after(bench, "\"Bytes\"", ":"), Some(1048576.0));
        assert_eq!(
            json_number_after(est, "\"median\"", "\"point_estimate\":"),
            Some(1e9)
        );
    }
}
