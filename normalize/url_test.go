package normalize

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct {
		name, raw, base, want string
	}{
		{"already canonical", "https://example.com/a/b", "", "https://example.com/a/b"},
		{"spaces trimmed", "  https://example.com/a \n", "", "https://example.com/a"},
		{"newline inside", "https://example.com/2026/\n03/story", "", "https://example.com/2026/03/story"},
		{"uppercase scheme and host", "HTTPS://WWW.Example.COM/Path/To", "", "https://www.example.com/Path/To"},
		{"empty path", "https://example.com", "", "https://example.com/"},
		{"empty path with query", "https://example.com?id=3", "", "https://example.com/?id=3"},
		{"default http port", "http://example.com:80/a", "", "http://example.com/a"},
		{"default https port", "https://example.com:443/a", "", "https://example.com/a"},
		{"non-default port kept", "https://example.com:8443/a", "", "https://example.com:8443/a"},
		{"http port 443 kept", "http://example.com:443/a", "", "http://example.com:443/a"},
		{"empty port", "https://example.com:/a", "", "https://example.com/a"},
		{"fragment", "https://example.com/story#comments", "", "https://example.com/story"},
		{"empty fragment", "https://example.com/story#", "", "https://example.com/story"},
		{"trailing question mark", "https://example.com/story?", "", "https://example.com/story"},
		{"feedburner tracking", "https://example.com/story?utm_source=feedburner&utm_medium=feed&utm_campaign=Feed%3A+example", "", "https://example.com/story"},
		{"tracking mixed with content", "https://example.com/watch?utm_source=rss&v=abc123&fbclid=IwAR0x&t=42", "", "https://example.com/watch?v=abc123&t=42"},
		{"tracking uppercase name", "https://example.com/a?UTM_Source=x&id=1", "", "https://example.com/a?id=1"},
		{"tracking encoded name", "https://example.com/a?utm%5Fsource=x&id=1", "", "https://example.com/a?id=1"},
		{"tracking only then empty", "https://example.com/a?gclid=abc&mc_cid=1&mc_eid=2", "", "https://example.com/a"},
		{"msn ocid and twitter ref_src", "https://example.com/a?ocid=msedgntp&ref_src=twsrc%5Etfw", "", "https://example.com/a"},
		{"github ref kept", "https://github.com/o/r/blob/x.go?ref=main", "", "https://github.com/o/r/blob/x.go?ref=main"},
		{"order and encoding kept", "https://example.com/s?q=a+b&z=%C3%A9&a=1", "", "https://example.com/s?q=a+b&z=%C3%A9&a=1"},
		{"empty query pieces", "https://example.com/s?a=1&&b=2&", "", "https://example.com/s?a=1&b=2"},
		{"lowercase escapes uppercased", "https://example.com/a%2fb?x=%e2%82%ac", "", "https://example.com/a%2Fb?x=%E2%82%AC"},
		{"dot segments", "https://example.com/a/./b/../c", "", "https://example.com/a/c"},
		{"relative path", "story.html", "https://example.com/news/index.html", "https://example.com/news/story.html"},
		{"relative root", "/2026/03/story", "https://example.com/news/", "https://example.com/2026/03/story"},
		{"relative parent", "../world/x", "https://example.com/news/local/", "https://example.com/news/world/x"},
		{"relative query", "?page=2", "https://example.com/list", "https://example.com/list?page=2"},
		{"base with tracking is cleaned", "/a", "https://example.com/?utm_source=x", "https://example.com/a"},
		{"protocol relative no base", "//cdn.example.com/a.jpg", "", "https://cdn.example.com/a.jpg"},
		{"protocol relative http base", "//cdn.example.com/a.jpg", "http://example.com/", "http://cdn.example.com/a.jpg"},
		{"idn host unicode", "https://Bücher.example/katalog", "", "https://xn--bcher-kva.example/katalog"},
		{"idn host punycode", "https://xn--bcher-kva.example/katalog", "", "https://xn--bcher-kva.example/katalog"},
		{"unicode path", "https://example.com/café", "", "https://example.com/caf%C3%A9"},
		{"unicode query", "https://example.com/s?q=café", "", "https://example.com/s?q=caf%C3%A9"},
		{"space in path", "https://example.com/a b", "", "https://example.com/a%20b"},
		{"bare percent", "https://example.com/100%-sure", "", "https://example.com/100%25-sure"},
		{"userinfo dropped", "https://user:pw@example.com/a", "", "https://example.com/a"},
		{"trailing dot host", "https://example.com./a", "", "https://example.com/a"},
		{"ipv6 default port", "http://[2001:db8::1]:80/a", "", "http://[2001:db8::1]/a"},
		{"ipv6 other port", "http://[2001:db8::1]:8080/a", "", "http://[2001:db8::1]:8080/a"},
		{"encoded slash kept", "https://example.com/a%2Fb/c", "", "https://example.com/a%2Fb/c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanonicalURL(tt.raw, tt.base)
			if err != nil {
				t.Fatalf("CanonicalURL(%q, %q): %v", tt.raw, tt.base, err)
			}
			if got != tt.want {
				t.Errorf("CanonicalURL(%q, %q) = %q, want %q", tt.raw, tt.base, got, tt.want)
			}
			again, err := CanonicalURL(got, "")
			if err != nil || again != got {
				t.Errorf("not idempotent: CanonicalURL(%q) = %q, %v", got, again, err)
			}
		})
	}
}

func TestCanonicalURLErrors(t *testing.T) {
	tests := []struct{ name, raw, base string }{
		{"empty", "", ""},
		{"only spaces", "   ", "https://example.com/"},
		{"mailto", "mailto:desk@example.com", ""},
		{"javascript", "javascript:alert(1)", "https://example.com/"},
		{"data", "data:text/html,hi", ""},
		{"ftp", "ftp://example.com/file", ""},
		{"relative without base", "/a/b", ""},
		{"relative with bad base", "a", "mailto:x@example.com"},
		{"no host", "https:///path", ""},
		{"opaque", "http:example.com", ""},
		{"bad port", "https://example.com:port/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanonicalURL(tt.raw, tt.base)
			if err == nil {
				t.Fatalf("CanonicalURL(%q, %q) = %q, want an error", tt.raw, tt.base, got)
			}
		})
	}
	if _, err := CanonicalURL("mailto:a@example.com", ""); !errors.Is(err, ErrNotHTTP) {
		t.Errorf("mailto: error %v is not ErrNotHTTP", err)
	}
}

func TestCanonicalizerExtra(t *testing.T) {
	c := NewCanonicalizer("ref", "itm_*")
	got, err := c.URL("https://example.com/a?ref=rss&itm_source=x&id=2", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://example.com/a?id=2"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// The default is unaffected.
	if got, _ := CanonicalURL("https://example.com/a?ref=rss", ""); got != "https://example.com/a?ref=rss" {
		t.Errorf("default canonicalizer dropped ref: %q", got)
	}
}

func TestDedupLink(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com/", "example.com"},
		{"https://example.com/a/b/", "example.com/a/b"},
		{"http://example.com/a", "example.com/a"},
		{"https://www.example.com/a", "example.com/a"},
		{"https://m.example.com/a", "example.com/a"},
		{"https://amp.example.com/a", "example.com/a"},
		{"https://www.com/a", "www.com/a"},
		{"https://news.example.com/a", "news.example.com/a"},
		{"https://example.com/amp/2026/03/story", "example.com/2026/03/story"},
		{"https://example.com/2026/03/story/amp", "example.com/2026/03/story"},
		{"https://example.com/2026/03/story/amp/", "example.com/2026/03/story"},
		{"https://example.com/2026/03/story.amp.html", "example.com/2026/03/story.html"},
		{"https://example.com/story?amp=1", "example.com/story"},
		{"https://example.com/story?amp", "example.com/story"},
		{"https://example.com/story?id=4&outputType=amp", "example.com/story?id=4"},
		{"https://example.com/story?id=4&amp=0", "example.com/story?id=4&amp=0"},
		{"https://example.com/ampersand", "example.com/ampersand"},
		{"https://example.com:8080/a/", "example.com:8080/a"},
	}
	for _, tt := range tests {
		if got := DedupLink(tt.in); got != tt.want {
			t.Errorf("DedupLink(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// The variants a publisher hands out for one article share a key.
	variants := []string{
		"http://www.example.com/2026/03/story/?utm_source=feedburner&utm_medium=feed",
		"https://example.com/2026/03/story",
		"https://amp.example.com/2026/03/story/amp/",
		"https://m.example.com/2026/03/story?outputType=amp#top",
	}
	var keys []string
	for _, v := range variants {
		c, err := CanonicalURL(v, "")
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, DedupLink(c))
	}
	for _, k := range keys[1:] {
		if k != keys[0] {
			t.Errorf("variants have different keys: %q", keys)
			break
		}
	}
}

// FuzzCanonicalURL checks the invariants of a canonical URL on arbitrary
// input: it is idempotent, http(s), fragment-free and untracked.
func FuzzCanonicalURL(f *testing.F) {
	for _, s := range readSeeds(f, "testdata/urls.txt") {
		raw, base, _ := strings.Cut(s, "\t")
		f.Add(raw, base)
	}
	f.Fuzz(func(t *testing.T, raw, base string) {
		got, err := CanonicalURL(raw, base)
		if err != nil {
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("CanonicalURL(%q, %q) = %q, which does not parse: %v", raw, base, got, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Errorf("scheme of %q", got)
		}
		if strings.Contains(got, "#") || u.Fragment != "" {
			t.Errorf("fragment in %q", got)
		}
		for piece := range strings.SplitSeq(u.RawQuery, "&") {
			if name, _, _ := strings.Cut(piece, "="); strings.HasPrefix(strings.ToLower(name), "utm_") {
				t.Errorf("tracking parameter in %q", got)
			}
		}
		again, err := CanonicalURL(got, "")
		if err != nil || again != got {
			t.Errorf("CanonicalURL(%q, %q) = %q, but CanonicalURL(%q) = %q, %v", raw, base, got, got, again, err)
		}
	})
}
