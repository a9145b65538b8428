//! Derives a rule's *anchors*: literal byte strings, at least
//! [`MIN_ANCHOR_LEN`] long, such that every match of the rule's regex
//! contains at least one of them (compared ASCII case-insensitively).
//!
//! The raw pass feeds anchors to Vectorscan and only runs the full regex in a
//! window around each anchor hit, so the invariant above is what makes the
//! prefilter lossless. Derivation works on the regex's HIR:
//! 1. ASCII case-insensitive letters (`[aA]`) are folded to one lowercase
//!    literal byte so `(?i)` does not explode the literal set;
//! 2. required literals are found recursively (a concatenation needs only one
//!    of its parts, an alternation needs one per branch, a repetition with
//!    `min >= 1` needs its body), combined with `regex-syntax`'s prefix
//!    extraction of each concatenation suffix so `ab[cd]` yields `abc`/`abd`;
//! 3. the best candidate set wins: longest shortest-literal, then fewest.
//!
//! Non-ASCII case variants folded away in step 1 (e.g. the Kelvin sign for
//! `k`) are not anchored; rules are written for ASCII tokens.

use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Class, Hir, HirKind};

/// Shortest literal accepted as an anchor; shorter ones hit too often to
/// prefilter anything.
pub const MIN_ANCHOR_LEN: usize = 3;

/// Most anchors one rule may have.
const MAX_ANCHORS: usize = 256;

/// Returns the anchors of `hir` (lowercased, sorted, deduplicated), or `None`
/// when no set of literals is required by every match.
pub fn derive_anchors(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    derive_cased_anchors(hir).map(|a| a.caseless())
}

/// Anchors and how they are matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchors {
    /// Sorted, deduplicated literals; lowercase unless `exact`.
    pub literals: Vec<Vec<u8>>,
    /// The regex matches these bytes only in this case: nothing in it is
    /// case-insensitive, so the literals can be matched case-sensitively,
    /// which the prefilter does faster and with fewer false hits.
    pub exact: bool,
}

impl Anchors {
    /// The literals lowercased, for matching without regard to case.
    pub fn caseless(self) -> Vec<Vec<u8>> {
        if !self.exact {
            return self.literals;
        }
        let mut lits: Vec<Vec<u8>> = self
            .literals
            .into_iter()
            .map(|l| l.to_ascii_lowercase())
            .collect();
        lits.sort();
        lits.dedup();
        drop_superstrings(&mut lits);
        lits
    }
}

/// Like [`derive_anchors`], and says whether the literals may be matched
/// case-sensitively: when the regex has no case-insensitive letter at all
/// (folding ASCII case changes nothing), its literals are exactly the bytes
/// every match contains, in their case.
pub fn derive_cased_anchors(hir: &Hir) -> Option<Anchors> {
    let folded = fold_ascii_case(hir);
    let exact = folded == *hir;
    let best = better(prefix_literals(&folded), required_literals(&folded))?;
    let mut lits: Vec<Vec<u8>> = if exact {
        best
    } else {
        best.into_iter().map(|l| l.to_ascii_lowercase()).collect()
    };
    lits.sort();
    lits.dedup();
    drop_superstrings(&mut lits);
    if lits.iter().all(|l| l.len() >= MIN_ANCHOR_LEN) && lits.len() <= MAX_ANCHORS {
        Some(Anchors {
            literals: lits,
            exact,
        })
    } else {
        None
    }
}

/// Removes every literal that contains another literal of the set: a text
/// holding the longer one holds the shorter one, so the shorter one alone
/// still occurs in every match, and one literal fewer is scanned for.
fn drop_superstrings(lits: &mut Vec<Vec<u8>>) {
    let mut by_len: Vec<Vec<u8>> = std::mem::take(lits);
    by_len.sort_by_key(Vec::len);
    for lit in by_len {
        if !lits
            .iter()
            .any(|kept| memchr::memmem::find(&lit, kept).is_some())
        {
            lits.push(lit);
        }
    }
    lits.sort();
}

/// Prefix literals of `hir` if the set is finite and non-empty.
fn prefix_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        .limit_class(4)
        .limit_total(MAX_ANCHORS)
        .extract(hir);
    let lits = seq.literals()?;
    if lits.is_empty() {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// A set of literals one of which occurs in every match of `hir`.
fn required_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(lit) => Some(vec![lit.0.to_vec()]),
        HirKind::Capture(cap) => required_literals(&cap.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => required_literals(&rep.sub),
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(required_literals(b)?);
                if all.len() > MAX_ANCHORS {
                    return None;
                }
            }
            Some(all)
        }
        HirKind::Concat(parts) => {
            let mut best = None;
            for i in 0..parts.len() {
                best = better(best, required_literals(&parts[i]));
                let suffix = Hir::concat(parts[i..].to_vec());
                best = better(best, prefix_literals(&suffix));
            }
            best
        }
        _ => None,
    }
}

/// Literal length beyond which a longer anchor is not worth more literals:
/// an 8-byte literal is already rare in real text, while every literal
/// added to the prefilter costs scan time on all input.
const SELECTIVE_LEN: usize = 8;

/// The better of two candidate anchor sets: the one whose shortest literal
/// is longest (lengths from [`SELECTIVE_LEN`] on count as equal), then the
/// smaller one. So `x-api-key` alone beats fifty literals that extend it
/// with each separator the regex allows after it.
fn better(a: Option<Vec<Vec<u8>>>, b: Option<Vec<Vec<u8>>>) -> Option<Vec<Vec<u8>>> {
    fn score(s: &[Vec<u8>]) -> (usize, std::cmp::Reverse<usize>) {
        let min = s.iter().map(Vec::len).min().unwrap_or(0);
        (min.min(SELECTIVE_LEN), std::cmp::Reverse(s.len()))
    }
    match (a, b) {
        (Some(a), Some(b)) => Some(if score(&b) > score(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Replaces every class that is exactly one ASCII letter in both cases (plus,
/// possibly, non-ASCII characters) with that letter in lowercase.
fn fold_ascii_case(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Class(class) => match ascii_case_pair(class) {
            Some(b) => Hir::literal(vec![b]),
            None => hir.clone(),
        },
        HirKind::Capture(cap) => {
            let mut cap = cap.clone();
            cap.sub = Box::new(fold_ascii_case(&cap.sub));
            Hir::capture(cap)
        }
        HirKind::Repetition(rep) => {
            let mut rep = rep.clone();
            rep.sub = Box::new(fold_ascii_case(&rep.sub));
            Hir::repetition(rep)
        }
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(fold_ascii_case).collect()),
        HirKind::Alternation(parts) => {
            Hir::alternation(parts.iter().map(fold_ascii_case).collect())
        }
        _ => hir.clone(),
    }
}

/// If `class` contains exactly two ASCII characters and they are the two
/// cases of one letter, returns the lowercase letter.
fn ascii_case_pair(class: &Class) -> Option<u8> {
    let mut ascii = Vec::new();
    match class {
        Class::Unicode(c) => {
            for r in c.ranges() {
                for ch in r.start()..=r.end().min('\x7f') {
                    ascii.push(ch as u8);
                    if ascii.len() > 2 {
                        return None;
                    }
                }
            }
        }
        Class::Bytes(c) => {
            for r in c.ranges() {
                for b in r.start()..=r.end().min(0x7f) {
                    ascii.push(b);
                    if ascii.len() > 2 {
                        return None;
                    }
                }
            }
        }
    }
    match ascii[..] {
        [a, b] if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(&b) && a != b => {
            Some(a.to_ascii_lowercase())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchors(re: &str) -> Option<Vec<String>> {
        let hir = regex_syntax::parse(re).unwrap();
        derive_anchors(&hir).map(|v| {
            v.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn prefix_token() {
        assert_eq!(
            anchors(r"\b(ghp_[A-Za-z0-9]{36})\b"),
            Some(vec!["ghp_".into()])
        );
    }

    #[test]
    fn case_insensitive_context_is_one_literal() {
        assert_eq!(
            anchors(r"(?i)datadog[^\n]{0,40}?\b([a-f0-9]{32})\b"),
            Some(vec!["datadog".into()])
        );
    }

    #[test]
    fn alternation_of_prefixes() {
        assert_eq!(
            anchors(r"\b((?:AKIA|ASIA)[A-Z0-9]{16})\b"),
            Some(vec!["akia".into(), "asia".into()])
        );
    }

    #[test]
    fn inner_literal_beats_short_prefix() {
        assert_eq!(
            anchors(r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"),
            Some(vec!["t3blbkfj".into()])
        );
    }

    #[test]
    fn no_anchor_for_bare_class() {
        assert_eq!(anchors(r"\b[a-f0-9]{32}\b"), None);
        assert_eq!(anchors(r"(?:ab)?[0-9]+"), None);
    }

    #[test]
    fn one_selective_literal_beats_its_many_extensions() {
        // The prefix set would be `x-api-key` followed by each of the
        // separators; the bare name is required and selective enough.
        assert_eq!(
            anchors(r#"(?i)\bx-api-key["']?[ \t]*[:=,][ \t]*["']?([A-Za-z0-9]{40})\b"#),
            Some(vec!["x-api-key".into()])
        );
    }

    #[test]
    fn superstrings_are_dropped() {
        assert_eq!(
            anchors(r"(?:tok_live|tok_)[a-z]{10}"),
            Some(vec!["tok_".into()])
        );
        let mut lits = vec![b"abcd".to_vec(), b"xabcdy".to_vec(), b"abce".to_vec()];
        drop_superstrings(&mut lits);
        assert_eq!(lits, vec![b"abcd".to_vec(), b"abce".to_vec()]);
    }

    #[test]
    fn case_sensitive_regexes_give_exact_anchors() {
        let cased = |re: &str| derive_cased_anchors(&regex_syntax::parse(re).unwrap());
        assert_eq!(
            cased(r"\b(ghp_[A-Za-z0-9]{36})\b"),
            Some(Anchors {
                literals: vec![b"ghp_".to_vec()],
                exact: true
            })
        );
        assert_eq!(
            cased(r"\b((?:AKIA|ASIA)[A-Z0-9]{16})\b"),
            Some(Anchors {
                literals: vec![b"AKIA".to_vec(), b"ASIA".to_vec()],
                exact: true
            })
        );
        // Any case-insensitive letter, even outside the anchor, keeps the
        // whole set caseless.
        assert_eq!(
            cased(r"(?i:key)=\b(AKIA[A-Z0-9]{16})\b"),
            Some(Anchors {
                literals: vec![b"key=akia".to_vec()],
                exact: false
            })
        );
        assert_eq!(
            cased(r"\b((?:AKIA|ASIA)[A-Z0-9]{16})\b").map(Anchors::caseless),
            Some(vec![b"akia".to_vec(), b"asia".to_vec()])
        );
    }

    #[test]
    fn short_literals_rejected() {
        assert_eq!(anchors(r"ab[0-9]{10}"), None);
    }
}
