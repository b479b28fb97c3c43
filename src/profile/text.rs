//! Reading the text files a user hands tlsim (scenarios, profiles, cipher orders, `.reg`
//! exports): UTF-8 with or without a byte-order mark, or UTF-16 (little- or big-endian) with
//! its BOM, which is what Windows PowerShell 5.1's `>` writes (`FF FE`). CRLF line ends
//! become LF. Anything else is one error naming the file, line and column where decoding
//! failed, never a silent replacement character.

use std::fmt;
use std::path::Path;

/// A text file that could not be read or decoded. `line` is 0 when the file could not be
/// read at all (no position applies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for TextError {}

impl From<TextError> for String {
    fn from(e: TextError) -> String {
        e.to_string()
    }
}

/// The largest input file tlsim reads (scenario, profile, cipher order, `.reg`): 64 MiB.
/// The largest real ones are a few kilobytes; the bound keeps a wrong path (a disk image, a
/// log) from being read into memory whole.
pub(crate) const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Reads an input file's bytes, refusing one larger than [`MAX_INPUT_BYTES`] before
/// reading it.
pub fn read_input_bytes(path: impl AsRef<Path>) -> Result<Vec<u8>, TextError> {
    use std::io::Read;
    let path = path.as_ref();
    let fail = |message: String| TextError {
        file: path.display().to_string(),
        line: 0,
        column: 0,
        message,
    };
    let f = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut bytes = Vec::new();
    // Read at most one byte more than the bound: a file that grows while read is caught too.
    f.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_INPUT_BYTES {
        return Err(fail(format!(
            "larger than {MAX_INPUT_BYTES} bytes (64 MiB), the largest input file tlsim reads"
        )));
    }
    Ok(bytes)
}

/// Reads a text file: see the module documentation for the encodings accepted.
pub fn read_text(path: impl AsRef<Path>) -> Result<String, String> {
    read_text_at(path).map_err(String::from)
}

/// [`read_text`] with the position of a decoding error kept apart from the message.
pub fn read_text_at(path: impl AsRef<Path>) -> Result<String, TextError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let bytes = read_input_bytes(path)?;
    decode_at(&bytes).map_err(|(line, column, message)| TextError {
        file,
        line,
        column,
        message,
    })
}

/// Decodes file bytes; `file` names it in the error (`file:line:column: message`).
pub fn decode_text(bytes: &[u8], file: &str) -> Result<String, String> {
    decode_at(bytes).map_err(|(line, column, message)| {
        TextError {
            file: file.to_string(),
            line,
            column,
            message,
        }
        .to_string()
    })
}

/// 1-based line and column (in characters) of the end of `text`.
fn position_after(text: &str) -> (usize, usize) {
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Decodes bytes to text with LF line ends; an error is (line, column, message).
pub(crate) fn decode_at(bytes: &[u8]) -> Result<String, (usize, usize, String)> {
    let text = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, u16::from_le_bytes, "UTF-16LE")?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, u16::from_be_bytes, "UTF-16BE")?
    } else {
        let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        match std::str::from_utf8(body) {
            Ok(s) => s.to_string(),
            Err(e) => {
                let good = &body[..e.valid_up_to()];
                // The valid prefix is UTF-8 by construction.
                let prefix = std::str::from_utf8(good).unwrap_or_default();
                let (line, column) = position_after(prefix);
                let bad = body.get(e.valid_up_to()).copied().unwrap_or(0);
                return Err((
                    line,
                    column,
                    format!(
                        "not valid UTF-8 (byte 0x{bad:02X}); save the file as UTF-8, or as UTF-16 with its byte-order mark"
                    ),
                ));
            }
        }
    };
    if let Some(i) = text.find('\0') {
        let (line, column) = position_after(&text[..i]);
        return Err((
            line,
            column,
            "NUL character: is this UTF-16 without a byte-order mark? Save the file as UTF-8, or as UTF-16 with its BOM".into(),
        ));
    }
    Ok(if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    })
}

fn utf16(
    body: &[u8],
    unit: fn([u8; 2]) -> u16,
    what: &str,
) -> Result<String, (usize, usize, String)> {
    let units = body.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut out = String::with_capacity(body.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => out.push(c),
            Err(e) => {
                let (line, column) = position_after(&out);
                return Err((
                    line,
                    column,
                    format!(
                        "not valid {what}: unpaired surrogate 0x{:04X}",
                        e.unpaired_surrogate()
                    ),
                ));
            }
        }
    }
    if !body.len().is_multiple_of(2) {
        let (line, column) = position_after(&out);
        return Err((
            line,
            column,
            format!(
                "{what} text with an odd number of bytes ({} after the byte-order mark): the file is cut short",
                body.len()
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_encodings_decode_alike() {
        let s = "a = 1\r\nb = \"é\"\r\n";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        let want = "a = 1\nb = \"é\"\n";
        assert_eq!(decode_text(&le, "f").unwrap(), want);
        assert_eq!(decode_text(&be, "f").unwrap(), want);
        assert_eq!(decode_text(s.as_bytes(), "f").unwrap(), want);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(s.as_bytes());
        assert_eq!(decode_text(&bom, "f").unwrap(), want);
    }

    #[test]
    fn text_errors_have_a_position() {
        let e = decode_text(b"ab\ncd\xe9", "f.toml").unwrap_err();
        assert!(
            e.starts_with("f.toml:2:3: not valid UTF-8 (byte 0xE9)"),
            "{e}"
        );
        let e = decode_text(b"a\x00b", "u.txt").unwrap_err();
        assert!(e.starts_with("u.txt:1:2: NUL"), "{e}");
        assert!(e.contains("UTF-16 without a byte-order mark"), "{e}");
        let e = decode_text(&[0xFF, 0xFE, b'a', 0, b'\n', 0, b'b'], "o.txt").unwrap_err();
        assert!(
            e.starts_with("o.txt:2:1: UTF-16LE text with an odd number"),
            "{e}"
        );
        let e = read_text("/nonexistent/tlsim.toml").unwrap_err();
        assert!(e.starts_with("/nonexistent/tlsim.toml: "), "{e}");
    }
}
