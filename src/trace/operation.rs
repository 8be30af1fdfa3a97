//! A hop's operation name, from the ALB `request` field (`GET https://host:443/path?q HTTP/1.1`):
//! `METHOD /path` with the query dropped and id-like path segments templated to `{id}`, so
//! one endpoint is one operation. Owns that rule only; it does not decode the URL.
//!
//! The rule, per `/`-separated path segment: a segment is an id when it is all ASCII digits,
//! or when it has at least 8 bytes, all `[A-Za-z0-9_-]`, and at least one digit. That covers
//! numbers, UUIDs, hex digests, ULIDs, base64url tokens and dates (`2024-01-15`), and keeps
//! words (`settings`, `v2`, `pkg.Service`); a word-with-digits of 8 or more (`2fa-codes`)
//! is templated too, the price of a rule this small.
//!
//! Other shapes: a request the load balancer could not parse (method `-`, as in
//! `- http://host:80- -`) is [`MALFORMED`]; a URL without `scheme://host` is taken as the
//! path; a URL with no path is `/`.

use compact_str::{format_compact, CompactString};

/// The operation of a request the load balancer could not parse.
pub const MALFORMED: &str = "(malformed request)";

/// `METHOD /templated/path` for the `request` field's text, quotes stripped.
pub fn operation(request: &[u8]) -> CompactString {
    let text = String::from_utf8_lossy(request);
    let mut words = text.split(' ');
    let (Some(method), Some(url)) = (words.next(), words.next()) else {
        return MALFORMED.into();
    };
    if method.is_empty() || method == "-" {
        return MALFORMED.into();
    }
    format_compact!("{method} {}", template(path(url)))
}

/// The path of an absolute URL (or of a bare path), query and fragment dropped.
fn path(url: &str) -> &str {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |slash| &rest[slash..]),
        None => url,
    }
}

fn template(path: &str) -> String {
    let segments: Vec<&str> = path
        .split('/')
        .map(|s| if is_id(s) { "{id}" } else { s })
        .collect();
    segments.join("/")
}

fn is_id(segment: &str) -> bool {
    let digits = segment.bytes().filter(u8::is_ascii_digit).count();
    let id_bytes = segment
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    (digits > 0 && digits == segment.len()) || (digits > 0 && id_bytes && segment.len() >= 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templating_table() {
        let table = [
            (
                "GET https://shop.example.com:443/cart?session=9 HTTP/1.1",
                "GET /cart",
            ),
            (
                "GET https://h:443/users/42/orders/7 HTTP/2.0",
                "GET /users/{id}/orders/{id}",
            ),
            (
                "DELETE https://h:443/items/3f2b8c1e-9d4a-4b6e-8f00-1a2b3c4d5e6f HTTP/1.1",
                "DELETE /items/{id}",
            ),
            ("GET https://h:443/blobs/deadbeef0123 HTTP/1.1", "GET /blobs/{id}"),
            ("GET https://h:443/blobs/deadbeef HTTP/1.1", "GET /blobs/deadbeef"),
            (
                "GET https://h:443/t/01HZX3K9QW8N7M6B5V4C3X2Z1Y HTTP/1.1",
                "GET /t/{id}",
            ),
            ("GET https://h:443/days/2024-01-15 HTTP/1.1", "GET /days/{id}"),
            (
                "GET https://h:443/api/v2/settings HTTP/1.1",
                "GET /api/v2/settings",
            ),
            ("GET https://h:443/u/ab12 HTTP/1.1", "GET /u/ab12"),
            (
                "GET https://h:443/u/report.2024.csv HTTP/1.1",
                "GET /u/report.2024.csv",
            ),
            (
                "POST https://h:443/pkg.Cart/AddItem HTTP/2.0",
                "POST /pkg.Cart/AddItem",
            ),
            ("GET http://h:80 HTTP/1.1", "GET /"),
            ("GET http://h:80/ HTTP/1.1", "GET /"),
            ("GET http://h:80/a//b/ HTTP/1.1", "GET /a//b/"),
            ("GET http://h:80/a#frag HTTP/1.1", "GET /a"),
            ("GET /bare/123 HTTP/1.1", "GET /bare/{id}"),
            ("- http://h:80- -", MALFORMED),
            ("", MALFORMED),
            ("GET", MALFORMED),
        ];
        for (request, want) in table {
            assert_eq!(operation(request.as_bytes()), want, "{request}");
        }
    }

    #[test]
    fn not_utf8_is_no_panic() {
        assert_eq!(
            operation(b"GET http://h:80/\xff/9 HTTP/1.1"),
            "GET /\u{fffd}/{id}"
        );
    }
}
