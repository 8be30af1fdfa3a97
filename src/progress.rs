//! Progress on stderr, shown only when stderr is a terminal: bytes and lines while
//! scanning, a spinner for the later stages.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar and, while scanning, the lines counted so far.
pub struct Bar(ProgressBar, std::sync::atomic::AtomicU64);

impl Bar {
    pub fn new(hidden: bool) -> Bar {
        let bar = ProgressBar::with_draw_target(None, target(hidden));
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} scanning logs: {decimal_bytes} ({decimal_bytes_per_sec}), {msg} lines, {elapsed}",
        ) {
            bar.set_style(style);
        }
        Bar(bar, 0.into())
    }

    /// A spinner for a stage without a byte count (reading calendars, planning).
    pub fn stage(message: &'static str, hidden: bool) -> Bar {
        let bar = ProgressBar::with_draw_target(None, target(hidden));
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
            bar.set_style(style);
        }
        bar.set_message(message);
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Bar(bar, 0.into())
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

fn target(hidden: bool) -> ProgressDrawTarget {
    if hidden {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    }
}

impl crate::blocks::Progress for Bar {
    fn advance(&self, lines: u64, decoded_bytes: u64) {
        self.0.inc(decoded_bytes);
        let total = self.1.fetch_add(lines, std::sync::atomic::Ordering::Relaxed) + lines;
        self.0.set_message(total.to_string());
    }
}
