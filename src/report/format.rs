//! Formats of numbers, times and labels that every renderer shares: thousands
//! separators, short UTC times, bucket lengths in words, labels cut with an ellipsis,
//! block-character bars, and which characters no report prints as they are.

/// `90` → `90 minutes`, `60` → `hour`, `120` → `2 hours`, `2880` → `2 days`.
pub fn duration_words(minutes: u64) -> String {
    let (n, unit) = match minutes {
        m if m % 1440 == 0 => (m / 1440, "day"),
        m if m % 60 == 0 => (m / 60, "hour"),
        m => (m, "minute"),
    };
    match n {
        1 => unit.to_string(),
        n => format!("{n} {unit}s"),
    }
}

/// `s` cut to at most `max` units of `width` (characters, terminal columns), ending in
/// an ellipsis when cut. `width` measures each prefix whole, as a terminal would.
pub fn cut_to_width(s: &str, max: usize, width: impl Fn(&str) -> usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut end = 0;
    for (at, c) in s.char_indices() {
        let next = at + c.len_utf8();
        if width(&s[..next]) + 1 > max {
            break;
        }
        end = next;
    }
    format!("{}…", &s[..end])
}

/// `label` cut to `max` characters, ending in an ellipsis when cut (for the charts,
/// which measure labels in average character widths).
pub fn cut_chars(label: &str, max: usize) -> String {
    cut_to_width(label, max, |s| s.chars().count())
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `2026-11-20T13:00:00Z` → `2026-11-20 13:00`; anything else unchanged.
pub fn short_time(rfc3339: &str) -> String {
    match rfc3339.strip_suffix(":00Z") {
        Some(rest) if rest.len() == 16 && rest.as_bytes()[10] == b'T' => rest.replacen('T', " ", 1),
        _ => rfc3339.to_string(),
    }
}

/// Characters no report prints as they are: control characters (ESC, NUL, newlines)
/// and the invisible marks that reorder text (bidi overrides), which could hide or
/// disguise what a name really says.
pub fn is_hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A bar of `n` out of `max` in `width` block characters; a non-zero `n` shows at least one.
pub fn bar(n: u64, max: u64, width: usize) -> String {
    if n == 0 || max == 0 {
        return String::new();
    }
    let len = (n as f64 / max as f64 * width as f64).round() as usize;
    "█".repeat(len.clamp(1, width))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_by_three() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (1234567, "1,234,567"),
            (100000, "100,000"),
        ];
        for (n, want) in cases {
            assert_eq!(thousands(n), want);
        }
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn short_time_drops_seconds_and_zone() {
        assert_eq!(short_time("2026-11-20T13:15:00Z"), "2026-11-20 13:15");
        assert_eq!(short_time("2026-11-20T13:15:01Z"), "2026-11-20T13:15:01Z");
        assert_eq!(short_time("<b>"), "<b>");
    }

    #[test]
    fn bucket_lengths_in_words() {
        let cases = [
            (15, "15 minutes"),
            (60, "hour"),
            (120, "2 hours"),
            (1440, "day"),
            (5760, "4 days"),
        ];
        for (minutes, want) in cases {
            assert_eq!(duration_words(minutes), want);
        }
    }

    #[test]
    fn cut_marks_what_it_cuts() {
        assert_eq!(cut_chars("Europe/Berlin", 13), "Europe/Berlin");
        assert_eq!(cut_chars("Europe/Berlin", 8), "Europe/…");
    }

    #[test]
    fn hidden_characters() {
        for c in [
            '\x1b', '\0', '\n', '\r', '\t', '\x7f', '\u{9b}', '\u{202e}', '\u{2066}',
        ] {
            assert!(is_hidden(c), "{c:?}");
        }
        for c in ['a', '/', '<', '|', 'é', '…', '█'] {
            assert!(!is_hidden(c), "{c:?}");
        }
    }

    #[test]
    fn bars_scale_and_show_small_values() {
        assert_eq!(bar(0, 10, 20), "");
        assert_eq!(bar(1, 1000, 20).chars().count(), 1);
        assert_eq!(bar(10, 10, 20).chars().count(), 20);
        assert_eq!(bar(5, 10, 20).chars().count(), 10);
    }
}
