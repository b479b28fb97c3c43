//! The HTML study report: self-contained, well-formed enough, with the plots and every
//! cell; when `chromium` is on PATH it also loads headless without errors.

use std::collections::BTreeMap;
use std::path::Path;
use tlsim::engine::Mechanism;
use tlsim::report::plot;
use tlsim::scenario::Scenario;
use tlsim::study::{merge, wilson95, CellReport, ShardResult, Study, StudyReport};

fn study() -> (StudyReport, Vec<ShardResult>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/study-m1.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let sc = Scenario::load(&path).unwrap();
    let st = Study::new(sc.clone(), &text, 3, 3);
    let results = st.run(&[0, 1, 2], 1, None, false, &|_| {}).unwrap();
    (merge(&results, Some(&sc), 5).unwrap(), results)
}

fn report() -> (String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/study-m1.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let sc = Scenario::load(&path).unwrap();
    let st = Study::new(sc.clone(), &text, 3, 3);
    let results = st.run(&[0, 1, 2], 1, None, false, &|_| {}).unwrap();
    let rep = merge(&results, Some(&sc), 5).unwrap();
    let svg = tlsim::report::plot::study_svg(&rep, &results).unwrap();
    let html = tlsim::report::html::study_html(
        &rep,
        &results,
        &sc.description,
        "tlsim study tests/data/study-m1.toml --seed 3 --html r.html",
    )
    .unwrap();
    // Deterministic: the same study gives the same bytes.
    let again = tlsim::report::html::study_html(
        &rep,
        &results,
        &sc.description,
        "tlsim study tests/data/study-m1.toml --seed 3 --html r.html",
    )
    .unwrap();
    assert_eq!(html, again);
    for c in &rep.cells {
        assert!(
            html.contains(&format!("<td class=\"name\">{}</td>", c.client)),
            "a row for {c:?}"
        );
        assert!(html.contains(&format!("{:.6}", c.rate)));
    }
    (html, svg)
}

#[test]
fn html_report_is_self_contained_and_loads() {
    let (html, svg) = report();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
    assert!(svg.contains("running failure rate"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"));
    assert!(html.contains("</svg>"));
    assert!(html.contains("<tr class=\"cell"));
    assert!(html.contains("--seed 3"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<script"));
    assert!(html.trim_end().ends_with("</html>"));
    assert_eq!(
        html.matches("<table").count(),
        html.matches("</table>").count()
    );

    let Some(chromium) = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("chromium"))
            .find(|f| f.is_file())
    }) else {
        println!("skipped: chromium not found");
        return;
    };
    let dir = std::env::temp_dir().join(format!("tlsim-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.html");
    std::fs::write(&file, &html).unwrap();
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {stderr}");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("<svg"), "the DOM has the plots");
    assert!(dom.contains("</table>"));
    assert!(
        !stderr.lines().any(|l| l.contains("CONSOLE")),
        "console messages: {stderr}"
    );
}

/// The numbers of attribute `name` in an SVG element's text (`x="…"` → one number;
/// `points="x,y x,y"` → every y).
fn attr<'a>(el: &'a str, name: &str) -> Option<&'a str> {
    let i = el.find(&format!(" {name}=\""))? + name.len() + 3;
    el[i..].split('"').next()
}

/// The y pixel of the `<text>` element whose content is `content`.
fn text_y(svg: &str, content: &str) -> Option<f64> {
    svg.split("<text")
        .skip(1)
        .find(|t| {
            t.split_once('>')
                .is_some_and(|(_, r)| r.trim_start().starts_with(content))
        })
        .and_then(|t| attr(t, "y"))
        .and_then(|y| y.parse().ok())
}

/// (min y, max y) of the points of every `<polyline>` and `<polygon>` (lines and bands)
/// in the top panel (above `below`) that span more than 30 px: the data, not a legend glyph.
fn data_y(svg: &str, below: f64) -> (f64, f64) {
    let mut ys = vec![];
    for el in svg
        .split('<')
        .filter(|e| e.starts_with("polyline") || e.starts_with("polygon"))
    {
        let Some(pts) = attr(el, "points") else {
            continue;
        };
        let xy: Vec<(f64, f64)> = pts
            .split_whitespace()
            .filter_map(|p| {
                let (x, y) = p.split_once(',')?;
                Some((x.parse().ok()?, y.parse().ok()?))
            })
            .filter(|p: &(f64, f64)| p.1 < below)
            .collect();
        // Legend glyphs are short (under 30 px); data lines and bands span the plot.
        let (x0, x1) = xy
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
        if x1 - x0 > 30.0 {
            ys.extend(xy.iter().map(|p| p.1));
        }
    }
    assert!(!ys.is_empty(), "the top panel has lines and a band");
    ys.iter()
        .fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(*y), b.max(*y)))
}

/// The legend of the running-rate panel sits above every point of its lines and band
/// (legend off the data), the lines and band lie within the plotting area (nothing
/// clipped), and panel (b) has no `#1`-style labels but names its cells client → server.
#[test]
fn study_svg_keeps_the_legend_off_the_data_and_names_cells() {
    let (rep, results) = study();
    let svg = plot::study_svg(&rep, &results).unwrap();
    let legend = text_y(&svg, "observed rate").expect("a legend entry 'observed rate'");
    let panel_b = text_y(&svg, "(b)").expect("panel (b)'s title");
    let (top, _) = data_y(&svg, panel_b);
    assert!(
        legend + 10.0 < top,
        "the legend (y {legend}) lies above the highest line or band point (y {top})"
    );
    assert!(
        !svg.split("<text").skip(1).any(|t| t
            .split_once('>')
            .is_some_and(|(_, r)| r.trim_start().starts_with('#'))),
        "no #N labels"
    );
    for c in rep.cells.iter().filter(|c| c.failures > 0) {
        assert!(
            svg.contains(&format!("{} → {}", c.client, c.server)),
            "panel (b) names {} → {}",
            c.client,
            c.server
        );
    }
}

fn cell(
    client: &str,
    mech: Option<Mechanism>,
    attempts: u64,
    failures: u64,
    theory: Option<f64>,
) -> CellReport {
    CellReport {
        client: client.into(),
        server: "srv".into(),
        suite: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384".into(),
        handshake: "full".parse().unwrap(),
        attempts,
        successes: attempts - failures,
        failures,
        by_mechanism: mech
            .map(|m| BTreeMap::from([(m, failures)]))
            .unwrap_or_default(),
        rate: failures as f64 / attempts as f64,
        ci95: wilson95(failures, attempts),
        theory,
        verdict: None,
        replay: vec![],
    }
}

/// FTPS cells failing every time beside DHE cells failing 1 in 256: panel (b) goes to a log
/// scale whose range holds both (the 0.4 % cells are not flattened against 100 %), groups
/// the cells by mechanism, leaves the never-failing cells out of the rows, and the y axis
/// of panel (a) covers the band's top and the theory.
#[test]
fn rates_panel_is_log_scaled_and_grouped_by_mechanism() {
    let rep = StudyReport {
        scenario: "x".into(),
        seed: 1,
        connections: 0,
        shards: 1,
        cells: vec![
            cell("ftps-a", Some(Mechanism::FtpsDataNotResumed), 12, 12, None),
            cell(
                "dhe-a",
                Some(Mechanism::DhPremasterZeros),
                2000,
                8,
                Some(0.0039),
            ),
            cell("quiet", None, 500, 0, None),
            cell("ftps-b", Some(Mechanism::FtpsDataNotResumed), 12, 12, None),
            cell("dhe-b", None, 300, 0, Some(0.0039)),
        ],
    };
    let lay = plot::rates_layout(&rep);
    assert!(lay.log, "1.0 beside 0.004 is drawn on a log scale");
    assert!(
        lay.x_range.0 <= rep.cells[1].ci95[0] && lay.x_range.1 >= 1.0,
        "{:?}",
        lay.x_range
    );
    let names: Vec<String> = lay
        .rows
        .iter()
        .map(|r| match r {
            plot::RateRow::Group(g) => format!("[{g}]"),
            plot::RateRow::Cell(c, _) => c.client.clone(),
        })
        .collect();
    assert_eq!(
        names,
        [
            "[dh-premaster-zeros: 8 failures in 1 cell]",
            "dhe-a",
            "[ftps-data-not-resumed: 24 failures in 2 cells]",
            "ftps-a",
            "ftps-b",
            "[theory above 0, no failure seen: 1 cell]",
            "dhe-b",
        ]
    );
    assert_eq!(lay.quiet.len(), 1);
    // Rates of one order of magnitude stay linear.
    let mut close = rep.clone();
    close.cells.retain(|c| c.client.starts_with("dhe"));
    assert!(!plot::rates_layout(&close).log);

    // Panel (a): wide first intervals are inside the y range, not clipped.
    let c = &rep.cells[1];
    let pts = [(20, 1), (400, 2), (2000, 8)];
    let a = plot::running_layout(c, &pts);
    let band_top = pts
        .iter()
        .map(|&(n, k)| wilson95(k, n)[1])
        .fold(0.0, f64::max);
    assert!(
        a.y_max >= band_top && a.y_max >= 0.0039,
        "{} < {band_top}",
        a.y_max
    );
    assert!(
        a.y_max < band_top * 1.6,
        "fitted, not padded: {} vs {band_top}",
        a.y_max
    );
    assert!(
        a.legend.3 < a.plot.1,
        "legend row {:?} above the plot {:?}",
        a.legend,
        a.plot
    );
    let svg = plot::study_svg(&rep, &[]).unwrap();
    assert!(svg.contains("log scale"));
    assert!(svg.contains("ftps-a → srv"));
}

/// The report spans the page: plots at full width, replay ids never broken inside.
#[test]
fn html_layout_is_full_width_and_keeps_replay_ids_whole() {
    let (html, _) = report();
    assert!(!html.contains("max-width: 1300px"));
    assert!(html.contains(".plot svg { display: block; width: 100%; height: auto; }"));
    let rule = html
        .lines()
        .find(|l| l.starts_with("ul.replay code"))
        .expect("a rule for replay ids");
    assert!(rule.contains("white-space: nowrap"), "{rule}");
}
