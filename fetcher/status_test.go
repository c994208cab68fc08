package fetcher

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"Wed, 25 Nov 2026 08:05:00 GMT", 5 * time.Minute},
		{"Wednesday, 25-Nov-26 08:00:30 GMT", 30 * time.Second}, // RFC 850
		{"Wed Nov 25 08:01:00 2026", time.Minute},               // asctime
		{"Wed, 25 Nov 2026 07:00:00 GMT", 0},                    // in the past
		{"99999999999999", 366 * 24 * time.Hour},                // capped, no overflow
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestStatusErrors: a server that refuses in every way it can.
func TestStatusErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/429":
			w.Header().Set("Retry-After", "90")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/429-date":
			w.Header().Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
		case "/429-past":
			w.Header().Set("Retry-After", "Mon, 01 Jan 2001 00:00:00 GMT")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/503":
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/503-bare":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/410":
			w.WriteHeader(http.StatusGone)
		case "/500":
			http.Error(w, strings.Repeat("stack trace ", 1000), http.StatusInternalServerError)
		case "/403":
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer srv.Close()
	f := New(Options{})
	tests := []struct {
		path       string
		rateStatus int           // a *RateLimitedError with this status
		minDelay   time.Duration // and a delay in [minDelay, maxDelay]
		maxDelay   time.Duration
		status     int // else a *StatusError with this code
		gone       bool
		msg        string
	}{
		{path: "/429", rateStatus: 429, minDelay: 90 * time.Second, maxDelay: 90 * time.Second, msg: "HTTP 429, retry after 1m30s"},
		{path: "/429-date", rateStatus: 429, minDelay: 58 * time.Minute, maxDelay: time.Hour},
		{path: "/429-past", rateStatus: 429, msg: "HTTP 429"},
		{path: "/503", rateStatus: 503, minDelay: 5 * time.Second, maxDelay: 5 * time.Second},
		{path: "/503-bare", rateStatus: 503},
		{path: "/410", status: 410, gone: true, msg: "HTTP 410 Gone"},
		{path: "/500", status: 500, msg: "HTTP 500 Internal Server Error"},
		{path: "/403", status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := f.Fetch(t.Context(), srv.URL+tt.path, feedmill.FetchState{})
			if err == nil {
				t.Fatal("no error")
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("err = %q, want %q", err, tt.msg)
			}
			if errors.Is(err, feedmill.ErrGone) != tt.gone {
				t.Errorf("errors.Is(%v, ErrGone) = %v", err, !tt.gone)
			}
			if tt.rateStatus != 0 {
				rl, ok := errors.AsType[*feedmill.RateLimitedError](err)
				if !ok {
					t.Fatalf("err = %#v, want a *RateLimitedError", err)
				}
				if rl.Status != tt.rateStatus || rl.RetryAfter < tt.minDelay || rl.RetryAfter > tt.maxDelay {
					t.Errorf("got %+v, want status %d and a delay in [%s, %s]", rl, tt.rateStatus, tt.minDelay, tt.maxDelay)
				}
				return
			}
			se, ok := errors.AsType[*StatusError](err)
			if !ok || se.Code != tt.status {
				t.Errorf("err = %#v, want *StatusError %d", err, tt.status)
			}
		})
	}
}
