//! Text tables that fit a terminal: columns as wide as their widest cell (so nothing is
//! padded to a guessed width), two spaces apart, numbers right-aligned; free lines (group
//! headings, notes) between rows; rates as a percentage with "1 in N".

/// A table: a header, rows of cells, and free lines between them.
#[derive(Debug, Clone, Default)]
pub struct Table {
    head: Vec<String>,
    right: Vec<bool>,
    lines: Vec<Line>,
}

#[derive(Debug, Clone)]
enum Line {
    Cells(Vec<String>),
    Text(String),
}

impl Table {
    /// A table with these columns: (header, right-aligned).
    pub fn new(columns: &[(&str, bool)]) -> Table {
        Table {
            head: columns.iter().map(|(h, _)| h.to_string()).collect(),
            right: columns.iter().map(|(_, r)| *r).collect(),
            lines: Vec::new(),
        }
    }

    /// One row; missing cells are empty, extra cells are dropped.
    pub fn row(&mut self, cells: Vec<String>) {
        self.lines.push(Line::Cells(cells));
    }

    /// A free line (not measured for the column widths), printed as given.
    pub fn line(&mut self, text: String) {
        self.lines.push(Line::Text(text));
    }

    /// Whether the table has no row.
    pub fn is_empty(&self) -> bool {
        !self.lines.iter().any(|l| matches!(l, Line::Cells(_)))
    }

    /// The header and the lines, each cell row and the header prefixed by `indent`.
    pub fn render(&self, indent: &str) -> String {
        let mut width: Vec<usize> = self.head.iter().map(|h| h.chars().count()).collect();
        for l in &self.lines {
            if let Line::Cells(c) = l {
                for (w, cell) in width.iter_mut().zip(c) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let fmt = |cells: &[String]| -> String {
            let mut s = String::from(indent);
            for (k, w) in width.iter().enumerate() {
                let cell = cells.get(k).map_or("", String::as_str);
                let pad = w.saturating_sub(cell.chars().count());
                if k > 0 {
                    s.push_str("  ");
                }
                if self.right.get(k).copied().unwrap_or(false) {
                    s.extend(std::iter::repeat_n(' ', pad));
                    s.push_str(cell);
                } else {
                    s.push_str(cell);
                    s.extend(std::iter::repeat_n(' ', pad));
                }
            }
            s.truncate(s.trim_end().len());
            s.push('\n');
            s
        };
        let mut out = fmt(&self.head);
        for l in &self.lines {
            match l {
                Line::Cells(c) => out.push_str(&fmt(c)),
                Line::Text(t) => {
                    out.push_str(t);
                    out.push('\n');
                }
            }
        }
        out
    }
}

/// `x` (a fraction) as a percentage with enough decimals to show small rates: "0 %",
/// "0.39 %", "0.042 %", "66.67 %".
pub fn percent(x: f64) -> String {
    let p = 100.0 * x;
    // Below a billionth of a percent is rounding noise (a Wilson bound of 0 failures).
    if p.abs() < 1e-9 {
        "0 %".into()
    } else if p >= 0.1 {
        format!("{p:.2} %")
    } else if p >= 0.01 {
        format!("{p:.3} %")
    } else if p >= 0.0001 {
        format!("{p:.4} %")
    } else {
        format!("{p:.1e} %")
    }
}

/// "1 in N" for a rate `x` > 0 (N to one decimal below 10).
pub fn one_in(x: f64) -> String {
    let n = 1.0 / x;
    if n >= 9.95 {
        format!("1 in {n:.0}")
    } else {
        format!("1 in {n:.1}")
    }
}

/// `failures` of `attempts` as "0 %", "100 %" or "0.44 % (1 in 228)".
pub fn rate(failures: u64, attempts: u64) -> String {
    if failures == 0 || attempts == 0 {
        "0 %".into()
    } else if failures >= attempts {
        "100 %".into()
    } else {
        let x = failures as f64 / attempts as f64;
        format!("{} ({})", percent(x), one_in(x))
    }
}

/// A theoretical rate as "0.39 % (1 in 256)" ("0 %" for none).
pub fn rate_of(x: f64) -> String {
    if x <= 0.0 {
        "0 %".into()
    } else {
        format!("{} ({})", percent(x), one_in(x))
    }
}

/// A 95% interval as "0.29–0.54 %".
pub fn interval(ci: [f64; 2]) -> String {
    let lo = percent(ci[0]);
    let lo = lo.trim_end_matches(" %");
    format!("{lo}–{}", percent(ci[1]))
}

/// `text` with every line longer than `width` columns wrapped at spaces; the continuation
/// lines are indented by the line's own indentation plus four spaces. Words longer than
/// the width stay whole.
pub fn fit(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if body.chars().count() <= width {
            out.push_str(line);
            continue;
        }
        let lead = body.len() - body.trim_start().len();
        let hang = format!("{}    ", &body[..lead]);
        let mut cur = String::from(&body[..lead]);
        let mut cur_len = lead;
        let mut has_word = false;
        // Words, and the pieces of a long word after its commas (a JSON list): a piece
        // joins the one before it without a space.
        let mut pieces: Vec<(&str, bool)> = Vec::new();
        for word in body[lead..].split(' ').filter(|w| !w.is_empty()) {
            if word.chars().count() <= width / 2 {
                pieces.push((word, true));
                continue;
            }
            for (k, p) in word.split_inclusive(',').enumerate() {
                pieces.push((p, k == 0));
            }
        }
        for (word, spaced) in pieces {
            let wl = word.chars().count();
            if !spaced && has_word && cur_len + wl <= width {
                cur.push_str(word);
                cur_len += wl;
                continue;
            }
            if has_word && cur_len + 1 + wl > width {
                out.push_str(cur.trim_end());
                out.push('\n');
                cur.clone_from(&hang);
                cur_len = hang.len();
                has_word = false;
            }
            if has_word {
                cur.push(' ');
                cur_len += 1;
            }
            cur.push_str(word);
            cur_len += wl;
            has_word = true;
        }
        out.push_str(cur.trim_end());
        out.push_str(nl);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_their_widest_cell() {
        let mut t = Table::new(&[("name", false), ("n", true)]);
        t.row(vec!["a".into(), "1000".into()]);
        t.line("  a note".into());
        t.row(vec!["longer".into(), "2".into()]);
        assert_eq!(
            t.render(""),
            "name       n\na       1000\n  a note\nlonger     2\n"
        );
    }

    #[test]
    fn rates_read_as_percent_and_one_in_n() {
        assert_eq!(rate(0, 10), "0 %");
        assert_eq!(rate(10, 10), "100 %");
        assert_eq!(rate(38, 9600), "0.40 % (1 in 253)");
        assert_eq!(rate(96, 144), "66.67 % (1 in 1.5)");
        assert_eq!(rate(1, 100_000), "0.0010 % (1 in 100000)");
        assert_eq!(rate_of(1.0 / 256.0), "0.39 % (1 in 256)");
        assert_eq!(interval([0.00289, 0.00543]), "0.29–0.54 %");
        assert_eq!(interval([0.0, 0.00399]), "0–0.40 %");
        assert_eq!(interval([1.4e-17, 0.12]), "0–12.00 %");
    }

    #[test]
    fn fit_wraps_long_lines_with_a_hanging_indent() {
        let long = format!("  {}", "word ".repeat(30));
        let f = fit(&long, 40);
        assert!(f.lines().all(|l| l.chars().count() <= 40), "{f}");
        assert!(f.lines().nth(1).unwrap().starts_with("      word"), "{f}");
        assert_eq!(f.split_whitespace().count(), 30);
        assert_eq!(fit("short\n", 40), "short\n");
        let list = format!("  k [{}]", ["\"TLS_ECDHE_RSA_WITH_AES\""; 8].join(","));
        assert!(
            fit(&list, 60).lines().all(|l| l.chars().count() <= 60),
            "{}",
            fit(&list, 60)
        );
    }
}
