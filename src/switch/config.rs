//! The switch's config file (`brb.toml`): where the cohort objects live, how clients
//! name themselves, which features exist and which of them block practice, where the
//! journal and the access logs go. Checked once, with errors that name the key.

use std::path::Path;

use serde::Deserialize;

/// A validated switch config.
#[derive(Debug, Clone)]
pub struct Config {
    pub bucket: String,
    /// Key prefix of the cohort objects, e.g. `brb/`; never empty, so the public
    /// policy never covers the whole bucket.
    pub prefix: String,
    pub cohorts: u32,
    pub salt: String,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub path_style: bool,
    pub learner_param: String,
    pub tz_param: String,
    /// Every feature an app may pause, in the config's order.
    pub features: Vec<String>,
    /// The features whose pause keeps a learner from practising: only their pauses
    /// become repair windows.
    pub blocks_practice: Vec<String>,
    pub journal: Place,
    /// Where the bucket's server access logs go (the repair's evidence).
    pub logging: Option<Place>,
    /// Origins of the web apps that poll from a browser.
    pub cors_origins: Vec<String>,
}

/// A bucket and key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub bucket: String,
    pub prefix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    bucket: String,
    #[serde(default = "default_prefix")]
    prefix: String,
    #[serde(default = "default_cohorts")]
    cohorts: i64,
    #[serde(default = "default_salt")]
    salt: String,
    region: Option<String>,
    endpoint_url: Option<String>,
    #[serde(default)]
    path_style: bool,
    #[serde(default = "default_learner_param")]
    learner_param: String,
    #[serde(default = "default_tz_param")]
    tz_param: String,
    features: Vec<String>,
    blocks_practice: Option<Vec<String>>,
    journal: Option<RawPlace>,
    logging: Option<RawPlace>,
    cors: Option<RawCors>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlace {
    bucket: Option<String>,
    prefix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCors {
    origins: Vec<String>,
}

fn default_prefix() -> String {
    "brb/".into()
}
fn default_cohorts() -> i64 {
    100
}
fn default_salt() -> String {
    "brb".into()
}
fn default_learner_param() -> String {
    "x-learner-id".into()
}
fn default_tz_param() -> String {
    "x-tz".into()
}

/// The most cohorts a switch manages: 10,000 objects are still read in seconds.
pub const MAX_COHORTS: u32 = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the switch config: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    Toml { path: String, message: String },
    #[error("{path}: `{key}` {message}")]
    Invalid {
        path: String,
        key: &'static str,
        message: String,
    },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: name.clone(),
            source,
        })?;
        Config::parse(&text, &name)
    }

    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let raw: Raw = toml::from_str(text).map_err(|e| ConfigError::Toml {
            path: path.into(),
            message: e.message().replace('\n', " "),
        })?;
        let invalid = |key: &'static str, message: String| ConfigError::Invalid {
            path: path.into(),
            key,
            message,
        };
        validate(raw, &invalid)
    }

    /// The body's `paused` list and the window rule agree on this: `*` blocks.
    pub fn blocks(&self, feature: &str) -> bool {
        feature == brb_client::ALL_FEATURES || self.blocks_practice.iter().any(|f| f == feature)
    }

    pub fn key(&self, cohort: u32) -> String {
        brb_client::cohort_key(&self.prefix, cohort, self.cohorts)
    }
}

fn validate(raw: Raw, invalid: &dyn Fn(&'static str, String) -> ConfigError) -> Result<Config, ConfigError> {
    if !is_bucket_name(&raw.bucket) {
        return Err(invalid(
            "bucket",
            format!("{:?} is not an S3 bucket name", raw.bucket),
        ));
    }
    if raw.prefix.is_empty() || raw.prefix.starts_with('/') {
        return Err(invalid(
            "prefix",
            "must be a non-empty key prefix such as \"brb/\": the public read policy covers it".into(),
        ));
    }
    let cohorts = u32::try_from(raw.cohorts)
        .ok()
        .filter(|n| (1..=MAX_COHORTS).contains(n))
        .ok_or_else(|| {
            invalid(
                "cohorts",
                format!("{} is not between 1 and {MAX_COHORTS}", raw.cohorts),
            )
        })?;
    for (key, value) in [("learner_param", &raw.learner_param), ("tz_param", &raw.tz_param)] {
        if value.is_empty() || value.contains(['&', '=', '?', '#', ' ']) {
            return Err(invalid(key, format!("{value:?} is not a query parameter name")));
        }
    }
    if raw.features.is_empty() {
        return Err(invalid("features", "must name at least one feature".into()));
    }
    if let Some(f) = raw
        .features
        .iter()
        .find(|f| f.is_empty() || *f == brb_client::ALL_FEATURES || f.contains([',', ' ']))
    {
        return Err(invalid("features", format!("{f:?} is not a feature name")));
    }
    let blocks_practice = raw.blocks_practice.unwrap_or_else(|| raw.features.clone());
    if let Some(f) = blocks_practice.iter().find(|f| !raw.features.contains(f)) {
        return Err(invalid(
            "blocks_practice",
            format!("{f:?} is not one of `features`"),
        ));
    }
    let journal = match raw.journal {
        Some(j) => place(j, &raw.bucket, "journal.prefix", invalid)?,
        None => Place {
            bucket: raw.bucket.clone(),
            prefix: "brb-journal/".into(),
        },
    };
    if journal.bucket == raw.bucket && journal.prefix.starts_with(&raw.prefix) {
        return Err(invalid(
            "journal.prefix",
            format!(
                "{:?} is inside the public prefix {:?}",
                journal.prefix, raw.prefix
            ),
        ));
    }
    let logging = raw
        .logging
        .map(|l| place(l, &raw.bucket, "logging.prefix", invalid))
        .transpose()?;
    let cors_origins = raw.cors.map(|c| c.origins).unwrap_or_default();
    if let Some(o) = cors_origins
        .iter()
        .find(|o| *o != "*" && !(o.starts_with("https://") || o.starts_with("http://")))
    {
        return Err(invalid(
            "cors.origins",
            format!("{o:?} is not an origin like https://example.com"),
        ));
    }
    Ok(Config {
        bucket: raw.bucket,
        prefix: raw.prefix,
        cohorts,
        salt: raw.salt,
        region: raw.region,
        endpoint_url: raw.endpoint_url,
        path_style: raw.path_style,
        learner_param: raw.learner_param,
        tz_param: raw.tz_param,
        features: raw.features,
        blocks_practice,
        journal,
        logging,
        cors_origins,
    })
}

fn place(
    raw: RawPlace,
    bucket: &str,
    key: &'static str,
    invalid: &dyn Fn(&'static str, String) -> ConfigError,
) -> Result<Place, ConfigError> {
    let bucket = raw.bucket.unwrap_or_else(|| bucket.to_string());
    if !is_bucket_name(&bucket) {
        return Err(invalid(
            key,
            format!("its bucket {bucket:?} is not an S3 bucket name"),
        ));
    }
    if raw.prefix.starts_with('/') {
        return Err(invalid(key, format!("{:?} must not start with /", raw.prefix)));
    }
    Ok(Place {
        bucket,
        prefix: raw.prefix,
    })
}

/// S3's rules for general purpose bucket names (3–63 of a-z 0-9 . -, letter or digit
/// at both ends).
fn is_bucket_name(name: &str) -> bool {
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && ends(name.chars().next())
        && ends(name.chars().last())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
bucket = "duo-brb"
features = ["lessons", "stories", "leaderboards"]
blocks_practice = ["lessons", "stories"]
[journal]
bucket = "duo-brb-ops"
prefix = "journal/"
[logging]
bucket = "duo-brb-logs"
prefix = "access/"
[cors]
origins = ["https://www.example.com"]
"#;

    fn err(text: &str) -> String {
        Config::parse(text, "brb.toml").unwrap_err().to_string()
    }

    #[test]
    fn defaults_are_the_spec_defaults() {
        let c = Config::parse("bucket = \"duo-brb\"\nfeatures = [\"lessons\"]\n", "brb.toml").unwrap();
        assert_eq!(
            (c.prefix.as_str(), c.cohorts, c.salt.as_str()),
            ("brb/", 100, "brb")
        );
        assert_eq!(
            (c.learner_param.as_str(), c.tz_param.as_str()),
            ("x-learner-id", "x-tz")
        );
        assert_eq!(c.blocks_practice, ["lessons"], "every feature blocks unless told");
        assert_eq!(
            c.journal,
            Place {
                bucket: "duo-brb".into(),
                prefix: "brb-journal/".into()
            }
        );
        assert_eq!(c.key(7), "brb/cohort-07.json");
    }

    #[test]
    fn a_full_config_parses_and_knows_what_blocks() {
        let c = Config::parse(GOOD, "brb.toml").unwrap();
        assert!(c.blocks("lessons") && c.blocks("*") && !c.blocks("leaderboards"));
        assert_eq!(c.logging.unwrap().bucket, "duo-brb-logs");
        assert_eq!(c.cors_origins, ["https://www.example.com"]);
    }

    #[test]
    fn errors_name_the_key_on_one_line() {
        for (text, key) in [
            (GOOD.replace("duo-brb\"\n", "Duo_BRB\"\n"), "`bucket`"),
            (format!("prefix = \"\"\n{GOOD}"), "`prefix`"),
            (format!("cohorts = 0\n{GOOD}"), "`cohorts`"),
            (format!("cohorts = 100001\n{GOOD}"), "`cohorts`"),
            (
                GOOD.replace("\"lessons\", \"stories\"]", "\"lessons\", \"quests\"]"),
                "`blocks_practice`",
            ),
            (format!("learner_param = \"a=b\"\n{GOOD}"), "`learner_param`"),
            (
                GOOD.replace("https://www.example.com", "www.example.com"),
                "`cors.origins`",
            ),
            (GOOD.replace("\"leaderboards\"]", "\"*\"]"), "`features`"),
        ] {
            let e = err(&text);
            assert!(e.starts_with("brb.toml: ") && e.contains(key), "{key}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
        assert!(err(&format!("{GOOD}\ncolor = 1\n")).contains("color"));
    }

    #[test]
    fn the_journal_may_not_sit_under_the_public_prefix() {
        let e = err(&GOOD.replace(
            "bucket = \"duo-brb-ops\"\nprefix = \"journal/\"",
            "prefix = \"brb/journal/\"",
        ));
        assert!(e.contains("`journal.prefix`") && e.contains("public"), "{e}");
    }
}
