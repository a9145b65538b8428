//! Content sniffing: is a file binary, or text (including UTF-16 text)?
//!
//! Invariant: only the first [`SNIFF_LEN`] bytes are looked at, so the
//! decision costs the same for any file size.

/// Bytes inspected to decide whether a file is binary.
pub const SNIFF_LEN: usize = 8192;

/// A NUL byte near the start marks a binary file, unless the file is UTF-16
/// text: a byte-order mark, or NULs on one byte parity only (ASCII-range
/// characters in UTF-16LE or BE) making up at least a third of the bytes.
pub fn looks_binary(data: &[u8]) -> bool {
    if data.starts_with(&[0xff, 0xfe]) || data.starts_with(&[0xfe, 0xff]) {
        return false;
    }
    let head = &data[..data.len().min(SNIFF_LEN)];
    if memchr::memchr(0, head).is_none() {
        return false;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for (i, &b) in head.iter().enumerate() {
        if b == 0 {
            if i % 2 == 0 {
                even += 1;
            } else {
                odd += 1;
            }
        }
    }
    let one_parity = even == 0 || odd == 0;
    !(one_parity && (even + odd) * 3 >= head.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_sniffing() {
        assert!(looks_binary(b"abc\0def"));
        assert!(!looks_binary(b"plain text"));
        assert!(!looks_binary(b"\xff\xfea\0b\0"));
        assert!(!looks_binary(b"k\0e\0y\0=\0v\0"), "UTF-16LE without BOM");
        assert!(!looks_binary(b"\0k\0e\0y\0=\0v"), "UTF-16BE without BOM");
        assert!(looks_binary(b"\0\0\x01\x02abc\0"));
        let mut late_nul = vec![b'a'; SNIFF_LEN];
        late_nul.push(0);
        assert!(!looks_binary(&late_nul));
    }
}
