package fetcher

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/feedmill/feedmill"
)

// TestRedirects: MovedTo only when every hop was permanent; loops and long
// chains are distinct errors.
func TestRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(rssDoc)) })
	hop := func(code int, to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, code) }
	}
	mux.Handle("/301", hop(301, "/feed"))
	mux.Handle("/308", hop(308, "/feed"))
	mux.Handle("/301-308", hop(301, "/308"))
	mux.Handle("/302", hop(302, "/feed"))
	mux.Handle("/307", hop(307, "/feed"))
	mux.Handle("/301-302", hop(301, "/302"))
	mux.Handle("/302-301", hop(302, "/301"))
	mux.Handle("/a", hop(301, "/b"))
	mux.Handle("/b", hop(301, "/a"))
	mux.Handle("/self", hop(308, "/self"))
	mux.Handle("/query", hop(301, "/feed?x=1"))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	f := New(Options{})
	tests := []struct {
		path    string
		movedTo string // path on srv, "" for none
		err     error
	}{
		{path: "/feed"},
		{path: "/301", movedTo: "/feed"},
		{path: "/308", movedTo: "/feed"},
		{path: "/301-308", movedTo: "/feed"},
		{path: "/query", movedTo: "/feed?x=1"},
		{path: "/302"},
		{path: "/307"},
		{path: "/301-302"},
		{path: "/302-301"},
		{path: "/a", err: ErrRedirectLoop},
		{path: "/self", err: ErrRedirectLoop},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, err := f.Fetch(t.Context(), srv.URL+tt.path, feedmill.FetchState{})
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.err.Error()) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if tt.movedTo != "" {
				want = srv.URL + tt.movedTo
			}
			if res.MovedTo != want {
				t.Errorf("MovedTo = %q, want %q", res.MovedTo, want)
			}
			if res.Feed == nil || len(res.Feed.Items) != 2 {
				t.Errorf("feed not parsed after redirects: %+v", res)
			}
		})
	}
}
