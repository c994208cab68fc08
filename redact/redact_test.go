package redact

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://user:pass@example.org/feed.xml?token=abc#x", "https://example.org/feed.xml"},
		{"http://example.org:8080/a%2Fb/rss", "http://example.org:8080/a%2Fb/rss"},
		{"https://example.org", "https://example.org"},
		{"/relative?key=1", ""},
		{"https://exa mple.org/%zz", ""},
	} {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`Get "https://u:xxxxx@example.org/rss?token=abc": dial tcp: connection refused`,
			`Get "https://example.org/rss": dial tcp: connection refused`},
		{"two: http://a.example/x?key=1, and https://b.example/y?key=2 end",
			"two: http://a.example/x, and https://b.example/y end"},
		{"verify http://cb.example/hook?hub.topic=http%3A%2F%2Ff.example%2Ffeeds%2Fp.rss%3Fkey%3Dsekrit",
			"verify http://cb.example/hook"},
		{"bad http://example.org/%zz?key=1 here", "bad http://REDACTED here"},
		{"(see https://example.org/a?key=1).", "(see https://example.org/a)."},
		{"no url, key=value stays", "no url, key=value stays"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// TestHandler logs through a real text handler and checks that no secret
// reaches the output, whatever the shape of the value that carries it.
func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewTextHandler(&buf, nil)))
	u := "http://feeds.example/feeds/p.rss?key=sekrit1"
	req, _ := http.NewRequest("GET", "http://feeds.example/feeds/p.atom?key=sekrit2", nil)
	log.With("topic", u).WithGroup("g").Info("published http://x.example/?key=sekrit3",
		"err", errors.New(`Post "http://cb.example/?key=sekrit4": EOF`),
		"url", req.URL,
		slog.Group("sub", "callback", "http://u:sekrit5@cb.example/hook"),
		"n", 3)
	out := buf.String()
	if strings.Contains(out, "sekrit") {
		t.Errorf("a secret was logged: %s", out)
	}
	for _, want := range []string{"topic=http://feeds.example/feeds/p.rss", "g.n=3", "g.url=http://feeds.example/feeds/p.atom", "g.sub.callback=http://cb.example/hook"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q: %s", want, out)
		}
	}
}
