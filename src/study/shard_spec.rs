//! `i/n`: the shard set one job of a distributed study runs (`tlsim study --shard i/n`):
//! the shards whose index ≡ i (mod n), so that n jobs together run each shard once.

use super::MAX_SHARDS;
use std::fmt;
use std::str::FromStr;

/// Shard set `index` of `count`: 0 <= index < count <= [`MAX_SHARDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl ShardSpec {
    /// The shards of a study with `shards` shards that this set runs, in order (empty when
    /// the study has fewer shards than `index + 1`).
    pub fn shards(self, shards: u32) -> Vec<u32> {
        (0..shards)
            .filter(|s| s % self.count == self.index)
            .collect()
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for ShardSpec {
    type Err = String;

    /// Decimal digits only (no sign, no spaces); the error quotes the text.
    fn from_str(spec: &str) -> Result<ShardSpec, String> {
        let bad = || format!("{spec:?}: expected i/n with 0 <= i < n (n at most {MAX_SHARDS})");
        let (i, n) = spec.split_once('/').ok_or_else(bad)?;
        let num = |s: &str| {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
        };
        let (index, count) = (num(i).ok_or_else(bad)?, num(n).ok_or_else(bad)?);
        if count == 0 || index >= count || count > MAX_SHARDS {
            return Err(bad());
        }
        Ok(ShardSpec { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_round_trips_and_refuses_edges() {
        let s: ShardSpec = "2/5".parse().unwrap();
        assert_eq!(s, ShardSpec { index: 2, count: 5 });
        assert_eq!(s.to_string(), "2/5");
        assert_eq!(s.shards(13), vec![2, 7, 12]);
        assert!("4/5".parse::<ShardSpec>().unwrap().shards(3).is_empty());
        let max = format!("{}/{}", MAX_SHARDS - 1, MAX_SHARDS);
        assert!(max.parse::<ShardSpec>().is_ok());
        for bad in [
            "",
            "1",
            "/",
            "1/",
            "/2",
            "2/2",
            "3/2",
            "0/0",
            "-1/2",
            "+1/2",
            "1/+2",
            " 1/2",
            "1/2 ",
            "1.0/2",
            "0/1000001",
            "0/4294967296",
            "1/2/3",
            "a/b",
        ] {
            let e = bad.parse::<ShardSpec>().unwrap_err();
            assert!(
                e.starts_with(&format!("{bad:?}: expected i/n")),
                "{bad:?}: {e}"
            );
        }
    }
}
