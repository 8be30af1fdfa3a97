//! OTLP/JSON: the `TracesData` message in the OTLP spec's JSON encoding, which an
//! OpenTelemetry collector (`otlpjsonfile` receiver) or a backend's upload reads.
//!
//! Where OTLP/JSON departs from protobuf's standard JSON mapping, it is followed: field
//! names lowerCamelCase, `traceId`/`spanId`/`parentSpanId` as lowercase hex (not base64),
//! enums as integers, 64-bit integers (`*UnixNano`, `intValue`) as decimal strings.
//!
//! Shape: one `resourceSpans` per service (by name), `service.name` its only resource
//! attribute, one scope `reqtrace`; its spans in trace order, then tree order. Every span
//! is `kind` 2 (SERVER: a load balancer saw a request arrive) but an application-log call,
//! `kind` 3 (CLIENT: the service called out) with no HTTP attributes; status code 2 (ERROR) for an
//! error, with `error_reason` as the message, else 0 (UNSET). The root has no
//! `parentSpanId`. Attributes follow the HTTP semantic conventions where one fits
//! (`http.request.method`, `http.route`, `http.response.status_code`, body sizes), else
//! `reqtrace.*`. Times are clamped to the field's u64 nanoseconds (1970 to 2554).

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use super::{route, span_hex, Export};
use crate::trace::hop::{Hop, Origin};
use crate::trace::stitch::{Span, Trace};

pub struct Otlp;

/// `SPAN_KIND_SERVER`, `SPAN_KIND_CLIENT`.
const SERVER: u8 = 2;
const CLIENT: u8 = 3;
/// `STATUS_CODE_UNSET`, `STATUS_CODE_ERROR`.
const UNSET: u8 = 0;
const ERROR: u8 = 2;

impl Export for Otlp {
    fn file_name(&self) -> &'static str {
        "traces.otlp.json"
    }

    fn write(&self, traces: &[Trace], out: &mut dyn Write) -> anyhow::Result<()> {
        let mut by_service: BTreeMap<&str, Vec<OtlpSpan>> = BTreeMap::new();
        for t in traces {
            for s in &t.spans {
                by_service.entry(s.service()).or_default().push(span(t, s));
            }
        }
        let resource_spans = by_service
            .into_iter()
            .map(|(name, spans)| resource(name, spans))
            .collect();
        serde_json::to_writer(&mut *out, &TracesData { resource_spans })?;
        writeln!(out)?;
        Ok(())
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TracesData<'a> {
    resource_spans: Vec<ResourceSpans<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans<'a> {
    resource: Resource<'a>,
    scope_spans: [ScopeSpans<'a>; 1],
}

#[derive(Serialize)]
struct Resource<'a> {
    attributes: [KeyValue<'a>; 1],
}

#[derive(Serialize)]
struct ScopeSpans<'a> {
    scope: Scope,
    spans: Vec<OtlpSpan<'a>>,
}

#[derive(Serialize)]
struct Scope {
    name: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OtlpSpan<'a> {
    trace_id: String,
    span_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<String>,
    name: &'a str,
    kind: u8,
    start_time_unix_nano: String,
    end_time_unix_nano: String,
    attributes: Vec<KeyValue<'a>>,
    status: Status<'a>,
}

#[derive(Serialize)]
struct KeyValue<'a> {
    key: &'static str,
    value: AnyValue<'a>,
}

#[derive(Serialize)]
enum AnyValue<'a> {
    #[serde(rename = "stringValue")]
    String(&'a str),
    /// int64: a decimal string in OTLP/JSON.
    #[serde(rename = "intValue")]
    Int(String),
    #[serde(rename = "boolValue")]
    Bool(bool),
}

#[derive(Serialize)]
struct Status<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    code: u8,
}

impl<'a> KeyValue<'a> {
    fn str(key: &'static str, value: &'a str) -> KeyValue<'a> {
        KeyValue {
            key,
            value: AnyValue::String(value),
        }
    }

    fn int(key: &'static str, value: impl Into<i64>) -> KeyValue<'a> {
        KeyValue {
            key,
            value: AnyValue::Int(value.into().to_string()),
        }
    }
}

fn resource<'a>(service: &'a str, spans: Vec<OtlpSpan<'a>>) -> ResourceSpans<'a> {
    ResourceSpans {
        resource: Resource {
            attributes: [KeyValue::str("service.name", service)],
        },
        scope_spans: [ScopeSpans {
            scope: Scope { name: "reqtrace" },
            spans,
        }],
    }
}

fn span<'a>(t: &Trace, s: &'a Span) -> OtlpSpan<'a> {
    let error = s.hop.as_ref().is_some_and(|h| h.error);
    OtlpSpan {
        trace_id: t.id.to_string(),
        span_id: span_hex(s.span_id),
        parent_span_id: s.parent.and_then(|p| t.spans.get(p)).map(|p| span_hex(p.span_id)),
        name: s.operation(),
        kind: match s.hop.as_ref().map(|h| h.origin) {
            Some(Origin::App) => CLIENT,
            _ => SERVER,
        },
        start_time_unix_nano: nanos(s.start),
        end_time_unix_nano: nanos(s.start + s.duration()),
        attributes: attributes(s),
        status: Status {
            message: s
                .hop
                .as_ref()
                .and_then(|h| h.error_reason.as_deref())
                .filter(|_| error),
            code: if error { ERROR } else { UNSET },
        },
    }
}

fn attributes(s: &Span) -> Vec<KeyValue<'_>> {
    let mut attrs = Vec::new();
    let Some(h) = &s.hop else {
        attrs.push(KeyValue {
            key: "reqtrace.synthetic",
            value: AnyValue::Bool(true),
        });
        return attrs;
    };
    if h.origin == Origin::Alb {
        http_attributes(h, &mut attrs);
    }
    attrs.extend(h.caller.as_deref().map(|c| KeyValue::str("reqtrace.caller", c)));
    attrs.extend(
        s.unknown
            .map(|u| KeyValue::str("reqtrace.parent_unknown", u.name())),
    );
    attrs
}

/// What the load balancer logged of a request.
fn http_attributes<'a>(h: &'a Hop, attrs: &mut Vec<KeyValue<'a>>) {
    attrs.push(KeyValue::str("http.request.method", h.method()));
    attrs.extend(route(&h.operation).map(|r| KeyValue::str("http.route", r)));
    attrs.extend(
        h.status
            .map(|code| KeyValue::int("http.response.status_code", code)),
    );
    attrs.push(KeyValue::int(
        "http.request.body.size",
        h.request_bytes.min(i64::MAX as u64) as i64,
    ));
    attrs.push(KeyValue::int(
        "http.response.body.size",
        h.response_bytes.min(i64::MAX as u64) as i64,
    ));
    attrs.push(KeyValue::str("reqtrace.elb", &h.elb));
    attrs.extend(
        h.elb_status
            .map(|code| KeyValue::int("reqtrace.elb_status_code", code)),
    );
    attrs.extend(
        h.error_reason
            .as_deref()
            .map(|r| KeyValue::str("reqtrace.error_reason", r)),
    );
    attrs.extend(
        h.classification
            .as_deref()
            .map(|c| KeyValue::str("reqtrace.classification", c)),
    );
}

/// Unix microseconds as decimal nanoseconds, clamped to the field's u64.
fn nanos(micros: i64) -> String {
    u64::try_from(micros)
        .unwrap_or(0)
        .saturating_mul(1000)
        .to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::trace::header::{CallerSelf, TraceId};
    use crate::trace::hop::sample::{hop, id};
    use crate::trace::hop::Hop;
    use crate::trace::stitch::stitch;

    /// A tree with an error, and a trace with no entry hop whose spans form a cycle.
    fn hops() -> Vec<Hop> {
        let mut db = hop("db", Some(2), Some(CallerSelf::Hop(id(1))), (10, 15));
        (db.status, db.error, db.error_reason) = (Some(503), true, Some("TargetTimeout".into()));
        let mut cycle = vec![
            hop("a", Some(5), Some(CallerSelf::Hop(id(6))), (1, 2)),
            hop("b", Some(6), Some(CallerSelf::Hop(id(5))), (1, 3)),
        ];
        for h in &mut cycle {
            h.trace = TraceId(1 << 100 | 7);
        }
        let mut hops = vec![
            hop("web", None, None, (0, 100)),
            hop("cart", Some(1), Some(CallerSelf::Root), (5, 40)),
            db,
        ];
        hops.extend(cycle);
        hops
    }

    fn exported() -> Value {
        let mut out = Vec::new();
        Otlp.write(&stitch(hops()).traces, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    /// `cargo test --lib trace::export::otlp -- --ignored` writes a file for
    /// `tests/otlp_check.py` to `$OTLP_SAMPLE` (default: the temporary directory).
    #[test]
    #[ignore = "writes a file for tests/otlp_check.py"]
    fn sample_for_the_python_checker() {
        let path = std::env::var_os("OTLP_SAMPLE").map_or_else(
            || std::env::temp_dir().join("reqtrace-sample.otlp.json"),
            Into::into,
        );
        let mut out = Vec::new();
        Otlp.write(&stitch(hops()).traces, &mut out).unwrap();
        std::fs::write(&path, out).unwrap();
        println!("wrote {}", path.display());
    }

    #[test]
    fn an_application_log_call_is_a_client_span_without_http_attributes() {
        let mut query = hop("cart", Some(3), Some(CallerSelf::Hop(id(1))), (6, 9));
        (query.origin, query.operation, query.error) = (Origin::App, "SELECT carts".into(), true);
        let mut hops = hops();
        hops.push(query);
        let mut out = Vec::new();
        Otlp.write(&stitch(hops).traces, &mut out).unwrap();
        let file: Value = serde_json::from_slice(&out).unwrap();
        let spans = &file["resourceSpans"][3]["scopeSpans"][0]["spans"];
        let call = spans
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "SELECT carts")
            .unwrap();
        assert_eq!(
            (&call["kind"], &call["parentSpanId"]),
            (&json!(3), &json!("0000000000000001"))
        );
        assert_eq!(call["status"]["code"], 2);
        let keys: Vec<&Value> = call["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["key"])
            .collect();
        assert_eq!(keys, ["reqtrace.caller"]);
    }

    #[test]
    fn one_resource_per_service_in_name_order() {
        let file = exported();
        let services: Vec<&Value> = file["resourceSpans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["resource"]["attributes"][0]["value"]["stringValue"])
            .collect();
        assert_eq!(services, ["(unknown)", "a", "b", "cart", "db", "web"]);
        assert_eq!(
            file["resourceSpans"][3]["scopeSpans"][0]["scope"],
            json!({"name": "reqtrace"})
        );
    }

    #[test]
    fn ids_are_hex_times_are_strings_enums_are_integers() {
        let file = exported();
        let web = &file["resourceSpans"][5]["scopeSpans"][0]["spans"][0];
        assert_eq!(web["traceId"], "5759e988bd862e3fe1be46a994272793");
        assert_eq!(web["spanId"], "e1be46a994272793");
        assert!(web.get("parentSpanId").is_none());
        assert_eq!(web["kind"], 2);
        assert_eq!(web["startTimeUnixNano"], "1700000000000000000");
        assert_eq!(web["endTimeUnixNano"], "1700000000100000000");
        assert_eq!(web["status"], json!({"code": 0}));
        let db = &file["resourceSpans"][4]["scopeSpans"][0]["spans"][0];
        assert_eq!(db["parentSpanId"], "0000000000000001");
        assert_eq!(db["status"], json!({"message": "TargetTimeout", "code": 2}));
        assert_eq!(
            db["attributes"][2],
            json!({"key": "http.response.status_code", "value": {"intValue": "503"}})
        );
    }

    #[test]
    fn nanos_never_go_negative() {
        assert_eq!(nanos(-1), "0");
        assert_eq!(nanos(i64::MAX), u64::MAX.to_string());
    }
}
