//! AWS Application Load Balancer access log lines: one line in, one [`Record`] of byte
//! ranges out.
//!
//! Owns the line grammar only: splitting into fields (the splitting S3 logs share, in
//! [`super::split`]), the two times, addresses and which fields are numbers. It does not
//! read the trace header or the request line: `trace` does.
//!
//! The grammar, from AWS's documentation of the format:
//! - Space-separated fields; a field starting with `"` is quoted and ends at the first
//!   later `"` followed by a space or the end of the line (the user agent, which clients
//!   fill with quotes, at the first such `"` followed by an unquoted token). No closing
//!   quote is [`Reject::UnterminatedQuote`].
//! - `type` is `http`, `https`, `h2`, `grpcs`, `ws` or `wss`, else [`Reject::UnknownType`]
//!   (Classic Load Balancer lines, which start with the time, land here).
//! - `time` and `request_creation_time` are RFC 3339 UTC with `Z` and 0 to 9 fraction
//!   digits, year 0001 to 9998, else [`Reject::BadTime`].
//! - `client:port` is `ip:port` (`[v6]:port` or bare v6 with the port after the last
//!   colon); `target:port` that or `-`. Else [`Reject::BadAddress`].
//! - The three processing times are `-1` (AWS: the request never reached a target, or
//!   the connection broke) or unsigned decimal seconds, else [`Reject::BadNumber`].
//! - `elb_status_code`, `target_status_code` (`-` or a u16), `received_bytes`,
//!   `sent_bytes` and `matched_rule_priority` (`-` or a u64), else [`Reject::BadInteger`].
//! - At least 17 fields (the 2016 layout, ending at `target_group_arn`); fields after the
//!   33rd (`request_transform_status`, 2025) are kept as extras.
//!
//! Checks run in this order, and the first failure is the reason: length; blank line;
//! splitting; type (so a Classic Load Balancer line is named as one); field count; times;
//! addresses; numbers; integers.
//!
//! Values: the text as logged with the quotes stripped; `-` and `"-"` are null.

use std::fmt;
use std::net::Ipv6Addr;

use serde::ser::{Error as _, SerializeMap};
use serde::{Serialize, Serializer};

use super::split::{
    days_from_civil, days_in_month, decimal, next_field, skip_spaces, trim_end, Delimiters, Lossy, Quoted,
    Span,
};
use super::LONGEST_LINE;
use crate::model::Reject;

/// The documented fields, 33 since `request_transform_status` was added.
const FIELDS: usize = 33;
/// The launch layout ends at `target_group_arn`.
const MIN_FIELDS: usize = 17;
const TYPES: [&[u8]; 6] = [b"http", b"https", b"h2", b"grpcs", b"ws", b"wss"];
const SECONDS: [Field; 3] = [
    Field::RequestProcessingTime,
    Field::TargetProcessingTime,
    Field::ResponseProcessingTime,
];
const INTEGERS: [Field; 5] = [
    Field::ElbStatusCode,
    Field::TargetStatusCode,
    Field::ReceivedBytes,
    Field::SentBytes,
    Field::MatchedRulePriority,
];

/// The documented fields, in log order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Type,
    Time,
    Elb,
    Client,
    Target,
    RequestProcessingTime,
    TargetProcessingTime,
    ResponseProcessingTime,
    ElbStatusCode,
    TargetStatusCode,
    ReceivedBytes,
    SentBytes,
    Request,
    UserAgent,
    SslCipher,
    SslProtocol,
    TargetGroupArn,
    TraceId,
    DomainName,
    ChosenCertArn,
    MatchedRulePriority,
    RequestCreationTime,
    ActionsExecuted,
    RedirectUrl,
    ErrorReason,
    TargetPortList,
    TargetStatusCodeList,
    Classification,
    ClassificationReason,
    ConnTraceId,
    TransformedHost,
    TransformedUri,
    RequestTransformStatus,
}

impl Field {
    pub const ALL: [Field; FIELDS] = [
        Field::Type,
        Field::Time,
        Field::Elb,
        Field::Client,
        Field::Target,
        Field::RequestProcessingTime,
        Field::TargetProcessingTime,
        Field::ResponseProcessingTime,
        Field::ElbStatusCode,
        Field::TargetStatusCode,
        Field::ReceivedBytes,
        Field::SentBytes,
        Field::Request,
        Field::UserAgent,
        Field::SslCipher,
        Field::SslProtocol,
        Field::TargetGroupArn,
        Field::TraceId,
        Field::DomainName,
        Field::ChosenCertArn,
        Field::MatchedRulePriority,
        Field::RequestCreationTime,
        Field::ActionsExecuted,
        Field::RedirectUrl,
        Field::ErrorReason,
        Field::TargetPortList,
        Field::TargetStatusCodeList,
        Field::Classification,
        Field::ClassificationReason,
        Field::ConnTraceId,
        Field::TransformedHost,
        Field::TransformedUri,
        Field::RequestTransformStatus,
    ];

    /// The AWS documentation's name in snake_case (`client:port` and `target:port` are
    /// split into `_ip` and `_port` in the JSON; `target:port_list` is `target_port_list`).
    pub fn name(self) -> &'static str {
        match self {
            Field::Type => "type",
            Field::Time => "time",
            Field::Elb => "elb",
            Field::Client => "client",
            Field::Target => "target",
            Field::RequestProcessingTime => "request_processing_time",
            Field::TargetProcessingTime => "target_processing_time",
            Field::ResponseProcessingTime => "response_processing_time",
            Field::ElbStatusCode => "elb_status_code",
            Field::TargetStatusCode => "target_status_code",
            Field::ReceivedBytes => "received_bytes",
            Field::SentBytes => "sent_bytes",
            Field::Request => "request",
            Field::UserAgent => "user_agent",
            Field::SslCipher => "ssl_cipher",
            Field::SslProtocol => "ssl_protocol",
            Field::TargetGroupArn => "target_group_arn",
            Field::TraceId => "trace_id",
            Field::DomainName => "domain_name",
            Field::ChosenCertArn => "chosen_cert_arn",
            Field::MatchedRulePriority => "matched_rule_priority",
            Field::RequestCreationTime => "request_creation_time",
            Field::ActionsExecuted => "actions_executed",
            Field::RedirectUrl => "redirect_url",
            Field::ErrorReason => "error_reason",
            Field::TargetPortList => "target_port_list",
            Field::TargetStatusCodeList => "target_status_code_list",
            Field::Classification => "classification",
            Field::ClassificationReason => "classification_reason",
            Field::ConnTraceId => "conn_trace_id",
            Field::TransformedHost => "transformed_host",
            Field::TransformedUri => "transformed_uri",
            Field::RequestTransformStatus => "request_transform_status",
        }
    }

    fn slot(self, of: &[Field]) -> Option<usize> {
        of.iter().position(|&f| f == self)
    }
}

/// An `ip:port` field split: the address without brackets, and the port.
#[derive(Debug, Clone, Copy, Default)]
struct Address {
    ip: Span,
    port: u16,
}

/// One parsed line: byte ranges into it and the values checked at parse time.
#[derive(Clone)]
pub struct Record<'a> {
    line: &'a [u8],
    spans: [Span; FIELDS],
    /// Documented fields present: 17 to 33.
    len: usize,
    /// Where the first field after the 33rd starts (the line's end when there is none).
    extra: usize,
    /// Unix microseconds, UTC.
    time: i64,
    request_creation_time: Option<i64>,
    client: Address,
    target: Option<Address>,
    /// In `SECONDS` order; -1 as logged.
    seconds: [f64; 3],
    /// In `INTEGERS` order.
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
        let quoted = if len == Field::UserAgent as usize {
            Quoted::BeforeUnquoted
        } else {
            Quoted::FirstClose
        };
        let Some(span) = next_field(&mut delimiters, &mut pos, quoted)? else {
            break;
        };
        spans[len] = span;
        len += 1;
    }
    let extra = skip_spaces(line, pos);
    while next_field(&mut delimiters, &mut pos, Quoted::FirstClose)?.is_some() {}
    let text = |f: Field| field_text(line, &spans, len, f);
    if !TYPES.contains(&text(Field::Type)) {
        return Err(Reject::UnknownType);
    }
    if len < MIN_FIELDS {
        return Err(Reject::TooFewFields);
    }
    let time = rfc3339_micros(text(Field::Time)).ok_or(Reject::BadTime)?;
    let request_creation_time = match text(Field::RequestCreationTime) {
        b"-" | b"" => None,
        t => Some(rfc3339_micros(t).ok_or(Reject::BadTime)?),
    };
    let client = address(spans[Field::Client as usize], line).ok_or(Reject::BadAddress)?;
    let target = match text(Field::Target) {
        b"-" => None,
        _ => Some(address(spans[Field::Target as usize], line).ok_or(Reject::BadAddress)?),
    };
    let mut seconds = [0.0; 3];
    for (value, f) in seconds.iter_mut().zip(SECONDS) {
        *value = processing_seconds(text(f)).ok_or(Reject::BadNumber)?;
    }
    let mut ints = [None; 5];
    for (value, f) in ints.iter_mut().zip(INTEGERS) {
        *value = integer(text(f), f).ok_or(Reject::BadInteger)?;
    }
    Ok(Record {
        line,
        spans,
        len,
        extra,
        time,
        request_creation_time,
        client,
        target,
        seconds,
        ints,
    })
}

/// Field `f`'s text as logged (quotes stripped); empty when the layout is shorter.
fn field_text<'a>(line: &'a [u8], spans: &[Span; FIELDS], len: usize, f: Field) -> &'a [u8] {
    let span = spans[f as usize];
    if f as usize >= len {
        return b"";
    }
    span.of(line)
}

impl<'a> Record<'a> {
    /// The field's text as logged, quotes stripped; `None` for `-`, `"-"` or a field
    /// absent from a shorter layout. `Client` and `Target` give `ip:port` as logged.
    pub fn get(&self, f: Field) -> Option<&'a [u8]> {
        let text = field_text(self.line, &self.spans, self.len, f);
        ((f as usize) < self.len && text != b"-").then_some(text)
    }

    /// When the load balancer sent the response, in Unix microseconds.
    pub fn time_micros(&self) -> i64 {
        self.time
    }

    /// When the load balancer received the request, in Unix microseconds; `None` for
    /// `-` and in layouts before the field (2018).
    pub fn request_creation_micros(&self) -> Option<i64> {
        self.request_creation_time
    }

    pub fn client_ip(&self) -> &'a [u8] {
        self.client.ip.of(self.line)
    }

    pub fn client_port(&self) -> u16 {
        self.client.port
    }

    /// `None` when no target was chosen (`-`).
    pub fn target_ip(&self) -> Option<&'a [u8]> {
        self.target.map(|t| t.ip.of(self.line))
    }

    pub fn target_port(&self) -> Option<u16> {
        self.target.map(|t| t.port)
    }

    /// A processing time in seconds as logged: -1 when AWS could not measure it.
    pub fn seconds(&self, f: Field) -> Option<f64> {
        self.seconds.get(f.slot(&SECONDS)?).copied()
    }

    /// `elb_status_code`, `target_status_code`, `received_bytes`, `sent_bytes` or
    /// `matched_rule_priority`; `None` for `-`, an absent field and any other field.
    pub fn integer(&self, f: Field) -> Option<u64> {
        self.ints.get(f.slot(&INTEGERS)?).copied().flatten()
    }

    /// `elb_status_code` or `target_status_code`; checked to fit at parse time.
    pub fn status(&self, f: Field) -> Option<u16> {
        self.integer(f).and_then(|n| u16::try_from(n).ok())
    }

    /// Fields after the 33rd, in order, quotes stripped (a `-` stays `-` here).
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

/// `ip:port`, `[ip]:port` or a bare IPv6 address with the port after its last colon.
fn address(span: Span, line: &[u8]) -> Option<Address> {
    let text = span.of(line);
    let colon = text.iter().rposition(|&b| b == b':')?;
    let port = u16::try_from(decimal(text.get(colon + 1..)?)?).ok()?;
    let (mut start, mut end) = (span.start(), span.start() + colon);
    if text.first() == Some(&b'[') && text.get(colon - 1) == Some(&b']') {
        (start, end) = (start + 1, end - 1);
    }
    is_ip(line.get(start..end)?).then_some(Address {
        ip: Span::new(start, end),
        port,
    })
}

/// What `IpAddr`'s parser accepts. Nearly every address is v4, checked here without the
/// UTF-8 check and the general parser (a v4 address never holds a colon, a v6 always).
fn is_ip(text: &[u8]) -> bool {
    if text.contains(&b':') {
        return std::str::from_utf8(text).is_ok_and(|t| t.parse::<Ipv6Addr>().is_ok());
    }
    // One pass: four parts of one to three digits, at most 255, no leading zero.
    let (mut parts, mut value, mut digits) = (0, 0u32, 0);
    for &b in text.iter().chain(b".") {
        match b {
            b'0'..=b'9' if digits < 3 && !(digits == 1 && value == 0) => {
                value = value * 10 + u32::from(b - b'0');
                digits += 1;
            }
            b'.' if digits > 0 && value <= 255 => (parts, value, digits) = (parts + 1, 0, 0),
            _ => return false,
        }
    }
    parts == 4
}

/// 10^k for k ≤ 15, each exact in an f64 (`powi` was 1% of `reqtrace deps`).
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// `-1`, or unsigned decimal seconds (`0`, `0.001`).
fn processing_seconds(text: &[u8]) -> Option<f64> {
    if text == b"-1" {
        return Some(-1.0);
    }
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (text.get(..dot)?, Some(text.get(dot + 1..)?)),
        None => (text, None),
    };
    let digits = |t: &[u8]| !t.is_empty() && t.iter().all(u8::is_ascii_digit);
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    let fraction = fraction.unwrap_or_default();
    if whole.len() + fraction.len() <= 15 {
        // Clinger's fast path: both operands are exact in an f64 (n < 2^53, 10^k for
        // k ≤ 22), so the one rounding of the division is the correctly rounded value.
        let n = whole
            .iter()
            .chain(fraction)
            .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
        return Some(n as f64 / POWERS_OF_TEN[fraction.len()]);
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// `-` (or absent) as `Some(None)`; a value that does not fit as `None`.
fn integer(text: &[u8], f: Field) -> Option<Option<u64>> {
    if text == b"-" || text.is_empty() {
        return Some(None);
    }
    let n = decimal(text)?;
    let status = matches!(f, Field::ElbStatusCode | Field::TargetStatusCode);
    (!status || u16::try_from(n).is_ok()).then_some(Some(n))
}

/// `yyyy-mm-ddTHH:MM:SS[.f…]Z` → Unix microseconds (digits past the sixth truncated).
fn rfc3339_micros(text: &[u8]) -> Option<i64> {
    let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', h0, h1, b':', i0, i1, b':', s0, s1, ref rest @ ..] =
        text
    else {
        return None;
    };
    let micros = match rest {
        [b'Z'] => 0,
        [b'.', fraction @ .., b'Z'] if (1..=9).contains(&fraction.len()) => {
            let n = decimal(fraction)? as i64;
            let scale = 10_i64.pow(fraction.len().abs_diff(6) as u32);
            if fraction.len() > 6 {
                n / scale
            } else {
                n * scale
            }
        }
        _ => return None,
    };
    let num = |digits: &[u8]| decimal(digits).map(|n| n as i64);
    let (year, month, day) = (num(&[y0, y1, y2, y3])?, num(&[m0, m1])?, num(&[d0, d1])?);
    let (hour, minute, second) = (num(&[h0, h1])?, num(&[i0, i1])?, num(&[s0, s1])?);
    let valid = (1..=9998).contains(&year)
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    valid.then_some(seconds * 1_000_000 + micros)
}

/// ALB access logs, as [`super::Grammar`].
pub struct AlbLog;

impl super::Grammar for AlbLog {
    type Record<'a> = Record<'a>;

    fn parse(line: &[u8]) -> Result<Record<'_>, Reject> {
        parse(line)
    }
}

/// Field names and text, not byte offsets.
impl fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| fmt::Error)?)
    }
}

/// A JSON object: every documented field by its documented name in log order, then
/// `extra_fields`. `client:port` and `target:port` become `client_ip`, `client_port`,
/// `target_ip`, `target_port`; numbers are numbers, times RFC 3339 UTC, all else strings
/// (invalid UTF-8 replaced by U+FFFD); `-` and absent fields are null.
impl Serialize for Record<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(FIELDS + 3))?;
        for f in Field::ALL {
            match f {
                Field::Time => map.serialize_entry(f.name(), &Rfc3339(self.time))?,
                Field::RequestCreationTime => {
                    map.serialize_entry(f.name(), &self.request_creation_time.map(Rfc3339))?
                }
                Field::Client => {
                    map.serialize_entry("client_ip", &Lossy(self.client_ip()))?;
                    map.serialize_entry("client_port", &self.client_port())?;
                }
                Field::Target => {
                    map.serialize_entry("target_ip", &self.target_ip().map(Lossy))?;
                    map.serialize_entry("target_port", &self.target_port())?;
                }
                _ if f.slot(&SECONDS).is_some() => map.serialize_entry(f.name(), &self.seconds(f))?,
                _ if f.slot(&INTEGERS).is_some() => map.serialize_entry(f.name(), &self.integer(f))?,
                _ => map.serialize_entry(f.name(), &self.get(f).map(Lossy))?,
            }
        }
        let extras: Vec<_> = self
            .extra_fields()
            .map(|v| (v != b"-").then_some(Lossy(v)))
            .collect();
        map.serialize_entry("extra_fields", &extras)?;
        map.end()
    }
}

/// Unix microseconds as RFC 3339 UTC with six fraction digits, as ALB writes times.
struct Rfc3339(i64);

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let at = jiff::Timestamp::from_microsecond(self.0).map_err(S::Error::custom)?;
        let micros = self.0.rem_euclid(1_000_000);
        serializer.collect_str(&format_args!("{}.{micros:06}Z", at.strftime("%Y-%m-%dT%H:%M:%S")))
    }
}

#[cfg(test)]
mod tests;
