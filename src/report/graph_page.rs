//! The shell of reqtrace's graph pages (`deps --format html`, `rank --format html`): the
//! head with its Content-Security-Policy, the look they share, and the one script, which
//! records the graph's rendered size so a browser test knows the SVG was laid out and
//! drawn. Each page adds a stylesheet of its own; the policy allows exactly these
//! styles and this script, by hash, so no markup a log line smuggles in can run or
//! restyle the page.

use super::markup::escape;

/// The dry-run report's look (src/report/html.rs) and the graph's base; a page's own
/// style comes after it.
pub const STYLE: &str = "
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1d2330;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:1160px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:13px;margin:28px 0 10px;color:#5a6272;text-transform:uppercase;letter-spacing:.06em}
.sub{color:#5a6272;margin:0}
figure,table{background:#fff;border:1px solid #dde1e7;border-radius:8px}
figure{margin:0;padding:14px;overflow-x:auto}
figcaption{margin:0 0 10px;color:#5a6272;font-size:12.5px}
svg.graph{display:block}
svg.graph text{font-family:system-ui,sans-serif;font-size:12px;fill:#3a4150}
svg.graph .node rect{fill:#eaf1fb;stroke:#2f6fb0;stroke-width:1.2}
svg.graph .node text{fill:#1d2330;font-weight:600}
svg.graph .edge path{fill:none;stroke:#8a93a3}
svg.graph .edge polygon{fill:#8a93a3}
svg.graph .edge text{font-size:11px;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg.graph text.nodata{fill:#8a93a3;font-size:14px}
table{border-collapse:separate;border-spacing:0;width:100%;overflow:hidden}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eceff3;vertical-align:top}
tr:last-child td{border-bottom:0}
th{color:#5a6272;font-weight:600;font-size:12.5px}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
";

const SCRIPT: &str = "
window.addEventListener('load', function () {
  var svg = document.getElementById('graph');
  var box = svg.getBoundingClientRect();
  svg.setAttribute('data-rendered-width', String(Math.round(box.width)));
  svg.setAttribute('data-rendered-height', String(Math.round(box.height)));
  if (box.width > 0 && box.height > 0) document.body.dataset.graphMeasured = 'yes';
});
";

/// Base64 SHA-256 of [`STYLE`] and [`SCRIPT`], for the policy. A test recomputes them.
const STYLE_SHA256: &str = "gWHKEKqaSBNORiJMShr/C5SlnaYrmy/ygZxKc0bCFXc=";
const SCRIPT_SHA256: &str = "haGjHRUneP4IfZAk8yq1d727pVhXBRgwUdOhnbXrnbM=";

/// A page's own stylesheet and the base64 SHA-256 of it (its test holds the two together
/// with [`super::markup::csp_hash`]).
pub struct Style {
    pub css: &'static str,
    pub sha256: &'static str,
}

/// Everything up to `<main>`, the page titled `title` (already escaped).
pub fn head(title: &str, own: &Style) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'sha256-{STYLE_SHA256}' 'sha256-{}'; script-src 'sha256-{SCRIPT_SHA256}'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
        own.sha256, own.css
    )
}

impl Style {
    /// Panics, saying what to set, unless `sha256` is the hash of `css`.
    #[cfg(test)]
    pub fn assert_hash(&self) {
        let actual = super::markup::csp_hash(self.css);
        assert_eq!(
            actual, self.sha256,
            "the style changed: set its sha256 to \"{actual}\""
        );
    }
}

/// A table's header row: each column's name, numeric ones (`true`) right-aligned.
pub fn header_row(columns: &[(&str, bool)]) -> String {
    let heads: String = columns
        .iter()
        .map(|(name, n)| {
            format!(
                "<th{}>{}</th>",
                if *n { " class=\"n\"" } else { "" },
                escape(name)
            )
        })
        .collect();
    format!("<tr>{heads}</tr>\n")
}

/// Everything after the page's content.
pub fn foot() -> String {
    format!("</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_hashes_match_the_shared_style_and_script() {
        for (name, text, hash) in [("STYLE", STYLE, STYLE_SHA256), ("SCRIPT", SCRIPT, SCRIPT_SHA256)] {
            let actual = super::super::markup::csp_hash(text);
            assert_eq!(actual, hash, "{name} changed: set {name}_SHA256 to \"{actual}\"");
        }
    }
}
