//! The HTML study report: self-contained, well-formed enough, with the plots and every
//! cell; when `chromium` is on PATH it also loads headless without errors.

use std::path::Path;
use tlsim::scenario::Scenario;
use tlsim::study::{merge, Study};

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
            html.contains(&format!("<td>{}</td>", c.client)),
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
