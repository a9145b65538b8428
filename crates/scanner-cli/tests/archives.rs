//! Archives through the binary: a secret in a member of every supported
//! format is reported under `archive!member`, nesting works to the depth
//! limit, and a decompression bomb hits its budget with a warning that
//! names the archive. Archives are built here, never checked in: zips with
//! the zip crate, the others with the system's `tar` and `gzip`, and
//! `bzip2`, `xz` and `zstd` when installed (else the test says which one
//! is missing; scanner-fs's own tests cover every format in memory).

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{secretscan, stderr, stdout, TOKEN};

fn jsonl_paths(o: &std::process::Output) -> Vec<String> {
    let mut v: Vec<String> = stdout(o)
        .lines()
        .map(|l| {
            let f: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(f["secret"], TOKEN, "{l}");
            f["path"].as_str().unwrap().to_string()
        })
        .collect();
    v.sort();
    v
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty())
}

fn run(dir: &Path, cmd: &str) {
    let st = Command::new("sh")
        .args(["-c", cmd])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(st.success(), "{cmd}");
}

fn zip_bytes(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn write_zip(path: &Path, members: &[(&str, Vec<u8>)]) {
    fs::write(path, zip_bytes(members)).unwrap();
}

#[test]
fn every_format_and_nesting() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::create_dir(p.join("src")).unwrap();
    fs::write(p.join("src/config.env"), format!("TOKEN={TOKEN}\n")).unwrap();
    fs::create_dir(p.join("out")).unwrap();
    let mut expected = Vec::new();
    // tar is always there (coreutils-level tool on Debian); gzip too.
    run(p, "tar -cf out/a.tar src");
    expected.push("out/a.tar!src/config.env".to_string());
    run(p, "tar -czf out/a.tgz src");
    expected.push("out/a.tgz!src/config.env".to_string());
    run(p, "gzip -c src/config.env > out/config.env.gz");
    expected.push("out/config.env.gz!config.env".to_string());
    for (tool, cmd, path) in [
        (
            "bzip2",
            "tar -cjf out/a.tar.bz2 src",
            "out/a.tar.bz2!src/config.env",
        ),
        (
            "xz",
            "tar -cJf out/a.tar.xz src",
            "out/a.tar.xz!src/config.env",
        ),
        (
            "zstd",
            "zstd -q src/config.env -o out/config.env.zst",
            "out/config.env.zst!config.env",
        ),
    ] {
        if have(tool) {
            run(p, cmd);
            expected.push(path.to_string());
        } else {
            eprintln!(
                "note: {tool} not installed; its format is covered by scanner-fs's own tests"
            );
        }
    }
    // zip, and a jar inside a war (zip inside zip), written with the zip crate.
    write_zip(
        &p.join("out/a.zip"),
        &[("src/config.env", format!("TOKEN={TOKEN}\n").into_bytes())],
    );
    expected.push("out/a.zip!src/config.env".to_string());
    let jar = zip_bytes(&[(
        "META-INF/app.properties",
        format!("token={TOKEN}\n").into_bytes(),
    )]);
    write_zip(&p.join("out/app.war"), &[("WEB-INF/lib/app.jar", jar)]);
    expected.push("out/app.war!WEB-INF/lib/app.jar!META-INF/app.properties".to_string());
    // Nesting: the tar.gz inside a tar inside a tar.
    run(p, "mkdir n && cp out/a.tgz n/ && tar -cf n/mid.tar -C n a.tgz && tar -cf out/outer.tar -C n mid.tar");
    expected.push("out/outer.tar!mid.tar!a.tgz!src/config.env".to_string());
    expected.sort();

    let o = secretscan(&["dir", "out", "--format", "jsonl"], p);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(jsonl_paths(&o), expected, "{}", stderr(&o));
    assert!(stderr(&o).contains("archives:"), "{}", stderr(&o));

    // Depth 2: outer.tar!mid.tar is opened, a.tgz inside it is scanned as
    // plain (binary) bytes, and the depth hit is warned about.
    let o = secretscan(
        &[
            "dir",
            "out/outer.tar",
            "--format",
            "jsonl",
            "--max-archive-depth",
            "2",
        ],
        p,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stderr(&o).contains("max_depth"), "{}", stderr(&o));
    // Depth 0: archives are plain files (binary, skipped).
    let o = secretscan(
        &[
            "dir",
            "out",
            "--format",
            "jsonl",
            "--max-archive-depth",
            "0",
        ],
        p,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn a_decompression_bomb_hits_its_budget_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    // 64 MiB of zeros, then the secret: gzip shrinks it to ~64 KiB.
    run(
        p,
        &format!("(head -c 67108864 /dev/zero; echo 'k={TOKEN}') | gzip -c > bomb.gz"),
    );
    let o = secretscan(
        &[
            "dir",
            "bomb.gz",
            "--format",
            "jsonl",
            "--max-archive-bytes",
            "1048576",
        ],
        p,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("bomb.gz") && err.contains("archive budget hit"),
        "{err}"
    );
    // With room enough, the secret after the zeros is found (scanned as
    // binary-looking? no: zeros are NULs, so --scan-binary is needed).
    let o = secretscan(&["dir", "bomb.gz", "--format", "jsonl", "--scan-binary"], p);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(jsonl_paths(&o), ["bomb.gz!bomb"]);
}
