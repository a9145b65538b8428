//! The C declarations of the Vectorscan (or Hyperscan 5.4+) API that the
//! engine calls, written here so that one audited list of signatures serves
//! whichever library is linked:
//!
//! - by default the system's `libhs`, found through pkg-config by the
//!   crate's build script (Debian/Ubuntu package `libvectorscan-dev`, or
//!   `libhyperscan-dev` on releases that ship Hyperscan);
//! - with the `vendored` feature, the static library that `vectorscan-rs-sys`
//!   builds from source (the `use` below makes sure it is linked).
//!
//! Invariants: every item mirrors `hs.h`, `hs_common.h`, `hs_compile.h` and
//! `hs_runtime.h` of Vectorscan 5.4 exactly (names, argument order, C types);
//! the constants are the values those headers define. The unit tests in the
//! parent module exercise every function declared here.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_uint, c_ulonglong, c_void};

#[cfg(feature = "vendored")]
use vectorscan_rs_sys as _;

/// Opaque compiled database.
#[repr(C)]
pub struct hs_database_t {
    _private: [u8; 0],
}

/// Opaque per-thread scratch space.
#[repr(C)]
pub struct hs_scratch_t {
    _private: [u8; 0],
}

/// Opaque stream state.
#[repr(C)]
pub struct hs_stream_t {
    _private: [u8; 0],
}

/// Opaque platform description (always passed as NULL: the host platform).
#[repr(C)]
pub struct hs_platform_info_t {
    _private: [u8; 0],
}

/// `hs_compile_error_t`: the message and the index of the failing expression
/// (negative when the error is not specific to one expression).
#[repr(C)]
pub struct hs_compile_error_t {
    pub message: *mut c_char,
    pub expression: c_int,
}

pub type hs_error_t = c_int;

pub type match_event_handler = Option<
    unsafe extern "C" fn(
        id: c_uint,
        from: c_ulonglong,
        to: c_ulonglong,
        flags: c_uint,
        context: *mut c_void,
    ) -> c_int,
>;

pub const HS_SUCCESS: hs_error_t = 0;
pub const HS_SCAN_TERMINATED: hs_error_t = -3;

pub const HS_FLAG_CASELESS: c_uint = 1;
pub const HS_FLAG_DOTALL: c_uint = 2;
pub const HS_FLAG_SINGLEMATCH: c_uint = 8;
pub const HS_FLAG_UTF8: c_uint = 32;
pub const HS_FLAG_PREFILTER: c_uint = 128;

pub const HS_MODE_BLOCK: c_uint = 1;
pub const HS_MODE_STREAM: c_uint = 2;

extern "C" {
    pub fn hs_compile_multi(
        expressions: *const *const c_char,
        flags: *const c_uint,
        ids: *const c_uint,
        elements: c_uint,
        mode: c_uint,
        platform: *const hs_platform_info_t,
        db: *mut *mut hs_database_t,
        error: *mut *mut hs_compile_error_t,
    ) -> hs_error_t;

    pub fn hs_free_compile_error(error: *mut hs_compile_error_t) -> hs_error_t;

    pub fn hs_free_database(db: *mut hs_database_t) -> hs_error_t;

    pub fn hs_alloc_scratch(
        db: *const hs_database_t,
        scratch: *mut *mut hs_scratch_t,
    ) -> hs_error_t;

    pub fn hs_free_scratch(scratch: *mut hs_scratch_t) -> hs_error_t;

    pub fn hs_scan(
        db: *const hs_database_t,
        data: *const c_char,
        length: c_uint,
        flags: c_uint,
        scratch: *mut hs_scratch_t,
        on_event: match_event_handler,
        context: *mut c_void,
    ) -> hs_error_t;

    pub fn hs_open_stream(
        db: *const hs_database_t,
        flags: c_uint,
        stream: *mut *mut hs_stream_t,
    ) -> hs_error_t;

    pub fn hs_scan_stream(
        id: *mut hs_stream_t,
        data: *const c_char,
        length: c_uint,
        flags: c_uint,
        scratch: *mut hs_scratch_t,
        on_event: match_event_handler,
        context: *mut c_void,
    ) -> hs_error_t;

    pub fn hs_reset_stream(
        id: *mut hs_stream_t,
        flags: c_uint,
        scratch: *mut hs_scratch_t,
        on_event: match_event_handler,
        context: *mut c_void,
    ) -> hs_error_t;

    pub fn hs_close_stream(
        id: *mut hs_stream_t,
        scratch: *mut hs_scratch_t,
        on_event: match_event_handler,
        context: *mut c_void,
    ) -> hs_error_t;

    pub fn hs_version() -> *const c_char;

    /// Writes `db` into a new buffer allocated with the misc allocator
    /// (`malloc` by default), which the caller frees with [`free`].
    pub fn hs_serialize_database(
        db: *const hs_database_t,
        bytes: *mut *mut c_char,
        length: *mut usize,
    ) -> hs_error_t;

    /// Rebuilds a database from `hs_serialize_database` output; fails on
    /// bytes of another library version or platform, or that are corrupt.
    pub fn hs_deserialize_database(
        bytes: *const c_char,
        length: usize,
        db: *mut *mut hs_database_t,
    ) -> hs_error_t;
}

extern "C" {
    /// The C library's `free`, for the buffer of `hs_serialize_database`
    /// (the misc allocator is never replaced, so it is `malloc`'s).
    pub fn free(ptr: *mut c_void);
}
