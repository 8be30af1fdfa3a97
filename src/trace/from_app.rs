//! One application-log call as a [`Hop`] (TRACING.md, "Application logs"): a child span
//! of the hop its `self` names, or why it is not one. Owns how a call fills a hop; the
//! line's schema is `logs::applog`'s.
//!
//! A call has no `Self` of its own, and stitching finds parents and duplicates by `Self`,
//! so it gets a synthetic one: the start's seconds in the top 32 bits (as an X-Ray id
//! has), then 96 bits of SHA-256 over everything the line says. The same line delivered
//! twice is then one span, and two different calls are two.

use compact_str::CompactString;
use sha2::{Digest, Sha256};

use super::from_alb::Untraced;
use super::header::{BadLink, CallerSelf, HeaderError, HopId, TraceId};
use super::hop::{Hop, Origin};
use crate::logs::applog::AppCall;

/// The hop `call` tells of; `input` and `line` say where it was read.
pub fn hop(call: &AppCall, input: u32, line: u64) -> Result<Hop, Untraced> {
    let trace = TraceId::parse(call.root.as_bytes()).ok_or(Untraced::Header(HeaderError::BadRoot))?;
    let caller_self = CallerSelf::parse(call.self_id.as_bytes());
    let start = call.start_micros();
    let end = start.saturating_add(i64::try_from(call.duration_us).unwrap_or(i64::MAX));
    Ok(Hop {
        origin: Origin::App,
        trace,
        self_id: Some(self_id(call, start)),
        caller: Some(CompactString::from(call.service.as_str())),
        bad_link: caller_self.is_none().then_some(BadLink::BadCallerSelf),
        caller_self,
        service: CompactString::from(call.service.as_str()),
        operation: CompactString::from(call.operation.as_str()),
        status: None,
        elb_status: None,
        error: call.error,
        start,
        end,
        request_bytes: 0,
        response_bytes: 0,
        elb: CompactString::default(),
        input,
        line,
        error_reason: None,
        classification: None,
        target_time: None,
    })
}

fn self_id(call: &AppCall, start: i64) -> HopId {
    let mut digest = Sha256::new();
    for field in [&call.root, &call.self_id, &call.service, &call.operation] {
        digest.update((field.len() as u64).to_le_bytes());
        digest.update(field.as_bytes());
    }
    digest.update(start.to_le_bytes());
    digest.update(call.duration_us.to_le_bytes());
    digest.update([u8::from(call.error)]);
    let hash = digest.finalize();
    let low = hash[..12].iter().fold(0u128, |n, &b| n << 8 | u128::from(b));
    let seconds = start.div_euclid(1_000_000) as u32;
    HopId(u128::from(seconds) << 96 | low)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::applog;
    use crate::trace::hop::sample::{self, ROOT};
    use crate::trace::stitch::{stitch, Unknown};

    /// A call under `self`, `ms`..`ms + 2` milliseconds after the sample hops' instant.
    fn call(self_id: &str, operation: &str, ms: i64) -> AppCall {
        let start = jiff::Timestamp::from_microsecond(1_700_000_000_000_000 + ms * 1000).unwrap();
        let line = format!(
            r#"{{"root":"1-5759e988-bd862e3fe1be46a994272793","self":"{self_id}","service":"lessons","operation":"{operation}","start":"{start}","duration_us":2000}}"#
        );
        applog::parse(line.as_bytes()).unwrap()
    }

    fn child_self(n: u128) -> String {
        let id = sample::id(n).0;
        format!("1-{:08x}-{:024x}", id >> 96, id & ((1 << 96) - 1))
    }

    #[test]
    fn a_call_is_a_client_span_of_its_root_with_no_status() {
        let hop = hop(&call("root", "SELECT lessons", 5), 1, 9).unwrap();
        assert_eq!((hop.origin, hop.trace), (Origin::App, ROOT));
        assert_eq!(
            (hop.caller_self, hop.caller.as_deref()),
            (Some(CallerSelf::Root), Some("lessons"))
        );
        assert_eq!(
            (hop.status, hop.duration(), hop.input, hop.line),
            (None, 2000, 1, 9)
        );
        assert_eq!(
            hop.self_id.unwrap().0 >> 96,
            1_700_000_000,
            "seconds lead the synthetic Self"
        );
    }

    #[test]
    fn a_bad_root_is_untraced_and_a_bad_self_is_a_bad_link() {
        let mut c = call("root", "GET", 0);
        c.root = "nope".into();
        assert_eq!(hop(&c, 0, 1).map_err(Untraced::name), Err("bad_root"));
        let c = call("1-zz", "GET", 0);
        assert_eq!(hop(&c, 0, 1).unwrap().bad_link, Some(BadLink::BadCallerSelf));
    }

    #[test]
    fn calls_hang_under_the_hop_they_name_and_a_repeated_line_is_one_span() {
        let entry = sample::hop("gateway", None, None, (0, 100));
        let lessons = sample::hop("lessons", Some(7), Some(CallerSelf::Root), (10, 50));
        let query = hop(&call(&child_self(7), "SELECT lessons", 20), 1, 1).unwrap();
        let again = hop(&call(&child_self(7), "SELECT lessons", 20), 1, 2).unwrap();
        let other = hop(&call(&child_self(7), "SELECT streaks", 20), 1, 3).unwrap();
        let lost = hop(&call(&child_self(8), "redis GET", 30), 1, 4).unwrap();
        let stitched = stitch(vec![entry, lessons, query, again, other, lost]);
        let spans = &stitched.traces[0].spans;
        let at = |op: &str| {
            spans
                .iter()
                .position(|s| s.hop.as_ref().is_some_and(|h| h.operation == op))
                .unwrap()
        };
        let parent_op = |i: usize| {
            spans[spans[i].parent.unwrap()]
                .hop
                .as_ref()
                .unwrap()
                .service
                .clone()
        };
        let lessons_at = spans
            .iter()
            .position(|s| {
                s.hop
                    .as_ref()
                    .is_some_and(|h| h.service == "lessons" && h.origin == Origin::Alb)
            })
            .unwrap();
        assert_eq!(spans[at("SELECT lessons")].parent, Some(lessons_at));
        assert_eq!(spans[at("SELECT streaks")].parent, Some(lessons_at));
        assert_eq!(parent_op(at("redis GET")), "gateway");
        assert_eq!(spans[at("redis GET")].unknown, Some(Unknown::CallerNotLogged));
        assert_eq!((stitched.summary.hops, stitched.summary.duplicates), (5, 1));
    }
}
