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
//! - The request URI is `METHOD target PROTOCOL`, and AWS does not escape a quote in the
//!   target (`"GET /" HTTP/1.1"`): it ends at the first such quote after a token starting
//!   `HTTP/` and before a status (digits or `-`), else at the first.
//! - Older records log some Host Ids as two space-separated base64 tokens: when the
//!   token in `signature_version`'s place is base64 and not a signature (`SigV2`, `SigV4`,
//!   `-`), and the one after it is, the two tokens are the Host Id, so no later field moves.
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

use memchr::{memchr, memrchr};
use serde::ser::{Error as _, SerializeMap};
use serde::{Serialize, Serializer};

use super::split::{
    days_from_civil, days_in_month, decimal, next_field, skip_spaces, tail, trim_end, Delimiters, Lossy,
    Quoted, Span,
};
use crate::model::Reject;

/// The longest line read as a record, in bytes as read (trailing spaces and `\r` count).
pub const LONGEST_LINE: usize = 1 << 20;

/// The documented fields, 27 since the `source_region` field was added.
const FIELDS: usize = 27;
/// The oldest layout ends at `version_id`.
const MIN_FIELDS: usize = 18;
const TIME: usize = Field::Time as usize;
const REQUEST_URI: usize = Field::RequestUri as usize;
const USER_AGENT: usize = Field::UserAgent as usize;
const HOST_ID: usize = Field::HostId as usize;
const SIGNATURE: usize = Field::SignatureVersion as usize;
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
    let mut delimiters = Delimiters::new(line);
    while len < FIELDS {
        let next = if len == TIME {
            next_time_field(&mut delimiters, &mut pos)?
        } else {
            next_field(&mut delimiters, &mut pos, quoting(len))?
        };
        let Some(span) = next else { break };
        spans[len] = span;
        len += 1;
        if len == SIGNATURE + 1 && !is_signature(span.of(line)) {
            rejoin_host_id(&mut delimiters, &mut pos, &mut spans)?;
        }
    }
    let extra = skip_spaces(line, pos);
    // Split the extras now so that `extra_fields` cannot meet a bad quote later.
    while next_field(&mut delimiters, &mut pos, Quoted::FirstClose)?.is_some() {}
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
        let text = span.of(self.line);
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
        let mut delimiters = Delimiters::new(line);
        std::iter::from_fn(move || {
            let span = next_field(&mut delimiters, &mut pos, Quoted::FirstClose)
                .ok()
                .flatten()?;
            Some(span.of(line))
        })
    }
}

/// S3 server access logs, as [`super::Format`].
pub struct S3Log;

impl super::Format for S3Log {
    type Record<'a> = Record<'a>;

    fn parse(line: &[u8]) -> Result<Record<'_>, Reject> {
        parse(line)
    }
}

impl super::Grammar for S3Log {
    type Record<'a> = Record<'a>;

    fn parse(line: &[u8]) -> Result<Record<'_>, Reject> {
        parse(line)
    }
}

impl super::Request for Record<'_> {
    fn time(&self) -> i64 {
        self.time
    }
    fn bucket(&self) -> Option<&[u8]> {
        Record::bucket(self)
    }
    fn operation(&self) -> Option<&[u8]> {
        Record::operation(self)
    }
    fn key(&self) -> Option<&[u8]> {
        Record::key(self)
    }
    fn http_status(&self) -> Option<u16> {
        Record::http_status(self)
    }
    fn query(&self) -> Option<&[u8]> {
        Record::query(self)
    }
    fn request_id(&self) -> Option<&[u8]> {
        Record::request_id(self)
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

/// How field `index` may close its quote: the request line ends after its protocol, and
/// the user agent is followed by the unquoted version id.
fn quoting(index: usize) -> Quoted {
    match index {
        REQUEST_URI => Quoted::RequestLine,
        USER_AGENT => Quoted::BeforeUnquoted,
        _ => Quoted::FirstClose,
    }
}

/// `signature_version` as AWS documents it: `SigV2`, `SigV4`, or `-`.
fn is_signature(text: &[u8]) -> bool {
    matches!(text, b"SigV4" | b"SigV2" | b"-")
}

/// Older records log some Host Ids as two space-separated base64 tokens, which would put
/// the second in `signature_version` and shift every later field one place right. When
/// the field split as the signature is not one but is base64, as the Host Id before it,
/// and the next token is a signature, the two tokens are the Host Id and the split goes
/// on from the signature.
fn rejoin_host_id(
    delimiters: &mut Delimiters<'_>,
    pos: &mut usize,
    spans: &mut [Span; FIELDS],
) -> Result<(), Reject> {
    let line = delimiters.line;
    let base64 = |span: Span| {
        let text = span.of(line);
        !text.is_empty()
            && text
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    };
    if !base64(spans[HOST_ID]) || !base64(spans[SIGNATURE]) {
        return Ok(());
    }
    let mut after = *pos;
    let Some(next) = next_field(delimiters, &mut after, Quoted::FirstClose)? else {
        return Ok(());
    };
    if is_signature(next.of(line)) {
        spans[HOST_ID] = Span::new(spans[HOST_ID].start(), spans[SIGNATURE].end());
        spans[SIGNATURE] = next;
        *pos = after;
    }
    Ok(())
}

/// The time field keeps its brackets here; it holds a space, so it ends at its `]`.
fn next_time_field(delimiters: &mut Delimiters<'_>, pos: &mut usize) -> Result<Option<Span>, Reject> {
    let line = delimiters.line;
    let start = skip_spaces(line, *pos);
    if line.get(start) != Some(&b'[') {
        // Not a time: split it like any field, but leave the time check nothing to accept.
        return Ok(next_field(delimiters, pos, Quoted::FirstClose)?.map(|_| Span::new(start, start)));
    }
    let close = memchr(b']', tail(line, start)).ok_or(Reject::BadTime)? + start;
    if !matches!(line.get(close + 1), None | Some(b' ')) {
        return Err(Reject::BadTime);
    }
    *pos = close + 1;
    Ok(Some(Span::new(start, close + 1)))
}

/// Checks `[...]`, narrows the span to the brackets' contents and returns unix seconds.
fn bracketed_time(line: &[u8], span: &mut Span) -> Result<i64, Reject> {
    let text = span.of(line);
    let inner = match text {
        [b'[', inner @ .., b']'] => inner,
        _ => return Err(Reject::BadTime),
    };
    let seconds = parse_time(inner).ok_or(Reject::BadTime)?;
    *span = Span::new(span.start() + 1, span.end() - 1);
    Ok(seconds)
}

fn integers(line: &[u8], spans: &[Span; FIELDS]) -> Result<[Option<u64>; 5], Reject> {
    let mut ints = [None; 5];
    for (slot, f) in ints.iter_mut().zip(INTEGERS) {
        let span = spans[f as usize];
        let text = span.of(line);
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

/// The extra fields as a JSON list, `-` as null like every other value.
struct Extras<'r, 'a>(&'r Record<'a>);

impl Serialize for Extras<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let values = self.0.extra_fields();
        serializer.collect_seq(values.map(|v| (v != b"-").then_some(Lossy(v))))
    }
}

#[cfg(test)]
mod tests;
