//! The engine's modules form layers (see `docs/architecture.md`, "Layers"):
//! a module imports only from its own layer or the layers below, and the
//! modules of one layer do not import each other in a cycle.
//!
//! This test reads `src/**/*.rs`, maps each file to its top-level module
//! and each module to its layer with the table [`LAYERS`], and checks every
//! `crate::...` and `super::...` path in the code (comments and the
//! `#[cfg(test)]` module at the end of a file are left out: tests may use
//! anything). A path into the crate root's re-exports (`crate::Engine`)
//! is refused too, since it hides the module depended on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every top-level module of the engine and its layer. A module in a folder
/// (`transform/`, `decode/`, ...) is one unit with all its files.
const LAYERS: &[(&str, u8)] = &[
    // 0: leaves (types, rule format, binding, codecs, data structures).
    ("finding", 0),
    ("location", 0),
    ("utf16", 0),
    ("anchors", 0),
    ("vectorscan", 0),
    ("rules", 0),
    ("context", 0),
    ("compat", 0),
    ("transform", 0),
    ("structures", 0),
    ("checksum", 0),
    ("value_gate", 0),
    ("deferred", 0),
    // 1: the compiled, immutable engine (Tuning, rules, databases, cache).
    ("compiled", 1),
    // 2: plain scan types.
    ("stats", 2),
    ("scan_types", 2),
    // 3: the per-buffer pass (prefilter, windows, confirmation, UTF-16).
    ("confirm", 3),
    ("raw_pass", 3),
    // 4: decoding, which runs the per-buffer pass over decoded buffers.
    ("decode", 4),
    // 5: the pipeline and its front ends.
    ("scratch", 5),
    ("pipeline", 5),
    ("chunked", 5),
];

fn layer_of(unit: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == unit).map(|&(_, l)| l)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a source file (`src/decode/stream.rs` is
/// `["decode", "stream"]`, `src/lib.rs` is `[]`).
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.strip_suffix(".rs").unwrap();
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The code of a file without comments and without its `#[cfg(test)] mod`
/// block (by convention the end of the file).
fn code_of(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() == "#[cfg(test)]" {
            let next = lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty());
            if next.is_some_and(|l| l.starts_with("mod ")) {
                break;
            }
        }
        out.push_str(line.find("//").map_or(line, |p| &line[..p]));
        out.push('\n');
    }
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The index of the `}` closing the `{` at `open`.
fn matching_brace(s: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, c) in s[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + i;
                }
            }
            _ => {}
        }
    }
    s.len()
}

/// Splits `s` at the commas outside braces.
fn split_top(s: &str) -> Vec<&str> {
    let (mut depth, mut from, mut out) = (0, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[from..]);
    out
}

/// The path at the start of `s` (`a::b::c`, with `{..}` groups expanded into
/// one path each) and the bytes it takes.
fn read_path(s: &str) -> (Vec<String>, usize) {
    let b = s.as_bytes();
    let mut i = 0;
    let mut prefix = String::new();
    loop {
        let start = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        prefix.push_str(&s[start..i]);
        if !s[i..].starts_with("::") {
            return (vec![prefix], i);
        }
        i += 2;
        let ws = s[i..].len() - s[i..].trim_start().len();
        if s[i + ws..].starts_with('{') {
            let open = i + ws;
            let close = matching_brace(s, open);
            let mut out = Vec::new();
            for item in split_top(&s[open + 1..close]) {
                let item = item.trim();
                if item.is_empty() {
                    continue;
                }
                if item == "self" || item.starts_with("self ") {
                    out.push(prefix.clone());
                    continue;
                }
                for p in read_path(item).0 {
                    out.push(format!("{prefix}::{p}"));
                }
            }
            return (out, close + 1);
        }
        prefix.push_str("::");
    }
}

/// Every `crate::` and `super::` path in `code`.
fn paths(code: &str) -> Vec<String> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let rest = &code[i..];
        let starts = (rest.starts_with("crate::") || rest.starts_with("super::"))
            && (i == 0 || !(is_ident(b[i - 1]) || b[i - 1] == b':'));
        if !starts {
            i += 1;
            continue;
        }
        let (found, len) = read_path(rest);
        out.extend(found);
        i += len.max(1);
    }
    out
}

/// The absolute module path `path` names from the module `module`.
fn resolve(module: &[String], path: &str) -> Vec<String> {
    let mut segs = path.split("::").filter(|s| !s.is_empty()).peekable();
    let mut base: Vec<String> = match segs.next() {
        Some("crate") => Vec::new(),
        Some("super") => module[..module.len().saturating_sub(1)].to_vec(),
        _ => unreachable!("paths start with crate:: or super::"),
    };
    while segs.peek() == Some(&"super") {
        segs.next();
        base.pop();
    }
    base.extend(segs.map(str::to_string));
    base
}

struct Import {
    file: String,
    path: String,
}

#[test]
fn modules_import_only_from_their_layer_or_below_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut errors = Vec::new();
    let mut edges: BTreeMap<(String, String), Import> = BTreeMap::new();
    let mut seen_units = BTreeSet::new();
    for file in &files {
        let module = module_path(&src, file);
        let name = format!("src/{}", file.strip_prefix(&src).unwrap().display());
        let Some(unit) = module.first() else {
            continue; // lib.rs: module declarations and re-exports
        };
        seen_units.insert(unit.clone());
        let Some(layer) = layer_of(unit) else {
            errors.push(format!("{name}: module `{unit}` is missing from LAYERS"));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for path in paths(&code_of(&text)) {
            let target = resolve(&module, &path);
            let Some(to) = target.first().filter(|t| layer_of(t).is_some()) else {
                errors.push(format!(
                    "{name}: `{path}` names no module of LAYERS (import from the defining module, not the crate root)"
                ));
                continue;
            };
            if to == unit {
                continue;
            }
            let to_layer = layer_of(to).unwrap();
            if to_layer > layer {
                errors.push(format!(
                    "{name} (layer {layer}, `{unit}`) imports `{path}` from layer {to_layer} (`{to}`)"
                ));
            }
            edges
                .entry((unit.clone(), to.clone()))
                .or_insert_with(|| Import {
                    file: name.clone(),
                    path: path.clone(),
                });
        }
    }
    for (unit, _) in LAYERS {
        if !seen_units.contains(*unit) {
            errors.push(format!("LAYERS lists `{unit}`, which has no source file"));
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        let mut msg = String::from("import cycle:");
        for pair in cycle.windows(2) {
            let imp = &edges[&(pair[0].clone(), pair[1].clone())];
            msg.push_str(&format!(
                "\n  `{}` -> `{}` ({} imports `{}`)",
                pair[0], pair[1], imp.file, imp.path
            ));
        }
        errors.push(msg);
    }
    assert!(
        errors.is_empty(),
        "layering violations:\n{}",
        errors.join("\n")
    );
}

/// A cycle of the import graph, as a list of units whose first and last are
/// the same, if there is one.
fn find_cycle(edges: &BTreeMap<(String, String), Import>) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        next.entry(from).or_default().push(to);
    }
    // 0 unvisited, 1 on the stack, 2 done.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    fn visit<'a>(
        u: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        state.insert(u, 1);
        stack.push(u);
        for &v in next.get(u).map(|v| v.as_slice()).unwrap_or(&[]) {
            match state.get(v).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|&s| s == v).unwrap();
                    let mut cycle: Vec<String> =
                        stack[at..].iter().map(|s| s.to_string()).collect();
                    cycle.push(v.to_string());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(v, next, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(u, 2);
        None
    }
    let units: Vec<&str> = next.keys().copied().collect();
    for u in units {
        if state.get(u).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(u, &next, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn path_parser_reads_groups_super_and_skips_tests_and_comments() {
    let code = code_of(
        "use crate::{a::B, c::{self, D}};\n\
         // crate::commented::Out\n\
         let x = super::super::e::f(); let y = foo::crate_like::g;\n\
         #[cfg(test)]\n\
         mod tests { use crate::h::I; }\n",
    );
    let found = paths(&code);
    assert_eq!(
        found,
        [
            "crate::a::B",
            "crate::c",
            "crate::c::D",
            "super::super::e::f"
        ]
    );
    let module = vec!["x".to_string(), "y".to_string()];
    assert_eq!(resolve(&module, "super::super::e::f"), ["e", "f"]);
    assert_eq!(resolve(&module, "super::z"), ["x", "z"]);
    let mut edges = BTreeMap::new();
    for (a, b) in [("p", "q"), ("q", "r"), ("r", "p")] {
        let imp = Import {
            file: String::new(),
            path: String::new(),
        };
        edges.insert((a.to_string(), b.to_string()), imp);
    }
    assert_eq!(find_cycle(&edges).unwrap(), ["p", "q", "r", "p"]);
    edges.remove(&("r".to_string(), "p".to_string()));
    assert!(find_cycle(&edges).is_none());
}
