//! [`Hop`]: one ALB log line as a span, the unit `stitch` builds trees from. Owns the row
//! and the two rules every builder of one must share (which status, what is an error);
//! it does not read log lines (`from_alb` does) or know parents (`stitch` does).

use std::hash::{BuildHasher, Hash};

use compact_str::CompactString;

use super::header::{BadLink, CallerSelf, HopId, TraceId};

/// Which log told of a hop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// An ALB access-log line: a request between services (a server span).
    #[default]
    Alb,
    /// An application-log line: a call the service made past every load balancer, such
    /// as a database query (a client span; no status, bytes or load balancer).
    App,
}

/// One request through a load balancer, as its log line tells it, or one call an
/// application log tells of ([`Origin`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hop {
    /// Which log told of it.
    pub origin: Origin,
    /// The trace: the header's `Root`.
    pub trace: TraceId,
    /// The header's `Self`; `None` on the entry hop, whose `Root` the load balancer made.
    pub self_id: Option<HopId>,
    /// The calling service (`Caller`), when well formed.
    pub caller: Option<CompactString>,
    /// The caller's inbound request (`CallerSelf`), when well formed.
    pub caller_self: Option<CallerSelf>,
    /// Set when `Caller`/`CallerSelf` is unusable: the parent is then unknown.
    pub bad_link: Option<BadLink>,
    /// The callee: the target group's name, else the domain name, else the load balancer's.
    pub service: CompactString,
    /// `METHOD /templated/path` ([`super::operation::operation`]).
    pub operation: CompactString,
    /// The target's status, else the load balancer's ([`Hop::outcome`]).
    pub status: Option<u16>,
    /// `elb_status_code`.
    pub elb_status: Option<u16>,
    /// Status 500 or more, or a response the load balancer made itself ([`Hop::outcome`]).
    pub error: bool,
    /// `request_creation_time`, Unix microseconds: when the load balancer got the request.
    pub start: i64,
    /// `time`, Unix microseconds: when it sent the response.
    pub end: i64,
    /// `received_bytes` (0 when logged as `-`).
    pub request_bytes: u64,
    /// `sent_bytes` (0 when logged as `-`).
    pub response_bytes: u64,
    /// The load balancer's name, from the `elb` field.
    pub elb: CompactString,
    /// Which input the line came from (index into the command's list), for messages.
    pub input: u32,
    /// Its 1-based line number in that input.
    pub line: u64,
    /// `error_reason`, when logged.
    pub error_reason: Option<CompactString>,
    /// `classification` (desync mitigation: `Acceptable`, `Ambiguous`, `Severe`), when logged.
    pub classification: Option<CompactString>,
    /// `target_processing_time` in microseconds: the callee's own view of the call;
    /// `None` when logged as -1 (no target answered).
    pub target_time: Option<i64>,
}

impl Hop {
    /// The status to show and the error flag, from `target_status_code` and
    /// `elb_status_code`: the target's status when it answered; an error at 500 and up, or
    /// when the load balancer answered a 4xx/5xx itself (no target status).
    pub fn outcome(target_status: Option<u16>, elb_status: Option<u16>) -> (Option<u16>, bool) {
        let status = target_status.or(elb_status);
        let elb_made = target_status.is_none() && elb_status.is_some_and(|s| s >= 400);
        (status, elb_made || status.is_some_and(|s| s >= 500))
    }

    /// Its span id in exports: the last 16 hex digits of `Self`, or of `Root` for the entry hop.
    pub fn span_id(&self) -> u64 {
        self.self_id.map_or(self.trace.low64(), HopId::low64)
    }

    /// The request's method: the operation's first word.
    pub fn method(&self) -> &str {
        self.operation.split(' ').next().unwrap_or_default()
    }

    /// Microseconds from start to end; 0 when the clock says the end came first.
    pub fn duration(&self) -> i64 {
        duration(self.start, self.end)
    }

    /// A hash of everything a hop's line says, not of where it was read ([`stable_hash`]).
    pub fn content_hash(&self) -> u64 {
        // Destructured so that a new field cannot be left out unnoticed.
        let Hop {
            origin,
            trace,
            self_id,
            caller,
            caller_self,
            bad_link,
            service,
            operation,
            status,
            elb_status,
            error,
            start,
            end,
            request_bytes,
            response_bytes,
            elb,
            input: _,
            line: _,
            error_reason,
            classification,
            target_time,
        } = self;
        stable_hash(&(
            (origin, trace, self_id, caller, caller_self, bad_link),
            (service, operation, status, elb_status, error, start, end),
            (
                request_bytes,
                response_bytes,
                elb,
                error_reason,
                classification,
                target_time,
            ),
        ))
    }
}

/// A hop reduced to what its dependency edge counts. `deps` folds these, not whole hops,
/// so that reading a window never templates an operation or copies a text it does not show.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EdgeHop {
    pub trace: TraceId,
    pub self_id: Option<HopId>,
    /// An entry hop's [`Hop::content_hash`] (what tells a repeat of it from another entry
    /// hop of its trace); 0 for a hop with a `Self`.
    pub entry_hash: u64,
    pub caller: Option<CompactString>,
    pub service: CompactString,
    pub error: bool,
    pub start: i64,
    pub end: i64,
    pub target_time: Option<i64>,
    pub request_bytes: u64,
    pub response_bytes: u64,
}

impl EdgeHop {
    pub fn of(hop: &Hop) -> EdgeHop {
        EdgeHop {
            trace: hop.trace,
            self_id: hop.self_id,
            entry_hash: if hop.self_id.is_none() {
                hop.content_hash()
            } else {
                0
            },
            caller: hop.caller.clone(),
            service: hop.service.clone(),
            error: hop.error,
            start: hop.start,
            end: hop.end,
            target_time: hop.target_time,
            request_bytes: hop.request_bytes,
            response_bytes: hop.response_bytes,
        }
    }

    /// As [`Hop::duration`].
    pub fn duration(&self) -> i64 {
        duration(self.start, self.end)
    }
}

/// The same hash on every run and machine (foldhash with a fixed seed: fast, and 64 bits
/// make a collision among one trace's hops vanishingly rare).
pub fn stable_hash(value: &impl Hash) -> u64 {
    foldhash::fast::FixedState::with_seed(0x5eed).hash_one(value)
}

fn duration(start: i64, end: i64) -> i64 {
    (end - start).max(0)
}

/// Hand-built hops for the trace module's tests.
#[cfg(test)]
pub(crate) mod sample {
    use proptest::prelude::*;

    use super::*;

    pub const ROOT: TraceId = TraceId(0x5759e988_bd862e3fe1be46a994272793);

    /// A `Self` with its 8 hex time digits and a small number in the random part.
    pub fn id(n: u128) -> HopId {
        HopId(0x5759e988 << 96 | n)
    }

    /// A 200 from `service`, `start`..`end` milliseconds after a fixed instant.
    pub fn hop(service: &str, self_id: Option<u128>, caller_self: Option<CallerSelf>, ms: (i64, i64)) -> Hop {
        const T0: i64 = 1_700_000_000_000_000;
        Hop {
            origin: Origin::Alb,
            trace: ROOT,
            self_id: self_id.map(id),
            caller: caller_self.map(|_| "caller".into()),
            caller_self,
            bad_link: None,
            service: service.into(),
            operation: "GET /items/{id}".into(),
            status: Some(200),
            elb_status: Some(200),
            error: false,
            start: T0 + ms.0 * 1000,
            end: T0 + ms.1 * 1000,
            request_bytes: 100,
            response_bytes: 2000,
            elb: "shop".into(),
            input: 0,
            line: 1 + self_id.unwrap_or(0) as u64,
            error_reason: None,
            classification: None,
            target_time: Some((ms.1 - ms.0) * 900),
        }
    }

    /// A small world of hops: two traces, six `Self`s each, any link between them, so
    /// duplicates, missing callers, cycles and missing entry hops all turn up.
    pub fn arb_hops() -> impl Strategy<Value = Vec<Hop>> {
        let one = (
            0..2u8,
            proptest::option::weighted(0.85, 1..7u128),
            0..10u8,
            0..50i64,
            0..20i64,
        );
        proptest::collection::vec(one, 0..24).prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(n, (trace, self_id, link, start, len))| {
                    let caller_self = match link {
                        0 | 1 => None,
                        2 | 3 => Some(CallerSelf::Root),
                        k => Some(CallerSelf::Hop(id(u128::from(k) - 3))),
                    };
                    let mut h = hop("svc", self_id, caller_self, (start, start + len));
                    h.service = format!("svc{}", link % 3).into();
                    h.trace = TraceId(ROOT.0 + u128::from(trace));
                    h.bad_link = (link == 9).then_some(super::BadLink::NoCallerSelf);
                    h.line = n as u64 + 1;
                    h
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::sample::*;
    use super::*;

    #[test]
    fn outcome_table() {
        let table = [
            ((Some(200), Some(200)), (Some(200), false)),
            ((Some(404), Some(404)), (Some(404), false)),
            ((Some(503), Some(503)), (Some(503), true)),
            ((Some(200), Some(502)), (Some(200), false)),
            ((None, Some(502)), (Some(502), true)),
            ((None, Some(460)), (Some(460), true)),
            ((None, Some(301)), (Some(301), false)),
            ((None, None), (None, false)),
        ];
        for ((target, elb), want) in table {
            assert_eq!(Hop::outcome(target, elb), want, "{target:?} {elb:?}");
        }
    }

    #[test]
    fn span_ids_and_method() {
        let entry = hop("web", None, None, (0, 10));
        assert_eq!(entry.span_id(), 0xe1be46a994272793);
        let inner = hop("cart", Some(0xabc), Some(CallerSelf::Root), (1, 5));
        assert_eq!(inner.span_id(), 0xabc);
        assert_eq!(inner.method(), "GET");
        assert_eq!(inner.duration(), 4000);
    }
}
