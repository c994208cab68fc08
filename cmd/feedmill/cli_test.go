package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

const cliFeed = `<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title><link>https://good.example/</link>
<item><title>Peace talks resume</title><link>https://good.example/a?utm_source=rss#top</link><guid>a</guid><pubDate>Mon, 23 Nov 2026 08:00:00 +0000</pubDate></item>
<item><title>Markets calm</title><link>https://good.example/b</link><guid>b</guid><pubDate>Mon, 23 Nov 2026 07:00:00 +0000</pubDate></item>
</channel></rss>`

// cliSetup writes a config with one good and one broken feed.
func cliSetup(t *testing.T) (dir, configPath, listen string) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/good", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, cliFeed) })
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/good"></head><body>hi</body></html>`)
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<!DOCTYPE html><html><body>hi</body></html>")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	dir = t.TempDir()
	configPath = filepath.Join(dir, "config.yaml")
	listen = freeAddr(t)
	cfg := fmt.Sprintf(`database: cli.db
allow_private: true
listen: %s
feeds:
  - name: good
    url: %s/good
  - name: broken
    url: %s/html
topics:
  - name: peace
    match: talks OR ceasefire
outputs:
  - name: peace
    topics: [peace]
`, listen, srv.URL, srv.URL)
	if err := os.WriteFile(configPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, configPath, listen
}

func TestCLI(t *testing.T) {
	dir, cfg, _ := cliSetup(t)
	pageURL := strings.Replace(readConfigFeedURL(t, cfg, "good"), "/good", "/page", 1)
	badCfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badCfg, []byte("listen: 127.0.0.1:8080\nfeeds:\n  - name: x\n    url: htp://nowhere\n    schedul: \"@hourly\"\n"), 0o644)

	tests := []struct {
		name     string
		env      []string
		dir      string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout []string
	}{
		{name: "version", args: []string{"version"}, stdout: []string{"feedmill " + feedmill.Version}},
		{name: "no command", args: nil, code: 2, stderr: []string{"Usage: feedmill"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: []string{`unknown command "frobnicate"`}},
		{name: "bad flag", args: []string{"--config", cfg, "items", "--limit", "x"}, code: 2},
		{name: "check ok", args: []string{"--config", cfg, "check"}, stdout: []string{"ok (2 feeds, 1 topics, 1 outputs)"}},
		{name: "check bad config names file, line and every problem", args: []string{"check", "--config", badCfg}, code: 2,
			stderr: []string{"bad.yaml:4:10: feeds[0].url", "bad.yaml:5:5:", "schedul"}},
		{name: "missing config", args: []string{"--config", filepath.Join(dir, "nope.yaml"), "check"}, code: 2, stderr: []string{"not found"}},
		{name: "FEEDMILL_CONFIG fallback", env: []string{"FEEDMILL_CONFIG=" + cfg}, args: []string{"check"}, stdout: []string{"ok (2 feeds"}},
		{name: "./config.yaml fallback", dir: dir, args: []string{"check"}, stdout: []string{"config.yaml: ok"}},
		{name: "fetch: one feed fails, exit 1", args: []string{"--config", cfg, "fetch"}, code: 1,
			stdout: []string{"good ", "2 new", "broken", "error: not a feed: got an HTML page", "total: 2 feeds, 1 failed, 0 unchanged; 2 new"}},
		{name: "fetch again: already seen", args: []string{"--config", cfg, "fetch", "good"}, code: 0,
			stdout: []string{"unchanged since the last poll", "total: 1 feeds, 0 failed, 1 unchanged; 0 new"}, noStdout: []string{"broken"}},
		{name: "fetch with a progress bar and a summary table", args: []string{"--config", cfg, "fetch", "--progress", "always"}, code: 1,
			stdout: []string{"FEED", "RESULT", "error: not a feed", "not modified", "total: 2 feeds, 1 failed"}},
		{name: "fetch --progress bad", args: []string{"--config", cfg, "fetch", "--progress", "maybe"}, code: 2},
		{name: "fetch unknown feed", args: []string{"--config", cfg, "fetch", "nope"}, code: 2, stderr: []string{`no feed named "nope"`}},
		{name: "fetch --json", args: []string{"--config", cfg, "fetch", "--json", "good"},
			stdout: []string{`"feed":"good"`, `"status":"ok"`, `"not_modified":true`, `"total":true`}},
		{name: "items", args: []string{"--config", cfg, "items"}, stdout: []string{"Peace talks resume", "topics: peace", "Markets calm"}},
		{name: "items --topic", args: []string{"--config", cfg, "items", "--topic", "peace", "--json"},
			stdout: []string{`"link":"https://good.example/a"`, `"topics":["peace"]`, `"published":"2026-11-23T08:00:00Z"`}, noStdout: []string{"Markets"}},
		{name: "items --limit", args: []string{"--config", cfg, "items", "--limit", "1"}, stdout: []string{"Peace talks"}, noStdout: []string{"Markets"}},
		{name: "feeds", args: []string{"--config", cfg, "feeds"}, stdout: []string{"good", "ok", "broken", "failing", "not a feed"}},
		{name: "feeds --json", args: []string{"--config", cfg, "feeds", "--json"},
			stdout: []string{`"name":"good"`, `"status":"ok"`, `"items":2`, `"status":"failing"`, `"http_status":200`,
				`"next_check":`, `"new_per_day":2`, `"last_error":"not a feed: got an HTML page"`}},
		{name: "feeds --log", args: []string{"--config", cfg, "feeds", "--log", "good"},
			stdout: []string{"OUTCOME", "not_modified", "ok"}},
		{name: "feeds --log --json", args: []string{"--config", cfg, "feeds", "--log", "broken", "--json"},
			stdout: []string{`"outcome":"failed"`, `"error":"not a feed: got an HTML page"`}},
		{name: "discover refuses a private address by default", args: []string{"discover", "http://127.0.0.1:1/page"}, code: 1,
			stderr: []string{"not a public address"}},
		{name: "discover", args: []string{"--config", cfg, "discover", "PAGE"}, stdout: []string{"/good\n"}},
		{name: "feeds --log unknown", args: []string{"--config", cfg, "feeds", "--log", "nope"}, code: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, a := range tt.args {
				if a == "PAGE" {
					tt.args[i] = pageURL
				}
			}
			cmd := exec.Command(binary, tt.args...)
			cmd.Dir = tt.dir
			cmd.Env = append(filterEnv(os.Environ(), "FEEDMILL_CONFIG"), tt.env...)
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errb.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			for _, s := range tt.noStdout {
				if strings.Contains(out.String(), s) {
					t.Errorf("stdout has %q:\n%s", s, out.String())
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errb.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, errb.String())
				}
			}
		})
	}
}

func filterEnv(env []string, drop string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, drop+"=") {
			out = append(out, e)
		}
	}
	return out
}

// TestServe runs the daemon: it polls at start, serves outputs with
// validators, shows a fetch made by another process, and stops cleanly.
func TestServe(t *testing.T) {
	_, cfg, listen := cliSetup(t)
	base := "http://" + listen
	// Start with the initial poll this time.
	cmd := exec.Command(binary, "--config", cfg, "serve")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	}()

	var body string
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := http.Get(base + "/feeds/peace.atom")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			if resp.StatusCode == 200 && strings.Contains(body, "Peace talks resume") {
				if resp.Header.Get("Content-Type") != "application/atom+xml; charset=utf-8" || resp.Header.Get("ETag") == "" {
					t.Errorf("headers: %v", resp.Header)
				}
				etag := resp.Header.Get("ETag")
				req, _ := http.NewRequest("GET", base+"/feeds/peace.atom", nil)
				req.Header.Set("If-None-Match", etag)
				resp2, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp2.Body.Close()
				if resp2.StatusCode != http.StatusNotModified {
					t.Errorf("conditional GET: %d, want 304", resp2.StatusCode)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("output never showed the polled item; last body:\n%s\nlog:\n%s", body, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, path := range []string{"/feeds/peace.rss", "/feeds/peace.json", "/healthz", "/"} {
		if code, err := httpGet(base + path); err != nil || code != 200 {
			t.Errorf("GET %s: %d %v", path, code, err)
		}
	}
	for _, path := range []string{"/feeds/nope.rss", "/feeds/peace.xml", "/feeds/peace"} {
		if code, _ := httpGet(base + path); code != 404 {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	// A manual fetch from another process while serve runs.
	if r := runFeedmill(t, nil, "--config", cfg, "fetch", "good"); r.code != 0 {
		t.Errorf("fetch while serving: %d %s%s", r.code, r.stdout, r.stderr)
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGINT\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not stop after SIGINT\n%s", out.String())
	}
	if !strings.Contains(out.String(), "/feeds/peace.rss") {
		t.Errorf("serve did not print the subscribe URLs:\n%s", out.String())
	}
}

// readConfigFeedURL returns the URL of feed name in the config file.
func readConfigFeedURL(t *testing.T, path, name string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "- name: "+name && i+1 < len(lines) {
			return strings.TrimPrefix(strings.TrimSpace(lines[i+1]), "url: ")
		}
	}
	t.Fatalf("feed %s not in %s", name, path)
	return ""
}
