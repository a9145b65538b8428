//! Thin, safe layer over the Vectorscan C library, declared in [`ffi`]
//! (the system `libhs` by default, a source build with the `vendored`
//! feature).
//!
//! The safe `vectorscan-rs` API ties every scanner to a borrowed database and
//! cannot reset a stream for reuse; the engine needs owned, reusable scratch
//! inside its `Scratch` (and, for decoded data, reusable streams), so this
//! module wraps the few C entry points the engine uses.
//!
//! Invariants:
//! - A [`Database`] is immutable after compilation and is `Send + Sync`
//!   (Vectorscan databases are read-only during scanning).
//! - A [`VsScratch`] is used by one scan at a time (`&mut` access) and is only
//!   passed to databases it was allocated or grown for ([`VsScratch::grow_for`]).
//! - Scan callbacks never unwind across the C boundary: a panic in the Rust
//!   callback is caught and turned into a terminated scan plus an error.

use std::ffi::{c_char, c_int, c_uint, c_ulonglong, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

mod ffi;

use ffi as hs;

/// The linked library's version string (e.g. `5.4.9 2023-03-23`), as
/// `hs_version` reports it.
pub fn library_version() -> String {
    // SAFETY: hs_version returns a pointer to a static NUL-terminated string.
    unsafe { CStr::from_ptr(hs::hs_version()) }
        .to_string_lossy()
        .into_owned()
}

/// Checks, once per process, that the linked library finds literals it must
/// find: a known-answer test of a few caseless literals over a short text,
/// in block and stream mode. Some library builds miss such matches (Debian
/// 12's Vectorscan 5.4.9 does on AVX-512 CPUs); an engine built on one would
/// silently miss secrets, so building one fails with this message instead.
pub fn self_test() -> Result<(), String> {
    static RESULT: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    RESULT.get_or_init(run_self_test).clone()
}

fn run_self_test() -> Result<(), String> {
    let patterns: Vec<VsPattern> = ["tok_", "begin-blob", "end-blob"]
        .iter()
        .enumerate()
        .map(|(id, literal)| VsPattern {
            expression: escape_literal(literal.as_bytes()),
            flags: PatternFlags {
                caseless: true,
                ..Default::default()
            },
            id: id as u32,
        })
        .collect();
    // The first text is one on which Vectorscan 5.4.9 (Debian 12, AVX-512)
    // reports nothing.
    let filler = "filler ".repeat(40);
    let cases = [
        (format!("{filler} tok_abcdef012345"), vec![(0, 285)]),
        (
            format!("{filler} TOK_abcdef012345 end-blob"),
            vec![(0, 285), (2, 306)],
        ),
    ];
    let failed = |e: &dyn std::fmt::Debug| format!("Vectorscan self-test failed: {e:?}");
    let mut scratch = VsScratch::empty();
    let block = Database::compile_block(&patterns).map_err(|e| failed(&e))?;
    let stream_db = Database::compile_stream(&patterns).map_err(|e| failed(&e))?;
    scratch.grow_for(&block).map_err(|e| failed(&e))?;
    scratch.grow_for(&stream_db).map_err(|e| failed(&e))?;
    let mut stream = scratch.open_stream(&stream_db).map_err(|e| failed(&e))?;
    for (text, expected) in &cases {
        let broken = |mode: &str, hits: &[(u32, u64)]| {
            format!(
                "the linked Vectorscan library ({}) fails a known-answer test in {mode} mode \
                 (expected matches {expected:?}, got {hits:?}), so it would miss secrets. \
                 Link a correct build: `apt-get install libhyperscan-dev` (x86-64), a \
                 Vectorscan release newer than 5.4.9, or `--features vendored`",
                library_version().trim()
            )
        };
        let mut hits = Vec::new();
        scratch
            .scan_block(&block, text.as_bytes(), |id, end| {
                hits.push((id, end));
                true
            })
            .map_err(|e| failed(&e))?;
        if hits != *expected {
            return Err(broken("block", &hits));
        }
        hits.clear();
        for piece in text.as_bytes().chunks(100) {
            scratch
                .scan_stream(&mut stream, piece, |id, end| {
                    hits.push((id, end));
                    true
                })
                .map_err(|e| failed(&e))?;
        }
        scratch
            .reset_stream(&mut stream, |id, end| {
                hits.push((id, end));
                true
            })
            .map_err(|e| failed(&e))?;
        if hits != *expected {
            return Err(broken("stream", &hits));
        }
    }
    Ok(())
}

/// Per-pattern compile flags, a subset of Vectorscan's `HS_FLAG_*`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PatternFlags {
    pub caseless: bool,
    pub dotall: bool,
    pub singlematch: bool,
    pub prefilter: bool,
    pub utf8: bool,
}

impl PatternFlags {
    fn bits(self) -> c_uint {
        let mut b = 0;
        if self.caseless {
            b |= hs::HS_FLAG_CASELESS;
        }
        if self.dotall {
            b |= hs::HS_FLAG_DOTALL;
        }
        if self.singlematch {
            b |= hs::HS_FLAG_SINGLEMATCH;
        }
        if self.prefilter {
            b |= hs::HS_FLAG_PREFILTER;
        }
        if self.utf8 {
            b |= hs::HS_FLAG_UTF8;
        }
        b
    }
}

/// One expression to compile, with the id reported on match.
#[derive(Clone, Debug)]
pub struct VsPattern {
    pub expression: String,
    pub flags: PatternFlags,
    pub id: u32,
}

/// Escapes `bytes` so Vectorscan matches them literally.
pub fn escape_literal(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// A compile failure: the message from Vectorscan and the index of the
/// offending pattern in the input slice, when Vectorscan names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
    pub pattern_index: Option<usize>,
}

/// A compiled Vectorscan database.
pub struct Database {
    ptr: *mut hs::hs_database_t,
}

// SAFETY: a compiled hs_database_t is immutable; Vectorscan documents that a
// database may be used concurrently from many threads, each with its own
// scratch space.
unsafe impl Send for Database {}
// SAFETY: see above; no method mutates the database through `&self`.
unsafe impl Sync for Database {}

impl Drop for Database {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from a successful hs_compile_multi and is freed once.
        unsafe {
            hs::hs_free_database(self.ptr);
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Database")
    }
}

impl Database {
    /// Compiles `patterns` into one block-mode database. An empty list is
    /// rejected by Vectorscan, so it is reported as an error here.
    pub fn compile_block(patterns: &[VsPattern]) -> Result<Database, CompileError> {
        Database::compile(patterns, hs::HS_MODE_BLOCK)
    }

    /// Compiles `patterns` into one stream-mode database, for data that
    /// arrives in pieces (see [`VsScratch::open_stream`]).
    pub fn compile_stream(patterns: &[VsPattern]) -> Result<Database, CompileError> {
        Database::compile(patterns, hs::HS_MODE_STREAM)
    }

    /// The database as bytes that [`Database::deserialize`] turns back into
    /// an equal database with the same library on the same platform.
    pub fn serialize(&self) -> Result<Vec<u8>, ScanError> {
        let mut bytes: *mut c_char = ptr::null_mut();
        let mut len: usize = 0;
        // SAFETY: `self.ptr` is a valid database; `bytes` and `len` are valid
        // out-pointers.
        let rc = unsafe { hs::hs_serialize_database(self.ptr, &mut bytes, &mut len) };
        if rc != hs::HS_SUCCESS || bytes.is_null() {
            return Err(ScanError(rc));
        }
        // SAFETY: on success `bytes` points to `len` initialised bytes that
        // this function owns; they are copied and then freed exactly once
        // with the allocator that made them.
        unsafe {
            let copy = std::slice::from_raw_parts(bytes.cast::<u8>(), len).to_vec();
            hs::free(bytes.cast());
            Ok(copy)
        }
    }

    /// Rebuilds a database from [`Database::serialize`] output. The library
    /// checks the bytes (version, platform, length, checksum) and rejects
    /// anything else with an error; it never trusts them blindly.
    pub fn deserialize(bytes: &[u8]) -> Result<Database, ScanError> {
        let mut db: *mut hs::hs_database_t = ptr::null_mut();
        // SAFETY: `bytes` is a valid slice for the duration of the call
        // (the library copies what it keeps); `db` is a valid out-pointer.
        let rc =
            unsafe { hs::hs_deserialize_database(bytes.as_ptr().cast(), bytes.len(), &mut db) };
        if rc == hs::HS_SUCCESS && !db.is_null() {
            Ok(Database { ptr: db })
        } else {
            Err(ScanError(rc))
        }
    }

    fn compile(patterns: &[VsPattern], mode: c_uint) -> Result<Database, CompileError> {
        if patterns.is_empty() {
            return Err(CompileError {
                message: "no patterns to compile".into(),
                pattern_index: None,
            });
        }
        let mut exprs = Vec::with_capacity(patterns.len());
        for (i, p) in patterns.iter().enumerate() {
            let c = CString::new(p.expression.as_bytes()).map_err(|_| CompileError {
                message: "expression contains a NUL byte".into(),
                pattern_index: Some(i),
            })?;
            exprs.push(c);
        }
        let expr_ptrs: Vec<*const c_char> = exprs.iter().map(|c| c.as_ptr()).collect();
        let flags: Vec<c_uint> = patterns.iter().map(|p| p.flags.bits()).collect();
        let ids: Vec<c_uint> = patterns.iter().map(|p| p.id as c_uint).collect();
        let mut db: *mut hs::hs_database_t = ptr::null_mut();
        let mut err: *mut hs::hs_compile_error_t = ptr::null_mut();
        // SAFETY: the three arrays have `patterns.len()` elements and outlive the
        // call; each expression is a valid NUL-terminated C string; `db` and `err`
        // are valid out-pointers.
        let rc = unsafe {
            hs::hs_compile_multi(
                expr_ptrs.as_ptr(),
                flags.as_ptr(),
                ids.as_ptr(),
                patterns.len() as c_uint,
                mode,
                ptr::null(),
                &mut db,
                &mut err,
            )
        };
        if rc == hs::HS_SUCCESS && !db.is_null() {
            return Ok(Database { ptr: db });
        }
        Err(take_compile_error(err))
    }
}

/// Converts (and frees) a Vectorscan compile error.
fn take_compile_error(err: *mut hs::hs_compile_error_t) -> CompileError {
    if err.is_null() {
        return CompileError {
            message: "Vectorscan compilation failed without details".into(),
            pattern_index: None,
        };
    }
    // SAFETY: `err` is a non-null compile error returned by Vectorscan; its
    // message is a NUL-terminated string owned by the error, read before freeing.
    unsafe {
        let message = if (*err).message.is_null() {
            "unknown error".to_string()
        } else {
            CStr::from_ptr((*err).message)
                .to_string_lossy()
                .into_owned()
        };
        let idx = (*err).expression;
        hs::hs_free_compile_error(err);
        CompileError {
            message,
            pattern_index: usize::try_from(idx).ok(),
        }
    }
}

/// Per-thread Vectorscan scratch space, grown to serve several databases.
pub struct VsScratch {
    ptr: *mut hs::hs_scratch_t,
}

// SAFETY: scratch space is plain memory owned by this value; it may move
// between threads as long as only one thread uses it at a time (`&mut self`).
unsafe impl Send for VsScratch {}

impl Drop for VsScratch {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: `ptr` came from hs_alloc_scratch and is freed once.
            unsafe {
                hs::hs_free_scratch(self.ptr);
            }
        }
    }
}

impl std::fmt::Debug for VsScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VsScratch")
    }
}

/// A scan-time failure reported by Vectorscan (not a terminated scan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanError(pub i32);

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vectorscan scan error code {}", self.0)
    }
}

impl VsScratch {
    /// Scratch space with nothing allocated yet.
    pub fn empty() -> VsScratch {
        VsScratch {
            ptr: ptr::null_mut(),
        }
    }

    /// Makes this scratch usable with `db` (allocating or growing it).
    pub fn grow_for(&mut self, db: &Database) -> Result<(), ScanError> {
        // SAFETY: `db.ptr` is a valid database; `self.ptr` is null or a scratch
        // previously allocated by Vectorscan, which hs_alloc_scratch may realloc.
        let rc = unsafe { hs::hs_alloc_scratch(db.ptr, &mut self.ptr) };
        if rc == hs::HS_SUCCESS {
            Ok(())
        } else {
            Err(ScanError(rc))
        }
    }

    /// Scans `data` with a block-mode database, calling `on_match(id, end)`
    /// for every match; the callback returns `false` to stop the scan.
    /// `data` longer than `u32::MAX` bytes must be split by the caller.
    pub fn scan_block<F>(
        &mut self,
        db: &Database,
        data: &[u8],
        on_match: F,
    ) -> Result<(), ScanError>
    where
        F: FnMut(u32, u64) -> bool,
    {
        debug_assert!(data.len() <= u32::MAX as usize);
        let scratch = self.ptr;
        with_handler(on_match, |handler, ctx| {
            // SAFETY: db and scratch are valid and the scratch was grown for db
            // (callers call grow_for first); `data` is valid for `data.len()`
            // bytes; `handler` and `ctx` match and outlive the call.
            unsafe {
                hs::hs_scan(
                    db.ptr,
                    data.as_ptr() as *const c_char,
                    data.len() as c_uint,
                    0,
                    scratch,
                    handler,
                    ctx,
                )
            }
        })
    }

    /// Opens a stream on a stream-mode database.
    pub fn open_stream(&mut self, db: &Database) -> Result<VsStream, ScanError> {
        let mut s: *mut hs::hs_stream_t = ptr::null_mut();
        // SAFETY: `db` is a valid stream-mode database; `s` is a valid out-pointer.
        let rc = unsafe { hs::hs_open_stream(db.ptr, 0, &mut s) };
        if rc == hs::HS_SUCCESS && !s.is_null() {
            Ok(VsStream { ptr: s })
        } else {
            Err(ScanError(rc))
        }
    }

    /// Writes `data` to `stream`, calling `on_match(id, end)` with ends counted
    /// from the start of the stream; the callback returns `false` to stop.
    pub fn scan_stream<F>(
        &mut self,
        stream: &mut VsStream,
        data: &[u8],
        on_match: F,
    ) -> Result<(), ScanError>
    where
        F: FnMut(u32, u64) -> bool,
    {
        debug_assert!(data.len() <= u32::MAX as usize);
        let scratch = self.ptr;
        with_handler(on_match, |handler, ctx| {
            // SAFETY: the stream is open on a database this scratch was grown
            // for; `data`, `handler` and `ctx` are valid for the call.
            unsafe {
                hs::hs_scan_stream(
                    stream.ptr,
                    data.as_ptr() as *const c_char,
                    data.len() as c_uint,
                    0,
                    scratch,
                    handler,
                    ctx,
                )
            }
        })
    }

    /// Ends the stream's data (reporting end-of-data matches to `on_match`)
    /// and resets it to offset 0 for reuse, without reallocating.
    pub fn reset_stream<F>(&mut self, stream: &mut VsStream, on_match: F) -> Result<(), ScanError>
    where
        F: FnMut(u32, u64) -> bool,
    {
        let scratch = self.ptr;
        with_handler(on_match, |handler, ctx| {
            // SAFETY: the stream is open; scratch, handler and ctx are valid
            // for the call.
            unsafe { hs::hs_reset_stream(stream.ptr, 0, scratch, handler, ctx) }
        })
    }
}

/// An open Vectorscan stream; reusable after [`VsScratch::reset_stream`],
/// closed (without reporting) on drop.
pub struct VsStream {
    ptr: *mut hs::hs_stream_t,
}

// SAFETY: stream state is plain memory owned by this value, used by one
// thread at a time through `&mut`.
unsafe impl Send for VsStream {}

impl Drop for VsStream {
    fn drop(&mut self) {
        // SAFETY: `ptr` is an open stream; with a null scratch Vectorscan closes
        // it without raising end-of-data matches, as documented.
        unsafe {
            hs::hs_close_stream(self.ptr, ptr::null_mut(), None, ptr::null_mut());
        }
    }
}

impl std::fmt::Debug for VsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VsStream")
    }
}

struct CallbackCtx<F> {
    on_match: F,
    panicked: bool,
}

unsafe extern "C" fn trampoline<F>(
    id: c_uint,
    _from: c_ulonglong,
    to: c_ulonglong,
    _flags: c_uint,
    ctx: *mut c_void,
) -> c_int
where
    F: FnMut(u32, u64) -> bool,
{
    // SAFETY: `ctx` is the `CallbackCtx<F>` passed by the scan function above,
    // alive and exclusively borrowed for the duration of the scan.
    let ctx = unsafe { &mut *(ctx as *mut CallbackCtx<F>) };
    match catch_unwind(AssertUnwindSafe(|| (ctx.on_match)(id, to))) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(_) => {
            ctx.panicked = true;
            1
        }
    }
}

/// Runs one Vectorscan call that reports matches: `call` gets the C match
/// handler and its context, which wrap `on_match`.
fn with_handler<F>(
    on_match: F,
    call: impl FnOnce(hs::match_event_handler, *mut c_void) -> hs::hs_error_t,
) -> Result<(), ScanError>
where
    F: FnMut(u32, u64) -> bool,
{
    let mut ctx = CallbackCtx {
        on_match,
        panicked: false,
    };
    let rc = call(
        Some(trampoline::<F>),
        &mut ctx as *mut CallbackCtx<F> as *mut c_void,
    );
    finish_scan(rc, ctx.panicked)
}

fn finish_scan(rc: hs::hs_error_t, panicked: bool) -> Result<(), ScanError> {
    if panicked {
        return Err(ScanError(i32::MIN));
    }
    if rc == hs::HS_SUCCESS || rc == hs::HS_SCAN_TERMINATED {
        Ok(())
    } else {
        Err(ScanError(rc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str, id: u32) -> VsPattern {
        VsPattern {
            expression: escape_literal(s.as_bytes()),
            flags: PatternFlags {
                caseless: true,
                ..Default::default()
            },
            id,
        }
    }

    #[test]
    fn linked_library_passes_the_known_answer_test() {
        assert_eq!(self_test(), Ok(()));
    }

    #[test]
    fn library_version_is_at_least_5_4() {
        let version = library_version();
        let mut parts = version.split(|c: char| !c.is_ascii_digit());
        let major: u32 = parts.next().unwrap().parse().unwrap();
        let minor: u32 = parts.next().unwrap().parse().unwrap();
        assert!((major, minor) >= (5, 4), "linked libhs is {version}");
    }

    /// The (id, end) hits of a block scan of `text` with `db`.
    fn block_hits(db: &Database, text: &[u8]) -> Vec<(u32, u64)> {
        let mut s = VsScratch::empty();
        s.grow_for(db).unwrap();
        let mut hits = Vec::new();
        s.scan_block(db, text, |id, end| {
            hits.push((id, end));
            true
        })
        .unwrap();
        hits
    }

    #[test]
    fn block_scan_reports_ids_and_ends() {
        let db = Database::compile_block(&[lit("ghp_", 7), lit("a.b", 9)]).unwrap();
        assert_eq!(block_hits(&db, b"xx GHP_ a.b axb"), vec![(7, 7), (9, 11)]);
    }

    #[test]
    fn stream_scan_spans_writes_and_resets() {
        let db = Database::compile_stream(&[lit("secret", 1)]).unwrap();
        let mut s = VsScratch::empty();
        s.grow_for(&db).unwrap();
        let mut st = s.open_stream(&db).unwrap();
        let mut hits = Vec::new();
        for piece in [&b"xxsec"[..], b"ret"] {
            s.scan_stream(&mut st, piece, |id, end| {
                hits.push((id, end));
                true
            })
            .unwrap();
        }
        s.reset_stream(&mut st, |_, _| true).unwrap();
        s.scan_stream(&mut st, b"SECRET", |id, end| {
            hits.push((id, end));
            true
        })
        .unwrap();
        assert_eq!(hits, vec![(1, 8), (1, 6)]);
    }

    #[test]
    fn serialized_database_scans_the_same_and_corruption_is_rejected() {
        let db = Database::compile_block(&[lit("ghp_", 7), lit("a.b", 9)]).unwrap();
        let bytes = db.serialize().unwrap();
        let copy = Database::deserialize(&bytes).unwrap();
        assert_eq!(block_hits(&copy, b"xx GHP_ a.b axb"), vec![(7, 7), (9, 11)]);
        assert!(Database::deserialize(&[]).is_err());
        assert!(Database::deserialize(&bytes[..bytes.len() / 2]).is_err());
        assert!(Database::deserialize(b"not a database at all, just some text").is_err());
    }

    #[test]
    fn compile_error_names_pattern() {
        let bad = VsPattern {
            expression: "(".into(),
            flags: PatternFlags::default(),
            id: 0,
        };
        let err = Database::compile_block(&[lit("ok", 0), bad]).unwrap_err();
        assert_eq!(err.pattern_index, Some(1));
        assert!(!err.message.is_empty());
    }

    #[test]
    fn callback_can_stop_scan() {
        let db = Database::compile_block(&[lit("a", 0)]).unwrap();
        let mut s = VsScratch::empty();
        s.grow_for(&db).unwrap();
        let mut n = 0;
        s.scan_block(&db, b"aaaaa", |_, _| {
            n += 1;
            n < 2
        })
        .unwrap();
        assert_eq!(n, 2);
    }
}
