package websub

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log destination the hub's goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogHidesKeys drives the hub through a subscription, a denial, a
// failed verification and deliveries that fail until it gives up, all on
// the private topic whose URL carries the output's key, with logging at
// Debug, and checks that the key never reaches the log while the topic's
// path does.
func TestLogHidesKeys(t *testing.T) {
	const key = "0123456789abcdef"
	var logs lockedBuffer
	h := NewHub(HubOptions{
		Options: Options{Backoff: time.Millisecond, Attempts: 2, Timeout: 5 * time.Second,
			Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))},
		URL: testHub, Store: openDB(t, dbPath(t)), AllowPrivate: true,
	})
	t.Cleanup(h.Close)
	private := topic("p.json?key=" + key)
	h.SetTopics([]string{private})

	sub := newSubscriber(t, "s3cret")
	sub.want["subscribe "+private] = true
	if resp := sub.request(t, h, "subscribe", private, "/cb?token=cbsecret"); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("subscribe: %d", resp.StatusCode)
	}
	waitIdle(t, h.q)
	// A wrong key is denied; an unwanted unsubscription fails verification.
	sub.request(t, h, "subscribe", topic("p.json?key=wrongwrongwrong1"), "/cb")
	sub.request(t, h, "unsubscribe", private, "/cb?token=cbsecret")
	waitIdle(t, h.q)
	sub.mu.Lock()
	sub.status = []int{500, 500}
	sub.mu.Unlock()
	h.Publish(update(private, "v1")) // the first version is only remembered
	waitIdle(t, h.q)
	h.Publish(update(private, "v2"))
	waitIdle(t, h.q)
	if _, ds := sub.got(); len(ds) != 2 {
		t.Fatalf("%d delivery attempts, want 2", len(ds))
	}

	out := logs.String()
	for _, want := range []string{"subscribed", "verification of intent", "giving up", "http://feeds.example/feeds/p.json"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{key, "cbsecret", "wrongwrongwrong1"} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows %q:\n%s", secret, out)
		}
	}
}
