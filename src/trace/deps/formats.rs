//! The dependency graph out, one small type per format behind [`Format`]: a text table
//! for the terminal, Graphviz DOT, Jaeger's dependency links, and JSON rows.

use std::io::Write;

use super::Edge;

/// A way to write edges.
pub trait Format {
    fn write(&self, edges: &[Edge], out: &mut dyn Write) -> anyhow::Result<()>;
}

/// Aligned columns, flags in words.
pub struct Text;
/// `digraph deps { … }`: edges labelled with calls, error rate and p99; flagged ones red.
pub struct Dot;
/// `{"data":[{"parent","child","callCount"}]}`, what Jaeger's `/api/dependencies` answers.
pub struct JaegerLinks;
/// `{"edges":[…]}` with every field of [`Edge`].
pub struct Json;

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

impl Format for Text {
    fn write(&self, edges: &[Edge], out: &mut dyn Write) -> anyhow::Result<()> {
        writeln!(
            out,
            "{:<22} {:<22} {:>7} {:>7} {:>8} {:>8} {:>11} {:>8}  flags",
            "caller", "callee", "calls", "errors", "p50 ms", "p99 ms", "resp bytes", "gap ms"
        )?;
        for e in edges {
            let flags: Vec<&str> = e.flags.iter().map(|f| f.phrase()).collect();
            writeln!(
                out,
                "{:<22} {:<22} {:>7} {:>7} {:>8} {:>8} {:>11} {:>8}  {}",
                e.caller,
                e.callee,
                e.calls,
                e.errors,
                ms(e.p50_ms),
                ms(e.p99_ms),
                e.response_bytes,
                ms(e.gap_p50_ms),
                flags.join(", ")
            )?;
        }
        Ok(())
    }
}

/// A DOT quoted id: backslashes and quotes escaped.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Format for Dot {
    fn write(&self, edges: &[Edge], out: &mut dyn Write) -> anyhow::Result<()> {
        writeln!(out, "digraph deps {{\n  rankdir=LR;\n  node [shape=box];")?;
        for e in edges {
            let label = format!(
                "{} calls, {:.1}% errors, p99 {} ms",
                e.calls,
                e.error_rate() * 100.0,
                ms(e.p99_ms)
            );
            let color = if e.flags.is_empty() { "black" } else { "red" };
            let (from, to, label) = (quoted(&e.caller), quoted(&e.callee), quoted(&label));
            writeln!(out, "  {from} -> {to} [label={label}, color={color}];")?;
        }
        writeln!(out, "}}")?;
        Ok(())
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Link<'a> {
    parent: &'a str,
    child: &'a str,
    call_count: u64,
}

impl Format for JaegerLinks {
    fn write(&self, edges: &[Edge], out: &mut dyn Write) -> anyhow::Result<()> {
        let links: Vec<Link> = edges
            .iter()
            .map(|e| Link {
                parent: &e.caller,
                child: &e.callee,
                call_count: e.calls,
            })
            .collect();
        serde_json::to_writer(&mut *out, &serde_json::json!({ "data": links }))?;
        writeln!(out)?;
        Ok(())
    }
}

impl Format for Json {
    fn write(&self, edges: &[Edge], out: &mut dyn Write) -> anyhow::Result<()> {
        serde_json::to_writer(&mut *out, &serde_json::json!({ "edges": edges }))?;
        writeln!(out)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(caller: &str, flagged: bool) -> Edge {
        Edge {
            caller: caller.into(),
            callee: "api".into(),
            calls: 4,
            errors: 1,
            entries: 0,
            p50_ms: Some(3.0),
            p99_ms: Some(9.5),
            request_bytes: 10,
            response_bytes: 20,
            gap_p50_ms: None,
            flags: if flagged {
                vec![super::super::Flag::RepeatedErrors]
            } else {
                vec![]
            },
        }
    }

    fn text(format: &dyn Format, edges: &[Edge]) -> String {
        let mut out = Vec::new();
        format.write(edges, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn dot_quotes_names_and_colours_flagged_edges() {
        let dot = text(&Dot, &[edge("we\"b", true), edge("web", false)]);
        assert!(
            dot.contains(r#""we\"b" -> "api" [label="4 calls, 25.0% errors, p99 9.5 ms", color=red];"#),
            "{dot}"
        );
        assert!(
            dot.contains(r#""web" -> "api" [label="4 calls, 25.0% errors, p99 9.5 ms", color=black];"#),
            "{dot}"
        );
        assert!(dot.starts_with("digraph deps {") && dot.ends_with("}\n"));
    }

    #[test]
    fn jaeger_links_are_parent_child_call_count() {
        let json: serde_json::Value =
            serde_json::from_str(&text(&JaegerLinks, &[edge("web", false)])).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"data": [{"parent": "web", "child": "api", "callCount": 4}]})
        );
    }
}
