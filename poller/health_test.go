package poller

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSchedulerHealth(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>One</title><link>https://t.example/1</link><guid>1</guid></item></channel></rss>`)
	}))
	defer srv.Close()
	db := openDB(t)

	tests := []struct {
		name  string
		feeds []Feed
	}{
		{"no feeds", nil},
		{"one feed every second", []Feed{{Name: "t", URL: srv.URL, Schedule: "@every 1s"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Scheduler{Pipeline: newPipeline(t, db), Feeds: tt.feeds, Concurrency: 2, Grace: 2 * time.Second}
			if err := s.Health(time.Now()); err == nil || !strings.Contains(err.Error(), "not running") {
				t.Errorf("before Run: %v, want not running", err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			// Healthy from the start, before any tick is due.
			deadline := time.Now().Add(10 * time.Second)
			for s.Health(time.Now()) != nil && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if err := s.Health(time.Now()); err != nil {
				t.Fatalf("running: %v", err)
			}
			if len(tt.feeds) > 0 {
				for s.LastTick().IsZero() && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				last := s.LastTick()
				if last.IsZero() {
					t.Fatal("no tick within 10s of a schedule of one second")
				}
				if err := s.Health(time.Now()); err != nil {
					t.Errorf("after a tick: %v", err)
				}
				// Had the clock stopped after that tick, it would be unhealthy
				// once the next tick is more than the grace late.
				err := s.Health(last.Add(5 * time.Second))
				if err == nil || !strings.Contains(err.Error(), "missed the ticks of 1 feeds (t)") {
					t.Errorf("5s after the last tick: %v, want a missed tick of t", err)
				}
			} else if err := s.Health(time.Now().Add(24 * time.Hour)); err != nil {
				t.Errorf("no feeds, a day later: %v, want healthy", err)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if err := s.Health(time.Now()); err == nil || !strings.Contains(err.Error(), "not running") {
				t.Errorf("after the scheduler stopped: %v, want not running", err)
			}
		})
	}
}
