//! Stitched traces (ALB hops and application-log calls) as [`Span`]s for the ranking.
//!
//! An ALB line logs two views of one call: the load balancer's (request received →
//! response sent) and the target's own processing time. A hop under a known caller becomes
//! a client span on the caller (the first view, named by the callee's operation, as gRPC
//! client spans are) around a server span on the callee (the second, centred in the first),
//! so the time between services is the one `deps` reports. An entry hop is its server span
//! alone; an application-log call is one span of its service under the hop it names.

use super::span::{Kind, Span};
use crate::trace::hop::{stable_hash, Origin};
use crate::trace::stitch::{self, Stitched};

/// The parent of a hop whose caller is unknown (cut header, caller never logged): no span
/// has it, so the span set counts it as a missing parent.
const UNKNOWN_PARENT: u64 = u64::MAX;

/// Every hop of every trace, in trace order.
pub fn spans(stitched: &Stitched) -> Vec<Span> {
    let mut spans = Vec::new();
    for trace in &stitched.traces {
        let id = stable_hash(&trace.id.0);
        for (i, span) in trace.spans.iter().enumerate() {
            add(id, &trace.spans, i, span, &mut spans);
        }
    }
    spans
}

fn add(trace: u64, all: &[stitch::Span], i: usize, span: &stitch::Span, out: &mut Vec<Span>) {
    let Some(hop) = &span.hop else { return };
    // Ids within a trace: 2i for a hop's own span, 2i + 1 for its caller's client span.
    let (own, client) = (2 * i as u64, 2 * i as u64 + 1);
    let parent = match span.parent {
        _ if span.unknown.is_some() => Some(UNKNOWN_PARENT),
        Some(p) if all[p].hop.is_some() => Some(2 * p as u64),
        _ => None,
    };
    let mk = |id, parent, service: &str, kind, (start, end)| Span {
        trace,
        id,
        parent,
        service: service.into(),
        operation: hop.operation.clone(),
        start,
        end,
        error: hop.error,
        kind,
    };
    if hop.origin == Origin::App {
        out.push(mk(own, parent, &hop.service, Kind::Other, (span.start, span.end)));
        return;
    }
    // No target answered (-1: a 502 or 504 the load balancer made): the callee's view is
    // unknown, so it is the load balancer's, and no time is put between the two.
    let target = hop
        .target_time
        .map_or(span.duration(), |t| t.clamp(0, span.duration()));
    let start = span.start + (span.duration() - target) / 2;
    let server = match (parent, span.parent) {
        (Some(p), Some(caller)) if p != UNKNOWN_PARENT => {
            out.push(mk(
                client,
                parent,
                all[caller].service(),
                Kind::Client,
                (span.start, span.end),
            ));
            Some(client)
        }
        _ => parent,
    };
    out.push(mk(
        own,
        server,
        &hop.service,
        Kind::Other,
        (start, start + target),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::span::SpanSet;
    use crate::trace::header::CallerSelf;
    use crate::trace::hop::sample;
    use crate::trace::stitch::stitch;

    const MS: i64 = 1000;

    #[test]
    fn a_called_hop_is_a_client_span_on_the_caller_around_the_callee_s_own_time() {
        let hops = vec![
            sample::hop("gateway", None, None, (0, 100)),
            sample::hop("api", Some(1), Some(CallerSelf::Root), (10, 60)),
            // `Self` without `Caller`: the header was cut, the parent is unknown.
            sample::hop("db", Some(2), None, (20, 30)),
        ];
        let spans = spans(&stitch(hops));
        let find = |service: &str, op_parent: fn(&Span) -> bool| {
            spans
                .iter()
                .find(|s| s.service == service && op_parent(s))
                .unwrap()
        };
        let gateway = find("gateway", |s| s.parent.is_none());
        assert_eq!(gateway.duration(), 90 * MS, "the target's own 90%");
        let client = find("gateway", |s| s.parent.is_some());
        assert_eq!((client.parent, client.duration()), (Some(gateway.id), 50 * MS));
        let api = find("api", |_| true);
        assert_eq!((api.parent, api.duration()), (Some(client.id), 45 * MS));
        assert!(api.start > client.start && api.end < client.end);
        let set = SpanSet::new(spans.clone());
        assert_eq!((set.spans.len(), set.missing_parent), (4, 1));
    }
}
