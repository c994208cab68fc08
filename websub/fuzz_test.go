package websub

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
)

func readSeeds(f *testing.F, path string) []string {
	f.Helper()
	file, err := os.Open(path)
	if err != nil {
		f.Fatal(err)
	}
	defer file.Close()
	var out []string
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// FuzzCanonicalTopic checks the topic matching on arbitrary URLs: a
// canonical form is an http(s) URL with a lowercase scheme and host, no
// default port and no fragment, is its own canonical form, and finds the
// topic it came from.
func FuzzCanonicalTopic(f *testing.F) {
	for _, s := range readSeeds(f, "testdata/topics.txt") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, ok := canonical(raw)
		if !ok {
			if _, found := newTopicSet([]string{"http://feeds.example/feeds/a.atom"}).find(raw); found {
				t.Errorf("%q is not a URL, yet found", raw)
			}
			return
		}
		u, err := url.Parse(c)
		if err != nil {
			t.Fatalf("canonical(%q) = %q does not parse: %v", raw, c, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Host != strings.ToLower(u.Host) || u.Fragment != "" ||
			(u.Scheme == "http" && u.Port() == "80") || (u.Scheme == "https" && u.Port() == "443") {
			t.Errorf("canonical(%q) = %q is not canonical", raw, c)
		}
		if again, ok := canonical(c); !ok || again != c {
			t.Errorf("canonical(%q) = %q, but canonical of that is %q, %v", raw, c, again, ok)
		}
		if got, found := newTopicSet([]string{raw}).find(c); !found || got != raw {
			t.Errorf("topic %q not found from its canonical form %q (got %q)", raw, c, got)
		}
	})
}

// FuzzSubscriptionRequest sends arbitrary request bodies to the hub: it
// answers 202 or 400, and accepts only requests with a subscribe or
// unsubscribe mode, a topic, a public http(s) callback and a short secret.
// Its client cannot connect anywhere, so fuzzing makes no requests.
func FuzzSubscriptionRequest(f *testing.F) {
	for _, s := range readSeeds(f, "testdata/requests.txt") {
		f.Add(s)
	}
	noNet := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no network while fuzzing")
	}}}
	db := openDB(f, dbPath(f))
	h := NewHub(HubOptions{Options: Options{Client: noNet, Attempts: 1}, URL: testHub, Store: db})
	f.Cleanup(h.Close)
	h.SetTopics([]string{topic("a.atom"), topic("p.json?key=0123456789abcdef")})
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, testHub, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		form, _ := url.ParseQuery(body)
		switch rec.Code {
		case http.StatusAccepted:
			mode, cb := form.Get("hub.mode"), form.Get("hub.callback")
			u, err := url.Parse(cb)
			if (mode != "subscribe" && mode != "unsubscribe") || form.Get("hub.topic") == "" || err != nil ||
				(u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || len(form.Get("hub.secret")) >= 200 ||
				strings.EqualFold(u.Hostname(), "localhost") {
				t.Errorf("accepted %q", body)
			}
		case http.StatusBadRequest:
			if strings.TrimSpace(rec.Body.String()) == "" {
				t.Errorf("400 without a reason for %q", body)
			}
		default:
			t.Errorf("%q: status %d", body, rec.Code)
		}
	})
}
