package poller

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/normalize"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/topics"
)

var _ Store = (*storage.DB)(nil)

// corpusFile returns a file of ../shared/corpus, skipping when absent.
func corpusFile(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "shared", "corpus", rel))
	if err != nil {
		tb.Skipf("shared corpus not available: %v", err)
	}
	return b
}

func newPipeline(tb testing.TB, db Store) *Pipeline {
	tb.Helper()
	set, err := topics.Compile([]topics.Def{
		{Name: "ukraine", Match: `ukraine OR kyiv OR zelensky*`},
		{Name: "russia", Match: `russia OR moscow OR kremlin OR putin`},
		{Name: "afghanistan", Match: `afghanistan OR taliban OR kabul`},
		{Name: "us-politics", Match: `(biden OR trump) AND (congress OR senate OR "white house")`},
		{Name: "middle-east", Match: `israel OR gaza OR iran OR syria OR lebanon`},
		{Name: "europe", Match: `"european union" OR brussels OR france OR germany OR merkel OR macron`},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &Pipeline{Store: db, Fetcher: fetcher.New(fetcher.Options{}), Normalizer: normalize.New(nil), Topics: set}
}

func openDB(tb testing.TB) *storage.DB {
	tb.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(tb.TempDir(), "bench.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// countingStore counts the items handed to Ingest, to show that an
// all-seen poll normalizes and writes nothing.
type countingStore struct {
	*storage.DB
	ingested atomic.Int64
}

func (s *countingStore) Ingest(ctx context.Context, b feedmill.Batch) (feedmill.IngestResult, error) {
	s.ingested.Add(int64(len(b.Items)))
	return s.DB.Ingest(ctx, b)
}

func TestPollSkipsWhatIsStored(t *testing.T) {
	body := corpusFile(t, "news/cnn-top-stories/20210917T000418Z.xml")
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Write(body)
	}))
	defer srv.Close()
	store := &countingStore{DB: openDB(t)}
	p := newPipeline(t, store.DB)
	p.Store = store
	f := Feed{Name: "cnn", URL: srv.URL}

	first := p.Poll(t.Context(), f)
	if first.Err != nil || first.Result.New == 0 {
		t.Fatalf("first poll: %+v", first)
	}
	n := store.ingested.Load()
	same := p.Poll(t.Context(), f)
	if same.Err != nil || !same.NotModified || !reflect.DeepEqual(same.Result, feedmill.IngestResult{}) {
		t.Errorf("same document again: %+v, want not modified and nothing parsed", same)
	}
	// The document changes, but none of its items does.
	mu.Lock()
	body = append(append([]byte{}, body...), "\n<!-- polled again -->\n"...)
	mu.Unlock()
	second := p.Poll(t.Context(), f)
	if second.Err != nil || second.NotModified {
		t.Fatal(second)
	}
	want := feedmill.IngestResult{Seen: first.Result.New + first.Result.Merged}
	want.Dedup.GUID = want.Seen // the document's items all have guids
	if !reflect.DeepEqual(second.Result, want) {
		t.Errorf("second poll result %+v, want all %d seen", second.Result, first.Result.New)
	}
	if got := store.ingested.Load() - n; got != 0 {
		t.Errorf("second poll normalized and sent %d items to the store, want 0", got)
	}
}

func TestPollAllIsolatesFailures(t *testing.T) {
	good := `<rss version="2.0"><channel><title>g</title><item><title>x</title><link>https://g.example/x</link></item></channel></rss>`
	mux := http.NewServeMux()
	mux.HandleFunc("/good", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(good)) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<rss><channel><item>")) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	db := openDB(t)
	p := newPipeline(t, db)
	p.Fetcher = fetcher.New(fetcher.Options{Timeout: 300 * time.Millisecond})
	feeds := []Feed{{Name: "slow", URL: srv.URL + "/slow"}, {Name: "bad", URL: srv.URL + "/bad"},
		{Name: "dead", URL: "http://127.0.0.1:1/feed"}, {Name: "good", URL: srv.URL + "/good"}}
	got := map[string]error{}
	p.PollAll(t.Context(), feeds, 2, func(r Report) { got[r.Feed] = r.Err })
	if len(got) != 4 {
		t.Fatalf("reports for %d feeds, want 4", len(got))
	}
	for _, name := range []string{"slow", "bad", "dead"} {
		if got[name] == nil {
			t.Errorf("feed %s: no error", name)
		}
	}
	if got["good"] != nil {
		t.Errorf("good feed failed: %v", got["good"])
	}
	states, _ := db.Feeds(t.Context())
	for _, s := range states {
		want := feedmill.StatusFailing
		if s.Name == "good" {
			want = feedmill.StatusOK
		}
		if s.Status != want {
			t.Errorf("feed %s status %q, want %q (%s)", s.Name, s.Status, want, s.LastError)
		}
	}
}

// TestBackoffAndRecovery: a failing feed is not polled again on the next
// tick but after its backoff; a manual poll still goes through, and its
// success resets the failures.
func TestBackoffAndRecovery(t *testing.T) {
	var mu sync.Mutex
	status, requests := http.StatusInternalServerError, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		requests++
		if status != 200 {
			w.WriteHeader(status)
			return
		}
		w.Write([]byte(`<rss version="2.0"><channel><title>t</title><item><title>x</title><link>https://b.example/x</link></item></channel></rss>`))
	}))
	defer srv.Close()
	db := openDB(t)
	p := newPipeline(t, db)
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	p.Now = func() time.Time { return now }
	f := Feed{Name: "flaky", URL: srv.URL, Policy: Policy{Period: 15 * time.Minute, MaxInterval: 24 * time.Hour}}

	rep := p.PollIfDue(t.Context(), f)
	if rep.Err == nil || rep.Skipped {
		t.Fatalf("first poll: %+v", rep)
	}
	st, _ := db.FetchState(t.Context(), "flaky", srv.URL)
	if st.Failures != 1 || !st.FailingSince.Equal(now) || !st.NextCheck.After(now.Add(14*time.Minute)) {
		t.Fatalf("after one failure: %+v", st)
	}
	now = now.Add(15 * time.Minute) // next tick: still backing off? (15m + jitter)
	if rep := p.PollIfDue(t.Context(), f); !rep.Skipped && st.NextCheck.After(now) {
		t.Errorf("polled during backoff: %+v", rep)
	}
	now = st.NextCheck
	p.PollIfDue(t.Context(), f)
	st2, _ := db.FetchState(t.Context(), "flaky", srv.URL)
	if st2.Failures != 2 || st2.NextCheck.Sub(now) < 30*time.Minute {
		t.Errorf("after two failures: %+v (wait %s), want a doubled backoff", st2, st2.NextCheck.Sub(now))
	}
	mu.Lock()
	before := requests
	status = 200
	mu.Unlock()
	if rep := p.PollIfDue(t.Context(), f); !rep.Skipped {
		t.Errorf("not due yet but polled: %+v", rep)
	}
	if rep := p.Poll(t.Context(), f); rep.Err != nil || rep.Result.New != 1 {
		t.Fatalf("manual poll: %+v", rep)
	}
	mu.Lock()
	if requests != before+1 {
		t.Errorf("%d requests, want exactly one (the manual poll)", requests-before)
	}
	mu.Unlock()
	st3, _ := db.FetchState(t.Context(), "flaky", srv.URL)
	if st3.Failures != 0 || !st3.FailingSince.IsZero() {
		t.Errorf("after recovery: %+v", st3)
	}
	states, _ := db.Feeds(t.Context())
	if len(states) != 1 || states[0].Status != feedmill.StatusOK || states[0].LastError != "" {
		t.Errorf("feed state after recovery: %+v", states)
	}
	log, _ := db.FetchLog(t.Context(), "flaky", 0)
	if len(log) != 3 || log[0].Outcome != feedmill.OutcomeOK || log[2].Outcome != feedmill.OutcomeFailed || log[2].HTTPStatus != 500 {
		t.Errorf("fetch log: %+v", log)
	}
}

// TestGoneAndMoved: a 410 disables the feed until a manual poll succeeds;
// a permanent redirect is followed directly from then on.
func TestGoneAndMoved(t *testing.T) {
	feedDoc := `<rss version="2.0"><channel><title>t</title><item><title>x</title><link>https://m.example/x</link></item></channel></rss>`
	var mu sync.Mutex
	hits := map[string]int{}
	gone := true
	mux := http.NewServeMux()
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hits["/gone"]++
		if gone {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.Write([]byte(feedDoc))
	})
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits["/old"]++
		mu.Unlock()
		http.Redirect(w, r, "/new", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits["/new"]++
		mu.Unlock()
		w.Write([]byte(feedDoc))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	db := openDB(t)
	p := newPipeline(t, db)
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	p.Now = func() time.Time { return now }
	policy := Policy{Period: time.Minute, MaxInterval: time.Hour}

	g := Feed{Name: "gone", URL: srv.URL + "/gone", Policy: policy}
	if rep := p.PollIfDue(t.Context(), g); !errors.Is(rep.Err, feedmill.ErrGone) {
		t.Fatalf("410: %+v", rep)
	}
	now = now.Add(48 * time.Hour)
	if rep := p.PollIfDue(t.Context(), g); !rep.Skipped {
		t.Errorf("a disabled feed was polled on schedule: %+v", rep)
	}
	states, _ := db.Feeds(t.Context())
	if states[0].Status != feedmill.StatusDisabled {
		t.Errorf("status after 410: %q", states[0].Status)
	}
	mu.Lock()
	gone = false
	mu.Unlock()
	if rep := p.Poll(t.Context(), g); rep.Err != nil {
		t.Fatalf("manual poll: %+v", rep)
	}
	// Re-enabled, and due again at once (min_interval is zero here).
	if rep := p.PollIfDue(t.Context(), g); rep.Skipped {
		t.Errorf("re-enabled feed skipped: %+v", rep)
	}

	m := Feed{Name: "moved", URL: srv.URL + "/old", Policy: policy}
	if rep := p.Poll(t.Context(), m); rep.Err != nil {
		t.Fatal(rep.Err)
	}
	st, _ := db.FetchState(t.Context(), "moved", m.URL)
	if st.MovedTo != srv.URL+"/new" {
		t.Fatalf("MovedTo = %q", st.MovedTo)
	}
	p.Poll(t.Context(), m)
	mu.Lock()
	defer mu.Unlock()
	if hits["/old"] != 1 || hits["/new"] != 2 {
		t.Errorf("hits %v: want the old URL once, then the new one directly", hits)
	}
}

// TestLogsHideCredentials: the warnings about moved and gone feeds name
// them without the user information and query their URLs may carry.
func TestLogsHideCredentials(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new?token=s3cret-new", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<rss version="2.0"><channel><title>t</title></channel></rss>`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var logs bytes.Buffer
	p := newPipeline(t, openDB(t))
	p.Log = slog.New(slog.NewTextHandler(&logs, nil))
	withCreds := strings.Replace(srv.URL, "http://", "http://alice:s3cret-pass@", 1)
	for _, f := range []Feed{{Name: "gone", URL: withCreds + "/gone?key=s3cret-key"}, {Name: "moved", URL: withCreds + "/old?key=s3cret-key"}} {
		p.Poll(t.Context(), f)
	}
	if !strings.Contains(logs.String(), "feed moved permanently") || !strings.Contains(logs.String(), "HTTP 410") {
		t.Fatalf("the warnings were not logged:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "s3cret") || strings.Contains(logs.String(), "alice") {
		t.Errorf("credentials in the log:\n%s", logs.String())
	}
}
