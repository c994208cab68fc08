package websub

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"
)

// testHubServer is an external hub on 127.0.0.1 that records the publish
// pings it receives and answers them with the statuses given, in turn.
type testHubServer struct {
	srv    *httptest.Server
	mu     sync.Mutex
	pings  []url.Values
	status []int
}

func newTestHubServer(t *testing.T, status ...int) *testHubServer {
	h := &testHubServer{status: status}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("ping %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		r.ParseForm()
		h.pings = append(h.pings, r.PostForm)
		code := http.StatusNoContent
		if len(h.status) > 0 {
			code, h.status = h.status[0], h.status[1:]
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// topics returns the hub.url of each ping received, sorted.
func (h *testHubServer) topics(t *testing.T) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, p := range h.pings {
		if p.Get("hub.mode") != "publish" || p.Get("hub.topic") != p.Get("hub.url") {
			t.Errorf("ping %v: want hub.mode=publish and the topic in hub.url and hub.topic", p)
		}
		out = append(out, p.Get("hub.url"))
	}
	slices.Sort(out)
	return out
}

// TestPinger: a change of a topic pings the hub once about that topic, no
// change pings nothing, a failing hub (5xx) is pinged again, and one
// refusing the ping (4xx) is not.
func TestPinger(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status []int
		pings  int // for the one changed topic
	}{
		{"accepted", nil, 1},
		{"503 once", []int{503}, 2},
		{"always failing", []int{500, 500, 500, 500}, 3},
		{"refused", []int{400}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hub := newTestHubServer(t, tt.status...)
			p := NewPinger(hub.srv.URL+"/hub", Options{ETags: openDB(t, dbPath(t)), Attempts: 3, Backoff: time.Millisecond})
			t.Cleanup(p.Close)
			for _, tp := range []string{"a.atom", "a.rss", "b.atom"} {
				p.Publish(update(topic(tp), "v1"))
			}
			waitIdle(t, p.q)
			if got := hub.topics(t); len(got) != 0 {
				t.Fatalf("first versions pinged: %v", got)
			}
			p.Publish(update(topic("a.atom"), "v2"))
			p.Publish(update(topic("a.rss"), "v1"))
			p.Publish(update(topic("b.atom"), "v1"))
			waitIdle(t, p.q)
			want := slices.Repeat([]string{topic("a.atom")}, tt.pings)
			if got := hub.topics(t); !slices.Equal(got, want) {
				t.Errorf("pings %v, want %v", got, want)
			}
		})
	}
}

// TestPingerRestart: the versions announced are remembered in the
// database, so a restarted Pinger pings about a change made while it was
// down, and not about what it already announced.
func TestPingerRestart(t *testing.T) {
	hub := newTestHubServer(t)
	path := dbPath(t)
	db := openDB(t, path)
	p := NewPinger(hub.srv.URL, Options{ETags: db, Backoff: time.Millisecond})
	p.Publish(update(topic("a.atom"), "v1"))
	p.Publish(update(topic("b.atom"), "v1"))
	waitIdle(t, p.q)
	p.Close()
	db.Close()

	p = NewPinger(hub.srv.URL, Options{ETags: openDB(t, path), Backoff: time.Millisecond})
	t.Cleanup(p.Close)
	p.Publish(update(topic("a.atom"), "v1"))
	p.Publish(update(topic("b.atom"), "v2"))
	waitIdle(t, p.q)
	if got := hub.topics(t); !slices.Equal(got, []string{topic("b.atom")}) {
		t.Errorf("pings after a restart %v, want b.atom only", got)
	}
}

// TestPingersShareDatabase: two daemons (two Pingers, each with its own
// handle on one database) render the same versions of a topic; each
// change is pinged once, by one of them, not once per daemon.
func TestPingersShareDatabase(t *testing.T) {
	hub := newTestHubServer(t)
	path := dbPath(t)
	var ps []*Pinger
	for range 2 {
		p := NewPinger(hub.srv.URL, Options{ETags: openDB(t, path), Backoff: time.Millisecond})
		t.Cleanup(p.Close)
		ps = append(ps, p)
	}
	for i, v := range []string{"v1", "v2", "v2", "v3"} {
		for _, p := range ps {
			p.Publish(update(topic("a.atom"), v))
		}
		for _, p := range ps {
			waitIdle(t, p.q)
		}
		want := []int{0, 1, 1, 2}[i] // v1 is the first version; v2 again is no change
		if got := hub.topics(t); len(got) != want {
			t.Errorf("after %s published by both daemons: %d pings %v, want %d", v, len(got), got, want)
		}
	}
}
