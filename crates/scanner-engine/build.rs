//! Links the Vectorscan library, rebuilds the crate when a built-in rule
//! file changes, and sets `SCANNER_ENGINE_SOURCE_DIGEST` (a digest of the
//! engine's source files) for the database cache's key, so a cache written
//! by another build of the engine is never taken for this one's.
//!
//! Default: the system's `libhs` (Vectorscan, or Hyperscan 5.4+, which has
//! the same API), found with pkg-config and checked against the minimum
//! version below. With the `vendored` feature nothing is done here:
//! `vectorscan-rs-sys` builds Vectorscan from source and links it statically.

/// The oldest library release whose API and behaviour the engine was
/// tested against (Hyperscan 5.4.0 / Vectorscan 5.4.x).
const MIN_LIBHS_VERSION: &str = "5.4.0";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // The built-in rule files are embedded with include_dir!, which cargo
    // does not track: a changed or added file must rebuild the crate.
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-changed=src");
    println!(
        "cargo:rustc-env=SCANNER_ENGINE_SOURCE_DIGEST={:016x}",
        source_digest(std::path::Path::new("src"))
    );
    if std::env::var_os("CARGO_FEATURE_VENDORED").is_some() {
        return;
    }
    if let Err(error) = pkg_config::Config::new()
        .atleast_version(MIN_LIBHS_VERSION)
        .probe("libhs")
    {
        panic!(
            "\n\nscanner-engine needs the Vectorscan library (pkg-config module `libhs`, \
             version {MIN_LIBHS_VERSION} or later), and pkg-config did not find it:\n  {error}\n\n\
             Install it with one of:\n  \
             cargo xtask setup                                  (installs it with apt-get as root, or prints the command)\n  \
             sudo apt-get install -y libvectorscan-dev pkg-config   (Debian 12+, Ubuntu 22.04+)\n  \
             sudo apt-get install -y libhyperscan-dev pkg-config    (older releases: Hyperscan 5.4+)\n\
             or build Vectorscan from source instead with `--features vendored` \
             (needs cmake, ragel, the Boost headers and g++; about 9 minutes per cargo profile).\n\
             If libhs is installed in a non-standard place, set PKG_CONFIG_PATH to the folder of libhs.pc.\n"
        );
    }
}

/// FNV-1a over the relative paths and contents of the files under `dir`,
/// in sorted order (stable across machines and runs).
fn source_digest(dir: &std::path::Path) -> u64 {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for f in files {
        feed(f.to_string_lossy().as_bytes());
        feed(&std::fs::read(&f).unwrap_or_default());
    }
    hash
}
