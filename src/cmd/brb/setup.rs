//! `brb setup`: the bucket settings the button needs: server access logging to the log
//! place (and the log bucket's permission for S3's logging service), CORS for the web
//! apps' origins, and a read-only public policy on the cohort prefix alone. It prints
//! what it will change first, and changes nothing without confirmation.

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::types::{
    BucketLoggingStatus, CorsConfiguration, CorsRule, LoggingEnabled, PublicAccessBlockConfiguration,
};
use serde_json::json;

use super::Confirm;
use crate::cmd::Finding;
use crate::switch::config::Config;

/// Configure logging, CORS and the public read policy of the bucket.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub confirm: Confirm,
}

/// Public read of the cohort objects and nothing else.
pub fn public_policy(config: &Config) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "BigRedButtonPublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{}/{}*", config.bucket, config.prefix),
        }]
    })
}

/// S3's log delivery may write under the log prefix, for this bucket's logs only.
pub fn log_delivery_policy(config: &Config, bucket: &str, prefix: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "S3ServerAccessLogsPolicy",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": format!("arn:aws:s3:::{bucket}/{prefix}*"),
            "Condition": {"ArnLike": {"aws:SourceArn": format!("arn:aws:s3:::{}", config.bucket)}}
        }]
    })
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<Finding> {
    let Some(logging) = &config.logging else {
        anyhow::bail!(
            "the config has no [logging] bucket and prefix: without access logs nobody can be repaired"
        );
    };
    let public = public_policy(config);
    let delivery = log_delivery_policy(config, &logging.bucket, &logging.prefix);
    println!(
        "s3://{}: server access logging to s3://{}/{}",
        config.bucket, logging.bucket, logging.prefix
    );
    println!("s3://{}: bucket policy {}", logging.bucket, delivery);
    if !config.cors_origins.is_empty() {
        println!(
            "s3://{}: CORS GET, HEAD from {}; ETag exposed",
            config.bucket,
            config.cors_origins.join(", ")
        );
    }
    println!(
        "s3://{}: public access block allows bucket policies (ACLs stay blocked)",
        config.bucket
    );
    println!("s3://{}: bucket policy {}", config.bucket, public);
    if logging.bucket == config.bucket {
        println!(
            "note: logs in the button's own bucket share its policy: both statements are written together"
        );
    }
    if args.confirm.dry_run {
        return Ok(Finding::Clean);
    }
    super::ask_operator(&args.confirm)?;
    let store = super::open(config)?;
    let c = store.client();
    let policy_of = |bucket: &str, doc: &serde_json::Value| -> anyhow::Result<()> {
        let merged = if bucket == config.bucket && logging.bucket == config.bucket {
            let mut both = public.clone();
            if let (Some(a), Some(b)) = (both["Statement"].as_array_mut(), delivery["Statement"].as_array()) {
                a.extend(b.iter().cloned());
            }
            both
        } else {
            doc.clone()
        };
        store
            .block_on(
                c.put_bucket_policy()
                    .bucket(bucket)
                    .policy(merged.to_string())
                    .send(),
            )
            .map_err(fail(format!("s3://{bucket}: put bucket policy")))?;
        Ok(())
    };
    if logging.bucket != config.bucket {
        policy_of(&logging.bucket, &delivery)?;
    }
    let status = BucketLoggingStatus::builder()
        .logging_enabled(
            LoggingEnabled::builder()
                .target_bucket(&logging.bucket)
                .target_prefix(&logging.prefix)
                .build()?,
        )
        .build();
    store
        .block_on(
            c.put_bucket_logging()
                .bucket(&config.bucket)
                .bucket_logging_status(status)
                .send(),
        )
        .map_err(fail(format!("s3://{}: put bucket logging", config.bucket)))?;
    if !config.cors_origins.is_empty() {
        let rule = CorsRule::builder()
            .set_allowed_origins(Some(config.cors_origins.clone()))
            .allowed_methods("GET")
            .allowed_methods("HEAD")
            .expose_headers("ETag")
            .max_age_seconds(300)
            .build()?;
        let cors = CorsConfiguration::builder().cors_rules(rule).build()?;
        store
            .block_on(
                c.put_bucket_cors()
                    .bucket(&config.bucket)
                    .cors_configuration(cors)
                    .send(),
            )
            .map_err(fail(format!("s3://{}: put bucket CORS", config.bucket)))?;
    }
    let block = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(false)
        .restrict_public_buckets(false)
        .build();
    store
        .block_on(
            c.put_public_access_block()
                .bucket(&config.bucket)
                .public_access_block_configuration(block)
                .send(),
        )
        .map_err(fail(format!("s3://{}: put public access block", config.bucket)))?;
    policy_of(&config.bucket, &public)?;
    println!("done");
    Ok(Finding::Clean)
}

fn fail<E: std::error::Error>(what: String) -> impl FnOnce(E) -> anyhow::Error {
    move |e| anyhow::anyhow!("{what}: {}", DisplayErrorContext(e))
}
