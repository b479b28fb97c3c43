//! Study plots as SVG (plotters, SVG backend only): (a) the running failure rate of one
//! cell over its connections in shard order, with the 95% Wilson band narrowing onto the
//! theoretical rate, and (b) every cell's rate as a bar with its 95% interval as a whisker.
//! Everything is computed from the ordered shard results, so the SVG is deterministic.

use crate::study::{wilson95, CellKey, CellReport, ShardResult, StudyReport};
use plotters::prelude::*;

/// Width and height of the whole figure (both panels).
pub const SIZE: (u32, u32) = (1000, 760);

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

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("plot: {e:?}")
}

/// Both panels as one SVG document.
pub fn study_svg(report: &StudyReport, results: &[ShardResult]) -> Result<String, String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (top, bottom) = root.split_vertically(SIZE.1 / 2);
        running_panel(&top, report, results)?;
        rates_panel(&bottom, report)?;
        root.present().map_err(err)?;
    }
    Ok(buf)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn running_panel(area: &Area, report: &StudyReport, results: &[ShardResult]) -> Result<(), String> {
    let Some(cell) = focus_cell(report) else {
        return Ok(());
    };
    let pts = running(results, &key_of(cell));
    let series: Vec<(f64, f64, [f64; 2])> = pts
        .iter()
        .filter(|(a, _)| *a > 0)
        .map(|&(a, f)| (a as f64, f as f64 / a as f64, wilson95(f, a)))
        .collect();
    let xmax = series.last().map(|p| p.0).unwrap_or(1.0).max(1.0);
    // The first shards' intervals are wide: scale to the later ones and the theory.
    let skip = series.len() / 5;
    let ymax = series
        .iter()
        .skip(skip)
        .map(|p| p.2[1])
        .chain(cell.theory)
        .chain(std::iter::once(cell.rate))
        .fold(0.0f64, f64::max)
        .max(1e-4)
        * 1.25;
    let title = format!("(a) running failure rate: {}", cell_label(cell));
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..xmax, 0f64..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("connections of the cell (shard order)")
        .y_desc("failure rate")
        .y_label_formatter(&|y| format!("{y:.4}"))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()
        .map_err(err)?;
    let band: Vec<(f64, f64)> = series
        .iter()
        .map(|p| (p.0, p.2[1].min(ymax)))
        .chain(series.iter().rev().map(|p| (p.0, p.2[0])))
        .collect();
    if !band.is_empty() {
        chart
            .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.18).filled())))
            .map_err(err)?
            .label("95% Wilson interval")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLUE.mix(0.18).filled())
            });
    }
    chart
        .draw_series(LineSeries::new(
            series.iter().map(|p| (p.0, p.1)),
            BLUE.stroke_width(2),
        ))
        .map_err(err)?
        .label("observed rate")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.stroke_width(2)));
    if let Some(t) = cell.theory {
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, t), (xmax, t)],
                RED.stroke_width(2),
            ))
            .map_err(err)?
            .label(format!("theory {t:.6}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    Ok(())
}

fn rates_panel(area: &Area, report: &StudyReport) -> Result<(), String> {
    let n = report.cells.len().max(1);
    let ymax = report
        .cells
        .iter()
        .map(|c| c.ci95[1].max(c.theory.unwrap_or(0.0)))
        .fold(0.0f64, f64::max)
        .max(1e-4)
        * 1.15;
    let mut chart = ChartBuilder::on(area)
        .caption(
            "(b) failure rate per cell, 95% Wilson interval, theory ▲",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..ymax)
        .map_err(err)?;
    let cells = report.cells.len();
    let label = move |x: &f64| {
        let i = x.round();
        if !((x - i).abs() < 1e-6 && i >= 0.0) {
            return String::new();
        }
        // `i` is a whole number ≥ 0: the conversion is exact below 2^64 and saturates above,
        // where it is not below `cells` either.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let cell = i as usize;
        if cell < cells {
            format!("#{}", cell + 1)
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n.min(40) + 1)
        .x_label_formatter(&label)
        .x_desc("cell (numbered as in the table)")
        .y_desc("failure rate")
        .y_label_formatter(&|y| format!("{y:.4}"))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(report.cells.iter().enumerate().map(|(i, c)| {
            let x = i as f64;
            Rectangle::new([(x - 0.3, 0.0), (x + 0.3, c.rate)], BLUE.mix(0.6).filled())
        }))
        .map_err(err)?;
    chart
        .draw_series(report.cells.iter().enumerate().map(|(i, c)| {
            ErrorBar::new_vertical(
                i as f64,
                c.ci95[0],
                c.rate,
                c.ci95[1],
                BLACK.stroke_width(1),
                10,
            )
        }))
        .map_err(err)?;
    chart
        .draw_series(report.cells.iter().enumerate().filter_map(|(i, c)| {
            c.theory
                .map(|t| TriangleMarker::new((i as f64, t), 5, RED.filled()))
        }))
        .map_err(err)?;
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
