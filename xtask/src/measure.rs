//! Running a child process and measuring it, for `bench` and `compare`:
//! wall time, user and system CPU time and peak resident set size, taken
//! from `wait4(2)` on the child (so a wrapper that waits for its own
//! children is charged for them too), plus medians over repeated runs and
//! the Markdown table both commands print.

// `fork`, `wait4` and `posix_fadvise` are libc calls: unsafe by their API.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// What one run of a child cost.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    /// Wall-clock seconds from spawn to exit.
    pub wall: f64,
    /// User CPU seconds.
    pub user: f64,
    /// System CPU seconds.
    pub sys: f64,
    /// Peak resident set size in KiB (`ru_maxrss`).
    pub peak_rss_kib: u64,
    /// Exit code; `None` when killed by a signal.
    pub code: Option<i32>,
}

impl Usage {
    /// User plus system CPU seconds.
    pub fn cpu(&self) -> f64 {
        self.user + self.sys
    }
}

/// Runs `command` with stdin from /dev/null and stdout and stderr written to
/// the given files (truncated), and measures it. Fails only if the command
/// cannot be started or waited for; the exit code is in the result.
pub fn run(command: &mut Command, stdout: &Path, stderr: &Path) -> Result<Usage, String> {
    let open =
        |p: &Path| File::create(p).map_err(|e| format!("cannot create {}: {e}", p.display()));
    command
        .stdin(Stdio::null())
        .stdout(open(stdout)?)
        .stderr(open(stderr)?);
    // A hook before exec makes std fork instead of posix_spawn (a vfork):
    // a vforked child shares xtask's memory, and exec would carry xtask's
    // own peak RSS into the child's `ru_maxrss`. A forked child starts from
    // xtask's current RSS (a few MiB), which is the floor of the figure.
    // SAFETY: the hook does nothing, so it is async-signal-safe.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| Ok(()));
    }
    let shown = crate::display_command(command);
    let start = Instant::now();
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value (plain integers).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = loop {
        // SAFETY: `pid` is our own unreaped child; `status` and `usage` are
        // valid for writes. `child` is not waited for afterwards.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == -1 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    let wall = start.elapsed().as_secs_f64();
    if reaped != pid {
        return Err(format!(
            "waiting for `{shown}`: {}",
            io::Error::last_os_error()
        ));
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Usage {
        wall,
        user: secs(usage.ru_utime),
        sys: secs(usage.ru_stime),
        peak_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
    })
}

/// The median of `values` (the mean of the middle two for an even count);
/// 0 for none.
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Field-wise medians of several runs (wall, CPU, peak RSS each on its
/// own); the exit code of the first run.
pub fn median_usage(runs: &[Usage]) -> Usage {
    let of = |f: &dyn Fn(&Usage) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    Usage {
        wall: of(&|u| u.wall),
        user: of(&|u| u.user),
        sys: of(&|u| u.sys),
        peak_rss_kib: of(&|u| u.peak_rss_kib as f64).round() as u64,
        code: runs.first().and_then(|u| u.code),
    }
}

/// Drops the cached pages of `path` from the page cache
/// (`posix_fadvise(POSIX_FADV_DONTNEED)` after `fdatasync`), so that the
/// next read comes from disk: a cold start for that file only, without
/// dropping the whole machine's cache. Pages mapped by a running process
/// stay.
pub fn evict_from_page_cache(path: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let file = File::open(path)?;
    // A freshly linked binary may still be dirty; dirty pages are not dropped.
    let _ = file.sync_data();
    // SAFETY: the descriptor is open for the duration of the call.
    let r = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(r))
    }
}

/// The shared libraries `binary` loads, as `ldd` names them (empty if `ldd`
/// is missing).
pub fn shared_libraries(binary: &Path) -> Vec<std::path::PathBuf> {
    let Ok(out) = Command::new("ldd").arg(binary).output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split("=>").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|p| p.starts_with('/'))
        .map(Into::into)
        .collect()
}

/// A Markdown table: a header row and rows of cells, columns padded.
pub fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count().max(3)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::from("|");
        for (cell, w) in cells.zip(&widths) {
            s.push_str(&format!(" {cell:<w$} |"));
        }
        s.push('\n');
        s
    };
    let mut out = line(&mut header.iter().copied());
    out.push_str(&line(
        &mut widths
            .iter()
            .map(|&w| "-".repeat(w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    ));
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// `KiB` as MiB with one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`
/// in `doc` with `body`, or appends a section with the markers when they
/// are missing. Returns the new text.
pub fn replace_between_markers(doc: &str, name: &str, body: &str) -> String {
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let block = format!("{begin}\n{}\n{end}", body.trim_end());
    match (doc.find(&begin), doc.find(&end)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{block}{}", &doc[..b], &doc[e + end.len()..])
        }
        _ => format!("{}\n\n{block}\n", doc.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let u = |wall, rss| Usage {
            wall,
            user: wall,
            sys: 0.0,
            peak_rss_kib: rss,
            code: Some(1),
        };
        let m = median_usage(&[u(1.0, 10), u(3.0, 30), u(2.0, 20)]);
        assert_eq!(
            (m.wall, m.cpu(), m.peak_rss_kib, m.code),
            (2.0, 2.0, 20, Some(1))
        );
    }

    #[test]
    fn markers_are_replaced_or_appended() {
        let doc = "a\n<!-- t:begin -->\nold\n<!-- t:end -->\nb\n";
        assert_eq!(
            replace_between_markers(doc, "t", "new\n"),
            "a\n<!-- t:begin -->\nnew\n<!-- t:end -->\nb\n"
        );
        assert_eq!(
            replace_between_markers("a\n", "t", "x"),
            "a\n\n<!-- t:begin -->\nx\n<!-- t:end -->\n"
        );
    }

    #[test]
    fn child_is_measured() {
        let dir = std::env::temp_dir();
        let out = dir.join(format!("xtask-measure-{}.out", std::process::id()));
        let err = out.with_extension("err");
        let usage = run(Command::new("sh").args(["-c", "exit 3"]), &out, &err).unwrap();
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_file(&err);
        assert_eq!(usage.code, Some(3));
        assert!(usage.peak_rss_kib > 0 && usage.wall > 0.0);
    }

    #[test]
    fn table_is_aligned() {
        let t = markdown_table(&["a", "bb"], &[vec!["long".into(), "1".into()]]);
        assert_eq!(t, "| a    | bb  |\n| ---- | --- |\n| long | 1   |\n");
    }
}
