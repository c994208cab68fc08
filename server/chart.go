package server

import (
	"fmt"
	"strconv"
	"time"
)

// Chart geometry, in SVG user units: one bar a day, a gap between bars.
const (
	chartBarWidth = 3
	chartBarStep  = 4
	chartHeight   = 24
)

// chart is an inline SVG bar chart of new items per day, laid out here so
// that the template only prints numbers and escaped text.
type chart struct {
	Width, Height int
	// Label is the chart's text alternative (aria-label).
	Label string
	Total int
	Days  []chartDay
}

// chartDay is one day's bar; Height is 0 on a day without items.
type chartDay struct {
	X, Y, Height float64
	Count        int
	// Title is the day's tooltip: its date and count.
	Title string
}

// newChart lays out counts (oldest day first, the last being the day of
// start+len-1) as bars scaled to the busiest day. A day with items is at
// least one unit high, so a quiet day next to a busy one still shows.
func newChart(counts []int, start time.Time) chart {
	c := chart{Width: len(counts)*chartBarStep - (chartBarStep - chartBarWidth), Height: chartHeight}
	most, busiest := 0, ""
	for i, n := range counts {
		c.Total += n
		if n > most {
			most, busiest = n, start.AddDate(0, 0, i).Format("2 Jan")
		}
	}
	for i, n := range counts {
		day := start.AddDate(0, 0, i)
		d := chartDay{X: float64(i * chartBarStep), Count: n,
			Title: day.Format("Mon 2 Jan") + ": " + plural(n, "new item")}
		if n > 0 {
			d.Height = max(float64(n)/float64(most)*chartHeight, 1)
			d.Height, _ = strconv.ParseFloat(strconv.FormatFloat(d.Height, 'f', 2, 64), 64)
			d.Y = chartHeight - d.Height
		}
		c.Days = append(c.Days, d)
	}
	c.Label = fmt.Sprintf("New items per day over the last %d days: %s", len(counts), plural(c.Total, "item"))
	if most > 0 {
		c.Label += fmt.Sprintf(", at most %d a day (%s)", most, busiest)
	}
	return c
}

// plural formats n with noun, adding an "s" unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
