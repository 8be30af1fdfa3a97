//! The `X-Amzn-Trace-Id` text an ALB logs in `trace_id`: `Key=Value` fields separated by
//! `;`, in any order (TRACING.md). Owns reading that text into a [`TraceHeader`]; it does
//! not decide parents (`stitch` does) or read any other log field.
//!
//! The grammar read:
//! - Fields are `;`-separated; spaces around a field are ignored, empty fields skipped.
//!   Keys are case-sensitive, as AWS writes them.
//! - `Root` and `Self` are `1-{8 hex}-{24 hex}` (either case). A missing, malformed or
//!   repeated `Root` or `Self` is a [`HeaderError`]: without them the line is no hop.
//! - `Caller` is a service name, `[a-z0-9][a-z0-9._-]{0,62}`; `CallerSelf` is `root` or
//!   an id shaped like `Self`. They come as a pair. Anything else about them (malformed,
//!   repeated, one without the other) is kept as a [`BadLink`]: the hop stays, its parent
//!   unknown.
//! - Every other field is kept verbatim, in order.

use std::fmt;

use compact_str::CompactString;
use serde::Serialize;

/// A trace: the 96 bits of `Root`, whose 32 hex digits (version `1` and dashes
/// dropped, as TRACING.md says) are the trace id in exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TraceId(pub u128);

/// One hop's own id: the 96 bits of its `Self`, shaped like a [`TraceId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HopId(pub u128);

impl TraceId {
    /// The last 16 hex digits: the entry hop's span id in exports.
    pub fn low64(self) -> u64 {
        self.0 as u64
    }
}

impl HopId {
    /// The last 16 hex digits: the hop's span id in exports.
    pub fn low64(self) -> u64 {
        self.0 as u64
    }
}

/// 32 lowercase hex digits.
impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl TraceId {
    /// As logged, lowercased: `1-{8 hex}-{24 hex}`.
    pub fn logged(self) -> String {
        HopId(self.0).to_string()
    }
}

/// As logged, lowercased: `1-{8 hex}-{24 hex}`.
impl fmt::Display for HopId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1-{:08x}-{:024x}", self.0 >> 96, self.0 & ((1 << 96) - 1))
    }
}

/// What `CallerSelf` names: the caller's inbound request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallerSelf {
    /// `root`: the caller was handling the trace's entry hop.
    Root,
    /// The `Self` of the request the caller was handling.
    Hop(HopId),
}

/// Why a header's `Caller`/`CallerSelf` pair says nothing usable about the parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BadLink {
    /// `Caller` is not a service name.
    BadCaller,
    /// `CallerSelf` is neither `root` nor an id.
    BadCallerSelf,
    /// `Caller` or `CallerSelf` appears twice.
    RepeatedField,
    /// `Caller` without `CallerSelf` (a service forwarding the seed system's header).
    NoCallerSelf,
    /// `CallerSelf` without `Caller`.
    NoCaller,
}

impl BadLink {
    pub fn name(self) -> &'static str {
        match self {
            BadLink::BadCaller => "bad_caller",
            BadLink::BadCallerSelf => "bad_caller_self",
            BadLink::RepeatedField => "repeated_field",
            BadLink::NoCallerSelf => "no_caller_self",
            BadLink::NoCaller => "no_caller",
        }
    }
}

/// Why a `trace_id` text is no hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum HeaderError {
    #[error("no Root field")]
    NoRoot,
    #[error("Root is not 1-{{8 hex}}-{{24 hex}}")]
    BadRoot,
    #[error("Root appears twice")]
    RepeatedRoot,
    #[error("Self is not 1-{{8 hex}}-{{24 hex}}")]
    BadSelf,
    #[error("Self appears twice")]
    RepeatedSelf,
}

impl HeaderError {
    pub fn name(self) -> &'static str {
        match self {
            HeaderError::NoRoot => "no_root",
            HeaderError::BadRoot => "bad_root",
            HeaderError::RepeatedRoot => "repeated_root",
            HeaderError::BadSelf => "bad_self",
            HeaderError::RepeatedSelf => "repeated_self",
        }
    }
}

/// One `trace_id` field, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceHeader {
    pub root: TraceId,
    /// `None` when the load balancer generated `Root`: the entry hop.
    pub self_id: Option<HopId>,
    /// The calling service, when well formed.
    pub caller: Option<CompactString>,
    /// The caller's inbound request, when well formed.
    pub caller_self: Option<CallerSelf>,
    /// Set when the pair is unusable; then the hop's parent is unknown, whatever the
    /// well-formed half says.
    pub bad_link: Option<BadLink>,
    /// Fields this contract does not read (`Sampled=1`, X-Ray's `Parent=…`), as logged.
    pub other: Vec<CompactString>,
}

impl TraceHeader {
    /// Reads the field's text (quotes already stripped).
    pub fn parse(text: &[u8]) -> Result<TraceHeader, HeaderError> {
        let mut fields = Fields::default();
        let mut start = 0;
        // memchr finds the `;`s: fields are tens of bytes, too long for a byte loop.
        for end in memchr::memchr_iter(b';', text).chain([text.len()]) {
            let part = text[start..end].trim_ascii();
            start = end + 1;
            if !part.is_empty() {
                fields.add(part)?;
            }
        }
        fields.finish()
    }
}

/// The fields as they are met, before the pair is checked.
#[derive(Default)]
struct Fields {
    root: Option<TraceId>,
    self_id: Option<HopId>,
    caller: Slot<CompactString>,
    caller_self: Slot<CallerSelf>,
    other: Vec<CompactString>,
}

/// A `Caller` or `CallerSelf` field: not seen, seen once (read or not), seen again.
#[derive(Default)]
enum Slot<T> {
    #[default]
    Absent,
    Once(Option<T>),
    Repeated,
}

impl<T> Slot<T> {
    fn set(&mut self, value: Option<T>) {
        *self = match self {
            Slot::Absent => Slot::Once(value),
            _ => Slot::Repeated,
        };
    }
}

impl Fields {
    fn add(&mut self, part: &[u8]) -> Result<(), HeaderError> {
        let (key, value) = match memchr::memchr(b'=', part) {
            Some(eq) => (&part[..eq], &part[eq + 1..]),
            None => (part, &b""[..]),
        };
        match key {
            b"Root" if self.root.is_some() => return Err(HeaderError::RepeatedRoot),
            b"Root" => self.root = Some(TraceId(x_ray_id(value).ok_or(HeaderError::BadRoot)?)),
            b"Self" if self.self_id.is_some() => return Err(HeaderError::RepeatedSelf),
            b"Self" => self.self_id = Some(HopId(x_ray_id(value).ok_or(HeaderError::BadSelf)?)),
            b"Caller" => self.caller.set(service_name(value)),
            b"CallerSelf" => self.caller_self.set(caller_self(value)),
            _ => self.other.push(String::from_utf8_lossy(part).into()),
        }
        Ok(())
    }

    fn finish(self) -> Result<TraceHeader, HeaderError> {
        let root = self.root.ok_or(HeaderError::NoRoot)?;
        let (caller, caller_self, bad_link) = pair(self.caller, self.caller_self);
        Ok(TraceHeader {
            root,
            self_id: self.self_id,
            caller,
            caller_self,
            bad_link,
            other: self.other,
        })
    }
}

/// The well-formed halves of the pair, and what is wrong with it, if anything.
fn pair(
    caller: Slot<CompactString>,
    caller_self: Slot<CallerSelf>,
) -> (Option<CompactString>, Option<CallerSelf>, Option<BadLink>) {
    let bad = match (&caller, &caller_self) {
        (Slot::Repeated, _) | (_, Slot::Repeated) => Some(BadLink::RepeatedField),
        (Slot::Once(None), _) => Some(BadLink::BadCaller),
        (_, Slot::Once(None)) => Some(BadLink::BadCallerSelf),
        (Slot::Once(_), Slot::Absent) => Some(BadLink::NoCallerSelf),
        (Slot::Absent, Slot::Once(_)) => Some(BadLink::NoCaller),
        _ => None,
    };
    let caller = match caller {
        Slot::Once(c) => c,
        _ => None,
    };
    let caller_self = match caller_self {
        Slot::Once(c) => c,
        _ => None,
    };
    (caller, caller_self, bad)
}

/// `1-{8 hex}-{24 hex}` → the 128 bits (the 8 digits high), hex in either case.
fn x_ray_id(text: &[u8]) -> Option<u128> {
    let [b'1', b'-', rest @ ..] = text else {
        return None;
    };
    if rest.len() != 33 || rest[8] != b'-' {
        return None;
    }
    let eight = |at: usize| hex8(&rest[at..at + 8]).map(u128::from);
    Some(eight(0)? << 96 | eight(9)? << 64 | eight(17)? << 32 | eight(25)?)
}

/// Eight hex digits (either case) as a number, all eight at once in one register, with
/// no branch or table lookup per digit: this runs on three ids of every line `deps` reads.
fn hex8(digits: &[u8]) -> Option<u32> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x80 * ONES;
    const LOWER_CASE: u64 = 0x20 * ONES;
    const LOW_BITS: u64 = 0x0f * ONES;
    let x = u64::from_le_bytes(digits.try_into().ok()?);
    // Bit 7 of each byte set when the byte is in lo..=hi; exact for bytes below 0x80 (no
    // sum carries into the next byte), and a byte from 0x80 up is refused first.
    let within = |x: u64, lo: u8, hi: u8| {
        let at_least = x.wrapping_add(u64::from(0x80 - lo) * ONES);
        let above = x.wrapping_add(u64::from(0x7f - hi) * ONES);
        at_least & !above & HIGH
    };
    let digit = within(x, b'0', b'9');
    let letter = within(x | LOWER_CASE, b'a', b'f');
    if x & HIGH != 0 || digit | letter != HIGH {
        return None;
    }
    // Each byte's value (its low four bits, plus 9 for a letter), then pairs of bytes,
    // fours and the eight packed, the first digit highest (it is the lowest byte).
    let v = (x & LOW_BITS) + (letter >> 7) * 9;
    let v = (v << 4 | v >> 8) & 0x00ff_00ff_00ff_00ff;
    let v = (v << 8 | v >> 16) & 0x0000_ffff_0000_ffff;
    Some((v << 16 | v >> 32) as u32)
}

/// `[a-z0-9][a-z0-9._-]{0,62}`.
fn service_name(text: &[u8]) -> Option<CompactString> {
    let first_ok = text
        .first()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = text
        .iter()
        .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    let name = std::str::from_utf8(text).ok()?;
    (first_ok && rest_ok && text.len() <= 63).then(|| name.into())
}

fn caller_self(text: &[u8]) -> Option<CallerSelf> {
    match text {
        b"root" => Some(CallerSelf::Root),
        _ => x_ray_id(text).map(|id| CallerSelf::Hop(HopId(id))),
    }
}

impl CallerSelf {
    /// `root` or `1-{8 hex}-{24 hex}`, as in the header.
    pub fn parse(text: &[u8]) -> Option<CallerSelf> {
        caller_self(text)
    }
}

impl TraceId {
    /// `1-{8 hex}-{24 hex}`, as in the header's `Root`.
    pub fn parse(text: &[u8]) -> Option<TraceId> {
        x_ray_id(text).map(TraceId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "1-5759e988-bd862e3fe1be46a994272793";
    const SELF: &str = "1-5759e988-0123456789abcdef01234567";

    fn parse(text: &str) -> Result<TraceHeader, HeaderError> {
        TraceHeader::parse(text.as_bytes())
    }

    #[test]
    fn a_forwarded_hop_in_any_order() {
        let text = format!("Self={SELF};Root={ROOT};Caller=checkout;CallerSelf=root;Sampled=1");
        let h = parse(&text).unwrap();
        assert_eq!(h.root.to_string(), "5759e988bd862e3fe1be46a994272793");
        assert_eq!(h.root.low64(), 0xe1be46a994272793);
        assert_eq!(h.self_id.unwrap().to_string(), SELF);
        assert_eq!(h.self_id.unwrap().low64(), 0x89abcdef01234567);
        assert_eq!(h.caller.as_deref(), Some("checkout"));
        assert_eq!(h.caller_self, Some(CallerSelf::Root));
        assert_eq!(h.bad_link, None);
        assert_eq!(h.other, ["Sampled=1"]);
    }

    #[test]
    fn an_entry_hop_is_root_alone() {
        let h = parse(&format!("Root={ROOT}")).unwrap();
        assert_eq!(
            (h.self_id, h.caller, h.caller_self, h.bad_link),
            (None, None, None, None)
        );
    }

    #[test]
    fn caller_self_names_a_hop_in_either_case() {
        let text = format!(
            "Root={ROOT}; Self={SELF} ;Caller=cart;CallerSelf={};",
            SELF.to_uppercase()
        );
        let h = parse(&text).unwrap();
        assert_eq!(h.caller_self, Some(CallerSelf::Hop(h.self_id.unwrap())));
    }

    proptest::proptest! {
        #[test]
        fn x_ray_ids_are_1_dash_8_hex_dash_24_hex_in_either_case(
            text in "1-[0-9a-fA-F+g-]{8}-[0-9a-fA-F+g-]{22,25}|[0-9a-f-]{0,40}"
        ) {
            let b = text.as_bytes();
            let hex = |t: &[u8]| t.iter().all(u8::is_ascii_hexdigit);
            let valid = b.len() == 35 && b.starts_with(b"1-") && b[10] == b'-' && hex(&b[2..10]) && hex(&b[11..]);
            let want = valid.then(|| u128::from_str_radix(&format!("{}{}", &text[2..10], &text[11..]), 16).unwrap());
            proptest::prop_assert_eq!(x_ray_id(b), want);
        }
    }

    proptest::proptest! {
        #[test]
        fn eight_hex_digits_are_what_the_standard_parser_reads(
            digits in proptest::collection::vec(proptest::prelude::any::<u8>(), 8),
            hex in "[0-9a-fA-F]{8}",
            bad in proptest::prelude::any::<u8>(),
            at in 0usize..8,
        ) {
            let standard = |d: &[u8]| {
                let hex = d.iter().all(u8::is_ascii_hexdigit);
                hex.then(|| u32::from_str_radix(std::str::from_utf8(d).unwrap(), 16).unwrap())
            };
            proptest::prop_assert_eq!(hex8(&digits), standard(&digits));
            let mut one_off = hex.clone().into_bytes();
            one_off[at] = bad;
            proptest::prop_assert_eq!(hex8(&one_off), standard(&one_off));
            proptest::prop_assert_eq!(hex8(hex.as_bytes()), standard(hex.as_bytes()));
        }
    }

    #[test]
    fn root_and_self_problems_are_errors() {
        let table = [
            ("", HeaderError::NoRoot),
            ("Self=1-5759e988-0123456789abcdef01234567", HeaderError::NoRoot),
            ("Root=1-5759e988-bd862e3fe1be46a99427279", HeaderError::BadRoot),
            ("Root=2-5759e988-bd862e3fe1be46a994272793", HeaderError::BadRoot),
            ("Root=1-5759e98+-bd862e3fe1be46a994272793", HeaderError::BadRoot),
            ("Root=1-5759e988bd862e3fe1be46a994272793", HeaderError::BadRoot),
            ("root=1-5759e988-bd862e3fe1be46a994272793", HeaderError::NoRoot),
            ("Root=1-5759e988-bd862e3fe1be46a994272793;Root=1-5759e988-bd862e3fe1be46a994272793", HeaderError::RepeatedRoot),
            ("Root=1-5759e988-bd862e3fe1be46a994272793;Self=root", HeaderError::BadSelf),
            ("Root=1-5759e988-bd862e3fe1be46a994272793;Self=1-5759e988-0123456789abcdef01234567;Self=1-5759e988-0123456789abcdef01234567", HeaderError::RepeatedSelf),
        ];
        for (text, want) in table {
            assert_eq!(parse(text), Err(want), "{text}");
        }
        assert_eq!(HeaderError::RepeatedSelf.name(), "repeated_self");
    }

    #[test]
    fn a_bad_pair_keeps_the_hop_and_says_why() {
        let table = [
            ("Caller=Checkout;CallerSelf=root", BadLink::BadCaller),
            ("Caller=checkout;CallerSelf=ROOT", BadLink::BadCallerSelf),
            (
                "Caller=checkout;CallerSelf=1-5759e988-0123",
                BadLink::BadCallerSelf,
            ),
            ("Caller=checkout", BadLink::NoCallerSelf),
            ("CallerSelf=root", BadLink::NoCaller),
            ("Caller=a;Caller=a;CallerSelf=root", BadLink::RepeatedField),
            ("Caller=a;CallerSelf=root;CallerSelf=root", BadLink::RepeatedField),
            ("Caller=;CallerSelf=root", BadLink::BadCaller),
        ];
        for (pair, want) in table {
            let h = parse(&format!("Root={ROOT};Self={SELF};{pair}")).unwrap();
            assert_eq!(h.bad_link, Some(want), "{pair}");
        }
        let long = "a".repeat(64);
        let h = parse(&format!("Root={ROOT};Self={SELF};Caller={long};CallerSelf=root")).unwrap();
        assert_eq!(h.bad_link, Some(BadLink::BadCaller));
        let h = parse(&format!(
            "Root={ROOT};Self={SELF};Caller={};CallerSelf=root",
            &long[1..]
        ))
        .unwrap();
        assert_eq!(h.bad_link, None);
    }

    #[test]
    fn unknown_fields_are_kept_verbatim() {
        let h = parse(&format!("Root={ROOT};Parent=53995c3f42cd8ad8;flag;Sampled=1")).unwrap();
        assert_eq!(h.other, ["Parent=53995c3f42cd8ad8", "flag", "Sampled=1"]);
    }

    #[test]
    fn non_utf8_is_no_panic() {
        let mut text = format!("Root={ROOT};X=").into_bytes();
        text.extend_from_slice(&[0xff, 0xfe]);
        text.extend_from_slice(b";Caller=\xff;CallerSelf=root");
        let h = TraceHeader::parse(&text).unwrap();
        assert_eq!(h.bad_link, Some(BadLink::BadCaller));
        assert_eq!(h.other.len(), 1);
    }
}
