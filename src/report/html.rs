//! A study as one self-contained HTML file: inline CSS, the plots inlined as SVG, the
//! cell table (rates, 95% intervals, theory, verdicts, mechanisms, replay ids), the
//! scenario's description, the seed and the command. No scripts, no external resources:
//! it can be mailed and opened offline.

use super::plot;
use crate::study::{ShardResult, StudyReport};
use std::fmt::Write as _;

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const CSS: &str = "
body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
pre, code { font-family: ui-monospace, monospace; font-size: 0.9em; }
pre { background: #f6f6f6; padding: 0.8em; white-space: pre-wrap; }
table { border-collapse: collapse; font-size: 0.85em; width: 100%; }
/* A replay id is copied whole: it never breaks inside; the list breaks between ids. */
ul.replay code { font-size: 0.85em; margin-right: 1.5em; white-space: nowrap; overflow-wrap: normal; word-break: keep-all; display: inline-block; }
div.cells { overflow-x: auto; }
td.name { white-space: nowrap; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #eee; }
tr.fail td { background: #fff4f0; }
.consistent { color: #176117; font-weight: bold; }
.inconsistent { color: #a00; font-weight: bold; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dt { font-weight: bold; }
/* The plots span the page: the SVG has a viewBox and scales with its width. */
.plot svg { display: block; width: 100%; height: auto; }
";

/// The report of a study. `description` is the scenario's description, `command` the
/// command line that produced the study.
pub fn study_html(
    report: &StudyReport,
    results: &[ShardResult],
    description: &str,
    command: &str,
) -> Result<String, String> {
    // The namespace attribute is not needed inline in HTML (and is not a resource).
    let svg =
        plot::study_svg(report, results)?.replace(" xmlns=\"http://www.w3.org/2000/svg\"", "");
    let mut h = String::new();
    let title = format!("tlsim study: {}", report.scenario);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let total_f: u64 = report.cells.iter().map(|c| c.failures).sum();
    let _ = write!(
        h,
        "<dl>\n<dt>Scenario</dt><dd>{}</dd>\n<dt>Seed</dt><dd>{}</dd>\n<dt>Shards</dt><dd>{}</dd>\n<dt>Connections</dt><dd>{}</dd>\n<dt>Failures</dt><dd>{}</dd>\n<dt>Command</dt><dd><code>{}</code></dd>\n</dl>\n",
        escape(&report.scenario),
        report.seed,
        report.shards,
        report.connections,
        total_f,
        escape(command)
    );
    let _ = write!(
        h,
        "<h2>Scenario</h2>\n<pre>{}</pre>\n",
        escape(description.trim())
    );
    let _ = write!(h, "<h2>Plots</h2>\n<div class=\"plot\">\n{svg}\n</div>\n");
    h.push_str("<h2>Cells</h2>\n<div class=\"cells\">\n<table>\n<thead><tr><th>#</th><th>client</th><th>server</th><th>suite</th><th>handshake</th><th>attempts</th><th>failures</th><th>rate</th><th>95% interval</th><th>theory</th><th>verdict</th><th>mechanisms</th></tr></thead>\n<tbody>\n");
    let mut replays = String::new();
    for (i, c) in report.cells.iter().enumerate() {
        let mech: Vec<String> = c
            .by_mechanism
            .iter()
            .map(|(m, n)| format!("{} ×{n}", escape(m.as_str())))
            .collect();
        let verdict = match &c.verdict {
            Some(v) => format!("<span class=\"{0}\">{0}</span>", escape(v)),
            None => "–".into(),
        };
        let replay: Vec<String> = c
            .replay
            .iter()
            .map(|r| format!("<code>{}</code>", escape(r)))
            .collect();
        let _ = writeln!(
            h,
            "<tr class=\"cell{}\"><td class=\"num\">{}</td><td class=\"name\">{}</td><td class=\"name\">{}</td><td class=\"name\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.6}</td><td class=\"num\">[{:.6}, {:.6}]</td><td class=\"num\">{}</td><td>{verdict}</td><td>{}</td></tr>",
            if c.failures > 0 { " fail" } else { "" },
            i + 1,
            escape(&c.client),
            escape(&c.server),
            escape(&c.suite),
            escape(&c.handshake.to_string()),
            c.attempts,
            c.failures,
            c.rate,
            c.ci95[0],
            c.ci95[1],
            c.theory.map(|t| format!("{t:.6}")).unwrap_or_else(|| "–".into()),
            mech.join("<br>"),
        );
        if !replay.is_empty() {
            let _ = writeln!(replays, "<li>#{}: {}</li>", i + 1, replay.join(" "));
        }
    }
    h.push_str("</tbody>\n</table>\n</div>\n");
    if !replays.is_empty() {
        let _ = write!(
            h,
            "<h2>Replay ids of the first failures</h2>\n<ul class=\"replay\">\n{replays}</ul>\n"
        );
    }
    h.push_str("<p>Rates are failures / attempts per cell; intervals are 95% Wilson score intervals; the verdict says whether the failure count lies in the 99.9% binomial interval of the theoretical rate. Replay a failure with <code>tlsim replay ID</code>.</p>\n");
    h.push_str("</body>\n</html>\n");
    Ok(h)
}
