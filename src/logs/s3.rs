//! AWS S3 server access log lines: one line in, one [`Record`] of byte ranges out.
//!
//! Owns the line grammar only: splitting into fields, the bracketed time, and which fields
//! must be integers. It does not decode keys or query strings, filter, or de-duplicate.
//!
//! The grammar, as real logs need it:
//! - Fields are separated by one or more spaces; leading and trailing spaces and
//!   trailing `\r` are not fields. Tabs are ordinary bytes.
//! - A field starting with `"` is quoted: it ends at the first later `"` followed by a
//!   space or the end of the line, so values may hold spaces and quotes (a user agent
//!   logged as `""Mozilla..."` keeps its inner leading quote). Any field may be quoted or
//!   not; no closing quote anywhere on the line is [`Reject::UnterminatedQuote`].
//! - Field 3 is `[dd/Mon/yyyy:HH:MM:SS +hhmm]`: English month abbreviation with that exact
//!   case, a real Gregorian date, year 0001 to 9998 (so every instant, offset applied, is
//!   a four-digit-year RFC 3339 instant), hour 00-23, minute and second 00-59 (no leap
//!   second), offset sign `+` or `-` with hours 00-23 and minutes 00-59. Else
//!   [`Reject::BadTime`].
//! - `http_status`, `bytes_sent`, `object_size`, `total_time` and `turn_around_time` are
//!   `-` or ASCII digits (no sign) fitting `u64`; the status must also fit `u16`. Else
//!   [`Reject::BadInteger`]. An out-of-range status is rejected rather than read as null,
//!   so a corrupt line is counted instead of silently losing its status.
//! - At least 18 fields (the 2015 layout); fields after the 27th are kept as extras.
//!
//! - A line longer than [`LONGEST_LINE`] bytes is [`Reject::LineTooLong`]: real lines are a
//!   few kilobytes, and a bound lets readers cut an endless line instead of holding it.
//!
//! Checks run in this order, and the first failure is the reason: length; blank line; splitting
//! the whole line (unterminated quote, or a `[` time with no `]` ending a field: bad time);
//! field count; time value; integers.
//!
//! Values: the text as logged with the surrounding quotes stripped; `-` and `"-"` are null.

use std::fmt;

use memchr::{memchr, memchr_iter, memrchr};
use serde::ser::{Error as _, SerializeMap};
use serde::{Serialize, Serializer};

use crate::model::Reject;

/// The longest line read as a record, in bytes as read (trailing spaces and `\r` count).
pub const LONGEST_LINE: usize = 1 << 20;

/// The documented fields, 27 since the `source_region` field was added.
const FIELDS: usize = 27;
/// The oldest layout ends at `version_id`.
const MIN_FIELDS: usize = 18;
const TIME: usize = Field::Time as usize;
const USER_AGENT: usize = Field::UserAgent as usize;
const INTEGERS: [Field; 5] = [
    Field::HttpStatus,
    Field::BytesSent,
    Field::ObjectSize,
    Field::TotalTime,
    Field::TurnAroundTime,
];


/// The documented fields, in log order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    BucketOwner,
    Bucket,
    Time,
    RemoteIp,
    Requester,
    RequestId,
    Operation,
    Key,
    RequestUri,
    HttpStatus,
    ErrorCode,
    BytesSent,
    ObjectSize,
    TotalTime,
    TurnAroundTime,
    Referer,
    UserAgent,
    VersionId,
    HostId,
    SignatureVersion,
    CipherSuite,
    AuthenticationType,
    HostHeader,
    TlsVersion,
    AccessPointArn,
    AclRequired,
    SourceRegion,
}

impl Field {
    pub const ALL: [Field; FIELDS] = [
        Field::BucketOwner,
        Field::Bucket,
        Field::Time,
        Field::RemoteIp,
        Field::Requester,
        Field::RequestId,
        Field::Operation,
        Field::Key,
        Field::RequestUri,
        Field::HttpStatus,
        Field::ErrorCode,
        Field::BytesSent,
        Field::ObjectSize,
        Field::TotalTime,
        Field::TurnAroundTime,
        Field::Referer,
        Field::UserAgent,
        Field::VersionId,
        Field::HostId,
        Field::SignatureVersion,
        Field::CipherSuite,
        Field::AuthenticationType,
        Field::HostHeader,
        Field::TlsVersion,
        Field::AccessPointArn,
        Field::AclRequired,
        Field::SourceRegion,
    ];

    /// The AWS documentation's name in snake_case, as in the SPEC and `scan --all`.
    pub fn name(self) -> &'static str {
        match self {
            Field::BucketOwner => "bucket_owner",
            Field::Bucket => "bucket",
            Field::Time => "time",
            Field::RemoteIp => "remote_ip",
            Field::Requester => "requester",
            Field::RequestId => "request_id",
            Field::Operation => "operation",
            Field::Key => "key",
            Field::RequestUri => "request_uri",
            Field::HttpStatus => "http_status",
            Field::ErrorCode => "error_code",
            Field::BytesSent => "bytes_sent",
            Field::ObjectSize => "object_size",
            Field::TotalTime => "total_time",
            Field::TurnAroundTime => "turn_around_time",
            Field::Referer => "referer",
            Field::UserAgent => "user_agent",
            Field::VersionId => "version_id",
            Field::HostId => "host_id",
            Field::SignatureVersion => "signature_version",
            Field::CipherSuite => "cipher_suite",
            Field::AuthenticationType => "authentication_type",
            Field::HostHeader => "host_header",
            Field::TlsVersion => "tls_version",
            Field::AccessPointArn => "access_point_arn",
            Field::AclRequired => "acl_required",
            Field::SourceRegion => "source_region",
        }
    }

    /// Where this field's value sits in `Record::ints`, if it is an integer field.
    fn integer_slot(self) -> Option<usize> {
        INTEGERS.iter().position(|&f| f == self)
    }
}

/// A byte range of the line: a field's text without its quotes or brackets.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: usize,
    end: usize,
}

/// One parsed line: byte ranges into it, so parsing allocates nothing.
#[derive(Clone)]
pub struct Record<'a> {
    line: &'a [u8],
    spans: [Span; FIELDS],
    /// Documented fields present: 18 to 27.
    len: usize,
    /// Where the first field after the 27th starts (the line's end when there is none).
    extra: usize,
    /// Unix seconds, UTC.
    time: i64,
    /// Values of the integer fields, in `INTEGERS` order, checked once at parse time.
    ints: [Option<u64>; 5],
}

/// Parses one line (without its `\n`; a trailing `\r` is ignored). See the module docs.
pub fn parse(line: &[u8]) -> Result<Record<'_>, Reject> {
    if line.len() > LONGEST_LINE {
        return Err(Reject::LineTooLong);
    }
    let line = trim_end(line);
    let mut pos = skip_spaces(line, 0);
    if pos == line.len() {
        return Err(Reject::BlankLine);
    }
    let mut spans = [Span::default(); FIELDS];
    let mut len = 0;
    let mut spaces = Spaces::new(line);
    while len < FIELDS {
        let next = if len == TIME {
            next_time_field(&mut spaces, &mut pos)?
        } else {
            next_field(&mut spaces, &mut pos, len)?
        };
        let Some(span) = next else { break };
        spans[len] = span;
        len += 1;
    }
    let extra = skip_spaces(line, pos);
    // Split the extras now so that `extra_fields` cannot meet a bad quote later.
    while next_field(&mut spaces, &mut pos, FIELDS)?.is_some() {}
    if len < MIN_FIELDS {
        return Err(Reject::TooFewFields);
    }
    let time = bracketed_time(line, &mut spans[TIME])?;
    let ints = integers(line, &spans)?;
    Ok(Record {
        line,
        spans,
        len,
        extra,
        time,
        ints,
    })
}

impl<'a> Record<'a> {
    /// The request time in unix seconds, UTC (the logged offset applied).
    pub fn time(&self) -> i64 {
        self.time
    }

    /// The field's text as logged, quotes stripped; `None` for `-`, `"-"` or a field
    /// absent from a shorter record. `Field::Time` gives the text inside the brackets.
    pub fn get(&self, f: Field) -> Option<&'a [u8]> {
        let i = f as usize;
        if i >= self.len {
            return None;
        }
        let span = self.spans.get(i)?;
        let text = self.line.get(span.start..span.end)?;
        (text != b"-").then_some(text)
    }

    pub fn bucket(&self) -> Option<&'a [u8]> {
        self.get(Field::Bucket)
    }

    pub fn operation(&self) -> Option<&'a [u8]> {
        self.get(Field::Operation)
    }

    /// The key still URL-encoded, as S3 logs it.
    pub fn key(&self) -> Option<&'a [u8]> {
        self.get(Field::Key)
    }

    pub fn request_id(&self) -> Option<&'a [u8]> {
        self.get(Field::RequestId)
    }

    /// `None` for `-`; a status that does not fit `u16` was rejected by [`parse`].
    pub fn http_status(&self) -> Option<u16> {
        self.integer(Field::HttpStatus)
            .and_then(|n| u16::try_from(n).ok())
    }

    /// The value of `http_status`, `bytes_sent`, `object_size`, `total_time` or
    /// `turn_around_time`; `None` for `-` and for any other field.
    pub fn integer(&self, f: Field) -> Option<u64> {
        self.ints.get(f.integer_slot()?).copied().flatten()
    }

    /// The request-URI target's query string: after the first `?`, before any `#` and
    /// the trailing ` HTTP/x.y`. Still percent-encoded. `None` without a `?`.
    pub fn query(&self) -> Option<&'a [u8]> {
        let target = request_target(self.get(Field::RequestUri)?);
        let query = target.get(memchr(b'?', target)? + 1..)?;
        Some(match memchr(b'#', query) {
            Some(i) => query.get(..i)?,
            None => query,
        })
    }

    /// Fields after the 27th, in order, quotes stripped (a `-` stays `-` here).
    pub fn extra_fields(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        let line = self.line;
        let mut pos = self.extra;
        let mut spaces = Spaces::new(line);
        std::iter::from_fn(move || {
            let span = next_field(&mut spaces, &mut pos, FIELDS).ok().flatten()?;
            line.get(span.start..span.end)
        })
    }
}

/// Field names and text, not byte offsets.
impl fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for field in Field::ALL {
            map.entry(&field.name(), &self.get(field).map(String::from_utf8_lossy));
        }
        let extras: Vec<_> = self.extra_fields().map(String::from_utf8_lossy).collect();
        map.entry(&"unix_time", &self.time)
            .entry(&"extra_fields", &extras)
            .finish()
    }
}

/// `METHOD target HTTP/x.y` → `target`; a missing method or version is tolerated.
fn request_target(uri: &[u8]) -> &[u8] {
    let uri = match memrchr(b' ', uri) {
        Some(i) if tail(uri, i + 1).starts_with(b"HTTP/") => uri.get(..i).unwrap_or(uri),
        _ => uri,
    };
    match memchr(b' ', uri) {
        Some(i) => tail(uri, i + 1),
        None => uri,
    }
}

fn tail(bytes: &[u8], from: usize) -> &[u8] {
    bytes.get(from..).unwrap_or_default()
}

fn trim_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|&b| b != b' ' && b != b'\r')
        .map_or(0, |i| i + 1);
    line.get(..end).unwrap_or(line)
}

fn skip_spaces(line: &[u8], pos: usize) -> usize {
    tail(line, pos)
        .iter()
        .position(|&b| b != b' ')
        .map_or(line.len(), |i| pos + i)
}

/// Finds the spaces of a line 64 bytes at a time: one mask per window rather than one
/// search per field, since most fields are a few bytes long. memchr has no call that
/// gives every match of a window at once, so this is written here.
struct Spaces<'a> {
    line: &'a [u8],
    /// The start of the window `mask` describes (a multiple of 64), or `usize::MAX`.
    window: usize,
    /// Bit i set when `line[window + i]` is a space.
    mask: u64,
}

impl<'a> Spaces<'a> {
    fn new(line: &'a [u8]) -> Spaces<'a> {
        Spaces {
            line,
            window: usize::MAX,
            mask: 0,
        }
    }

    /// The first space at or after `from`.
    fn next(&mut self, from: usize) -> Option<usize> {
        let mut window = from & !63;
        while window < self.line.len() {
            if window != self.window {
                self.window = window;
                self.mask = space_mask(tail(self.line, window));
            }
            let found = self.mask & (u64::MAX << (from.max(window) - window));
            if found != 0 {
                return Some(window + found.trailing_zeros() as usize);
            }
            window += 64;
        }
        None
    }
}

/// Bit i set when `bytes[i]` is a space, for the first 64 bytes (bytes past the end
/// are not spaces).
fn space_mask(bytes: &[u8]) -> u64 {
    let mut padded = [0u8; 64];
    let window = match bytes.first_chunk::<64>() {
        Some(full) => full,
        None => {
            padded[..bytes.len()].copy_from_slice(bytes);
            &padded
        }
    };
    window_mask(window)
}

/// SSE2, which every x86_64 has: compilers do not turn a byte loop into `pmovmskb`.
#[cfg(target_arch = "x86_64")]
fn window_mask(window: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    window.chunks_exact(16).enumerate().fold(0, |mask, (k, chunk)| {
        // SAFETY: SSE2 is part of every x86_64 target, and `chunk` is 16 readable bytes
        // (loadu needs no alignment).
        let found = unsafe {
            let bytes = _mm_loadu_si128(chunk.as_ptr().cast());
            _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(b' ' as i8)))
        };
        mask | u64::from(found as u16) << (16 * k)
    })
}

/// Elsewhere, eight bytes at a time in a general register.
#[cfg(not(target_arch = "x86_64"))]
fn window_mask(window: &[u8; 64]) -> u64 {
    window.chunks_exact(8).enumerate().fold(0, |mask, (k, word)| {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        mask | u64::from(spaces_in_word(word)) << (8 * k)
    })
}

/// Bit j set when byte j (little-endian) of `word` is a space.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn spaces_in_word(word: u64) -> u8 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ 0x2020_2020_2020_2020;
    // 0x80 in exactly the bytes of `x` that are zero; no carry crosses a byte.
    let zero = !(((x & LOW7) + LOW7) | x | LOW7);
    // Gathers each byte's flag into one bit of the top byte.
    ((zero >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
}

/// The next field after `pos`, quotes stripped; `None` at the end of the line.
/// `index` is the field's position, which decides where a quoted field may end.
fn next_field(spaces: &mut Spaces<'_>, pos: &mut usize, index: usize) -> Result<Option<Span>, Reject> {
    let line = spaces.line;
    let start = skip_spaces(line, *pos);
    let (span, after) = match line.get(start) {
        None => return Ok(None),
        Some(b'"') => {
            let close = closing_quote(line, start + 1, index).ok_or(Reject::UnterminatedQuote)?;
            let span = Span {
                start: start + 1,
                end: close,
            };
            (span, close + 1)
        }
        Some(_) => {
            let end = spaces.next(start).unwrap_or(line.len());
            (Span { start, end }, end)
        }
    };
    *pos = after;
    Ok(Some(span))
}

/// The `"` at or after `from` that ends field `index`: one followed by a space or the
/// end (and, for the user agent, by a plausible version id). Real user agents carry unescaped quotes
/// (`"Mozilla "Foo" Bar"`), so "the first quote then a space" alone would shift every
/// later field; when nothing fits, the first candidate is taken. Only the user agent
/// is searched further: it is the field real clients fill with quotes, and elsewhere a
/// guess could shift fields where a rejection is the honest answer.
fn closing_quote(line: &[u8], from: usize, index: usize) -> Option<usize> {
    let mut candidates = memchr_iter(b'"', tail(line, from))
        .map(|i| from + i)
        .filter(|&q| matches!(line.get(q + 1), None | Some(b' ')));
    let first = candidates.next()?;
    std::iter::once(first)
        .chain(candidates)
        .find(|&q| index != USER_AGENT || version_id_follows(tail(line, q + 1)))
        .or(Some(first))
}

/// Whether the token after a closing quote can be the version id, which AWS never quotes.
fn version_id_follows(rest: &[u8]) -> bool {
    let rest = tail(rest, skip_spaces(rest, 0));
    let next = rest
        .get(..memchr(b' ', rest).unwrap_or(rest.len()))
        .unwrap_or_default();
    memchr(b'"', next).is_none()
}

/// The time field keeps its brackets here; it holds a space, so it ends at its `]`.
fn next_time_field(spaces: &mut Spaces<'_>, pos: &mut usize) -> Result<Option<Span>, Reject> {
    let line = spaces.line;
    let start = skip_spaces(line, *pos);
    if line.get(start) != Some(&b'[') {
        // Not a time: split it like any field, but leave the time check nothing to accept.
        return Ok(next_field(spaces, pos, TIME)?.map(|_| Span { start, end: start }));
    }
    let close = memchr(b']', tail(line, start)).ok_or(Reject::BadTime)? + start;
    if !matches!(line.get(close + 1), None | Some(b' ')) {
        return Err(Reject::BadTime);
    }
    *pos = close + 1;
    Ok(Some(Span {
        start,
        end: close + 1,
    }))
}

/// Checks `[...]`, narrows the span to the brackets' contents and returns unix seconds.
fn bracketed_time(line: &[u8], span: &mut Span) -> Result<i64, Reject> {
    let text = line.get(span.start..span.end).unwrap_or_default();
    let inner = match text {
        [b'[', inner @ .., b']'] => inner,
        _ => return Err(Reject::BadTime),
    };
    let seconds = parse_time(inner).ok_or(Reject::BadTime)?;
    *span = Span {
        start: span.start + 1,
        end: span.end - 1,
    };
    Ok(seconds)
}

fn integers(line: &[u8], spans: &[Span; FIELDS]) -> Result<[Option<u64>; 5], Reject> {
    let mut ints = [None; 5];
    for (slot, f) in ints.iter_mut().zip(INTEGERS) {
        let span = spans[f as usize];
        let text = line.get(span.start..span.end).unwrap_or_default();
        if text == b"-" {
            continue;
        }
        let n = decimal(text).ok_or(Reject::BadInteger)?;
        if f == Field::HttpStatus && u16::try_from(n).is_err() {
            return Err(Reject::BadInteger);
        }
        *slot = Some(n);
    }
    Ok(ints)
}

/// One or more ASCII digits fitting `u64`.
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

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// `dd/Mon/yyyy:HH:MM:SS +hhmm` → unix seconds, by hand: this runs once per log line.
fn parse_time(text: &[u8]) -> Option<i64> {
    let &[d0, d1, b'/', m0, m1, m2, b'/', y0, y1, y2, y3, b':', ref clock @ ..] = text else {
        return None;
    };
    let &[h0, h1, b':', i0, i1, b':', s0, s1, b' ', sign, oh0, oh1, om0, om1] = clock else {
        return None;
    };
    let month = MONTHS.iter().position(|m| **m == [m0, m1, m2])? as i64 + 1;
    let num = |digits: &[u8]| decimal(digits).map(|n| n as i64);
    let (year, day) = (num(&[y0, y1, y2, y3])?, num(&[d0, d1])?);
    let (hour, minute, second) = (num(&[h0, h1])?, num(&[i0, i1])?, num(&[s0, s1])?);
    let offset = offset_seconds(sign, num(&[oh0, oh1])?, num(&[om0, om1])?)?;
    let valid = (1..=9998).contains(&year)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    valid.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// The logged offset in seconds east of UTC.
fn offset_seconds(sign: u8, hours: i64, minutes: i64) -> Option<i64> {
    if hours > 23 || minutes > 59 {
        return None;
    }
    let magnitude = hours * 3600 + minutes * 60;
    match sign {
        b'+' => Some(magnitude),
        b'-' => Some(-magnitude),
        _ => None,
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
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
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A JSON object: every documented field by its SPEC name, in log order, then
/// `extra_fields`. Integer fields are numbers, `time` is RFC 3339 UTC, all else strings
/// (invalid UTF-8 replaced by U+FFFD); `-` and absent fields are null.
impl Serialize for Record<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(FIELDS + 1))?;
        for f in Field::ALL {
            if f == Field::Time {
                let at = jiff::Timestamp::from_second(self.time).map_err(S::Error::custom)?;
                map.serialize_entry(f.name(), &format_args!("{at}"))?;
            } else if f.integer_slot().is_some() {
                map.serialize_entry(f.name(), &self.integer(f))?;
            } else {
                map.serialize_entry(f.name(), &self.get(f).map(Lossy))?;
            }
        }
        map.serialize_entry("extra_fields", &Extras(self))?;
        map.end()
    }
}

/// Bytes as a JSON string, invalid UTF-8 replaced.
struct Lossy<'a>(&'a [u8]);

impl Serialize for Lossy<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&String::from_utf8_lossy(self.0))
    }
}

/// The extra fields as a JSON list, `-` as null like every other value.
struct Extras<'r, 'a>(&'r Record<'a>);

impl Serialize for Extras<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let values = self.0.extra_fields();
        serializer.collect_seq(values.map(|v| (v != b"-").then_some(Lossy(v))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    const SAMPLES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/reference/logs/s3_access_log_samples.txt"
    );

    const OWNER: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
    const HOST_ID: &str = "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=";
    const AP_ARN: &str = "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP";

    /// S3-AWSNEW-01's fields as logged, so a test can vary one field at a time.
    const BASE: [&str; 27] = [
        OWNER,
        "amzn-s3-demo-bucket1",
        "[06/Feb/2019:00:00:38 +0000]",
        "192.0.2.3",
        OWNER,
        "3E57427F3EXAMPLE",
        "REST.GET.VERSIONING",
        "-",
        "\"GET /amzn-s3-demo-bucket1?versioning HTTP/1.1\"",
        "200",
        "-",
        "113",
        "-",
        "7",
        "-",
        "\"-\"",
        "\"S3Console/0.4\"",
        "-",
        HOST_ID,
        "SigV4",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "AuthHeader",
        "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com",
        "TLSV1.2",
        AP_ARN,
        "Yes",
        "us-east-1",
    ];

    fn line_with(changes: &[(Field, &str)]) -> String {
        let mut fields = BASE;
        for &(f, value) in changes {
            fields[f as usize] = value;
        }
        fields.join(" ")
    }

    fn text(value: Option<&[u8]>) -> Option<&str> {
        value.map(|b| std::str::from_utf8(b).expect("test values are UTF-8"))
    }

    fn json(line: &str) -> serde_json::Value {
        serde_json::to_value(parse(line.as_bytes()).expect("parses")).expect("serializes")
    }

    proptest::proptest! {
        #[test]
        fn spaces_are_found_as_a_byte_search_finds_them(
            line in proptest::collection::vec(proptest::sample::select(vec![b' ', b'a', b'"', 0xa0, 0x00, 0x1f, 0x21, 0xff]), 0..300),
            steps in proptest::collection::vec(0usize..320, 1..20),
        ) {
            let mut spaces = Spaces::new(&line);
            for from in steps {
                let naive = line.iter().skip(from).position(|&b| b == b' ').map(|i| from + i);
                proptest::prop_assert_eq!(spaces.next(from), naive);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn the_portable_space_mask_agrees(word: [u8; 8], spaces: [bool; 8]) {
            let word = word.map(|b| if b == b' ' { b'x' } else { b });
            let mut bytes = word;
            for (b, s) in bytes.iter_mut().zip(spaces) {
                if s { *b = b' '; }
            }
            let want = spaces.iter().enumerate().fold(0u8, |m, (i, &s)| m | (u8::from(s) << i));
            proptest::prop_assert_eq!(spaces_in_word(u64::from_le_bytes(bytes)), want);
        }
    }

    /// A field's value as a test writes it: null, or text (printable ASCII), with
    /// quotes, spaces and dashes in the awkward places.
    fn awkward_value() -> impl Strategy<Value = Option<String>> {
        let awkward = [
            "",
            " ",
            " -",
            "- ",
            "\"",
            "\"\"",
            "a\"b",
            "\"-\"",
            "x \"y\" z",
            "\"x",
            "x\"",
            "[x]",
            "-x",
            "--",
        ];
        prop_oneof![
            Just(None),
            "[!-~]{1,10}".prop_map(Some),
            "[ -~]{0,16}".prop_map(Some),
            proptest::sample::select(awkward.to_vec()).prop_map(|s| Some(s.to_string())),
        ]
        // `-` is how null is written; `" ` inside a quoted value would end it: AWS
        // writes neither as a value.
        .prop_filter("representable", |v| {
            v.as_deref().is_none_or(|v| v != "-" && !v.contains("\" "))
        })
    }

    /// The value as S3 writes it: `-` for null, quoted when it holds a space, is empty,
    /// or starts with a quote or bracket.
    fn render(value: &Option<String>) -> String {
        match value.as_deref() {
            None => "-".into(),
            Some(v) if v.is_empty() || v.contains(' ') || v.starts_with(['"', '[']) => format!("\"{v}\""),
            Some(v) => v.into(),
        }
    }

    proptest! {
        #[test]
        fn rendered_records_parse_back_to_the_same_fields(
            values in vec(awkward_value(), FIELDS),
            integers in vec(proptest::option::of(any::<u64>()), INTEGERS.len()),
            status in proptest::option::of(any::<u16>()),
            seconds in 86_400i64..253_370_000_000,
            offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59),
            count in MIN_FIELDS..=FIELDS,
            extras in vec("[!-~]{1,8}", 0..3),
        ) {
            let offset = jiff::tz::Offset::from_seconds(offset_minutes * 60).unwrap();
            let time = jiff::Timestamp::from_second(seconds).unwrap();
            let zoned = time.to_zoned(jiff::tz::TimeZone::fixed(offset));
            prop_assume!((1..=9998).contains(&zoned.year()));
            let mut values = values;
            // AWS never quotes the version id (the user agent's end is found by it).
            values[Field::VersionId as usize] = values[Field::VersionId as usize]
                .take()
                .filter(|v| !v.is_empty() && !v.contains([' ', '"']) && !v.starts_with('['));
            let mut fields: Vec<String> = values.iter().map(render).collect();
            fields[TIME] = format!("[{}]", zoned.strftime("%d/%b/%Y:%H:%M:%S %z"));
            for (slot, f) in INTEGERS.iter().enumerate() {
                let n = if *f == Field::HttpStatus { status.map(u64::from) } else { integers[slot] };
                fields[*f as usize] = n.map_or("-".into(), |n| n.to_string());
            }
            let extras: Vec<String> = extras.into_iter().filter(|e| !e.starts_with('"')).collect();
            let with_extras = count == FIELDS && !extras.is_empty();
            let mut line = fields[..count].join(" ");
            if with_extras {
                line = format!("{line} {}", extras.join(" "));
            }
            let record = parse(line.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}: {line}")))?;
            prop_assert_eq!(record.time(), seconds);
            for f in Field::ALL.iter().copied().take(count) {
                match f.integer_slot() {
                    Some(_) if f == Field::HttpStatus => prop_assert_eq!(record.integer(f), status.map(u64::from)),
                    Some(slot) => prop_assert_eq!(record.integer(f), integers[slot]),
                    None if f == Field::Time => {}
                    None => prop_assert_eq!(text(record.get(f)), values[f as usize].as_deref(), "{:?} in {}", f, line),
                }
            }
            for f in Field::ALL.iter().copied().skip(count) {
                prop_assert_eq!(record.get(f), None);
            }
            let got: Vec<&[u8]> = record.extra_fields().collect();
            let want: Vec<&[u8]> = if with_extras { extras.iter().map(|e| e.as_bytes()).collect() } else { vec![] };
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn reject_reasons_are_stable_words() {
        let all = [
            Reject::BlankLine,
            Reject::TooFewFields,
            Reject::BadTime,
            Reject::UnterminatedQuote,
            Reject::BadInteger,
            Reject::LineTooLong,
        ];
        let reasons: Vec<_> = all.iter().map(|r| r.reason()).collect();
        assert_eq!(
            reasons,
            [
                "blank_line",
                "too_few_fields",
                "bad_time",
                "unterminated_quote",
                "bad_integer",
                "line_too_long"
            ]
        );
        assert_eq!(
            Reject::TooFewFields.to_string(),
            "fewer than the 18 fields of the oldest layout"
        );
        let mut shown: Vec<_> = all.iter().map(|r| r.to_string()).collect();
        shown.sort();
        shown.dedup();
        assert_eq!(shown.len(), all.len());
    }

    #[test]
    fn field_names_follow_the_spec_in_log_order() {
        let names: Vec<_> = Field::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(
            names.join(" "),
            "bucket_owner bucket time remote_ip requester request_id operation key \
             request_uri http_status error_code bytes_sent object_size total_time \
             turn_around_time referer user_agent version_id host_id signature_version \
             cipher_suite authentication_type host_header tls_version access_point_arn \
             acl_required source_region"
        );
        for (i, f) in Field::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
    }

    #[test]
    fn blank_lines() {
        for line in ["", " ", "    ", "\r", "  \r", " \r\r "] {
            assert_eq!(parse(line.as_bytes()).err(), Some(Reject::BlankLine), "{line:?}");
        }
    }

    #[test]
    fn lines_over_the_longest_are_too_long_whatever_they_hold() {
        let valid = BASE.join(" ");
        let pad = |n: usize, with: &str| format!("{valid}{}", with.repeat(n - valid.len()));
        assert!(parse(pad(LONGEST_LINE, " ").as_bytes()).is_ok());
        for line in [
            pad(LONGEST_LINE + 1, " "),
            pad(LONGEST_LINE + 1, "\r"),
            " ".repeat(LONGEST_LINE + 1),
        ] {
            assert_eq!(parse(line.as_bytes()).err(), Some(Reject::LineTooLong));
        }
    }

    #[test]
    fn fewer_than_18_fields_is_too_few() {
        let seventeen = BASE[..17].join(" ");
        assert_eq!(parse(seventeen.as_bytes()).err(), Some(Reject::TooFewFields));
        assert_eq!(parse(b"hello").err(), Some(Reject::TooFewFields));
        assert_eq!(parse(b"a b").err(), Some(Reject::TooFewFields));
        // Quoted spaces do not make fields.
        let quoted = format!("{} \"x y z\"", BASE[..16].join(" "));
        assert_eq!(parse(quoted.as_bytes()).err(), Some(Reject::TooFewFields));
    }

    #[test]
    fn the_oldest_layout_has_18_fields_and_the_rest_are_null() {
        let line = BASE[..18].join(" ");
        let rec = parse(line.as_bytes()).expect("18 fields parse");
        assert_eq!(text(rec.get(Field::UserAgent)), Some("S3Console/0.4"));
        for f in &Field::ALL[17..] {
            assert_eq!(rec.get(*f), None, "{}", f.name());
        }
        assert_eq!(rec.extra_fields().count(), 0);
        let value = json(&line);
        assert!(value["host_id"].is_null() && value["source_region"].is_null());
        assert_eq!(value["extra_fields"], serde_json::json!([]));
    }

    #[test]
    fn spaces_and_carriage_returns_around_fields_are_not_fields() {
        let base = line_with(&[]);
        let plain = parse(base.as_bytes()).expect("base parses");
        let messy = format!("  {} \r", BASE.join("   "));
        let rec = parse(messy.as_bytes()).expect("messy parses");
        for f in Field::ALL {
            assert_eq!(rec.get(f), plain.get(f), "{}", f.name());
        }
        assert_eq!(rec.extra_fields().count(), 0);
        // A tab is an ordinary byte, not a separator.
        let tab = line_with(&[(Field::Key, "a\tb")]);
        assert_eq!(text(parse(tab.as_bytes()).expect("parses").key()), Some("a\tb"));
    }

    #[test]
    fn quoted_fields_hold_spaces_and_quotes() {
        let line = line_with(&[
            (Field::RequestUri, "\"GET /a b?c=\"d\"&e HTTP/1.1\""),
            (Field::Referer, "\"\""),
            (Field::UserAgent, "\"\"Mozilla/5.0 (X; \"Y\") Z\""),
            (Field::Key, "\"-\""),
            (Field::HttpStatus, "\"200\""),
            (Field::BytesSent, "\"-\""),
        ]);
        let rec = parse(line.as_bytes()).expect("parses");
        assert_eq!(
            text(rec.get(Field::RequestUri)),
            Some("GET /a b?c=\"d\"&e HTTP/1.1")
        );
        assert_eq!(text(rec.query()), Some("c=\"d\"&e"));
        assert_eq!(text(rec.get(Field::Referer)), Some(""));
        assert_eq!(
            text(rec.get(Field::UserAgent)),
            Some("\"Mozilla/5.0 (X; \"Y\") Z")
        );
        assert_eq!(rec.key(), None);
        assert_eq!(rec.http_status(), Some(200));
        assert_eq!(rec.integer(Field::BytesSent), None);
        // A quote not followed by a space does not close the field.
        let inner = line_with(&[(Field::Referer, "\"a\"b c\"")]);
        let rec = parse(inner.as_bytes()).expect("parses");
        assert_eq!(text(rec.get(Field::Referer)), Some("a\"b c"));
    }

    #[test]
    fn a_quote_then_a_space_inside_a_quoted_field_does_not_shift_later_fields() {
        let line = line_with(&[(Field::UserAgent, "\"Mozilla \"Foo\" Bar\"")]);
        let rec = parse(line.as_bytes()).expect("parses");
        assert_eq!(text(rec.get(Field::UserAgent)), Some("Mozilla \"Foo\" Bar"));
        let plain = line_with(&[]);
        let base = parse(plain.as_bytes()).expect("parses");
        for f in [
            Field::VersionId,
            Field::HostId,
            Field::TlsVersion,
            Field::SourceRegion,
        ] {
            assert_eq!(rec.get(f), base.get(f), "{f:?} kept its place");
        }
        assert_eq!(rec.extra_fields().count(), 0);
        // In the request URI it is not guessed at: the shifted status rejects the line.
        let uri = line_with(&[(Field::RequestUri, "\"GET /brb/c?q=\"a\" b HTTP/1.1\"")]);
        assert_eq!(parse(uri.as_bytes()).err(), Some(Reject::BadInteger));
    }

    #[test]
    fn a_quote_that_never_closes_is_rejected() {
        let core = format!("{} \"S3Console/0.4 - abc", BASE[..16].join(" "));
        assert_eq!(parse(core.as_bytes()).err(), Some(Reject::UnterminatedQuote));
        let extra = format!("{} \"never closed", line_with(&[]));
        assert_eq!(parse(extra.as_bytes()).err(), Some(Reject::UnterminatedQuote));
        let lone = format!("{} \"", line_with(&[]));
        assert_eq!(parse(lone.as_bytes()).err(), Some(Reject::UnterminatedQuote));
    }

    #[test]
    fn bad_times_are_rejected() {
        let bad = [
            "06/Feb/2019:00:00:38",
            "-",
            "\"[06/Feb/2019:00:00:38 +0000]\"",
            "[31/Feb/2019:00:00:38 +0000]",
            "[29/Feb/2019:00:00:38 +0000]",
            "[29/Feb/1900:00:00:38 +0000]",
            "[31/Apr/2019:00:00:38 +0000]",
            "[00/Feb/2019:00:00:38 +0000]",
            "[06/Feb/2019:24:00:00 +0000]",
            "[06/Feb/2019:00:60:00 +0000]",
            "[06/Feb/2019:00:00:60 +0000]",
            "[06/feb/2019:00:00:38 +0000]",
            "[06/FEB/2019:00:00:38 +0000]",
            "[6/Feb/2019:00:00:38 +0000]",
            "[06/Feb/19:00:00:38 +0000]",
            "[06/Feb/0000:00:00:38 +0000]",
            "[06/Feb/9999:00:00:38 +0000]",
            "[06/Feb/2019:00:00:38 +2400]",
            "[06/Feb/2019:00:00:38 +0060]",
            "[06/Feb/2019:00:00:38 0000]",
            "[06/Feb/2019:00:00:38 *0000]",
            "[06/Feb/2019:00:00:38 +00:00]",
            "[06/Feb/2019:00:00:38.123 +0000]",
            "[06/Feb/2019:00:00:38 +0000 ]",
            "[06/Feb/2019:00:00:38 +0000]x",
            "[06/Feb/2019:00:00:38  +0000]",
            "[2019-02-06T00:00:38Z]",
            "[]",
        ];
        for time in bad {
            let line = line_with(&[(Field::Time, time)]);
            assert_eq!(parse(line.as_bytes()).err(), Some(Reject::BadTime), "{time}");
        }
        let open = format!("{} [06/Feb/2019:00:00:38 +0000", BASE[..2].join(" "));
        assert_eq!(parse(open.as_bytes()).err(), Some(Reject::BadTime));
    }

    #[test]
    fn offsets_are_applied_to_get_utc() {
        let at = |time: &str| {
            let line = line_with(&[(Field::Time, time)]);
            let rec = parse(line.as_bytes()).expect("valid time");
            (rec.time(), json(&line)["time"].as_str().map(str::to_owned))
        };
        let utc = 1_549_411_238;
        assert_eq!(at("[06/Feb/2019:00:00:38 +0000]").0, utc);
        assert_eq!(at("[06/Feb/2019:00:00:38 -0000]").0, utc);
        assert_eq!(at("[06/Feb/2019:00:00:38 -0700]").0, utc + 7 * 3600);
        assert_eq!(at("[06/Feb/2019:00:00:38 +0545]").0, utc - (5 * 3600 + 45 * 60));
        assert_eq!(
            at("[01/Jan/2020:00:30:00 +0100]").1.as_deref(),
            Some("2019-12-31T23:30:00Z")
        );
        assert_eq!(
            at("[29/Feb/2000:23:59:59 -2359]").1.as_deref(),
            Some("2000-03-01T23:58:59Z")
        );
        assert_eq!(at("[01/Jan/1970:00:00:00 +0000]").0, 0);
        assert_eq!(
            at("[01/Jan/0001:00:00:00 +2359]").1.as_deref(),
            Some("0000-12-31T00:01:00Z")
        );
        assert_eq!(
            at("[31/Dec/9998:23:59:59 -2359]").1.as_deref(),
            Some("9999-01-01T23:58:59Z")
        );
    }

    #[test]
    fn the_time_field_reads_as_its_bracket_contents() {
        let line = line_with(&[]);
        let rec = parse(line.as_bytes()).expect("parses");
        assert_eq!(text(rec.get(Field::Time)), Some("06/Feb/2019:00:00:38 +0000"));
    }

    #[test]
    fn integer_fields_are_dash_or_unsigned_in_range() {
        let status = |v: &str| {
            let line = line_with(&[(Field::HttpStatus, v)]);
            parse(line.as_bytes()).map(|r| r.http_status())
        };
        assert_eq!(status("65535"), Ok(Some(65535)));
        assert_eq!(status("-"), Ok(None));
        assert_eq!(status("0200"), Ok(Some(200)));
        for bad in ["65536", "70000", "abc", "20x", "+200", "-1", "\"\"", "\"2 00\""] {
            assert_eq!(status(bad).err(), Some(Reject::BadInteger), "{bad}");
        }
        let size = |v: &str| {
            let line = line_with(&[(Field::ObjectSize, v)]);
            parse(line.as_bytes()).map(|r| r.integer(Field::ObjectSize))
        };
        assert_eq!(size(&u64::MAX.to_string()), Ok(Some(u64::MAX)));
        assert_eq!(size("0"), Ok(Some(0)));
        assert_eq!(size("18446744073709551616").err(), Some(Reject::BadInteger));
        for f in [Field::BytesSent, Field::TotalTime, Field::TurnAroundTime] {
            let line = line_with(&[(f, "1.5")]);
            assert_eq!(parse(line.as_bytes()).err(), Some(Reject::BadInteger));
        }
        let line = line_with(&[]);
        let rec = parse(line.as_bytes()).expect("parses");
        assert_eq!(rec.integer(Field::Key), None);
        assert_eq!(rec.integer(Field::Time), None);
        assert_eq!(rec.integer(Field::TotalTime), Some(7));
    }

    #[test]
    fn reasons_follow_the_documented_order() {
        // Unterminated quote before field count; count before time; time before integers.
        let short_open = format!("{} \"abc", BASE[..5].join(" "));
        assert_eq!(
            parse(short_open.as_bytes()).err(),
            Some(Reject::UnterminatedQuote)
        );
        let short_bad_time = format!("a b c {}", BASE[3..10].join(" "));
        assert_eq!(parse(short_bad_time.as_bytes()).err(), Some(Reject::TooFewFields));
        let both = line_with(&[(Field::Time, "[x]"), (Field::HttpStatus, "x")]);
        assert_eq!(parse(both.as_bytes()).err(), Some(Reject::BadTime));
    }

    #[test]
    fn query_is_the_request_targets_query_string() {
        let cases = [
            (
                "\"GET /b/k?learner_id=7&tz=UTC HTTP/1.1\"",
                Some("learner_id=7&tz=UTC"),
            ),
            ("\"GET /b/k HTTP/1.1\"", None),
            ("\"GET /b/k? HTTP/1.1\"", Some("")),
            ("\"GET /b/k?a=1#frag HTTP/1.1\"", Some("a=1")),
            ("\"GET /b/k?a=1?b=2 HTTP/1.1\"", Some("a=1?b=2")),
            ("\"GET /b/k?a=x y HTTP/1.1\"", Some("a=x y")),
            ("\"GET /b/k?a=HTTP/1.1\"", Some("a=HTTP/1.1")),
            ("\"GET /b/k?a=1\"", Some("a=1")),
            ("\"/b/k?a=1 HTTP/1.1\"", Some("a=1")),
            ("\"/b/k?a=1\"", Some("a=1")),
            ("\"-\"", None),
            ("-", None),
            ("\"\"", None),
        ];
        for (uri, want) in cases {
            let line = line_with(&[(Field::RequestUri, uri)]);
            let rec = parse(line.as_bytes()).expect("parses");
            assert_eq!(text(rec.query()), want, "{uri}");
        }
    }

    #[test]
    fn fields_after_the_27th_are_extras() {
        let line = format!("{} \"a b\" - \"-\" x\"y ", line_with(&[]));
        let rec = parse(line.as_bytes()).expect("parses");
        let extras: Vec<_> = rec.extra_fields().map(|v| text(Some(v))).collect();
        assert_eq!(extras, [Some("a b"), Some("-"), Some("-"), Some("x\"y")]);
        assert_eq!(text(rec.get(Field::SourceRegion)), Some("us-east-1"));
        assert_eq!(
            json(&line)["extra_fields"],
            serde_json::json!(["a b", null, null, "x\"y"])
        );
    }

    #[test]
    fn json_has_every_field_in_order() {
        let want = concat!(
            r#"{"bucket_owner":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be","#,
            r#""bucket":"amzn-s3-demo-bucket1","time":"2019-02-06T00:00:38Z","#,
            r#""remote_ip":"192.0.2.3","#,
            r#""requester":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be","#,
            r#""request_id":"3E57427F3EXAMPLE","operation":"REST.GET.VERSIONING","key":null,"#,
            r#""request_uri":"GET /amzn-s3-demo-bucket1?versioning HTTP/1.1","http_status":200,"#,
            r#""error_code":null,"bytes_sent":113,"object_size":null,"total_time":7,"#,
            r#""turn_around_time":null,"referer":null,"user_agent":"S3Console/0.4","#,
            r#""version_id":null,"#,
            r#""host_id":"s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=","#,
            r#""signature_version":"SigV4","cipher_suite":"ECDHE-RSA-AES128-GCM-SHA256","#,
            r#""authentication_type":"AuthHeader","#,
            r#""host_header":"amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com","#,
            r#""tls_version":"TLSV1.2","#,
            r#""access_point_arn":"arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP","#,
            r#""acl_required":"Yes","source_region":"us-east-1","extra_fields":[]}"#,
        );
        let line = line_with(&[]);
        let rec = parse(line.as_bytes()).expect("parses");
        assert_eq!(serde_json::to_string(&rec).expect("serializes"), want);
    }

    #[test]
    fn non_utf8_bytes_are_kept_raw_and_replaced_in_json() {
        let mut line = line_with(&[(Field::Key, "K")]).into_bytes();
        let at = line.iter().position(|&b| b == b'K').expect("marker");
        line.splice(at..=at, [b'a', 0xff, 0xfe, b'b']);
        let rec = parse(&line).expect("parses");
        assert_eq!(rec.key(), Some(&[b'a', 0xff, 0xfe, b'b'][..]));
        let value = serde_json::to_value(&rec).expect("serializes");
        assert_eq!(value["key"], "a\u{fffd}\u{fffd}b");
    }

    /// What the upstream suites expect of one sample line, in our conventions.
    #[derive(Clone, Copy)]
    struct Want {
        time: i64,
        utc: &'static str,
        bucket_owner: Option<&'static str>,
        bucket: Option<&'static str>,
        remote_ip: Option<&'static str>,
        requester: Option<&'static str>,
        request_id: Option<&'static str>,
        operation: Option<&'static str>,
        key: Option<&'static str>,
        request_uri: Option<&'static str>,
        http_status: Option<u16>,
        error_code: Option<&'static str>,
        bytes_sent: Option<u64>,
        object_size: Option<u64>,
        total_time: Option<u64>,
        turn_around_time: Option<u64>,
        referer: Option<&'static str>,
        user_agent: Option<&'static str>,
        version_id: Option<&'static str>,
        host_id: Option<&'static str>,
        signature_version: Option<&'static str>,
        cipher_suite: Option<&'static str>,
        authentication_type: Option<&'static str>,
        host_header: Option<&'static str>,
        tls_version: Option<&'static str>,
        access_point_arn: Option<&'static str>,
        acl_required: Option<&'static str>,
        source_region: Option<&'static str>,
        extra: &'static [&'static str],
        query: Option<&'static str>,
    }

    const NULLS: Want = Want {
        time: 0,
        utc: "",
        bucket_owner: None,
        bucket: None,
        remote_ip: None,
        requester: None,
        request_id: None,
        operation: None,
        key: None,
        request_uri: None,
        http_status: None,
        error_code: None,
        bytes_sent: None,
        object_size: None,
        total_time: None,
        turn_around_time: None,
        referer: None,
        user_agent: None,
        version_id: None,
        host_id: None,
        signature_version: None,
        cipher_suite: None,
        authentication_type: None,
        host_header: None,
        tls_version: None,
        access_point_arn: None,
        acl_required: None,
        source_region: None,
        extra: &[],
        query: None,
    };

    impl Want {
        fn check(&self, id: &str, line: &[u8]) {
            let rec = parse(line).unwrap_or_else(|e| panic!("{id}: {e}"));
            let texts = [
                (Field::BucketOwner, self.bucket_owner),
                (Field::Bucket, self.bucket),
                (Field::RemoteIp, self.remote_ip),
                (Field::Requester, self.requester),
                (Field::RequestId, self.request_id),
                (Field::Operation, self.operation),
                (Field::Key, self.key),
                (Field::RequestUri, self.request_uri),
                (Field::ErrorCode, self.error_code),
                (Field::Referer, self.referer),
                (Field::UserAgent, self.user_agent),
                (Field::VersionId, self.version_id),
                (Field::HostId, self.host_id),
                (Field::SignatureVersion, self.signature_version),
                (Field::CipherSuite, self.cipher_suite),
                (Field::AuthenticationType, self.authentication_type),
                (Field::HostHeader, self.host_header),
                (Field::TlsVersion, self.tls_version),
                (Field::AccessPointArn, self.access_point_arn),
                (Field::AclRequired, self.acl_required),
                (Field::SourceRegion, self.source_region),
            ];
            for (f, want) in texts {
                assert_eq!(text(rec.get(f)), want, "{id} {}", f.name());
            }
            let ints = [
                (Field::BytesSent, self.bytes_sent),
                (Field::ObjectSize, self.object_size),
                (Field::TotalTime, self.total_time),
                (Field::TurnAroundTime, self.turn_around_time),
            ];
            for (f, want) in ints {
                assert_eq!(rec.integer(f), want, "{id} {}", f.name());
            }
            assert_eq!(rec.http_status(), self.http_status, "{id} http_status");
            assert_eq!(rec.time(), self.time, "{id} time");
            let extras: Vec<_> = rec.extra_fields().map(|v| text(Some(v))).collect();
            let want_extras: Vec<_> = self.extra.iter().map(|v| Some(*v)).collect();
            assert_eq!(extras, want_extras, "{id} extra_fields");
            assert_eq!(text(rec.query()), self.query, "{id} query");
            let value = serde_json::to_value(&rec).expect("serializes");
            assert_eq!(value["time"], self.utc, "{id} time as RFC 3339");
            assert_eq!(
                value["extra_fields"].as_array().map(Vec::len),
                Some(self.extra.len())
            );
        }
    }

    /// Every sample line with the upstream-expected values (s3_access_log_expected.md).
    /// Ours differ from upstream by convention only: `-` and `"-"` are null where some
    /// parsers keep the dash or map it to 0, quotes are stripped, values are not
    /// normalised (TLS version, acl_required), times are unix seconds.
    #[test]
    fn samples_parse_with_upstream_expected_values() {
        const AWS_01: Want = Want {
            time: 1_549_411_238,
            utc: "2019-02-06T00:00:38Z",
            bucket_owner: Some(OWNER),
            bucket: Some("DOC-EXAMPLE-BUCKET1"),
            remote_ip: Some("192.0.2.3"),
            requester: Some(OWNER),
            request_id: Some("3E57427F3EXAMPLE"),
            operation: Some("REST.GET.VERSIONING"),
            request_uri: Some("GET /DOC-EXAMPLE-BUCKET1?versioning HTTP/1.1"),
            http_status: Some(200),
            bytes_sent: Some(113),
            total_time: Some(7),
            user_agent: Some("S3Console/0.4"),
            host_id: Some(HOST_ID),
            signature_version: Some("SigV4"),
            cipher_suite: Some("ECDHE-RSA-AES128-GCM-SHA256"),
            authentication_type: Some("AuthHeader"),
            host_header: Some("DOC-EXAMPLE-BUCKET1.s3.us-west-1.amazonaws.com"),
            tls_version: Some("TLSV1.2"),
            access_point_arn: Some(AP_ARN),
            acl_required: Some("Yes"),
            query: Some("versioning"),
            ..NULLS
        };
        const AWS_02: Want = Want {
            request_id: Some("891CE47D2EXAMPLE"),
            operation: Some("REST.GET.LOGGING_STATUS"),
            request_uri: Some("GET /DOC-EXAMPLE-BUCKET1?logging HTTP/1.1"),
            bytes_sent: Some(242),
            total_time: Some(11),
            host_id: Some("9vKBE6vMhrNiWHZmb2L0mXOcqPGzQOI5XLnCtZNPxev+Hf+7tpT6sxDwDty4LHBUOZJG96N1234="),
            access_point_arn: None,
            acl_required: None,
            query: Some("logging"),
            ..AWS_01
        };
        const AWS_03: Want = Want {
            request_id: Some("A1206F460EXAMPLE"),
            operation: Some("REST.GET.BUCKETPOLICY"),
            request_uri: Some("GET /DOC-EXAMPLE-BUCKET1?policy HTTP/1.1"),
            http_status: Some(404),
            error_code: Some("NoSuchBucketPolicy"),
            bytes_sent: Some(297),
            total_time: Some(38),
            host_id: Some("BNaBsXZQQDbssi6xMBdBU2sLt+Yf5kZDmeBUP35sFoKa3sLLeMC78iwEIWxs99CRUrbS4n11234="),
            access_point_arn: None,
            // The line ends "Yes " with a trailing space: still "Yes", no extra field.
            acl_required: Some("Yes"),
            query: Some("policy"),
            ..AWS_01
        };
        const AWS_04: Want = Want {
            time: 1_549_411_260,
            utc: "2019-02-06T00:01:00Z",
            request_id: Some("7B4A0FABBEXAMPLE"),
            total_time: Some(33),
            host_id: Some("Ke1bUcazaN1jWuUlPJaxF64cQVpUEhoZKEG/hmy/gijN/I1DeWqDfFvnpybfEseEME/u7ME1234="),
            access_point_arn: None,
            acl_required: None,
            ..AWS_01
        };
        const AWS_05: Want = Want {
            time: 1_549_411_317,
            utc: "2019-02-06T00:01:57Z",
            request_id: Some("DD6CC733AEXAMPLE"),
            operation: Some("REST.PUT.OBJECT"),
            key: Some("s3-dg.pdf"),
            request_uri: Some("PUT /DOC-EXAMPLE-BUCKET1/s3-dg.pdf HTTP/1.1"),
            bytes_sent: None,
            object_size: Some(4_406_583),
            total_time: Some(41_754),
            turn_around_time: Some(28),
            host_id: Some("10S62Zv81kBW7BB6SX4XJ48o6kpcl6LPwEoizZQQxJd5qDSCTLX0TgS37kYUBKQW3+bPdrg1234="),
            cipher_suite: Some("ECDHE-RSA-AES128-SHA"),
            access_point_arn: None,
            query: None,
            ..AWS_01
        };
        const AWSNEW_01: Want = Want {
            bucket: Some("amzn-s3-demo-bucket1"),
            request_uri: Some("GET /amzn-s3-demo-bucket1?versioning HTTP/1.1"),
            host_header: Some("amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com"),
            source_region: Some("us-east-1"),
            ..AWS_01
        };
        const AWSNEW_02: Want = Want {
            bucket: Some("amzn-s3-demo-bucket1"),
            request_uri: Some("GET /amzn-s3-demo-bucket1?logging HTTP/1.1"),
            host_header: Some("amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com"),
            source_region: Some("us-east-1"),
            ..AWS_02
        };
        // Legacy logstash keeps the key's `-`, and referer/agent with their quotes
        // (`"-"`, `"S3Console/0.4"`); ours: null and stripped.
        const LS_01: Want = Want {
            time: 1_391_644_838,
            utc: "2014-02-06T00:00:38Z",
            bucket_owner: Some("79a5"),
            bucket: Some("mybucket"),
            remote_ip: Some("192.0.2.3"),
            requester: Some("79a5"),
            request_id: Some("3E57427F3EXAMPLE"),
            operation: Some("REST.GET.VERSIONING"),
            request_uri: Some("GET /mybucket?versioning HTTP/1.1"),
            http_status: Some(200),
            bytes_sent: Some(113),
            total_time: Some(7),
            user_agent: Some("S3Console/0.4"),
            query: Some("versioning"),
            ..NULLS
        };
        const LS_02: Want = Want {
            time: 1_399_881_241,
            utc: "2014-05-12T07:54:01Z",
            remote_ip: Some("10.0.1.2"),
            requester: None,
            request_id: Some("7ACC4BE89EXAMPLE"),
            operation: Some("REST.GET.OBJECT"),
            key: Some("foo/bar.html"),
            request_uri: Some("GET /foo/bar.html HTTP/1.1"),
            http_status: Some(304),
            bytes_sent: None,
            object_size: Some(1718),
            total_time: Some(10),
            user_agent: Some("Mozilla/5.0"),
            query: None,
            ..LS_01
        };
        const LS_03: Want = Want {
            time: 1_549_411_238,
            utc: "2019-02-06T00:00:38Z",
            bucket_owner: Some(OWNER),
            bucket: Some("awsexamplebucket1"),
            remote_ip: Some("192.0.2.3"),
            requester: Some("arn:aws:iam::123456:user/test@elastic.co"),
            request_id: Some("A1206F460EXAMPLE"),
            operation: Some("REST.GET.BUCKETPOLICY"),
            request_uri: Some("GET /awsexamplebucket1?policy HTTP/1.1"),
            http_status: Some(404),
            error_code: Some("NoSuchBucketPolicy"),
            bytes_sent: Some(297),
            total_time: Some(38),
            turn_around_time: Some(12),
            user_agent: Some(
                "AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java/1.11.590 \
                 Linux/4.9.137-0.1.ac.218.74.329.metal1.x86_64",
            ),
            host_id: Some("BNaBsXZQQDbssi6xMBdBU2sLt+Yf5kZDmeBUP35sFoKa3sLLeMC78iwEIWxs99CRUrbS4n11234="),
            signature_version: Some("SigV2"),
            cipher_suite: Some("ECDHE-RSA-AES128-GCM-SHA256"),
            authentication_type: Some("AuthHeader"),
            host_header: Some("awsexamplebucket1.s3.us-west-1.amazonaws.com"),
            tls_version: Some("TLSV1.1"),
            query: Some("policy"),
            ..NULLS
        };
        // OpenTelemetry reads acl_required as the bool true; ours keeps "Yes".
        const OT_01: Want = Want {
            source_region: None,
            ..AWSNEW_01
        };
        // Upstream: a quoted "-" request URI means no method or URL; ours: null.
        const OT_02: Want = Want {
            request_uri: None,
            query: None,
            ..OT_01
        };
        // Upstream ignores the 28th field; ours keeps it. Upstream url.query "versioning"
        // and tls.protocol.version "1.2" (normalised); ours "TLSV1.2" as logged.
        const OT_03: Want = Want {
            extra: &["ExtraUnknownField"],
            ..AWSNEW_01
        };
        // Elastic: tls.version "1.2" (ours as logged), event.duration in ns
        // (17000000; ours total_time 17 ms), url.query as below.
        const EI_01: Want = Want {
            time: 1_564_619_081, // @timestamp 2019-08-01T00:24:41.000Z
            utc: "2019-08-01T00:24:41Z",
            bucket_owner: Some("36c1f05b76016b78528454e6e0c60e2b7ff7aa20c0a5e4c748276e5b0a2debd2"),
            bucket: Some("test-s3-ks"),
            remote_ip: Some("89.160.20.156"),
            requester: Some(
                "arn:aws:sts::123456:assumed-role/AWSServiceRoleForTrustedAdvisor/\
                 TrustedAdvisor_627959692251_784ab70b-8cc9-4d37-a2ec-2ff4d0c08af9",
            ),
            request_id: Some("44EE8651683CB4DA"),
            operation: Some("REST.GET.LOCATION"),
            request_uri: Some("GET /test-s3-ks/?location&aws-account=627959692251 HTTP/1.1"),
            http_status: Some(200),
            bytes_sent: Some(142),
            total_time: Some(17),
            user_agent: Some(
                "AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java/1.11.590 \
                 Linux/4.9.137-0.1.ac.218.74.329.metal1.x86_64 \
                 OpenJDK_64-Bit_Server_VM/25.212-b03 java/1.8.0_212 vendor/Oracle_Corporation",
            ),
            host_id: Some("BsCfJedfuSnds2QFoxi+E/O7M6OEWzJnw4dUaes/2hyA363sONRJKzB7EOY+Bt9DTHYUn+HoHxI="),
            signature_version: Some("SigV4"),
            cipher_suite: Some("ECDHE-RSA-AES128-SHA"),
            authentication_type: Some("AuthHeader"),
            host_header: Some("s3.ap-southeast-1.amazonaws.com"),
            tls_version: Some("TLSv1.2"),
            query: Some("location&aws-account=627959692251"),
            ..NULLS
        };
        const EI_03: Want = Want {
            time: 1_564_619_083, // 2019-08-01T00:24:43.000Z
            utc: "2019-08-01T00:24:43Z",
            request_id: Some("4DD6D17D1C5C401C"),
            operation: Some("REST.GET.BUCKET"),
            request_uri: Some(
                "GET /test-s3-ks/?max-keys=0&encoding-type=url&aws-account=627959692251 HTTP/1.1",
            ),
            bytes_sent: Some(265),
            total_time: Some(2),
            turn_around_time: Some(1),
            host_id: Some("KzvchfojYQnuFC4PABYVJVxIlv/f6r17LRaTSvw7x+bxj4PkkPKT1kX9x8wbqtq40iD4PC881iE="),
            query: Some("max-keys=0&encoding-type=url&aws-account=627959692251"),
            ..EI_01
        };
        // Bare unquoted `-` for request_uri, referer and user_agent: all null.
        const EI_05: Want = Want {
            time: 1_568_128_267, // 2019-09-10T15:11:07.000Z
            utc: "2019-09-10T15:11:07Z",
            bucket: Some("jsoriano-s3-test"),
            requester: Some("arn:aws:iam::123456:user/test@elastic.co"),
            request_id: Some("8CD7A4A71E2E5C9E"),
            operation: Some("BATCH.DELETE.OBJECT"),
            key: Some("jolokia-war-1.5.0.war"),
            request_uri: None,
            http_status: Some(204),
            bytes_sent: None,
            object_size: Some(344_017),
            total_time: None,
            user_agent: None,
            host_id: Some("IeDW5I3wefFxU8iHOcAzi5qr+O+1bdRlcQ0AO2WGjFh7JwYM6qCoKq+1TrUshrXMlBxPFtg97Vk="),
            host_header: Some("s3.eu-central-1.amazonaws.com"),
            query: None,
            ..EI_01
        };
        // The key stays URL-encoded: `+` is not decoded (as upstream).
        const EI_06: Want = Want {
            time: 1_568_912_799, // 2019-09-19T17:06:39.000Z
            utc: "2019-09-19T17:06:39Z",
            bucket: Some("test-s3-ks"),
            request_id: Some("6CE38F1312D32BDD"),
            key: Some("Screen+Shot+2019-09-09+at+9.08.44+AM.png"),
            object_size: Some(57_138),
            host_id: Some("LwRa4w6DbuU48GKQiH3jDbjfTyLCbwasFBsdttugRQ+9lH4jK8lT91+HhGZKMYI3sPyKuQ9LvU0="),
            host_header: Some("s3.ap-southeast-1.amazonaws.com"),
            ..EI_05
        };
        // Key and URI differ in the upstream fixture itself; both kept as logged.
        const EI_07: Want = Want {
            time: 1_626_289_051, // 2021-07-14T18:57:31.000Z
            utc: "2021-07-14T18:57:31Z",
            bucket_owner: Some("67797214d75628047d9c76b18a78cded1a4b069b71f2a9d5a53649c38da8770b"),
            bucket: Some("flow-log-test"),
            remote_ip: None,
            requester: Some("svc:delivery.logs.amazonaws.com"),
            request_id: Some("MVGXZXEVN3IG9S24"),
            operation: Some("REST.PUT.OBJECT"),
            key: Some(
                "AWSLogs/000000000000/vpcflowlogs/us-gov-east-1/2021/07/13/\
                 000000000000_vpcflowlogs_us-gov-east-1_fl-_20210713T1855Z_f12aa632.log.gz",
            ),
            request_uri: Some(
                "PUT /AWSLogs/000000000000/vpcflowlogs/us-gov-east-1/2021/07/13/\
                 000000000000_vpcflowlogs_us-gov-east-1_fl-0e7c13bf00cf15bfe_\
                 20210713T1855Z_f12aa632.log.gz HTTP/1.1",
            ),
            http_status: Some(200),
            bytes_sent: None,
            object_size: Some(773),
            total_time: Some(103), // event.duration 103000000 ns
            turn_around_time: Some(13),
            user_agent: None,
            host_id: Some(
                "02SxwfXpO5UysN0GsKGa3uGDQ6E/W7+Hwo/luRH8p1VEexULoe66RCM+nja0dEq2JqLrtgjocvVRRkVt4=",
            ),
            cipher_suite: Some("ECDHE-RSA-AES128-GCM-SHA256"),
            host_header: Some("flow-log-test.s3.us-gov-west-1.amazonaws.com"),
            query: None,
            ..EI_01
        };
        // Upstream field name `aws.s3access.point_arn` (sic); `aclrequired` "Yes".
        const EI_08: Want = Want {
            access_point_arn: Some(AP_ARN),
            acl_required: Some("Yes"),
            ..EI_07
        };
        const EI_09: Want = Want {
            http_status: None,
            access_point_arn: Some(AP_ARN),
            ..EI_07
        };
        // Upstream asserts request_uri as the literal string "-"; ours: null.
        const EI_10: Want = Want {
            time: 1_742_930_882, // 2025-03-25T19:28:02.000Z
            utc: "2025-03-25T19:28:02Z",
            bucket_owner: Some("b854390a51155554b82ce2759564a1135bce83133d004f4d2001f157e13985d7"),
            bucket: Some("flow-log-test"),
            requester: Some("AmazonS3"),
            request_id: Some("366DB3C4B325AB11"),
            operation: Some("S3.EXPIRE.OBJECT"),
            key: Some(
                "0/chum/_vars/logtests/PlannerModule/\
                 5f6ea3b7da96ab304a77225d5b2b2a55e54b74e4ddfdf14b9b1d853d77515b88_\
                 9febba22f08b11ef8cf6020058a9efab/2024/12/30/164700/kitt_189/\
                 _spcu_sride__state_svx__feature__flags.sst",
            ),
            object_size: Some(317),
            version_id: Some("qsEq9bDa2VyxyZ4cz0c7oBnF67VYTTij"),
            host_id: Some("DMlPb9al4CvVBck150CgpEIIYgtSI3HC/atetNVYwPtHZffW6jfpg+BrffhbT9/B"),
            ..NULLS
        };
        // cocoonlife maps `-` to 0 for object_size and turn_around_time; ours: null.
        const CO_01: Want = Want {
            bucket_owner: Some(OWNER),
            requester: Some(OWNER),
            host_id: Some("EXAfPIQ4LEOWDMQM+ey7A9XgZhWnQ2JMAXIFOURb7hASDFGH+Jd1vEXPLEAMa3Km="),
            signature_version: Some("SigV4"),
            cipher_suite: Some("ECDHE-RSA-AES128-GCM-SHA256"),
            authentication_type: Some("AuthHeader"),
            host_header: Some("bucket-name.s3.amazonaws.com"),
            tls_version: Some("TLSv1.2"),
            ..LS_01
        };
        // dandi asserts per-object timestamps as YYMMDDhhmmss and bytes_sent (`-` → 0).
        const DA_E01: Want = Want {
            time: 1_577_855_195, // 200101050635
            utc: "2020-01-01T05:06:35Z",
            bucket_owner: Some("8787a3c41bf7ce0d54359d9348ad5b08e16bd5bb8ae5aa4e1508b435773a066e"),
            bucket: Some("dandiarchive"),
            remote_ip: Some("192.0.2.0"),
            request_id: Some("J42N2W7ET0EC03CV"),
            operation: Some("REST.GET.OBJECT"),
            key: Some("blobs/100/4eb/1004eb73-e224-4c7c-b1f9-028d657b0f88"),
            request_uri: Some("GET /blobs/100/4eb/1004eb73-e224-4c7c-b1f9-028d657b0f88 HTTP/1.1"),
            http_status: Some(206),
            bytes_sent: Some(512),
            object_size: Some(171_408),
            total_time: Some(53),
            turn_around_time: Some(52),
            host_id: Some("DX8oFoKQx0o5V3lwEuWBxF5p2fSXrwINj0rnxmas0YgjWuPqYLK/vnW60Txh23K93aahe0IFw2c="),
            cipher_suite: Some("ECDHE-RSA-AES128-GCM-SHA256"),
            host_header: Some("dandiarchive.s3.amazonaws.com"),
            tls_version: Some("TLSv1.2"),
            ..NULLS
        };
        const DA_E02: Want = Want {
            time: 1_577_918_578, // 200101224258
            utc: "2020-01-01T22:42:58Z",
            request_id: Some("W3VJKP0HM8TV2N46"),
            key: Some("blobs/c01/c77/c01c77cc-5aa1-4002-ba66-f0ab5e6005c3"),
            request_uri: Some("GET /blobs/c01/c77/c01c77cc-5aa1-4002-ba66-f0ab5e6005c3 HTTP/1.1"),
            http_status: Some(200),
            bytes_sent: Some(1_526_223),
            object_size: Some(1_526_223),
            total_time: Some(61),
            turn_around_time: Some(55),
            user_agent: Some("git-annex/10.20220927-geb4a544"),
            version_id: Some("MwI7yXtui4mtwTeuZxHoT4qHap44j3T2"),
            host_id: Some("U4WvVRIYm+n+VYNArVY/+fjDV3PZesvSaclnyALtK7rsaZ/8sTq8H1JnNAyMj/xuitYxXNUCZ+U="),
            ..DA_E01
        };
        const DA_E03: Want = Want {
            time: 1_577_920_002, // 200101230642
            utc: "2020-01-01T23:06:42Z",
            request_id: Some("NWC7V1KE70QZYJ5Q"),
            key: Some("blobs/a02/aa6/a02aa67d-6fde-445d-b830-bb317a891a7a"),
            request_uri: Some(
                "GET /blobs/a02/aa6/a02aa67d-6fde-445d-b830-bb317a891a7a\
                 ?versionId=yn5YAJiwT36Rv78jGYLM71GZumWL.QWn HTTP/1.1",
            ),
            http_status: Some(200),
            bytes_sent: Some(1443),
            object_size: Some(1443),
            total_time: Some(35),
            turn_around_time: Some(35),
            user_agent: Some("git-annex/8.20211028-g1c76278"),
            version_id: Some("yn5YAJiwT36Rv78jGYLM71GZumWL.QWn"),
            host_id: Some("ojBg2QLVTSTWsCAe1HoC6IBNLUSPmWH276FdsedhZ/4CQ67DWuZQHcXXB9XUJxYKpnPHpJyBjMM="),
            query: Some("versionId=yn5YAJiwT36Rv78jGYLM71GZumWL.QWn"),
            ..DA_E01
        };
        const DA_E04: Want = Want {
            time: 1_578_546_395, // 200109050635
            utc: "2020-01-09T05:06:35Z",
            request_id: Some("TESTLOGENTRY001"),
            http_status: Some(200),
            bytes_sent: Some(1024),
            host_id: Some("FAKEHASHVALUE0000000000000000000001="),
            ..DA_E01
        };
        // The user agent is logged as `""Mozilla...36"`: the outer quotes go, the inner
        // leading quote stays. object_size needs more than 32 bits.
        const DA_H01: Want = Want {
            time: 1_649_214_353, // 220406030553
            utc: "2022-04-06T03:05:53Z",
            request_id: Some("5PCGX9WKFQMJH6FB"),
            key: Some("blobs/021/90b/02190bd2-4904-4f65-ae93-0822f0ea1e28"),
            request_uri: Some("GET /blobs/021/90b/02190bd2-4904-4f65-ae93-0822f0ea1e28 HTTP/1.1"),
            http_status: Some(200),
            bytes_sent: Some(6_616_308),
            object_size: Some(422_868_123_111),
            total_time: Some(205),
            turn_around_time: Some(35),
            user_agent: Some(
                "\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/67.0.3396.99 Safari/537.36",
            ),
            host_id: Some("A54Zaz7Sl0ygUFZ4lEOYCXHxImvTGXnvR+rr9+JcM/gceQWDObRkwnP9nO+wK70lpMaaE78SWvA="),
            ..DA_E01
        };
        const DA_H03: Want = Want {
            time: 1_712_419_820,
            utc: "2024-04-06T16:10:20Z",
            request_id: Some("FNA3VGASCWKR5MNR"),
            key: Some("zarr/2cae90ba-cfc5-4500-9f10-adf9533413ee/0/1/1/3"),
            request_uri: Some("GET /zarr/2cae90ba-cfc5-4500-9f10-adf9533413ee/0/1/1/3 HTTP/1.1"),
            http_status: Some(304),
            bytes_sent: None,
            object_size: Some(250_340),
            total_time: Some(9),
            turn_around_time: None,
            referer: Some("https://neuroglancer-demo.appspot.com/"),
            user_agent: Some(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/122.0.0.0 Safari/537.36",
            ),
            host_id: Some("1qTeefmpM7pUYhtFtIBchp/7fo6GH8wcuVRvij3qjzGd/hB/Q2eHLeVeXIv6lJn9tv+18hHYAkk="),
            cipher_suite: Some("TLS_AES_128_GCM_SHA256"),
            tls_version: Some("TLSv1.3"),
            ..DA_E01
        };
        const DA_H05: Want = Want {
            time: 1_699_912_516,
            utc: "2023-11-13T21:55:16Z",
            request_id: Some("5TB566JS2BNS9M26"),
            key: Some("blobs/915/1aa/9151aa34-ba0e-46e8-838d-bdddbb3c76c7"),
            request_uri: Some("GET /blobs/915/1aa/9151aa34-ba0e-46e8-838d-bdddbb3c76c7 HTTP/1.1"),
            http_status: Some(304),
            bytes_sent: None,
            object_size: Some(187_752),
            total_time: Some(22),
            turn_around_time: None,
            referer: Some("https://flatironinstitute.github.io/"),
            user_agent: Some(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36",
            ),
            host_id: Some("ex8lkds5vwcSRP3Pf4LgXX1npA1oAA5r1JY2UqRdraoIM1LaPm6Ulio5DPxa7dvXwquqXnEme+w="),
            ..DA_E01
        };
        // dandi bytes_sent "0" for the logged `-` (231113215516); ours: null.
        const DA_H06: Want = Want {
            key: Some("blobs/915/1aa/9151aa34-ba0e-46e8-838d-bddebb3c76c7"),
            request_uri: Some("GET /blobs/915/1aa/9151aa34-ba0e-46e8-838d-bddebb3c76c7 HTTP/1.1"),
            http_status: Some(200),
            object_size: Some(0),
            ..DA_H05
        };
        const DA_H08: Want = Want {
            time: 1_649_912_795, // 220414050635
            utc: "2022-04-14T05:06:35Z",
            request_id: Some("TESTLOGENTRY002"),
            bytes_sent: Some(3_308_153),
            user_agent: None,
            host_id: Some("FAKEHASHVALUE0000000000000000000002="),
            ..DA_H01
        };
        const DA_H09: Want = Want {
            time: 1_732_097_700, // 241120101500
            utc: "2024-11-20T10:15:00Z",
            request_id: Some("TESTLOGENTRY003"),
            key: Some("blobs/30a/9ff/30a9ffac-7c86-4323-b9d1-442860bbcaca"),
            request_uri: Some("GET /blobs/30a/9ff/30a9ffac-7c86-4323-b9d1-442860bbcaca HTTP/1.1"),
            http_status: Some(200),
            bytes_sent: Some(500_000),
            object_size: Some(9_045_012),
            total_time: Some(38),
            turn_around_time: Some(35),
            host_id: Some("FAKEHASHVALUE0000000000000000000003="),
            ..DA_E01
        };
        let wants = [
            ("S3-AWS-01", AWS_01),
            ("S3-AWS-02", AWS_02),
            ("S3-AWS-03", AWS_03),
            ("S3-AWS-04", AWS_04),
            ("S3-AWS-05", AWS_05),
            ("S3-AWSNEW-01", AWSNEW_01),
            ("S3-AWSNEW-02", AWSNEW_02),
            ("S3-LS-01", LS_01),
            ("S3-LS-02", LS_02),
            ("S3-LS-03", LS_03),
            ("S3-OT-01", OT_01),
            ("S3-OT-02", OT_02),
            ("S3-OT-03", OT_03),
            ("S3-EI-01", EI_01),
            ("S3-EI-03", EI_03),
            ("S3-EI-05", EI_05),
            ("S3-EI-06", EI_06),
            ("S3-EI-07", EI_07),
            ("S3-EI-08", EI_08),
            ("S3-EI-09", EI_09),
            ("S3-EI-10", EI_10),
            ("S3-CO-01", CO_01),
            ("S3-DA-E01", DA_E01),
            ("S3-DA-E02", DA_E02),
            ("S3-DA-E03", DA_E03),
            ("S3-DA-E04", DA_E04),
            ("S3-DA-H01", DA_H01),
            ("S3-DA-H03", DA_H03),
            ("S3-DA-H05", DA_H05),
            ("S3-DA-H06", DA_H06),
            ("S3-DA-H08", DA_H08),
            ("S3-DA-H09", DA_H09),
        ];
        let samples = sample_lines();
        let ids: Vec<_> = samples.iter().map(|(id, _)| id.as_str()).collect();
        let want_ids: Vec<_> = wants.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, want_ids, "every sample has expectations and vice versa");
        for ((id, line), (_, want)) in samples.iter().zip(&wants) {
            want.check(id, line);
        }
        assert_eq!(samples[5].1, line_with(&[]).as_bytes(), "BASE is S3-AWSNEW-01");

        // dandi's extractor keeps REST.GET.OBJECT lines with a 2xx status under blobs/
        // or zarr/; its expected output has exactly these lines.
        let kept: Vec<_> = samples
            .iter()
            .filter(|(id, _)| id.starts_with("S3-DA-"))
            .filter(|(_, line)| {
                let rec = parse(line).expect("parses");
                let key = rec.key().unwrap_or_default();
                rec.operation() == Some(b"REST.GET.OBJECT")
                    && rec.http_status().is_some_and(|s| (200..300).contains(&s))
                    && (key.starts_with(b"blobs/") || key.starts_with(b"zarr/"))
            })
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(
            kept,
            [
                "S3-DA-E01",
                "S3-DA-E02",
                "S3-DA-E03",
                "S3-DA-E04",
                "S3-DA-H01",
                "S3-DA-H06",
                "S3-DA-H08",
                "S3-DA-H09"
            ]
        );
    }

    /// `(id, raw line)` for each `# id:` in the samples file, in file order.
    fn sample_lines() -> Vec<(String, Vec<u8>)> {
        let file = std::fs::read(SAMPLES).expect("samples file beside the repo");
        let mut out = Vec::new();
        let mut id = None;
        for line in file.split(|&b| b == b'\n') {
            if let Some(rest) = line.strip_prefix(b"# id: ") {
                let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
                id = Some(String::from_utf8_lossy(&rest[..end]).into_owned());
            } else if !line.starts_with(b"#") && !line.is_empty() {
                out.push((id.take().expect("a line follows its # id:"), line.to_vec()));
            }
        }
        out
    }

    const MONTH_NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];

    /// jiff's reading of a time field's contents, as the oracle.
    fn jiff_seconds(contents: &str) -> Option<i64> {
        let parsed = jiff::fmt::strtime::parse("%d/%b/%Y:%H:%M:%S %z", contents).ok()?;
        parsed.to_timestamp().ok().map(|t| t.as_second())
    }

    /// Valid-looking time contents; century years and month ends are drawn often,
    /// because that is where calendar arithmetic goes wrong.
    fn time_text() -> impl Strategy<Value = String> {
        let year = prop_oneof![1i64..=9998, (1i64..=99).prop_map(|c| c * 100), 1960i64..=2100];
        let day = prop_oneof![1i64..=31, 28i64..=31];
        (
            (year, 0usize..12, day),
            (0i64..24, 0i64..60, 0i64..60),
            (prop_oneof![Just('+'), Just('-')], 0i64..24, 0i64..60),
        )
            .prop_map(|((y, m, d), (h, i, s), (sign, oh, om))| {
                let month = MONTH_NAMES[m];
                format!("{d:02}/{month}/{y:04}:{h:02}:{i:02}:{s:02} {sign}{oh:02}{om:02}")
            })
    }

    /// A time field's contents with any digit, month or sign in each place.
    fn near_time_text() -> impl Strategy<Value = String> {
        let digit = || prop::char::range('0', '9');
        let month = prop_oneof![
            prop::sample::select(MONTH_NAMES.to_vec()),
            Just("feb"),
            Just("Fex")
        ];
        (
            vec(digit(), 4),
            month,
            vec(digit(), 4),
            vec(digit(), 6),
            prop_oneof![Just('+'), Just('-'), Just(' ')],
        )
            .prop_map(|(d, m, y, t, sign)| {
                let s = |v: &[char]| v.iter().collect::<String>();
                format!(
                    "{}/{m}/{}:{}:{}:{} {sign}{}",
                    s(&d[..2]),
                    s(&y),
                    s(&t[..2]),
                    s(&t[2..4]),
                    s(&t[4..]),
                    s(&d[2..])
                )
            })
    }

    /// One field: how it is written in the line, and its text with the quotes stripped.
    #[derive(Debug, Clone)]
    struct Cell {
        logged: Vec<u8>,
        text: Vec<u8>,
    }

    fn quoted(text: Vec<u8>) -> Cell {
        let mut logged = vec![b'"'];
        logged.extend_from_slice(&text);
        logged.push(b'"');
        Cell { logged, text }
    }

    fn any_byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            Just(b' '),
            Just(b'"'),
            Just(b'-'),
            Just(b'['),
            Just(b']'),
            Just(b'?'),
            Just(b'\r'),
            b'a'..=b'z',
            0x80u8..=0xff,
            any::<u8>(),
        ]
    }

    fn null_cell() -> BoxedStrategy<Cell> {
        prop_oneof![
            Just(Cell {
                logged: b"-".to_vec(),
                text: b"-".to_vec()
            }),
            Just(quoted(b"-".to_vec())),
        ]
        .boxed()
    }

    fn text_cell() -> BoxedStrategy<Cell> {
        // Inside quotes anything goes except a quote followed by a space (that ends it).
        let inside = vec(any_byte(), 0..12).prop_map(|mut t| {
            for i in 1..t.len() {
                if t[i - 1] == b'"' && t[i] == b' ' {
                    t[i] = b'x';
                }
            }
            quoted(t)
        });
        // Bare: no spaces or `\r`, and no leading quote.
        let bare = vec(any_byte(), 1..12).prop_map(|mut t| {
            for b in t.iter_mut() {
                if *b == b' ' || *b == b'\r' {
                    *b = b'_';
                }
            }
            if t[0] == b'"' {
                t[0] = b'q';
            }
            Cell {
                logged: t.clone(),
                text: t,
            }
        });
        prop_oneof![inside, bare, null_cell()].boxed()
    }

    fn tail_cell() -> BoxedStrategy<Cell> {
        let bare = vec(any_byte(), 1..12).prop_map(|mut t| {
            for b in t.iter_mut() {
                if matches!(*b, b' ' | b'\r' | b'"') {
                    *b = b'_';
                }
            }
            Cell {
                logged: t.clone(),
                text: t,
            }
        });
        prop_oneof![
            bare,
            Just(Cell {
                logged: b"-".to_vec(),
                text: b"-".to_vec()
            })
        ]
        .boxed()
    }

    fn integer_cell(max: u64) -> BoxedStrategy<Cell> {
        let number = (0..=max, any::<bool>()).prop_map(|(n, q)| {
            let t = n.to_string().into_bytes();
            if q {
                quoted(t)
            } else {
                Cell {
                    logged: t.clone(),
                    text: t,
                }
            }
        });
        prop_oneof![number, null_cell()].boxed()
    }

    fn cell(i: usize) -> BoxedStrategy<Cell> {
        match Field::ALL.get(i) {
            Some(Field::Time) => time_text()
                .prop_filter("a real date", |t| jiff_seconds(t).is_some())
                .prop_map(|t| Cell {
                    logged: format!("[{t}]").into_bytes(),
                    text: t.into_bytes(),
                })
                .boxed(),
            Some(Field::HttpStatus) => integer_cell(u64::from(u16::MAX)),
            Some(f) if f.integer_slot().is_some() => integer_cell(u64::MAX),
            // AWS never quotes what follows the user agent, nor puts quotes in it.
            _ if i > USER_AGENT => tail_cell(),
            _ => text_cell(),
        }
    }

    /// Cells, then the spaces: before the first, between each, after the last.
    fn rendered_record() -> impl Strategy<Value = (Vec<Cell>, Vec<u8>)> {
        (18usize..=30).prop_flat_map(|n| {
            let cells: Vec<_> = (0..n).map(cell).collect();
            (cells, vec(1usize..=3, n), 0usize..3, 0usize..3, any::<bool>()).prop_map(
                move |(cells, gaps, lead, trail, cr)| {
                    let mut line = vec![b' '; lead];
                    for (cell, gap) in cells.iter().zip(&gaps) {
                        line.extend_from_slice(&cell.logged);
                        line.extend(std::iter::repeat_n(b' ', *gap));
                    }
                    line.truncate(line.len() - gaps[n - 1]);
                    line.extend(std::iter::repeat_n(b' ', trail));
                    if cr {
                        line.push(b'\r');
                    }
                    (cells, line)
                },
            )
        })
    }

    /// Exercises every accessor of whatever parses; none may panic.
    fn exercise(line: &[u8]) {
        if let Ok(rec) = parse(line) {
            for f in Field::ALL {
                let _ = (rec.get(f), rec.integer(f));
            }
            let _ = (rec.http_status(), rec.query(), rec.extra_fields().count());
            let json = serde_json::to_string(&rec).expect("a parsed record serializes");
            assert!(json.starts_with("{\"bucket_owner\":"));
        }
    }

    const MUTABLE: [&str; 5] = [
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - \"GET /amzn-s3-demo-bucket1?versioning HTTP/1.1\" 200 - 113 - 7 - \"-\" \"S3Console/0.4\" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1 ExtraUnknownField",
        "79a5 mybucket [06/Feb/2014:00:00:38 +0000] 192.0.2.3 79a5 3E57427F3EXAMPLE REST.GET.VERSIONING - \"GET /mybucket?versioning HTTP/1.1\" 200 - 113 - 7 - \"-\" \"S3Console/0.4\" -",
        "8787a3c41bf7ce0d54359d9348ad5b08e16bd5bb8ae5aa4e1508b435773a066e dandiarchive [06/Apr/2022:03:05:53 +0000] 192.0.2.0 - 5PCGX9WKFQMJH6FB REST.GET.OBJECT blobs/021/90b/02190bd2-4904-4f65-ae93-0822f0ea1e28 \"GET /blobs/021/90b/02190bd2-4904-4f65-ae93-0822f0ea1e28 HTTP/1.1\" 200 - 6616308 422868123111 205 35 \"-\" \"\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.99 Safari/537.36\" - A54Zaz7Sl0ygUFZ4lEOYCXHxImvTGXnvR+rr9+JcM/gceQWDObRkwnP9nO+wK70lpMaaE78SWvA= - ECDHE-RSA-AES128-GCM-SHA256 - dandiarchive.s3.amazonaws.com TLSv1.2 - -",
        "b854390a51155554b82ce2759564a1135bce83133d004f4d2001f157e13985d7 flow-log-test [25/Mar/2025:19:28:02 +0000] - AmazonS3 366DB3C4B325AB11 S3.EXPIRE.OBJECT 0/chum/kitt_189/_spcu_sride__state_svx__feature__flags.sst \"-\" - - - 317 - - \"-\" \"-\" qsEq9bDa2VyxyZ4cz0c7oBnF67VYTTij DMlPb9al4CvVBck150CgpEIIYgtSI3HC/atetNVYwPtHZffW6jfpg+BrffhbT9/B - - - - - - -",
        "36c1f05b76016b78528454e6e0c60e2b7ff7aa20c0a5e4c748276e5b0a2debd2 test-s3-ks [19/Sep/2019:17:06:39 +0000] 89.160.20.156 arn:aws:iam::123456:user/test@elastic.co 6CE38F1312D32BDD BATCH.DELETE.OBJECT Screen+Shot+2019-09-09+at+9.08.44+AM.png - 204 - - 57138 - - - - - LwRa4w6DbuU48GKQiH3jDbjfTyLCbwasFBsdttugRQ+9lH4jK8lT91+HhGZKMYI3sPyKuQ9LvU0= SigV4 ECDHE-RSA-AES128-SHA AuthHeader s3.ap-southeast-1.amazonaws.com TLSv1.2 ",
    ];

    fn mutation_byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            Just(b'"'),
            Just(b' '),
            Just(b'['),
            Just(b']'),
            Just(b'-'),
            Just(b'\r'),
            b'0'..=b'9',
            any::<u8>(),
        ]
    }

    proptest! {
        #[test]
        fn time_agrees_with_jiff(contents in time_text()) {
            let ours = parse_time(contents.as_bytes());
            prop_assert_eq!(ours, jiff_seconds(&contents), "{}", contents);
            let line = line_with(&[(Field::Time, &format!("[{contents}]"))]);
            prop_assert_eq!(parse(line.as_bytes()).ok().map(|r| r.time()), ours);
        }

        #[test]
        fn accepted_near_times_agree_with_jiff(contents in near_time_text()) {
            if let Some(ours) = parse_time(contents.as_bytes()) {
                prop_assert_eq!(Some(ours), jiff_seconds(&contents), "{}", contents);
            }
        }

        #[test]
        fn rendered_records_parse_back((cells, line) in rendered_record()) {
            let rec = parse(&line).map_err(|e| TestCaseError::fail(format!("{e}")))?;
            for (i, f) in Field::ALL.iter().enumerate() {
                let want = cells.get(i).map(|c| c.text.as_slice()).filter(|t| *t != b"-");
                prop_assert_eq!(rec.get(*f), want, "{}", f.name());
                if f.integer_slot().is_some() {
                    let n = want.map(|t| String::from_utf8_lossy(t).parse::<u64>());
                    prop_assert_eq!(rec.integer(*f), n.transpose().ok().flatten());
                }
            }
            let time = std::str::from_utf8(&cells[TIME].text).ok().and_then(jiff_seconds);
            prop_assert_eq!(Some(rec.time()), time);
            let extras: Vec<_> = rec.extra_fields().collect();
            let want: Vec<_> = cells.iter().skip(FIELDS).map(|c| c.text.as_slice()).collect();
            prop_assert_eq!(extras, want);
            prop_assert!(serde_json::to_string(&rec).is_ok());
        }

        #[test]
        fn arbitrary_bytes_never_panic(line in vec(any::<u8>(), 0..400)) {
            exercise(&line);
        }

        #[test]
        fn mutated_samples_never_panic(
            which in 0..MUTABLE.len(),
            edits in vec((0u8..10, any::<usize>(), mutation_byte()), 1..8),
        ) {
            let mut line = MUTABLE[which].as_bytes().to_vec();
            for (op, at, byte) in edits {
                let at = at % (line.len() + 1);
                match op {
                    0..=3 if at < line.len() => line[at] = byte,
                    4..=6 => line.insert(at, byte),
                    7 | 8 if at < line.len() => {
                        line.remove(at);
                    }
                    9 => line.truncate(at),
                    _ => {}
                }
            }
            exercise(&line);
        }
    }
}
