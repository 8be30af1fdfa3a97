//! Spans in OTLP/JSON (`TracesData`: what `reqtrace export --format otlp`, an OpenTelemetry
//! collector's file exporter, or a backend's download writes), one document or one per
//! line. Owns the fields read: the resource's `service.name`, then per span its ids, name,
//! times, kind and status; a span without them is counted by reason.

use std::io::Read;

use serde::Deserialize;
use serde_json::Value;

use super::span::{Kind, Reading, Span};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TracesData {
    #[serde(default)]
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans {
    #[serde(default)]
    resource: Resource,
    #[serde(default)]
    scope_spans: Vec<ScopeSpans>,
}

#[derive(Default, Deserialize)]
struct Resource {
    #[serde(default)]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct KeyValue {
    key: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct ScopeSpans {
    #[serde(default)]
    spans: Vec<Value>,
}

/// OpenTelemetry's name for a resource without `service.name`.
const UNKNOWN_SERVICE: &str = "unknown_service";
/// `STATUS_CODE_ERROR`.
const ERROR: u64 = 2;
/// `SPAN_KIND_CLIENT`.
const CLIENT: u64 = 3;

/// Every span of one input; `name` names it in errors. JSON that is not `TracesData` is
/// an error naming the input and the line; a span missing a field is counted.
pub fn read(
    name: &str,
    input: impl Read,
    reading: &mut Reading,
    spans: &mut Vec<Span>,
) -> anyhow::Result<()> {
    let documents = serde_json::Deserializer::from_reader(input).into_iter::<TracesData>();
    for document in documents {
        let document = document.map_err(|e| anyhow::anyhow!("{name}: not OTLP/JSON TracesData: {e}"))?;
        for resource in document.resource_spans {
            let service = service_name(&resource.resource);
            for span in resource.scope_spans.iter().flat_map(|s| &s.spans) {
                reading.count(span_of(span, &service), spans);
            }
        }
    }
    Ok(())
}

fn service_name(resource: &Resource) -> String {
    let named = resource.attributes.iter().find(|a| a.key == "service.name");
    named
        .and_then(|a| a.value.get("stringValue"))
        .and_then(Value::as_str)
        .unwrap_or(UNKNOWN_SERVICE)
        .to_string()
}

fn span_of(span: &Value, service: &str) -> Result<Span, &'static str> {
    let text = |key: &str| span.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (trace, id) = (text("traceId").ok_or("no_id")?, text("spanId").ok_or("no_id")?);
    // A u64 as OTLP/JSON writes it (a decimal string), or as a plain number.
    let nanos = |key: &str| match span.get(key) {
        Some(Value::String(s)) => s.parse::<u64>().ok(),
        Some(n) => n.as_u64(),
        None => None,
    };
    let micros = |key: &str| {
        nanos(key)
            .and_then(|n| i64::try_from(n / 1000).ok())
            .ok_or("bad_time")
    };
    let (start, end) = (micros("startTimeUnixNano")?, micros("endTimeUnixNano")?);
    if end < start {
        return Err("ends_before_start");
    }
    let code = span
        .get("status")
        .and_then(|s| s.get("code"))
        .and_then(Value::as_u64);
    Ok(Span {
        trace: Span::id_of(&trace.to_ascii_lowercase()),
        id: Span::id_of(&id.to_ascii_lowercase()),
        parent: text("parentSpanId").map(|p| Span::id_of(&p.to_ascii_lowercase())),
        service: service.into(),
        operation: text("name").unwrap_or_default().into(),
        start,
        end,
        error: code == Some(ERROR),
        kind: match span.get("kind").and_then(Value::as_u64) {
            None | Some(0) => Kind::Unknown,
            Some(CLIENT) => Kind::Client,
            Some(_) => Kind::Other,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},
        "scopeSpans":[{"scope":{"name":"x"},"spans":[
          {"traceId":"5759E988BD862E3FE1BE46A994272793","spanId":"a1","name":"GET /cart","kind":2,
           "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000050000000","status":{"code":2}},
          {"traceId":"5759e988bd862e3fe1be46a994272793","spanId":"b2","parentSpanId":"A1","name":"SELECT",
           "startTimeUnixNano":1700000000010000000,"endTimeUnixNano":"1700000000020000000"},
          {"traceId":"t","spanId":"c3","name":"late","startTimeUnixNano":"soon","endTimeUnixNano":"1"}]}]},
        {"scopeSpans":[{"spans":[{"traceId":"t","spanId":"d4","name":"n","startTimeUnixNano":"1000","endTimeUnixNano":"2000"}]}]}]}"#;

    #[test]
    fn spans_take_their_resource_s_service_and_bad_ones_are_counted() {
        let (mut reading, mut spans) = (Reading::default(), Vec::new());
        let two = format!("{}\n{}\n", DOC.replace('\n', " "), DOC.replace('\n', " "));
        read("t.json", two.as_bytes(), &mut reading, &mut spans).unwrap();
        assert_eq!((reading.rows, reading.spans), (8, 6));
        assert_eq!(reading.rejected.get("bad_time"), Some(&2));
        let (root, child) = (&spans[0], &spans[1]);
        assert_eq!(
            (root.service.as_str(), root.operation.as_str(), root.error),
            ("checkout", "GET /cart", true)
        );
        assert_eq!(
            (root.start, root.end - root.start),
            (1_700_000_000_000_000, 50_000)
        );
        assert_eq!(
            (child.parent, child.trace, child.error),
            (Some(root.id), root.trace, false)
        );
        assert_eq!(spans[2].service, UNKNOWN_SERVICE);
    }

    #[test]
    fn json_that_is_not_traces_data_names_the_input() {
        let err = read(
            "x.json",
            r#"{"resourceSpans": 3}"#.as_bytes(),
            &mut Reading::default(),
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("x.json: not OTLP/JSON TracesData"),
            "{err}"
        );
    }
}
