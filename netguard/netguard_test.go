package netguard

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestPublic(t *testing.T) {
	tests := []struct {
		addr   string
		public bool
	}{
		{"127.0.0.1", false},
		{"127.8.9.10", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"100.64.0.1", false},
		{"0.0.0.0", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
		{"198.18.0.1", false},
		{"::1", false},
		{"fe80::1", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"::", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"2001:db8::1", false},
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"151.101.1.69", true},
		{"172.32.0.1", true},
		{"2a00:1450:4001::1", true},
		{"::ffff:8.8.8.8", true},
	}
	for _, tt := range tests {
		if got := Public(netip.MustParseAddr(tt.addr)); got != tt.public {
			t.Errorf("Public(%s) = %v, want %v", tt.addr, got, tt.public)
		}
	}
}

// TestControlRefusesLoopback dials a real server on 127.0.0.1 through a
// guarded client: the connection is refused before it is made.
func TestControlRefusesLoopback(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer srv.Close()
	dialer := &net.Dialer{Timeout: time.Second, Control: Control}
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	_, err := client.Get(srv.URL)
	var np *NotPublicError
	if !errors.As(err, &np) {
		t.Fatalf("GET %s: %v, want a refusal", srv.URL, err)
	}
	if hit {
		t.Error("the request reached the server")
	}
}
