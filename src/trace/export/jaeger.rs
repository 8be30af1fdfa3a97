//! The JSON the Jaeger UI opens offline ("Search" → "JSON File"): `{"data":[trace…]}`, each
//! trace with its spans and a `processes` table, one process per service.
//!
//! What the UI's loader needs, and the tests check (jaeger-ui `readJsonFile`,
//! `transformTraceData`, `getTraceSpanIdsAsTree`): no top-level `resourceSpans` (that
//! would send the file to a backend's OTLP converter); a `data` array; a trace id, equal
//! in every span and reference, lowercase (the UI lowercases the trace's); a non-zero
//! integer `startTime` (spans without are dropped) and an integer `duration`, microseconds;
//! every `processID` in `processes`; span ids unique (a repeat is renamed, cutting its
//! children off); references `CHILD_OF`, to spans in the trace, on every span but one root.
//!
//! Tags: `span.kind`, `http.method`, `http.status_code`, `error` (only when true), `elb`,
//! `elb.status_code`, `elb.error_reason`, `elb.classification`, `caller`, `parent_unknown`
//! (the reason's name) and `synthetic` on a stand-in root. An application-log call is
//! `span.kind` `client` with only `error`, `caller` and `parent_unknown` besides. A span
//! whose parent is unknown also carries a warning saying why, which the UI shows on it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use serde::Serialize;

use super::{route, span_hex, Export};
use crate::trace::hop::{Hop, Origin};
use crate::trace::stitch::{Span, Trace};

pub struct Jaeger;

impl Export for Jaeger {
    fn file_name(&self) -> &'static str {
        "traces.jaeger.json"
    }

    fn write(&self, traces: &[Trace], out: &mut dyn Write) -> anyhow::Result<()> {
        let file = File {
            data: traces.iter().map(trace).collect(),
        };
        serde_json::to_writer(&mut *out, &file)?;
        writeln!(out)?;
        Ok(())
    }
}

#[derive(Serialize)]
struct File<'a> {
    data: Vec<JaegerTrace<'a>>,
}

#[derive(Serialize)]
struct JaegerTrace<'a> {
    #[serde(rename = "traceID")]
    trace_id: String,
    spans: Vec<JaegerSpan<'a>>,
    processes: BTreeMap<String, Process<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JaegerSpan<'a> {
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
    operation_name: &'a str,
    references: Vec<Reference>,
    start_time: i64,
    duration: i64,
    tags: Vec<Tag<'a>>,
    logs: [(); 0],
    #[serde(rename = "processID")]
    process_id: String,
    warnings: Option<Vec<String>>,
}

#[derive(Serialize)]
struct Reference {
    #[serde(rename = "refType")]
    ref_type: &'static str,
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
}

#[derive(Serialize)]
struct Process<'a> {
    #[serde(rename = "serviceName")]
    service_name: &'a str,
    tags: [(); 0],
}

#[derive(Serialize)]
struct Tag<'a> {
    key: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    value: Value<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Value<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
}

impl<'a> Tag<'a> {
    fn str(key: &'static str, value: &'a str) -> Tag<'a> {
        Tag {
            key,
            kind: "string",
            value: Value::Str(value),
        }
    }

    fn int(key: &'static str, value: impl Into<i64>) -> Tag<'a> {
        Tag {
            key,
            kind: "int64",
            value: Value::Int(value.into()),
        }
    }

    fn yes(key: &'static str) -> Tag<'a> {
        Tag {
            key,
            kind: "bool",
            value: Value::Bool(true),
        }
    }
}

fn trace(t: &Trace) -> JaegerTrace<'_> {
    let trace_id = t.id.to_string();
    // p1, p2, … by service name, so the numbering is fixed.
    let names: BTreeSet<&str> = t.spans.iter().map(Span::service).collect();
    let services: BTreeMap<&str, String> = names
        .into_iter()
        .enumerate()
        .map(|(n, name)| (name, format!("p{}", n + 1)))
        .collect();
    let spans = t.spans.iter().map(|s| span(t, s, &trace_id, &services)).collect();
    let processes = services
        .iter()
        .map(|(&name, id)| {
            (
                id.clone(),
                Process {
                    service_name: name,
                    tags: [],
                },
            )
        })
        .collect();
    JaegerTrace {
        trace_id,
        spans,
        processes,
    }
}

fn span<'a>(t: &'a Trace, s: &'a Span, trace_id: &str, services: &BTreeMap<&str, String>) -> JaegerSpan<'a> {
    let references = s
        .parent
        .and_then(|p| t.spans.get(p))
        .map(|p| Reference {
            ref_type: "CHILD_OF",
            trace_id: trace_id.to_string(),
            span_id: span_hex(p.span_id),
        })
        .into_iter()
        .collect();
    JaegerSpan {
        trace_id: trace_id.to_string(),
        span_id: span_hex(s.span_id),
        operation_name: s.operation(),
        references,
        start_time: s.start,
        duration: s.duration(),
        tags: tags(s),
        logs: [],
        process_id: services.get(s.service()).cloned().unwrap_or_default(),
        warnings: warnings(s),
    }
}

fn tags(s: &Span) -> Vec<Tag<'_>> {
    let kind = match s.hop.as_ref().map(|h| h.origin) {
        Some(Origin::App) => "client",
        _ => "server",
    };
    let mut tags = vec![Tag::str("span.kind", kind)];
    match &s.hop {
        None => tags.push(Tag::yes("synthetic")),
        Some(h) if h.origin == Origin::Alb => http_tags(h, &mut tags),
        Some(h) => tags.extend(h.error.then(|| Tag::yes("error"))),
    }
    if let Some(h) = &s.hop {
        tags.extend(h.caller.as_deref().map(|c| Tag::str("caller", c)));
    }
    tags.extend(s.unknown.map(|u| Tag::str("parent_unknown", u.name())));
    tags
}

/// What the load balancer logged of a request.
fn http_tags<'a>(h: &'a Hop, tags: &mut Vec<Tag<'a>>) {
    tags.push(Tag::str("http.method", h.method()));
    tags.extend(route(&h.operation).map(|r| Tag::str("http.route", r)));
    tags.extend(h.status.map(|code| Tag::int("http.status_code", code)));
    if h.error {
        tags.push(Tag::yes("error"));
    }
    tags.push(Tag::str("elb", &h.elb));
    tags.extend(h.elb_status.map(|code| Tag::int("elb.status_code", code)));
    tags.extend(h.error_reason.as_deref().map(|r| Tag::str("elb.error_reason", r)));
    tags.extend(
        h.classification
            .as_deref()
            .map(|c| Tag::str("elb.classification", c)),
    );
}

fn warnings(s: &Span) -> Option<Vec<String>> {
    match (&s.hop, s.unknown) {
        (None, _) => Some(vec![
            "the trace's entry hop was not logged: this span stands in for it".into(),
        ]),
        (Some(_), Some(u)) => Some(vec![format!("parent unknown: {}", u.phrase())]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde_json::Value;

    use super::*;
    use crate::trace::header::{CallerSelf, TraceId};
    use crate::trace::hop::sample::{arb_hops, hop, id};
    use crate::trace::stitch::stitch;

    /// Traces that exercise every shape: a plain tree, an unknown parent, an error and a
    /// synthetic root.
    fn traces() -> Vec<Trace> {
        let mut pay = hop("payments", Some(4), Some(CallerSelf::Root), (50, 90));
        (pay.status, pay.error, pay.error_reason) = (Some(502), true, Some("TargetResponseError".into()));
        let mut orphan = hop("cart", Some(7), Some(CallerSelf::Root), (1, 3));
        orphan.trace = TraceId(0x0123456789abcdef0123456789abcdef);
        let hops = vec![
            hop("web", None, None, (0, 100)),
            hop("cart", Some(1), Some(CallerSelf::Root), (5, 40)),
            hop("db", Some(2), Some(CallerSelf::Hop(id(1))), (10, 15)),
            pay,
            hop("search", Some(5), None, (92, 99)),
            orphan,
        ];
        stitch(hops).traces
    }

    fn exported(traces: &[Trace]) -> Value {
        let mut out = Vec::new();
        Jaeger.write(traces, &mut out).unwrap();
        assert_eq!(out.last(), Some(&b'\n'));
        serde_json::from_slice(&out).unwrap()
    }

    fn is_hex(text: &str, len: usize) -> bool {
        text.len() == len
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    /// The Jaeger UI loader's rules (see the module doc), applied to one file.
    fn check_loadable(file: &Value) {
        assert!(
            file.get("resourceSpans").is_none(),
            "would be sent to an OTLP converter"
        );
        let data = file["data"].as_array().expect("a data array");
        for trace in data {
            let trace_id = trace["traceID"].as_str().expect("traceID");
            assert!(is_hex(trace_id, 32), "{trace_id}");
            let processes = trace["processes"].as_object().expect("processes");
            for p in processes.values() {
                assert!(p["serviceName"].as_str().is_some_and(|s| !s.is_empty()));
                assert!(p["tags"].is_array());
            }
            let spans = trace["spans"].as_array().expect("spans");
            let ids: Vec<&str> = spans
                .iter()
                .map(|s| s["spanID"].as_str().expect("spanID"))
                .collect();
            let unique: BTreeSet<&str> = ids.iter().copied().collect();
            assert_eq!(unique.len(), ids.len(), "span ids repeat");
            let mut roots = 0;
            for s in spans {
                assert_eq!(s["traceID"], trace["traceID"]);
                assert!(is_hex(s["spanID"].as_str().unwrap_or_default(), 16));
                assert!(s["operationName"].as_str().is_some_and(|o| !o.is_empty()));
                assert!(
                    s["startTime"].as_u64().is_some_and(|t| t > 0),
                    "startTime: {}",
                    s["startTime"]
                );
                assert!(s["duration"].as_u64().is_some(), "duration: {}", s["duration"]);
                let pid = s["processID"].as_str().expect("processID");
                assert!(processes.contains_key(pid), "{pid}");
                assert!(s["logs"].is_array() && s["tags"].is_array());
                assert!(s["warnings"].is_null() || s["warnings"].is_array());
                let tags: Vec<(&Value, &Value)> = s["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| (&t["key"], &t["value"]))
                    .collect();
                let distinct: BTreeSet<String> = tags.iter().map(|(k, v)| format!("{k}{v}")).collect();
                assert_eq!(distinct.len(), tags.len(), "duplicate tags");
                for t in s["tags"].as_array().unwrap() {
                    let ok = match t["type"].as_str() {
                        Some("string") => t["value"].is_string(),
                        Some("int64") => t["value"].is_i64(),
                        Some("bool") => t["value"].is_boolean(),
                        _ => false,
                    };
                    assert!(ok, "{t}");
                }
                let refs = s["references"].as_array().expect("references");
                if refs.is_empty() {
                    roots += 1;
                }
                for r in refs {
                    assert_eq!(r["refType"], "CHILD_OF");
                    assert_eq!(r["traceID"], trace["traceID"]);
                    assert!(unique.contains(r["spanID"].as_str().unwrap_or_default()), "{r}");
                }
            }
            assert_eq!(roots, 1, "exactly one root span");
        }
    }

    #[test]
    fn the_ui_can_load_it() {
        let traces = traces();
        let file = exported(&traces);
        check_loadable(&file);
        assert_eq!(file["data"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn spans_tags_and_processes() {
        let file = exported(&traces());
        let trace = &file["data"][0];
        assert_eq!(trace["traceID"], "5759e988bd862e3fe1be46a994272793");
        let services: BTreeMap<&str, &str> = trace["processes"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (v["serviceName"].as_str().unwrap(), k.as_str()))
            .collect();
        assert_eq!(
            services,
            [
                ("cart", "p1"),
                ("db", "p2"),
                ("payments", "p3"),
                ("search", "p4"),
                ("web", "p5")
            ]
            .into()
        );
        let root = &trace["spans"][0];
        assert_eq!(root["spanID"], "e1be46a994272793");
        assert_eq!(root["startTime"], 1_700_000_000_000_000_i64);
        assert_eq!(root["duration"], 100_000);
        assert_eq!(root["warnings"], Value::Null);
        let pay = &trace["spans"][3];
        assert_eq!(pay["operationName"], "GET /items/{id}");
        assert_eq!(pay["references"][0]["spanID"], "e1be46a994272793");
        let tags: Vec<String> = pay["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| format!("{}={}", t["key"], t["value"]))
            .collect();
        assert_eq!(
            tags,
            [
                r#""span.kind"="server""#,
                r#""http.method"="GET""#,
                r#""http.route"="/items/{id}""#,
                r#""http.status_code"=502"#,
                r#""error"=true"#,
                r#""elb"="shop""#,
                r#""elb.status_code"=200"#,
                r#""elb.error_reason"="TargetResponseError""#,
                r#""caller"="caller""#,
            ]
        );
        let search = &trace["spans"][4];
        assert_eq!(search["warnings"][0], "parent unknown: cut by the 7 KB rule");
        let synthetic = &file["data"][1]["spans"][0];
        assert_eq!(synthetic["operationName"], "(entry hop not logged)");
        assert_eq!(synthetic["tags"][1]["key"], "synthetic");
    }

    #[test]
    fn an_application_log_call_is_a_client_span_with_only_its_own_tags() {
        let mut query = hop("cart", Some(9), Some(CallerSelf::Hop(id(404))), (6, 9));
        (query.origin, query.operation, query.error) = (Origin::App, "SELECT carts".into(), true);
        let file = exported(&stitch(vec![hop("web", None, None, (0, 100)), query]).traces);
        let call = &file["data"][0]["spans"][1];
        let tags: Vec<String> = call["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| format!("{}={}", t["key"], t["value"]))
            .collect();
        assert_eq!(
            tags,
            [
                r#""span.kind"="client""#,
                r#""error"=true"#,
                r#""caller"="caller""#,
                r#""parent_unknown"="caller_not_logged""#,
            ]
        );
        check_loadable(&file);
    }

    proptest::proptest! {
        #[test]
        fn any_stitch_is_loadable(hops in arb_hops()) {
            check_loadable(&exported(&stitch(hops).traces));
        }
    }

    #[test]
    fn no_traces_is_an_empty_data_array() {
        assert_eq!(exported(&[]), serde_json::json!({"data": []}));
    }
}
