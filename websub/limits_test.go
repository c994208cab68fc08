package websub

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSubscriptionLimits: past MaxPerTopic subscriptions to a topic, or
// MaxPerHost subscriptions whose callbacks are on one host, a new
// subscription is refused with 429 and the reason, and nothing is
// stored; a renewal, another topic or another host still pass.
func TestSubscriptionLimits(t *testing.T) {
	clk := newClock()
	h := NewHub(HubOptions{
		Options: Options{Backoff: time.Millisecond, Attempts: 3, Timeout: 5 * time.Second},
		URL:     testHub, Store: openDB(t, dbPath(t)), AllowPrivate: true,
		MaxPerTopic: 2, MaxPerHost: 3,
	})
	h.now = clk.now
	h.SetTopics([]string{topic("a.atom"), topic("b.rss")})
	t.Cleanup(h.Close)
	sub := newSubscriber(t, "")
	sub.want["subscribe "+topic("a.atom")] = true
	sub.want["subscribe "+topic("b.rss")] = true
	localhost := strings.Replace(sub.srv.URL, "127.0.0.1", "localhost", 1)

	subscribe := func(topicURL, callback string, wantCode int, wantReason string) {
		t.Helper()
		resp := post(t, h, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topicURL}, "hub.callback": {callback}})
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != wantCode || !strings.Contains(string(b), wantReason) {
			t.Errorf("subscribe %s at %s: %d %q, want %d with %q", topicURL, callback, resp.StatusCode, b, wantCode, wantReason)
		}
		waitIdle(t, h.q)
	}
	count := func(topicURL string) int {
		subs, err := h.opts.Store.Subscriptions(t.Context(), topicURL, clk.now())
		if err != nil {
			t.Fatal(err)
		}
		return len(subs)
	}

	subscribe(topic("a.atom"), sub.srv.URL+"/1", http.StatusAccepted, "accepted")
	subscribe(topic("a.atom"), sub.srv.URL+"/2", http.StatusAccepted, "accepted")
	subscribe(topic("a.atom"), localhost+"/3", http.StatusTooManyRequests, "this topic has the most subscriptions the hub takes (2)")
	subscribe(topic("a.atom"), sub.srv.URL+"/1", http.StatusAccepted, "accepted") // renewal
	if n := count(topic("a.atom")); n != 2 {
		t.Errorf("%d subscriptions to a.atom, want 2", n)
	}

	subscribe(topic("b.rss"), sub.srv.URL+"/1", http.StatusAccepted, "accepted") // 127.0.0.1's third
	subscribe(topic("b.rss"), sub.srv.URL+"/4", http.StatusTooManyRequests, "callbacks on 127.0.0.1 have the most subscriptions the hub takes per host (3)")
	subscribe(topic("b.rss"), localhost+"/4", http.StatusAccepted, "accepted")
	if n := count(topic("b.rss")); n != 2 {
		t.Errorf("%d subscriptions to b.rss, want 2 (127.0.0.1/1 and localhost/4)", n)
	}
	if checks, _ := sub.got(); len(checks) != 5 {
		t.Errorf("%d verifications, want 5: refused requests are not verified", len(checks))
	}
}
