//! Splitting an access-log line into fields, shared by the formats that write
//! space-separated fields with quoted values (S3 server access logs, ALB access logs),
//! and the small number and calendar helpers their parsers need.
//!
//! Owns only bytes-to-ranges: what a field means is the format module's business.

use memchr::memchr;

use crate::model::Reject;

/// A byte range of the line: a field's text without its quotes or brackets. 32-bit
/// offsets (lines are at most [`super::LONGEST_LINE`] bytes, checked before splitting)
/// halve a record's table of fields, which is filled and moved for every line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Span {
    start: u32,
    end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        debug_assert!(end <= super::LONGEST_LINE && start <= end);
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn start(self) -> usize {
        self.start as usize
    }

    pub fn end(self) -> usize {
        self.end as usize
    }

    /// Its text in `line`; empty if it lies outside.
    pub fn of(self, line: &[u8]) -> &[u8] {
        line.get(self.start()..self.end()).unwrap_or_default()
    }
}

pub fn tail(bytes: &[u8], from: usize) -> &[u8] {
    bytes.get(from..).unwrap_or_default()
}

pub fn trim_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|&b| b != b' ' && b != b'\r')
        .map_or(0, |i| i + 1);
    line.get(..end).unwrap_or(line)
}

#[inline]
pub fn skip_spaces(line: &[u8], pos: usize) -> usize {
    match line.get(pos) {
        // Fields are one space apart in every real log: no search for that.
        Some(b' ') => tail(line, pos)
            .iter()
            .position(|&b| b != b' ')
            .map_or(line.len(), |i| pos + i),
        Some(_) => pos,
        None => line.len(),
    }
}

/// Finds the spaces and quotes of a line 64 bytes at a time: one pair of masks per
/// window rather than one search per field, since most fields are a few bytes long.
/// memchr has no call that gives every match of a window at once, so this is written here.
pub struct Delimiters<'a> {
    pub line: &'a [u8],
    /// The start of the window the masks describe (a multiple of 64), or `usize::MAX`.
    window: usize,
    /// Bit i set when `line[window + i]` is a space.
    spaces: u64,
    /// Bit i set when `line[window + i]` is a `"`.
    quotes: u64,
}

impl<'a> Delimiters<'a> {
    pub fn new(line: &'a [u8]) -> Delimiters<'a> {
        Delimiters {
            line,
            window: usize::MAX,
            spaces: 0,
            quotes: 0,
        }
    }

    /// The first space at or after `from`.
    #[inline]
    pub fn next_space(&mut self, from: usize) -> Option<usize> {
        self.next_of(from, |d| d.spaces)
    }

    /// The first `"` at or after `from`.
    #[inline]
    pub fn next_quote(&mut self, from: usize) -> Option<usize> {
        self.next_of(from, |d| d.quotes)
    }

    #[inline]
    fn next_of(&mut self, from: usize, mask: fn(&Self) -> u64) -> Option<usize> {
        let mut window = from & !63;
        while window < self.line.len() {
            if window != self.window {
                self.window = window;
                (self.spaces, self.quotes) = masks(tail(self.line, window));
            }
            let found = mask(self) & (u64::MAX << (from.max(window) - window));
            if found != 0 {
                return Some(window + found.trailing_zeros() as usize);
            }
            window += 64;
        }
        None
    }
}

/// The space and quote masks of the first 64 bytes (bytes past the end are neither).
#[inline]
fn masks(bytes: &[u8]) -> (u64, u64) {
    let mut padded = [0u8; 64];
    let window = match bytes.first_chunk::<64>() {
        Some(full) => full,
        None => {
            padded[..bytes.len()].copy_from_slice(bytes);
            &padded
        }
    };
    (window_mask(window, b' '), window_mask(window, b'"'))
}

/// SSE2, which every x86_64 has: compilers do not turn a byte loop into `pmovmskb`.
#[cfg(target_arch = "x86_64")]
fn window_mask(window: &[u8; 64], byte: u8) -> u64 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    window.chunks_exact(16).enumerate().fold(0, |mask, (k, chunk)| {
        // SAFETY: SSE2 is part of every x86_64 target, and `chunk` is 16 readable bytes
        // (loadu needs no alignment).
        let found = unsafe {
            let bytes = _mm_loadu_si128(chunk.as_ptr().cast());
            _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(byte as i8)))
        };
        mask | u64::from(found as u16) << (16 * k)
    })
}

/// Elsewhere, eight bytes at a time in a general register.
#[cfg(not(target_arch = "x86_64"))]
fn window_mask(window: &[u8; 64], byte: u8) -> u64 {
    window.chunks_exact(8).enumerate().fold(0, |mask, (k, word)| {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        mask | u64::from(bytes_in_word(word, byte)) << (8 * k)
    })
}

/// Bit j set when byte j (little-endian) of `word` is `byte`.
#[cfg(any(test, not(target_arch = "x86_64")))]
pub fn bytes_in_word(word: u64, byte: u8) -> u8 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ (u64::from(byte) * 0x0101_0101_0101_0101);
    // 0x80 in exactly the bytes of `x` that are zero; no carry crosses a byte.
    let zero = !(((x & LOW7) + LOW7) | x | LOW7);
    // Gathers each byte's flag into one bit of the top byte.
    ((zero >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
}

/// Where a quoted field may end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoted {
    /// At the first `"` followed by a space or the end of the line.
    FirstClose,
    /// At the first such `"` whose next token holds no quote (an unquoted field follows),
    /// else the first: for user agents, which real clients fill with quotes.
    BeforeUnquoted,
    /// At the first such `"` that ends a request line (`METHOD target HTTP/x.y`: its last
    /// token starts `HTTP/`) and is followed by a status (digits or `-`), else the first:
    /// for request lines whose target holds a raw quote (`"GET /" HTTP/1.1"`).
    RequestLine,
}

/// The next field after `pos`, quotes stripped; `None` at the end of the line.
/// Inlined into each format's field loop: the call per field cost more than its work.
#[inline(always)]
pub fn next_field(
    delimiters: &mut Delimiters<'_>,
    pos: &mut usize,
    quoted: Quoted,
) -> Result<Option<Span>, Reject> {
    let line = delimiters.line;
    let start = skip_spaces(line, *pos);
    let (span, after) = match line.get(start) {
        None => return Ok(None),
        Some(b'"') => {
            let close = closing_quote(delimiters, start + 1, quoted).ok_or(Reject::UnterminatedQuote)?;
            (Span::new(start + 1, close), close + 1)
        }
        Some(_) => {
            let end = delimiters.next_space(start).unwrap_or(line.len());
            (Span::new(start, end), end)
        }
    };
    *pos = after;
    Ok(Some(span))
}

/// Plain unsigned decimal (ASCII digits only, no sign, no spaces) that fits a u64.
pub fn decimal(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u64, |n, &b| {
        let digit = u64::from(b.checked_sub(b'0').filter(|d| *d < 10)?);
        n.checked_mul(10)?.checked_add(digit)
    })
}

pub fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`: years start in March so the leap day comes last).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The `"` at or after `from` that ends a quoted field: one followed by a space or the
/// end (and, with [`Quoted::BeforeUnquoted`], by an unquoted token; with
/// [`Quoted::RequestLine`], after a protocol and before a status). Real user agents and
/// probing request targets carry unescaped quotes (`"Mozilla "Foo" Bar"`, `"GET /" HTTP/1.1"`),
/// so "the first quote then a space" alone would shift every later field; when nothing
/// fits, the first candidate is taken. Only those two fields are searched further:
/// elsewhere a guess could shift fields where a rejection is the honest answer.
#[inline(always)]
fn closing_quote(delimiters: &mut Delimiters<'_>, from: usize, quoted: Quoted) -> Option<usize> {
    let line = delimiters.line;
    let mut first = None;
    let mut at = from;
    while let Some(quote) = delimiters.next_quote(at) {
        at = quote + 1;
        if !matches!(line.get(at), None | Some(b' ')) {
            continue;
        }
        let ends = match quoted {
            Quoted::FirstClose => true,
            Quoted::BeforeUnquoted => unquoted_follows(tail(line, at)),
            Quoted::RequestLine => {
                ends_in_protocol(line.get(from..quote).unwrap_or_default()) && status_follows(tail(line, at))
            }
        };
        if ends {
            return Some(quote);
        }
        first.get_or_insert(quote);
    }
    first
}

/// Whether a request line's text ends in its protocol (`HTTP/1.1`).
#[inline]
fn ends_in_protocol(text: &[u8]) -> bool {
    // Nearly every line: ` HTTP/1.1` or ` HTTP/2.0`, read in place.
    if let Some([b' ', b'H', b'T', b'T', b'P', b'/', _, b'.', _]) = text.last_chunk::<9>() {
        return true;
    }
    tail(text, memchr::memrchr(b' ', text).map_or(0, |i| i + 1)).starts_with(b"HTTP/")
}

/// Whether the token after a closing quote is a status: digits or `-`, quoted or not.
#[inline]
fn status_follows(rest: &[u8]) -> bool {
    // Nearly every line: a space, three digits, a space.
    if let Some([b' ', a, b, c, b' ']) = rest.first_chunk::<5>() {
        if [a, b, c].iter().all(|d| d.is_ascii_digit()) {
            return true;
        }
    }
    let rest = tail(rest, skip_spaces(rest, 0));
    let next = rest
        .get(..memchr(b' ', rest).unwrap_or(rest.len()))
        .unwrap_or_default();
    let next = match next {
        [b'"', inner @ .., b'"'] => inner,
        _ => next,
    };
    next == b"-" || decimal(next).is_some()
}

/// Whether the token after a closing quote holds no quote (S3's version id and ALB's
/// TLS cipher, which follow the user agent, are never quoted).
fn unquoted_follows(rest: &[u8]) -> bool {
    let rest = tail(rest, skip_spaces(rest, 0));
    let next = rest
        .get(..memchr(b' ', rest).unwrap_or(rest.len()))
        .unwrap_or_default();
    !next.contains(&b'"')
}

/// Bytes as a JSON string, invalid UTF-8 replaced.
pub struct Lossy<'a>(pub &'a [u8]);

impl serde::Serialize for Lossy<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&String::from_utf8_lossy(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn the_portable_byte_mask_agrees(word: [u8; 8], found: [bool; 8], byte in proptest::sample::select(vec![b' ', b'"'])) {
            let word = word.map(|b| if b == byte { byte ^ 1 } else { b });
            let mut bytes = word;
            for (b, s) in bytes.iter_mut().zip(found) {
                if s { *b = byte; }
            }
            let want = found.iter().enumerate().fold(0u8, |m, (i, &s)| m | (u8::from(s) << i));
            proptest::prop_assert_eq!(bytes_in_word(u64::from_le_bytes(bytes), byte), want);
        }
    }
}
