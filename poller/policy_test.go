package poller

import (
	"fmt"
	"testing"
	"time"

	"github.com/feedmill/feedmill/fetcher"
	"github.com/mmcdole/gofeed"
)

func TestAfterSuccess(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC) // a Wednesday
	p := Policy{Period: 15 * time.Minute, MinInterval: 10 * time.Minute, MaxInterval: 6 * time.Hour}
	tests := []struct {
		name  string
		hints fetcher.Hints
		want  time.Time
	}{
		{"no hints: min interval", fetcher.Hints{}, now.Add(10 * time.Minute)},
		{"short max-age: min interval wins", fetcher.Hints{MaxAge: time.Minute}, now.Add(10 * time.Minute)},
		{"max-age", fetcher.Hints{MaxAge: time.Hour}, now.Add(time.Hour)},
		{"ttl", fetcher.Hints{TTL: 90 * time.Minute}, now.Add(90 * time.Minute)},
		{"expires", fetcher.Hints{Expires: now.Add(2 * time.Hour)}, now.Add(2 * time.Hour)},
		{"expires in the past", fetcher.Hints{Expires: now.Add(-time.Hour)}, now.Add(10 * time.Minute)},
		{"huge ttl capped", fetcher.Hints{TTL: 48 * time.Hour}, now.Add(6 * time.Hour)},
		{"skip hours", fetcher.Hints{SkipHours: []int{10, 11, 12}}, time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)},
		{"skip days, within max_interval", fetcher.Hints{SkipDays: []time.Weekday{time.Wednesday}, TTL: 6 * time.Hour}, now.Add(6 * time.Hour)},
		{"skip days, capped by max_interval", fetcher.Hints{SkipDays: []time.Weekday{time.Wednesday}}, now.Add(6 * time.Hour)},
		{"skipping everything is capped", fetcher.Hints{SkipHours: allHours()}, now.Add(6 * time.Hour)},
	}
	for _, tt := range tests {
		if got := p.afterSuccess(now, tt.hints, -1); !got.Equal(tt.want) {
			t.Errorf("%s: next check %v, want %v", tt.name, got, tt.want)
		}
	}
	daily := Policy{Period: 15 * time.Minute, MaxInterval: 48 * time.Hour}
	got := daily.afterSuccess(now, fetcher.Hints{SkipDays: []time.Weekday{time.Wednesday, time.Thursday}}, -1)
	if want := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("skip Wednesday and Thursday: next check %v, want %v", got, want)
	}
}

func allHours() []int {
	h := make([]int, 24)
	for i := range h {
		h[i] = i
	}
	return h
}

func TestAfterFailureBacksOff(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	p := Policy{Period: 15 * time.Minute, MaxInterval: 24 * time.Hour}
	prev := time.Duration(0)
	for n := 1; n <= 12; n++ {
		wait := p.afterFailure(now, "feed-a", n, 0).Sub(now)
		base := 15 * time.Minute << (n - 1)
		if base > 24*time.Hour {
			base = 24 * time.Hour
		}
		if wait < min(base, 24*time.Hour) || wait > min(base*12/10, 24*time.Hour) {
			t.Errorf("failure %d: wait %s, want %s to %s", n, wait, base, base*12/10)
		}
		if wait < prev {
			t.Errorf("failure %d: wait %s shorter than after failure %d (%s)", n, wait, n-1, prev)
		}
		prev = wait
	}
	if again := p.afterFailure(now, "feed-a", 3, 0); !again.Equal(p.afterFailure(now, "feed-a", 3, 0)) {
		t.Error("backoff jitter is not stable for a feed")
	}
	if got := p.afterFailure(now, "feed-a", 1, 3*time.Hour).Sub(now); got != 3*time.Hour {
		t.Errorf("Retry-After 3h: wait %s", got)
	}
	if got := p.afterFailure(now, "feed-a", 1, 72*time.Hour).Sub(now); got != 24*time.Hour {
		t.Errorf("Retry-After beyond max_interval: wait %s, want the cap", got)
	}
}

// TestOffsetSpreads: a thousand feeds on one schedule do not fire in the
// same second.
func TestOffsetSpreads(t *testing.T) {
	period := 15 * time.Minute
	perSecond := map[int64]int{}
	for i := range 1000 {
		o := Offset(fmt.Sprintf("feed-%d", i), period)
		if o < 0 || o >= 3*time.Minute {
			t.Fatalf("offset %s outside [0, period/5)", o)
		}
		if o != Offset(fmt.Sprintf("feed-%d", i), period) {
			t.Fatal("offset not stable")
		}
		perSecond[int64(o/time.Second)]++
	}
	busiest := 0
	for _, n := range perSecond {
		busiest = max(busiest, n)
	}
	if len(perSecond) < 150 || busiest > 20 {
		t.Errorf("1000 feeds over %d distinct seconds, at most %d in one: not spread", len(perSecond), busiest)
	}
}

// TestAdaptsToPublishingRate: a feed that publishes little is polled less
// often, within the bounds; a busy one on every tick.
func TestAdaptsToPublishingRate(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	p := Policy{Period: 15 * time.Minute, MaxInterval: 12 * time.Hour}
	tests := []struct {
		rate float64
		want time.Duration
	}{
		{-1, 0},                  // unknown: the schedule decides
		{200, 108 * time.Second}, // busier than the schedule: every tick
		{2, 3 * time.Hour},
		{0.5, 12 * time.Hour}, // capped
		{0, 12 * time.Hour},   // silent
	}
	for _, tt := range tests {
		if got := p.afterSuccess(now, fetcher.Hints{}, tt.rate).Sub(now); got != tt.want {
			t.Errorf("rate %v/day: wait %s, want %s", tt.rate, got, tt.want)
		}
	}

	// The average follows what the polls find.
	rate := publishRate(-1, time.Time{}, now, 50) // first poll: backlog
	if rate != -1 {
		t.Errorf("first poll set the rate to %v", rate)
	}
	last := now
	for range 10 { // a day of polls finding 1 item every 2.4h: 10/day
		next := last.Add(144 * time.Minute)
		rate = publishRate(rate, last, next, 1)
		last = next
	}
	if rate < 9.9 || rate > 10.1 {
		t.Errorf("steady 10 items a day: rate %v", rate)
	}
	for range 30 { // then silence for three days
		next := last.Add(144 * time.Minute)
		rate = publishRate(rate, last, next, 0)
		last = next
	}
	if rate > 4 {
		t.Errorf("after three silent days the rate is still %v/day", rate)
	}
}

func TestDocumentRate(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	doc := func(ages ...time.Duration) *gofeed.Feed {
		f := &gofeed.Feed{}
		for _, a := range ages {
			t := now.Add(-a)
			f.Items = append(f.Items, &gofeed.Item{PublishedParsed: &t})
		}
		return f
	}
	day := 24 * time.Hour
	tests := []struct {
		name string
		doc  *gofeed.Feed
		want float64
	}{
		{"no dates", &gofeed.Feed{Items: []*gofeed.Item{{}}}, -1},
		{"one a day for weeks", doc(0, day, 2*day, 3*day, 4*day, 5*day, 6*day, 8*day, 9*day), 1},
		{"busy: 10 items over 5 hours", doc(0, 30*time.Minute, time.Hour, 90*time.Minute, 2*time.Hour,
			150*time.Minute, 3*time.Hour, 210*time.Minute, 4*time.Hour, 5*time.Hour), 48},
		{"dormant: everything old", doc(30*day, 60*day), 0},
	}
	for _, tt := range tests {
		if got := documentRate(tt.doc, now); got != tt.want {
			t.Errorf("%s: %v items a day, want %v", tt.name, got, tt.want)
		}
	}
}
