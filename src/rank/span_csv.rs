//! Span tables in CSV, as Nezha's TrainTicket and Online Boutique recordings write them:
//! `TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano`
//! (any order, more columns allowed, `Duration` ignored for the two times). Owns the
//! columns and the pod-to-service rule; rows that are not spans are counted by reason.

use std::io::Read;

use super::span::{Kind, Reading, Span};

const COLUMNS: [&str; 7] = [
    "TraceID",
    "SpanID",
    "ParentID",
    "PodName",
    "OperationName",
    "StartTimeUnixNano",
    "EndTimeUnixNano",
];

/// Every span of one table; `name` names it in errors. A missing column is an error
/// (nothing could be read); a bad row is counted.
pub fn read(
    name: &str,
    input: impl Read,
    reading: &mut Reading,
    spans: &mut Vec<Span>,
) -> anyhow::Result<()> {
    let mut table = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let header = table
        .headers()
        .map_err(|e| anyhow::anyhow!("{name}: cannot read the header: {e}"))?
        .clone();
    let mut at = [0usize; 7];
    for (slot, column) in at.iter_mut().zip(COLUMNS) {
        *slot = header.iter().position(|h| h.trim() == column).ok_or_else(|| {
            anyhow::anyhow!(
                "{name}: no {column} column (the header is {:?})",
                header.iter().collect::<Vec<_>>()
            )
        })?;
    }
    let mut record = csv::StringRecord::new();
    loop {
        match table.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => reading.count(span(&record, &at), spans),
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                anyhow::bail!("{name}: cannot read: {e}")
            }
            Err(_) => reading.count(Err("not_csv"), spans),
        }
    }
}

fn span(record: &csv::StringRecord, at: &[usize; 7]) -> Result<Span, &'static str> {
    let field = |i: usize| record.get(at[i]).map(str::trim).ok_or("missing_field");
    let (trace, id, parent) = (field(0)?, field(1)?, field(2)?);
    if trace.is_empty() || id.is_empty() {
        return Err("no_id");
    }
    let nanos = |i: usize| field(i)?.parse::<i64>().map_err(|_| "bad_time");
    let (start, end) = (nanos(5)? / 1000, nanos(6)? / 1000);
    if end < start {
        return Err("ends_before_start");
    }
    Ok(Span {
        trace: Span::id_of(trace),
        id: Span::id_of(id),
        parent: match parent {
            "" | "root" => None,
            p => Some(Span::id_of(p)),
        },
        service: service_of_pod(field(3)?).into(),
        operation: field(4)?.into(),
        start,
        end,
        error: false,
        kind: Kind::Unknown,
    })
}

/// A Kubernetes pod's workload: `ts-basic-service-5dc8d4f9fd-46997` → `ts-basic-service`
/// (a Deployment's pods end in `-{template hash}-{5 characters}`); any other name as is.
pub fn service_of_pod(pod: &str) -> &str {
    let mut parts = pod.rsplitn(3, '-');
    let (Some(suffix), Some(hash), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return pod;
    };
    let alnum = |s: &str| s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let deployment = suffix.len() == 5 && alnum(suffix) && (1..=10).contains(&hash.len()) && alnum(hash);
    if deployment && !name.is_empty() {
        name
    } else {
        pod
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_names_its_deployment_and_other_names_stay() {
        assert_eq!(
            service_of_pod("ts-basic-service-5dc8d4f9fd-46997"),
            "ts-basic-service"
        );
        assert_eq!(service_of_pod("frontend-579b9bff58-t2dbm"), "frontend");
        assert_eq!(service_of_pod("redis-cart-0"), "redis-cart-0");
        assert_eq!(service_of_pod("checkout"), "checkout");
    }

    #[test]
    fn rows_are_spans_or_counted_and_a_missing_column_names_the_table() {
        let table =
            "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n\
            t1,s1,root,ts-a-service-5dc8d4f9fd-46997,/x,1000000,5000000,4000\n\
            t1,s2,s1,ts-b-service-5dc8d4f9fd-46997,HTTP GET,2000000,3000000,1000\n\
            t1,s3,s1,ts-b-service-5dc8d4f9fd-46997,HTTP GET,soon,3000000,1000\n\
            t1,s4\n";
        let (mut reading, mut spans) = (Reading::default(), Vec::new());
        read("t.csv", table.as_bytes(), &mut reading, &mut spans).unwrap();
        assert_eq!((reading.rows, reading.spans), (4, 2));
        assert_eq!(reading.rejected.get("bad_time"), Some(&1));
        assert_eq!(reading.rejected.get("missing_field"), Some(&1));
        assert_eq!(
            (spans[1].service.as_str(), spans[1].start, spans[1].end),
            ("ts-b-service", 2000, 3000)
        );
        assert_eq!(spans[0].parent, None);
        assert_eq!(spans[1].parent, Some(Span::id_of("s1")));
        let err = read("u.csv", "TraceID,SpanID\n".as_bytes(), &mut reading, &mut spans).unwrap_err();
        assert!(err.to_string().starts_with("u.csv: no ParentID column"), "{err}");
    }
}
