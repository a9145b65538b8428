//! The errors that end [`super::scan_archive`] early.
//!
//! Invariant: corrupt, truncated, encrypted or unsupported archives and
//! members are *not* errors: they are counted and named in
//! [`super::ArchiveStats`] and the walk goes on where the format allows.
//! Only the caller's own `visit` error and an I/O error on the outer input
//! itself (seeking it back to the start) end the call.

use std::fmt;
use std::io;

/// Why [`super::scan_archive`] stopped without stats.
#[derive(Debug)]
pub enum ArchiveError {
    /// `visit` returned this error; the walk stopped at once.
    Visit(io::Error),
    /// The outer input could not be rewound to its start.
    Input(io::Error),
}

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Visit(e) => write!(f, "archive member visitor failed: {e}"),
            Self::Input(e) => write!(f, "archive input could not be read: {e}"),
        }
    }
}

impl std::error::Error for ArchiveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Visit(e) | Self::Input(e) => Some(e),
        }
    }
}
