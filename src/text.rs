//! "Did you mean …?": the one edit-distance helper behind every suggestion tlsim makes for a
//! mistyped name (profiles, mechanisms, cipher suites, profile-file knobs).

/// Characters of each string that [`edit_distance`] compares: names are short, and the
/// bound keeps a multi-megabyte "name" (a wrong file pasted as an argument) from costing
/// quadratic time. Beyond it two strings count as equal.
pub const COMPARED_CHARS: usize = 64;

/// Levenshtein distance between the first [`COMPARED_CHARS`] characters of `a` and `b`,
/// ignoring ASCII case.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let lower = |s: &str| -> Vec<char> {
        s.chars()
            .take(COMPARED_CHARS)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let (a, b) = (lower(a), lower(b));
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidates closest to `name`, closest first (ties in alphabetical order), at most
/// `limit`: those within `max_distance` edits, and those that start with `name` (a
/// completion of what was typed). Empty when nothing is close.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max_distance: usize,
    limit: usize,
) -> Vec<&'a str> {
    let head = |s: &str| -> String {
        s.chars()
            .take(COMPARED_CHARS)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let prefix = head(name);
    let mut scored: Vec<(usize, &'a str)> = candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= max_distance || (!prefix.is_empty() && head(c).starts_with(&prefix)))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(limit).map(|(_, c)| c).collect()
}

/// The 1-based line and column (in characters) of byte `offset` in `text`, for
/// `file:line:col` errors; an offset past the end or inside a character is moved back.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A positive number of seconds (fractions allowed), at most a day: the timeouts of
/// `tlsim bridge serve`.
pub fn seconds(s: &str) -> Result<std::time::Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(v > 0.0 && v <= 86_400.0) {
        return Err(format!(
            "{s:?}: seconds must be greater than 0 and at most 86400"
        ));
    }
    std::time::Duration::try_from_secs_f64(v).map_err(|e| format!("{s:?}: {e}"))
}

/// A table of help texts (the `tlsim` command's `help/flags.txt`): `key: text` lines, each
/// continued by the indented lines after it (joined with a space); `#` comments and blank
/// lines are skipped.
pub fn help_table(src: &str) -> std::collections::BTreeMap<&str, String> {
    let mut m: std::collections::BTreeMap<&str, String> = std::collections::BTreeMap::new();
    let mut last = None;
    for line in src.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        match (line.starts_with(' '), last.and_then(|k| m.get_mut(k))) {
            (true, Some(text)) => *text = format!("{text} {}", line.trim()),
            _ => {
                if let Some((k, v)) = line.split_once(": ") {
                    m.insert(k, v.to_string());
                    last = Some(k);
                }
            }
        }
    }
    m
}

/// The texts of a [`help_table`], looked up by command path (`"bridge connect"`) and
/// option id.
pub struct HelpTable<'a>(std::collections::BTreeMap<&'a str, String>);

impl<'a> HelpTable<'a> {
    pub fn new(src: &'a str) -> HelpTable<'a> {
        HelpTable(help_table(src))
    }

    /// The path of subcommand `name` of the command at `path` (empty for the top), and its
    /// description (`bridge connect: …`).
    pub fn subcommand(&self, path: &str, name: &str) -> (String, Option<&str>) {
        let p = match path {
            "" => name.to_string(),
            _ => format!("{path} {name}"),
        };
        let about = self.0.get(p.as_str()).map(String::as_str);
        (p, about)
    }

    /// The help of option `id` of the command at `path` (`run.seed`), else the help of every
    /// option `id` (`*.seed`).
    pub fn option(&self, path: &str, id: &str) -> Option<&str> {
        let get = |key: String| self.0.get(key.as_str()).map(String::as_str);
        get(format!("{path}.{id}")).or_else(|| get(format!("*.{id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_edit_distance() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("Win2012R2", "win2012r2"), 0);
    }

    #[test]
    fn text_did_you_mean_closest_first_and_prefixes() {
        let names = ["win2012r2", "win2012", "win2016", "openssl-1.0.2"];
        assert_eq!(
            did_you_mean("win2021r2", names, 3, 4),
            vec!["win2012", "win2012r2", "win2016"]
        );
        assert_eq!(
            did_you_mean("win201", names, 0, 2),
            vec!["win2012", "win2016"]
        );
        assert_eq!(did_you_mean("open", names, 1, 4), vec!["openssl-1.0.2"]);
        assert!(did_you_mean("zzz", names, 2, 4).is_empty());
        assert!(did_you_mean("", names, 0, 4).is_empty());
    }

    #[test]
    fn text_did_you_mean_is_cheap_on_huge_input() {
        // Bounded: 4 MiB against a long candidate compares 64 × 64 characters.
        let huge = "x".repeat(4 << 20);
        let t = std::time::Instant::now();
        for _ in 0..100 {
            let _ = did_you_mean(&huge, [huge.as_str(), "win2012r2"], 3, 4);
        }
        assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
        assert_eq!(edit_distance(&huge, &format!("{huge}y")), 0);
    }

    #[test]
    fn help_table_joins_continuations_and_skips_comments() {
        let t = help_table(
            "# a comment\nstudy: Run a study\n  in shards.\n\n*.seed: The seed\nno colon here\n",
        );
        assert_eq!(t.len(), 2);
        assert_eq!(t["study"], "Run a study in shards.");
        assert_eq!(t["*.seed"], "The seed");
        let t = HelpTable::new("bridge connect: Connect\n*.seed: The seed\nrun.seed: Its seed\n");
        assert_eq!(
            t.subcommand("bridge", "connect"),
            ("bridge connect".into(), Some("Connect"))
        );
        assert_eq!(t.subcommand("", "run"), ("run".into(), None));
        assert_eq!(t.option("run", "seed"), Some("Its seed"));
        assert_eq!(t.option("study", "seed"), Some("The seed"));
        assert_eq!(t.option("study", "out"), None);
    }
}
