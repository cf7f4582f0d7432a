//! Charts drawn on the server as inline SVG: no script, no external
//! asset, scaled to the width of the screen (`viewBox`), each with a
//! title and its figures as text for those who cannot see it.

use std::fmt::Write as _;

use super::pages::escape;

/// One series of a line chart.
pub struct Series<'a> {
    pub name: &'a str,
    pub color: &'a str,
    pub values: Vec<u64>,
    pub dashed: bool,
}

const W: f64 = 460.0;
const LEFT: f64 = 36.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;

/// A round step for an axis going up to `max`, and the axis' top.
fn scale(max: u64) -> (u64, u64) {
    let max = max.max(1);
    let rough = max.div_ceil(4).max(1);
    let magnitude = 10u64.pow(rough.ilog10());
    let step = [1, 2, 5, 10].iter().map(|m| m * magnitude).find(|s| *s >= rough).unwrap_or(rough);
    (step, step * max.div_ceil(step))
}

fn open(o: &mut String, id: &str, title: &str, h: f64) {
    let _ = write!(
        o,
        "<svg id=\"{id}\" class=\"chart\" viewBox=\"0 0 {W} {h}\" role=\"img\" aria-labelledby=\"{id}-t\" \
xmlns=\"http://www.w3.org/2000/svg\" font-family=\"Arial,Helvetica,sans-serif\" font-size=\"14\">\
<title id=\"{id}-t\">{}</title>",
        escape(title)
    );
}

/// Horizontal grid lines and their values, from 0 to `top`.
fn grid(o: &mut String, step: u64, top: u64, plot_h: f64) {
    let mut v = 0;
    while v <= top {
        let y = TOP + plot_h - plot_h * v as f64 / top as f64;
        let _ = write!(
            o,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e5e7eb\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#6b7280\">{v}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
        v += step;
    }
}

/// Lines over a common x axis (`labels`, a few of them shown).
pub fn lines(id: &str, title: &str, labels: &[String], series: &[Series<'_>]) -> String {
    let h = 240.0;
    let plot_h = h - TOP - 46.0;
    let n = labels.len().max(1);
    let max = series.iter().flat_map(|s| s.values.iter().copied()).max().unwrap_or(0);
    let (step, top) = scale(max);
    let x = |i: usize| LEFT + (W - LEFT - RIGHT) * if n == 1 { 0.5 } else { i as f64 / (n - 1) as f64 };
    let y = |v: u64| TOP + plot_h - plot_h * v as f64 / top as f64;
    let mut o = String::new();
    open(&mut o, id, title, h);
    grid(&mut o, step, top, plot_h);
    let every = n.div_ceil(5).max(1);
    for (i, l) in labels.iter().enumerate() {
        // Every few days, and the last one, not crowding the one before it.
        if (i % every == 0 && n - 1 - i > every / 2) || i == n - 1 {
            let anchor = match i {
                0 if n > 1 => "start",
                i if i == n - 1 && n > 1 => "end",
                _ => "middle",
            };
            let _ = write!(
                o,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"#6b7280\">{}</text>",
                x(i),
                TOP + plot_h + 16.0,
                escape(l)
            );
        }
    }
    for s in series {
        let points: Vec<String> =
            s.values.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v))).collect();
        let dash = if s.dashed { " stroke-dasharray=\"5 4\"" } else { "" };
        let _ = write!(
            o,
            "<polyline class=\"series\" data-name=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\"{dash} points=\"{}\"/>",
            escape(s.name),
            s.color,
            points.join(" ")
        );
        if s.values.len() == 1 {
            let _ = write!(o, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{}\"/>", x(0), y(s.values[0]), s.color);
        }
    }
    let mut lx = LEFT;
    for s in series {
        let _ = write!(
            o,
            "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"14\" height=\"4\" fill=\"{}\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1f2937\">{}</text>",
            h - 14.0,
            s.color,
            lx + 18.0,
            h - 9.0,
            escape(s.name)
        );
        lx += 30.0 + 8.0 * s.name.chars().count() as f64;
    }
    o.push_str("</svg>");
    o
}

/// Vertical bars, one per label, with the value above each.
pub fn bars(id: &str, title: &str, bars: &[(String, u64, &str)]) -> String {
    let h = 200.0;
    let plot_h = h - TOP - 30.0;
    let n = bars.len().max(1);
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0);
    let (step, top) = scale(max);
    let slot = (W - LEFT - RIGHT) / n as f64;
    let width = (slot * 0.7).min(60.0);
    let mut o = String::new();
    open(&mut o, id, title, h);
    grid(&mut o, step, top, plot_h);
    for (i, (label, v, color)) in bars.iter().enumerate() {
        let bh = plot_h * *v as f64 / top as f64;
        let cx = LEFT + slot * (i as f64 + 0.5);
        let _ = write!(
            o,
            "<rect class=\"bar\" data-label=\"{}\" data-value=\"{v}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"{bh:.1}\" fill=\"{color}\"/>",
            escape(label),
            cx - width / 2.0,
            TOP + plot_h - bh
        );
        if *v > 0 && n <= 12 {
            let _ = write!(
                o,
                "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#1f2937\">{v}</text>",
                TOP + plot_h - bh - 4.0
            );
        }
        if n <= 12 || i % 6 == 0 {
            let _ = write!(
                o,
                "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#6b7280\">{}</text>",
                TOP + plot_h + 16.0,
                escape(label)
            );
        }
    }
    o.push_str("</svg>");
    o
}

/// Horizontal bars of percentages (0–100), a label at the left of each.
pub fn percents(id: &str, title: &str, rows: &[(String, Option<f64>)]) -> String {
    let row_h = 34.0;
    let h = TOP + row_h * rows.len().max(1) as f64 + 8.0;
    let label_w = 120.0;
    let span = W - label_w - RIGHT - 60.0;
    let mut o = String::new();
    open(&mut o, id, title, h);
    for (i, (label, p)) in rows.iter().enumerate() {
        let y = TOP + row_h * i as f64;
        let value = p.unwrap_or(0.0).clamp(0.0, 100.0);
        let color = match p {
            Some(p) if *p >= 90.0 => "#059669",
            Some(p) if *p >= 75.0 => "#d97706",
            Some(_) => "#dc2626",
            None => "#9ca3af",
        };
        let text = p.map_or_else(|| "–".to_string(), |p| format!("{p:.1} %"));
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#1f2937\">{}</text>\
<rect x=\"{label_w}\" y=\"{:.1}\" width=\"{span:.1}\" height=\"18\" fill=\"#f3f4f6\"/>\
<rect class=\"bar\" data-label=\"{}\" data-value=\"{value}\" x=\"{label_w}\" y=\"{:.1}\" width=\"{:.1}\" height=\"18\" fill=\"{color}\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1f2937\">{text}</text>",
            label_w - 8.0,
            y + 14.0,
            escape(label),
            y,
            escape(label),
            y,
            span * value / 100.0,
            label_w + span + 8.0,
            y + 14.0
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_go_up_in_round_steps_above_the_largest_value() {
        assert_eq!(scale(0), (1, 1));
        assert_eq!(scale(3), (1, 3));
        assert_eq!(scale(7), (2, 8));
        assert_eq!(scale(37), (10, 40));
        assert_eq!(scale(180), (50, 200));
        assert_eq!(scale(1234), (500, 1500));
    }

    #[test]
    fn a_chart_is_one_svg_element_with_its_title_escaped_and_one_mark_per_value() {
        let svg = bars("p", "Tickets <open>", &[("P1".into(), 2, "#dc2626"), ("P2".into(), 0, "#d97706")]);
        assert!(svg.starts_with("<svg id=\"p\"") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title id=\"p-t\">Tickets &lt;open&gt;</title>"));
        assert_eq!(svg.matches("class=\"bar\"").count(), 2);
        let days: Vec<String> = (1..=30).map(|d| format!("{d:02}")).collect();
        let s = Series { name: "opened", color: "#1d4ed8", values: vec![1; 30], dashed: false };
        let svg = lines("t", "Trend", &days, &[s]);
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.matches("<text").count() < 20, "a few dates shown, not thirty");
        let p = percents("s", "SLA", &[("standard".into(), Some(44.4)), ("vip".into(), None)]);
        assert!(p.contains("44.4 %") && p.contains(">–<"));
    }
}
