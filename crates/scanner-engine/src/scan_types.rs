//! Plain types passed between the per-buffer pass, decoding and the
//! pipeline: a confirmed match waiting for emission ([`PendingFinding`]), a
//! match in UTF-16 text ([`Utf16Match`]) and one rule's regex search state
//! ([`RegexState`]).
//!
//! Layer 2 (scan types): depends only on the compiled engine and the
//! leaves.

use regex_automata::meta;
use regex_automata::util::captures::Captures;

use crate::compiled::Engine;
use crate::finding::{DecodePath, Finding};
use crate::utf16::Variant;

/// A match found in UTF-16 text of the buffer being confirmed.
#[derive(Clone, Debug)]
pub(crate) struct Utf16Match {
    pub rule: u32,
    pub variant: Variant,
    /// The secret's span in the buffer's UTF-16 bytes.
    pub start: u64,
    pub end: u64,
    /// The secret and the whole match, transcoded to UTF-8, in `utf16_text`.
    pub secret: std::ops::Range<usize>,
    pub matched: std::ops::Range<usize>,
}

impl Utf16Match {
    /// A finding for this match at `span` in the root input, inside the
    /// encoded span `encoded`, below `path`.
    pub(crate) fn to_finding(
        &self,
        engine: &Engine,
        span: (u64, u64),
        encoded: (u64, u64),
        path: &DecodePath,
        text: &[u8],
    ) -> Finding {
        let mut decode_path = path.clone();
        decode_path.extend(self.variant.step());
        let info = &engine.rules[self.rule as usize].info;
        Finding::new(
            &info.id,
            &info.name,
            &text[self.secret.clone()],
            &text[self.matched.clone()],
            span,
            encoded,
            decode_path,
        )
    }
}

/// A confirmed match waiting for line numbers and emission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PendingFinding {
    pub secret_start: u64,
    pub rule: u32,
    pub secret_end: u64,
    pub match_start: u64,
    pub match_end: u64,
}

/// Regex search state of one rule.
#[derive(Debug)]
pub(crate) struct RegexState {
    pub cache: meta::Cache,
    pub captures: Captures,
}

impl RegexState {
    /// The regex state of rule `idx`, created on first use.
    pub(crate) fn of_rule<'s>(
        regex_states: &'s mut [Option<RegexState>],
        engine: &Engine,
        idx: usize,
    ) -> &'s mut RegexState {
        regex_states[idx].get_or_insert_with(|| {
            let re = engine.rules[idx].regex.get();
            RegexState {
                cache: re.create_cache(),
                captures: re.create_captures(),
            }
        })
    }
}
