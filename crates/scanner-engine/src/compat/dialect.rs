//! Translation of Vectorscan/PCRE and Go RE2 pattern syntax into the syntax
//! of the Rust `regex` crate.
//!
//! Invariants:
//! - Translation never panics and never makes a pattern match *less*: every
//!   rewrite either keeps the meaning (`\h`, `\Q..\E`, free-spacing comments)
//!   or widens it (possessive quantifiers and atomic groups become ordinary
//!   greedy ones, `\Z` becomes `\z`), so a translated rule cannot miss a
//!   secret that the original would report.
//! - Constructs that cannot be expressed (look-around, back-references,
//!   recursion, conditionals, callouts) are reported as [`Unsupported`] with
//!   a human-readable reason; the caller skips the rule.
//! - Free-spacing mode (`(?x)`) is resolved here with PCRE semantics:
//!   whitespace and `#` comments outside character classes are removed,
//!   while whitespace and `#` inside classes stay literal (written as hex
//!   escapes). The `regex` crate would otherwise drop whitespace inside
//!   classes too.

/// Why a pattern cannot be translated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unsupported(pub String);

/// A translated pattern and the notes worth telling the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    /// The pattern in `regex` crate syntax.
    pub pattern: String,
    /// Rewrites that widen the pattern (possessive, atomic, `\Z`).
    pub notes: Vec<String>,
}

/// What the previous token was, to tell quantifier modifiers apart.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Start of pattern or group, or `|`: a following `?`/`+` is not a modifier.
    Open,
    /// An atom (literal, class, group end, escape).
    Atom,
    /// A quantifier (`*`, `+`, `?`, `{n,m}`): `+` after it is possessive,
    /// `?` after it is lazy.
    Quantifier,
    /// A lazy or possessive modifier: nothing may modify it further.
    Modifier,
}

/// Translates `pattern` (PCRE / Vectorscan / RE2 flavour) into `regex` syntax.
pub fn translate(pattern: &str) -> Result<Translated, Unsupported> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len());
    let mut notes: Vec<String> = Vec::new();
    let mut note = |n: &str| {
        if !notes.iter().any(|x| x == n) {
            notes.push(n.to_string());
        }
    };
    // Stack of free-spacing states: one entry per open group, so `(?x)` inside
    // a group ends with the group, as in PCRE.
    let mut x_stack: Vec<bool> = vec![false];
    let mut prev = Prev::Open;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let xmode = *x_stack.last().unwrap_or(&false);
        if xmode && c.is_whitespace() {
            i += 1;
            continue;
        }
        if xmode && c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        match c {
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    return Err(Unsupported("pattern ends with a lone backslash".into()));
                };
                match n {
                    '1'..='9' => {
                        return Err(Unsupported(format!(
                            "back-reference `\\{n}` is not supported"
                        )))
                    }
                    'k' | 'g' => {
                        return Err(Unsupported(format!(
                            "back-reference or subroutine `\\{n}` is not supported"
                        )))
                    }
                    'Z' => {
                        note("`\\Z` translated to `\\z` (a final newline is not skipped)");
                        out.push_str("\\z");
                        i += 2;
                    }
                    'h' => {
                        out.push_str("[ \\t]");
                        i += 2;
                    }
                    'H' => {
                        out.push_str("[^ \\t]");
                        i += 2;
                    }
                    'Q' => {
                        i += 2;
                        while i < chars.len() {
                            if chars[i] == '\\' && chars.get(i + 1) == Some(&'E') {
                                i += 2;
                                break;
                            }
                            push_literal(&mut out, chars[i]);
                            i += 1;
                        }
                    }
                    'E' => i += 2,
                    ' ' | '#' | '\t' | '\n' | '\r' => {
                        push_literal(&mut out, n);
                        i += 2;
                    }
                    _ => {
                        out.push('\\');
                        out.push(n);
                        i += 2;
                        // `\x{...}`, `\p{...}`, `\u{...}`: copy the braces whole.
                        if matches!(n, 'x' | 'p' | 'P' | 'u' | 'U') && chars.get(i) == Some(&'{') {
                            while i < chars.len() {
                                out.push(chars[i]);
                                i += 1;
                                if chars[i - 1] == '}' {
                                    break;
                                }
                            }
                        }
                    }
                }
                prev = Prev::Atom;
            }
            '[' => {
                i = copy_class(&chars, i, &mut out)?;
                prev = Prev::Atom;
            }
            '(' => {
                let rest: String = chars[i + 1..chars.len().min(i + 4)].iter().collect();
                if rest.starts_with("?=") || rest.starts_with("?!") {
                    return Err(Unsupported(
                        "look-ahead `(?=`/`(?!` is not supported".into(),
                    ));
                }
                if rest.starts_with("?<=") || rest.starts_with("?<!") {
                    return Err(Unsupported(
                        "look-behind `(?<=`/`(?<!` is not supported".into(),
                    ));
                }
                if rest.starts_with("?>") {
                    note("atomic group `(?>` translated to a plain group");
                    out.push_str("(?:");
                    i += 3;
                    x_stack.push(xmode);
                    prev = Prev::Open;
                    continue;
                }
                if rest.starts_with("?|") {
                    return Err(Unsupported(
                        "branch-reset group `(?|` is not supported".into(),
                    ));
                }
                if rest.starts_with("?(") {
                    return Err(Unsupported(
                        "conditional group `(?(` is not supported".into(),
                    ));
                }
                let after_q: Vec<char> = chars[i + 1..].iter().take(3).copied().collect();
                let is_call = after_q.first() == Some(&'?')
                    && match after_q.get(1) {
                        Some('R' | '&' | 'C') => true,
                        Some(d) if d.is_ascii_digit() => true,
                        Some('+' | '-') => after_q.get(2).is_some_and(|d| d.is_ascii_digit()),
                        Some('P') => after_q.get(2) == Some(&'>'),
                        _ => false,
                    };
                if is_call {
                    return Err(Unsupported(
                        "recursion, subroutine calls and callouts are not supported".into(),
                    ));
                }
                if rest.starts_with("?P=") {
                    return Err(Unsupported(
                        "named back-reference `(?P=` is not supported".into(),
                    ));
                }
                if rest.starts_with("?#") {
                    // PCRE comment group: drop it.
                    while i < chars.len() && chars[i] != ')' {
                        i += 1;
                    }
                    i += 1;
                    continue;
                }
                if chars.get(i + 1) == Some(&'*') {
                    return Err(Unsupported(
                        "PCRE verbs such as `(*UTF)` or `(*SKIP)` are not supported".into(),
                    ));
                }
                // Inline flags: `(?flags)` changes the current level, `(?flags:`
                // opens a group with them.
                if chars.get(i + 1) == Some(&'?') {
                    let mut j = i + 2;
                    let mut on = true;
                    let mut x = xmode;
                    let mut flags = String::new();
                    while let Some(&f) = chars.get(j) {
                        match f {
                            '-' => on = false,
                            'x' => x = on,
                            'i' | 'm' | 's' | 'U' | 'u' | 'R' => {}
                            'n' | 'J' | 'X' | 'D' | 'S' | 'A' | 'L' | 'O' => {
                                return Err(Unsupported(format!(
                                    "inline flag `{f}` is not supported"
                                )))
                            }
                            _ => break,
                        }
                        flags.push(f);
                        j += 1;
                    }
                    match chars.get(j) {
                        Some(')') if !flags.is_empty() => {
                            out.push_str("(?");
                            out.push_str(&flags);
                            out.push(')');
                            if let Some(top) = x_stack.last_mut() {
                                *top = x;
                            }
                            i = j + 1;
                            prev = Prev::Open;
                            continue;
                        }
                        Some(':') => {
                            out.push_str("(?");
                            out.push_str(&flags);
                            out.push(':');
                            x_stack.push(x);
                            i = j + 1;
                            prev = Prev::Open;
                            continue;
                        }
                        _ => {}
                    }
                }
                // Any other group (`(`, `(?:`, `(?<name>`, `(?P<name>`, `(?'name'`).
                if rest.starts_with("?'") {
                    let mut j = i + 3;
                    let mut name = String::new();
                    while let Some(&ch) = chars.get(j) {
                        if ch == '\'' {
                            break;
                        }
                        name.push(ch);
                        j += 1;
                    }
                    out.push_str("(?P<");
                    out.push_str(&name);
                    out.push('>');
                    i = j + 1;
                } else {
                    out.push('(');
                    i += 1;
                }
                x_stack.push(xmode);
                prev = Prev::Open;
            }
            ')' => {
                if x_stack.len() > 1 {
                    x_stack.pop();
                }
                out.push(')');
                i += 1;
                prev = Prev::Atom;
            }
            '|' => {
                out.push('|');
                i += 1;
                prev = Prev::Open;
            }
            '*' | '+' | '?' => {
                match prev {
                    Prev::Quantifier if c == '+' => {
                        note("possessive quantifiers translated to greedy ones");
                        prev = Prev::Modifier;
                    }
                    Prev::Quantifier if c == '?' => {
                        out.push('?');
                        prev = Prev::Modifier;
                    }
                    _ => {
                        out.push(c);
                        prev = Prev::Quantifier;
                    }
                }
                i += 1;
            }
            '{' => {
                // A counted repetition `{n}`, `{n,}`, `{n,m}` (spaces allowed in
                // free-spacing mode), else a literal brace.
                let mut j = i + 1;
                let mut body = String::new();
                while let Some(&ch) = chars.get(j) {
                    if ch.is_ascii_digit() || ch == ',' {
                        body.push(ch);
                    } else if ch == ' ' && xmode {
                    } else {
                        break;
                    }
                    j += 1;
                }
                let valid = chars.get(j) == Some(&'}')
                    && body.chars().next().is_some_and(|d| d.is_ascii_digit());
                if valid && prev != Prev::Open {
                    out.push('{');
                    out.push_str(&body);
                    out.push('}');
                    i = j + 1;
                    prev = Prev::Quantifier;
                } else {
                    out.push_str("\\{");
                    i += 1;
                    prev = Prev::Atom;
                }
            }
            _ => {
                out.push(c);
                i += 1;
                prev = Prev::Atom;
            }
        }
    }
    Ok(Translated {
        pattern: out,
        notes,
    })
}

/// Writes `c` so that it matches itself in any mode of the `regex` crate.
fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || c == '_' || (!c.is_ascii() && !c.is_whitespace()) {
        out.push(c);
    } else if c.is_ascii() {
        out.push_str(&format!("\\x{:02X}", c as u32));
    } else {
        out.push_str(&format!("\\x{{{:X}}}", c as u32));
    }
}

/// Copies the character class starting at `chars[start] == '['` and returns
/// the index after it. Whitespace and `#` become hex escapes, `\h` is expanded.
fn copy_class(chars: &[char], start: usize, out: &mut String) -> Result<usize, Unsupported> {
    let mut i = start + 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    // A `]` right after `[` or `[^` is a literal.
    if chars.get(i) == Some(&']') {
        out.push_str("\\]");
        i += 1;
    }
    let mut depth = 1usize;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    return Err(Unsupported("pattern ends inside a character class".into()));
                };
                match n {
                    'h' => out.push_str(" \\t"),
                    'Q' | 'E' => {
                        return Err(Unsupported(
                            "`\\Q...\\E` inside a character class is not supported".into(),
                        ))
                    }
                    ' ' | '#' | '\t' | '\n' | '\r' => push_literal(out, n),
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
                i += 2;
            }
            '[' if chars.get(i + 1) == Some(&':') => {
                // POSIX class `[:alpha:]`: copy through the closing `:]`.
                let mut j = i + 2;
                while j + 1 < chars.len() && !(chars[j] == ':' && chars[j + 1] == ']') {
                    j += 1;
                }
                for &ch in &chars[i..(j + 2).min(chars.len())] {
                    out.push(ch);
                }
                i = j + 2;
            }
            '[' => {
                // PCRE treats a nested `[` as a literal; the `regex` crate would
                // open a nested class.
                out.push_str("\\[");
                i += 1;
            }
            ']' => {
                out.push(']');
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            // `&&`, `~~` and `#` have meanings of their own in `regex` classes.
            '#' | '&' | '~' => {
                push_literal(out, c);
                i += 1;
            }
            c if c.is_whitespace() => {
                push_literal(out, c);
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Err(Unsupported("unclosed character class".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(p: &str) -> String {
        translate(p).unwrap().pattern
    }

    #[test]
    fn possessive_and_atomic_become_greedy() {
        assert_eq!(t(r"a*+b++c?+d{2,3}+"), r"a*b+c?d{2,3}");
        assert_eq!(t(r"\++x"), r"\++x");
        assert_eq!(t(r"a*?b"), r"a*?b");
        assert_eq!(t(r"(?>ab)"), r"(?:ab)");
        assert_eq!(t(r"[+*]+"), r"[+*]+");
    }

    #[test]
    fn pcre_escapes() {
        assert_eq!(t(r"abc\Z"), r"abc\z");
        assert_eq!(t(r"a\hb[\h]"), r"a[ \t]b[ \t]");
        assert_eq!(t(r"\Qa.b\E+"), r"a\x2Eb+");
    }

    #[test]
    fn free_spacing_resolved_with_pcre_semantics() {
        let p = "(?x)\n  token  # the prefix\n  [ #a-z]{4}  # body\n";
        let out = t(p);
        assert_eq!(out, r"(?x)token[\x20\x23a-z]{4}");
        let re = regex::Regex::new(&out).unwrap();
        assert!(re.is_match("token #ab"));
        // Scoped: free spacing ends with its group.
        assert_eq!(t("(?x: a b ) c"), "(?x:ab) c");
    }

    #[test]
    fn unsupported_constructs_are_reported() {
        for p in [
            r"a(?=b)",
            r"a(?!b)",
            r"(?<=a)b",
            r"(?<!a)b",
            r"(a)\1",
            r"(?<n>a)\k<n>",
        ] {
            assert!(translate(p).is_err(), "{p}");
        }
        assert!(translate(r"(?<name>a)").is_ok());
        assert_eq!(t(r"(?'n'a)"), r"(?P<n>a)");
    }

    #[test]
    fn never_panics_on_truncated_input() {
        for p in [
            "\\", "[", "[\\", "(?", "(?'x", "a{", "a{1", "\\x{", "[[:alp", "(?#",
        ] {
            let _ = translate(p);
        }
    }
}
