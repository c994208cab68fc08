package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Ops are the hooks of the operations endpoints. Each is optional: without
// Health /healthz checks the database only, without Metrics /metrics is
// 404, and without an APIToken (or a Fetch) the API is off (404).
type Ops struct {
	// Health reports whether the scheduler ticked on time; /healthz
	// answers 503 with its error, or 200 with "reloading" when the error
	// is ErrReloading.
	Health func(now time.Time) error
	// Metrics serves /metrics.
	Metrics http.Handler
	// Observe is told of every request of a configured output, once
	// answered; it must be safe for concurrent use.
	Observe func(Request)
	// APIToken is the bearer token POST /api/fetch requires.
	APIToken string
	// Fetch polls the named feeds (every feed when none) now, whether due
	// or not, and returns their outcomes. It returns an error wrapping
	// ErrUnknownFeed for a name that is no configured feed.
	Fetch func(ctx context.Context, feeds []string) ([]FetchResult, error)
}

// Request describes one answered request of an output, for metrics and
// reader counts.
type Request struct {
	Output, Format string
	Status         int
	UserAgent      string
	// RemoteAddr is the client's "ip:port".
	RemoteAddr string
}

// ErrReloading is the error of Ops.Health while the daemon applies a new
// configuration (its scheduler is stopped and restarted, stored items may
// be retagged): healthy, though no feed is polled for that while.
var ErrReloading = errors.New("reloading")

// ErrUnknownFeed is the error of Ops.Fetch for a feed that is not configured.
var ErrUnknownFeed = errors.New("no such feed")

// FetchResult is the outcome of one feed's poll, as POST /api/fetch
// reports it.
type FetchResult struct {
	Feed string `json:"feed"`
	// Result is ok, not_modified, failed or gone.
	Result     string `json:"result"`
	New        int    `json:"new"`
	Merged     int    `json:"merged"`
	Updated    int    `json:"updated"`
	Seen       int    `json:"seen"`
	HTTPStatus int    `json:"http_status,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error,omitempty"`
}

// health is the body of /healthz.
type health struct {
	Status    string `json:"status"`
	Database  string `json:"database"`
	Scheduler string `json:"scheduler"`
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	h := health{Status: "ok", Database: "ok", Scheduler: "ok"}
	code := http.StatusOK
	if err := s.store.Ping(ctx); err != nil {
		h.Status, h.Database, code = "unhealthy", err.Error(), http.StatusServiceUnavailable
	}
	if s.cfg.Ops.Health == nil {
		h.Scheduler = "not checked"
	} else if err := s.cfg.Ops.Health(s.now()); errors.Is(err, ErrReloading) {
		h.Scheduler = "reloading"
	} else if err != nil {
		h.Status, h.Scheduler, code = "unhealthy", err.Error(), http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, code, h)
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ops.Metrics == nil {
		http.NotFound(w, r)
		return
	}
	s.cfg.Ops.Metrics.ServeHTTP(w, r)
}

// apiFetchTimeout bounds one POST /api/fetch: the response is written when
// every feed was polled, beyond the server's usual write timeout.
const apiFetchTimeout = 10 * time.Minute

// handleAPIFetch polls feeds now: all of them, or the ?feed= ones. It
// answers 200 with the outcome of each when they are done.
func (s *Server) handleAPIFetch(w http.ResponseWriter, r *http.Request) {
	ops := s.cfg.Ops
	if ops.APIToken == "" || ops.Fetch == nil {
		http.NotFound(w, r) // the API is off
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
		return
	}
	if !bearer(r, ops.APIToken) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="feedmill"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "a valid bearer token is required"})
		return
	}
	feeds := r.URL.Query()["feed"]
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(apiFetchTimeout))
	ctx, cancel := context.WithTimeout(r.Context(), apiFetchTimeout)
	defer cancel()
	results, err := ops.Fetch(ctx, feeds)
	switch {
	case errors.Is(err, ErrUnknownFeed):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	case err != nil:
		s.log.Error("api fetch", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	var total struct {
		Feeds   int `json:"feeds"`
		Failed  int `json:"failed"`
		New     int `json:"new"`
		Merged  int `json:"merged"`
		Updated int `json:"updated"`
		Seen    int `json:"seen"`
	}
	for _, res := range results {
		total.Feeds++
		if res.Error != "" {
			total.Failed++
		}
		total.New += res.New
		total.Merged += res.Merged
		total.Updated += res.Updated
		total.Seen += res.Seen
	}
	if results == nil {
		results = []FetchResult{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"feeds": results, "total": total})
}

// bearer reports whether r carries "Authorization: Bearer TOKEN" with the
// given token, compared in constant time.
func bearer(r *http.Request, token string) bool {
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
