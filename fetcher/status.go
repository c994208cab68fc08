package fetcher

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/feedmill/feedmill"
)

// StatusError is an HTTP response that carried no feed. A 410 Gone unwraps
// to feedmill.ErrGone.
type StatusError struct {
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
}

// Unwrap lets errors.Is(err, feedmill.ErrGone) see a 410.
func (e *StatusError) Unwrap() error {
	if e.Code == http.StatusGone {
		return feedmill.ErrGone
	}
	return nil
}

// statusError turns a non-2xx, non-304 response into its error: servers
// asking for a pause (429, 503) get a *feedmill.RateLimitedError with the
// delay they asked for, everything else a *StatusError.
func statusError(resp *http.Response, now time.Time) error {
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return &feedmill.RateLimitedError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}
	}
	return &StatusError{Code: resp.StatusCode}
}

// retryAfter reads a Retry-After value, either delay-seconds or an
// HTTP-date (RFC 9110 §10.2.3), as a delay from now. A date in the past,
// a negative number or garbage is no delay.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		// A year is longer than any sane server means; cap so the
		// multiplication cannot overflow.
		return time.Duration(min(secs, 366*24*3600)) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	return max(t.Sub(now), 0)
}
