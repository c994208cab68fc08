package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestOutputFile checks that the fast route takes exactly the requests the
// mux routes to handleOutput, with the same file name.
func TestOutputFile(t *testing.T) {
	mux := http.NewServeMux()
	var routed string
	mux.HandleFunc("GET /feeds/{file}", func(w http.ResponseWriter, r *http.Request) { routed = r.PathValue("file") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {})
	tests := []struct{ method, target string }{
		{"GET", "/feeds/world.atom"},
		{"HEAD", "/feeds/world.rss"},
		{"GET", "/feeds/world.json?key=0123456789abcdef&before=x"},
		{"GET", "/feeds/a.b-c_d.atom"},
		{"POST", "/feeds/world.atom"},
		{"PUT", "/feeds/world.atom"},
		{"GET", "/feeds/"},
		{"GET", "/feeds"},
		{"GET", "/feeds/a/b.atom"},
		{"GET", "/feeds/./world.atom"},
		{"GET", "/feeds/../opml"},
		{"GET", "/feeds/.."},
		{"GET", "/feeds/."},
		{"GET", "/feeds//world.atom"},
		{"GET", "/feeds/wor%6Cd.atom"},
		{"GET", "/feeds/a%2Fb.atom"},
		{"GET", "/feeds/caf%C3%A9.atom"},
		{"GET", "/Feeds/world.atom"},
		{"GET", "/opml"},
		{"GET", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			routed = ""
			mux.ServeHTTP(httptest.NewRecorder(), r)
			file, ok := outputFile(httptest.NewRequest(tt.method, tt.target, nil))
			if ok && file != routed {
				t.Errorf("outputFile = %q, but the mux routes it to handleOutput with %q", file, routed)
			}
			if !ok && routed != "" && r.URL.RawPath == "" {
				t.Errorf("outputFile declines a request the mux routes to handleOutput with %q", routed)
			}
		})
	}
}
