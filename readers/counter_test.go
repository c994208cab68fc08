package readers_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/feedmill/feedmill/readers"
	"github.com/feedmill/feedmill/storage"
)

var _ readers.Store = (*storage.DB)(nil)

func TestCounter(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	c := readers.NewCounter(readers.Options{Window: time.Hour, ServiceTTL: 24 * time.Hour})
	reqs := []struct {
		output, format, ua, addr string
		at                       time.Duration
	}{
		{"news", "rss", "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 40 subscribers; feed-id=a)", "10.0.0.1:5000", 0},
		// The latest count of a subscription replaces the earlier one.
		{"news", "rss", "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 subscribers; feed-id=a)", "10.0.0.2:5000", time.Minute},
		// Another subscription of the same service (the Atom URL) adds up.
		{"news", "atom", "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 8 subscribers; feed-id=b)", "10.0.0.1:5000", time.Minute},
		// No feed id: one subscription per format.
		{"news", "rss", "Mozilla/5.0 (compatible; Inoreader/1.0; +http://www.inoreader.com/feed-fetcher; 12 subscribers; )", "10.0.1.1:1", 2 * time.Minute},
		{"news", "rss", "Mozilla/5.0 (compatible; Inoreader/1.0; +http://www.inoreader.com/feed-fetcher; 11 subscribers; )", "10.0.1.2:1", 3 * time.Minute},
		// Direct clients: distinct address and User-Agent pairs.
		{"news", "atom", "NetNewsWire (RSS Reader; https://netnewswire.com/)", "192.0.2.1:40000", 0},
		{"news", "atom", "NetNewsWire (RSS Reader; https://netnewswire.com/)", "192.0.2.1:40001", 10 * time.Minute},
		{"news", "rss", "newsboat/2.36", "192.0.2.1:40002", 10 * time.Minute},
		{"news", "json", "NetNewsWire (RSS Reader; https://netnewswire.com/)", "[2001:db8::1]:443", 20 * time.Minute},
		{"other", "rss", "curl/8.5.0", "192.0.2.9:1", 0},
	}
	for _, r := range reqs {
		c.Record(r.output, r.format, r.ua, r.addr, t0.Add(r.at))
	}
	now := t0.Add(30 * time.Minute)
	got := c.Readers("news", now)
	if got.Services["Feedly"] != 50 || got.Services["Inoreader"] != 11 || got.Subscribers != 61 || got.Direct != 3 || got.Total() != 64 {
		t.Errorf("news readers at +30m: %+v", got)
	}
	if got := c.Readers("other", now); got.Direct != 1 || got.Subscribers != 0 {
		t.Errorf("other readers: %+v", got)
	}
	// Over an hour after their last requests, two direct clients expired.
	if got := c.Readers("news", t0.Add(75*time.Minute)); got.Direct != 1 || got.Subscribers != 61 {
		t.Errorf("news readers at +75m: %+v", got)
	}
	if got := c.Readers("other", t0.Add(75*time.Minute)); got.Total() != 0 {
		t.Errorf("other readers after the window: %+v", got)
	}

	// The services' counts survive a restart through the database.
	db, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := c.Save(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	restarted := readers.NewCounter(readers.Options{Window: time.Hour, ServiceTTL: 24 * time.Hour})
	if err := restarted.Load(t.Context(), db, now); err != nil {
		t.Fatal(err)
	}
	if got := restarted.Readers("news", now); got.Subscribers != 61 || got.Direct != 0 {
		t.Errorf("after a restart: %+v, want the 61 subscribers and no direct client (not kept)", got)
	}
	// A day later the services stopped fetching: their readers are gone.
	if got := restarted.Readers("news", now.Add(25*time.Hour)); got.Subscribers != 0 {
		t.Errorf("a day after the last fetch: %+v", got)
	}
	late := readers.NewCounter(readers.Options{ServiceTTL: 24 * time.Hour})
	if err := late.Load(t.Context(), db, now.Add(25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := late.Readers("news", now.Add(25*time.Hour)); got.Subscribers != 0 {
		t.Errorf("loaded expired counts: %+v", got)
	}
}

func TestCounterBoundsClients(t *testing.T) {
	c := readers.NewCounter(readers.Options{MaxClients: 100})
	now := time.Now()
	for i := range 1000 {
		c.Record("news", "rss", "bot", "10.0.0.1:"+string(rune('a'+i%26))+string(rune('a'+i/26)), now)
		c.Record("news", "rss", "bot/1.0 "+string(rune('a'+i%26))+string(rune('a'+i/26)), "10.0.0.1:1", now)
	}
	if got := c.Readers("news", now).Direct; got > 100 {
		t.Errorf("%d clients remembered, want at most 100", got)
	}
}

// TestCounterFullExpiresOncePerMinute: a full counter looks for expired
// clients at most once a minute (a scan per new client made every request
// cost a walk over all of them), yet does count new clients again once
// the old ones have expired.
func TestCounterFullExpiresOncePerMinute(t *testing.T) {
	c := readers.NewCounter(readers.Options{MaxClients: 3, Window: time.Minute})
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		c.Record("news", "rss", "reader", "10.0.0."+strconv.Itoa(i), t0)
	}
	c.Record("news", "rss", "reader", "10.0.1.1", t0.Add(50*time.Second)) // full: a scan finds nothing expired
	c.Record("news", "rss", "reader", "10.0.1.2", t0.Add(70*time.Second)) // expired now, but scanned 20 s ago
	c.Record("news", "rss", "reader", "10.0.0.0", t0.Add(70*time.Second)) // a known client is always refreshed
	c.Record("news", "rss", "reader", "10.0.1.3", t0.Add(111*time.Second))
	// At 111 s: 10.0.0.0 (seen at 70 s) and 10.0.1.3 count.
	if got := c.Readers("news", t0.Add(111*time.Second)).Direct; got != 2 {
		t.Errorf("%d direct readers, want 2 (the refreshed client and the one added after the next scan)", got)
	}
	c.Record("news", "rss", "reader", "10.0.1.4", t0.Add(112*time.Second))
	if got := c.Readers("news", t0.Add(112*time.Second)).Direct; got != 3 {
		t.Errorf("%d direct readers, want 3: there was room", got)
	}
}
