package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/pgtest"
)

// binary is the feedmill binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "feedmill-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "feedmill")
	args := []string{"build", "-o", binary}
	// The tests themselves run under -race in CI, as do every package's
	// own tests; the binary they start is built with -race only on
	// request, since it makes the end-to-end tests (the corpus polled 22
	// times, 20 kills, three daemons) several times slower: on 2 cores
	// they would not fit in CI's 15 minutes.
	if raceEnabled && os.Getenv("FEEDMILL_RACE_BINARY") == "1" {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building feedmill:", err)
		os.Exit(1)
	}
	code := pgtest.Main(m) // stops the PostgreSQL cluster, if a test started one
	os.RemoveAll(dir)
	os.Exit(code)
}

// sharedDir returns ../shared beside the repository, skipping the test
// when it is absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("../../../shared")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "corpus")); err != nil {
		t.Skipf("shared corpus not found at %s: %v", dir, err)
	}
	return dir
}

// result is the outcome of one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// runFeedmill runs the real binary with args and the given environment.
func runFeedmill(t testing.TB, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("feedmill %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return result{out.String(), errb.String(), code}
}

// daemon is a running `feedmill serve`.
type daemon struct {
	cmd  *exec.Cmd
	base string
	out  *bytes.Buffer
	done chan error
}

// startDaemon runs `feedmill serve` and waits until it answers /healthz.
func startDaemon(t *testing.T, configPath, listen string) *daemon {
	t.Helper()
	d := &daemon{base: "http://" + listen, out: &bytes.Buffer{}, done: make(chan error, 1)}
	d.cmd = exec.Command(binary, "--config", configPath, "serve", "--no-initial-poll")
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() { d.stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := httpGet(d.base + "/healthz")
		if err == nil && resp == 200 {
			return d
		}
		select {
		case err := <-d.done:
			t.Fatalf("daemon exited early: %v\n%s", err, d.out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not become healthy:\n%s", d.out)
		}
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (d *daemon) stop(t *testing.T) {
	if d.cmd.ProcessState != nil {
		return
	}
	d.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-d.done:
		if err != nil {
			t.Errorf("daemon did not exit cleanly: %v\n%s", err, d.out)
		}
	case <-time.After(20 * time.Second):
		d.cmd.Process.Kill()
		t.Errorf("daemon did not stop within 20s after SIGINT\n%s", d.out)
	}
}

// freeAddr returns a free 127.0.0.1 address.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// decodeLines decodes one JSON object per line.
func decodeLines[T any](t testing.TB, s string) []T {
	t.Helper()
	var out []T
	dec := json.NewDecoder(strings.NewReader(s))
	for dec.More() {
		var v T
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("bad JSON line: %v\n%s", err, s)
		}
		out = append(out, v)
	}
	return out
}

// httpGet returns the status code of a GET of url.
func httpGet(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
