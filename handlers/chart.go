package handlers

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// FunnelStep is one step of the weekly funnel, such as leads, qualified,
// opportunities or won, with how many reached it.
type FunnelStep struct {
	Label string
	Count int
}

// StageBar is one stage of the open pipeline: how many opportunities are in
// it, and their amount and weighted amount already formatted in the team's
// currency (e.g. "¥12.5M"), so that the chart does no money arithmetic.
type StageBar struct {
	Label    string
	Count    int
	Amount   string
	Weighted string
}

// Chart is the picture posted with the weekly digest: a title and subtitle,
// the funnel on the left and the pipeline by stage on the right.
//
// The text is drawn with the Go fonts (Go Regular and Go Bold, by Bigelow &
// Holmes, under the Go project's BSD-style licence), which cover Latin,
// Greek, Cyrillic and common symbols such as ¥, € and · but no Japanese: a
// character the font lacks is drawn as '?' (so "リード" becomes "???"),
// rather than as an empty box. Give labels in a script the font has.
type Chart struct {
	Title    string
	Subtitle string
	Funnel   []FunnelStep // drawn top to bottom; each step's conversion is from the step above
	Stages   []StageBar   // drawn top to bottom and numbered from 1
}

// The chart is 1200×800: large enough to stay legible when Slack shrinks it
// to a phone's width, small enough to upload in a blink.
const (
	chartWidth  = 1200
	chartHeight = 800

	chartMargin   = 48
	chartGutter   = 48
	chartPanelW   = (chartWidth - 2*chartMargin - chartGutter) / 2
	chartTitleY   = 84  // baseline of the title
	chartSubY     = 124 // baseline of the subtitle
	chartRuleY    = 150 // the rule under them
	chartHeadingY = 204 // baseline of the panel headings
	chartBodyTop  = 236
	chartBodyBot  = chartHeight - chartMargin

	chartFunnelMaxRows = 6
	chartStageMaxRows  = 8   // leaves each row room for its label, bar and weighted amount
	chartWeightedW     = 136 // the column of weighted amounts right of the stage bars
)

// chartRGB is an opaque colour written 0xRRGGBB, so that the palette can be
// constants.
type chartRGB uint32

// Colours: one hue per half, grey text, white ground.
const (
	chartPaper    chartRGB = 0xffffff
	chartInk      chartRGB = 0x111827
	chartMuted    chartRGB = 0x4b5563
	chartFaint    chartRGB = 0x9ca3af
	chartRule     chartRGB = 0xe5e7eb
	chartFunnelHi chartRGB = 0x2563eb // first step
	chartFunnelLo chartRGB = 0x1e3a8a // last step
	chartFunnelBg chartRGB = 0xe0eafd // the connectors between steps
	chartStage    chartRGB = 0x059669
	chartStageBg  chartRGB = 0xecf7f2 // the track behind a stage bar
)

func (c chartRGB) rgba() color.RGBA {
	return color.RGBA{uint8(c >> 16), uint8(c >> 8), uint8(c), 0xff}
}

// PNG renders the chart as a 1200×800 PNG image. An empty chart, with no
// counts in the funnel and no stage, says "No data this week"; so does an
// empty half. Text too wide for its place is cut short with an ellipsis, and
// past 6 funnel steps or 8 stages the last row says how many more there are.
func (c Chart) PNG() ([]byte, error) {
	p, err := newChartPainter()
	if err != nil {
		return nil, fmt.Errorf("handlers: chart: %w", err)
	}
	c.draw(p)
	var buf bytes.Buffer
	buf.Grow(64 << 10)
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, p.img); err != nil {
		return nil, fmt.Errorf("handlers: chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

func (c Chart) draw(p *chartPainter) {
	p.fill(p.img.Bounds(), chartPaper)

	// Header.
	x0, x1 := chartMargin, chartWidth-chartMargin
	p.text(p.faces.title, c.Title, x0, chartTitleY, x1-x0, chartInk, chartLeft)
	p.text(p.faces.subtitle, c.Subtitle, x0, chartSubY, x1-x0, chartMuted, chartLeft)
	p.fill(image.Rect(x0, chartRuleY, x1, chartRuleY+2), chartRule)

	hasFunnel := false
	for _, s := range c.Funnel {
		hasFunnel = hasFunnel || s.Count > 0
	}
	if !hasFunnel && len(c.Stages) == 0 {
		p.text(p.faces.empty, "No data this week", chartWidth/2, (chartRuleY+chartBodyBot)/2+12, chartWidth, chartFaint, chartCentre)
		return
	}

	// Two panels split by a hairline.
	left := image.Rect(chartMargin, chartHeadingY-32, chartMargin+chartPanelW, chartBodyBot)
	right := image.Rect(chartWidth-chartMargin-chartPanelW, left.Min.Y, chartWidth-chartMargin, chartBodyBot)
	p.fill(image.Rect(chartWidth/2-1, left.Min.Y, chartWidth/2+1, chartBodyBot), chartRule)

	if hasFunnel {
		c.drawFunnel(p, left)
	} else {
		p.heading(left, "Funnel", "")
		p.text(p.faces.emptyRow, "No data this week", left.Min.X+left.Dx()/2, (chartBodyTop+chartBodyBot)/2, left.Dx(), chartFaint, chartCentre)
	}
	if len(c.Stages) > 0 {
		c.drawStages(p, right)
	} else {
		p.heading(right, "Pipeline by stage", "")
		p.text(p.faces.emptyRow, "No data this week", right.Min.X+right.Dx()/2, (chartBodyTop+chartBodyBot)/2, right.Dx(), chartFaint, chartCentre)
	}
}

// heading writes the title of panel r, and a note on its right that says
// how to read it.
func (p *chartPainter) heading(r image.Rectangle, title, note string) {
	noteW := 0
	if note != "" {
		note = p.fit(p.faces.note, note, r.Dx()/2)
		noteW = font.MeasureString(p.faces.note, note).Ceil()
		p.text(p.faces.note, note, r.Max.X, chartHeadingY, noteW, chartMuted, chartRight)
	}
	p.text(p.faces.heading, title, r.Min.X, chartHeadingY, r.Dx()-noteW-16, chartInk, chartLeft)
}

// chartRows splits the body of a panel into n rows of at most maxH pixels,
// from the top; past max rows, the last row says how many more there are.
func chartRows(n, maxRows, maxH int) (rows []image.Rectangle, more int) {
	if n > maxRows {
		n, more = maxRows, n-maxRows+1
	}
	h := min((chartBodyBot-chartBodyTop)/max(n, 1), maxH)
	for i := range n {
		rows = append(rows, image.Rect(0, chartBodyTop+i*h, 0, chartBodyTop+(i+1)*h))
	}
	return rows, more
}

func (c Chart) drawFunnel(p *chartPainter, r image.Rectangle) {
	p.heading(r, "Funnel", "count (step conversion)")
	rows, more := chartRows(len(c.Funnel), chartFunnelMaxRows, 132)
	steps := make([]FunnelStep, len(rows)-min(more, 1))
	for i := range steps {
		steps[i] = c.Funnel[i]
		steps[i].Count = max(steps[i].Count, 0) // a count below zero is a bug upstream, not a bar
	}
	top := 0
	for _, s := range steps {
		top = max(top, s.Count)
	}
	labelFace, valueFace := p.faces.step, p.faces.value
	cx := r.Min.X + r.Dx()/2

	bars := make([]image.Rectangle, len(steps))
	for i, s := range steps {
		row := rows[i]
		h := min(max(row.Dy()-34-20, 24), 72)
		y := row.Min.Y + 34
		if s.Count <= 0 {
			bars[i] = image.Rect(cx, y, cx, y+h) // empty: no bar, but a place for the value
			continue
		}
		w := max(int(math.Round(float64(s.Count)/float64(top)*float64(r.Dx()))), 8)
		bars[i] = image.Rect(cx-w/2, y, cx-w/2+w, y+h)
	}

	// Connectors first, so that the labels sit on top of them.
	for i := 1; i < len(bars); i++ {
		a, b := bars[i-1], bars[i]
		if a.Empty() || b.Empty() {
			continue
		}
		p.polygon(chartFunnelBg,
			image.Pt(a.Min.X, a.Max.Y), image.Pt(a.Max.X, a.Max.Y), image.Pt(b.Max.X, b.Min.Y), image.Pt(b.Min.X, b.Min.Y))
	}
	for i, s := range steps {
		bar := bars[i]
		p.text(labelFace, s.Label, cx, rows[i].Min.Y+24, r.Dx(), chartMuted, chartCentre)
		value := chartCount(s.Count)
		if i > 0 {
			value += stepConversion(s.Count, steps[i-1].Count)
		}
		valueW := font.MeasureString(valueFace, value).Ceil()
		baseline := chartCentreBaseline(valueFace, bar)
		switch {
		case bar.Empty():
			p.text(valueFace, value, cx, baseline, r.Dx(), chartFaint, chartCentre)
		case valueW+32 <= bar.Dx():
			p.roundRect(bar, 6, chartLerp(chartFunnelHi, chartFunnelLo, i, len(steps)))
			p.text(valueFace, value, cx, baseline, bar.Dx(), chartPaper, chartCentre)
		default: // too narrow to hold its value: write it beside the bar
			p.roundRect(bar, 6, chartLerp(chartFunnelHi, chartFunnelLo, i, len(steps)))
			p.text(valueFace, value, bar.Max.X+12, baseline, r.Max.X-bar.Max.X-12, chartInk, chartLeft)
		}
	}
	if more > 0 {
		p.text(labelFace, fmt.Sprintf("+%d more steps", more), cx, rows[len(rows)-1].Min.Y+24, r.Dx(), chartMuted, chartCentre)
	}
}

func (c Chart) drawStages(p *chartPainter, r image.Rectangle) {
	p.heading(r, "Pipeline by stage", "weighted")
	rows, more := chartRows(len(c.Stages), chartStageMaxRows, 84)
	stages := c.Stages[:len(rows)]
	if more > 0 {
		stages = stages[:len(stages)-1]
	}
	top := 0
	for _, s := range stages {
		top = max(top, s.Count)
	}
	nameFace, detailFace, weightedFace := p.faces.stage, p.faces.detail, p.faces.detail
	trackW := r.Dx() - chartWeightedW
	for i, s := range stages {
		row := rows[i]
		baseline := row.Min.Y + 24

		// "3 Value proposition · 12 · ¥12.5M": the name gives way to the numbers.
		detail := " · " + chartCount(s.Count)
		if s.Amount != "" {
			detail += " · " + s.Amount
		}
		detail = p.fit(detailFace, detail, r.Dx()/2)
		detailW := font.MeasureString(detailFace, detail).Ceil()
		name := p.fit(nameFace, strconv.Itoa(i+1)+" "+s.Label, r.Dx()-detailW)
		nameW := font.MeasureString(nameFace, name).Ceil()
		p.text(nameFace, name, r.Min.X, baseline, nameW, chartInk, chartLeft)
		p.text(detailFace, detail, r.Min.X+nameW, baseline, detailW, chartMuted, chartLeft)

		h := min(max(row.Dy()-38-12, 10), 26)
		track := image.Rect(r.Min.X, row.Min.Y+38, r.Min.X+trackW, row.Min.Y+38+h)
		p.roundRect(track, 4, chartStageBg)
		if s.Count > 0 && top > 0 {
			w := max(int(math.Round(float64(s.Count)/float64(top)*float64(trackW))), 6)
			p.roundRect(image.Rect(track.Min.X, track.Min.Y, track.Min.X+w, track.Max.Y), 4, chartStage)
		}
		p.text(weightedFace, s.Weighted, r.Max.X, chartCentreBaseline(weightedFace, track), chartWeightedW-12, chartInk, chartRight)
	}
	if more > 0 {
		p.text(detailFace, fmt.Sprintf("+%d more stages", more), r.Min.X, rows[len(rows)-1].Min.Y+24, r.Dx(), chartMuted, chartLeft)
	}
}

// stepConversion is " (35%)": count as a share of the step before, or ""
// when the step before had none.
func stepConversion(count, prev int) string {
	switch {
	case prev <= 0:
		return ""
	case count > 0 && count*100 < prev:
		return " (<1%)"
	}
	return " (" + strconv.Itoa(int(math.Round(float64(count)*100/float64(prev)))) + "%)"
}

// chartCount writes n with thousands separators: 12,345.
func chartCount(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// chartLerp is the colour of step i of n, from a to b.
func chartLerp(a, b chartRGB, i, n int) chartRGB {
	if n < 2 {
		return a
	}
	t := float64(i) / float64(n-1)
	mix := func(shift uint) chartRGB {
		x, y := float64(a>>shift&0xff), float64(b>>shift&0xff)
		return chartRGB(math.Round(x+t*(y-x))) << shift
	}
	return mix(16) | mix(8) | mix(0)
}

// chartCentreBaseline is the baseline that centres capitals of face in r.
func chartCentreBaseline(face font.Face, r image.Rectangle) int {
	m := face.Metrics()
	capH := m.CapHeight.Round()
	if capH <= 0 {
		capH = m.Ascent.Round() * 7 / 10
	}
	return r.Min.Y + (r.Dy()+capH)/2
}

type chartAlign int

const (
	chartLeft chartAlign = iota
	chartCentre
	chartRight
)

// chartPainter draws on one image; it is used by one goroutine for one
// chart. The fonts are parsed for each chart: that takes tens of
// microseconds, and keeps the package free of shared state.
type chartPainter struct {
	img      *image.RGBA
	reg      *opentype.Font
	faces    chartFaces
	ras      vector.Rasterizer
	glyphBuf sfnt.Buffer
	clean    strings.Builder
	uniform  image.Uniform
}

// chartFaces are the type sizes of the chart, in pixels.
type chartFaces struct {
	title, subtitle font.Face // 40 bold, 24
	heading, note   font.Face // 28 bold, 20
	step, value     font.Face // 24, 26 bold
	stage, detail   font.Face // 24 bold, 24
	empty, emptyRow font.Face // 36 bold, 26
}

func newChartPainter() (*chartPainter, error) {
	reg, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("parse go regular font: %w", err)
	}
	bld, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("parse go bold font: %w", err)
	}
	p := &chartPainter{img: image.NewRGBA(image.Rect(0, 0, chartWidth, chartHeight)), reg: reg}
	for _, f := range []struct {
		face *font.Face
		fnt  *opentype.Font
		size float64
	}{
		{&p.faces.title, bld, 40}, {&p.faces.subtitle, reg, 24},
		{&p.faces.heading, bld, 28}, {&p.faces.note, reg, 20},
		{&p.faces.step, reg, 24}, {&p.faces.value, bld, 26},
		{&p.faces.stage, bld, 24}, {&p.faces.detail, reg, 24},
		{&p.faces.empty, bld, 36}, {&p.faces.emptyRow, reg, 26},
	} {
		// At 72 DPI a point is a pixel.
		face, err := opentype.NewFace(f.fnt, &opentype.FaceOptions{Size: f.size, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			return nil, fmt.Errorf("new %vpx face: %w", f.size, err)
		}
		*f.face = face
	}
	return p, nil
}

// sanitize replaces what the Go fonts cannot draw: control characters by a
// space, and characters the font lacks (Japanese, emoji) by '?'. The middle
// dot, which the Go fonts set as high as a hyphen's top, becomes the bullet
// operator, which sits in the middle of the line.
func (p *chartPainter) sanitize(s string) string {
	ok := true
	for _, r := range s {
		if r == '·' || !p.hasGlyph(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	p.clean.Reset()
	for _, r := range s {
		switch {
		case r == '·':
			p.clean.WriteRune('∙')
		case unicode.IsControl(r) || unicode.IsSpace(r):
			p.clean.WriteByte(' ')
		case !p.hasGlyph(r):
			p.clean.WriteByte('?')
		default:
			p.clean.WriteRune(r)
		}
	}
	return p.clean.String()
}

func (p *chartPainter) hasGlyph(r rune) bool {
	if r == ' ' {
		return true
	}
	if unicode.IsControl(r) || unicode.IsSpace(r) || r == utf8.RuneError {
		return false
	}
	x, err := p.reg.GlyphIndex(&p.glyphBuf, r)
	return err == nil && x != 0
}

// fit shortens s with an ellipsis until it is at most w pixels wide.
func (p *chartPainter) fit(face font.Face, s string, w int) string {
	s = p.sanitize(s)
	if font.MeasureString(face, s).Ceil() <= w {
		return s
	}
	// Find the longest prefix that fits by bisection: a team name of
	// thousands of characters must not cost a measure for each.
	runes := []rune(s)
	cut := func(n int) string { return strings.TrimRight(string(runes[:n]), " ∙") + "…" }
	lo, hi := 0, len(runes) // cut(lo) fits, or lo is 0; cut(hi) does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if font.MeasureString(face, cut(mid)).Ceil() <= w {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo == 0 {
		return ""
	}
	return cut(lo)
}

// text draws s with its baseline at y, starting at x, centred on x, or
// ending at x; it is shortened to fit in w pixels.
func (p *chartPainter) text(face font.Face, s string, x, y, w int, c chartRGB, align chartAlign) {
	s = p.fit(face, s, w)
	if s == "" {
		return
	}
	switch adv := font.MeasureString(face, s).Ceil(); align {
	case chartCentre:
		x -= adv / 2
	case chartRight:
		x -= adv
	}
	p.uniform.C = c.rgba()
	d := font.Drawer{Dst: p.img, Src: &p.uniform, Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func (p *chartPainter) fill(r image.Rectangle, rgb chartRGB) {
	c := rgb.rgba()
	r = r.Intersect(p.img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := p.img.Pix[p.img.PixOffset(r.Min.X, y):p.img.PixOffset(r.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = c.R, c.G, c.B, c.A
		}
	}
}

// roundRect fills r with corners of radius rad, anti-aliased.
func (p *chartPainter) roundRect(r image.Rectangle, rad float32, c chartRGB) {
	if r.Empty() {
		return
	}
	w, h := float32(r.Dx()), float32(r.Dy())
	rad = min(rad, w/2, h/2)
	const k = 0.5523 // control distance of a cubic Bézier quarter circle
	p.ras.Reset(r.Dx(), r.Dy())
	z := &p.ras
	z.MoveTo(rad, 0)
	z.LineTo(w-rad, 0)
	z.CubeTo(w-rad+k*rad, 0, w, rad-k*rad, w, rad)
	z.LineTo(w, h-rad)
	z.CubeTo(w, h-rad+k*rad, w-rad+k*rad, h, w-rad, h)
	z.LineTo(rad, h)
	z.CubeTo(rad-k*rad, h, 0, h-rad+k*rad, 0, h-rad)
	z.LineTo(0, rad)
	z.CubeTo(0, rad-k*rad, rad-k*rad, 0, rad, 0)
	z.ClosePath()
	p.uniform.C = c.rgba()
	z.Draw(p.img, r, &p.uniform, image.Point{})
}

// polygon fills the polygon through pts, anti-aliased.
func (p *chartPainter) polygon(c chartRGB, pts ...image.Point) {
	if len(pts) < 3 {
		return
	}
	b := image.Rectangle{Min: pts[0], Max: pts[0]}
	for _, q := range pts[1:] {
		b = b.Union(image.Rectangle{Min: q, Max: q.Add(image.Pt(1, 1))})
	}
	b = b.Intersect(p.img.Bounds())
	if b.Empty() {
		return
	}
	p.ras.Reset(b.Dx(), b.Dy())
	p.ras.MoveTo(float32(pts[0].X-b.Min.X), float32(pts[0].Y-b.Min.Y))
	for _, q := range pts[1:] {
		p.ras.LineTo(float32(q.X-b.Min.X), float32(q.Y-b.Min.Y))
	}
	p.ras.ClosePath()
	p.uniform.C = c.rgba()
	p.ras.Draw(p.img, b, &p.uniform, image.Point{})
}
