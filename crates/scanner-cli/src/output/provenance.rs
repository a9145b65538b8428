//! Where a finding sits in git history, as every format shows it: the
//! commit that introduced the blob (id, author, time, first line of the
//! message), the blob id, and further commits/paths holding the same blob.
//!
//! Invariant: the same fields under the same names in every format; the
//! list of further locations is bounded and the rest counted.

use serde::Serialize;

/// Git provenance of one finding.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Provenance {
    /// Introducing commit (full hex id); empty for a staged blob.
    pub commit: String,
    pub author_name: String,
    pub author_email: String,
    /// Author time, seconds since the Unix epoch.
    pub time: i64,
    /// The same time as `YYYY-MM-DDTHH:MM:SSZ`.
    pub date: String,
    /// First line of the commit message.
    pub summary: String,
    /// The blob's object id.
    pub blob: String,
    /// Further `(commit, path)` locations of the same blob (bounded).
    pub also: Vec<AlsoIn>,
    /// Locations beyond `also`, counted only.
    pub more: u64,
}

/// One more place a blob appears.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct AlsoIn {
    pub commit: String,
    pub path: String,
}

/// `seconds` since the epoch as an RFC 3339 UTC timestamp.
pub fn utc_date(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(utc_date(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_date(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_date(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(utc_date(-1), "1969-12-31T23:59:59Z");
    }
}
