package readers

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// agents reads testdata/user-agents.txt.
func agents(t testing.TB) [][4]string {
	t.Helper()
	f, err := os.Open("testdata/user-agents.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][4]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 4 {
			t.Fatalf("bad line %q", line)
		}
		out = append(out, [4]string(fields))
	}
	return out
}

func TestParseServices(t *testing.T) {
	for _, a := range agents(t) {
		t.Run(a[1], func(t *testing.T) {
			got, ok := Parse(a[0])
			n, _ := strconv.Atoi(a[2])
			id := a[3]
			if id == "-" {
				id = ""
			}
			want := Announcement{Service: a[1], Subscribers: n, FeedID: id}
			if !ok || got != want {
				t.Errorf("Parse(%q) = %+v, %v; want %+v", a[0], got, ok, want)
			}
		})
	}
}

func TestParseNoCount(t *testing.T) {
	tests := []struct{ ua, service string }{
		{"Feedly/1.0 (+http://www.feedly.com/fetcher.html; like FeedFetcher-Google)", "Feedly"},
		{"Tiny Tiny RSS/24.02 (https://tt-rss.org/)", "Tiny Tiny RSS"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "unknown"},
		{"NetNewsWire (RSS Reader; https://netnewswire.com/)", "NetNewsWire"},
		{"FreshRSS/1.28.0 (Linux; https://freshrss.org)", "FreshRSS"},
		{"curl/8.5.0", "curl"},
		{"Reader 2.0 build 31337", "Reader"},
		{"", "unknown"},
		{"12345", "unknown"},
		{"Podcast app (version 3.readers)", "Podcast"},
		{"FeedReader/3.14 (12.5 subscribers)", "FeedReader"},
	}
	for _, tt := range tests {
		if a, ok := Parse(tt.ua); ok {
			t.Errorf("Parse(%q) = %+v, want no announcement", tt.ua, a)
		}
		if got := Service(tt.ua); got != tt.service {
			t.Errorf("Service(%q) = %q, want %q", tt.ua, got, tt.service)
		}
	}
}

func TestParseBounds(t *testing.T) {
	if a, ok := Parse("Evil/1.0 (99999999999999 subscribers)"); ok && a.Subscribers > MaxSubscribers {
		t.Errorf("count %d above the cap", a.Subscribers)
	}
	long := "Feedly/1.0 (" + strings.Repeat("x", 5000) + "; 3 subscribers)"
	if a, ok := Parse(long); ok {
		t.Errorf("a count beyond the first KB was read: %+v", a)
	}
}

func FuzzParse(f *testing.F) {
	for _, a := range agents(f) {
		f.Add(a[0])
	}
	f.Add("Mozilla/5.0 (compatible; 1,2,3 subscribers; feed-id=)")
	f.Fuzz(func(t *testing.T, ua string) {
		a, ok := Parse(ua)
		again, ok2 := Parse(ua)
		if a != again || ok != ok2 {
			t.Fatalf("not deterministic: %+v %+v", a, again)
		}
		svc := Service(ua)
		if svc == "" || (utf8.ValidString(ua) && !utf8.ValidString(svc)) {
			t.Fatalf("service %q", svc)
		}
		if !ok {
			if a != (Announcement{}) {
				t.Fatalf("no announcement but %+v", a)
			}
			return
		}
		if a.Subscribers < 0 || a.Subscribers > MaxSubscribers {
			t.Fatalf("count %d out of range", a.Subscribers)
		}
		if a.Service != svc {
			t.Fatalf("service %q, Service says %q", a.Service, svc)
		}
		low := strings.ToLower(clip(ua))
		if !strings.Contains(low, "subscriber") && !strings.Contains(low, "reader") {
			t.Fatalf("announcement without the word: %q", ua)
		}
		if !strings.Contains(clip(ua), strconv.Itoa(a.Subscribers)) && !strings.Contains(clip(ua), ",") {
			t.Fatalf("count %d not in %q", a.Subscribers, ua)
		}
		if len(a.FeedID) > 100 {
			t.Fatalf("feed id too long: %q", a.FeedID)
		}
	})
}
