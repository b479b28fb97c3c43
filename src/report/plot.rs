//! Study plots as SVG (plotters, SVG backend only): (a) the running failure rate of one
//! cell over its connections in shard order, with the 95% Wilson band narrowing onto the
//! theoretical rate, and (b) every cell that failed or has a theoretical rate, one row
//! each, named client → server, grouped by mechanism, the rate as a dot with its 95%
//! interval as a whisker and the theory as a triangle, on a log scale when the rates
//! differ by orders of magnitude. Legends sit in a row of their own above each plot, off
//! the data. Everything is computed from the ordered shard results, so the SVG is
//! deterministic.

use crate::engine::Mechanism;
use crate::study::{wilson95, CellKey, CellReport, ShardResult, StudyReport};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of the figure and height of panel (a); panel (b) grows with its rows.
pub const SIZE: (u32, u32) = (1280, 440);
/// Height of one row of panel (b).
const ROW: u32 = 24;
/// Height of panel (b)'s title and legend, and of its axis and footnote.
const HEAD_B: u32 = 64;
const FOOT_B: u32 = 78;
/// Width of the cell names left of panel (b)'s plotting area.
const NAMES_W: u32 = 600;
/// Width of the failure counts right of panel (b)'s plotting area.
const COUNTS_W: u32 = 130;
/// Rates whose largest and smallest differ by this factor or more are drawn on a log scale.
pub const LOG_RATIO: f64 = 20.0;

/// The cell the running-rate panel follows: the largest theoretical rate, else the most
/// failures (ties: the first cell in report order).
pub fn focus_cell(report: &StudyReport) -> Option<&CellReport> {
    let by_theory = report
        .cells
        .iter()
        .filter(|c| c.theory.is_some_and(|t| t > 0.0))
        .fold(None::<&CellReport>, |best, c| match best {
            Some(b) if b.theory >= c.theory => Some(b),
            _ => Some(c),
        });
    by_theory.or_else(|| {
        report
            .cells
            .iter()
            .fold(None::<&CellReport>, |best, c| match best {
                Some(b) if b.failures >= c.failures => Some(b),
                _ => Some(c),
            })
    })
}

/// The key of a report cell.
pub fn key_of(c: &CellReport) -> CellKey {
    (
        c.client.clone(),
        c.server.clone(),
        c.suite.clone(),
        c.handshake,
    )
}

/// Cumulative (attempts, failures) of cell `key` after each shard, in shard order.
/// Shards where the cell had no connection repeat the previous point.
pub fn running(results: &[ShardResult], key: &CellKey) -> Vec<(u64, u64)> {
    let mut sorted: Vec<&ShardResult> = results.iter().collect();
    sorted.sort_by_key(|r| r.shard);
    let (mut a, mut f) = (0u64, 0u64);
    sorted
        .into_iter()
        .map(|r| {
            if let Some((_, c)) = r.cells.iter().find(|(k, _)| k == key) {
                a += c.attempts;
                f += c.failures;
            }
            (a, f)
        })
        .collect()
}

/// A short label of a cell for the bar chart's legend and tables.
pub fn cell_label(c: &CellReport) -> String {
    format!("{} → {} {} {}", c.client, c.server, c.suite, c.handshake)
}

/// A rate as a percentage with two significant digits, trailing zeros dropped
/// ("0.39 %", "12 %", "100 %").
pub fn percent(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return "0 %".into();
    }
    let p = v * 100.0;
    let decimals = (1.0 - p.log10().floor()).clamp(0.0, 8.0);
    // `decimals` is a whole number in 0..=8.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let s = format!("{p:.*}", decimals as usize);
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s} %")
}

/// "1 in N" for a rate (N rounded), or "" for 0.
pub fn one_in(v: f64) -> String {
    if v > 0.0 && v.is_finite() {
        format!("1 in {:.0}", 1.0 / v)
    } else {
        String::new()
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("plot: {e:?}")
}

/// A rectangle in pixels of the whole figure: left, top, right, bottom.
pub type PixelRect = (i32, i32, i32, i32);

/// Where panel (a)'s parts go and what its y axis spans: the legend row lies above the
/// plotting area, and the y axis covers every point, the whole band and the theory.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningLayout {
    pub legend: PixelRect,
    pub plot: PixelRect,
    pub x_max: f64,
    pub y_max: f64,
    /// (connections, observed rate, 95% band) after each shard with connections.
    pub series: Vec<(f64, f64, [f64; 2])>,
}

/// Panel (a)'s layout for `cell` (whose running counts are `pts`).
pub fn running_layout(cell: &CellReport, pts: &[(u64, u64)]) -> RunningLayout {
    let series: Vec<(f64, f64, [f64; 2])> = pts
        .iter()
        .filter(|(a, _)| *a > 0)
        .map(|&(a, f)| (a as f64, f as f64 / a as f64, wilson95(f, a)))
        .collect();
    let x_max = series.last().map(|p| p.0).unwrap_or(1.0).max(1.0);
    let top = series
        .iter()
        .map(|p| p.2[1].max(p.1))
        .chain(cell.theory)
        .chain(std::iter::once(cell.rate))
        .fold(0.0f64, f64::max)
        .max(1e-4);
    let (w, h) = (to_i32(SIZE.0), to_i32(SIZE.1));
    RunningLayout {
        legend: (80, 36, w - 20, 60),
        plot: (80 + 12, 72, w - 20, h - 52),
        x_max,
        y_max: nice_ceiling(top * 1.05),
        series,
    }
}

fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 × 10^k that is ≥ v (v > 0).
fn nice_ceiling(v: f64) -> f64 {
    let e = 10f64.powf(v.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * e)
        .find(|&c| c >= v * (1.0 - 1e-12))
        .unwrap_or(10.0 * e)
}

/// One row of panel (b): a mechanism's heading or a cell.
#[derive(Debug, Clone, PartialEq)]
pub enum RateRow<'a> {
    Group(String),
    Cell(&'a CellReport, String),
}

/// Panel (b)'s rows and scale.
#[derive(Debug, Clone, PartialEq)]
pub struct RatesLayout<'a> {
    pub rows: Vec<RateRow<'a>>,
    /// Cells not drawn: no failure and no theoretical rate above 0.
    pub quiet: Vec<&'a CellReport>,
    pub log: bool,
    pub x_range: (f64, f64),
}

/// The mechanism that failed a cell most often (ties: the first in mechanism order).
fn main_mechanism(c: &CellReport) -> Option<Mechanism> {
    c.by_mechanism
        .iter()
        .fold(None::<(Mechanism, u64)>, |best, (&m, &n)| match best {
            Some((_, b)) if b >= n => best,
            _ => Some((m, n)),
        })
        .map(|(m, _)| m)
}

/// Group the cells that failed by their main mechanism (in mechanism order), then the
/// cells with a theoretical rate and no failure; name each cell client → server with its
/// handshake kind (and its suite where two names would otherwise be the same).
pub fn rates_layout(report: &StudyReport) -> RatesLayout<'_> {
    let mut groups: std::collections::BTreeMap<(u8, Option<Mechanism>), Vec<&CellReport>> =
        Default::default();
    let mut quiet = Vec::new();
    for c in &report.cells {
        match main_mechanism(c) {
            Some(m) => groups.entry((0, Some(m))).or_default().push(c),
            None if c.theory.is_some_and(|t| t > 0.0) => {
                groups.entry((1, None)).or_default().push(c)
            }
            None => quiet.push(c),
        }
    }
    let short = |c: &CellReport| format!("{} → {}, {}", c.client, c.server, c.handshake);
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for cells in groups.values() {
        for c in cells {
            *seen.entry(short(c)).or_default() += 1;
        }
    }
    let mut rows = Vec::new();
    for ((_, m), cells) in &groups {
        let n: u64 = cells.iter().map(|c| c.failures).sum();
        rows.push(RateRow::Group(match m {
            Some(m) => format!(
                "{m}: {} in {}",
                plural(n, "failure"),
                plural(cells.len() as u64, "cell")
            ),
            None => format!(
                "theory above 0, no failure seen: {}",
                plural(cells.len() as u64, "cell")
            ),
        }));
        for c in cells {
            let s = short(c);
            let name = if seen.get(&s).copied().unwrap_or(0) > 1 {
                format!("{s}, {}", c.suite.trim_start_matches("TLS_"))
            } else {
                s
            };
            rows.push(RateRow::Cell(c, name));
        }
    }
    let positive: Vec<f64> = rows
        .iter()
        .filter_map(|r| match r {
            RateRow::Cell(c, _) => Some(c),
            RateRow::Group(_) => None,
        })
        // A lower bound counts only where the cell failed (with no failure it is 0, up to
        // rounding).
        .flat_map(|c| {
            let lo = if c.failures > 0 { c.ci95[0] } else { 0.0 };
            [c.rate, lo, c.ci95[1], c.theory.unwrap_or(0.0)]
        })
        .filter(|v| *v > 0.0)
        .collect();
    let lo = positive.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = positive.iter().copied().fold(0.0f64, f64::max);
    let log = lo.is_finite() && hi / lo >= LOG_RATIO;
    let x_range = if log {
        (
            10f64.powf((lo * 0.8).log10().floor()),
            10f64.powf(hi.log10().ceil()),
        )
    } else {
        (0.0, nice_ceiling(hi.max(1e-4) * 1.05))
    };
    RatesLayout {
        rows,
        quiet,
        log,
        x_range,
    }
}

/// Height of panel (b) for `rows` rows.
fn rates_height(rows: usize) -> u32 {
    let rows = u32::try_from(rows).unwrap_or(u32::MAX / ROW).max(1);
    HEAD_B + rows.saturating_mul(ROW) + FOOT_B
}

/// Both panels as one SVG document.
pub fn study_svg(report: &StudyReport, results: &[ShardResult]) -> Result<String, String> {
    let layout = rates_layout(report);
    let height = SIZE.1 + rates_height(layout.rows.len());
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (SIZE.0, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (top, bottom) = root.split_vertically(SIZE.1);
        running_panel(&top, report, results)?;
        rates_panel(&bottom, &layout)?;
        root.present().map_err(err)?;
    }
    Ok(buf)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// A glyph of a legend row.
enum Glyph {
    Band,
    Line(RGBColor),
    Dot,
    Whisker,
    Triangle,
}

/// Draw a legend row: each glyph then its text, left to right from `x`, centred on `y`
/// (pixels of `area`).
fn legend_row(area: &Area, x: i32, y: i32, items: &[(Glyph, String)]) -> Result<(), String> {
    let font = ("sans-serif", 19).into_font();
    let style = TextStyle::from(font).pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = x;
    for (g, text) in items {
        match g {
            Glyph::Band => area.draw(&Rectangle::new(
                [(x, y - 6), (x + 22, y + 6)],
                BLUE.mix(0.18).filled(),
            )),
            Glyph::Line(c) => area.draw(&PathElement::new(
                vec![(x, y), (x + 22, y)],
                c.stroke_width(2),
            )),
            Glyph::Dot => area.draw(&Circle::new((x + 11, y), 4, BLUE.filled())),
            Glyph::Whisker => area.draw(&PathElement::new(
                vec![
                    (x, y - 4),
                    (x, y + 4),
                    (x, y),
                    (x + 22, y),
                    (x + 22, y - 4),
                    (x + 22, y + 4),
                ],
                BLACK.stroke_width(1),
            )),
            Glyph::Triangle => area.draw(&TriangleMarker::new((x + 11, y), 6, RED.filled())),
        }
        .map_err(err)?;
        area.draw_text(text, &style, (x + 28, y)).map_err(err)?;
        // About 8.5 px a character at 15 px sans-serif, and a gap.
        let chars = i32::try_from(text.chars().count()).unwrap_or(200);
        x += 28 + chars * 17 / 2 + 28;
    }
    Ok(())
}

fn title(area: &Area, text: &str) -> Result<(), String> {
    let style =
        TextStyle::from(("sans-serif", 24).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    area.draw_text(text, &style, (20, 16)).map_err(err)
}

fn running_panel(area: &Area, report: &StudyReport, results: &[ShardResult]) -> Result<(), String> {
    let Some(cell) = focus_cell(report) else {
        return Ok(());
    };
    let lay = running_layout(cell, &running(results, &key_of(cell)));
    title(
        area,
        &format!(
            "(a) running failure rate of {} → {}, {} ({})",
            cell.client,
            cell.server,
            cell.handshake,
            cell.suite.trim_start_matches("TLS_")
        ),
    )?;
    let mut legend = vec![
        (Glyph::Band, "95% Wilson interval".to_string()),
        (Glyph::Line(BLUE), "observed rate".to_string()),
    ];
    if let Some(t) = cell.theory {
        legend.push((
            Glyph::Line(RED),
            format!("theory {} ({})", percent(t), one_in(t)),
        ));
    }
    let (ly0, ly1) = (lay.legend.1, lay.legend.3);
    legend_row(area, lay.legend.0, (ly0 + ly1) / 2, &legend)?;
    let (l, t, r, b) = lay.plot;
    let body = area.margin(
        u32::try_from(t).unwrap_or(0),
        0,
        u32::try_from(l - 92).unwrap_or(0),
        u32::try_from(to_i32(SIZE.0) - r).unwrap_or(0),
    );
    let _ = b;
    let (x_max, y_max) = (lay.x_max, lay.y_max);
    let mut chart = ChartBuilder::on(&body)
        .x_label_area_size(44)
        .y_label_area_size(92)
        .build_cartesian_2d(0f64..x_max, 0f64..y_max)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("connections of the cell so far (shard order)")
        .y_desc("failure rate")
        .label_style(("sans-serif", 18))
        .axis_desc_style(("sans-serif", 19))
        .y_label_formatter(&|y| percent(*y))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()
        .map_err(err)?;
    let band: Vec<(f64, f64)> = lay
        .series
        .iter()
        .map(|p| (p.0, p.2[1]))
        .chain(lay.series.iter().rev().map(|p| (p.0, p.2[0])))
        .collect();
    if !band.is_empty() {
        chart
            .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.18).filled())))
            .map_err(err)?;
    }
    if let Some(t) = cell.theory {
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, t), (x_max, t)],
                RED.stroke_width(2),
            ))
            .map_err(err)?;
    }
    chart
        .draw_series(LineSeries::new(
            lay.series.iter().map(|p| (p.0, p.1)),
            BLUE.stroke_width(2),
        ))
        .map_err(err)?;
    chart
        .draw_series(
            lay.series
                .iter()
                .map(|p| Circle::new((p.0, p.1), 3, BLUE.filled())),
        )
        .map_err(err)?;
    Ok(())
}

fn rates_panel(area: &Area, lay: &RatesLayout) -> Result<(), String> {
    let scale = if lay.log { "log scale" } else { "linear scale" };
    title(
        area,
        &format!("(b) failure rate per cell, grouped by mechanism ({scale})"),
    )?;
    legend_row(
        area,
        80,
        46,
        &[
            (Glyph::Dot, "observed rate".into()),
            (Glyph::Whisker, "95% Wilson interval".into()),
            (Glyph::Triangle, "theory".into()),
        ],
    )?;
    let note_style =
        TextStyle::from(("sans-serif", 18).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let (_, h) = area.dim_in_pixel();
    let note_y = to_i32(h) - 14;
    if !lay.quiet.is_empty() {
        let attempts: u64 = lay.quiet.iter().map(|c| c.attempts).sum();
        let note = format!(
            "Not drawn: {} with no failure and no theoretical rate ({attempts} connections).",
            plural(lay.quiet.len() as u64, "cell")
        );
        area.draw_text(&note, &note_style, (20, note_y))
            .map_err(err)?;
    }
    if lay.rows.is_empty() {
        return area
            .draw_text("No cell failed.", &note_style, (20, to_i32(HEAD_B) + 10))
            .map_err(err);
    }
    let n = lay.rows.len();
    let body = area.margin(HEAD_B, 28, NAMES_W, COUNTS_W);
    let rows = n as f64;
    let y_of = |i: usize| rows - 1.0 - i as f64;
    let (x0, x1) = lay.x_range;
    let names =
        TextStyle::from(("sans-serif", 18).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    let heads = TextStyle::from(("sans-serif", 18).into_font().style(FontStyle::Bold))
        .pos(Pos::new(HPos::Left, VPos::Center));
    let counts =
        TextStyle::from(("sans-serif", 18).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    let base = area.get_base_pixel();
    // Labels left of the plotting area, at each row's pixel height.
    let label_rows = |to_px: &dyn Fn(f64) -> i32| -> Result<(), String> {
        for (i, row) in lay.rows.iter().enumerate() {
            let y = to_px(y_of(i)) - base.1;
            match row {
                RateRow::Group(g) => area.draw_text(g, &heads, (12, y)),
                RateRow::Cell(c, name) => area
                    .draw_text(name, &names, (to_i32(NAMES_W) - 8, y))
                    .and_then(|()| {
                        area.draw_text(
                            &format!("{} of {}", c.failures, c.attempts),
                            &counts,
                            (to_i32(SIZE.0) - 12, y),
                        )
                    }),
            }
            .map_err(err)?;
        }
        Ok(())
    };
    let x_desc = if lay.log {
        "failure rate (log scale)"
    } else {
        "failure rate"
    };
    macro_rules! draw_rows {
        ($chart:expr, $lo:expr) => {{
            let chart = &mut $chart;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(0)
                .x_labels(16)
                .x_desc(x_desc)
                .label_style(("sans-serif", 18))
                .axis_desc_style(("sans-serif", 19))
                .x_label_formatter(&|x| percent(*x))
                .draw()
                .map_err(err)?;
            chart
                .draw_series(lay.rows.iter().enumerate().filter_map(|(i, r)| match r {
                    RateRow::Group(_) => Some(Rectangle::new(
                        [(x0, y_of(i) - 0.5), (x1, y_of(i) + 0.5)],
                        RGBColor(236, 236, 236).filled(),
                    )),
                    RateRow::Cell(..) => None,
                }))
                .map_err(err)?;
            let cells = || {
                lay.rows.iter().enumerate().filter_map(|(i, r)| match r {
                    RateRow::Cell(c, _) => Some((y_of(i), *c)),
                    RateRow::Group(_) => None,
                })
            };
            let lo: f64 = $lo;
            chart
                .draw_series(cells().map(|(y, c)| {
                    let (a, b) = (c.ci95[0].max(lo), c.ci95[1].max(lo));
                    PathElement::new(
                        vec![
                            (a, y - 0.25),
                            (a, y + 0.25),
                            (a, y),
                            (b, y),
                            (b, y - 0.25),
                            (b, y + 0.25),
                        ],
                        BLACK.stroke_width(1),
                    )
                }))
                .map_err(err)?;
            chart
                .draw_series(cells().map(|(y, c)| {
                    if c.rate > 0.0 {
                        Circle::new((c.rate, y), 5, BLUE.filled())
                    } else {
                        Circle::new((lo, y), 5, BLUE.stroke_width(2))
                    }
                }))
                .map_err(err)?;
            chart
                .draw_series(cells().filter_map(|(y, c)| {
                    c.theory
                        .filter(|t| *t > 0.0)
                        .map(|t| TriangleMarker::new((t, y), 6, RED.filled()))
                }))
                .map_err(err)?;
            label_rows(&|y| chart.backend_coord(&(x0, y)).1)?;
        }};
    }
    if lay.log {
        let mut chart = ChartBuilder::on(&body)
            .x_label_area_size(44)
            .build_cartesian_2d((x0..x1).log_scale(), -0.5..(rows - 0.5))
            .map_err(err)?;
        draw_rows!(chart, x0);
    } else {
        let mut chart = ChartBuilder::on(&body)
            .x_label_area_size(44)
            .build_cartesian_2d(x0..x1, -0.5..(rows - 0.5))
            .map_err(err)?;
        draw_rows!(chart, x0);
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn cell(client: &str, attempts: u64, failures: u64, theory: Option<f64>) -> CellReport {
        CellReport {
            client: client.into(),
            server: "s".into(),
            suite: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256".into(),
            handshake: "full".parse().unwrap(),
            attempts,
            successes: attempts - failures,
            failures,
            by_mechanism: BTreeMap::new(),
            rate: failures as f64 / attempts as f64,
            ci95: wilson95(failures, attempts),
            theory,
            verdict: None,
            replay: vec![],
        }
    }

    #[test]
    fn focus_prefers_theory_then_failures() {
        let mut r = StudyReport {
            scenario: "x".into(),
            seed: 1,
            connections: 0,
            shards: 1,
            cells: vec![cell("a", 100, 9, None), cell("b", 100, 1, Some(0.004))],
        };
        assert_eq!(focus_cell(&r).unwrap().client, "b");
        r.cells[1].theory = None;
        assert_eq!(focus_cell(&r).unwrap().client, "a");
    }
}
