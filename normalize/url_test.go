package normalize

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
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
		{"brackets in path escaped", "https://example.com/rss_2.0.item[0].link", "", "https://example.com/rss_2.0.item%5B0%5D.link"},
		{"brackets and pipes in query escaped", "https://example.com/s?tags[]=a|b&q={x}", "", "https://example.com/s?tags%5B%5D=a%7Cb&q=%7Bx%7D"},
		{"escaped brackets kept", "https://example.com/a%5b1%5d", "", "https://example.com/a%5B1%5D"},
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

		// Percent-encoding normalization (RFC 3986 6.2.2.2).
		{"unreserved escapes decoded", "https://example.com/%7Eeditor/%41rticle%2D1%5F2%2E3", "", "https://example.com/~editor/Article-1_2.3"},
		{"lowercase unreserved escape decoded", "https://example.com/%7euser?q=%61b", "", "https://example.com/~user?q=ab"},
		{"reserved escapes kept", "https://example.com/a%3Bb?x=%26%3D%2B", "", "https://example.com/a%3Bb?x=%26%3D%2B"},
		{"escaped dot segments removed", "https://example.com/news/%2E%2E/world/%2e/story", "", "https://example.com/world/story"},
		{"escaped percent not decoded twice", "https://example.com/100%2541", "", "https://example.com/100%2541"},

		// Hosts.
		{"cyrillic idn", "https://Президент.РФ/news/73456", "", "https://xn--d1abbgf6aiiy.xn--p1ai/news/73456"},
		{"cyrillic idn punycode upper", "https://XN--D1ABBGF6AIIY.XN--P1AI/news/73456", "", "https://xn--d1abbgf6aiiy.xn--p1ai/news/73456"},
		{"idn with path and tracking", "https://www.münchen.de/aktuell/2026/maerz.html?utm_source=rss", "", "https://www.xn--mnchen-3ya.de/aktuell/2026/maerz.html"},
		{"fullwidth host", "https://ＥＸＡＭＰＬＥ．com/a", "", "https://example.com/a"},
		{"uppercase host keeps www", "HTTP://WWW.Reuters.COM/world/europe/x-2026-03-10/", "", "http://www.reuters.com/world/europe/x-2026-03-10/"},

		// Tracking parameters of real publishers and platforms.
		{"bbc at_ params", "https://www.bbc.co.uk/news/world-europe-68500000?at_medium=RSS&at_campaign=rss&at_link_id=12&at_ptr_name=twitter", "", "https://www.bbc.co.uk/news/world-europe-68500000"},
		{"guardian CMP", "https://www.theguardian.com/world/2026/mar/10/ukraine-talks?CMP=Share_iOSApp_Other", "", "https://www.theguardian.com/world/2026/mar/10/ukraine-talks"},
		{"le monde xtor", "https://www.lemonde.fr/international/article/2026/03/10/titre_6200000_3210.html?xtor=RSS-3208", "", "https://www.lemonde.fr/international/article/2026/03/10/titre_6200000_3210.html"},
		{"daily mail comscore", "https://www.dailymail.co.uk/news/article-13200000/Story.html?ns_mchannel=rss&ns_campaign=1490&ito=1490", "", "https://www.dailymail.co.uk/news/article-13200000/Story.html"},
		{"nyt share ids", "https://www.nytimes.com/2026/03/10/world/europe/ukraine.html?smid=nytcore-ios-share&smtyp=cur", "", "https://www.nytimes.com/2026/03/10/world/europe/ukraine.html"},
		{"washington post itid", "https://www.washingtonpost.com/world/2026/03/10/kyiv/?itid=hp-top-table-main&wpisrc=nl_headlines", "", "https://www.washingtonpost.com/world/2026/03/10/kyiv/"},
		{"yahoo consent and ncid", "https://news.yahoo.com/story-120000.html?ncid=rss&guccounter=1&guce_referrer=aHR0cHM6&guce_referrer_sig=AQAA", "", "https://news.yahoo.com/story-120000.html"},
		{"msn ocid cvid", "https://www.msn.com/en-us/news/world/story/ar-AA1abcd?ocid=msedgntp&pc=U531&cvid=0e0b", "", "https://www.msn.com/en-us/news/world/story/ar-AA1abcd?pc=U531"},
		{"yandex news utm", "https://ria.ru/20260310/ukraina-1933000000.html?utm_source=yxnews&utm_medium=desktop&utm_referrer=https%3A%2F%2Fdzen.ru", "", "https://ria.ru/20260310/ukraina-1933000000.html"},
		{"cyrillic path kept", "https://tass.ru/politika/2026/03/переговоры?yclid=123", "", "https://tass.ru/politika/2026/03/%D0%BF%D0%B5%D1%80%D0%B5%D0%B3%D0%BE%D0%B2%D0%BE%D1%80%D1%8B"},
		{"newsletter mailchimp hubspot", "https://example.org/briefing?mc_cid=a1&mc_eid=b2&_hsenc=p2A&_hsmi=99&id=7", "", "https://example.org/briefing?id=7"},
		{"ghost ref", "https://blog.example.org/a-post/?ref=news.example.com", "", "https://blog.example.org/a-post/"},
		{"ref=rss", "https://www.example.com/2026/03/10/story?ref=rss", "", "https://www.example.com/2026/03/10/story"},
		{"github ref kept", "https://github.com/o/r/blob/x.go?ref=main", "", "https://github.com/o/r/blob/x.go?ref=main"},
		{"gitlab subdomain ref kept", "https://docs.gitlab.com/ee/api/?ref=v16.0", "", "https://docs.gitlab.com/ee/api/?ref=v16.0"},
		{"medium source kept", "https://medium.com/@a/title-1a2b3c?source=rss----abc---4", "", "https://medium.com/@a/title-1a2b3c?source=rss----abc---4"},
		{"youtube video kept", "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=youtu.be&si=AbC", "", "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=youtu.be&si=AbC"},
		{"google extended access", "https://www.example.com/a?gaa_at=eafs&gaa_n=AWs&gaa_ts=65&gaa_sig=x", "", "https://www.example.com/a"},
		{"cloudflare challenge token", "https://www.example.com/a?__cf_chl_tk=abc.def-1&p=2", "", "https://www.example.com/a?p=2"},
		{"matomo", "https://example.org/a?mtm_campaign=x&pk_kwd=y&pk_campaign=z", "", "https://example.org/a"},
		{"amp param kept in canonical", "https://www.example.com/story?amp=1", "", "https://www.example.com/story?amp=1"},
		{"http and www kept", "http://www.example.com/story/", "", "http://www.example.com/story/"},
		{"query order kept", "https://example.com/search?q=kyiv&page=2&sort=date", "", "https://example.com/search?q=kyiv&page=2&sort=date"},
		{"repeated name kept", "https://example.com/t?tag=a&tag=b", "", "https://example.com/t?tag=a&tag=b"},
		{"feedburner link with fragment", "http://feedproxy.example.com/~r/Example/~3/AbCdEf/story.html#more-123", "", "http://feedproxy.example.com/~r/Example/~3/AbCdEf/story.html"},
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
	tests := []struct {
		name  string
		extra []string
		raw   string
		want  string
	}{
		{"none", nil, "https://example.com/a?ito=1&s=2&partner=rss&id=3", "https://example.com/a?s=2&partner=rss&id=3"},
		{"added names", []string{"partner", "S"}, "https://example.com/a?ito=1&s=2&partner=rss&id=3", "https://example.com/a?id=3"},
		{"added prefix", []string{"sp_*"}, "https://example.com/a?sp_mid=1&sp_rid=2&spx=3", "https://example.com/a?spx=3"},
		{"kept default", []string{"-ref"}, "https://example.com/a?ref=rss&utm_source=x", "https://example.com/a?ref=rss"},
		{"kept default prefix", []string{"-UTM_*"}, "https://example.com/a?utm_source=x&fbclid=y", "https://example.com/a?utm_source=x"},
		{"invalid entries ignored", []string{"", "*", "a=b", "-nope"}, "https://example.com/a?a=b&nope=1", "https://example.com/a?a=b&nope=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewCanonicalizer(tt.extra...).URL(tt.raw, "")
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("NewCanonicalizer(%q).URL(%q) = %q, want %q", tt.extra, tt.raw, got, tt.want)
			}
		})
	}
	// The default is unaffected by the others.
	if got, _ := CanonicalURL("https://example.com/a?partner=rss", ""); got != "https://example.com/a?partner=rss" {
		t.Errorf("default canonicalizer dropped partner: %q", got)
	}
}

func TestCheckTrackingParam(t *testing.T) {
	tests := []struct {
		in, wantErr string // wantErr: a substring of the error, "" for none
	}{
		{"partner", ""},
		{"sp_*", ""},
		{"WT.mc_id", ""},
		{"-ref", ""},
		{"-utm_*", ""},
		{"", "empty"},
		{"  ", "empty"},
		{"*", "every parameter"},
		{"-*", "every parameter"},
		{"a*b", "may only end"},
		{"a b", "not a query parameter name"},
		{"id=3", "not a query parameter name"},
		{"x&y", "not a query parameter name"},
		{"-partner", "not a default"},
	}
	for _, tt := range tests {
		err := CheckTrackingParam(tt.in)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("CheckTrackingParam(%q) = %v, want nil", tt.in, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("CheckTrackingParam(%q) = %v, want an error with %q", tt.in, err, tt.wantErr)
		}
	}
	for _, p := range DefaultTrackingParams() {
		if err := CheckTrackingParam(p); err != nil {
			t.Errorf("default %q: %v", p, err)
		}
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
		{"https://example.com/story?id=4&amp=0", "example.com/story?amp=0&id=4"},
		{"https://example.com/ampersand", "example.com/ampersand"},
		{"https://example.com:8080/a/", "example.com:8080/a"},
		{"https://mobile.example.com/a", "example.com/a"},
		{"https://www.bbc.co.uk/news/world-europe-68500000.amp", "bbc.co.uk/news/world-europe-68500000"},
		{"https://example.com/.amp", "example.com/.amp"},
		{"https://example.com/2026/03/story/?_amp=true", "example.com/2026/03/story"},
		{"https://example.com/story?output=amp&id=4", "example.com/story?id=4"},
		{"https://www-example-com.cdn.ampproject.org/c/s/www.example.com/2026/03/story/amp/?amp_js_v=0.1&usqp=mq331AQA", "example.com/2026/03/story"},
		{"https://example-com.cdn.ampproject.org/v/example.com/story.amp.html", "example.com/story.html"},
		{"https://cdn.ampproject.org/c/s/news.example.com/a?id=2", "news.example.com/a?id=2"},
		{"https://evil.example/c/s/www.example.com/a", "evil.example/c/s/www.example.com/a"},
		{"https://example.com/search?q=kyiv&page=2&lang=en", "example.com/search?lang=en&page=2&q=kyiv"},
		{"https://example.com/t?tag=b&id=1&tag=a", "example.com/t?id=1&tag=b&tag=a"},
		{"https://xn--d1abbgf6aiiy.xn--p1ai/news/73456/", "xn--d1abbgf6aiiy.xn--p1ai/news/73456"},
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
		"HTTPS://WWW.EXAMPLE.COM:443/2026/03/./story.amp?ref=rss",
		"https://www-example-com.cdn.ampproject.org/c/s/www.example.com/2026/03/story?amp=1&amp_js_v=0.1",
		"https://mobile.example.com/2026/03/%73tory?fbclid=IwAR0",
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
// input: it parses, is http(s), idempotent, fragment-free, untracked, has a
// lowercase host without a default port, and normalized percent-escapes.
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
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			t.Errorf("scheme or host of %q", got)
		}
		if u.Host != strings.ToLower(u.Host) || u.Port() == "80" && u.Scheme == "http" || u.Port() == "443" && u.Scheme == "https" {
			t.Errorf("host of %q not canonical", got)
		}
		if strings.Contains(got, "#") || u.Fragment != "" || u.ForceQuery && u.RawQuery == "" {
			t.Errorf("fragment or empty query in %q", got)
		}
		for i := strings.IndexByte(got, '%'); i >= 0; i = strings.IndexByte(got[i+1:], '%') + i + 1 {
			if i+2 >= len(got) || !isUpperHex(got[i+1]) || !isUpperHex(got[i+2]) || isUnreserved(unhex(got[i+1])<<4|unhex(got[i+2])) {
				t.Errorf("escape at %d of %q not normalized", i, got)
				break
			}
			if strings.IndexByte(got[i+1:], '%') < 0 {
				break
			}
		}
		for piece := range strings.SplitSeq(u.RawQuery, "&") {
			if name, _, _ := strings.Cut(piece, "="); strings.HasPrefix(strings.ToLower(name), "utm_") || strings.EqualFold(name, "fbclid") {
				t.Errorf("tracking parameter in %q", got)
			}
		}
		// RFC 3986: nothing after the authority outside its character set.
		rest := strings.TrimPrefix(got, u.Scheme+"://"+u.Host)
		for i := 0; i < len(rest); i++ {
			if c := rest[i]; c < utf8.RuneSelf && !uriChar(c) {
				t.Errorf("%q holds %q, which RFC 3986 allows in no path or query", got, c)
				break
			}
		}
		again, err := CanonicalURL(got, "")
		if err != nil || again != got {
			t.Errorf("CanonicalURL(%q, %q) = %q, but CanonicalURL(%q) = %q, %v", raw, base, got, got, again, err)
		}
		if key := DedupLink(got); key == "" || strings.HasPrefix(key, "http://") || strings.HasPrefix(key, "https://") {
			t.Errorf("DedupLink(%q) = %q", got, key)
		}
	})
}

// BenchmarkCanonicalURL canonicalizes the links of real-world shape that
// the ingest path sees, most of them already clean.
func BenchmarkCanonicalURL(b *testing.B) {
	links := []struct{ raw, base string }{
		{"https://www.bbc.co.uk/news/world-europe-68500000?at_medium=RSS&at_campaign=rss", ""},
		{"https://www.theguardian.com/world/2026/mar/10/ukraine-talks", ""},
		{"https://www.nytimes.com/2026/03/10/world/europe/ukraine.html", ""},
		{"https://ria.ru/20260310/ukraina-1933000000.html", ""},
		{"/world/2026/03/a", "https://www.example.com/world/"},
		{"https://www.example.com/story?utm_source=feedburner&utm_medium=feed&utm_campaign=Feed%3A+example", ""},
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range links {
			if _, err := CanonicalURL(l.raw, l.base); err != nil {
				b.Fatal(err)
			}
		}
	}
}
