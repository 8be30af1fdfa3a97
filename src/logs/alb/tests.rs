//! Tests of the ALB access log line parser: the real sample lines against their expected
//! records (kept as data in `testdata/parser/alb_records.toml`), focused cases on one real
//! line varied a field at a time, and a property test that records rendered as AWS writes
//! them parse back.

use super::*;
use proptest::prelude::*;

const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/reference/logs/alb_access_log_samples.txt"
);
const EXPECTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/parser/alb_records.toml");

/// ALB-ISS-01's fields (the 2024 layout, with conn_trace_id), then the three 2025 fields.
const BASE: [&str; FIELDS] = [
    "h2",
    "2024-05-28T08:12:36.431832Z",
    "app/xxxxxx-lb/xxxxxxx",
    "10.10.10.10:13624",
    "1.1.1.1:8000",
    "0.000",
    "0.177",
    "0.000",
    "200",
    "200",
    "961",
    "2071",
    "\"GET https://xxx.xx:443/ HTTP/2.0\"",
    "\"Mozilla/5.0 (iPhone)\"",
    "TLS_AES_128_GCM_SHA256",
    "TLSv1.3",
    "arn:aws:elasticloadbalancing:ap-northeast-1:00000000000:targetgroup/xxxxxxx/fc465292d29",
    "\"Root=1-665591f4-15d57af7699b090b59a269b4\"",
    "\"xxxxxx.xx\"",
    "\"arn:aws:acm:ap-northeast-1:0000000000000:certificate/5ceabee6\"",
    "10160",
    "2024-05-28T08:12:36.254000Z",
    "\"forward\"",
    "\"-\"",
    "\"-\"",
    "\"172.16.140.164:8000\"",
    "\"200\"",
    "\"-\"",
    "\"-\"",
    "TID_37acbe0641d1c34287fee137ef3a5286",
    "\"-\"",
    "\"-\"",
    "\"-\"",
];

fn line_with(changes: &[(Field, &str)]) -> String {
    let mut fields = BASE;
    for &(f, value) in changes {
        fields[f as usize] = value;
    }
    fields.join(" ")
}

fn reject(line: &str) -> Option<Reject> {
    parse(line.as_bytes()).err()
}

fn json(line: &str) -> serde_json::Value {
    serde_json::to_value(parse(line.as_bytes()).expect("parses")).expect("serializes")
}

/// `(id, line)` for every sample in the shared file, in order.
fn sample_lines() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(SAMPLES).expect("../shared/reference/logs beside the repository");
    let mut id = None;
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# id: ") {
            id = rest.split_whitespace().next().map(String::from);
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            samples.push((
                id.take().expect("every sample line follows its # id"),
                line.to_string(),
            ));
        }
    }
    samples
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    sample: Vec<toml::Table>,
}

#[test]
fn samples_parse_to_their_expected_records() {
    let file = std::fs::read_to_string(EXPECTED).expect("expected records beside the tests");
    let expected: Expected = toml::from_str(&file).unwrap_or_else(|e| panic!("{EXPECTED}: {e}"));
    let samples = sample_lines();
    assert_eq!(samples.len(), expected.sample.len(), "one expectation per sample");
    for ((id, line), mut want) in samples.into_iter().zip(expected.sample) {
        assert_eq!(
            want.remove("id").and_then(|v| v.as_str().map(String::from)),
            Some(id.clone())
        );
        check_sample(&id, &line, want);
    }
}

fn check_sample(id: &str, line: &str, mut want: toml::Table) {
    let parsed = parse(line.as_bytes());
    if let Some(reason) = want.remove("rejected") {
        assert_eq!(parsed.err().map(Reject::name), reason.as_str(), "{id}");
        return;
    }
    let record = parsed.unwrap_or_else(|e| panic!("{id}: rejected as {e}"));
    let micros = want.remove("unix_micros").and_then(|v| v.as_integer());
    assert_eq!(Some(record.time_micros()), micros, "{id}: unix_micros");
    let got = serde_json::to_value(&record).expect("serializes");
    let got = got.as_object().expect("an object");
    for (key, value) in got {
        let expected = match want.remove(key) {
            None if key == "extra_fields" => serde_json::json!([]),
            None => serde_json::Value::Null,
            Some(v) => serde_json::to_value(v).expect("TOML values are JSON"),
        };
        let same = match (value.as_f64(), expected.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => *value == expected,
        };
        assert!(same, "{id}: {key} is {value}, expected {expected}");
    }
    assert!(
        want.is_empty(),
        "{id}: keys the JSON lacks: {:?}",
        want.keys().collect::<Vec<_>>()
    );
}

/// An object's keys in the order written (serde_json's `Value` sorts them).
struct Keys(Vec<String>);

impl<'de> serde::Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(Visit)
    }
}

#[test]
fn json_names_follow_the_documentation_in_log_order() {
    let line = line_with(&[]);
    let text = serde_json::to_string(&parse(line.as_bytes()).expect("parses")).expect("serializes");
    let keys: Keys = serde_json::from_str(&text).expect("a JSON object");
    let keys = keys.0;
    assert_eq!(
        keys.join(" "),
        "type time elb client_ip client_port target_ip target_port request_processing_time \
         target_processing_time response_processing_time elb_status_code target_status_code \
         received_bytes sent_bytes request user_agent ssl_cipher ssl_protocol target_group_arn \
         trace_id domain_name chosen_cert_arn matched_rule_priority request_creation_time \
         actions_executed redirect_url error_reason target_port_list target_status_code_list \
         classification classification_reason conn_trace_id transformed_host transformed_uri \
         request_transform_status extra_fields"
    );
}

#[test]
fn every_type_alb_writes_is_accepted_and_nothing_else() {
    for ty in ["http", "https", "h2", "grpcs", "ws", "wss"] {
        assert_eq!(json(&line_with(&[(Field::Type, ty)]))["type"], ty);
    }
    for ty in ["HTTP", "tcp", "2015-05-13T23:39:43.945958Z", "\"http\"x"] {
        assert_eq!(
            reject(&line_with(&[(Field::Type, ty)])),
            Some(Reject::UnknownType),
            "{ty}"
        );
    }
}

#[test]
fn times_are_rfc3339_utc_to_the_microsecond() {
    let record_at = |t: &str| parse(line_with(&[(Field::Time, t)]).as_bytes()).map(|r| r.time_micros());
    assert_eq!(record_at("1970-01-01T00:00:01Z"), Ok(1_000_000));
    assert_eq!(record_at("1970-01-01T00:00:00.5Z"), Ok(500_000));
    assert_eq!(record_at("1970-01-01T00:00:00.123456789Z"), Ok(123_456));
    assert_eq!(
        record_at("2024-02-29T23:59:59.999999Z"),
        Ok(1_709_251_199_999_999)
    );
    for bad in [
        "2023-02-29T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T00:00:60Z",
        "2024-01-01T00:00:00",
        "2024-01-01T00:00:00+00:00",
        "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00.1234567890Z",
        "2024-01-01 00:00:00Z",
    ] {
        assert_eq!(record_at(bad), Err(Reject::BadTime), "{bad}");
    }
    let creation = line_with(&[(Field::RequestCreationTime, "yesterday")]);
    assert_eq!(reject(&creation), Some(Reject::BadTime));
    let value = json(&line_with(&[(
        Field::RequestCreationTime,
        "2024-05-28T08:12:36Z",
    )]));
    assert_eq!(value["request_creation_time"], "2024-05-28T08:12:36.000000Z");
    assert_eq!(value["time"], "2024-05-28T08:12:36.431832Z");
}

#[test]
fn addresses_split_into_ip_and_port_for_v4_and_both_v6_spellings() {
    let value = json(&line_with(&[
        (Field::Client, "[fe80::1]:443"),
        (Field::Target, "2001:db8::1:80"),
    ]));
    assert_eq!(
        (&value["client_ip"], &value["client_port"]),
        (&"fe80::1".into(), &443.into())
    );
    assert_eq!(
        (&value["target_ip"], &value["target_port"]),
        (&"2001:db8::1".into(), &80.into())
    );
    let value = json(&line_with(&[(Field::Target, "-")]));
    assert!(value["target_ip"].is_null() && value["target_port"].is_null());
    for bad in [
        "10.0.0.1",
        "10.0.0.1:",
        "10.0.0.1:65536",
        "host:80",
        "[::1:80",
        "-",
    ] {
        assert_eq!(
            reject(&line_with(&[(Field::Client, bad)])),
            Some(Reject::BadAddress),
            "{bad}"
        );
    }
}

#[test]
fn processing_times_are_minus_one_or_decimal_seconds() {
    let value = json(&line_with(&[(Field::TargetProcessingTime, "-1")]));
    assert_eq!(value["target_processing_time"], -1.0);
    for bad in ["-", "-0.5", "1e3", ".5", "5.", "0,1", "NaN"] {
        let line = line_with(&[(Field::RequestProcessingTime, bad)]);
        assert_eq!(reject(&line), Some(Reject::BadNumber), "{bad}");
    }
}

#[test]
fn statuses_sizes_and_priority_are_integers_or_null() {
    let value = json(&line_with(&[
        (Field::TargetStatusCode, "-"),
        (Field::MatchedRulePriority, "-"),
    ]));
    assert!(value["target_status_code"].is_null() && value["matched_rule_priority"].is_null());
    assert_eq!(value["elb_status_code"], 200);
    for (field, bad) in [
        (Field::ElbStatusCode, "65536"),
        (Field::TargetStatusCode, "2OO"),
        (Field::ReceivedBytes, "-5"),
        (Field::SentBytes, "18446744073709551616"),
        (Field::MatchedRulePriority, "high"),
    ] {
        assert_eq!(
            reject(&line_with(&[(field, bad)])),
            Some(Reject::BadInteger),
            "{field:?} {bad}"
        );
    }
}

#[test]
fn older_layouts_have_nulls_and_newer_fields_are_kept_as_extras() {
    let launch = BASE[..MIN_FIELDS].join(" ");
    let value = json(&launch);
    assert!(value["trace_id"].is_null() && value["conn_trace_id"].is_null());
    assert_eq!(
        reject(&BASE[..MIN_FIELDS - 1].join(" ")),
        Some(Reject::TooFewFields)
    );
    let future = format!("{} \"new field\" - 42", line_with(&[]));
    let value = json(&future);
    assert_eq!(
        value["extra_fields"],
        serde_json::json!(["new field", null, "42"])
    );
}

#[test]
fn quotes_spaces_and_line_ends() {
    let agent = line_with(&[(Field::UserAgent, "\"Mozilla \"Foo\" Bar\"")]);
    let value = json(&agent);
    assert_eq!(
        (&value["user_agent"], &value["ssl_cipher"]),
        (&"Mozilla \"Foo\" Bar".into(), &"TLS_AES_128_GCM_SHA256".into())
    );
    assert_eq!(
        json(&format!("{}\r", line_with(&[])))["request_transform_status"],
        serde_json::Value::Null
    );
    assert_eq!(
        reject(&line_with(&[(Field::RequestTransformStatus, "\"open")])),
        Some(Reject::UnterminatedQuote)
    );
    assert_eq!(reject("   "), Some(Reject::BlankLine));
    let long = format!("{} \"{}\"", line_with(&[]), "x".repeat(LONGEST_LINE));
    assert_eq!(reject(&long), Some(Reject::LineTooLong));
}

/// A field value AWS could write in a quoted field: printable ASCII with spaces, no `"`.
fn quoted_text() -> impl Strategy<Value = String> {
    "[ -!#-~]{0,12}"
}

proptest::proptest! {
    /// Records rendered as AWS writes them parse back to the same values.
    #[test]
    fn rendered_records_parse_back(
        micros in 0i64..253_370_764_800_000_000,
        created_before in 0i64..10_000_000,
        port in any::<u16>(),
        v6 in any::<bool>(),
        millis in proptest::option::of(0u32..100_000),
        status in proptest::option::of(100u16..600),
        bytes in any::<u64>(),
        request in quoted_text(),
        trace in quoted_text(),
        fields in 17usize..=FIELDS,
        extras in proptest::collection::vec("[a-z0-9]{1,5}", 0..3),
    ) {
        let at = |m: i64| {
            let ts = jiff::Timestamp::from_microsecond(m).expect("in range");
            format!("{}.{:06}Z", ts.strftime("%Y-%m-%dT%H:%M:%S"), m.rem_euclid(1_000_000))
        };
        let client = if v6 { format!("[2001:db8::7]:{port}") } else { format!("192.0.2.9:{port}") };
        let seconds = millis.map_or("-1".to_string(), |m| format!("{}.{:03}", m / 1000, m % 1000));
        let status_text = status.map_or("-".to_string(), |s| s.to_string());
        let (time, created) = (at(micros), at((micros - created_before).max(0)));
        let (bytes_text, request_q, trace_q) = (bytes.to_string(), format!("\"{request}\""), format!("\"{trace}\""));
        let mut values = BASE;
        for (f, v) in [
            (Field::Time, time.as_str()),
            (Field::Client, client.as_str()),
            (Field::TargetProcessingTime, seconds.as_str()),
            (Field::TargetStatusCode, status_text.as_str()),
            (Field::SentBytes, bytes_text.as_str()),
            (Field::Request, request_q.as_str()),
            (Field::TraceId, trace_q.as_str()),
            (Field::RequestCreationTime, created.as_str()),
        ] {
            values[f as usize] = v;
        }
        let mut line = values[..fields].join(" ");
        if fields == FIELDS {
            for e in &extras {
                line.push(' ');
                line.push_str(e);
            }
        }
        let r = parse(line.as_bytes()).map_err(|e| TestCaseError::fail(format!("{line}: {e}")))?;
        prop_assert_eq!(r.time_micros(), micros);
        prop_assert_eq!(r.client_port(), port);
        prop_assert_eq!(r.seconds(Field::TargetProcessingTime), Some(millis.map_or(-1.0, |m| f64::from(m) / 1000.0)));
        prop_assert_eq!(r.status(Field::TargetStatusCode), status);
        prop_assert_eq!(r.integer(Field::SentBytes), Some(bytes));
        let want_request = (request != "-").then_some(request.as_bytes());
        prop_assert_eq!(r.get(Field::Request), want_request);
        let want_trace = (fields > Field::TraceId as usize && trace != "-").then_some(trace.as_bytes());
        prop_assert_eq!(r.get(Field::TraceId), want_trace);
        let want_created = (fields > Field::RequestCreationTime as usize).then_some((micros - created_before).max(0));
        prop_assert_eq!(r.request_creation_micros(), want_created);
        let got_extras: Vec<&[u8]> = r.extra_fields().collect();
        let want_extras: Vec<&[u8]> = if fields == FIELDS { extras.iter().map(|e| e.as_bytes()).collect() } else { vec![] };
        prop_assert_eq!(got_extras, want_extras);
    }

    /// The v4 check is std's parser on every text made of digits and dots.
    #[test]
    fn addresses_are_what_the_standard_parser_accepts(text in "[0-9.]{0,17}|(25[0-9]|0[0-9]{0,3}|[0-9]{1,3})(\\.[0-9]{1,4}){3}|[0-9a-f:.]{0,20}") {
        let std = text.parse::<std::net::IpAddr>().is_ok();
        prop_assert_eq!(is_ip(text.as_bytes()), std, "{}", text);
    }

    /// Processing times are the value the standard float parser gives, to the bit.
    #[test]
    fn processing_times_are_what_the_standard_parser_gives(whole in "[0-9]{1,12}", fraction in proptest::option::of("[0-9]{0,20}")) {
        let text = match &fraction {
            Some(f) => format!("{whole}.{f}"),
            None => whole.clone(),
        };
        let want = (fraction.as_deref() != Some("")).then(|| text.parse::<f64>().expect("a decimal"));
        prop_assert_eq!(processing_seconds(text.as_bytes()).map(f64::to_bits), want.map(f64::to_bits), "{}", text);
    }
}
