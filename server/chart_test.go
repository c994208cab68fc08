package server

import (
	"strings"
	"testing"
	"time"
)

func TestNewChart(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		counts  []int
		heights []float64
		label   string
	}{
		{"empty", []int{0, 0, 0}, []float64{0, 0, 0}, "New items per day over the last 3 days: 0 items"},
		{"scaled to the busiest day", []int{10, 5, 0, 1}, []float64{24, 12, 0, 2.4},
			"New items per day over the last 4 days: 16 items, at most 10 a day (1 Nov)"},
		{"a quiet day still shows", []int{1, 1000}, []float64{1, 24}, "New items per day over the last 2 days: 1001 items, at most 1000 a day (2 Nov)"},
		{"one item", []int{0, 1}, []float64{0, 24}, "New items per day over the last 2 days: 1 item, at most 1 a day (2 Nov)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChart(tt.counts, start)
			if c.Label != tt.label {
				t.Errorf("label %q, want %q", c.Label, tt.label)
			}
			if c.Width != len(tt.counts)*chartBarStep-1 || c.Height != chartHeight {
				t.Errorf("size %dx%d", c.Width, c.Height)
			}
			for i, d := range c.Days {
				if d.Height != tt.heights[i] || d.Y+d.Height != float64(chartHeight)*sign(d.Height) || d.Count != tt.counts[i] {
					t.Errorf("day %d: %+v, want height %v", i, d, tt.heights[i])
				}
				if want := start.AddDate(0, 0, i).Format("Mon 2 Jan") + ": "; !strings.HasPrefix(d.Title, want) {
					t.Errorf("day %d: title %q, want it to start with %q", i, d.Title, want)
				}
			}
		})
	}
}

// sign is 1 for a bar that is drawn, 0 for none.
func sign(h float64) float64 {
	if h > 0 {
		return 1
	}
	return 0
}
