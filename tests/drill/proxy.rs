//! A recording proxy in front of moto: it stamps every response's `Date` with the
//! drill's virtual clock, can fail chosen requests as S3 does under stress, and, while
//! the bucket's server access logging is on, records each request as an S3 server
//! access log line in AWS's format (every field, in order).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A recorded request: its virtual time and its log line.
#[derive(Debug, Clone)]
pub struct Record {
    pub time: i64,
    pub line: String,
}

/// Decides, per request (virtual time, method, target), whether S3 "fails" it: the
/// status to answer instead.
pub type Faults = dyn Fn(i64, &str, &str) -> Option<u16> + Send + Sync;

pub struct Proxy {
    pub endpoint: String,
    pub clock: Arc<AtomicI64>,
    pub records: Arc<Mutex<Vec<Record>>>,
    pub requests: Arc<AtomicU64>,
}

struct Shared {
    upstream: String,
    bucket: String,
    clock: Arc<AtomicI64>,
    records: Arc<Mutex<Vec<Record>>>,
    logging: AtomicBool,
    requests: Arc<AtomicU64>,
    faults: Box<Faults>,
}

impl Proxy {
    /// Proxies to `upstream` (`host:port`), logging requests for `bucket`.
    pub fn start(upstream: &str, bucket: &str, faults: Box<Faults>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let clock = Arc::new(AtomicI64::new(0));
        let records = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(AtomicU64::new(0));
        let shared = Arc::new(Shared {
            upstream: upstream.to_string(),
            bucket: bucket.to_string(),
            clock: clock.clone(),
            records: records.clone(),
            logging: AtomicBool::new(false),
            requests: requests.clone(),
            faults,
        });
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        Proxy {
            endpoint,
            clock,
            records,
            requests,
        }
    }
}

pub struct Head {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn read_head(r: &mut impl BufRead) -> std::io::Result<Option<Head>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok(Some(Head {
        method,
        target,
        headers,
    }))
}

/// The request body as sent: `Content-Length` bytes, or chunks up to the last one.
pub fn read_body(r: &mut impl BufRead, head: &Head) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if let Some(n) = head
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else if head
        .header("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        loop {
            let mut size = String::new();
            r.read_line(&mut size)?;
            body.extend_from_slice(size.as_bytes());
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk);
            if n == 0 {
                break;
            }
        }
    }
    Ok(body)
}

fn http_date(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .unwrap()
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut client = stream;
    while let Some(head) = read_head(&mut reader)? {
        let body = read_body(&mut reader, &head)?;
        let now = shared.clock.load(Ordering::SeqCst);
        shared.requests.fetch_add(1, Ordering::Relaxed);
        let (status, headers, payload) = match (shared.faults)(now, &head.method, &head.target) {
            Some(code) => fault(code, head.header("origin")),
            None => forward(&shared.upstream, &head, &body)?,
        };
        record(shared, &head, status, &payload, now);
        let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        for (k, v) in headers.iter().filter(|(k, _)| {
            !["date", "connection", "content-length", "transfer-encoding"]
                .contains(&k.to_ascii_lowercase().as_str())
        }) {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        let length = if head.method == "HEAD" {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map_or("0".to_string(), |(_, v)| v.clone())
        } else {
            payload.len().to_string()
        };
        out.push_str(&format!(
            "Date: {}\r\nContent-Length: {length}\r\nConnection: keep-alive\r\n\r\n",
            http_date(now)
        ));
        client.write_all(out.as_bytes())?;
        if head.method != "HEAD" {
            client.write_all(&payload)?;
        }
        client.flush()?;
    }
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        304 => "Not Modified",
        403 => "Forbidden",
        404 => "Not Found",
        412 => "Precondition Failed",
        500 => "Internal Server Error",
        503 => "Slow Down",
        _ => "Status",
    }
}

type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// An error answer; a browser's request (one with an `Origin`) gets the CORS header S3
/// adds for a bucket whose CORS rules allow it, so the page sees the status.
fn fault(code: u16, origin: Option<&str>) -> Answer {
    let name = match code {
        403 => "AccessDenied",
        503 => "SlowDown",
        _ => "InternalError",
    };
    let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{name}</Code><Message>drill</Message></Error>");
    let mut headers = vec![("Content-Type".into(), "application/xml".into())];
    if let Some(origin) = origin {
        headers.push(("Access-Control-Allow-Origin".into(), origin.into()));
    }
    (code, headers, body.into_bytes())
}

/// One request to moto on a fresh connection, read to its end.
fn forward(upstream: &str, head: &Head, body: &[u8]) -> std::io::Result<Answer> {
    let mut up = TcpStream::connect(upstream)?;
    let mut req = format!("{} {} HTTP/1.1\r\n", head.method, head.target);
    for (k, v) in head
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("connection"))
    {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Connection: close\r\n\r\n");
    up.write_all(req.as_bytes())?;
    up.write_all(body)?;
    let mut r = BufReader::new(up);
    let mut status_line = String::new();
    r.read_line(&mut status_line)?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(502);
    let mut headers = Vec::new();
    let mut chunked = false;
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            chunked |= k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked");
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut payload = Vec::new();
    if head.method != "HEAD" && status != 304 && status != 204 {
        if chunked {
            loop {
                let mut size = String::new();
                r.read_line(&mut size)?;
                let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; n + 2];
                r.read_exact(&mut chunk)?;
                payload.extend_from_slice(&chunk[..n]);
                if n == 0 {
                    break;
                }
            }
        } else {
            r.read_to_end(&mut payload)?;
        }
    }
    Ok((status, headers, payload))
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(0x3E57_0000_0000_0000);

/// The S3 server access log line for one request, when logging is on for the bucket.
fn record(shared: &Shared, head: &Head, status: u16, payload: &[u8], now: i64) {
    let path = head.target.split('?').next().unwrap_or("");
    let query = head.target.split_once('?').map_or("", |(_, q)| q);
    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let bucket = segments.next().unwrap_or("");
    let key = segments.next().unwrap_or("");
    if head.method == "PUT"
        && key.is_empty()
        && query.split('&').any(|p| p == "logging" || p == "logging=")
        && status == 200
    {
        shared.logging.store(true, Ordering::SeqCst);
        return;
    }
    if bucket != shared.bucket || !shared.logging.load(Ordering::SeqCst) {
        return;
    }
    let kind = if key.is_empty() { "BUCKET" } else { "OBJECT" };
    let operation = format!("REST.{}.{kind}", head.method);
    let signed = head.header("authorization").is_some();
    let requester = if signed {
        "arn:aws:iam::123456789012:user/operator"
    } else {
        "-"
    };
    let error = if status >= 300 && status != 304 {
        String::from_utf8_lossy(payload)
            .split("<Code>")
            .nth(1)
            .and_then(|s| s.split("</Code>").next())
            .unwrap_or("-")
            .to_string()
    } else {
        "-".into()
    };
    let time = jiff::Timestamp::from_second(now)
        .unwrap()
        .strftime("%d/%b/%Y:%H:%M:%S +0000");
    let id = format!("{:016X}", REQUEST_IDS.fetch_add(1, Ordering::Relaxed));
    let ua = head.header("user-agent").unwrap_or("-").replace('"', "");
    let (sig, auth) = if signed {
        ("SigV4", "AuthHeader")
    } else {
        ("-", "-")
    };
    let line = format!(
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be {bucket} [{time}] 192.0.2.{} {requester} {id} \
         {operation} {} \"{} {} HTTP/1.1\" {status} {error} {} {} 12 10 \"-\" \"{ua}\" - \
         s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= {sig} \
         ECDHE-RSA-AES128-GCM-SHA256 {auth} {bucket}.s3.us-east-1.amazonaws.com TLSv1.2 - -",
        1 + now.rem_euclid(250),
        if key.is_empty() { "-" } else { key },
        head.method,
        head.target,
        if payload.is_empty() { "-".to_string() } else { payload.len().to_string() },
        if payload.is_empty() { "-".to_string() } else { payload.len().to_string() },
    );
    shared.records.lock().unwrap().push(Record { time: now, line });
}
