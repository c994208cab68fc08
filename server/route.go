package server

import (
	"net/http"
	"strings"
)

// outputFile returns the file name of a GET or HEAD of /feeds/FILE when
// the mux would route it to handleOutput with that same PathValue: a
// single plain segment (no escapes, not "." or ".."), so that the common
// request skips pattern matching. Anything else returns false and goes
// through the mux.
func outputFile(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return "", false
	}
	if r.URL.RawPath != "" {
		return "", false
	}
	file, ok := strings.CutPrefix(r.URL.Path, "/feeds/")
	if !ok || file == "" || file == "." || file == ".." || strings.IndexByte(file, '/') >= 0 {
		return "", false
	}
	return file, true
}
