package readers

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkRecord measures counting one request, as the server does for
// every output request: a feed service's and a reader's User-Agent.
func BenchmarkRecord(b *testing.B) {
	c := NewCounter(Options{})
	now := time.Now()
	for _, ua := range []struct{ name, ua string }{
		{"service", "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 subscribers; feed-id=3f9a1b)"},
		{"direct", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) NetNewsWire/6.1"},
	} {
		b.Run(ua.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				c.Record("news", "atom", ua.ua, "192.0.2."+strconv.Itoa(i%200)+":40000", now)
				i++
			}
		})
	}
}

// BenchmarkRecordFull measures counting a new client when MaxClients
// (the default, 100,000) are remembered and none has expired: what a
// flood of forged requests costs per request.
func BenchmarkRecordFull(b *testing.B) {
	c := NewCounter(Options{})
	now := time.Now()
	for i := range DefaultMaxClients {
		c.Record("news", "atom", "reader", "10."+strconv.Itoa(i>>16)+"."+strconv.Itoa(i>>8&255)+"."+strconv.Itoa(i&255), now)
	}
	if n := len(c.clients); n != DefaultMaxClients {
		b.Fatalf("%d clients, want %d", n, DefaultMaxClients)
	}
	i := 0
	for b.Loop() {
		c.Record("news", "atom", "reader", "192.0.2."+strconv.Itoa(i%200)+":40000", now)
		i++
	}
}
