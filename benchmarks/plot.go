package benchmarks

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Plot geometry, in SVG user units.
const (
	plotWidth   = 1000
	plotHeight  = 470
	panelWidth  = 400
	panelHeight = 280
	panelTop    = 70
	leftPanelX  = 80
	rightPanelX = 570
)

// cdfSeries are the latencies drawn in the CDF panel, with their colors.
var cdfSeries = []struct {
	name, label, color string
}{
	{LatencyEndToEnd, "end to end", "#1f77b4"},
	{LatencyStart, "start RPC", "#ff7f0e"},
	{LatencyWorkflowTaskScheduleToStart, "workflow task sched-to-start", "#9467bd"},
	{LatencyActivityScheduleToStart, "activity sched-to-start", "#2ca02c"},
}

// WriteSVG draws r as a self-contained SVG: completions (and starts) per
// second over the whole run on the left, with warmup and drain shaded, and
// the cumulative distribution of each latency on a log scale on the right.
func WriteSVG(w io.Writer, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		plotWidth, plotHeight, plotWidth, plotHeight)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", plotWidth, plotHeight)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>`+"\n", leftPanelX, esc(r.Name))
	fmt.Fprintf(&b, `<text x="%d" y="44" fill="#555">%s · %s · %s · %s · %.1f wf/s</text>`+"\n", leftPanelX,
		esc(r.Target.ServerVersion), esc(workerLabel(r.Config)), esc(describeScenario(r.Config)), esc(describeLoad(r.Config)),
		r.Throughput.WorkflowsPerSecond)
	throughputPanel(&b, r)
	cdfPanel(&b, r)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func esc(s string) string { return html.EscapeString(s) }

// throughputPanel draws completions and starts per second.
func throughputPanel(b *strings.Builder, r *Result) {
	x0, y0 := float64(leftPanelX), float64(panelTop)
	fmt.Fprintf(b, `<text x="%g" y="%g" font-weight="bold">Throughput (per second)</text>`+"\n", x0, y0-8)
	frame(b, x0, y0)
	tl := r.Timeline
	if len(tl) == 0 {
		return
	}
	t0, t1 := tl[0].T, tl[len(tl)-1].T
	span := math.Max(float64(t1-t0), 1)
	var top float64
	for _, s := range tl {
		top = math.Max(top, math.Max(float64(s.Completed), float64(s.Started)))
	}
	top, step := niceScale(top)
	px := func(t float64) float64 { return x0 + (t-float64(t0))/span*panelWidth }
	py := func(v float64) float64 { return y0 + panelHeight - v/top*panelHeight }

	// Shade the seconds outside the measurement window.
	shade := func(from, to float64) {
		from, to = math.Max(from, float64(t0)), math.Min(to, float64(t1))
		if to > from {
			fmt.Fprintf(b, `<rect x="%.1f" y="%g" width="%.1f" height="%d" fill="#eee"/>`+"\n", px(from), y0, px(to)-px(from), panelHeight)
		}
	}
	if !r.MeasureStart.IsZero() {
		shade(float64(t0), float64(r.MeasureStart.Unix()))
	}
	if !r.MeasureEnd.IsZero() {
		shade(float64(r.MeasureEnd.Unix()+1), float64(t1))
	}
	for v := 0.0; v <= top+step/2; v += step {
		fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x0, x0+panelWidth, py(v), py(v))
		fmt.Fprintf(b, `<text x="%g" y="%.1f" text-anchor="end" dy="4">%s</text>`+"\n", x0-6, py(v), fmtTick(v))
	}
	xStep := niceStep(span / 6)
	for t := 0.0; t <= span; t += xStep {
		fmt.Fprintf(b, `<text x="%.1f" y="%g" text-anchor="middle">%gs</text>`+"\n", px(float64(t0)+t), y0+panelHeight+16, t)
	}
	line := func(color, dash string, value func(Second) float64) {
		pts := make([]string, len(tl))
		for i, s := range tl {
			pts[i] = fmt.Sprintf("%.1f,%.1f", px(float64(s.T)), py(value(s)))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" %s points="%s"/>`+"\n", color, dash, strings.Join(pts, " "))
	}
	line("#aaa", `stroke-dasharray="4 3"`, func(s Second) float64 { return float64(s.Started) })
	line("#1f77b4", "", func(s Second) float64 { return float64(s.Completed) })
	for _, s := range tl {
		if s.Errors > 0 {
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#d62728"><title>%d errors</title></circle>`+"\n",
				px(float64(s.T)), py(math.Min(float64(s.Errors), top)), s.Errors)
		}
	}
	items := []legendItem{{"#1f77b4", "", "completed"}, {"#aaa", "4 3", "started"}}
	for _, s := range tl {
		if s.Errors > 0 {
			items = append(items, legendItem{"#d62728", "", "errors (dots)"})
			break
		}
	}
	legend(b, x0, y0+panelHeight+38, items)
	fmt.Fprintf(b, `<text x="%g" y="%g" fill="#777" font-size="11" text-anchor="end">grey: warmup and drain, not measured</text>`+"\n",
		x0+panelWidth, y0+panelHeight+42)
}

// cdfPanel draws the latency CDFs with a log-scale x axis in ms.
func cdfPanel(b *strings.Builder, r *Result) {
	x0, y0 := float64(rightPanelX), float64(panelTop)
	fmt.Fprintf(b, `<text x="%g" y="%g" font-weight="bold">Latency CDF (ms, log scale)</text>`+"\n", x0, y0-8)
	frame(b, x0, y0)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range cdfSeries {
		if l, ok := r.Latency[s.name]; ok && l.Count > 0 {
			lo = math.Min(lo, math.Max(float64(l.Histogram.Min()), 1)/1e6)
			hi = math.Max(hi, float64(l.Histogram.Max())/1e6)
		}
	}
	if math.IsInf(lo, 1) {
		return
	}
	dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dhi <= dlo {
		dhi = dlo + 1
	}
	px := func(msv float64) float64 {
		return x0 + (math.Log10(math.Max(msv, math.Pow(10, dlo)))-dlo)/(dhi-dlo)*panelWidth
	}
	py := func(f float64) float64 { return y0 + panelHeight - f*panelHeight }
	for d := dlo; d <= dhi; d++ {
		x := px(math.Pow(10, d))
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#ddd"/>`+"\n", x, x, y0, y0+panelHeight)
		fmt.Fprintf(b, `<text x="%.1f" y="%g" text-anchor="middle">%s</text>`+"\n", x, y0+panelHeight+16, fmtTick(math.Pow(10, d)))
	}
	for _, f := range []float64{0, 0.25, 0.5, 0.75, 0.95, 0.99, 1} {
		fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x0, x0+panelWidth, py(f), py(f))
		if f != 0.95 && f != 0.99 {
			fmt.Fprintf(b, `<text x="%g" y="%.1f" text-anchor="end" dy="4">%g</text>`+"\n", x0-6, py(f), f)
		}
	}
	var items []legendItem
	for _, s := range cdfSeries {
		l, ok := r.Latency[s.name]
		if !ok || l.Count == 0 {
			continue
		}
		var pts []string
		prev := 0.0
		for _, p := range l.Histogram.CDF() {
			x := px(float64(p.Value) / 1e6)
			// A step: up at each bucket's top.
			pts = append(pts, fmt.Sprintf("%.1f,%.1f %.1f,%.1f", x, py(prev), x, py(p.Fraction)))
			prev = p.Fraction
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", s.color, strings.Join(pts, " "))
		items = append(items, legendItem{s.color, "", fmt.Sprintf("%s (p50 %s, p99 %s)", s.label, fmtMs(l.P50Ms), fmtMs(l.P99Ms))})
	}
	legend(b, x0, y0+panelHeight+38, items)
}

// frame draws a panel's border.
func frame(b *strings.Builder, x0, y0 float64) {
	fmt.Fprintf(b, `<rect x="%g" y="%g" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", x0, y0, panelWidth, panelHeight)
}

type legendItem struct{ color, dash, label string }

func legend(b *strings.Builder, x, y float64, items []legendItem) {
	for i, it := range items {
		yy := y + float64(i)*16
		dash := ""
		if it.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray=%q`, it.dash)
		}
		fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="%g" y2="%g" stroke="%s" stroke-width="2"%s/>`+"\n", x, x+18, yy, yy, it.color, dash)
		fmt.Fprintf(b, `<text x="%g" y="%g" dy="4" font-size="11">%s</text>`+"\n", x+24, yy, esc(it.label))
	}
}

// niceStep rounds v up to 1, 2 or 5 times a power of ten.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// niceScale returns an axis top at or above v and a tick step.
func niceScale(v float64) (top, step float64) {
	if v <= 0 {
		return 1, 1
	}
	step = niceStep(v / 5)
	return math.Ceil(v/step) * step, step
}

func fmtTick(v float64) string {
	if v >= 1000 && math.Mod(v, 1000) == 0 {
		return fmt.Sprintf("%gk", v/1000)
	}
	return fmt.Sprintf("%g", v)
}
