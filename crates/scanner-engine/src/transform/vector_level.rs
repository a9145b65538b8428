//! Which x86-64 vector instructions the CPU has beyond the baseline (SSE2),
//! detected once, for the finders' block classifiers that have versions
//! using them (`base64/classify.rs`, `hex/classify.rs`). Safe code: only
//! the detection; the classifiers call their versions after checking
//! [`LEVEL`].

use std::sync::LazyLock;

/// The widest vector instructions a block classifier may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    /// AVX-512BW (with AVX2).
    Avx512,
    /// AVX2.
    Avx2,
    /// Only the baseline; the portable versions run.
    Baseline,
}

/// What this CPU supports, detected on first use.
pub(crate) static LEVEL: LazyLock<Level> = LazyLock::new(|| {
    if std::is_x86_feature_detected!("avx512bw") && std::is_x86_feature_detected!("avx2") {
        Level::Avx512
    } else if std::is_x86_feature_detected!("avx2") {
        Level::Avx2
    } else {
        Level::Baseline
    }
});
