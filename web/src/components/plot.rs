//! Line plots of numbers over time (clock offsets, skew, ε, sizes), drawn with `plotters` on
//! a `<canvas>` through `plotters-canvas`. The component redraws whenever its series or its
//! cursor change; a lab passes the data, the plot decides nothing.

use std::rc::Rc;

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use yew::prelude::*;

/// One named line.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Points in x order.
    pub points: Vec<(f64, f64)>,
    /// Line colour (red, green, blue).
    pub color: (u8, u8, u8),
}

/// A palette for per-node series (repeats after 8).
pub const PALETTE: [(u8, u8, u8); 8] = [
    (43, 108, 176),
    (221, 107, 32),
    (47, 133, 90),
    (128, 90, 213),
    (197, 48, 48),
    (9, 135, 160),
    (183, 121, 31),
    (74, 85, 104),
];

/// Props of [`Plot`].
#[derive(Properties, PartialEq)]
pub struct PlotProps {
    /// The lines to draw.
    pub series: Rc<Vec<Series>>,
    /// Chart title (also the canvas's accessible label).
    pub title: AttrValue,
    /// X axis description.
    pub x_label: AttrValue,
    /// Y axis description.
    pub y_label: AttrValue,
    /// A vertical marker (e.g. the playback position), in x units.
    #[prop_or_default]
    pub cursor: Option<f64>,
    /// A horizontal band to shade (e.g. an allowed bound), in y units.
    #[prop_or_default]
    pub band: Option<(f64, f64)>,
    /// Canvas height in pixels.
    #[prop_or(260)]
    pub height: u32,
}

/// The x and y ranges covering every point (with a little headroom; never empty).
pub fn bounds(series: &[Series], band: Option<(f64, f64)>) -> ((f64, f64), (f64, f64)) {
    let mut xs = (f64::INFINITY, f64::NEG_INFINITY);
    let mut ys = (f64::INFINITY, f64::NEG_INFINITY);
    for (x, y) in series.iter().flat_map(|s| s.points.iter()) {
        if x.is_finite() && y.is_finite() {
            xs = (xs.0.min(*x), xs.1.max(*x));
            ys = (ys.0.min(*y), ys.1.max(*y));
        }
    }
    if let Some((lo, hi)) = band {
        ys = (ys.0.min(lo), ys.1.max(hi));
    }
    let fix = |(lo, hi): (f64, f64)| {
        if !lo.is_finite() || !hi.is_finite() {
            (0.0, 1.0)
        } else if hi - lo < 1e-12 {
            (lo - 1.0, hi + 1.0)
        } else {
            let pad = (hi - lo) * 0.05;
            (lo - pad, hi + pad)
        }
    };
    let (x0, x1) = fix(xs);
    let xs = if xs.0.is_finite() {
        (xs.0, xs.1.max(xs.0 + 1e-9))
    } else {
        (x0, x1)
    };
    (xs, fix(ys))
}

fn draw(canvas: web_sys::HtmlCanvasElement, props: &PlotProps) -> Result<(), String> {
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or("no 2D canvas context")?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let ((x0, x1), (y0, y1)) = bounds(&props.series, props.band);
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .caption(props.title.as_str(), ("sans-serif", 15))
        .x_label_area_size(32)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(props.x_label.as_str())
        .y_desc(props.y_label.as_str())
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| e.to_string())?;
    if let Some((lo, hi)) = props.band {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x0, lo), (x1, hi)],
                RGBColor(47, 133, 90).mix(0.12).filled(),
            )))
            .map_err(|e| e.to_string())?;
    }
    for s in props.series.iter() {
        let color = RGBColor(s.color.0, s.color.1, s.color.2);
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(s.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    if let Some(cx) = props.cursor {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(cx, y0), (cx, y1)],
                RGBColor(43, 108, 176).mix(0.6),
            )))
            .map_err(|e| e.to_string())?;
    }
    if props.series.len() > 1 {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .draw()
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}

/// A line chart on a canvas.
#[function_component(Plot)]
pub fn plot(props: &PlotProps) -> Html {
    let canvas = use_node_ref();
    let error = use_state(|| None::<String>);
    {
        let canvas = canvas.clone();
        let error = error.clone();
        let series = props.series.clone();
        let key = (
            series,
            props.cursor.map(f64::to_bits),
            props.band.map(|(a, b)| (a.to_bits(), b.to_bits())),
        );
        let snapshot = PlotProps {
            series: props.series.clone(),
            title: props.title.clone(),
            x_label: props.x_label.clone(),
            y_label: props.y_label.clone(),
            cursor: props.cursor,
            band: props.band,
            height: props.height,
        };
        use_effect_with(key, move |_| {
            if let Some(el) = canvas.cast::<web_sys::HtmlCanvasElement>() {
                let result = draw(el, &snapshot);
                error.set(result.err());
            }
        });
    }
    html! {
        <figure class="plot">
            <canvas ref={canvas} width="640" height={props.height.to_string()} role="img"
                aria-label={props.title.clone()} />
            if let Some(e) = (*error).clone() {
                <figcaption class="notice error">{ format!("Could not draw the plot: {e}") }</figcaption>
            }
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_cover_points_and_band_and_are_never_empty() {
        let s = vec![Series {
            name: "a".into(),
            points: vec![(0.0, 1.0), (10.0, 3.0), (f64::NAN, 99.0)],
            color: PALETTE[0],
        }];
        let ((x0, x1), (y0, y1)) = bounds(&s, Some((-2.0, 2.0)));
        assert_eq!((x0, x1), (0.0, 10.0));
        assert!(y0 < -2.0 && y1 > 3.0);
        let ((x0, x1), (y0, y1)) = bounds(&[], None);
        assert!(x1 > x0 && y1 > y0);
        let flat = vec![Series {
            name: "f".into(),
            points: vec![(1.0, 5.0), (1.0, 5.0)],
            color: PALETTE[1],
        }];
        let ((x0, x1), (y0, y1)) = bounds(&flat, None);
        assert!(x1 > x0 && y1 > y0);
    }
}
