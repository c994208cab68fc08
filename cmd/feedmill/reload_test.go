package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestReload: SIGHUP applies an edited configuration without a restart
// (new feeds, topics and outputs; removed outputs), and a bad one is
// logged and the running one kept.
func TestReload(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>%[1]s</title><item><title>%[1]s story</title><link>https://%[1]s.example/1</link><guid>1</guid></item></channel></rss>`, name)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	listen := freeAddr(t)
	base := "http://" + listen
	write := func(body string) {
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf("database: reload.db\nlisten: %s\nschedule: \"@every 1000h\"\n%s", listen, body)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf(`feeds:
  - name: alpha
    url: %s/alpha
topics:
  - name: first
    match: alpha
outputs:
  - name: one
    topics: [first]
`, srv.URL))
	cmd := exec.Command(binary, "--config", cfg, "--log-format", "text", "serve")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	waitFor := func(what, url, want string, status int) {
		t.Helper()
		var code int
		var body string
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			resp, err := http.Get(url)
			if err != nil {
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, body = resp.StatusCode, string(b)
			if code == status && strings.Contains(body, want) {
				return
			}
		}
		t.Fatalf("%s: GET %s: %d, want %d with %q\n%s\nlog:\n%s", what, url, code, status, want, body, out)
	}
	waitFor("start", base+"/feeds/one.atom", "alpha story", 200)

	write(fmt.Sprintf(`feeds:
  - name: alpha
    url: %[1]s/alpha
  - name: beta
    url: %[1]s/beta
topics:
  - name: first
    match: alpha
  - name: second
    match: beta
outputs:
  - name: two
    topics: [second]
`, srv.URL))
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor("a new feed, topic and output", base+"/feeds/two.atom", "beta story", 200)
	waitFor("a removed output", base+"/feeds/one.atom", "", 404)

	write("feeds: [{name: alpha, url: " + srv.URL + "/alpha}]\ntopics:\n  - name: broken\n    match: (unclosed\n")
	cmd.Process.Signal(syscall.SIGHUP)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "keeping the running one"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line about the bad configuration:\n%s", out)
		}
	}
	if !strings.Contains(out.String(), "config.yaml:7:21: topics[0].match") {
		t.Errorf("the reload error does not name file and line:\n%s", out)
	}
	waitFor("after a bad reload", base+"/feeds/two.atom", "beta story", 200)
}
