//! HTML escaping, shared by the page ([`super::html`]), its inline SVG charts
//! ([`super::svg`]) and reqtrace's pages: all import it from here, so the
//! page imports the charts and the charts import nothing of the page.

use super::format::is_hidden;

/// Text safe in HTML text and attribute values, and in SVG text: `& < > " '` become
/// entities, control and bidi characters become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_hidden(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// `1 edge`, `2 edges`: a count in words, as the pages print it.
pub fn count(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// The `'sha256-…'` source a Content-Security-Policy gives an inline style or script;
/// the pages' tests hold their constants to it.
#[cfg(test)]
pub fn csp_hash(text: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
}
