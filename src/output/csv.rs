//! The manifest as CSV with a header, columns in manifest key order. Text that came from
//! an input (the incident id, a zone name) is made inert for spreadsheets.

use std::io::Write;

use super::{Format, ManifestRow};

pub struct Csv;

impl Format for Csv {
    fn file_name(&self) -> &'static str {
        "manifest.csv"
    }

    fn write(&self, rows: &[ManifestRow], out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        if rows.is_empty() {
            w.write_record(super::rows::MANIFEST_COLUMNS)?;
        }
        for row in rows {
            w.serialize(ManifestRow {
                incident_id: inert(&row.incident_id),
                tz: inert(&row.tz),
                ..row.clone()
            })?;
        }
        w.flush()?;
        Ok(())
    }
}

/// A cell a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return, as OWASP lists them) gets a leading `'`, which shows as text.
fn inert(cell: &str) -> String {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(incident_id: &str, tz: &str) -> ManifestRow {
        ManifestRow {
            repair_id: "0f".into(),
            incident_id: incident_id.into(),
            learner_id: 7,
            local_date: "2026-11-20".into(),
            action: crate::model::Action::FreezeDay,
            tz: tz.into(),
            evidence_first: "2026-11-20T13:05:00Z".into(),
            evidence_last: "2026-11-20T13:05:00Z".into(),
            evidence_hits: 1,
            streak_before: 3,
            streak_after: 4,
        }
    }

    fn csv(rows: &[ManifestRow]) -> String {
        let mut out = Vec::new();
        Csv.write(rows, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formula_cells_are_made_inert() {
        let text = csv(&[
            row("@SUM(A1)", "=HYPERLINK(\"http://x\")"),
            row("+1", "-2"),
            row("\tx", "Europe/Berlin"),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].contains(",'@SUM(A1),") && lines[1].contains(",\"'=HYPERLINK(\"\"http://x\"\")\","));
        assert!(lines[2].contains(",'+1,") && lines[2].contains(",'-2,"));
        assert!(lines[3].contains(",'\tx,") && lines[3].contains(",Europe/Berlin,"));
    }

    #[test]
    fn ordinary_cells_are_written_as_they_are() {
        let text = csv(&[row("outage-2026-11-20", "America/St_Johns")]);
        assert_eq!(
            text.lines().nth(1),
            Some("0f,outage-2026-11-20,7,2026-11-20,freeze_day,America/St_Johns,2026-11-20T13:05:00Z,2026-11-20T13:05:00Z,1,3,4")
        );
    }
}
