//! The seeded mutator: a ChaCha stream per (seed, target, iteration), byte-level edits,
//! interesting lengths for length prefixes, and line- and token-level edits of text files
//! (TOML, `.reg`, cipher orders) with the encodings Windows tools produce.

use crate::seed::{rng_at, Purpose};
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;

pub struct Mutator {
    rng: ChaCha20Rng,
}

/// Numbers that break parsers: boundaries of every integer width, floats TOML accepts but
/// integers do not, and values that overflow or lose precision.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "2",
    "7",
    "255",
    "256",
    "65535",
    "65536",
    "16777215",
    "16777216",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "1e309",
    "-1e309",
    "nan",
    "inf",
    "-inf",
    "+inf",
    "0.5",
    "-0.0",
    "1e-320",
    "1.7976931348623157e308",
    "0x7fffffff",
    "0o777",
    "0b1",
    "1_000",
];

/// Strings that break parsers.
const STRINGS: &[&str] = &[
    "",
    " ",
    "\\u0000",
    "\u{feff}",
    "\u{1F600}",
    "é",
    "../..",
    "@",
    "+",
    "@+",
    "+KB",
    "@2019-13-45",
    "@0000-00-00",
    "@9999-12-31",
    "win2012r2@2019-10-08+KB4537806",
    "rfc-strict",
    ":",
    "!",
    "-",
    ",,",
    "[",
    "]",
    "\\\\",
    "\\\"",
];

impl Mutator {
    /// The mutator for iteration `iter` of target number `target` under `seed`.
    pub fn new(seed: u64, target: u64, iter: u64) -> Mutator {
        Mutator {
            rng: rng_at(seed, Purpose::Fuzz, &[target, iter]),
        }
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // The modulo bias of a 64-bit draw is irrelevant for fuzzing.
        let n64 = u64::try_from(n).unwrap_or(u64::MAX);
        usize::try_from(self.rng.next_u64() % n64).unwrap_or(0)
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }

    pub fn junk(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.rng.fill_bytes(&mut v);
        v
    }

    /// `min..min + span` random bytes.
    pub fn some_junk(&mut self, min: usize, span: usize) -> Vec<u8> {
        let n = min + self.below(span);
        self.junk(n)
    }

    fn byte(&mut self) -> u8 {
        self.rng.next_u64().to_le_bytes()[0]
    }

    /// A length to write where the true length is `n`, in a `width`-byte prefix: off by
    /// one, zero, the prefix's maximum, twice the truth, or random.
    pub fn interesting_len(&mut self, n: usize, width: usize) -> u32 {
        let max = match width {
            1 => 0xff,
            2 => 0xffff,
            3 => 0xff_ffff,
            _ => u32::MAX,
        };
        let n = u32::try_from(n).unwrap_or(max);
        match self.below(7) {
            0 => n.wrapping_add(1),
            1 => n.wrapping_sub(1),
            2 => 0,
            3 => max,
            4 => n.saturating_mul(2),
            5 => n.wrapping_add(1 + u32::try_from(self.below(16)).unwrap_or(0)),
            _ => u32::try_from(self.below(usize::try_from(max).unwrap_or(usize::MAX))).unwrap_or(0),
        }
    }

    /// One generic byte-level edit.
    pub fn bytes(&mut self, b: &mut Vec<u8>) {
        const INTERESTING: &[u8] = &[0, 1, 2, 0x7f, 0x80, 0xfe, 0xff];
        match self.below(11) {
            0 | 1 if !b.is_empty() => {
                let i = self.below(b.len());
                b[i] ^= 1 << self.below(8);
            }
            2 if !b.is_empty() => {
                let i = self.below(b.len());
                b[i] = *self.pick(INTERESTING);
            }
            3 if !b.is_empty() => {
                let i = self.below(b.len());
                b[i] = self.byte();
            }
            4 => b.truncate(self.below(b.len() + 1)),
            5 => {
                let at = self.below(b.len() + 1);
                let n = 1 + self.below(32);
                let junk = self.junk(n);
                b.splice(at..at, junk);
            }
            6 if !b.is_empty() => {
                let at = self.below(b.len());
                let n = 1 + self.below((b.len() - at).min(32));
                b.drain(at..at + n);
            }
            7 if !b.is_empty() => {
                // repeat a slice of itself
                let at = self.below(b.len());
                let n = 1 + self.below((b.len() - at).min(64));
                let piece = b[at..at + n].to_vec();
                let to = self.below(b.len() + 1);
                b.splice(to..to, piece);
            }
            8 if b.len() >= 2 => {
                // a 16-bit boundary value (suites, versions, groups, lengths)
                let i = self.below(b.len() - 1);
                let v: u16 = *self.pick(&[0, 1, 0x00ff, 0x0100, 0x0300, 0x0303, 0x7fff, 0xffff]);
                b[i..i + 2].copy_from_slice(&v.to_be_bytes());
            }
            9 => b.clear(),
            _ => {
                if b.is_empty() {
                    b.push(self.byte());
                } else {
                    let i = self.below(b.len());
                    b[i] = b[i].wrapping_add(*self.pick(&[1u8, 0xff]));
                }
            }
        }
    }

    /// One to a few edits of a text seed; `dict` holds words of the same kind of file to
    /// swap in. The result may stop being UTF-8 (re-encodings, byte edits).
    pub fn text(&mut self, seed: &str, dict: &[String]) -> Vec<u8> {
        let mut s = seed.to_string();
        for _ in 0..1 + self.below(3) {
            if self.chance(45) {
                self.token_edit(&mut s, dict);
            } else {
                self.line_edit(&mut s, dict);
            }
        }
        let mut out = if self.chance(12) {
            self.reencode(&s)
        } else {
            s.into_bytes()
        };
        if self.chance(8) {
            self.bytes(&mut out);
        }
        out
    }

    fn line_edit(&mut self, s: &mut String, dict: &[String]) {
        let mut lines: Vec<String> = s.split_inclusive('\n').map(str::to_string).collect();
        let n = lines.len();
        match self.below(9) {
            0 if n > 0 => {
                lines.remove(self.below(n));
            }
            1 if n > 0 => {
                let i = self.below(n);
                let d = lines[i].clone();
                lines.insert(self.below(n + 1), d);
            }
            2 if n > 1 => {
                let (a, b) = (self.below(n), self.below(n));
                lines.swap(a, b);
            }
            3 if n > 0 => {
                // cut a line short
                let i = self.below(n);
                let cut = floor_char(&lines[i], self.below(lines[i].len() + 1));
                lines[i].truncate(cut);
            }
            4 if !dict.is_empty() => {
                let w = self.pick(dict).clone();
                let line = match self.below(3) {
                    0 => format!("[{w}]\n"),
                    1 => format!("{w} = {w}\n"),
                    _ => format!("{w}\n"),
                };
                lines.insert(self.below(n + 1), line);
            }
            5 => {
                let line = self
                    .pick(&[
                        "[[server]]\n",
                        "[[client]]\n",
                        "[network]\n",
                        "[expect]\n",
                        "[[entry]]\n",
                        "[[update]]\n",
                        "[report]\n",
                        "set = {}\n",
                        "\"\"=\"\"\n",
                        "@=-\n",
                        "[-HKEY_LOCAL_MACHINE\\SYSTEM]\n",
                        "\"A\"=hex(b):\\\n",
                        "  00,\\\n",
                        "Name\n",
                        "----\n",
                        "=\n",
                        "\\\n",
                        "\n",
                    ])
                    .to_string();
                lines.insert(self.below(n + 1), line);
            }
            6 => {
                // CRLF, CR-only or LF line ends everywhere
                let end = *self.pick(&["\r\n", "\r", "\n", "\n\r"]);
                for l in &mut lines {
                    let body = l.trim_end_matches(['\r', '\n']).to_string();
                    *l = body + end;
                }
            }
            7 => {
                let cut = floor_char(s, self.below(s.len() + 1));
                s.truncate(cut);
                return;
            }
            _ => {
                // a long line
                let w = dict.first().cloned().unwrap_or_else(|| "x".into());
                let line = format!("{}\n", w.repeat(1 + self.below(400)));
                lines.insert(self.below(n + 1), line);
            }
        }
        *s = lines.concat();
    }

    fn token_edit(&mut self, s: &mut String, dict: &[String]) {
        let toks = tokens(s);
        if toks.is_empty() {
            let n = *self.pick(NUMBERS);
            s.push_str(n);
            return;
        }
        let (start, end, kind) = toks[self.below(toks.len())];
        let new = match (kind, self.below(4)) {
            (Tok::Number, 0..=2) => self.pick(NUMBERS).to_string(),
            (Tok::Str, 0) => format!("\"{}\"", self.pick(STRINGS)),
            (Tok::Str, 1) => format!("\"{}\"", "A".repeat(1 + self.below(5000))),
            (Tok::Str, 2) if !dict.is_empty() => format!("\"{}\"", self.pick(dict)),
            (Tok::Word, 0) => self.pick(&["true", "false", "inf", "nan", "-"]).to_string(),
            (_, 3) => self.pick(NUMBERS).to_string(),
            _ if !dict.is_empty() => self.pick(dict).clone(),
            _ => String::new(),
        };
        s.replace_range(start..end, &new);
    }

    /// The text in another encoding or with a byte-order mark.
    fn reencode(&mut self, s: &str) -> Vec<u8> {
        let utf16 = |big: bool| -> Vec<u8> {
            s.encode_utf16()
                .flat_map(|u| {
                    if big {
                        u.to_be_bytes()
                    } else {
                        u.to_le_bytes()
                    }
                })
                .collect()
        };
        match self.below(6) {
            0 => [&[0xEF, 0xBB, 0xBF][..], s.as_bytes()].concat(),
            1 => [&[0xFF, 0xFE][..], &utf16(false)].concat(),
            2 => utf16(false),
            3 => [&[0xFE, 0xFF][..], &utf16(true)].concat(),
            4 => {
                // Latin-1 where possible, as an old editor would save it
                s.chars()
                    .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                    .collect()
            }
            _ => {
                let mut b = s.as_bytes().to_vec();
                let at = self.below(b.len() + 1);
                const BAD: &[&[u8]] = &[&[0], &[0xff], &[0xc3], &[0xed, 0xa0, 0x80]];
                let bad = *self.pick(BAD);
                b.splice(at..at, bad.iter().copied());
                b
            }
        }
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i.min(s.len())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Number,
    Str,
    Word,
}

/// Byte spans of numbers, double-quoted strings (with their quotes) and words.
fn tokens(s: &str) -> Vec<(usize, usize, Tok)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            out.push((start, i, Tok::Str));
        } else if c.is_ascii_digit() || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b"._+-".contains(&b[i])) {
                i += 1;
            }
            out.push((start, i, Tok::Number));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b"_-.".contains(&b[i])) {
                i += 1;
            }
            out.push((start, i, Tok::Word));
        } else {
            i += 1;
        }
    }
    // Spans end on char boundaries: tokens start and end at ASCII bytes or the end.
    out.retain(|&(a, z, _)| s.is_char_boundary(a) && s.is_char_boundary(z.min(s.len())));
    out.into_iter()
        .map(|(a, z, k)| (a, z.min(s.len()), k))
        .collect()
}

/// The words and strings of some text files, for token swaps.
pub(super) fn dictionary<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut set = std::collections::BTreeSet::new();
    for t in texts {
        for (a, z, k) in tokens(t) {
            let w = &t[a..z];
            let w = if k == Tok::Str {
                w.trim_matches('"')
            } else {
                w
            };
            if !w.is_empty() && w.len() <= 64 {
                set.insert(w.to_string());
            }
        }
    }
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_iteration_same_edits() {
        let seed = "a = 1\nb = \"x\"\n[t]\nc = [1, 2]\n";
        let dict = dictionary([seed]);
        let a: Vec<_> = (0..50)
            .map(|i| Mutator::new(3, 1, i).text(seed, &dict))
            .collect();
        let b: Vec<_> = (0..50)
            .map(|i| Mutator::new(3, 1, i).text(seed, &dict))
            .collect();
        assert_eq!(a, b);
        assert!(a.iter().any(|t| t != seed.as_bytes()));
    }

    #[test]
    fn tokens_find_numbers_strings_words() {
        let t = tokens("key = \"v\\\"w\" # -12 é 3.5e2");
        let kinds: Vec<_> = t.iter().map(|x| x.2).collect();
        assert_eq!(kinds, [Tok::Word, Tok::Str, Tok::Number, Tok::Number]);
    }
}
