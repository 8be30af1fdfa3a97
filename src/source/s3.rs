//! S3 inputs: `s3://bucket/prefix` listed with ListObjectsV2, pruned by the time in
//! each object's key, and fetched a bounded number at a time, each streamed through a
//! small channel so no object is ever held whole in memory.
//!
//! tokio lives only here: the rest of the job reads the objects as plain `Read`s, in
//! listing order. The SDK's standard retry (with backoff, on throttling and 5xx)
//! covers each request, a body cut off mid-object is resumed where it stopped, and an
//! object that still fails is an error naming it.

use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::Client;
use bytes::Bytes;
use tokio::sync::{mpsc, Semaphore};

use super::SourceError;
use crate::incident::Window;
use crate::output::run::S3Listing;

/// How S3 is reached and how far listing may prune.
#[derive(Debug, Clone)]
pub struct Options {
    /// An S3-compatible endpoint; `AWS_ENDPOINT_URL` is read by the SDK when unset.
    pub endpoint_url: Option<String>,
    /// Path-style addressing (`host/bucket/key`), for S3-compatible stores.
    pub path_style: bool,
    /// Objects fetched at once.
    pub concurrency: usize,
    /// How long after a record AWS may deliver the log object holding it.
    pub delivery_lag_seconds: i64,
    /// The incident's windows; empty keeps every object.
    pub windows: Vec<Window>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            endpoint_url: None,
            path_style: false,
            concurrency: 16,
            delivery_lag_seconds: 24 * 3600,
            windows: Vec::new(),
        }
    }
}

/// Records are stamped by S3's clock and the key by the delivery's: allow a little skew.
pub const SKEW_SECONDS: i64 = 15 * 60;

/// `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub bucket: String,
    pub prefix: String,
}

impl Url {
    /// `None` when `arg` is not an `s3://` URL at all.
    pub fn parse(arg: &str) -> Option<Result<Url, SourceError>> {
        let rest = arg.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            let e = io::Error::new(io::ErrorKind::InvalidInput, "expected s3://bucket/prefix");
            return Some(Err(SourceError::new(arg, "not an S3 URL", e)));
        }
        Some(Ok(Url {
            bucket: bucket.into(),
            prefix: prefix.into(),
        }))
    }
}

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    pub key: String,
    pub size: u64,
}

/// What listing found (for run.json) and the objects it kept.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub summary: S3Listing,
    pub kept: Vec<ObjectRef>,
}

/// The S3 client and the runtime its transfers run on.
pub struct Fetcher {
    runtime: tokio::runtime::Runtime,
    config: aws_config::SdkConfig,
    client: Client,
    concurrency: usize,
}

fn sdk_error(place: impl std::fmt::Display, what: &'static str, e: impl std::error::Error) -> SourceError {
    SourceError::new(place, what, io::Error::other(DisplayErrorContext(e).to_string()))
}

impl Fetcher {
    pub fn new(opts: &Options) -> Result<Fetcher, SourceError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| SourceError::new("s3", "cannot start the transfer runtime", e))?;
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(url) = &opts.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let shared = runtime.block_on(loader.load());
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(opts.path_style)
            .build();
        Ok(Fetcher {
            runtime,
            config: shared,
            client: Client::from_conf(config),
            concurrency: opts.concurrency.max(1),
        })
    }

    /// The runtime and AWS settings, for other AWS clients (Athena) to share.
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    pub fn sdk_config(&self) -> &aws_config::SdkConfig {
        &self.config
    }

    /// Every object whole, fetched concurrently: for small objects that are read at
    /// random (Parquet) rather than streamed.
    pub fn fetch_whole(&self, objects: &[ObjectRef]) -> Result<Vec<Bytes>, SourceError> {
        let fetched = self.fetch_all(objects)?;
        let mut out = Vec::with_capacity(objects.len());
        for object in &fetched {
            let mut bytes = Vec::new();
            object
                .stream()?
                .read_to_end(&mut bytes)
                .map_err(|e| SourceError::new(object.url(), "cannot read", e))?;
            out.push(Bytes::from(bytes));
        }
        Ok(out)
    }

    /// Lists every URL (all pages), keeping the objects that can hold records from the
    /// windows.
    pub fn list(&self, urls: &[Url], opts: &Options) -> Result<Listing, SourceError> {
        let mut listing = Listing::default();
        let found = &mut listing.summary;
        found.delivery_lag_seconds = opts.delivery_lag_seconds;
        for url in urls {
            let place = format!("s3://{}/{}", url.bucket, url.prefix);
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(&url.bucket)
                .prefix(&url.prefix)
                .into_paginator()
                .send();
            while let Some(page) = self.runtime.block_on(pages.next()) {
                let page = page.map_err(|e| sdk_error(&place, "cannot list", e))?;
                for object in page.contents() {
                    let key = object.key().unwrap_or_default().to_string();
                    let size = object.size().unwrap_or(0).max(0) as u64;
                    found.listed_objects += 1;
                    found.listed_bytes += size;
                    match key_time(&key) {
                        None => found.undated_objects += 1,
                        Some(t) if !t.may_hold(&opts.windows, opts.delivery_lag_seconds) => {
                            found.pruned_objects += 1;
                            found.pruned_bytes += size;
                            continue;
                        }
                        Some(_) => {}
                    }
                    listing.kept.push(ObjectRef {
                        bucket: url.bucket.clone(),
                        key,
                        size,
                    });
                }
            }
        }
        Ok(listing)
    }

    /// Starts fetching every object, at most `concurrency` at once and in order; each
    /// object's bytes wait in a small channel until the reader reaches it.
    pub fn fetch_all(&self, objects: &[ObjectRef]) -> Result<Vec<Object>, SourceError> {
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut jobs = Vec::with_capacity(objects.len());
        let mut out = Vec::with_capacity(objects.len());
        for object in objects {
            let (tx, rx) = mpsc::channel(CHUNKS_AHEAD);
            jobs.push((object.clone(), tx));
            out.push(Object {
                reference: object.clone(),
                receiver: Mutex::new(Some(rx)),
            });
        }
        let client = self.client.clone();
        // Permits are taken in listing order, so the objects read first are fetched first.
        self.runtime.spawn(async move {
            for (object, tx) in jobs {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    return;
                };
                let client = client.clone();
                tokio::spawn(async move {
                    fetch(&client, &object, &tx).await;
                    drop(permit);
                });
            }
        });
        Ok(out)
    }

    /// Downloads one object to a temporary file (learners and calendars, which the
    /// table readers need whole, Parquet to seek in).
    pub fn download(&self, url: &Url) -> Result<tempfile::NamedTempFile, SourceError> {
        let place = format!("s3://{}/{}", url.bucket, url.prefix);
        let suffix = url
            .prefix
            .rsplit_once('.')
            .map_or(String::new(), |(_, ext)| format!(".{ext}"));
        let mut file = tempfile::Builder::new()
            .suffix(&suffix)
            .tempfile()
            .map_err(|e| SourceError::new(&place, "cannot download", e))?;
        let object = ObjectRef {
            bucket: url.bucket.clone(),
            key: url.prefix.clone(),
            size: 0,
        };
        let fetched = self.fetch_all(std::slice::from_ref(&object))?;
        let mut stream = fetched[0].stream()?;
        io::copy(&mut stream, &mut file).map_err(|e| SourceError::new(&place, "cannot download", e))?;
        Ok(file)
    }
}

/// Chunks (of the SDK's size, tens of KiB) buffered per object ahead of the reader.
const CHUNKS_AHEAD: usize = 16;

/// How often an object whose body breaks off is resumed before the run stops.
const RESUMES: u32 = 4;

/// Streams one object into `tx`. A body that breaks off mid-object (a reset
/// connection) is resumed from the byte it reached, pinned to the first response's
/// ETag so the bytes are one object's; the SDK's own retry covers each request.
async fn fetch(client: &Client, object: &ObjectRef, tx: &mpsc::Sender<io::Result<Bytes>>) {
    let url = format!("s3://{}/{}", object.bucket, object.key);
    let (mut offset, mut etag, mut resumes) = (0u64, None::<String>, 0);
    loop {
        let mut request = client.get_object().bucket(&object.bucket).key(&object.key);
        if offset > 0 {
            request = request
                .range(format!("bytes={offset}-"))
                .set_if_match(etag.clone());
        }
        let mut body = match request.send().await {
            Ok(r) => {
                etag = etag.or_else(|| r.e_tag().map(String::from));
                r.body
            }
            Err(e) => {
                let e = io::Error::other(format!("{url}: {}", DisplayErrorContext(e)));
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        loop {
            match body.next().await {
                None => return,
                Some(Ok(chunk)) => {
                    offset += chunk.len() as u64;
                    // A closed channel means the reader stopped (an error elsewhere).
                    if tx.send(Ok(chunk)).await.is_err() {
                        return;
                    }
                }
                Some(Err(_)) if resumes < RESUMES => {
                    resumes += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100 << resumes)).await;
                    break;
                }
                Some(Err(e)) => {
                    let e =
                        io::Error::other(format!("{url}: {e} (at byte {offset}, after {resumes} resumes)"));
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    }
}

/// A listed object being fetched.
#[derive(Debug)]
pub struct Object {
    reference: ObjectRef,
    receiver: Mutex<Option<mpsc::Receiver<io::Result<Bytes>>>>,
}

impl Object {
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.reference.bucket, self.reference.key)
    }

    /// The object's bytes as a blocking reader; an object is read once.
    pub fn stream(&self) -> Result<Stream, SourceError> {
        let taken = self.receiver.lock().ok().and_then(|mut r| r.take());
        let receiver = taken.ok_or_else(|| {
            SourceError::new(
                self.url(),
                "cannot read",
                io::Error::other("already read in this run"),
            )
        })?;
        Ok(Stream {
            receiver,
            chunk: Bytes::new(),
        })
    }
}

/// Reads an object's chunks as they arrive.
pub struct Stream {
    receiver: mpsc::Receiver<io::Result<Bytes>>,
    chunk: Bytes,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.receiver.blocking_recv() {
                None => return Ok(0),
                Some(chunk) => self.chunk = chunk?,
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

/// The time an access-log object's key carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTime {
    /// `prefix/YYYY-MM-DD-hh-mm-ss-Unique` (and the date-partitioned form with delivery
    /// time): when AWS delivered it; its records are from before.
    Delivered(i64),
    /// The date-partitioned form with event time: `.../YYYY/MM/DD/YYYY-MM-DD-00-00-00-Unique`
    /// holds records of that UTC day only.
    EventDay(i64),
}

impl KeyTime {
    /// Whether an object with this key time can hold records inside the windows, given
    /// how late AWS may deliver. A partitioned key at midnight may be either kind: both
    /// readings are tried.
    pub fn may_hold(self, windows: &[Window], lag: i64) -> bool {
        if windows.is_empty() {
            return true;
        }
        let delivered = |t: i64| {
            windows
                .iter()
                .any(|w| t >= w.start - SKEW_SECONDS && t <= w.end + lag)
        };
        match self {
            KeyTime::Delivered(t) => delivered(t),
            KeyTime::EventDay(day) => {
                windows.iter().any(|w| w.start < day + 86_400 && day < w.end) || delivered(day)
            }
        }
    }
}

/// The time in an access-log object's key, for both key formats AWS writes.
pub fn key_time(key: &str) -> Option<KeyTime> {
    let (dir, name) = key.rsplit_once('/').unwrap_or(("", key));
    let b = name.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = name.get(r)?;
        s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
    };
    let dashes = [4, 7, 10, 13, 16, 19].iter().all(|&i| b.get(i) == Some(&b'-'));
    if !dashes {
        return None;
    }
    let (y, mo, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (h, mi, s) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let date = jiff::civil::Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()?;
    let time = jiff::civil::Time::new(
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(s).ok()?,
        0,
    )
    .ok()?;
    let t = date
        .to_datetime(time)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp()
        .as_second();
    let partitioned = dir.ends_with(&format!("{y:04}/{mo:02}/{d:02}"));
    Some(if partitioned && (h, mi, s) == (0, 0, 0) {
        KeyTime::EventDay(t)
    } else {
        KeyTime::Delivered(t)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    #[test]
    fn both_key_formats_carry_their_time() {
        assert_eq!(
            key_time("logs/2026-11-20-13-05-00-5EFDE77DB9A42364"),
            Some(KeyTime::Delivered(t("2026-11-20T13:05:00Z")))
        );
        assert_eq!(
            key_time("logs/123456789012/us-east-1/duo-brb/2026/11/20/2026-11-20-00-00-00-ABCDEF"),
            Some(KeyTime::EventDay(t("2026-11-20T00:00:00Z")))
        );
        assert_eq!(
            key_time("logs/123456789012/us-east-1/duo-brb/2026/11/20/2026-11-20-17-42-09-ABCDEF"),
            Some(KeyTime::Delivered(t("2026-11-20T17:42:09Z")))
        );
        for undated in [
            "logs/readme.txt",
            "logs/2026-13-20-00-00-00-X",
            "2026-11-20",
            "logs/2026-11-20-13-05-0x-Y",
        ] {
            assert_eq!(key_time(undated), None, "{undated}");
        }
    }

    #[test]
    fn pruning_keeps_what_can_hold_window_records_and_no_more() {
        let w = [Window {
            start: t("2026-11-20T13:00:00Z"),
            end: t("2026-11-20T16:30:00Z"),
            keys: Vec::new(),
        }];
        let lag = 24 * 3600;
        let delivered = |s: &str| KeyTime::Delivered(t(s)).may_hold(&w, lag);
        assert!(
            !delivered("2026-11-20T12:00:00Z"),
            "delivered before the window opened"
        );
        assert!(
            delivered("2026-11-20T12:50:00Z"),
            "within the clock-skew allowance"
        );
        assert!(delivered("2026-11-21T16:30:00Z"), "a day late is still possible");
        assert!(!delivered("2026-11-21T16:31:00Z"), "later than the delivery lag");
        let day = |s: &str| KeyTime::EventDay(t(s)).may_hold(&w, lag);
        assert!(day("2026-11-20T00:00:00Z"));
        assert!(!day("2026-11-19T00:00:00Z"));
        assert!(
            day("2026-11-21T00:00:00Z"),
            "may also be a delivery-time key a day later"
        );
        assert!(!day("2026-11-22T00:00:00Z"));
        assert!(
            KeyTime::Delivered(0).may_hold(&[], lag),
            "no windows: keep everything"
        );
    }

    #[test]
    fn urls_name_bucket_and_prefix() {
        let u = Url::parse("s3://duo-logs/brb/2026/").unwrap().unwrap();
        assert_eq!((u.bucket.as_str(), u.prefix.as_str()), ("duo-logs", "brb/2026/"));
        assert_eq!(Url::parse("s3://bucket").unwrap().unwrap().prefix, "");
        assert!(Url::parse("s3:///x").unwrap().is_err());
        assert!(Url::parse("logs/dir").is_none());
    }
}
