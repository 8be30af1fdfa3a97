//! [`UreqTransport`]: the poll's GET over ureq (rustls, no AWS SDK), with one overall
//! timeout per request and the body read to at most [`crate::MAX_BODY`] bytes.

use std::time::Duration;

use crate::poll::{Client, Response, Settings, Transport};
use crate::MAX_BODY;

/// A pooled HTTP(S) agent whose every request gives up after `timeout`.
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl UreqTransport {
    pub fn new(timeout: Duration) -> UreqTransport {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .build();
        UreqTransport { agent: config.into() }
    }
}

impl Transport for UreqTransport {
    fn get(&self, url: &str, if_none_match: Option<&str>) -> Result<Response, String> {
        let mut request = self.agent.get(url);
        if let Some(etag) = if_none_match {
            request = request.header("If-None-Match", etag);
        }
        let mut response = request.call().map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY as u64)
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        Ok(Response { status, etag, body })
    }
}

impl Client<UreqTransport> {
    /// A client over its own HTTPS agent, with the settings' timeout.
    pub fn https(settings: Settings, learner_id: u64, tz: Option<&str>) -> Client<UreqTransport> {
        let transport = UreqTransport::new(settings.timeout);
        Client::new(settings, learner_id, tz, transport)
    }
}
