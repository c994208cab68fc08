package poller

import (
	"testing"
	"time"
)

// TestEveryScheduleAligned: processes started at different moments tick
// at the same instants on an "@every" schedule, so they share rounds.
func TestEveryScheduleAligned(t *testing.T) {
	tests := []struct {
		spec   string
		starts []time.Time
		want   time.Time
	}{
		{"@every 15m", []time.Time{time.Date(2026, 3, 1, 12, 0, 1, 0, time.UTC), time.Date(2026, 3, 1, 12, 14, 59, 0, time.UTC)},
			time.Date(2026, 3, 1, 12, 15, 0, 0, time.UTC)},
		{"@every 2s", []time.Time{time.Date(2026, 3, 1, 12, 0, 0, 1, time.UTC), time.Date(2026, 3, 1, 12, 0, 1, 900_000_000, time.UTC)},
			time.Date(2026, 3, 1, 12, 0, 2, 0, time.UTC)},
		{"@every 1h", []time.Time{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 12, 59, 0, 0, time.UTC)},
			time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		s, err := ParseSchedule(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, start := range tt.starts {
			if got := s.Next(start); !got.Equal(tt.want) {
				t.Errorf("%s from %s: next %s, want %s", tt.spec, start.Format(time.RFC3339Nano), got, tt.want)
			}
		}
		d, _ := time.ParseDuration(tt.spec[len("@every "):])
		if p := Period(s, tt.starts[0]); p != d {
			t.Errorf("%s: period %s", tt.spec, p)
		}
	}
}

func TestRoundStart(t *testing.T) {
	tick := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		now    time.Time
		period time.Duration
		want   time.Time
	}{
		{"just after the tick", tick.Add(100 * time.Millisecond), 4 * time.Second, tick.Add(100*time.Millisecond - 2*time.Second)},
		{"late in the round", tick.Add(3 * time.Second), 4 * time.Second, tick},
		{"quarter-hour cron", tick.Add(14 * time.Minute), 15 * time.Minute, tick},
		{"unknown period", tick, 0, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := roundStart(tt.now, tt.period); !got.Equal(tt.want) {
				t.Errorf("roundStart(%v, %v) = %v, want %v", tt.now, tt.period, got, tt.want)
			}
		})
	}
}
