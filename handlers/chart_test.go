package handlers_test

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/touchbase/touchbase/handlers"
)

var update = flag.Bool("update", false, "rewrite the example images in testdata")

// exampleChart is a typical Monday: a funnel of four steps and seven open stages.
func exampleChart() handlers.Chart {
	return handlers.Chart{
		Title:    "Weekly digest · Enterprise East",
		Subtitle: "Week of 2026-05-04 · 18 reps · pipeline ¥238.4M, weighted ¥96.1M",
		Funnel: []handlers.FunnelStep{
			{Label: "Leads", Count: 120},
			{Label: "Qualified", Count: 42},
			{Label: "Opportunities", Count: 17},
			{Label: "Won", Count: 5},
		},
		Stages: []handlers.StageBar{
			{Label: "Discovery", Count: 14, Amount: "¥31.0M", Weighted: "¥0"},
			{Label: "Needs definition", Count: 11, Amount: "¥42.7M", Weighted: "¥6.4M"},
			{Label: "Value proposition", Count: 12, Amount: "¥12.5M", Weighted: "¥3.1M"},
			{Label: "Decision-maker approval", Count: 8, Amount: "¥58.2M", Weighted: "¥29.1M"},
			{Label: "Risk removal", Count: 5, Amount: "¥40.0M", Weighted: "¥28.0M"},
			{Label: "Contract agreement", Count: 3, Amount: "¥36.0M", Weighted: "¥32.4M"},
			{Label: "Paperwork", Count: 0, Amount: "¥0", Weighted: "¥0"},
		},
	}
}

// manyStages is n stages with long Japanese names, more than a chart shows.
func manyStages(n int) []handlers.StageBar {
	s := make([]handlers.StageBar, n)
	for i := range s {
		s[i] = handlers.StageBar{Label: "初回訪問 and a very long stage name besides", Count: (i + 1) * 1000, Amount: "¥1,234.5M", Weighted: "¥999.9M"}
	}
	return s
}

// renderChart renders c and decodes it back, failing the test on any error.
func renderChart(tb testing.TB, c handlers.Chart) *image.RGBA {
	tb.Helper()
	b, err := c.PNG()
	if err != nil {
		tb.Fatalf("PNG: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("decode: %v", err)
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	return rgba
}

// isFunnelBlue reports whether c is the fill of a funnel bar (a saturated
// blue), not text, a connector's pale tint or the white ground.
func isFunnelBlue(c color.RGBA) bool {
	r, g, b := int(c.R), int(c.G), int(c.B)
	return b > 0x70 && b > r+0x50 && b > g+0x30
}

// isStageGreen reports whether c is the fill of a stage bar.
func isStageGreen(c color.RGBA) bool {
	r, g, b := int(c.R), int(c.G), int(c.B)
	return g > 0x70 && g > r+0x60 && g > b+0x20
}

// bands finds the horizontal bars of one colour between x0 and x1: the
// runs of rows holding that colour, and for each its widest extent.
func bands(img *image.RGBA, x0, x1 int, is func(color.RGBA) bool) (widths []int, rows [][2]int) {
	in := false
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		lo, hi := -1, -1
		for x := x0; x < x1; x++ {
			if is(img.RGBAAt(x, y)) {
				if lo < 0 {
					lo = x
				}
				hi = x
			}
		}
		switch {
		case lo >= 0 && !in:
			in = true
			widths = append(widths, hi-lo+1)
			rows = append(rows, [2]int{y, y + 1})
		case lo >= 0:
			widths[len(widths)-1] = max(widths[len(widths)-1], hi-lo+1)
			rows[len(rows)-1][1] = y + 1
		default:
			in = false
		}
	}
	return widths, rows
}

// inked counts the pixels in r that are not white.
func inked(img *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := img.RGBAAt(x, y); c.R&c.G&c.B != 0xff {
				n++
			}
		}
	}
	return n
}

func TestChart_PNG(t *testing.T) {
	// Rendering is slow under -race: let the chart tests share the cores.
	t.Parallel()
	const w, h = 1200, 800 // as designed: legible at a phone's width
	for _, tt := range []struct {
		name   string
		chart  handlers.Chart
		funnel int // funnel bars expected
		stages int // stage bars expected
	}{
		// Ensure a typical week draws four funnel bars and six stage bars (Paperwork is empty).
		{"Example", exampleChart(), 4, 6},
		// Ensure an empty chart is still a valid image of the same size.
		{"Empty", handlers.Chart{Title: "Weekly digest"}, 0, 0},
		// Ensure a funnel of zeros counts as no data.
		{"ZeroFunnel", handlers.Chart{Funnel: []handlers.FunnelStep{{"Leads", 0}, {"Won", 0}}}, 0, 0},
		// Ensure one half may be empty.
		{"NoStages", handlers.Chart{Funnel: exampleChart().Funnel}, 4, 0},
		{"NoFunnel", handlers.Chart{Stages: exampleChart().Stages}, 0, 6},
		// Ensure long labels, many rows and odd counts render.
		{"Crowded", handlers.Chart{
			Title:  "A title far too long to fit on one line of the chart, which must be shortened with an ellipsis rather than run off",
			Funnel: []handlers.FunnelStep{{"a", 1_000_000}, {"b", 999_999}, {"c", 3}, {"d", -4}, {"e", 2}, {"f", 1}, {"g", 1}, {"h", 1}},
			Stages: manyStages(14),
		}, 4, 7},
		// Ensure a huge title is cut short without measuring every prefix.
		{"HugeTitle", handlers.Chart{Title: strings.Repeat("Enterprise East ", 2000), Stages: exampleChart().Stages}, 0, 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			img := renderChart(t, tt.chart)
			if got, want := img.Bounds(), image.Rect(0, 0, w, h); got != want {
				t.Fatalf("Bounds=%v, want %v", got, want)
			}
			if got, _ := bands(img, 0, w/2, isFunnelBlue); len(got) != tt.funnel {
				t.Fatalf("funnel bars=%d, want %d", len(got), tt.funnel)
			}
			if got, _ := bands(img, w/2, w, isStageGreen); len(got) != tt.stages {
				t.Fatalf("stage bars=%d, want %d", len(got), tt.stages)
			}
		})
	}
}

// Ensure funnel bars shrink with their counts and are as wide as their share of the largest.
func TestChart_PNG_FunnelWidths(t *testing.T) {
	t.Parallel()
	img := renderChart(t, exampleChart())
	widths, _ := bands(img, 0, 600, isFunnelBlue)
	if len(widths) != 4 {
		t.Fatalf("bars=%d, want 4", len(widths))
	}
	for i := 1; i < len(widths); i++ {
		if widths[i] >= widths[i-1] {
			t.Fatalf("bar %d is %dpx, not narrower than bar %d at %dpx", i, widths[i], i-1, widths[i-1])
		}
	}
	// 42 of 120 leads: 35% of the first bar, give or take a pixel of anti-aliasing.
	if got, want := float64(widths[1])/float64(widths[0]), 42.0/120; got < want-0.01 || got > want+0.01 {
		t.Fatalf("qualified/leads width=%.3f, want %.3f", got, want)
	}
}

// Ensure stage bars are proportional to their counts.
func TestChart_PNG_StageWidths(t *testing.T) {
	t.Parallel()
	img := renderChart(t, exampleChart())
	widths, _ := bands(img, 600, 1200, isStageGreen)
	if len(widths) != 6 {
		t.Fatalf("bars=%d, want 6", len(widths))
	}
	if got, want := float64(widths[5])/float64(widths[0]), 3.0/14; got < want-0.01 || got > want+0.01 {
		t.Fatalf("contract/discovery width=%.3f, want %.3f", got, want)
	}
}

// Ensure a zero-count step draws no bar, but its label and count.
func TestChart_PNG_ZeroStep(t *testing.T) {
	t.Parallel()
	c := exampleChart()
	c.Funnel[3].Count = 0
	img := renderChart(t, c)
	_, rows := bands(img, 0, 600, isFunnelBlue)
	if len(rows) != 3 {
		t.Fatalf("bars=%d, want 3", len(rows))
	}
	below := image.Rect(0, rows[2][1], 600, 800)
	if got := inked(img, below); got == 0 {
		t.Fatal("nothing drawn below the last bar, want the zero step's label")
	}

	// The label is the difference from the same chart with the label blank.
	c.Funnel[3].Label = ""
	blank := renderChart(t, c)
	if inked(blank, below) >= inked(img, below) {
		t.Fatal("the zero step's label drew nothing")
	}
}

// Ensure a character the Go fonts lack is drawn as '?', not as a box.
func TestChart_PNG_MissingGlyphs(t *testing.T) {
	t.Parallel()
	c := exampleChart()
	c.Funnel[0].Label, c.Stages[0].Label = "リード", "初回訪問"
	got := renderChart(t, c)
	c.Funnel[0].Label, c.Stages[0].Label = "???", "????"
	want := renderChart(t, c)
	if !bytes.Equal(got.Pix, want.Pix) {
		t.Fatal("Japanese labels differ from '?' placeholders")
	}
}

// TestChart_Example writes the example chart for people to look at: into a
// temporary directory, or into testdata/chart with
//
//	go test ./handlers -run TestChart_Example -update
func TestChart_Example(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]handlers.Chart{
		"example.png": exampleChart(),
		"empty.png":   {Title: "Weekly digest · Enterprise East", Subtitle: "Week of 2026-05-04"},
	} {
		b, err := c.PNG()
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if *update {
			dir = filepath.Join("testdata", "chart")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", filepath.Join(dir, name), len(b))
	}
}

func BenchmarkChartPNG(b *testing.B) {
	c := exampleChart()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.PNG(); err != nil {
			b.Fatal(err)
		}
	}
}
