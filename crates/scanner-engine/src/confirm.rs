//! Confirmation: runs one rule's regex over a candidate region and keeps the
//! matches whose secret passes the rule's filters, in this order: the entropy
//! floor (with `value_gate`, the shared gate's floor and placeholder check
//! from `crate::value_gate`), the `allow` list, and the `checksum` validator
//! (`crate::checksum`).
//!
//! Layer 3 (per-buffer pass): used by `raw_pass` and by the streaming
//! decode path.
//!
//! Invariants:
//! - The regex searches only inside the region, but look-around assertions
//!   (`\b`, `^`, `$`) see the bytes around it, so a window boundary never
//!   creates a word boundary that the input does not have.
//! - A match longer than the rule's width bound (`window_radius`, from the
//!   regex or `max_width`) is rejected on every path, and a match ending at a
//!   window's right edge is searched again with room to grow, so windowed
//!   and whole-buffer confirmation report the same matches.
//! - Every match found is either pushed as a [`PendingFinding`] or counted
//!   as rejected in the stats; nothing is dropped silently.
//! - Capture groups are computed only over a match's own bytes (its bounds
//!   come from a DFA search first), so confirming costs time linear in the
//!   region with the fast engines, however wide a rejected match is.

use regex_automata::{Anchored, Input};

use crate::compiled::Engine;
use crate::finding::shannon_entropy;
use crate::scan_types::{PendingFinding, RegexState};
use crate::stats::ScanStats;
use crate::value_gate::{self, Rejection};

/// Where to run the regex.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Region {
    /// The whole input.
    Whole,
    /// The half-open byte range `[lo, hi)`, clamped to the input.
    Window(u64, u64),
}

pub(crate) fn confirm_rule(
    engine: &Engine,
    rule_idx: usize,
    state: &mut RegexState,
    input: &[u8],
    region: Region,
    pending: &mut Vec<PendingFinding>,
    stats: &mut ScanStats,
) {
    let rule = &engine.rules[rule_idx];
    let regex = rule.regex.get();
    let len = input.len();
    let (lo, hi) = match region {
        Region::Whole => (0, len),
        Region::Window(lo, hi) => ((lo as usize).min(len), (hi as usize).min(len)),
    };
    let mut at = lo;
    while at < hi {
        // The match's bounds first (a DFA search), the capture groups only
        // within them: a capture search over a long region runs the slow NFA
        // simulation over all of it (4 MiB of one anchor repeated took
        // seconds), and most searches find nothing or a match too wide.
        let search = Input::new(input).span(at..hi);
        let Some(mut m) = regex.search_with(&mut state.cache, &search) else {
            break;
        };
        if m.end() == hi && hi < len {
            // The window edge may have cut the match short: search again from
            // the same start with room for one byte more than the width bound.
            let limit = len.min(m.start().saturating_add(rule.window_radius as usize + 1));
            let retry = Input::new(input)
                .span(m.start()..limit)
                .anchored(Anchored::Yes);
            match regex.search_with(&mut state.cache, &retry) {
                Some(longer) => m = longer,
                None => break,
            }
        }
        at = if m.is_empty() { m.end() + 1 } else { m.end() };
        if m.len() as u64 > rule.window_radius {
            stats.rejected_width += 1;
            continue;
        }
        // The same leftmost-first match, anchored at its start and ending at
        // its end (look-around still sees the bytes around it).
        let exact = Input::new(input).span(m.range()).anchored(Anchored::Yes);
        regex.search_captures_with(&mut state.cache, &exact, &mut state.captures);
        let Some(secret) = state
            .captures
            .get_match()
            .filter(|c| c.range() == m.range())
            .and_then(|_| state.captures.get_group(rule.secret_group))
        else {
            continue;
        };
        let secret_bytes = &input[secret.range()];
        if secret_bytes.is_empty() {
            continue;
        }
        if rule.value_gate {
            match value_gate::check(secret_bytes, rule.min_entropy) {
                Ok(()) => {}
                Err(Rejection::Entropy) => {
                    stats.rejected_entropy += 1;
                    continue;
                }
                Err(Rejection::Placeholder(_)) => {
                    stats.rejected_placeholder += 1;
                    continue;
                }
            }
        } else if let Some(min) = rule.min_entropy {
            if shannon_entropy(secret_bytes) < min {
                stats.rejected_entropy += 1;
                continue;
            }
        }
        if rule.allow.iter().any(|a| a.get().is_match(secret_bytes)) {
            stats.rejected_allow += 1;
            continue;
        }
        if rule.checksum.is_some_and(|c| !c.verify(secret_bytes)) {
            stats.rejected_checksum += 1;
            continue;
        }
        pending.push(PendingFinding {
            secret_start: secret.start as u64,
            secret_end: secret.end as u64,
            rule: rule_idx as u32,
            match_start: m.start() as u64,
            match_end: m.end() as u64,
        });
    }
}
