//! HTML escaping, shared by the page ([`super::html`]) and its inline SVG charts
//! ([`super::svg`]): both import it from here, so the page imports the charts and the
//! charts import nothing of the page.

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
