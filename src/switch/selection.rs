//! What a flip is about: which cohorts (all, ranges, or a percentage) and which
//! features (all, or a named subset), parsed from the command line and said in words.

use std::collections::BTreeSet;

use brb_client::ALL_FEATURES;

use super::config::Config;

/// Cohort numbers, ascending, each below the config's count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohorts(pub Vec<u32>);

impl Cohorts {
    /// `--cohorts 0-49,60` style ranges (inclusive).
    pub fn ranges(text: &str, n: u32) -> Result<Cohorts, String> {
        let mut set = BTreeSet::new();
        for part in text.split(',') {
            let part = part.trim();
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let num = |s: &str| {
                s.trim()
                    .parse::<u32>()
                    .map_err(|_| format!("--cohorts: {part:?} is not a cohort or a range like 0-49"))
            };
            let (a, b) = (num(a)?, num(b)?);
            if a > b || b >= n {
                return Err(format!(
                    "--cohorts: {part:?} is not within 0-{} (the config has {n} cohorts)",
                    n - 1
                ));
            }
            set.extend(a..=b);
        }
        Ok(Cohorts(set.into_iter().collect()))
    }

    /// `--percent P`: cohorts `0 .. floor(P * N / 100) - 1`, so raising P only adds.
    pub fn percent(p: f64, n: u32) -> Result<Cohorts, String> {
        if !(0.0..=100.0).contains(&p) {
            return Err(format!("--percent: {p} is not between 0 and 100"));
        }
        let upto = (p * f64::from(n) / 100.0 + 1e-9).floor() as u32;
        Ok(Cohorts((0..upto.min(n)).collect()))
    }

    pub fn all(n: u32) -> Cohorts {
        Cohorts((0..n).collect())
    }

    /// "50 of 100 cohorts ≈ 50% of learners".
    pub fn describe(&self, n: u32) -> String {
        let share = 100.0 * self.0.len() as f64 / f64::from(n);
        format!("{} of {n} cohorts ≈ {share:.0}% of learners", self.0.len())
    }
}

/// Compact ranges for people: `0-49,60`.
pub fn ranges_text(cohorts: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < cohorts.len() {
        let mut j = i;
        while j + 1 < cohorts.len() && cohorts[j + 1] == cohorts[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            cohorts[i].to_string()
        } else {
            format!("{}-{}", cohorts[i], cohorts[j])
        });
        i = j + 1;
    }
    out.join(",")
}

/// Paused features: every one (`*`, which also covers features added later) or a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Features {
    All,
    Some(BTreeSet<String>),
}

impl Features {
    /// `--features lessons,stories`, each checked against the config; `None` is all.
    pub fn parse(arg: Option<&str>, config: &Config) -> Result<Features, String> {
        let Some(arg) = arg else { return Ok(Features::All) };
        let mut set = BTreeSet::new();
        for f in arg.split(',').map(str::trim) {
            if f == ALL_FEATURES {
                return Ok(Features::All);
            }
            if !config.features.iter().any(|c| c == f) {
                return Err(format!(
                    "--features: {f:?} is not one of the config's features ({})",
                    config.features.join(", ")
                ));
            }
            set.insert(f.to_string());
        }
        Ok(Features::Some(set))
    }

    /// From a cohort object's `paused` list.
    pub fn from_paused(paused: &[String]) -> Features {
        if paused.iter().any(|f| f == ALL_FEATURES) {
            Features::All
        } else {
            Features::Some(paused.iter().cloned().collect())
        }
    }

    /// The body's `paused` list; empty means nothing is paused.
    pub fn paused_list(&self) -> Vec<String> {
        match self {
            Features::All => vec![ALL_FEATURES.to_string()],
            Features::Some(set) => set.iter().cloned().collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Features::Some(s) if s.is_empty())
    }

    pub fn union(&self, other: &Features) -> Features {
        match (self, other) {
            (Features::Some(a), Features::Some(b)) => Features::Some(a.union(b).cloned().collect()),
            _ => Features::All,
        }
    }

    /// What stays paused after resuming `other`; `All` minus a set is every configured
    /// feature but those.
    pub fn minus(&self, other: &Features, config: &Config) -> Features {
        match (self, other) {
            (_, Features::All) => Features::Some(BTreeSet::new()),
            (Features::All, Features::Some(b)) => Features::Some(
                config
                    .features
                    .iter()
                    .filter(|f| !b.contains(*f))
                    .cloned()
                    .collect(),
            ),
            (Features::Some(a), Features::Some(b)) => Features::Some(a.difference(b).cloned().collect()),
        }
    }

    /// Whether learners under this pause cannot practise.
    pub fn blocks(&self, config: &Config) -> bool {
        match self {
            Features::All => true,
            Features::Some(set) => set.iter().any(|f| config.blocks(f)),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Features::All => "all".into(),
            Features::Some(set) => set.iter().cloned().collect::<Vec<_>>().join(","),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn config() -> Config {
        Config::parse(
            "bucket = \"duo-brb\"\nfeatures = [\"lessons\", \"stories\", \"leaderboards\"]\nblocks_practice = [\"lessons\", \"stories\"]\n",
            "brb.toml",
        )
        .unwrap()
    }

    #[test]
    fn ranges_parse_merge_and_reject_unknown_cohorts() {
        assert_eq!(Cohorts::ranges("0-3,2,7", 10).unwrap().0, [0, 1, 2, 3, 7]);
        for bad in ["0-10", "5-2", "x", "1-", ""] {
            let e = Cohorts::ranges(bad, 10).unwrap_err();
            assert!(e.starts_with("--cohorts:"), "{bad}: {e}");
        }
        assert_eq!(ranges_text(&[0, 1, 2, 3, 7, 9, 10]), "0-3,7,9-10");
    }

    #[test]
    fn percent_takes_the_first_cohorts_and_rejects_over_100() {
        assert_eq!(
            Cohorts::percent(30.0, 100).unwrap().0,
            (0..30).collect::<Vec<_>>()
        );
        assert_eq!(Cohorts::percent(100.0, 7).unwrap().0.len(), 7);
        assert_eq!(Cohorts::percent(10.0, 7).unwrap().0, Vec::<u32>::new());
        assert!(Cohorts::percent(101.0, 100).is_err());
        assert!(Cohorts::percent(-1.0, 100).is_err());
        assert_eq!(
            Cohorts::percent(50.0, 100).unwrap().describe(100),
            "50 of 100 cohorts ≈ 50% of learners"
        );
    }

    proptest! {
        #[test]
        fn raising_the_percentage_only_adds_cohorts(a in 0.0f64..=100.0, b in 0.0f64..=100.0, n in 1u32..2000) {
            let (lo, hi) = (a.min(b), a.max(b));
            let small = Cohorts::percent(lo, n).unwrap().0;
            let big = Cohorts::percent(hi, n).unwrap().0;
            prop_assert!(small.iter().all(|c| big.contains(c)));
            prop_assert!(big.iter().all(|&c| c < n));
        }
    }

    #[test]
    fn features_combine_and_know_what_blocks_practice() {
        let c = config();
        let lessons = Features::parse(Some("lessons"), &c).unwrap();
        let boards = Features::parse(Some("leaderboards"), &c).unwrap();
        assert!(lessons.blocks(&c) && !boards.blocks(&c) && Features::All.blocks(&c));
        assert_eq!(lessons.union(&boards).paused_list(), ["leaderboards", "lessons"]);
        assert_eq!(
            Features::All.minus(&lessons, &c).paused_list(),
            ["leaderboards", "stories"]
        );
        assert!(lessons.minus(&Features::All, &c).is_empty());
        assert_eq!(Features::parse(None, &c).unwrap(), Features::All);
        assert!(Features::parse(Some("quests"), &c)
            .unwrap_err()
            .contains("quests"));
        assert_eq!(Features::from_paused(&["*".into()]), Features::All);
    }
}
