package main

import (
	"crypto/hmac"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/websub"
)

// changingFeed is an RSS feed on 127.0.0.1 whose items the test sets.
type changingFeed struct {
	mu    sync.Mutex
	items []string // titles; each gets its own guid and link
}

func (f *changingFeed) set(titles ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = titles
}

func (f *changingFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link><description>d</description>`)
	for i, title := range f.items {
		fmt.Fprintf(w, `<item><title>%s</title><link>https://wire.example/%d</link><guid>%d</guid><pubDate>Mon, 23 Nov 2026 0%d:00:00 +0000</pubDate></item>`,
			title, i, i, i)
	}
	fmt.Fprint(w, `</channel></rss>`)
}

// webSubConfig writes a configuration with the feed at feedURL, the
// outputs war and peace, and the given websub section.
func webSubConfig(t *testing.T, feedURL, websubYAML string) (configPath, listen string) {
	dir := t.TempDir()
	listen = freeAddr(t)
	configPath = filepath.Join(dir, "config.yaml")
	cfg := fmt.Sprintf(`database: websub.db
listen: %s
feeds:
  - name: wire
    url: %s
topics:
  - name: war
    match: war OR shelling
  - name: peace
    match: talks OR ceasefire
outputs:
  - name: war
    topics: [war]
  - name: peace
    topics: [peace]
websub:
%s`, listen, feedURL, websubYAML)
	if err := os.WriteFile(configPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return configPath, listen
}

// TestWebSubBuiltinEndToEnd runs `serve` as its own WebSub hub: a
// subscriber on 127.0.0.1 discovers the hub from an output's Link header,
// subscribes with a secret, confirms the challenge, and when a `feedmill
// fetch` in another process adds an item to the output, receives the new
// feed, signed, while the output it did not subscribe to sends nothing.
func TestWebSubBuiltinEndToEnd(t *testing.T) {
	feed := &changingFeed{}
	feed.set("Markets calm")
	feedSrv := httptest.NewServer(feed)
	t.Cleanup(feedSrv.Close)
	cfg, listen := webSubConfig(t, feedSrv.URL, "  hub: builtin\n  allow_private: true\n")
	d := startServe(t, cfg, listen)

	const secret = "a secret of the subscriber"
	verified := make(chan url.Values, 4)
	type delivery struct {
		body, contentType, link string
		signed                  bool
	}
	delivered := make(chan delivery, 16)
	sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			q := r.URL.Query()
			verified <- q
			w.Header().Set("Content-Type", "application/octet-stream")
			io.WriteString(w, q.Get("hub.challenge"))
			return
		}
		body, _ := io.ReadAll(r.Body)
		delivered <- delivery{string(body), r.Header.Get("Content-Type"), r.Header.Get("Link"),
			hmac.Equal([]byte(r.Header.Get("X-Hub-Signature")), []byte(websub.Signature(secret, body)))}
	}))
	t.Cleanup(sub.Close)

	// Discovery, as a subscriber does it: the Link header of the topic.
	resp, err := http.Get(d.base + "/feeds/war.atom")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	hub, self := linkRel(resp.Header.Get("Link"), "hub"), linkRel(resp.Header.Get("Link"), "self")
	if hub != d.base+"/websub" || self != d.base+"/feeds/war.atom" {
		t.Fatalf("Link %q: want the hub %s/websub and the self URL", resp.Header.Get("Link"), d.base)
	}
	resp, err = http.PostForm(hub, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {self},
		"hub.callback": {sub.URL + "/cb"}, "hub.secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("subscribe: %d, want 202", resp.StatusCode)
	}
	select {
	case q := <-verified:
		if q.Get("hub.mode") != "subscribe" || q.Get("hub.topic") != self || q.Get("hub.lease_seconds") != "864000" {
			t.Errorf("verification of intent %v", q)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no verification of intent\n%s", d.out)
	}
	// The hub stores the subscription once the answer is in.
	waitFor(t, d, func() bool { return strings.Contains(d.out.String(), "websub: subscribed") })

	feed.set("Markets calm", "Shelling of the port resumes")
	if r := runFeedmill(t, nil, "--config", cfg, "fetch"); r.code != 0 {
		t.Fatalf("fetch: %d %s%s", r.code, r.stdout, r.stderr)
	}
	select {
	case got := <-delivered:
		if !strings.Contains(got.body, "Shelling of the port resumes") || got.contentType != "application/atom+xml; charset=utf-8" || !got.signed ||
			got.link != `<`+hub+`>; rel="hub", <`+self+`>; rel="self"` {
			t.Errorf("delivery %+v: want the new Atom feed, signed, with the Link header", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no delivery after the fetch\n%s", d.out.String())
	}
	d.stop(t)
	select {
	case got := <-delivered:
		t.Errorf("a second delivery: %+v", got)
	default:
	}
}

// TestWebSubPingEndToEnd runs `serve` with an external hub on 127.0.0.1:
// outputs name it, and a fetch that changes one output pings the hub once
// per format of that output, and never about the output that did not
// change.
func TestWebSubPingEndToEnd(t *testing.T) {
	feed := &changingFeed{}
	feed.set("Markets calm")
	feedSrv := httptest.NewServer(feed)
	t.Cleanup(feedSrv.Close)
	var mu sync.Mutex
	var pings []string
	hubSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		defer mu.Unlock()
		if r.PostForm.Get("hub.mode") == "publish" {
			pings = append(pings, r.PostForm.Get("hub.url"))
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hubSrv.Close)
	cfg, listen := webSubConfig(t, feedSrv.URL, "  hub: "+hubSrv.URL+"/hub\n")
	d := startServe(t, cfg, listen)
	got := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := slices.Clone(pings)
		slices.Sort(out)
		return out
	}
	for _, f := range []string{"rss", "atom", "json"} {
		resp, err := http.Get(d.base + "/feeds/war." + f)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), hubSrv.URL+"/hub") {
			t.Errorf("war.%s does not name the hub", f)
		}
	}

	fetch := func(titles ...string) {
		feed.set(titles...)
		if r := runFeedmill(t, nil, "--config", cfg, "fetch"); r.code != 0 {
			t.Fatalf("fetch: %d %s%s", r.code, r.stdout, r.stderr)
		}
	}
	urls := func(name string) []string {
		return []string{d.base + "/feeds/" + name + ".atom", d.base + "/feeds/" + name + ".json", d.base + "/feeds/" + name + ".rss"}
	}
	fetch("Markets calm", "Shelling of the port resumes")
	waitFor(t, d, func() bool { return len(got()) >= 3 })
	// Unchanged: no ping. Then a peace item: peace's formats only.
	fetch("Markets calm", "Shelling of the port resumes")
	fetch("Markets calm", "Shelling of the port resumes", "Ceasefire talks open")
	waitFor(t, d, func() bool { return len(got()) >= 6 })
	if want := append(urls("peace"), urls("war")...); !slices.Equal(got(), want) {
		t.Errorf("pings %v, want %v", got(), want)
	}
}

// serveDaemon is a running `feedmill serve` whose log can be read while
// it runs.
type serveDaemon struct {
	cmd  *exec.Cmd
	base string
	out  *syncBuffer
	done chan error
}

// startServe runs `feedmill serve --no-initial-poll` and waits until it
// answers /healthz; the test's end stops it.
func startServe(t *testing.T, configPath, listen string) *serveDaemon {
	t.Helper()
	d := &serveDaemon{base: "http://" + listen, out: &syncBuffer{}, done: make(chan error, 1)}
	d.cmd = exec.Command(binary, "--config", configPath, "serve", "--no-initial-poll")
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() { d.stop(t) })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if code, err := httpGet(d.base + "/healthz"); err == nil && code == 200 {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not become healthy:\n%s", d.out)
		}
	}
}

// stop interrupts serve and waits for a clean exit.
func (d *serveDaemon) stop(t *testing.T) {
	if d.cmd.ProcessState != nil {
		return
	}
	d.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-d.done:
		if err != nil {
			t.Errorf("serve did not exit cleanly: %v\n%s", err, d.out)
		}
	case <-time.After(20 * time.Second):
		d.cmd.Process.Kill()
		t.Errorf("serve did not stop within 20s\n%s", d.out)
	}
}

// linkRel returns the target of rel in a Link header value.
func linkRel(header, rel string) string {
	for _, part := range strings.Split(header, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if ok && strings.Contains(params, `rel="`+rel+`"`) {
			return strings.Trim(target, "<> ")
		}
	}
	return ""
}

// waitFor waits up to 30 s for cond, failing with the daemon's log.
func waitFor(t *testing.T, d *serveDaemon, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting\n%s", d.out.String())
		}
	}
}
