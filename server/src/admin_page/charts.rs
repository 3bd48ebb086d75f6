//! Charts drawn on the server as SVG, with no script: horizontal bars (today's children per
//! activity) and grouped columns (the week's occupancy). Each chart is an image with a
//! title and a description for screen readers; the page gives its figures in a table too.

use std::fmt::Write;

/// Colours of series, distinguishable and dark enough on white (WCAG 3:1 for graphics).
pub const PALETTE: [&str; 6] = [
    "#1d4e89", "#b4451f", "#2a7a3b", "#7b3f98", "#8a6d00", "#00707a",
];

/// Text escaped for SVG and HTML: the escaping of the family file's summary page.
pub use crate::export::summary::escape;

/// One bar: a label, a value, an optional limit (capacity) and a note after the value.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub limit: Option<i64>,
    pub note: String,
}

/// Horizontal bars, one per row.
pub fn bars(id: &str, title: &str, description: &str, rows: &[Bar]) -> String {
    let row_h = 44;
    let label_w = 320;
    let plot_w = 300;
    let width = label_w + plot_w + 330;
    let height = row_h * rows.len().max(1) as i64 + 16;
    let max = rows
        .iter()
        .map(|r| r.value.max(r.limit.unwrap_or(0)))
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {width} {height}\" \
         role=\"img\" aria-labelledby=\"{id}-t {id}-d\"><title id=\"{id}-t\">{}</title>\
         <desc id=\"{id}-d\">{}</desc>",
        escape(title),
        escape(description)
    );
    if rows.is_empty() {
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"28\" class=\"chart-empty\">Aucune activité aujourd'hui</text>"
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = i as i64 * row_h + 8;
        let w = r.value * plot_w / max;
        let colour = PALETTE[i % PALETTE.len()];
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"chart-label\">{}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{plot_w}\" height=\"28\" fill=\"#eef1f5\" rx=\"3\"/>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{w}\" height=\"28\" fill=\"{colour}\" rx=\"3\"/>",
            label_w - 12,
            y + 19,
            escape(&r.label)
        );
        if let Some(limit) = r.limit {
            let x = label_w + limit * plot_w / max;
            let _ = write!(
                svg,
                "<line x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\" stroke=\"#222\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>",
                y - 3,
                y + 31
            );
        }
        let text = if r.note.is_empty() {
            r.value.to_string()
        } else {
            format!("{} {}", r.value, r.note)
        };
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" class=\"chart-value\">{}</text>",
            label_w + plot_w + 10,
            y + 19,
            escape(&text)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A series of grouped columns: its name and one value per group.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<i64>,
}

/// Grouped columns: one group per label (days), one column per series (activities), with
/// a legend.
pub fn columns(
    id: &str,
    title: &str,
    description: &str,
    groups: &[String],
    series: &[Series],
) -> String {
    let left = 44;
    let plot_h = 220;
    let top = 16;
    let group_w = 150;
    let width = left + group_w * groups.len().max(1) as i64 + 10;
    let legend_rows = series.len().div_ceil(3).max(1) as i64;
    let height = top + plot_h + 40 + legend_rows * 24 + 8;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    // A round step for the axis: 1, 2, 5, 10, 20, 50...
    let mut step = 1;
    while max / step > 5 {
        step = match step.to_string().as_bytes().first() {
            Some(b'1') => step * 2,
            Some(b'2') => step / 2 * 5,
            _ => step * 2,
        };
    }
    let top_value = (max + step - 1) / step * step;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {width} {height}\" \
         role=\"img\" aria-labelledby=\"{id}-t {id}-d\"><title id=\"{id}-t\">{}</title>\
         <desc id=\"{id}-d\">{}</desc>",
        escape(title),
        escape(description)
    );
    let mut v = 0;
    while v <= top_value {
        let y = top + plot_h - v * plot_h / top_value;
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#d5dae1\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"chart-axis\">{v}</text>",
            width - 10,
            left - 6,
            y + 4
        );
        v += step;
    }
    let n = series.len().max(1) as i64;
    let col_w = ((group_w - 30) / n).clamp(6, 34);
    for (g, label) in groups.iter().enumerate() {
        let gx = left + g as i64 * group_w + (group_w - col_w * n) / 2;
        for (s, serie) in series.iter().enumerate() {
            let value = serie.values.get(g).copied().unwrap_or(0);
            let h = value * plot_h / top_value;
            let x = gx + s as i64 * col_w;
            let _ = write!(
                svg,
                "<rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{h}\" fill=\"{}\"><title>{} : {}</title></rect>",
                top + plot_h - h,
                col_w - 3,
                PALETTE[s % PALETTE.len()],
                escape(&serie.name),
                value
            );
            if value > 0 {
                let _ = write!(
                    svg,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"chart-small\">{value}</text>",
                    x + (col_w - 3) / 2,
                    top + plot_h - h - 4
                );
            }
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"chart-label\">{}</text>",
            left + g as i64 * group_w + group_w / 2,
            top + plot_h + 22,
            escape(label)
        );
    }
    for (s, serie) in series.iter().enumerate() {
        let row = s as i64 / 3;
        let col = s as i64 % 3;
        let x = left + col * 240;
        let y = top + plot_h + 44 + row * 24;
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"14\" height=\"14\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" class=\"chart-legend\">{}</text>",
            y - 12,
            PALETTE[s % PALETTE.len()],
            x + 20,
            y,
            escape(&serie.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_charts_are_labelled_images() {
        let svg = bars(
            "t",
            "Aujourd'hui",
            "Enfants attendus",
            &[Bar {
                label: "<script>".into(),
                value: 3,
                limit: Some(10),
                note: "attendus".into(),
            }],
        );
        assert!(svg.contains("role=\"img\"") && svg.contains("aria-labelledby=\"t-t t-d\""));
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
        let svg = columns(
            "w",
            "Semaine",
            "Places",
            &["lundi".into(), "mardi".into()],
            &[Series {
                name: "Cantine".into(),
                values: vec![12, 0],
            }],
        );
        assert!(svg.contains(">12<") && svg.contains("Cantine"));
    }
}
