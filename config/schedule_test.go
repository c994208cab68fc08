package config

import (
	"strings"
	"testing"
	"time"
)

// TestPollingKeys covers the polling settings: their defaults, per-feed
// overrides, and the errors a user gets for values that cannot work.
func TestPollingKeys(t *testing.T) {
	good := `min_interval: 5m
max_interval: 2d
per_host: 4
keep_raw: 0s
allow_private: true
feeds:
  - name: a
    url: https://a.example/rss
    full_content: true
    max_interval: 6h
  - name: b
    url: https://b.example/rss
`
	c, err := Parse(strings.NewReader(good), "good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.PerHost != 4 || c.KeepRaw != 0 || !c.AllowPrivate || !c.Feeds[0].FullContent || c.Feeds[1].FullContent {
		t.Errorf("parsed %+v", c)
	}
	if lo, hi := c.FeedIntervals(c.Feeds[0]); lo != 5*time.Minute || hi != 6*time.Hour {
		t.Errorf("feed a intervals %s..%s, want 5m..6h", lo, hi)
	}
	if lo, hi := c.FeedIntervals(c.Feeds[1]); lo != 5*time.Minute || hi != 48*time.Hour {
		t.Errorf("feed b intervals %s..%s, want the global 5m..48h", lo, hi)
	}
	if d := Default(); d.PerHost != 2 || time.Duration(d.MaxInterval) != 24*time.Hour || time.Duration(d.KeepRaw) != 7*24*time.Hour {
		t.Errorf("defaults: per_host %d, max_interval %s, keep_raw %s", d.PerHost, d.MaxInterval, d.KeepRaw)
	}

	bad := `min_interval: 3h
max_interval: 1h
per_host: 0
keep_raw: -1h
feeds:
  - name: a
    url: https://a.example/rss
    min_interval: -5m
`
	_, err = Parse(strings.NewReader(bad), "bad.yaml")
	if err == nil {
		t.Fatal("bad polling settings accepted")
	}
	for _, want := range []string{
		`bad.yaml:1:15: min_interval: 3h0m0s is longer than max_interval 1h0m0s`,
		`bad.yaml:3:11: per_host: must be at least 1`,
		`bad.yaml:4:11: keep_raw: must not be negative`,
		`bad.yaml:8:19: feeds[0].min_interval: must not be negative`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}
