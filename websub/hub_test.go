package websub

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/feedmill/feedmill/netguard"
)

// TestSubscribeAndDeliver walks a subscription through its life: the
// request is accepted, the intent verified (challenge echoed, lease told),
// the first version seen is only remembered, an unchanged version is not
// delivered, a changed one is delivered whole, signed, with its type and
// Link header, and an unsubscription stops deliveries.
func TestSubscribeAndDeliver(t *testing.T) {
	clk := newClock()
	h := newTestHub(t, dbPath(t), clk)
	sub := newSubscriber(t, "s3cret")
	sub.want["subscribe "+topic("a.atom")] = true
	sub.want["unsubscribe "+topic("a.atom")] = true

	h.Publish(update(topic("a.atom"), "v1")) // before any subscriber: remembered
	if resp := sub.request(t, h, "subscribe", topic("a.atom"), "/cb?id=7"); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("subscribe: %d, want 202", resp.StatusCode)
	}
	waitIdle(t, h.q)
	checks, _ := sub.got()
	if len(checks) != 1 {
		t.Fatalf("%d verification requests, want 1", len(checks))
	}
	c := checks[0]
	if c.Get("hub.mode") != "subscribe" || c.Get("hub.topic") != topic("a.atom") || len(c.Get("hub.challenge")) < 16 ||
		c.Get("hub.lease_seconds") != "86400" || c.Get("id") != "7" {
		t.Errorf("verification request %v: want mode, topic, a challenge, the default lease and the callback's own query", c)
	}
	subs, _ := h.opts.Store.Subscriptions(t.Context(), topic("a.atom"), clk.now())
	if len(subs) != 1 || subs[0].Callback != sub.srv.URL+"/cb?id=7" || !subs[0].Expires.Equal(clk.now().Add(24*time.Hour)) {
		t.Fatalf("stored subscriptions %+v", subs)
	}

	h.Publish(update(topic("a.atom"), "v1"))
	h.Publish(update(topic("b.rss"), "other topic"))
	waitIdle(t, h.q)
	if _, ds := sub.got(); len(ds) != 0 {
		t.Fatalf("unchanged content delivered: %+v", ds)
	}

	h.Publish(update(topic("a.atom"), "v2"))
	waitIdle(t, h.q)
	_, ds := sub.got()
	if len(ds) != 1 {
		t.Fatalf("%d deliveries of a change, want 1", len(ds))
	}
	d := ds[0]
	wantLink := `<` + testHub + `>; rel="hub", <` + topic("a.atom") + `>; rel="self"`
	if d.Body != "v2" || d.ContentType != "application/atom+xml; charset=utf-8" || d.Link != wantLink || !d.Signed {
		t.Errorf("delivery %+v: want the body v2, its type, Link %s and a valid signature", d, wantLink)
	}

	sub.reset()
	if resp := sub.request(t, h, "unsubscribe", topic("a.atom"), "/cb?id=7"); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("unsubscribe: %d", resp.StatusCode)
	}
	waitIdle(t, h.q)
	if checks, _ := sub.got(); len(checks) != 1 || checks[0].Get("hub.mode") != "unsubscribe" {
		t.Errorf("unsubscription verification %v", checks)
	}
	h.Publish(update(topic("a.atom"), "v3"))
	waitIdle(t, h.q)
	if _, ds := sub.got(); len(ds) != 0 {
		t.Errorf("delivered after unsubscribing: %+v", ds)
	}
}

// TestVerificationFails: a callback that does not confirm exactly (wrong
// echo, an error, a redirect, a 404 for a topic it does not want) leaves
// no subscription, and an unconfirmed unsubscription leaves it in place.
func TestVerificationFails(t *testing.T) {
	for name, echo := range map[string]func(string) (int, string){
		"wrong challenge": func(c string) (int, string) { return 200, c + "x" },
		"empty body":      func(string) (int, string) { return 200, "" },
		"server error":    func(c string) (int, string) { return 500, c },
		"redirect":        func(c string) (int, string) { return 302, c },
		"not wanted":      nil,
	} {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			h := newTestHub(t, dbPath(t), clk)
			sub := newSubscriber(t, "")
			sub.want["subscribe "+topic("a.atom")] = echo != nil
			sub.echo = echo
			if resp := sub.request(t, h, "subscribe", topic("a.atom"), "/cb"); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("subscribe: %d", resp.StatusCode)
			}
			waitIdle(t, h.q)
			if checks, _ := sub.got(); len(checks) != 1 {
				t.Errorf("%d verification requests, want 1", len(checks))
			}
			if subs, _ := h.opts.Store.Subscriptions(t.Context(), "", clk.now()); len(subs) != 0 {
				t.Errorf("subscribed without confirmation: %+v", subs)
			}
		})
	}
	t.Run("unsubscribe not confirmed", func(t *testing.T) {
		clk := newClock()
		h := newTestHub(t, dbPath(t), clk)
		sub := newSubscriber(t, "")
		sub.want["subscribe "+topic("b.rss")] = true
		sub.request(t, h, "subscribe", topic("b.rss"), "/cb")
		waitIdle(t, h.q)
		sub.request(t, h, "unsubscribe", topic("b.rss"), "/cb") // answered 404
		waitIdle(t, h.q)
		if subs, _ := h.opts.Store.Subscriptions(t.Context(), "", clk.now()); len(subs) != 1 {
			t.Errorf("an unconfirmed unsubscription changed the state: %+v", subs)
		}
	})
}

// TestDeliveryRetry: a delivery answered 500 is retried until it gets a
// 2xx; one never accepted is tried Attempts times and the subscription is
// kept (the spec keeps it until its lease ends); a 410 deletes it.
func TestDeliveryRetry(t *testing.T) {
	for _, tt := range []struct {
		name       string
		status     []int
		deliveries int
		kept       bool
	}{
		{"500 once", []int{500}, 2, true},
		{"always failing", []int{500, 502, 503, 500}, 3, true},
		{"gone", []int{410}, 1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			h := newTestHub(t, dbPath(t), clk)
			sub := newSubscriber(t, "k")
			sub.want["subscribe "+topic("a.atom")] = true
			sub.status = tt.status
			h.Publish(update(topic("a.atom"), "v1"))
			sub.request(t, h, "subscribe", topic("a.atom"), "/cb")
			waitIdle(t, h.q)
			h.Publish(update(topic("a.atom"), "v2"))
			waitIdle(t, h.q)
			_, ds := sub.got()
			if len(ds) != tt.deliveries {
				t.Fatalf("%d delivery attempts, want %d", len(ds), tt.deliveries)
			}
			for _, d := range ds {
				if d.Body != "v2" || !d.Signed {
					t.Errorf("attempt %+v: want v2, signed", d)
				}
			}
			subs, _ := h.opts.Store.Subscriptions(t.Context(), "", clk.now())
			if (len(subs) == 1) != tt.kept {
				t.Errorf("subscriptions after the attempts: %+v, want kept %v", subs, tt.kept)
			}
		})
	}
}

// TestLease: requested leases are clamped to the hub's bounds, a renewal
// moves the expiry (one subscription, the new secret), and an expired
// subscription gets nothing and is dropped.
func TestLease(t *testing.T) {
	clk := newClock()
	h := newTestHub(t, dbPath(t), clk)
	sub := newSubscriber(t, "first")
	sub.want["subscribe "+topic("a.atom")] = true
	lease := func() string {
		checks, _ := sub.got()
		return checks[len(checks)-1].Get("hub.lease_seconds")
	}
	for _, tt := range []struct{ asked, granted string }{
		{"60", "3600"},                // below min_lease
		{"7200", "7200"},              // within
		{"999999999999999", "172800"}, // above max_lease
	} {
		sub.request(t, h, "subscribe", topic("a.atom"), "/cb", "hub.lease_seconds", tt.asked)
		waitIdle(t, h.q)
		if got := lease(); got != tt.granted {
			t.Errorf("asked a lease of %s s, granted %s, want %s", tt.asked, got, tt.granted)
		}
	}
	subs, _ := h.opts.Store.Subscriptions(t.Context(), "", clk.now())
	if len(subs) != 1 || !subs[0].Expires.Equal(clk.now().Add(48*time.Hour)) || subs[0].Secret != "first" {
		t.Fatalf("after three subscriptions: %+v, want one renewed to 48h", subs)
	}

	// Renewed a day later with another secret: the lease runs from now.
	clk.add(24 * time.Hour)
	sub.secret = "second"
	sub.request(t, h, "subscribe", topic("a.atom"), "/cb", "hub.lease_seconds", "7200")
	waitIdle(t, h.q)
	subs, _ = h.opts.Store.Subscriptions(t.Context(), "", clk.now())
	if len(subs) != 1 || !subs[0].Expires.Equal(clk.now().Add(2*time.Hour)) || subs[0].Secret != "second" {
		t.Fatalf("after renewal: %+v", subs)
	}
	h.Publish(update(topic("a.atom"), "v1"))
	waitIdle(t, h.q) // else v2 replaces v1 in the queue and is the first seen
	h.Publish(update(topic("a.atom"), "v2"))
	waitIdle(t, h.q)
	if _, ds := sub.got(); len(ds) != 1 || !ds[0].Signed {
		t.Fatalf("deliveries before expiry %+v: want one signed with the new secret", ds)
	}

	sub.reset()
	clk.add(2*time.Hour + time.Second)
	h.Publish(update(topic("a.atom"), "v3"))
	waitIdle(t, h.q)
	if _, ds := sub.got(); len(ds) != 0 {
		t.Errorf("delivered to an expired subscription: %+v", ds)
	}
	if subs, _ := h.opts.Store.Subscriptions(t.Context(), "", time.Time{}); len(subs) != 0 {
		t.Errorf("expired subscription not dropped: %+v", subs)
	}
}

// TestRestart: subscriptions and the last announced version survive a
// restart of the hub on the same database, so the first change after it is
// delivered and an unchanged output is not delivered again.
func TestRestart(t *testing.T) {
	clk := newClock()
	path := dbPath(t)
	h := newTestHub(t, path, clk)
	sub := newSubscriber(t, "k")
	sub.want["subscribe "+topic("b.rss")] = true
	h.Publish(update(topic("b.rss"), "v1"))
	sub.request(t, h, "subscribe", topic("b.rss"), "/cb")
	waitIdle(t, h.q)
	h.Close()
	h.opts.Store.(interface{ Close() error }).Close()

	h2 := newTestHub(t, path, clk)
	h2.Publish(update(topic("b.rss"), "v1"))
	waitIdle(t, h2.q)
	if _, ds := sub.got(); len(ds) != 0 {
		t.Fatalf("the version announced before the restart delivered again: %+v", ds)
	}
	h2.Publish(update(topic("b.rss"), "v2"))
	waitIdle(t, h2.q)
	if _, ds := sub.got(); len(ds) != 1 || ds[0].Body != "v2" || !ds[0].Signed {
		t.Fatalf("after a restart: deliveries %+v, want v2 signed", ds)
	}
}

// TestRequests checks what the hub answers at once: 202 for well-formed
// requests, 4xx with a reason for malformed ones, and a denial sent to the
// callback for topics it does not serve (a private output without its key
// included), while a private output with its key is subscribed.
func TestRequests(t *testing.T) {
	clk := newClock()
	h := newTestHub(t, dbPath(t), clk)
	sub := newSubscriber(t, "")
	cb := sub.srv.URL + "/cb"
	form := func(kv ...string) url.Values {
		v := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic("a.atom")}, "hub.callback": {cb}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	long := make([]byte, 200)
	for i := range long {
		long[i] = 'x'
	}
	for _, tt := range []struct {
		name   string
		form   url.Values
		status int
	}{
		{"no mode", form("hub.mode", ""), 400},
		{"bad mode", form("hub.mode", "follow"), 400},
		{"publish", form("hub.mode", "publish"), 400},
		{"no topic", form("hub.topic", ""), 400},
		{"no callback", form("hub.callback", ""), 400},
		{"relative callback", form("hub.callback", "/cb"), 400},
		{"ftp callback", form("hub.callback", "ftp://127.0.0.1/cb"), 400},
		{"callback with fragment", form("hub.callback", cb+"#x"), 400},
		{"zero lease", form("hub.lease_seconds", "0"), 400},
		{"lease not a number", form("hub.lease_seconds", "10d"), 400},
		{"secret of 200 bytes", form("hub.secret", string(long)), 400},
		{"secret of 199 bytes", form("hub.secret", string(long[:199])), 202},
		{"unknown topic", form("hub.topic", topic("nope.atom")), 202},
		{"private without key", form("hub.topic", topic("p.json")), 202},
		{"private with wrong key", form("hub.topic", topic("p.json?key=0123456789abcdeX")), 202},
		{"private with key, spelled differently", form("hub.topic", "HTTP://Feeds.Example:80/feeds/p.json?key=0123456789abcdef"), 202},
	} {
		if resp := post(t, h, tt.form); resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
	}
	waitIdle(t, h.q)
	checks, _ := sub.got()
	modes := map[string]int{}
	for _, c := range checks {
		modes[c.Get("hub.mode")+" "+c.Get("hub.topic")]++
	}
	want := map[string]int{
		"subscribe " + topic("a.atom"):                      1, // the 199-byte secret (refused by the subscriber)
		"denied " + topic("nope.atom"):                      1,
		"denied " + topic("p.json"):                         1,
		"denied " + topic("p.json?key=0123456789abcdeX"):    1,
		"subscribe " + topic("p.json?key=0123456789abcdef"): 1, // canonical form
	}
	if len(modes) != len(want) {
		t.Errorf("callback requests %v, want %v", modes, want)
	}
	for k, n := range want {
		if modes[k] != n {
			t.Errorf("callback requests %v, want %v", modes, want)
			break
		}
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, testHub, nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
		t.Errorf("GET: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

// TestPrivateCallbacks: without allow_private, callbacks on loopback and
// private addresses are refused at once, and the hub's client refuses to
// connect to them whatever name leads there.
func TestPrivateCallbacks(t *testing.T) {
	h := NewHub(HubOptions{URL: testHub, Store: openDB(t, dbPath(t))})
	t.Cleanup(h.Close)
	h.SetTopics([]string{topic("a.atom")})
	sub := newSubscriber(t, "")
	for _, cb := range []string{sub.srv.URL + "/cb", "http://localhost:8080/cb", "http://10.1.2.3/cb",
		"http://[::1]:9/cb", "http://169.254.169.254/latest/meta-data", "https://app.localhost/cb"} {
		resp := post(t, h, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic("a.atom")}, "hub.callback": {cb}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("callback %s: %d, want 400", cb, resp.StatusCode)
		}
	}
	if _, _, err := h.get(t.Context(), sub.srv.URL+"/cb"); !errors.As(err, new(*netguard.NotPublicError)) {
		t.Errorf("the hub's client reached %s: %v", sub.srv.URL, err)
	}
	if checks, _ := sub.got(); len(checks) != 0 {
		t.Errorf("the subscriber on 127.0.0.1 was called: %v", checks)
	}
}
