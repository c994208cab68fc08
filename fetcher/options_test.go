package fetcher

import (
	"net/http"
	"testing"
	"time"
)

// TestOptionDefaults: the transport's limits follow the options, and the
// connect and header limits never exceed the total.
func TestOptionDefaults(t *testing.T) {
	tests := []struct {
		opts                     Options
		perHost                  int
		connect, header, timeout time.Duration
	}{
		{Options{}, DefaultPerHost, 10 * time.Second, 15 * time.Second, 30 * time.Second},
		{Options{Timeout: 3 * time.Second, PerHost: 5}, 5, 3 * time.Second, 3 * time.Second, 3 * time.Second},
		{Options{Timeout: time.Minute, ConnectTimeout: time.Second, HeaderTimeout: 2 * time.Second}, DefaultPerHost, time.Second, 2 * time.Second, time.Minute},
	}
	for _, tt := range tests {
		f := New(tt.opts)
		tr := f.client.Transport.(*http.Transport)
		if tr.MaxConnsPerHost != tt.perHost || tr.MaxIdleConnsPerHost != tt.perHost {
			t.Errorf("%+v: MaxConnsPerHost %d, MaxIdleConnsPerHost %d, want %d", tt.opts, tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost, tt.perHost)
		}
		if f.connectTimeout != tt.connect || tr.ResponseHeaderTimeout != tt.header || f.timeout != tt.timeout {
			t.Errorf("%+v: connect %s, header %s, total %s; want %s, %s, %s", tt.opts,
				f.connectTimeout, tr.ResponseHeaderTimeout, f.timeout, tt.connect, tt.header, tt.timeout)
		}
	}
}
