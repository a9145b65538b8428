//! Links the Vectorscan library, and rebuilds the crate when a built-in
//! rule file changes.
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
