package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/poller"
	"github.com/feedmill/feedmill/server"
	"github.com/feedmill/feedmill/storage"
)

// TestHealthDuringReload follows serve's reload sequence with real
// schedulers and a real /healthz: the old scheduler stops, the new
// configuration is applied, a new scheduler starts. /healthz used to
// answer 503 "scheduler not running" for that whole while (retag and
// restory included); it now answers 200 "reloading", and reports a
// stopped scheduler again once no reload is under way.
func TestHealthDuringReload(t *testing.T) {
	db, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "health.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	o := &ops{}
	srv := httptest.NewServer(server.New(db, server.Config{Ops: server.Ops{Health: o.health}}))
	defer srv.Close()
	check := func(when string, wantCode int, want string) {
		t.Helper()
		resp, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != wantCode || !strings.Contains(string(b), want) {
			t.Errorf("%s: /healthz %d %s, want %d with %s", when, resp.StatusCode, b, wantCode, want)
		}
	}
	start := func() (*poller.Scheduler, func()) {
		s := &poller.Scheduler{}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		o.sched.Store(s)
		go func() { defer close(done); s.Run(ctx) }()
		for !s.Running() {
			time.Sleep(time.Millisecond)
		}
		return s, func() { cancel(); <-done }
	}

	old, stopOld := start()
	check("running", 200, `"scheduler":"ok"`)
	o.reloadingFrom.Store(old) // SIGHUP with a valid configuration
	stopOld()
	check("old scheduler stopped, reload applied", 200, `"scheduler":"reloading"`)
	o.sched.Store(&poller.Scheduler{}) // the next generation, not yet running
	check("new scheduler not yet running", 200, `"scheduler":"reloading"`)
	_, stopNew := start()
	check("new scheduler running", 200, `"scheduler":"ok"`)
	stopNew()
	check("stopped outside a reload", 503, `"scheduler":"scheduler not running"`)
}
