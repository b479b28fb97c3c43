//! Replay ids: one grammar, printed by studies and parsed by `tlsim replay`.

use std::fmt;
use std::str::FromStr;

/// The id of one connection of a study: `scenario:seed:shards:shard:host.peer.index`.
///
/// `scenario` is the scenario's name (it may itself contain `:`; the four fields after it
/// never do), `host` the client host (it may contain `.`, never `:`). Every number is
/// parsed with its range: seed a u64, shards 1..=[`MAX_SHARDS`](super::MAX_SHARDS),
/// shard below shards, peer and index u32.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplayId {
    pub scenario: String,
    pub seed: u64,
    pub shards: u32,
    pub shard: u32,
    pub conn: ConnId,
}

/// A connection within a shard: `host.peer.index`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId {
    pub host: String,
    pub peer: u32,
    pub index: u32,
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.host, self.peer, self.index)
    }
}

impl fmt::Display for ReplayId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}:{}",
            self.scenario, self.seed, self.shards, self.shard, self.conn
        )
    }
}

fn number<T: FromStr>(text: &str, what: &str, range: &str) -> Result<T, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what} {text:?} is not a number"));
    }
    text.parse::<T>()
        .map_err(|_| format!("{what} {text} is out of range ({range})"))
}

impl FromStr for ConnId {
    type Err = String;

    fn from_str(s: &str) -> Result<ConnId, String> {
        let mut it = s.rsplitn(3, '.');
        let (Some(index), Some(peer), Some(host)) = (it.next(), it.next(), it.next()) else {
            return Err(format!("connection {s:?}: expected host.peer.index"));
        };
        if host.is_empty() || host.contains(':') {
            return Err(format!("connection {s:?}: expected host.peer.index"));
        }
        Ok(ConnId {
            host: host.to_string(),
            peer: number(peer, "peer", "0 to 4294967295")?,
            index: number(index, "index", "0 to 4294967295")?,
        })
    }
}

impl FromStr for ReplayId {
    type Err = String;

    fn from_str(s: &str) -> Result<ReplayId, String> {
        let grammar =
            || format!("replay id {s:?}: expected scenario:seed:shards:shard:host.peer.index");
        let mut it = s.rsplitn(5, ':');
        let (Some(conn), Some(shard), Some(shards), Some(seed), Some(scenario)) =
            (it.next(), it.next(), it.next(), it.next(), it.next())
        else {
            return Err(grammar());
        };
        if scenario.is_empty() {
            return Err(grammar());
        }
        let with_id = |e: String| format!("replay id {s:?}: {e}");
        let seed: u64 = number(seed, "seed", "0 to 18446744073709551615").map_err(with_id)?;
        let shards: u32 = number(shards, "shards", "1 to 1000000").map_err(with_id)?;
        if shards == 0 || shards > super::MAX_SHARDS {
            return Err(with_id(format!(
                "shards {shards} is out of range (1 to {})",
                super::MAX_SHARDS
            )));
        }
        let shard: u32 = number(shard, "shard", "below shards").map_err(with_id)?;
        if shard >= shards {
            return Err(with_id(format!(
                "shard {shard} is outside 0..{shards} (the study has {shards} shards)"
            )));
        }
        Ok(ReplayId {
            scenario: scenario.to_string(),
            seed,
            shards,
            shard,
            conn: conn.parse().map_err(with_id)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_out_of_range_fields() {
        let text = "m1-dh-premaster-zeros:1:5:3:clients.0.6000";
        let id: ReplayId = text.parse().unwrap();
        assert_eq!(id.shard, 3);
        assert_eq!(id.conn.index, 6000);
        assert_eq!(id.to_string(), text);
        let dotted: ReplayId = "a:b:7:2:1:site.a.4.9".parse().unwrap();
        assert_eq!(dotted.scenario, "a:b");
        assert_eq!(dotted.conn.host, "site.a");
        assert_eq!(dotted.to_string(), "a:b:7:2:1:site.a.4.9");
        for (bad, word) in [
            ("m1:1:2:4294967296:c.0.1", "shard"),
            ("m1:1:4294967298:0:c.0.1", "shards"),
            ("m1:1:0:0:c.0.1", "shards"),
            ("m1:1:2:2:c.0.1", "outside"),
            ("m1:18446744073709551616:2:0:c.0.1", "seed"),
            ("m1:1:2:0:c.4294967296.1", "peer"),
            ("m1:1:2:0:c.0.4294967296", "index"),
            ("m1:1:2:0:c.0.-1", "index"),
            ("m1:1:2:0:c.0.+1", "index"),
            ("m1:1:2:0:c.0", "host.peer.index"),
            ("m1:1:2:0", "expected"),
            (":1:2:0:c.0.1", "expected"),
        ] {
            let e = bad.parse::<ReplayId>().unwrap_err();
            assert!(e.contains(word), "{bad}: {e}");
        }
    }
}
