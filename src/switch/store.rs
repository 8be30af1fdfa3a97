//! The switch's S3 calls: cohort objects read and written concurrently with
//! conditional requests, journal objects created only if absent, and the bucket
//! settings `setup` and `status` look at. Every answer carries S3's own clock (the
//! response's `Date`), the clock the access logs are written in.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use jiff::Timestamp;
use tokio::sync::Semaphore;

use super::config::Config;

/// Requests in flight at once: 1,000 cohorts flip in a few seconds.
const CONCURRENCY: usize = 64;

/// A cohort object as the bucket holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    Absent,
    /// `body` is the object's bytes; clients read them with `Notice::parse`.
    Present {
        etag: String,
        body: Vec<u8>,
    },
}

/// A result with the `Date` of the response that gave it, when S3 sent one.
#[derive(Debug, Clone)]
pub struct Dated<T> {
    pub value: T,
    pub date: Option<Timestamp>,
}

/// Why a conditional write did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The object is not in the state it was read in: someone else changed it.
    Conflict(String),
    /// Anything else, after the SDK's own retries.
    Failed(String),
}

/// What a write expects to find.
#[derive(Debug, Clone)]
pub enum Expect {
    Absent,
    Etag(String),
}

/// The S3 client and the runtime its requests run on.
pub struct Store {
    runtime: tokio::runtime::Runtime,
    client: Client,
    interrupted: Arc<AtomicBool>,
    guarding: std::sync::Once,
}

impl Store {
    pub fn new(config: &Config) -> anyhow::Result<Store> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(url) = &config.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(region) = &config.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        let shared = runtime.block_on(loader.load());
        let s3 = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(config.path_style)
            .build();
        Ok(Store {
            runtime,
            client: Client::from_conf(s3),
            interrupted: Arc::new(AtomicBool::new(false)),
            guarding: std::sync::Once::new(),
        })
    }

    /// From now on Ctrl-C does not kill the process mid-flip: it is only noted, so the
    /// writes under way finish and are journaled. Called once the operator confirmed.
    pub fn guard_interrupts(&self) {
        self.guarding.call_once(|| {
            let flag = self.interrupted.clone();
            self.runtime.spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    flag.store(true, Ordering::SeqCst);
                }
            });
        });
    }

    /// Whether Ctrl-C was pressed since [`Store::guard_interrupts`].
    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs one future to completion on the store's runtime.
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// `f` over every item, [`CONCURRENCY`] at a time; results in the items' order.
    pub fn each<I, R, F, Fut>(&self, items: Vec<I>, f: F) -> Vec<R>
    where
        I: Send + 'static,
        R: Send + 'static,
        F: Fn(Client, I) -> Fut,
        Fut: Future<Output = R> + Send + 'static,
    {
        let permits = Arc::new(Semaphore::new(CONCURRENCY));
        self.runtime.block_on(async {
            let mut handles = Vec::with_capacity(items.len());
            for item in items {
                let permits = permits.clone();
                let job = f(self.client.clone(), item);
                handles.push(tokio::spawn(async move {
                    let _permit = permits.acquire_owned().await;
                    job.await
                }));
            }
            let mut out = Vec::with_capacity(handles.len());
            for h in handles {
                // A task panics only on a bug; surface it rather than invent a result.
                out.push(
                    h.await
                        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
                );
            }
            out
        })
    }

    /// Reads every key concurrently.
    pub fn read_all(&self, bucket: &str, keys: &[String]) -> Vec<Result<Dated<Object>, String>> {
        let bucket = bucket.to_string();
        let items: Vec<String> = keys.to_vec();
        self.each(items, move |client, key| {
            let bucket = bucket.clone();
            async move { read(&client, &bucket, &key).await }
        })
    }
}

/// Captures the `Date` header of the response a request got.
#[derive(Debug, Clone, Default)]
struct DateOf(Arc<Mutex<Option<String>>>);

impl Intercept for DateOf {
    fn name(&self) -> &'static str {
        "DateOf"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let (Some(date), Ok(mut slot)) = (context.response().headers().get("date"), self.0.lock()) {
            *slot = Some(date.to_string());
        }
        Ok(())
    }
}

impl DateOf {
    fn get(&self) -> Option<Timestamp> {
        let text = self.0.lock().ok()?.clone()?;
        jiff::fmt::rfc2822::parse(&text).ok().map(|z| z.timestamp())
    }
}

fn text<E: std::error::Error>(e: E) -> String {
    DisplayErrorContext(e).to_string()
}

/// The error code S3 answered with, if it answered.
fn code<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> Option<String> {
    match e {
        SdkError::ServiceError(s) => s.err().code().map(str::to_string),
        _ => None,
    }
}

fn status<E, R: HasStatus>(e: &SdkError<E, R>) -> Option<u16> {
    e.raw_response().map(HasStatus::status)
}

trait HasStatus {
    fn status(&self) -> u16;
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Conflicts are S3's answers to a failed precondition.
fn write_error<E, R>(e: SdkError<E, R>) -> WriteError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: HasStatus + std::fmt::Debug,
{
    let conflict = matches!(status(&e), Some(412 | 409))
        || matches!(
            code(&e).as_deref(),
            Some("PreconditionFailed" | "ConditionalRequestConflict")
        );
    if conflict {
        WriteError::Conflict("the object changed since it was read".into())
    } else {
        WriteError::Failed(text(e))
    }
}

pub async fn read(client: &Client, bucket: &str, key: &str) -> Result<Dated<Object>, String> {
    let date = DateOf::default();
    let answer = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .customize()
        .interceptor(date.clone())
        .send()
        .await;
    match answer {
        Ok(out) => {
            let etag = out.e_tag().unwrap_or_default().to_string();
            let body = out
                .body
                .collect()
                .await
                .map_err(|e| format!("s3://{bucket}/{key}: {e}"))?;
            Ok(Dated {
                value: Object::Present {
                    etag,
                    body: body.into_bytes().to_vec(),
                },
                date: date.get(),
            })
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(Dated {
            value: Object::Absent,
            date: date.get(),
        }),
        Err(e) => Err(format!("s3://{bucket}/{key}: {}", text(e))),
    }
}

/// Writes `body` if the object is as expected; the new ETag.
pub async fn put(
    client: &Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    expect: &Expect,
    cache_control: Option<&str>,
) -> Result<Dated<String>, WriteError> {
    let date = DateOf::default();
    let mut req = client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(ByteStream::from(body));
    req = match expect {
        Expect::Absent => req.if_none_match("*"),
        Expect::Etag(etag) => req.if_match(etag),
    };
    if let Some(cc) = cache_control {
        req = req.cache_control(cc);
    }
    let out = req
        .customize()
        .interceptor(date.clone())
        .send()
        .await
        .map_err(write_error)?;
    Ok(Dated {
        value: out.e_tag().unwrap_or_default().to_string(),
        date: date.get(),
    })
}

/// Deletes the object if it still has `etag`.
pub async fn delete(client: &Client, bucket: &str, key: &str, etag: &str) -> Result<Dated<()>, WriteError> {
    let date = DateOf::default();
    client
        .delete_object()
        .bucket(bucket)
        .key(key)
        .if_match(etag)
        .customize()
        .interceptor(date.clone())
        .send()
        .await
        .map_err(write_error)?;
    Ok(Dated {
        value: (),
        date: date.get(),
    })
}

/// Every key under `prefix`, all pages.
pub async fn list(client: &Client, bucket: &str, prefix: &str) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("s3://{bucket}/{prefix}: cannot list: {}", text(e)))?;
        keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
    }
    Ok(keys)
}

/// The bytes of one object.
pub async fn get(client: &Client, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
    match read(client, bucket, key).await?.value {
        Object::Present { body, .. } => Ok(body),
        Object::Absent => Err(format!("s3://{bucket}/{key}: no such object")),
    }
}
