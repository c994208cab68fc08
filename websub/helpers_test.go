package websub

import (
	"crypto/hmac"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

var _ Store = (*storage.DB)(nil)

// waitIdle waits until the queue has nothing queued or running.
func waitIdle(t *testing.T, q *queue) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		q.mu.Lock()
		n := len(q.slots)
		q.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue still busy with %d keys", n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func openDB(t testing.TB, path string) *storage.DB {
	t.Helper()
	db, err := storage.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// clock is a settable time, safe to read from the hub's goroutines.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.set(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	return c
}
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

const testHub = "http://feeds.example/websub"

// topic is a topic the test hubs serve.
func topic(name string) string { return "http://feeds.example/feeds/" + name }

// newTestHub is a hub on a real database in dir, serving a.atom, b.rss and
// the private p.json?key=..., retrying quickly.
func newTestHub(t *testing.T, path string, clk *clock) *Hub {
	t.Helper()
	h := NewHub(HubOptions{
		Options: Options{Backoff: time.Millisecond, Attempts: 3, Timeout: 5 * time.Second},
		URL:     testHub, Store: openDB(t, path),
		Lease: 24 * time.Hour, MinLease: time.Hour, MaxLease: 48 * time.Hour,
		AllowPrivate: true,
	})
	h.now = clk.now
	h.SetTopics([]string{topic("a.atom"), topic("b.rss"), topic("p.json?key=0123456789abcdef")})
	t.Cleanup(h.Close)
	return h
}

func dbPath(t testing.TB) string { return filepath.Join(t.TempDir(), "hub.db") }

// delivery is a content distribution request a subscriber received.
type delivery struct {
	Body        string
	ContentType string
	Link        string
	Signature   string
	// Signed is whether the signature is the HMAC of the body with the
	// subscriber's secret.
	Signed bool
}

// subscriber is a WebSub subscriber on 127.0.0.1: it confirms the
// (un)subscriptions it wants, echoing the challenge, and records the
// verifications, denials and deliveries it receives.
type subscriber struct {
	srv    *httptest.Server
	secret string

	mu sync.Mutex
	// want maps mode+" "+topic to whether it is confirmed.
	want map[string]bool
	// echo, when set, replaces the challenge in the answer.
	echo   func(challenge string) (int, string)
	checks []url.Values
	// status answers deliveries in turn; 204 when exhausted.
	status     []int
	deliveries []delivery
}

func newSubscriber(t *testing.T, secret string) *subscriber {
	s := &subscriber{secret: secret, want: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *subscriber) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		s.checks = append(s.checks, q)
		if !s.want[q.Get("hub.mode")+" "+q.Get("hub.topic")] {
			http.NotFound(w, r)
			return
		}
		status, body := http.StatusOK, q.Get("hub.challenge")
		if s.echo != nil {
			status, body = s.echo(body)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(status)
		io.WriteString(w, body)
	case http.MethodPost:
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get("X-Hub-Signature")
		d := delivery{Body: string(body), ContentType: r.Header.Get("Content-Type"), Link: r.Header.Get("Link"), Signature: sig}
		if method, hexsum, ok := strings.Cut(sig, "="); ok && method == "sha256" && s.secret != "" {
			d.Signed = hmac.Equal([]byte(Signature(s.secret, body)), []byte(method+"="+hexsum))
		}
		s.deliveries = append(s.deliveries, d)
		status := http.StatusNoContent
		if len(s.status) > 0 {
			status, s.status = s.status[0], s.status[1:]
		}
		w.WriteHeader(status)
	}
}

// subscribe asks hub h, over HTTP, to (un)subscribe s's callback path.
func (s *subscriber) request(t *testing.T, hub http.Handler, mode, topic, path string, extra ...string) *http.Response {
	t.Helper()
	form := url.Values{"hub.mode": {mode}, "hub.topic": {topic}, "hub.callback": {s.srv.URL + path}}
	if s.secret != "" {
		form.Set("hub.secret", s.secret)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return post(t, hub, form)
}

func post(t *testing.T, hub http.Handler, form url.Values) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, testHub, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	hub.ServeHTTP(rec, req)
	return rec.Result()
}

func (s *subscriber) got() ([]url.Values, []delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.checks...), append([]delivery(nil), s.deliveries...)
}

func (s *subscriber) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks, s.deliveries = nil, nil
}

func update(topic, body string) Update {
	return Update{Topic: topic, ContentType: "application/atom+xml; charset=utf-8", ETag: `"` + body + `"`, Body: []byte(body)}
}
