package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/internal/pgtest"
	"github.com/feedmill/feedmill/poller"
	"github.com/feedmill/feedmill/storage/postgres"
)

// versionedFeeds serves n RSS feeds, /f/NAME, whose documents grow with a
// version the test sets: version v carries items 1..v of the feed and one
// story every feed carries (the same link), so daemons storing it at once
// must merge it. It records who requested which feed when, and can hold
// the requests of one User-Agent until released.
type versionedFeeds struct {
	srv     *httptest.Server
	version atomic.Int64
	mu      sync.Mutex
	reqs    map[string][]request // by feed
	hold    string               // User-Agent whose requests wait
	held    int
	release chan struct{}
}

type request struct {
	at      time.Time
	agent   string
	version int64
}

func newVersionedFeeds(t *testing.T) *versionedFeeds {
	v := &versionedFeeds{reqs: map[string][]request{}, release: make(chan struct{})}
	v.version.Store(1)
	v.srv = httptest.NewServer(http.HandlerFunc(v.serve))
	t.Cleanup(func() {
		v.mu.Lock()
		if v.hold != "" {
			close(v.release)
			v.hold = ""
		}
		v.mu.Unlock()
		v.srv.Close()
	})
	return v
}

func (v *versionedFeeds) serve(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/f/")
	ver := v.version.Load()
	agent := r.UserAgent()
	v.mu.Lock()
	v.reqs[name] = append(v.reqs[name], request{time.Now(), agent, ver})
	hold := v.hold != "" && agent == v.hold
	if hold {
		v.held++
	}
	release := v.release
	v.mu.Unlock()
	if hold {
		<-release
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><rss version="2.0"><channel><title>Feed %s</title><link>https://example.org/%s</link>`, name, name)
	fmt.Fprintf(&b, `<item><title>Shared story %d</title><link>https://shared.example/story/%d</link><guid>shared-%d</guid><description>everyone</description></item>`, ver, ver, ver)
	for k := ver; k >= 1; k-- {
		fmt.Fprintf(&b, `<item><title>%s item %d</title><link>https://example.org/%s/%d</link><guid>%s-%d</guid><description>text %d</description></item>`,
			name, k, name, k, name, k, k)
	}
	b.WriteString(`</channel></rss>`)
	w.Header().Set("Content-Type", "application/rss+xml")
	io.WriteString(w, b.String())
}

func (v *versionedFeeds) snapshot() map[string][]request {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[string][]request, len(v.reqs))
	for k, r := range v.reqs {
		out[k] = append([]request(nil), r...)
	}
	return out
}

// TestScaleOut runs three daemons on one PostgreSQL database and 300 feeds:
// every round, each feed is requested by exactly one of them, no item is
// stored twice, and all serve the same bytes with the same ETag; then one
// daemon is killed with SIGKILL in the middle of its polls and the others
// poll its feeds once its leases expire.
func TestScaleOut(t *testing.T) {
	dbURL := pgtest.URL(t)
	feeds := newVersionedFeeds(t)
	const nFeeds = 300
	const period = 4 * time.Second
	dir := t.TempDir()
	var feedYAML strings.Builder
	var names []string
	for i := range nFeeds {
		name := fmt.Sprintf("f%03d", i)
		names = append(names, name)
		fmt.Fprintf(&feedYAML, "  - name: %s\n    url: %s/f/%s\n", name, feeds.srv.URL, name)
	}
	var daemons []*daemon
	agents := []string{"feedmill-test-A", "feedmill-test-B", "feedmill-test-C"}
	for _, agent := range agents {
		listen := freeAddr(t)
		// One public base_url, as behind a load balancer.
		// max_interval below the period: every feed is due at every tick,
		// so only the claims keep the daemons from polling it three times.
		cfg := fmt.Sprintf("database: %s\nlisten: %s\nbase_url: https://feeds.example.test\nschedule: \"@every %s\"\nmax_interval: 1s\ntimeout: 3s\nlease: 5s\n"+
			"concurrency: 16\nkeep_raw: 0s\nuser_agent: %s\noutputs:\n  - name: all\n    limit: 100\nfeeds:\n%s",
			dbURL, listen, period, agent, feedYAML.String())
		path := filepath.Join(dir, agent+".yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		daemons = append(daemons, startDaemon(t, path, listen))
	}

	// A few rounds, a new version of every document each round.
	const rounds = 3
	start := time.Now()
	for v := 1; v <= rounds; v++ {
		feeds.version.Store(int64(v))
		waitUntil(t, 3*period, fmt.Sprintf("every feed fetched at version %d", v), func() bool {
			return fetchedAll(feeds.snapshot(), names, int64(v), "")
		})
	}
	reqs := feeds.snapshot()
	perAgent := map[string]int{}
	for _, name := range names {
		offset := poller.Offset(name, period)
		byRound := map[int64][]request{}
		for _, r := range reqs[name] {
			if r.at.Before(start) {
				continue
			}
			// Round k starts when the daemons wake for this feed: at the
			// tick plus the feed's offset.
			k := r.at.Add(-offset).UnixNano() / int64(period)
			byRound[k] = append(byRound[k], r)
			perAgent[r.agent]++
		}
		for k, rs := range byRound {
			if len(rs) > 1 {
				t.Errorf("%s: requested %d times in round %d: %+v", name, len(rs), k, rs)
			}
		}
	}
	t.Logf("requests per daemon over %d versions: %v", rounds, perAgent)
	for _, a := range agents {
		if perAgent[a] == 0 {
			t.Errorf("daemon %s polled nothing: the work was not split", a)
		}
	}
	db, err := postgres.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkStored(t, db, names, rounds)
	sameOutputs(t, daemons)

	// Kill A in the middle of its polls: its requests hang until it is dead.
	feeds.mu.Lock()
	feeds.hold = agents[0]
	feeds.mu.Unlock()
	feeds.version.Store(rounds + 1)
	waitUntil(t, 3*period, "daemon A in the middle of polls", func() bool {
		feeds.mu.Lock()
		defer feeds.mu.Unlock()
		return feeds.held >= 5
	})
	daemons[0].cmd.Process.Kill()
	<-daemons[0].done
	feeds.mu.Lock()
	held := feeds.held
	close(feeds.release)
	feeds.hold = ""
	feeds.mu.Unlock()
	t.Logf("killed daemon A with %d polls in flight", held)
	waitUntil(t, 6*period, "the other daemons polling A's feeds after its leases expired", func() bool {
		return fetchedAll(feeds.snapshot(), names, rounds+1, agents[0])
	})
	checkStored(t, db, names, rounds+1)
	sameOutputs(t, daemons[1:])
}

// fetchedAll reports whether every feed got a request at version v from an
// agent other than skip.
func fetchedAll(reqs map[string][]request, names []string, v int64, skip string) bool {
	for _, name := range names {
		ok := false
		for _, r := range reqs[name] {
			if r.version == v && r.agent != skip {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// checkStored waits until the database holds every item of version v, and
// checks that none is stored twice: v per feed plus v shared stories, each
// shared one with every feed as a source.
func checkStored(t *testing.T, db *postgres.DB, names []string, v int) {
	t.Helper()
	var items []feedmill.Item
	want := len(names)*v + v
	waitUntil(t, 10*time.Second, fmt.Sprintf("%d items stored", want), func() bool {
		var err error
		items, err = db.Items(t.Context(), feedmill.ItemQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return len(items) >= want
	})
	if len(items) != want {
		t.Fatalf("%d items stored, want %d", len(items), want)
	}
	links := map[string]int{}
	for _, it := range items {
		links[it.Link]++
		if strings.HasPrefix(it.Link, "https://shared.example/") && len(it.Sources) != len(names) {
			t.Errorf("%s: %d sources, want %d", it.Link, len(it.Sources), len(names))
		}
	}
	for l, n := range links {
		if n > 1 {
			t.Errorf("%s stored %d times", l, n)
		}
	}
	if err := db.Verify(t.Context()); err != nil {
		t.Error(err)
	}
}

// sameOutputs checks that every daemon serves the output with the same
// bytes and ETag, once their caches caught up.
func sameOutputs(t *testing.T, daemons []*daemon) {
	t.Helper()
	var bodies [][]byte
	var etags []string
	waitUntil(t, 5*time.Second, "identical outputs", func() bool {
		bodies, etags = nil, nil
		for _, d := range daemons {
			resp, err := http.Get(d.base + "/feeds/all.atom")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			bodies, etags = append(bodies, b), append(etags, resp.Header.Get("ETag"))
		}
		for i := 1; i < len(bodies); i++ {
			if !bytes.Equal(bodies[i], bodies[0]) || etags[i] != etags[0] {
				return false
			}
		}
		return true
	})
	if etags[0] == "" || !bytes.Contains(bodies[0], []byte("<entry>")) {
		t.Errorf("output without ETag or entries: %q\n%s", etags[0], bodies[0])
	}
}

// waitUntil polls cond until it holds, failing the test after limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
