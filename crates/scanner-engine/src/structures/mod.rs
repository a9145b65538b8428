//! Generic bounded data structures used by the stream-decode path.
//!
//! - [`ByteRing`] (`ring.rs`): ring buffer of decoded bytes addressed by
//!   monotonic stream offsets; windows are copied out of it by offset.
//! - [`TimingWheel`] (`timing_wheel.rs`): hashed timing wheel that holds
//!   scheduled windows until the decoded offset reaches their end, then
//!   hands them back in key order ([`Push`], [`Full`] are its push results).
//! - [`FixedSet128`] (`fixed_set.rs`): fixed-capacity set of 128-bit
//!   digests that deduplicates identical decoded outputs.
//!
//! Common invariants: every buffer is bounded by a capacity given at
//! construction and allocated there; steady-state operation does not
//! allocate; no method panics on any input (bounds are reported through
//! return values); no `unsafe`. See `docs/structures.md`.

mod fixed_set;
mod ring;
mod timing_wheel;

pub use fixed_set::FixedSet128;
pub use ring::ByteRing;
pub use timing_wheel::{Full, Push, TimingWheel};
