//! The ranking as a terminal table: one line per service, most suspect first, its most
//! shifted operations indented below, and what was read and left out at the foot.

use std::io::{self, Write};

use super::{Ranking, Suspect, ABNORMAL, NORMAL};

/// Writes the first `top` suspects.
pub fn render(ranking: &Ranking, top: usize, out: &mut impl Write) -> io::Result<()> {
    let w = &ranking.windows;
    writeln!(
        out,
        "after {} ({} traces, {} spans) against {} ({} traces, {} spans): {} abnormal traces (a failed call, or a root slower than its usual p95)",
        span_text(w.abnormal),
        ranking.traces[ABNORMAL],
        ranking.spans[ABNORMAL],
        span_text(w.normal),
        ranking.traces[NORMAL],
        ranking.spans[NORMAL],
        ranking.abnormal_traces,
    )?;
    if !ranking.anything_changed() {
        writeln!(
            out,
            "no service changed beyond the normal window's spread; listed by the walk alone"
        )?;
    }
    writeln!(
        out,
        "{:>3}  {:<32} {:>6} {:>8} {:>9} {:>9} {:>13} {:>9} {:>9}",
        "#", "service", "score", "anomaly", "own time", "between", "errors", "gone/new", "abnormal"
    )?;
    for (i, s) in ranking.suspects.iter().take(top).enumerate() {
        suspect(i + 1, s, out)?;
    }
    notes(ranking, out)
}

fn suspect(place: usize, s: &Suspect, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{place:>3}  {:<32} {:>6.3} {:>8.3} {:>9} {:>9} {:>13} {:>9} {:>8.0}%",
        s.service,
        s.score,
        s.anomaly,
        share(s.own_time),
        share(s.between_services),
        format!("{:.1}%→{:.1}%", s.error_rate[0] * 100.0, s.error_rate[1] * 100.0),
        format!("{}/{}", s.calls_gone.len(), s.calls_new.len()),
        s.abnormal_trace_share * 100.0,
    )?;
    for op in &s.operations {
        writeln!(
            out,
            "       {:<40} own p50 {} → {} ({} → {} calls), {} beyond chance above its usual p95",
            op.operation,
            ms(op.own_p50_us[0]),
            ms(op.own_p50_us[1]),
            op.calls[0],
            op.calls[1],
            share(op.own_time),
        )?;
    }
    for call in s.calls_gone.iter().take(2) {
        writeln!(out, "       gone: {call}")?;
    }
    for call in s.calls_new.iter().take(2) {
        writeln!(out, "       new:  {call}")?;
    }
    Ok(())
}

fn notes(ranking: &Ranking, out: &mut impl Write) -> io::Result<()> {
    if !ranking.without_baseline.is_empty() {
        writeln!(
            out,
            "no calls before the window to compare with (own time, time between services and errors not judged; placed by the walk): {}",
            ranking.without_baseline.join(", ")
        )?;
    }
    for (n, _, what) in left_out(ranking).into_iter().filter(|(n, _, _)| *n > 0) {
        writeln!(out, "{n} {what}")?;
    }
    Ok(())
}

/// Spans counted and set aside, each with its field's name in the JSON and its words.
pub(super) fn left_out(ranking: &Ranking) -> [(u64, &'static str, &'static str); 3] {
    [
        (
            ranking.missing_parent,
            "missing_parent",
            "spans whose parent is missing (taken as roots)",
        ),
        (
            ranking.in_cycle,
            "in_cycle",
            "spans on a cycle of parents (links ignored)",
        ),
        (
            ranking.duplicates,
            "duplicates",
            "spans recorded twice (first kept)",
        ),
    ]
}

/// A median in µs as milliseconds; `-` when there were no calls.
pub(super) fn ms(us: Option<i64>) -> String {
    us.map_or("-".to_string(), |u| format!("{:.1} ms", u as f64 / 1000.0))
}

/// An excess share as a percentage; `-` when not judged.
pub(super) fn share(value: Option<f64>) -> String {
    value.map_or("-".to_string(), |v| format!("{:+.1}%", v * 100.0))
}

pub(super) fn span_text((from, to): (i64, i64)) -> String {
    let at = |us: i64| {
        jiff::Timestamp::from_microsecond(us)
            .map_or(us.to_string(), |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
    };
    format!("[{}, {})", at(from), at(to))
}
